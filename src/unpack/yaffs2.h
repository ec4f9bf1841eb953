// YAFFS2 NAND dumps (Yet Another Flash File System 2), little- or big-endian.
//
//   std::optional<yaffs2::Layout> layout = yaffs2::DetectLayout(image);
//   Result<yaffs2::Filesystem> fs = yaffs2::Filesystem::Parse(image, *layout);
//   for (const yaffs2::Entry& e : fs->entries()) ... fs->OpenFile(e) ...;
//
// Spec: yaffs.net "How YAFFS works", yaffs_guts.h (struct yaffs_obj_hdr) and
// yaffs_packedtags2.c (struct yaffs_packed_tags2). A dump is a sequence of chunks, each a
// page of data followed by its spare (OOB) area. The spare holds the packed tags: sequence
// number (the erase block's allocation order), object id, chunk id and byte count (16 bytes,
// in the image's endianness), optionally followed by a 12-byte ECC over the tags; the tags
// sit at offset 0 of the spare (mkyaffs2image) or after the 2-byte bad-block marker (MTD
// layouts). Chunk id 0 is an object header (type, parent, name, mode, owner, times, size,
// symlink alias, hard-link target); chunk id N >= 1 holds file bytes [(N-1)*page, N*page).
// The kernel writes the header info into the tags too (a flag in the chunk id's top bit).
//
// The layout (page size, spare size, endianness, tag position, tags ECC) is not stored
// anywhere: DetectLayout tries the known geometries against the first chunks and keeps the
// one whose object header and tags agree.
//
// Later writes win: per object header and per (object, chunk id) the chunk with the highest
// sequence number (then the later position) is used. Objects whose header puts them in the
// unlinked (3) or deleted (4) directories, and those a newer header shadows (a rename over
// an existing name), are not part of the tree. Tags that make no sense, chunks of objects
// without a header, byte counts beyond the page, file sizes beyond the data, pages without
// a chunk, names without an end, loops and truncated dumps are Notes; the tree walk is
// iterative (internal::WalkInodeTree). A Filesystem keeps views into `image`, which must
// outlive it. Const methods are thread-safe.
//
// yaffs2_layout.cc: layout detection, tags and headers; yaffs2.cc: the scan and the tree;
// yaffs2_format.cc: the format handler (how the engine finds a dump without a magic).
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

namespace clearbox::unpack::yaffs2 {

inline constexpr size_t kMaxDepth = 256;
inline constexpr size_t kMaxObjects = 1'000'000;
inline constexpr uint64_t kMaxChunks = 64'000'000;
inline constexpr size_t kMaxNotes = 64;  // per kind of problem; the rest are counted

// Object types (enum yaffs_obj_type).
enum ObjectType : uint32_t {
  kTypeFile = 1,
  kTypeSymlink = 2,
  kTypeDirectory = 3,
  kTypeHardLink = 4,
  kTypeSpecial = 5,
};

// Fixed object ids.
inline constexpr uint32_t kRootId = 1, kLostFoundId = 2, kUnlinkedId = 3, kDeletedId = 4;

// Sequence numbers of blocks in use lie in this range (others: erased, checkpoint, bad).
inline constexpr uint32_t kLowestSequence = 0x00001000;
inline constexpr uint32_t kHighestSequence = 0xefffff00;
// Object ids are below this (YAFFS_OBJECT_SPACE); chunk ids at most kMaxChunkId.
inline constexpr uint32_t kObjectSpace = 0x40000;
inline constexpr uint32_t kMaxChunkId = 0x000fffff;

// Where things are in yaffs_obj_hdr (every field is 32 bits but the 16-bit unused checksum).
inline constexpr size_t kHeaderSize = 512;
inline constexpr size_t kNameOffset = 10, kNameField = 256;
inline constexpr size_t kModeOffset = 268, kUidOffset = 272, kGidOffset = 276;
inline constexpr size_t kAtimeOffset = 280, kMtimeOffset = 284, kCtimeOffset = 288;
inline constexpr size_t kSizeLowOffset = 292, kEquivOffset = 296;
inline constexpr size_t kAliasOffset = 300, kAliasField = 160;
inline constexpr size_t kRdevOffset = 460, kSizeHighOffset = 496, kShadowsOffset = 504;

// Packed tags: 16 bytes of tags, then (with ECC) a 12-byte yaffs_ecc_other.
inline constexpr size_t kTagsSize = 16, kTagsEccSize = 12;
// Flags in the chunk id of a header chunk whose tags carry the header info.
inline constexpr uint32_t kExtraHeaderInfoFlag = 0x80000000;
inline constexpr uint32_t kExtraFlagsMask = 0xf0000000;

enum class Endian { kLittle, kBig };

struct Layout {
  uint32_t page_size = 2048;
  uint32_t spare_size = 64;
  uint32_t tag_offset = 0;  // of the packed tags inside the spare
  Endian endian = Endian::kLittle;
  bool tags_ecc = false;  // the 12-byte tags ECC follows the tags (its line parity agrees)

