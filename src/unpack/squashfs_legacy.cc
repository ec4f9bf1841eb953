#include "squashfs_legacy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "internal/inode_tree.h"
#include "squashfs_legacy_internal.h"

namespace clearbox::unpack::squashfs_legacy {
namespace {

using detail::Bits;
using detail::Cursor;
using detail::DirEntry;
using detail::Inode;
using detail::MetadataReader;

constexpr uint32_t kStoredBlock = 1u << 24;

// The endianness a magic names: "hsqs" and "shsq" (the LZMA one of sqlzma) are written by
// little-endian machines, "sqsh" and "qshs" by big-endian ones; "sqlz" is told by its major
// version.
std::optional<bool> BigEndianOf(std::string_view magic) {
  if (magic == "hsqs" || magic == "shsq") return false;
  if (magic == "sqsh" || magic == "qshs") return true;
  return std::nullopt;
}

// Whether the chain of metadata block headers from the inode table, read in this byte order,
// ends exactly where the directory table starts.
bool ChainFits(ByteView d, const Superblock& sb, bool big) {
  const uint32_t header = sb.major < 4 && (sb.flags & 4) ? 3 : 2;
  uint64_t at = sb.inode_table;
  for (int i = 0; i < 1 << 20 && at < sb.directory_table; ++i) {
    if (!FitsIn(d, at, header)) return false;
    uint16_t word = big ? LoadBE16(d.data() + at) : LoadLE16(d.data() + at);
    uint32_t size = word & 0x7fff;
    if (size == 0 || size > 8192) return false;
    at += header + size;
  }
  return at == sb.directory_table;
}

}  // namespace

std::optional<Superblock> ReadSuperblock(ByteView d) {
  if (d.size() < 96) return std::nullopt;
  Superblock sb;
  sb.magic.assign(reinterpret_cast<const char*>(d.data()), 4);
  if (sb.magic != "hsqs" && sb.magic != "sqsh" && sb.magic != "sqlz" && sb.magic != "shsq" &&
      sb.magic != "qshs") {
    return std::nullopt;
  }
  std::optional<bool> big = BigEndianOf(sb.magic);
  if (!big) {
    uint16_t be = LoadBE16(d.data() + 28);
    big = be >= 1 && be <= 4;
  }
  sb.big_endian = *big;
  auto u16 = [&](size_t at) {
    return sb.big_endian ? LoadBE16(d.data() + at) : LoadLE16(d.data() + at);
  };
  auto u32 = [&](size_t at) {
    return sb.big_endian ? LoadBE32(d.data() + at) : LoadLE32(d.data() + at);
  };
  auto u64 = [&](size_t at) {
    return sb.big_endian ? LoadBE64(d.data() + at) : LoadLE64(d.data() + at);
  };
  sb.major = u16(28);
  sb.minor = u16(30);
  sb.inodes = u32(4);
  sb.lzma_hint = sb.magic == "sqlz" || sb.magic == "shsq" || sb.magic == "qshs" || sb.minor == 'L';
  if (sb.major == 4) {
    if (sb.magic == "hsqs") return std::nullopt;  // libsquashfs reads it
    sb.mkfs_time = u32(8);
    sb.block_size = u32(12);
    sb.fragments = u32(16);
    uint16_t compression = u16(20);
    sb.block_log = u16(22);
    sb.flags = u16(24);
    sb.uids = u16(26);
    sb.root_inode = u64(32);
    sb.bytes_used = u64(40);
    sb.id_table = u64(48);
    sb.inode_table = u64(64);
    sb.directory_table = u64(72);
    sb.fragment_table = u64(80);
    sb.size = 96;
    if (compression < 1 || compression > 6) return std::nullopt;
    sb.compression = static_cast<Compression>(compression);
    if (sb.block_log < 12 || sb.block_log > 20 || sb.block_size != 1u << sb.block_log) {
      return std::nullopt;
    }
  } else if (sb.major >= 1 && sb.major <= 3) {
    if (sb.minor > 1 && sb.minor != 'L') return std::nullopt;
    sb.block_log = u16(34);
    sb.flags = d[36];
    sb.uids = d[37];
    sb.guids = d[38];
    sb.mkfs_time = int32_t(u32(39));
    sb.root_inode = u64(43);
    if (sb.major == 3) {
      if (d.size() < 119) return std::nullopt;  // the 3.x superblock runs past 96 bytes
      sb.block_size = u32(51);
      sb.fragments = u32(55);
      sb.bytes_used = u64(63);
      sb.uid_table = u64(71);
      sb.guid_table = u64(79);
      sb.inode_table = u64(87);
      sb.directory_table = u64(95);
      sb.fragment_table = u64(103);
      sb.size = 119;
    } else {
      sb.bytes_used = u32(8);
      sb.uid_table = u32(12);
      sb.guid_table = u32(16);
      sb.inode_table = u32(20);
      sb.directory_table = u32(24);
      if (sb.major == 2) {
        sb.block_size = u32(51);
        sb.fragments = u32(55);
        sb.fragment_table = u32(59);
        sb.size = 63;
      } else {
        sb.block_size = u16(32);
        sb.size = 51;
      }
    }
    const uint16_t max_log = sb.major == 1 ? 15 : 20;
    if (sb.block_log < 12 || sb.block_log > max_log || sb.block_size != 1u << sb.block_log) {
      return std::nullopt;
    }
    if (sb.uids == 0) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (sb.bytes_used < sb.size || sb.bytes_used > (uint64_t{1} << 40)) return std::nullopt;
  if (sb.inode_table < sb.size || sb.inode_table >= sb.directory_table ||
      sb.directory_table >= sb.bytes_used) {
    return std::nullopt;
  }
  if ((sb.root_inode >> 16) >= sb.directory_table - sb.inode_table) return std::nullopt;
  sb.metadata_big_endian = sb.big_endian;
  if (!ChainFits(d, sb, sb.big_endian) && ChainFits(d, sb, !sb.big_endian)) {
    sb.metadata_big_endian = !sb.big_endian;
  }
  return sb;
}

class Filesystem::Builder {
 public:
  explicit Builder(Filesystem& fs)
      : fs_(fs),
        sb_(fs.sb_),
        meta_(fs.image_, fs.sb_, *fs.decoder_),
        notes_(fs.notes_, kMaxNotes) {}

  Status Run() {
    if (sb_.bytes_used > fs_.image_.size()) {
      Problem("size", 8,
              fmt::format("truncated: the superblock says {} bytes, {} are present", sb_.bytes_used,
                          fs_.image_.size()));
    }
    ReadIds();
    ReadFragmentTable();
    Status s = Walk();
    fs_.metadata_bytes_ = meta_.decompressed_bytes();
    notes_.Finish();
    return s;
  }

 private:
  void Problem(const std::string& category, uint64_t at, std::string message,
               Note::Kind kind = Note::Kind::kCorrupt) {
    notes_.Add(kind, category, at, std::move(message));
  }

  // A table of `count` entries of `width` bytes: 32-bit ids laid out plainly (1.x-3.x), or
  // in metadata blocks behind an index of 64-bit pointers (4.0 ids, and fragments).
  Result<Bytes> ReadIndexedTable(uint64_t index_at, uint64_t count, size_t width, size_t pointer) {
    const uint64_t bytes = count * width;
    if (bytes > kMaxMetadataBytes) return Error::InvalidInput(fmt::format("{} entries", count));
    if (bytes == 0) return Bytes{};
    if (!FitsIn(fs_.image_, index_at, pointer)) {
      return Error::InvalidInput(fmt::format("index at {:#x} outside the image", index_at));
    }
    const uint8_t* p = fs_.image_.data() + index_at;
    uint64_t first = pointer == 8 ? (sb_.big_endian ? LoadBE64(p) : LoadLE64(p))
                                  : (sb_.big_endian ? LoadBE32(p) : LoadLE32(p));
    Cursor c{first, 0};
    Bytes out;
    CLEARBOX_RETURN_IF_ERROR(meta_.Read(c, bytes, out));
    return out;
  }

  void ReadIds() {
    auto plain = [&](uint64_t at, uint32_t count, std::vector<uint32_t>& out, const char* what) {
      if (!FitsIn(fs_.image_, at, uint64_t{count} * 4)) {
        Problem("table", at, fmt::format("{} table at {:#x} outside the image", what, at));
        return;
      }
      for (uint32_t i = 0; i < count; ++i) {
        const uint8_t* p = fs_.image_.data() + at + 4 * i;
        out.push_back(sb_.big_endian ? LoadBE32(p) : LoadLE32(p));
      }
    };
    if (sb_.major < 4) {
      plain(sb_.uid_table, sb_.uids, uids_, "uid");
      plain(sb_.guid_table, sb_.guids, guids_, "gid");
      return;
    }
    Result<Bytes> ids = ReadIndexedTable(sb_.id_table, sb_.uids, 4, 8);
    if (!ids.ok()) {
      Problem("table", sb_.id_table, "id table: " + ids.error().message());
      return;
    }
    for (size_t i = 0; i + 4 <= ids->size(); i += 4) uids_.push_back(LoadBE32(ids->data() + i));
    guids_ = uids_;
  }

  void ReadFragmentTable() {
    if (sb_.major < 2 || sb_.fragments == 0) return;
    const size_t width = sb_.major == 2 ? 8 : 16;
    Result<Bytes> table =
        ReadIndexedTable(sb_.fragment_table, sb_.fragments, width, sb_.major == 2 ? 4 : 8);
    if (!table.ok()) {
      Problem("table", sb_.fragment_table, "fragment table: " + table.error().message());
      return;
    }
    for (size_t i = 0; i + width <= table->size(); i += width) {
      const uint8_t* e = table->data() + i;
      if (sb_.major == 2) {
        fs_.fragments_.emplace_back(Bits(e, 0, 32, sb_.big_endian),
                                    uint32_t(Bits(e, 32, 32, sb_.big_endian)));
      } else {
        fs_.fragments_.emplace_back(Bits(e, 0, 64, sb_.big_endian),
                                    uint32_t(Bits(e, 64, 32, sb_.big_endian)));
      }
    }
  }

  uint32_t Id(const std::vector<uint32_t>& table, uint32_t index, const char* what) {
    if (index < table.size()) return table[index];
    Problem("id", 0,
            fmt::format("{} index {} past the {} ids of the table", what, index, table.size()));
    return 0;
  }

  Entry MakeEntry(std::string path, const Inode& in) {
    Entry e;
    e.path = std::move(path);
    e.type = in.type;
    e.mode = in.mode & 07777;
    e.uid = Id(uids_, in.uid_index, "uid");
    e.gid = in.gid_is_uid ? e.uid : Id(sb_.major < 4 ? guids_ : uids_, in.gid_index, "gid");
    e.mtime = in.mtime;
    e.dev_major = in.dev_major;
    e.dev_minor = in.dev_minor;
    if (in.type == NodeType::kFile) {
      e.size = in.file_size;
      e.start_block = in.start_block;
      e.blocks = in.blocks;
      e.fragment = in.fragment;
      e.fragment_offset = in.fragment_offset;
    } else if (in.type == NodeType::kSymlink) {
      e.link_target = in.symlink;
      e.size = in.symlink.size();
    }
    return e;
  }

  Status Walk() {
    const uint64_t root_at = sb_.inode_table + (sb_.root_inode >> 16);
    Result<Inode> root = detail::ReadInode(meta_, sb_, sb_.root_inode);
    if (!root.ok()) {
      if (root.error().code() == ErrorCode::kLimitExceeded) return root.error();
      return Error::InvalidInput(
          fmt::format("root inode at {:#x}: {}", root_at, root.error().message()));
    }
    if (root->type != NodeType::kDirectory) {
      return Error::InvalidInput(fmt::format("root inode at {:#x} is not a directory", root_at));
    }
    fs_.entries_.push_back(MakeEntry("/", *root));
    struct Work {
      Inode dir;
      std::string path;  // "" for the root
      size_t depth;
    };
    std::vector<Work> stack;
    stack.push_back({*std::move(root), "", 0});
    std::unordered_set<uint64_t> dirs_seen{sb_.root_inode};
    std::unordered_map<uint64_t, std::string> first_path;  // non-directory inodes
    while (!stack.empty()) {
      Work work = std::move(stack.back());
      stack.pop_back();
      std::vector<DirEntry> listing;
      Status s = detail::ReadDirectory(meta_, sb_, work.dir, listing);
      if (!s.ok()) {
        if (s.error().code() == ErrorCode::kLimitExceeded) {
          Problem("limit", 0, s.error().message(), Note::Kind::kLimit);
          return Status::Ok();
        }
        Problem("directory", sb_.directory_table + work.dir.dir_block,
                fmt::format("directory {}: {}", work.path.empty() ? "/" : work.path,
                            s.error().message()));
      }
      std::vector<Work> subdirs;
      for (DirEntry& d : listing) {
        if (fs_.entries_.size() >= kMaxEntries) {
          Problem("limit", 0, fmt::format("more than {} entries", kMaxEntries), Note::Kind::kLimit);
          return Status::Ok();
        }
        std::string path = work.path + "/" + d.name;
        const uint64_t at = sb_.inode_table + (d.inode_ref >> 16);
        auto linked = first_path.find(d.inode_ref);
        if (linked != first_path.end()) {
          Entry e;
          e.path = std::move(path);
          e.type = NodeType::kHardLink;
          e.link_target = linked->second;
          fs_.entries_.push_back(std::move(e));
          continue;
        }
        Result<Inode> in = detail::ReadInode(meta_, sb_, d.inode_ref);
        if (!in.ok()) {
          if (in.error().code() == ErrorCode::kLimitExceeded) {
            Problem("limit", 0, in.error().message(), Note::Kind::kLimit);
            return Status::Ok();
          }
          Problem("inode", at,
                  fmt::format("{}: inode at {:#x}+{}: {}", path, at, d.inode_ref & 0xffff,
                              in.error().message()));
          continue;
        }
        if (in->type == NodeType::kDirectory) {
          if (!dirs_seen.insert(d.inode_ref).second) {
            Problem("loop", at,
                    fmt::format("{}: directory inode at {:#x}+{} reached again (a loop)", path, at,
                                d.inode_ref & 0xffff));
            continue;
          }
          if (work.depth + 1 > kMaxDepth) {
            Problem("depth", at, fmt::format("{}: deeper than {} directories", path, kMaxDepth));
            continue;
          }
          fs_.entries_.push_back(MakeEntry(path, *in));
          subdirs.push_back({*std::move(in), std::move(path), work.depth + 1});
        } else {
          first_path.emplace(d.inode_ref, path);
          fs_.entries_.push_back(MakeEntry(std::move(path), *in));
        }
      }
      // Depth first, in listing order.
      for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) stack.push_back(std::move(*it));
    }
    return Status::Ok();
  }

  Filesystem& fs_;
  const Superblock& sb_;
  MetadataReader meta_;
  internal::CappedNotes notes_;
  std::vector<uint32_t> uids_, guids_;
};

Result<Filesystem> Filesystem::Parse(ByteView image) {
  std::optional<Superblock> sb = ReadSuperblock(image);
  if (!sb) return Error::InvalidInput("no squashfs 1.x-3.x or big-endian 4.0 superblock");
  Filesystem fs;
  fs.image_ = image;
  fs.sb_ = *sb;
  fs.extent_ = std::min<uint64_t>(sb->bytes_used, image.size());
  fs.decoder_ = std::make_unique<BlockDecoder>(sb->compression, sb->lzma_hint);
  Builder builder(fs);
  CLEARBOX_RETURN_IF_ERROR(builder.Run());
  return fs;
}

Result<std::shared_ptr<const Bytes>> Filesystem::Fragment(uint32_t index) const {
  {
    std::lock_guard<std::mutex> lock(fragment_cache_->mu);
    if (fragment_cache_->index == index) return fragment_cache_->data;
  }
  if (index >= fragments_.size()) {
    return Error::InvalidInput(
        fmt::format("fragment {} past the {} of the fragment table", index, fragments_.size()));
  }
  auto [start, word] = fragments_[index];
  const uint32_t size = word & ~kStoredBlock;
  if (size == 0 || size > sb_.block_size + 4096 || !FitsIn(image_, start, size)) {
    return Error::InvalidInput(
        fmt::format("fragment {} ({} bytes at {:#x}) outside the image", index, size, start));
  }
  ByteView in = image_.subspan(start, size);
  std::shared_ptr<const Bytes> data;
  if (word & kStoredBlock) {
    data = std::make_shared<const Bytes>(in.begin(), in.end());
  } else {
    Result<Bytes> out = decoder_->Decode(in, std::nullopt, sb_.block_size);
    if (!out.ok()) {
      return Error::InvalidInput(
          fmt::format("fragment {} at {:#x}: {}", index, start, out.error().message()));
    }
    data = std::make_shared<const Bytes>(*std::move(out));
  }
  std::lock_guard<std::mutex> lock(fragment_cache_->mu);
  fragment_cache_->index = index;
  fragment_cache_->data = data;
  return data;
}

namespace {

// A file's bytes, one data block at a time, then its tail from a fragment.
class FileReader : public ContentReader {
 public:
  FileReader(const Filesystem& fs, const Entry& entry)
      : fs_(fs), entry_(entry), disk_(entry.start_block) {}
  uint64_t size() const override { return entry_.size; }

