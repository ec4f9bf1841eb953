// The EROFS reader (erofs.h). Field offsets follow the on-disk structures of the kernel's
// fs/erofs/erofs_fs.h (erofs_super_block, erofs_inode_compact/extended, erofs_dirent).
#include "erofs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <unordered_map>
#include <unordered_set>

#include "internal/format.h"
#include "internal/inode_tree.h"

namespace clearbox::unpack::erofs {
namespace {

constexpr uint32_t kMagic = 0xE0F5E1E2;
constexpr uint64_t kSlotBytes = 32;  // nids count 32-byte slots
constexpr uint32_t kNullAddress = 0xFFFFFFFF;
constexpr size_t kMaxSymlink = 4096;

enum Layout : uint32_t {
  kFlatPlain = 0,
  kCompressedFull = 1,
  kFlatInline = 2,
  kCompressedCompact = 3,
  kChunkBased = 4,
};

// Directory entry file types (EROFS_FT_*).
std::optional<NodeType> TypeFromDirent(uint8_t t) {
  switch (t) {
    case 1: return NodeType::kFile;
    case 2: return NodeType::kDirectory;
    case 3: return NodeType::kCharDevice;
    case 4: return NodeType::kBlockDevice;
    case 5: return NodeType::kFifo;
    case 6: return NodeType::kSocket;
    case 7: return NodeType::kSymlink;
    default: return std::nullopt;
  }
}

struct Inode {
  uint64_t at = 0;  // offset in the image
  uint32_t layout = 0;
  uint32_t mode = 0;
  uint64_t size = 0;
  uint32_t u = 0;  // raw_blkaddr, rdev or chunk format
  uint32_t uid = 0, gid = 0;
  int64_t mtime = 0;
  uint64_t body_end = 0;  // end of the inode and its extended attributes
};

std::string HexUuid(const uint8_t* p) {
  std::string s;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += fmt::format("{:02x}", p[i]);
  }
  return s;
}

}  // namespace

std::optional<Superblock> ReadSuperblock(ByteView data) {
  if (!FitsIn(data, kSuperblockOffset, 128)) return std::nullopt;
  const uint8_t* p = data.data() + kSuperblockOffset;
  if (LoadLE32(p) != kMagic) return std::nullopt;
  const uint8_t blkszbits = p[12];
  if (blkszbits < 9 || blkszbits > 16) return std::nullopt;
  Superblock sb;
  sb.block_size = 1u << blkszbits;
  sb.feature_compat = LoadLE32(p + 8);
  sb.root_nid = LoadLE16(p + 14);
  sb.inodes = LoadLE64(p + 16);
  sb.build_time = static_cast<int64_t>(LoadLE64(p + 24));
  sb.blocks = LoadLE32(p + 36);
  sb.meta_blkaddr = LoadLE32(p + 40);
  sb.uuid = HexUuid(p + 48);
  const char* name = reinterpret_cast<const char*>(p + 64);
  sb.volume_name.assign(name, strnlen(name, 16));
  sb.feature_incompat = LoadLE32(p + 80);
  const uint64_t claimed = uint64_t{sb.blocks} * sb.block_size;
  const uint64_t root_at = uint64_t{sb.meta_blkaddr} * sb.block_size + sb.root_nid * kSlotBytes;
  if (claimed < kSuperblockOffset + 128 || root_at + kSlotBytes > claimed) return std::nullopt;
  return sb;
}

// Builds a Filesystem: reads inodes on demand, the directories reachable from the root (each
// once), then places the names with WalkInodeTree.
class Builder {
 public:
  Builder(ByteView image, Filesystem& fs) : img_(image), fs_(fs), notes_(fs.notes_, kMaxNotes) {}

