// cramfs images (include/uapi/linux/cramfs_fs.h), little- or big-endian.
//
//   Result<cramfs::Filesystem> fs = cramfs::Filesystem::Parse(image);
//   for (const cramfs::Entry& e : fs->entries()) ... fs->ReadFile(e, max) ...;
//
// A 76-byte superblock (magic 0x28cd3d45, at offset 0, or 512 after a boot block) holds the
// image size, flags, a CRC32 of the whole image (computed with the CRC field zeroed) and the
// root inode. Inodes are 12 bytes of bit fields (mode, uid, size, gid, name length, offset)
// followed by the name. A directory's offset points at its children's inodes; a file's at
// a table of block end pointers, then its blocks of up to 4096 bytes, each zlib-compressed
// (or stored, or a hole, with the extended block-pointer flag). Symlink targets are stored
// like file content; device numbers sit in the size field.
//
// A CRC mismatch, entries outside the image, loops (a directory offset seen twice) and names
// running past their directory are Notes; the directory walk is iterative with a depth cap.
// A Filesystem keeps views into `image`, which must outlive it. Const methods are
// thread-safe.
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

namespace clearbox::unpack::cramfs {

inline constexpr uint32_t kMagic = 0x28cd3d45;
inline constexpr size_t kSuperblockSize = 76;
inline constexpr size_t kInodeSize = 12;
inline constexpr uint32_t kBlockSize = 4096;
inline constexpr size_t kMaxDepth = 256;
inline constexpr size_t kMaxNotes = 64;

struct Superblock {
  bool big_endian = false;
  uint64_t start = 0;  // 0, or 512 when a boot block comes first
  uint32_t size = 0;   // bytes of the image, from `start - start` (the superblock's offset 0)
  uint32_t flags = 0;
  uint32_t stored_crc = 0;
  uint32_t edition = 0;
  uint32_t files = 0;
  std::string name;
};

// The superblock at offset 0 or 512 of `data`, if its magic and signature are right (and, at
// 512, if the root's entries lie after it, as offsets then count from the boot block).
std::optional<Superblock> ReadSuperblock(ByteView data);

struct Entry {
  std::string path;  // "/" + names joined by "/", exactly as stored
  NodeType type = NodeType::kFile;
  uint32_t mode = 0;  // 07777
  uint32_t uid = 0, gid = 0;
  uint64_t size = 0;
  std::string link_target;
  uint32_t dev_major = 0, dev_minor = 0;
  uint64_t data_offset = 0;  // files and symlinks: the block pointer table
};

class Filesystem {
 public:
  // Errors: kInvalidInput without a cramfs superblock at offset 0 or 512.
  static Result<Filesystem> Parse(ByteView image);

  const Superblock& superblock() const { return sb_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::vector<Note>& notes() const { return notes_; }
  // Bytes from the start of `image` the file system spans (within the image).
  uint64_t extent() const { return extent_; }

  // A reader over a file's content, one block at a time. Its errors: kInvalidInput naming
  // the block when a pointer lies outside the image or a block does not decompress.
  std::unique_ptr<ContentReader> OpenFile(const Entry& entry) const;
  Result<Bytes> ReadFile(const Entry& entry, uint64_t max_size) const;

 private:
  class Builder;
  ByteView image_;  // from the superblock on
  Superblock sb_;
  uint64_t extent_ = 0;
  std::vector<Entry> entries_;
  std::vector<Note> notes_;
};

}  // namespace clearbox::unpack::cramfs
