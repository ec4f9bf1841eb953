#include "cramfs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_set>

#include "clearbox/core/digest.h"
#include "decompress.h"
#include "internal/inode_tree.h"

namespace clearbox::unpack::cramfs {
namespace {

using internal::TypeFromMode;

constexpr std::string_view kSignature = "Compressed ROMFS";
constexpr uint32_t kFlagFsidV2 = 0x1;
constexpr uint32_t kFlagExtBlockPointers = 0x800;
constexpr uint32_t kBlkUncompressed = 1u << 31;
constexpr uint32_t kBlkDirect = 1u << 30;
constexpr uint32_t kMaxSymlink = 4096;

uint32_t Load32(const uint8_t* p, bool big) { return big ? LoadBE32(p) : LoadLE32(p); }

struct RawInode {
  uint32_t mode, uid, size, gid, namelen, offset;
};

// The 12-byte inode: bit fields laid out from the low bits (little-endian images) or from
// the high bits (big-endian images).
RawInode DecodeInode(const uint8_t* p, bool big) {
  uint32_t w0 = Load32(p, big), w1 = Load32(p + 4, big), w2 = Load32(p + 8, big);
  if (big) return {w0 >> 16, w0 & 0xffff, w1 >> 8, w1 & 0xff, w2 >> 26, w2 & 0x3ffffff};
  return {w0 & 0xffff, w0 >> 16, w1 & 0xffffff, w1 >> 24, w2 & 0x3f, w2 >> 6};
}

class FileReader : public ContentReader {
 public:
  FileReader(ByteView image, const Superblock& sb, const Entry& entry)
      : image_(image), sb_(sb), entry_(entry) {}
  uint64_t size() const override { return entry_.size; }

  Result<size_t> Read(std::span<uint8_t> out) override {
    size_t n = 0;
    while (n < out.size() && pos_ < entry_.size) {
      uint64_t block = pos_ / kBlockSize;
      if (block != cached_block_) {
        CLEARBOX_ASSIGN_OR_RETURN(cache_, Block(block));
        cached_block_ = block;
      }
      uint64_t within = pos_ % kBlockSize;
      size_t k = static_cast<size_t>(std::min<uint64_t>(out.size() - n, cache_.size() - within));
      std::memcpy(out.data() + n, cache_.data() + within, k);
      pos_ += k;
      n += k;
    }
    return n;
  }

 private:
  Error Bad(uint64_t block, std::string_view why) const {
    return Error::InvalidInput(fmt::format("cramfs: {} block {}: {}", entry_.path, block, why));
  }

  Result<Bytes> Block(uint64_t block) const {
    const bool big = sb_.big_endian;
    const uint64_t nblocks = (entry_.size + kBlockSize - 1) / kBlockSize;
    const uint64_t want = std::min<uint64_t>(kBlockSize, entry_.size - block * kBlockSize);
    const uint64_t table = entry_.data_offset;
    if (!FitsIn(image_.size(), table, nblocks * 4))
      return Bad(block, "pointer table past the image");
    uint32_t ptr = Load32(image_.data() + table + 4 * block, big);
    bool stored = false;
    if (sb_.flags & kFlagExtBlockPointers) {
      if (ptr & kBlkDirect)
        return Error::Unsupported(fmt::format("cramfs: {}: direct block pointers", entry_.path));
      stored = ptr & kBlkUncompressed;
      ptr &= ~(kBlkUncompressed | kBlkDirect);
    }
    uint64_t start = table + nblocks * 4;
    if (block > 0) {
      start = Load32(image_.data() + table + 4 * (block - 1), big);
      if (sb_.flags & kFlagExtBlockPointers) start &= ~(kBlkUncompressed | kBlkDirect);
    }
    uint64_t end = ptr;
    if (end < start || !FitsIn(image_.size(), start, end - start)) {
      return Bad(block, fmt::format("data [{:#x}, {:#x}) outside the image", start, end));
    }
    if (end == start) return Bytes(want, 0);  // a hole
    ByteView data = image_.subspan(start, end - start);
    if (stored) {
      if (data.size() != want) return Bad(block, "stored block of the wrong size");
      return Bytes(data.begin(), data.end());
    }
    Result<Bytes> out = Decompress(Codec::kZlib, data, want);
    if (!out.ok()) return Bad(block, out.error().message());
    if (out->size() != want) return Bad(block, fmt::format("{} bytes, not {}", out->size(), want));
    return out;
  }