  Result<size_t> Read(std::span<uint8_t> out) override {
    size_t n = 0;
    while (n < out.size() && pos_ < entry_.size) {
      if (cache_pos_ >= cache_.size()) CLEARBOX_RETURN_IF_ERROR(Next());
      size_t k = std::min<size_t>(out.size() - n, cache_.size() - cache_pos_);
      std::memcpy(out.data() + n, cache_.data() + cache_pos_, k);
      cache_pos_ += k;
      pos_ += k;
      n += k;
    }
    return n;
  }

 private:
  Error Bad(std::string_view why) const {
    return Error::InvalidInput(fmt::format("squashfs: {} at byte {}: {}", entry_.path, pos_, why));
  }

  // Decodes the block that holds byte pos_ (which starts a block: reads are sequential).
  Status Next() {
    const uint32_t bs = fs_.superblock().block_size;
    const uint64_t want = std::min<uint64_t>(bs, entry_.size - pos_);
    cache_pos_ = 0;
    if (block_ < entry_.blocks.size()) {
      const uint32_t word = entry_.blocks[block_++];
      const uint32_t size = word & ~kStoredBlock;
      if (size == 0) {  // a hole
        cache_.assign(want, 0);
        return Status::Ok();
      }
      if (!FitsIn(fs_.image(), disk_, size)) {
        return Bad(fmt::format("block of {} bytes at {:#x} outside the image", size, disk_));
      }
      ByteView in = fs_.image().subspan(disk_, size);
      disk_ += size;
      if (word & kStoredBlock) {
        if (in.size() < want) return Bad("stored block shorter than the file");
        cache_.assign(in.begin(), in.begin() + want);
        return Status::Ok();
      }
      Result<Bytes> block = fs_.decoder().Decode(in, uint32_t(want), bs);
      if (!block.ok())
        return Bad(fmt::format("block at {:#x}: {}", disk_ - size, block.error().message()));
      cache_ = *std::move(block);
      return Status::Ok();
    }
    if (entry_.fragment == UINT32_MAX) return Bad("data ends before the file");
    CLEARBOX_ASSIGN_OR_RETURN(std::shared_ptr<const Bytes> frag, fs_.Fragment(entry_.fragment));
    if (!FitsIn(frag->size(), entry_.fragment_offset, want)) {
      return Bad(fmt::format("tail of {} bytes at {} past the {} bytes of fragment {}", want,
                             entry_.fragment_offset, frag->size(), entry_.fragment));
    }
    cache_.assign(frag->begin() + entry_.fragment_offset,
                  frag->begin() + entry_.fragment_offset + want);
    return Status::Ok();
  }

  const Filesystem& fs_;
  const Entry& entry_;
  uint64_t disk_;
  size_t block_ = 0;
  uint64_t pos_ = 0;
  Bytes cache_;
  size_t cache_pos_ = 0;
};

}  // namespace

std::unique_ptr<ContentReader> Filesystem::OpenFile(const Entry& entry) const {
  return std::make_unique<FileReader>(*this, entry);
}

Result<Bytes> Filesystem::ReadFile(const Entry& entry, uint64_t max_size) const {
  if (entry.size > max_size) {
    return Error::LimitExceeded(fmt::format("{}: {} bytes", entry.path, entry.size));
  }
  FileReader reader(*this, entry);
  return internal::ReadWhole(reader, entry.size);
}

}  // namespace clearbox::unpack::squashfs_legacy