  uint64_t stride() const { return uint64_t{page_size} + spare_size; }
  // For Match::hint; Decode gives nullopt for a hint no Encode made.
  uint64_t Encode() const;
  static std::optional<Layout> Decode(uint64_t hint);
  // "2048+64 pages, big-endian, tags at spare offset 2 with ECC"
  std::string Describe() const;
};

// The layout of a dump whose first chunk is an object header, or nullopt.
std::optional<Layout> DetectLayout(ByteView data);

struct Tags {
  uint32_t sequence = 0;
  uint32_t object_id = 0;
  uint32_t chunk_id = 0;  // 0: an object header
  uint32_t byte_count = 0;
  bool has_extra = false;  // the header info is in the tags (kernel-written)
  uint32_t extra_parent = 0;
  uint32_t extra_type = 0;
};

enum class TagsState { kErased, kValid, kCheckpoint, kInvalid };

// Reads the tags at `at` (16 bytes inside `data`).
TagsState ReadTags(ByteView data, uint64_t at, Endian endian, Tags& out);

// The line parities of the tags ECC (yaffs_ecc_other): `line` is the XOR of the indexes of
// the bytes with an odd number of set bits, `prime` the XOR of their complements. (The
// column parity byte is not checked.)
struct LineParity {
  uint32_t line = 0, prime = 0;
};
LineParity TagsLineParity(ByteView tags);

// Whether the 12-byte tags ECC after the tags at `tags_at` agrees with them (line parities).
bool TagsEccAgrees(ByteView data, uint64_t tags_at, Endian endian);

// An object header (struct yaffs_obj_hdr), as stored.
struct ObjectHeader {
  uint32_t type = 0;
  uint32_t parent = 0;
  std::string name;
  bool name_terminated = true;  // false: the field is all name bytes (cut to 255)
  uint32_t mode = 0, uid = 0, gid = 0, mtime = 0;
  uint64_t size = 0;
  uint32_t equiv = 0;  // hard links: the object they name
  std::string alias;   // symlinks: the target
  bool alias_terminated = true;
  uint32_t rdev = 0;
  uint32_t shadows = 0;  // an object this header replaces (a rename over it), 0 for none
};

// The object header at the start of `page` (at least kHeaderSize bytes), when its type is
// known.
std::optional<ObjectHeader> ReadObjectHeader(ByteView page, Endian endian);

// A data chunk of a file: bytes [(chunk_id-1)*page, +byte_count) lie at `data_at`.
struct ChunkRef {
  uint32_t chunk_id = 0;
  uint32_t byte_count = 0;
  uint64_t data_at = 0;
};

struct Entry {
  std::string path;  // "/" + names joined by "/", exactly as stored
  NodeType type = NodeType::kFile;
  uint32_t object_id = 0;
  uint32_t mode = 0;  // 07777
  uint32_t uid = 0, gid = 0;
  int64_t mtime = 0;
  uint64_t size = 0;        // files: bytes; symlinks: target length
  std::string link_target;  // symlinks: the alias; hard links: the first path
  uint32_t dev_major = 0, dev_minor = 0;
  std::vector<ChunkRef> chunks;  // files: sorted by chunk id, each inside [0, size)
};

class Filesystem {
 public:
  // Reads every chunk of `image` (the dump runs to its end) with `layout`.
  // Errors: kInvalidInput when the first chunk is not an object header with valid tags.
  static Result<Filesystem> Parse(ByteView image, const Layout& layout);

  const Layout& layout() const { return layout_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::vector<Note>& notes() const { return notes_; }
  // Bytes from the start of `image` up to the end of the last chunk with valid tags.
  uint64_t extent() const { return extent_; }
  // Objects with a header, and those left out as deleted (unlinked or deleted directory).
  size_t objects() const { return objects_; }
  size_t deleted() const { return deleted_; }
  // A reader over a file's bytes, assembled from its chunks (holes read as zeros).
  std::unique_ptr<ContentReader> OpenFile(const Entry& entry) const;
  // Errors: kLimitExceeded when the file is larger than `max_size`.
  Result<Bytes> ReadFile(const Entry& entry, uint64_t max_size) const;

 private:
  friend class Builder;
  ByteView image_;
  Layout layout_;
  uint64_t extent_ = 0;
  size_t objects_ = 0;
  size_t deleted_ = 0;
  std::vector<Entry> entries_;
  std::vector<Note> notes_;
};

}  // namespace clearbox::unpack::yaffs2