  void Run() {
    const Superblock& sb = fs_.sb_;
    internal::InodeTree tree;
    tree.root = sb.root_nid;
    tree.max_depth = kMaxDepth;
    std::deque<uint64_t> dirs{sb.root_nid};
    std::unordered_set<uint64_t> listed{sb.root_nid};
    size_t names = 0;
    while (!dirs.empty() && names < kMaxEntries) {
      const uint64_t nid = dirs.front();
      dirs.pop_front();
      const Inode* inode = InodeAt(nid);
      if (inode == nullptr || TypeOf(*inode) != NodeType::kDirectory) continue;
      std::vector<internal::DirLink>& children = tree.children[nid];
      ReadDirectory(nid, *inode, children);
      names += children.size();
      for (const internal::DirLink& link : children) {
        if (link.type == NodeType::kDirectory && listed.insert(link.ino).second) {
          dirs.push_back(link.ino);
        }
      }
    }
    if (names >= kMaxEntries) {
      notes_.Add(Note::Kind::kLimit, "entries", 0,
                 fmt::format("erofs: more than {} entries: the rest is not listed", kMaxEntries));
    }
    tree.mode = [this](uint64_t nid) -> std::optional<uint32_t> {
      const Inode* inode = InodeAt(nid);
      if (inode == nullptr) return std::nullopt;
      return inode->mode;
    };
    auto place = [this](internal::PlacedName p) { Place(std::move(p)); };
    auto problem = [this](Note::Kind kind, const std::string& category, uint64_t at,
                          std::string message) {
      notes_.Add(kind, category, at, "erofs: " + message);
    };
    internal::WalkInodeTree(tree, place, problem);
    if (compressed_files_ > 0) {
      fs_.notes_.push_back(
          {Note::Kind::kUnsupported, "", 0,
           fmt::format("erofs: {} compressed file{} listed without content (EROFS compression "
                       "is not read yet)",
                       compressed_files_, compressed_files_ == 1 ? "" : "s")});
    }
    notes_.Finish();
  }

 private:
  std::optional<NodeType> TypeOf(const Inode& inode) const {
    return internal::TypeFromMode(inode.mode);
  }

  // The inode `nid`, read once; nullptr (and a note) when it lies outside the image or is
  // malformed.
  const Inode* InodeAt(uint64_t nid) {
    if (auto it = inodes_.find(nid); it != inodes_.end()) return it->second ? &*it->second : nullptr;
    std::optional<Inode> inode = ReadInode(nid);
    auto [it, fresh] = inodes_.emplace(nid, std::move(inode));
    return it->second ? &*it->second : nullptr;
  }

  std::optional<Inode> ReadInode(uint64_t nid) {
    const Superblock& sb = fs_.sb_;
    const uint64_t at = uint64_t{sb.meta_blkaddr} * sb.block_size + nid * kSlotBytes;
    if (nid > (uint64_t{1} << 40) || !FitsIn(img_, at, kSlotBytes)) {
      notes_.Add(Note::Kind::kCorrupt, "inode", at,
                 fmt::format("erofs: inode {} lies outside the image", nid));
      return std::nullopt;
    }
    const uint8_t* p = img_.data() + at;
    const uint16_t format = LoadLE16(p);
    const bool extended = (format & 1) != 0;
    Inode inode;
    inode.at = at;
    inode.layout = (format >> 1) & 7;
    const uint16_t xattr_count = LoadLE16(p + 2);
    inode.mode = LoadLE16(p + 4);
    inode.u = LoadLE32(p + 16);
    uint64_t inode_size = kSlotBytes;
    if (extended) {
      inode_size = 64;
      if (!FitsIn(img_, at, inode_size)) {
        notes_.Add(Note::Kind::kCorrupt, "inode", at,
                   fmt::format("erofs: extended inode {} runs past the image", nid));
        return std::nullopt;
      }
      inode.size = LoadLE64(p + 8);
      inode.uid = LoadLE32(p + 24);
      inode.gid = LoadLE32(p + 28);
      inode.mtime = static_cast<int64_t>(LoadLE64(p + 32));
    } else {
      inode.size = LoadLE32(p + 8);
      inode.uid = LoadLE16(p + 24);
      inode.gid = LoadLE16(p + 26);
      inode.mtime = sb.build_time;
    }
    const uint64_t xattr_size = xattr_count == 0 ? 0 : 12 + 4 * uint64_t{xattr_count - 1u};
    inode.body_end = at + inode_size + xattr_size;
    if (!internal::TypeFromMode(inode.mode)) {
      notes_.Add(Note::Kind::kCorrupt, "inode", at,
                 fmt::format("erofs: inode {} has an unknown file type (mode {:o})", nid,
                             inode.mode));
      return std::nullopt;
    }
    return inode;
  }

