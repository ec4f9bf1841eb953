// EROFS images (Linux Documentation/filesystems/erofs.rst; mkfs.erofs from erofs-utils writes
// them), little-endian, read-only.
//
//   Result<erofs::Filesystem> fs = erofs::Filesystem::Parse(image);
//   for (const erofs::Entry& e : fs->entries()) ... fs->OpenFile(e) ...;
//
// The superblock sits 1024 bytes in: block size, the root's inode number (nid) and the block
// where the inodes start. An inode is found at meta_blkaddr * block size + nid * 32; it is
// compact (32 bytes, no time of its own: the image's build time) or extended (64 bytes). Its
// data is laid out flat (whole blocks from a start block), flat with the last partial block
// inline right after the inode and its extended attributes, in chunks (a table of block
// addresses, holes allowed), or compressed (LZ4/LZMA clusters). A directory's data is a
// sequence of blocks, each an array of 12-byte entries (nid, name offset, type) followed by
// the names they point at, without terminators.
//
// Compressed files are listed with their metadata; their content is not read (a note counts
// them). Blocks outside the image, directories reached twice (loops), names that overrun
// their block and inodes past the image are Notes; the walk is iterative with caps on depth
// and entries. A Filesystem keeps views into `image`, which must outlive it. Const methods
// are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"
#include "clearbox/unpack/unpack.h"
#include "unpack/internal/extent_reader.h"

namespace clearbox::unpack::erofs {

inline constexpr uint64_t kSuperblockOffset = 1024;
inline constexpr size_t kMaxDepth = 256;
inline constexpr size_t kMaxEntries = 1'000'000;
inline constexpr size_t kMaxNotes = 64;

struct Superblock {
  uint32_t block_size = 0;
  uint64_t root_nid = 0;
  uint64_t inodes = 0;
  int64_t build_time = 0;  // the time of every compact inode
  uint32_t blocks = 0;     // the image's size in blocks
  uint32_t meta_blkaddr = 0;
  uint32_t feature_compat = 0, feature_incompat = 0;
  std::string volume_name;
  std::string uuid;  // 8-4-4-4-12 hex
};

// The superblock of an image starting at `data`, if its magic is right and its fields are
// in range (block size 512 to 64 KiB, the root inode inside the claimed size).
std::optional<Superblock> ReadSuperblock(ByteView data);

// A run of a file's bytes: `length` bytes at `offset` in the image, or zeros (a hole).
using Extent = internal::ImageExtent;

struct Entry {
  std::string path;  // "/" + names joined by "/", exactly as stored; "/" for the root
  NodeType type = NodeType::kFile;
  uint32_t mode = 0;  // 07777
  uint32_t uid = 0, gid = 0;
  int64_t mtime = 0;
  uint64_t size = 0;
  std::string link_target;
  uint32_t dev_major = 0, dev_minor = 0;
  std::vector<Extent> extents;  // files: where the content is; empty when compressed
  bool compressed = false;      // content not readable by this reader
  bool unreadable = false;      // its blocks could not be located (a note says why)
};

class Filesystem {
 public:
  // Errors: kInvalidInput without an EROFS superblock at offset 1024.
  static Result<Filesystem> Parse(ByteView image);

  const Superblock& superblock() const { return sb_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::vector<Note>& notes() const { return notes_; }
  // Bytes from the start of `image` the file system spans (within the image).
  uint64_t extent() const { return extent_; }
  // A reader over a file's bytes; nullptr for a compressed or unreadable file.
  std::unique_ptr<ContentReader> OpenFile(const Entry& entry) const;
  // Errors: kLimitExceeded when the file is larger than `max_size`; kUnsupported when it is
  // compressed; kInvalidInput when its blocks could not be located.
  Result<Bytes> ReadFile(const Entry& entry, uint64_t max_size) const;

 private:
  friend class Builder;
  ByteView image_;
  Superblock sb_;
  uint64_t extent_ = 0;
  std::vector<Entry> entries_;
  std::vector<Note> notes_;
};

}  // namespace clearbox::unpack::erofs
