// Squashfs images libsquashfs does not read: versions 1.x, 2.x and 3.x of either endian, and
// version 4.0 big-endian (AVM). Layouts: squashfs-tools' squashfs_compat.h (1.x-3.x) and
// squashfs_fs.h (4.0); the vendor LZMA framings are in squashfs_legacy_codec.h.
//
//   Result<squashfs_legacy::Filesystem> fs = squashfs_legacy::Filesystem::Parse(image);
//   for (const squashfs_legacy::Entry& e : fs->entries()) ... fs->OpenFile(e) ...;
//
// Layout in brief. A superblock at offset 0 (magic "hsqs" little-endian, "sqsh" big-endian;
// vendor LZMA images use "sqlz", "shsq", "qshs"), then data blocks, then the inode table and
// the directory table (chains of metadata blocks of up to 8 KiB, each led by a 16-bit header:
// bit 15 = stored, the rest its size; 1.x-3.x images with the "check" flag add a marker byte),
// then the fragment table and the uid/gid (or, in 4.0, id) tables. Inodes and directory
// entries of 1.x-3.x are packed C bit fields: on little-endian images the fields fill each
// byte from its low bit, on big-endian images from its high bit (the compiler's layout on
// the machine that wrote the image), so both are read here as a bit stream in that order.
// An inode is named by (metadata block, offset); two entries naming one inode are hard links.
// Data blocks of a file follow one another from its start block; their sizes (bit 24, or
// bit 15 in 1.x: stored) follow the inode; a file's tail may sit in a fragment block.
//
// Metadata, blocks or table entries outside the image, blocks that do not decode, directory
// loops, names without room and unknown inode types are Notes naming the offset; the walk
// is iterative with caps on depth, entries and decompressed metadata. A Filesystem keeps
// views into `image`, which must outlive it. Const methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"
#include "clearbox/unpack/unpack.h"
#include "squashfs_legacy_codec.h"

namespace clearbox::unpack::squashfs_legacy {

inline constexpr size_t kMaxDepth = 256;
inline constexpr size_t kMaxEntries = 1'000'000;
inline constexpr size_t kMaxNotes = 64;
inline constexpr uint64_t kMaxMetadataBytes = 64ull << 20;

struct Superblock {
  bool big_endian = false;
  std::string magic;  // the four bytes at offset 0
  uint16_t major = 0, minor = 0;
  uint32_t inodes = 0;
  uint64_t bytes_used = 0;
  uint32_t block_size = 0;
  uint16_t block_log = 0;
  uint16_t flags = 0;
  int64_t mkfs_time = 0;
  uint64_t root_inode = 0;  // metadata block (relative to the inode table) << 16 | offset
  uint64_t inode_table = 0, directory_table = 0, fragment_table = 0;
  uint64_t uid_table = 0, guid_table = 0;  // 1.x-3.x: arrays of 32-bit ids
  uint64_t id_table = 0;                   // 4.0: index of the id metadata blocks
  uint32_t fragments = 0;
  uint32_t uids = 0, guids = 0;  // 4.0: uids holds the id count
  Compression compression = Compression::kGuess;
  bool lzma_hint = false;  // an LZMA magic, or minor version 'L' (0x4c)
  // The byte order of metadata block headers: the image's, except in AVM's big-endian 4.0
  // images, whose block headers stay little-endian (told by following the inode table).
  bool metadata_big_endian = false;
  // Bytes the superblock itself takes (data starts after it).
  uint32_t size = 0;
};

// The superblock at offset 0 of `data` for versions 1-3 (either endian) and 4.0 big-endian,
// if its fields are consistent. Little-endian 4.0 is libsquashfs's: nullopt.
std::optional<Superblock> ReadSuperblock(ByteView data);

struct Entry {
  std::string path;  // "/" + names joined by "/", exactly as stored
  NodeType type = NodeType::kFile;
  uint32_t mode = 0;  // 07777
  uint32_t uid = 0, gid = 0;
  int64_t mtime = 0;
  uint64_t size = 0;
  std::string link_target;
  uint32_t dev_major = 0, dev_minor = 0;
  // Files: where the first data block starts, the size word of every block (bit 24 set:
  // stored; 0: a hole) and the fragment holding the tail (UINT32_MAX: none).
  uint64_t start_block = 0;
  std::vector<uint32_t> blocks;
  uint32_t fragment = UINT32_MAX;
  uint32_t fragment_offset = 0;
};

class Filesystem {
 public:
  // Errors: kInvalidInput without a superblock ReadSuperblock accepts, or when the root
  // directory cannot be read.
  static Result<Filesystem> Parse(ByteView image);

  const Superblock& superblock() const { return sb_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::vector<Note>& notes() const { return notes_; }
  // Bytes from the start of `image` the file system spans (within the image).
  uint64_t extent() const { return extent_; }
  // Bytes of metadata decompressed while parsing (the handler charges them).
  uint64_t metadata_bytes() const { return metadata_bytes_; }
  // The block framing that opened the image ("zlib", "lzma-props", ...; "" if no block was
  // compressed).
  std::string framing() const { return decoder_->framing(); }
  std::string DescribeFraming() const { return decoder_->DescribeFraming(); }

  // A reader over a file's content, one block at a time. Its errors: kInvalidInput naming
  // the block when it lies outside the image or does not decode.
  std::unique_ptr<ContentReader> OpenFile(const Entry& entry) const;
  // Errors: kLimitExceeded when the file is larger than `max_size`; the reader's.
  Result<Bytes> ReadFile(const Entry& entry, uint64_t max_size) const;

  // The fragment block `index` decompressed (the last one is kept: files share them).
  Result<std::shared_ptr<const Bytes>> Fragment(uint32_t index) const;
  const BlockDecoder& decoder() const { return *decoder_; }
  ByteView image() const { return image_; }

 private:
  class Builder;
  ByteView image_;
  Superblock sb_;
  uint64_t extent_ = 0;
  uint64_t metadata_bytes_ = 0;
  std::vector<Entry> entries_;
  std::vector<Note> notes_;
  // Fragment table: start and size word of each fragment block.
  std::vector<std::pair<uint64_t, uint32_t>> fragments_;
  std::unique_ptr<BlockDecoder> decoder_;
  struct FragmentCache {
    std::mutex mu;
    uint32_t index = UINT32_MAX;
    std::shared_ptr<const Bytes> data;
  };
  std::unique_ptr<FragmentCache> fragment_cache_ = std::make_unique<FragmentCache>();
};

}  // namespace clearbox::unpack::squashfs_legacy