  ByteView image_;
  const Superblock& sb_;
  const Entry& entry_;
  uint64_t pos_ = 0;
  uint64_t cached_block_ = UINT64_MAX;
  Bytes cache_;
};

}  // namespace

std::optional<Superblock> ReadSuperblock(ByteView data) {
  for (uint64_t start : {uint64_t{0}, uint64_t{512}}) {
    if (!FitsIn(data.size(), start, kSuperblockSize)) break;
    const uint8_t* p = data.data() + start;
    bool big;
    if (LoadLE32(p) == kMagic) {
      big = false;
    } else if (LoadBE32(p) == kMagic) {
      big = true;
    } else {
      continue;
    }
    if (AsChars(ByteView(p + 16, 16)) != kSignature) continue;
    // After a boot block, offsets count from the boot block: the root's entries come after
    // the superblock. (This tells a padded image from bytes that merely precede one.)
    RawInode root = DecodeInode(p + 64, big);
    if (start > 0 && root.size > 0 && uint64_t{root.offset} * 4 < start + kSuperblockSize) continue;
    Superblock sb;
    sb.big_endian = big;
    sb.start = start;
    sb.size = Load32(p + 4, big);
    sb.flags = Load32(p + 8, big);
    sb.stored_crc = Load32(p + 32, big);
    sb.edition = Load32(p + 36, big);
    sb.files = Load32(p + 44, big);
    const char* name = reinterpret_cast<const char*>(p + 48);
    sb.name.assign(name, strnlen(name, 16));
    return sb;
  }
  return std::nullopt;
}

class Filesystem::Builder {
 public:
  Builder(Filesystem& fs) : fs_(fs), big_(fs.sb_.big_endian) {}

  void Run() {
    const Superblock& sb = fs_.sb_;
    const ByteView img = fs_.image_;
    fs_.extent_ = std::min<uint64_t>(sb.size, img.size());
    if (sb.size > img.size()) {
      Problem(Note::Kind::kCorrupt, "size", 4,
              fmt::format("truncated: the superblock says {} bytes, {} are present", sb.size,
                          img.size()));
    } else if (sb.size < sb.start + kSuperblockSize) {
      Problem(Note::Kind::kCorrupt, "size", sb.start + 4,
              fmt::format("the superblock says {} bytes, less than itself", sb.size));
    } else if (sb.flags & kFlagFsidV2) {
      // CRC32 from the superblock to the end, with the CRC field read as zeros (in three
      // pieces: no copy of the image).
      static constexpr uint8_t kZeros[4] = {};
      ByteView fs = img.subspan(sb.start, sb.size - sb.start);
      uint32_t crc = Crc32(fs.first(32));
      crc = Crc32(kZeros, crc);
      crc = Crc32(fs.subspan(36), crc);
      if (crc != sb.stored_crc) {
        Problem(
            Note::Kind::kCorrupt, "crc", sb.start + 32,
            fmt::format("CRC mismatch: stored {:#010x}, computed {:#010x}", sb.stored_crc, crc));
      }
    }
    RawInode root = DecodeInode(img.data() + sb.start + 64, big_);
    if (!TypeFromMode(root.mode) || *TypeFromMode(root.mode) != NodeType::kDirectory) {
      Problem(Note::Kind::kCorrupt, "entry", sb.start + 64, "the root inode is not a directory");
      return;
    }
    Entry r;
    r.path = "/";
    r.type = NodeType::kDirectory;
    r.mode = root.mode & 07777;
    r.uid = root.uid;
    r.gid = root.gid;
    fs_.entries_.push_back(r);
    Walk(root);
    problems_.Finish();
  }

 private:
  void Problem(Note::Kind kind, const std::string& category, uint64_t at, std::string message) {
    problems_.Add(kind, category, at, std::move(message));
  }