  // Where an uncompressed inode's bytes are; false (and a note) when they cannot be located.
  bool ExtentsOf(uint64_t nid, const Inode& inode, std::vector<Extent>& out) {
    const uint64_t bs = fs_.sb_.block_size;
    const uint64_t size = inode.size;
    if (size == 0) return true;
    if (size > img_.size() * 64 + (uint64_t{1} << 32)) {  // chunks may be holes, but not forever
      return Bad(inode, fmt::format("erofs: inode {} claims {} bytes", nid, size));
    }
    auto add = [&](uint64_t offset, uint64_t length) {
      if (!FitsIn(img_, offset, length)) return false;
      if (!out.empty() && !out.back().hole && out.back().offset + out.back().length == offset) {
        out.back().length += length;
      } else {
        out.push_back({offset, length, false});
      }
      return true;
    };
    switch (inode.layout) {
      case kFlatPlain:
        if (!add(uint64_t{inode.u} * bs, size)) {
          return Bad(inode, fmt::format("erofs: the data of inode {} ({} bytes at block {}) runs "
                                        "past the image",
                                        nid, size, inode.u));
        }
        return true;
      case kFlatInline: {
        // Every block but the last from raw_blkaddr; the last (partial) one after the inode.
        const uint64_t blocks = (size + bs - 1) / bs;
        const uint64_t head = (blocks - 1) * bs;
        const uint64_t tail = size - head;
        if (head > 0 && !add(uint64_t{inode.u} * bs, head)) {
          return Bad(inode, fmt::format("erofs: the blocks of inode {} run past the image", nid));
        }
        if (inode.body_end % bs + tail > bs || !add(inode.body_end, tail)) {
          return Bad(inode, fmt::format("erofs: the inline tail of inode {} ({} bytes) crosses "
                                        "a block or the end of the image",
                                        nid, tail));
        }
        return true;
      }
      case kChunkBased: {
        const uint32_t chunk_bits = inode.u & 0x1f;
        const bool indexes = (inode.u & 0x20) != 0;
        if (chunk_bits > 31) return Bad(inode, "erofs: chunk size out of range");
        const uint64_t chunk = bs << chunk_bits;
        const uint64_t chunks = (size + chunk - 1) / chunk;
        const uint64_t unit = indexes ? 8 : 4;
        const uint64_t table = (inode.body_end + unit - 1) / unit * unit;
        if (chunks > img_.size() || !FitsIn(img_, table, chunks * unit)) {
          return Bad(inode, fmt::format("erofs: the chunk table of inode {} ({} chunks) runs "
                                        "past the image",
                                        nid, chunks));
        }
        for (uint64_t i = 0; i < chunks; ++i) {
          const uint8_t* entry = img_.data() + table + i * unit;
          const uint32_t block = indexes ? LoadLE32(entry + 4) : LoadLE32(entry);
          const uint64_t length = std::min(chunk, size - i * chunk);
          if (block == kNullAddress) {
            out.push_back({0, length, true});
          } else if (indexes && LoadLE16(entry + 2) != 0) {
            return Bad(inode, fmt::format("erofs: inode {} keeps data on another device", nid));
          } else if (!add(uint64_t{block} * bs, length)) {
            return Bad(inode, fmt::format("erofs: chunk {} of inode {} lies past the image", i,
                                          nid));
          }
        }
        return true;
      }
      case kCompressedFull:
      case kCompressedCompact:
        return false;
      default:
        return Bad(inode, fmt::format("erofs: inode {} has unknown data layout {}", nid,
                                      inode.layout));
    }
  }

  bool Bad(const Inode& inode, std::string message) {
    notes_.Add(Note::Kind::kCorrupt, "data", inode.at, std::move(message));
    return false;
  }

  void ReadDirectory(uint64_t nid, const Inode& dir, std::vector<internal::DirLink>& out) {
    if (dir.layout == kCompressedFull || dir.layout == kCompressedCompact) {
      notes_.Add(Note::Kind::kUnsupported, "dir", dir.at,
                 fmt::format("erofs: directory inode {} is compressed: not listed", nid));
      return;
    }
    std::vector<Extent> extents;
    if (!ExtentsOf(nid, dir, extents)) return;
    const uint64_t bs = fs_.sb_.block_size;
    for (const Extent& e : extents) {
      if (e.hole) continue;
      for (uint64_t pos = 0; pos < e.length; pos += bs) {
        ReadDirectoryBlock(img_.subspan(e.offset + pos, std::min(bs, e.length - pos)),
                           e.offset + pos, out);
      }
    }
  }

  // One directory block: entries (nid, name offset, type), then the names they point at; the
  // first entry's name offset says how many entries there are.
  void ReadDirectoryBlock(ByteView block, uint64_t at, std::vector<internal::DirLink>& out) {
    constexpr size_t kDirent = 12;
    if (block.size() < kDirent) return;
    const uint16_t first_name = LoadLE16(block.data() + 8);
    if (first_name < kDirent || first_name % kDirent != 0 || first_name > block.size()) {
      notes_.Add(Note::Kind::kCorrupt, "dirent", at,
                 fmt::format("erofs: directory block at {:#x} has a bad first name offset {}",
                             at, first_name));
      return;
    }
    const size_t count = first_name / kDirent;
    for (size_t i = 0; i < count; ++i) {
      const uint8_t* d = block.data() + i * kDirent;
      const uint64_t nid = LoadLE64(d);
      const size_t start = LoadLE16(d + 8);
      size_t end = i + 1 < count ? LoadLE16(d + kDirent + 8) : block.size();
      if (start < first_name || end > block.size() || start > end) {
        notes_.Add(Note::Kind::kCorrupt, "dirent", at + i * kDirent,
                   fmt::format("erofs: the name of entry {} in the directory block at {:#x} "
                               "lies outside it",
                               i, at));
        return;
      }
      const char* name = reinterpret_cast<const char*>(block.data() + start);
      if (i + 1 == count) end = start + strnlen(name, end - start);  // the last: up to a NUL
      std::string_view n(name, end - start);
      if (n.empty() || n == "." || n == "..") continue;
      if (n.find('/') != std::string_view::npos) {
        notes_.Add(Note::Kind::kCorrupt, "name", at + i * kDirent,
                   fmt::format("erofs: a name with '/' in the directory block at {:#x} is "
                               "skipped",
                               at));
        continue;
      }
      out.push_back({n, nid, TypeFromDirent(d[10]), at + i * kDirent});
    }
  }

