// UBIFS file systems (fs/ubifs/ubifs-media.h), read from the bytes of a UBI volume.
//
//   if (ubifs::ReadSuperblock(volume)) {
//     Result<ubifs::Filesystem> fs = ubifs::Filesystem::Parse(volume);
//     for (const ubifs::Entry& e : fs->entries()) ... fs->ReadFile(e, max) ...;
//   }
//
// A UBIFS volume is a sequence of logical erase blocks (LEBs) of the size the superblock
// (LEB 0) states. Every node is 8-byte aligned, little-endian, and starts with a common
// header: magic 0x06101831, CRC (over the node from byte 8), sequence number, length, type.
// The newest master node (LEBs 1 and 2) points at the root of the index, a B+ tree whose
// leaves are the inode, directory-entry and data nodes of the last commit. Nodes written
// after that commit (the journal) are found through the reference nodes of the log (LEBs
// from 3) and replayed: per key (inode; parent and name; inode and block) the node with the
// highest sequence number wins, and a directory entry naming inode 0 deletes the name.
// Truncation nodes are not replayed: blocks past an inode's size are never read anyway.
// Extended attributes are ignored. Data compressions: none, lzo, zlib (raw deflate), zstd.
//
// Hostile volumes: every node is bounds- and CRC-checked before use; the index walk is
// iterative with a cap on its depth and on nodes visited, and never visits a node twice; the
// directory walk visits each directory once, to a depth cap. Problems are Notes.
//
// A Filesystem keeps views into `volume`, which must outlive it. Const methods are
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

namespace clearbox::unpack::ubifs {

inline constexpr uint32_t kMagic = 0x06101831;
inline constexpr size_t kCommonHeaderSize = 24;
inline constexpr uint32_t kBlockSize = 4096;
inline constexpr size_t kMaxDepth = 256;       // directories
inline constexpr size_t kMaxIndexLevels = 64;  // the index tree (UBIFS uses far fewer)
inline constexpr size_t kMaxNotesPerKind = 32;

// Data compression codes (UBIFS_COMPR_*).
enum Compression : uint16_t { kComprNone = 0, kComprLzo = 1, kComprZlib = 2, kComprZstd = 3 };

// UBIFS's CRC: CRC-32 seeded with ~0 and not inverted at the end (~crc32() in zlib's terms).
uint32_t UbifsCrc(ByteView data);

struct Superblock {
  uint8_t key_hash = 0;
  uint8_t key_fmt = 0;
  uint32_t flags = 0;
  uint32_t min_io_size = 0;
  uint32_t leb_size = 0;
  uint32_t leb_cnt = 0;
  uint32_t log_lebs = 0;
  uint32_t fmt_version = 0;
  uint16_t default_compr = 0;
};

// The superblock node at the start of `volume`, if its magic, type, CRC and geometry are
// sane (LEB size from 512 bytes to 32 MiB, at least the LEBs the layout needs).
std::optional<Superblock> ReadSuperblock(ByteView volume);

// One block of a file: bytes [block * 4096, block * 4096 + size) once decoded.
struct DataBlock {
  uint32_t block = 0;
  uint32_t size = 0;  // uncompressed, <= 4096
  uint16_t compr = 0;
  uint64_t at = 0;  // volume offset of the node
  ByteView data;    // compressed
};

struct Entry {
  std::string path;  // "/" + names joined by "/", exactly as stored
  NodeType type = NodeType::kFile;
  uint64_t inum = 0;
  uint32_t mode = 0;  // 07777
  uint32_t uid = 0, gid = 0;
  int64_t mtime = 0;
  uint64_t size = 0;        // files: the inode size; symlinks: target length
  std::string link_target;  // symlinks: as stored; hard links: the first path
  uint32_t dev_major = 0, dev_minor = 0;
  std::vector<DataBlock> blocks;  // files: sorted by block, only blocks inside `size`
};

class Filesystem {
 public:
  // Errors: kInvalidInput when `volume` has no valid superblock or no valid master node
  // (nothing can be found without them).
  static Result<Filesystem> Parse(ByteView volume);

  Filesystem(Filesystem&&) noexcept;
  Filesystem& operator=(Filesystem&&) noexcept;
  ~Filesystem();

  const Superblock& superblock() const { return sb_; }
  // Depth-first from the root, parents before children, siblings sorted by name.
  const std::vector<Entry>& entries() const { return entries_; }
  const std::vector<Note>& notes() const { return notes_; }  // offsets in the volume
  uint64_t journal_nodes() const { return journal_nodes_; }  // replayed from the log

  // A reader over a file entry's content (holes read as zeros).
  // Its errors: kInvalidInput naming the node offset when a block does not decompress to
  // its stated size; kUnsupported for an unknown compression.
  std::unique_ptr<ContentReader> OpenFile(const Entry& entry) const;
  // The whole content. Errors: as the reader; kLimitExceeded when entry.size > max_size.
  Result<Bytes> ReadFile(const Entry& entry, uint64_t max_size) const;

 private:
  Filesystem() = default;
  class Builder;

  Superblock sb_;
  std::vector<Entry> entries_;
  std::vector<Note> notes_;
  uint64_t journal_nodes_ = 0;
};

// Decodes one data block to exactly block.size bytes.
Result<Bytes> DecodeBlock(const DataBlock& block);

}  // namespace clearbox::unpack::ubifs
