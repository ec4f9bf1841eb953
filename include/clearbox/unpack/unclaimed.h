// Regions of an image that no container claims, reported instead of skipped: where they
// are, how long, and their entropy (as binwalk's entropy scan shows it), so that "nothing
// here" and "something clearbox does not understand" read differently.
//
//   clearbox::unpack::UnclaimedRecorder recorder(writer);    // wraps any Sink
//   auto summary = clearbox::unpack::UnpackFile("fw.bin", opts, recorder);
//   for (const auto& r : recorder.Regions()) ...            // by provenance and offset
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/unpack/unpack.h"

namespace clearbox::unpack {

// Shannon entropy of the byte distribution, in bits per byte (0 to 8); 0 for no bytes.
double ShannonEntropy(ByteView bytes);

// What an entropy suggests, for a person: above 7.5 bits per byte "probably encrypted or
// compressed with an unknown scheme"; under 0.5 "padding"; else "data or code in no known
// format".
std::string_view DescribeEntropy(double bits_per_byte);
// Whether a region of that entropy is padding (erased flash, zero fill): not worth a line.
bool IsPadding(double bits_per_byte);

struct UnclaimedRegion {
  std::string provenance;  // the blob it is in ("fw.bin", "fw.bin!lzma@0x40")
  uint64_t offset = 0;     // in that blob
  uint64_t length = 0;
  double entropy = 0;  // bits per byte; past 16 MiB, of 16 page-sized samples spread over it
};

// A Sink that passes everything on to `inner` and records the regions no container claims
// (Sink::OnUnclaimed), passing them on too when `inner` wants them. Thread-safe.
class UnclaimedRecorder final : public Sink {
 public:
  explicit UnclaimedRecorder(Sink& inner) : inner_(inner) {}

  void OnFilesystem(const FilesystemInfo& fs) override { inner_.OnFilesystem(fs); }
  Status OnNode(const Node& node, ContentReader* content) override {
    return inner_.OnNode(node, content);
  }
  void OnNote(const Note& note) override { inner_.OnNote(note); }
  bool WantsContent() const override { return inner_.WantsContent(); }
  bool WantsUnclaimed() const override { return true; }
  void OnUnclaimed(const std::string& provenance, uint64_t offset, ByteView bytes) override;

  // Sorted by provenance and offset.
  std::vector<UnclaimedRegion> Regions() const;

 private:
  Sink& inner_;
  mutable std::mutex mu_;
  std::vector<UnclaimedRegion> regions_;
};

}  // namespace clearbox::unpack