  void Place(internal::PlacedName p) {
    Entry e;
    e.path = std::move(p.path);
    e.type = p.type;
    e.link_target = std::move(p.link_target);
    const Inode* inode = InodeAt(p.ino);
    if (inode != nullptr) {
      e.mode = inode->mode & 07777;
      e.uid = inode->uid;
      e.gid = inode->gid;
      e.mtime = inode->mtime;
    }
    if (inode != nullptr && p.type != NodeType::kHardLink) Fill(p.ino, *inode, e);
    fs_.entries_.push_back(std::move(e));
  }

  void Fill(uint64_t nid, const Inode& inode, Entry& e) {
    switch (e.type) {
      case NodeType::kFile:
        e.size = inode.size;
        if (inode.layout == kCompressedFull || inode.layout == kCompressedCompact) {
          e.compressed = true;
          ++compressed_files_;
        } else if (!ExtentsOf(nid, inode, e.extents)) {
          e.extents.clear();
          e.unreadable = true;
        }
        break;
      case NodeType::kSymlink: {
        std::vector<Extent> extents;
        if (inode.size > kMaxSymlink || !ExtentsOf(nid, inode, extents)) break;
        for (const Extent& x : extents) {
          if (!x.hole) e.link_target.append(AsChars(img_.subspan(x.offset, x.length)));
        }
        e.size = e.link_target.size();
        break;
      }
      case NodeType::kCharDevice:
      case NodeType::kBlockDevice:
        // Linux's new_encode_dev: 12 bits of major, 20 of minor, interleaved.
        e.dev_major = (inode.u & 0xfff00) >> 8;
        e.dev_minor = (inode.u & 0xff) | ((inode.u >> 12) & 0xfff00);
        break;
      default:
        break;
    }
  }

  ByteView img_;
  Filesystem& fs_;
  internal::CappedNotes notes_;
  std::unordered_map<uint64_t, std::optional<Inode>> inodes_;
  size_t compressed_files_ = 0;
};

Result<Filesystem> Filesystem::Parse(ByteView image) {
  std::optional<Superblock> sb = ReadSuperblock(image);
  if (!sb) return Error::InvalidInput("erofs: no EROFS superblock at offset 1024");
  Filesystem fs;
  fs.sb_ = *sb;
  const uint64_t claimed = uint64_t{sb->blocks} * sb->block_size;
  if (claimed > image.size()) {
    fs.notes_.push_back({Note::Kind::kCorrupt, "", 0,
                         fmt::format("erofs: the superblock says {} bytes, the image has {}: the "
                                     "rest is missing",
                                     claimed, image.size())});
  }
  fs.image_ = image.first(static_cast<size_t>(std::min<uint64_t>(image.size(), claimed)));
  fs.extent_ = fs.image_.size();
  Builder(fs.image_, fs).Run();
  return fs;
}

std::unique_ptr<ContentReader> Filesystem::OpenFile(const Entry& entry) const {
  if (entry.compressed || entry.unreadable) return nullptr;
  return std::make_unique<internal::ExtentReader>(image_, entry.extents, entry.size);
}

Result<Bytes> Filesystem::ReadFile(const Entry& entry, uint64_t max_size) const {
  if (entry.compressed) {
    return Error::Unsupported(fmt::format("erofs: {} is compressed", entry.path));
  }
  if (entry.unreadable) {
    return Error::InvalidInput(fmt::format("erofs: the data of {} cannot be located", entry.path));
  }
  if (entry.size > max_size) {
    return Error::LimitExceeded(fmt::format("erofs: {} is {} bytes, over the limit of {}",
                                            entry.path, entry.size, max_size));
  }
  internal::ExtentReader reader(image_, entry.extents, entry.size);
  return internal::ReadWhole(reader, entry.size);
}

}  // namespace clearbox::unpack::erofs
