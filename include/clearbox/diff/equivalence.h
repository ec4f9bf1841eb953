// Binary equivalence: is the shipped image what the reviewed source builds? Two builds are
// compared file by file, by content, with what is known to vary between honest builds
// normalised away.
//
//   diff::EquivalenceOptions options;
//   options.ignore_build_id = true;                   // --ignore-build-id
//   auto r = diff::CheckEquivalence("built.img", "shipped.img", options);
//   if (!r.ok()) ...;                                  // an input that cannot be read
//   for (const auto& d : r->differences) ... d.path, d.offset, d.section
//
// Always normalised: filesystem and archive timestamps and entry order (files are matched
// by FileKey and compared by SHA-256 of their content), and a file the unpacker opened as a
// container (an archive, a compressed stream) whose entries are all equivalent. Only with
// ignore_build_id: ELF GNU build ids (and the .gnu_debuglink CRC that follows them).
// Compared besides content: file type, permission bits, owner and link targets. Each
// differing file is reported with the first differing offset and, for ELF files, the section
// that holds it. Cost: each image is unpacked in memory once; when files differ, the old one
// is read again to fetch just their content.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/unpack/unpack.h"

namespace clearbox::diff {

struct EquivalenceOptions {
  unpack::Options unpack;
  bool ignore_build_id = false;
  // Differing files up to this size are kept in memory to find where they differ; a larger
  // one is reported by digest only (offset unknown).
  uint64_t max_compare_bytes = 256ull << 20;
};

struct FileDifference {
  std::string path;  // FileKey
  // "content", "only-in-old", "only-in-new", "type", "metadata" (mode, owner, link target)
  std::string difference;
  bool offset_known = false;
  uint64_t offset = 0;      // first differing byte (content)
  std::string section;      // ELF: the section holding that byte (".text")
  std::string detail;       // "mode 0755 -> 4755", "NEW is 12 bytes longer", ...
  std::string old_sha256, new_sha256;
};

struct EquivalenceReport {
  std::string old_image, new_image, old_sha256, new_sha256;
  bool equivalent = false;
  uint64_t files_compared = 0;  // nodes present in both
  std::vector<FileDifference> differences;  // by path
  // What was normalised, for the record: "312 timestamps", "/usr/bin/x: build id".
  std::vector<std::string> normalised;
  std::vector<unpack::Note> notes;  // the unpacker's, of both images
  bool partial = false;             // an image was not read whole: equivalence is not proven
};

// Errors: those of unpack::UnpackFile (kNotFound, kIo) naming the image.
Result<EquivalenceReport> CheckEquivalence(const std::string& old_path,
                                           const std::string& new_path,
                                           const EquivalenceOptions& options);

std::string EquivalenceText(const EquivalenceReport& r);
std::string EquivalenceJson(const EquivalenceReport& r, int indent = 2);

}  // namespace clearbox::diff
