// JFFS2 (the Journalling Flash File System v2) images, little- or big-endian.
//
//   Result<jffs2::Filesystem> fs = jffs2::Filesystem::Parse(image, jffs2::Endian::kBig);
//   for (const jffs2::Entry& e : fs->entries()) {
//     if (e.type == NodeType::kFile) Use(e.path, fs->ReadFile(e, max_bytes));
//   }
//   for (const Note& n : fs->notes()) ...;  // bad CRCs, undecodable nodes, loops
//
// A JFFS2 image is a log of nodes (include/uapi/linux/jffs2.h), each 4-byte aligned and
// starting with magic 0x1985, a node type, a total length and a header CRC. Directory entry
// nodes name an inode in a parent inode; inode nodes carry metadata and up to one page of
// (compressed) data at an offset in the file. The filesystem is what the log says last:
//   - per (parent, name) the directory entry with the highest version wins; one whose inode
//     is 0 records a deletion;
//   - per inode, metadata comes from the node with the highest version, data from all of
//     them layered in version order, cut at the latest size;
//   - obsolete nodes (the ACCURATE bit cleared), padding, cleanmarkers, summary and xattr
//     nodes are skipped; so is 0xFF erase-block padding between nodes.
// Every CRC (header, node, name, data) is checked; a node that fails is skipped with a Note.
// Data compressions: none, zero, rtime, zlib, lzo, lzma (OpenWrt's); rubin variants are
// reported as unsupported.
//
// Hostile images: every length is checked against the image and the node; at most
// kMaxNodes nodes are read; the directory walk is iterative, with a depth cap and each
// directory visited once (a loop or a second link to a directory is a Note); names are
// reported exactly as stored (the engine normalises "..", "/" and friends).
//
// A Filesystem keeps views into `image`, which must outlive it. Const methods are
// thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"
#include "clearbox/unpack/unpack.h"

namespace clearbox::unpack::jffs2 {

enum class Endian { kLittle, kBig };

inline constexpr uint16_t kMagic = 0x1985;
inline constexpr size_t kNodeHeaderSize = 12;
inline constexpr size_t kDirentSize = 40;
inline constexpr size_t kInodeSize = 68;
inline constexpr uint64_t kMaxNodes = 4'000'000;
// A data node holds one page; 1 MiB covers every page size Linux has.
inline constexpr uint32_t kMaxNodeData = 1u << 20;
inline constexpr size_t kMaxDepth = 256;
inline constexpr size_t kMaxNotes = 64;  // per kind of problem; the rest are counted

// Data compression codes (JFFS2_COMPR_*).
enum Compression : uint8_t {
  kComprNone = 0,
  kComprZero = 1,
  kComprRtime = 2,
  kComprRubinMips = 3,
  kComprCopy = 4,
  kComprDynRubin = 5,
  kComprZlib = 6,
  kComprLzo = 7,
  kComprLzma = 8,
};

// The endianness of a JFFS2 node header at the start of `data` whose header CRC verifies,
// or nullopt.
std::optional<Endian> DetectEndian(ByteView data);

// The CRC JFFS2 uses: CRC-32 with seed 0 and no final inversion (~crc32(~0) in zlib's terms).
uint32_t Jffs2Crc(ByteView data);

// One inode node with data (or a metadata-only node: dsize 0).
struct DataNode {
  uint32_t ino = 0;
  uint32_t version = 0;
  uint32_t offset = 0;  // in the file
  uint32_t dsize = 0;   // bytes it holds once decompressed
  uint8_t compr = 0;
  uint64_t image_offset = 0;  // of the node in the image
  ByteView data;              // csize bytes, compressed
};

// A piece of a file: [start, end) comes from `node`'s data at start - node.offset.
struct Fragment {
  uint64_t start = 0;
  uint64_t end = 0;
  const DataNode* node = nullptr;
};

struct Entry {
  std::string path;  // "/" + names joined by "/", exactly as stored (not normalised)
  NodeType type = NodeType::kFile;
  uint32_t ino = 0;
  uint32_t mode = 0;  // permission bits (07777)
  uint32_t uid = 0, gid = 0;
  int64_t mtime = 0;
  uint64_t size = 0;        // files: the latest size; symlinks: target length
  std::string link_target;  // symlinks: as stored; hard links: the first path
  uint32_t dev_major = 0, dev_minor = 0;
  std::vector<Fragment> fragments;  // files only, sorted, non-overlapping, inside [0, size)
};

class Filesystem {
 public:
  // Reads every node of `image` (the whole blob: JFFS2 has no length field; scanning stops
  // at the end) and builds the tree.
  // Errors: kInvalidInput when no valid node header is found at offset 0.
  static Result<Filesystem> Parse(ByteView image, Endian endian);

  Filesystem(Filesystem&&) noexcept;
  Filesystem& operator=(Filesystem&&) noexcept;
  ~Filesystem();

  // Depth-first from the root, parents before children, siblings sorted by name.
  const std::vector<Entry>& entries() const { return entries_; }
  // kCorrupt: bad CRCs, undecodable symlinks, loops; kUnsupported: rubin data;
  // kInfo: counts (orphan inodes, obsolete nodes). Offsets are inside the image.
  const std::vector<Note>& notes() const { return notes_; }
  // Bytes from the start of the image to the end of the last valid node.
  uint64_t extent() const { return extent_; }
  Endian endian() const { return endian_; }
  // Every valid data node, in image order (for statistics: which compressors are used).
  const std::vector<DataNode>& data_nodes() const { return *data_nodes_; }

  // A reader over a file entry's content, decompressing one node at a time (holes read as
  // zeros). Its errors: kInvalidInput naming the node offset when a node does not
  // decompress to its stated size, kUnsupported for rubin data.
  std::unique_ptr<ContentReader> OpenFile(const Entry& entry) const;
  // The whole content, for tests and the fuzzer. Errors: as the reader; kLimitExceeded
  // when entry.size > max_size.
  Result<Bytes> ReadFile(const Entry& entry, uint64_t max_size) const;

 private:
  Filesystem() = default;
  struct Builder;

  Endian endian_ = Endian::kBig;
  uint64_t extent_ = 0;
  std::vector<Entry> entries_;
  std::vector<Note> notes_;
  // Stable addresses: Fragments point into it.
  std::unique_ptr<std::vector<DataNode>> data_nodes_;
};

// Decodes one data node into exactly node.dsize bytes.
// Errors: kInvalidInput (corrupt, or a size other than dsize), kUnsupported (rubin).
Result<Bytes> DecodeNode(const DataNode& node);

}  // namespace clearbox::unpack::jffs2