  void Walk(const RawInode& root) {
    struct Dir {
      uint64_t start, size;
      std::string path;
      size_t depth;
    };
    const ByteView img = fs_.image_;
    std::vector<Dir> stack = {{uint64_t{root.offset} * 4, root.size, "", 1}};
    std::unordered_set<uint64_t> visited;
    while (!stack.empty()) {
      Dir dir = std::move(stack.back());
      stack.pop_back();
      if (dir.size == 0) continue;
      if (!visited.insert(dir.start).second) {
        Problem(Note::Kind::kCorrupt, "loop", dir.start,
                fmt::format("{}: its entries at {:#x} were already listed (a loop): not followed",
                            dir.path.empty() ? "/" : dir.path, dir.start));
        continue;
      }
      if (!FitsIn(img.size(), dir.start, dir.size)) {
        Problem(Note::Kind::kCorrupt, "entry", dir.start,
                fmt::format("{}: entries [{:#x}, +{}) run past the image", dir.path, dir.start,
                            dir.size));
        continue;
      }
      std::vector<Dir> subdirs;
      uint64_t pos = dir.start, end = dir.start + dir.size;
      while (pos < end) {
        if (end - pos < kInodeSize) {
          Problem(Note::Kind::kCorrupt, "entry", pos,
                  fmt::format("{}: a partial inode at {:#x}", dir.path, pos));
          break;
        }
        RawInode in = DecodeInode(img.data() + pos, big_);
        uint64_t name_len = uint64_t{in.namelen} * 4;
        if (in.namelen == 0 || end - pos - kInodeSize < name_len) {
          Problem(Note::Kind::kCorrupt, "entry", pos,
                  fmt::format("{}: the name of the inode at {:#x} runs past the directory",
                              dir.path, pos));
          break;
        }
        const char* name = reinterpret_cast<const char*>(img.data() + pos + kInodeSize);
        Entry e;
        e.path = dir.path + "/" + std::string(name, strnlen(name, name_len));
        std::optional<NodeType> type = TypeFromMode(in.mode);
        uint64_t at = pos;
        pos += kInodeSize + name_len;
        if (!type) {
          Problem(Note::Kind::kCorrupt, "entry", at, fmt::format("{}: unknown file type", e.path));
          continue;
        }
        e.type = *type;
        e.mode = in.mode & 07777;
        e.uid = in.uid;
        e.gid = in.gid;
        e.data_offset = uint64_t{in.offset} * 4;
        switch (e.type) {
          case NodeType::kDirectory:
            if (dir.depth >= kMaxDepth) {
              Problem(
                  Note::Kind::kLimit, "depth", at,
                  fmt::format("{}: deeper than {} directories: not followed", e.path, kMaxDepth));
            } else {
              subdirs.push_back({e.data_offset, in.size, e.path, dir.depth + 1});
            }
            break;
          case NodeType::kFile:
            e.size = in.size;
            break;
          case NodeType::kSymlink: {
            e.size = std::min<uint32_t>(in.size, kMaxSymlink);
            Result<Bytes> target = fs_.ReadFile(e, kMaxSymlink);
            if (target.ok()) {
              e.link_target.assign(target->begin(), target->end());
            } else {
              Problem(Note::Kind::kCorrupt, "content", at, target.error().message());
            }
            e.size = e.link_target.size();
            break;
          }
          case NodeType::kCharDevice:
          case NodeType::kBlockDevice:
            e.dev_major = (in.size >> 8) & 0xff;  // old_decode_dev
            e.dev_minor = in.size & 0xff;
            break;
          default:
            break;
        }
        fs_.entries_.push_back(std::move(e));
      }
      for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) stack.push_back(std::move(*it));
    }
  }

  Filesystem& fs_;
  bool big_;
  internal::CappedNotes problems_{fs_.notes_, kMaxNotes};
};

Result<Filesystem> Filesystem::Parse(ByteView image) {
  std::optional<Superblock> sb = ReadSuperblock(image);
  if (!sb) return Error::InvalidInput("cramfs: no superblock at offset 0 or 512");
  Filesystem fs;
  fs.image_ = image;
  fs.sb_ = *sb;
  Builder(fs).Run();
  return fs;
}

std::unique_ptr<ContentReader> Filesystem::OpenFile(const Entry& entry) const {
  return std::make_unique<FileReader>(image_, sb_, entry);
}

Result<Bytes> Filesystem::ReadFile(const Entry& entry, uint64_t max_size) const {
  if (entry.size > max_size) {
    return Error::LimitExceeded(fmt::format("cramfs: {} is {} bytes, over the limit of {}",
                                            entry.path, entry.size, max_size));
  }
  FileReader reader(image_, sb_, entry);
  return internal::ReadWhole(reader, entry.size);
}

}  // namespace clearbox::unpack::cramfs
