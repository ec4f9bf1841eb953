// romfs images (Documentation/filesystems/romfs.rst; genromfs writes them), big-endian.
//
//   Result<romfs::Filesystem> fs = romfs::Filesystem::Parse(image);
//   for (const romfs::Entry& e : fs->entries()) ... fs->OpenFile(e) ...;
//
// A 16-byte-aligned header "-rom1fs-", the full size and a checksum of the first 512 bytes,
// then the volume name. Every file header is 16-byte aligned: the next header's offset (its
// low 4 bits are the type and an executable bit), a type-specific word (a directory's first
// entry, a hard link's target header, a device's major/minor), the size, a checksum and the
// name; the data follows the name, uncompressed. romfs keeps no owners, times or permission
// bits: files are 0644 (0755 when executable), directories 0755, owner root.
//
// Headers or data outside the image, loops in a chain, a directory reached twice and names
// without an end are Notes; the walk is iterative with caps on depth and entries. A
// Filesystem keeps views into `image`, which must outlive it. Const methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"
#include "clearbox/unpack/unpack.h"

namespace clearbox::unpack::romfs {

inline constexpr size_t kMaxDepth = 256;
inline constexpr size_t kMaxEntries = 1'000'000;
inline constexpr size_t kMaxNotes = 64;

struct Superblock {
  uint32_t size = 0;  // full size of the file system, as the header says
  std::string volume;
  uint32_t first_header = 0;  // offset of the root directory's first entry
  bool checksum_ok = false;   // the first 512 bytes (or all, if smaller) sum to 0
};

// The superblock at offset 0 of `data`, if its magic is right and its size and volume name
// lie within `data`'s first bytes.
std::optional<Superblock> ReadSuperblock(ByteView data);

struct Entry {
  std::string path;  // "/" + names joined by "/", exactly as stored
  NodeType type = NodeType::kFile;
  uint32_t mode = 0;  // 07777
  uint32_t uid = 0, gid = 0;
  uint64_t size = 0;
  std::string link_target;
  uint32_t dev_major = 0, dev_minor = 0;
  uint64_t data_offset = 0;  // files: where the content starts
};

class Filesystem {
 public:
  // Errors: kInvalidInput without a romfs superblock at offset 0.
  static Result<Filesystem> Parse(ByteView image);

  const Superblock& superblock() const { return sb_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::vector<Note>& notes() const { return notes_; }
  // Bytes from the start of `image` the file system spans (within the image).
  uint64_t extent() const { return extent_; }
  // A reader over a file's bytes (a view of the image: romfs does not compress).
  std::unique_ptr<ContentReader> OpenFile(const Entry& entry) const;
  // Errors: kLimitExceeded when the file is larger than `max_size`.
  Result<Bytes> ReadFile(const Entry& entry, uint64_t max_size) const;

 private:
  ByteView image_;
  Superblock sb_;
  uint64_t extent_ = 0;
  std::vector<Entry> entries_;
  std::vector<Note> notes_;
};

}  // namespace clearbox::unpack::romfs
