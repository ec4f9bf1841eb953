// Wind River MemFS ("Wind River management filesystem"): the flat store of web pages and
// images that TP-Link and Mercury VxWorks routers append to the kernel inside an IMG0 image.
//
//   Result<memfs::Filesystem> fs = memfs::Filesystem::Parse(image);
//   for (const memfs::Entry& e : fs->entries()) ... fs->ReadFile(e, max) ...;
//
// Layout (binwalk's "filesystems" magic; the record format cross-checked on the TL-WR702N and
// TL-WR720N images, where every record decodes to exactly its stored stream):
//   0x00  32 bytes  "owowow...ow" (big-endian words) or "OWOW...OW" (little-endian words)
//   0x20  u32       1: every file is an LZMA-alone stream (.lzma, 13-byte header); 2: plain
//   0x24  u32       number of records
//   0x28  u32       not understood (recorded in the detail)
//   0x2C  records of 48 bytes: name[40] (NUL padded), u32 stored size, u32 offset of the
//         data from the start of the magic. The data follows the table, 4-byte aligned.
// No directories, owners, modes or times: files are 0644, owned by root.
//
// A count the image cannot hold, data outside the image and names without an end are Notes;
// the records that can be read are still listed. A Filesystem keeps views into `image`,
// which must outlive it. Const methods are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"

namespace clearbox::unpack::memfs {

inline constexpr size_t kMagicSize = 32;
inline constexpr size_t kHeaderSize = 44;
inline constexpr size_t kRecordSize = 48;
inline constexpr size_t kNameSize = 40;
inline constexpr uint32_t kMaxRecords = 65536;
inline constexpr size_t kMaxNotes = 32;

enum class Storage : uint32_t { kLzma = 1, kPlain = 2 };

struct Header {
  bool big_endian = true;
  Storage storage = Storage::kLzma;
  uint32_t count = 0;
  uint32_t word3 = 0;  // the third header word, meaning unknown
};

// The header at offset 0 of `data`: nullopt without the magic or with a storage type other
// than 1 or 2.
std::optional<Header> ReadHeader(ByteView data);

struct Entry {
  std::string path;             // "/" + the stored name
  uint32_t index = 0;           // record number
  uint64_t record_offset = 0;   // where the record lies, for notes
  uint64_t data_offset = 0;     // from the start of the image
  uint64_t stored_size = 0;     // bytes of the (compressed) data
  std::optional<uint64_t> size; // uncompressed size: the LZMA header's, or stored_size if plain
  bool data_present = false;    // the data lies inside the image
};

class Filesystem {
 public:
  // Errors: kInvalidInput without a MemFS header at offset 0.
  static Result<Filesystem> Parse(ByteView image);

  const Header& header() const { return header_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::vector<Note>& notes() const { return notes_; }
  // Bytes from the start of the image the file system spans (the end of the last data).
  uint64_t extent() const { return extent_; }
  // The stored bytes of an entry (empty when they lie outside the image).
  ByteView StoredData(const Entry& entry) const;
  // The file's content, decompressed when stored as LZMA. A truncated or corrupt stream
  // yields what decoded with `failure` set. Errors: kLimitExceeded over `max_size`.
  struct Content {
    Bytes data;
    std::optional<Error> failure;
  };
  Result<Content> ReadFile(const Entry& entry, uint64_t max_size) const;

 private:
  ByteView image_;
  Header header_;
  uint64_t extent_ = 0;
  std::vector<Entry> entries_;
  std::vector<Note> notes_;
};

}  // namespace clearbox::unpack::memfs
