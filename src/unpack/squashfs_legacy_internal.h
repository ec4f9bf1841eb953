// Private parts of the legacy squashfs reader (squashfs_legacy.h): packed bit fields, the
// metadata block reader, and inodes and directory listings of every version.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "squashfs_legacy.h"

namespace clearbox::unpack::squashfs_legacy::detail {

// A field of `bits` bits (1..64) starting `pos` bits into a packed structure at `p`: the
// bits of each byte count from the low bit on little-endian images and from the high bit
// on big-endian ones (see the file comment of squashfs_legacy.h). `p` must hold the
// bytes up to bit pos + bits.
uint64_t Bits(const uint8_t* p, unsigned pos, unsigned bits, bool big);

// Where a metadata read starts: the absolute offset of a metadata block's header and an
// offset into its decompressed bytes.
struct Cursor {
  uint64_t block = 0;
  uint32_t offset = 0;
};

// The metadata blocks of an image, each decompressed once. Not thread-safe (parsing only).
class MetadataReader {
 public:
  MetadataReader(ByteView image, const Superblock& sb, const BlockDecoder& decoder)
      : image_(image), sb_(sb), decoder_(decoder) {}

  // Reads `n` bytes at `at`, following into the next blocks, and advances `at`.
  // Errors: kInvalidInput naming the block (outside the image, does not decode, too short),
  // kLimitExceeded past kMaxMetadataBytes of decompressed metadata.
  Status Read(Cursor& at, size_t n, Bytes& out);
  uint64_t decompressed_bytes() const { return total_; }

 private:
  struct Block {
    Bytes data;
    uint64_t next = 0;  // the header of the following block
  };
  Result<const Block*> Load(uint64_t at);

  ByteView image_;
  const Superblock& sb_;
  const BlockDecoder& decoder_;
  std::unordered_map<uint64_t, Block> blocks_;
  uint64_t total_ = 0;
};

// An inode of any version, in one shape.
struct Inode {
  NodeType type = NodeType::kFile;
  uint32_t mode = 0;
  uint32_t uid_index = 0, gid_index = 0;
  bool gid_is_uid = false;  // 1.x-3.x: "no group": the uid serves as gid
  int64_t mtime = 0;
  uint64_t file_size = 0;  // files: bytes; directories: bytes of the listing
  // Directories: where the listing starts (block relative to the directory table).
  uint64_t dir_block = 0;
  uint32_t dir_offset = 0;
  // Files: see Entry.
  uint64_t start_block = 0;
  uint32_t fragment = UINT32_MAX;
  uint32_t fragment_offset = 0;
  std::vector<uint32_t> blocks;  // normalised: size | 1 << 24 when stored
  std::string symlink;
  uint32_t dev_major = 0, dev_minor = 0;
};

// Reads the inode at `ref` (block relative to the inode table << 16 | offset).
// Errors: kInvalidInput naming what is wrong (unknown type, outside the table).
Result<Inode> ReadInode(MetadataReader& meta, const Superblock& sb, uint64_t ref);

struct DirEntry {
  std::string name;
  uint64_t inode_ref = 0;
};

// Reads the listing of directory inode `dir`. Errors: kInvalidInput (a header or name that
// does not fit); entries read before the problem are kept in `out`.
Status ReadDirectory(MetadataReader& meta, const Superblock& sb, const Inode& dir,
                     std::vector<DirEntry>& out);

}  // namespace clearbox::unpack::squashfs_legacy::detail
