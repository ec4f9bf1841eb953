#include "jffs2.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "clearbox/core/digest.h"
#include "decompress.h"
#include "internal/inode_tree.h"

namespace clearbox::unpack::jffs2 {
namespace {

constexpr uint16_t kNodeAccurate = 0x2000;
constexpr uint16_t kFeatureMask = 0xc000;
constexpr uint16_t kFeatureIncompat = 0xc000;
constexpr uint16_t kTypeDirent = 0xe001;
constexpr uint16_t kTypeInode = 0xe002;
constexpr uint16_t kTypeCleanmarker = 0x2003;
constexpr uint16_t kTypePadding = 0x2004;
constexpr uint16_t kTypeSummary = 0x2006;
constexpr uint16_t kTypeXattr = 0xe008;
constexpr uint16_t kTypeXref = 0xe009;
constexpr uint32_t kRootIno = 1;
constexpr uint32_t kMaxSymlink = 4096;

uint16_t Load16(const uint8_t* p, Endian e) {
  return e == Endian::kBig ? LoadBE16(p) : LoadLE16(p);
}
uint32_t Load32(const uint8_t* p, Endian e) {
  return e == Endian::kBig ? LoadBE32(p) : LoadLE32(p);
}

bool IsKnownType(uint16_t type) {
  switch (type | kNodeAccurate) {
    case kTypeDirent:
    case kTypeInode:
    case kTypeCleanmarker:
    case kTypePadding:
    case kTypeSummary:
    case kTypeXattr:
    case kTypeXref:
      return true;
    default:
      return false;
  }
}

// Header CRC as the kernel checks it: over magic, type with the ACCURATE bit set, length.
bool HeaderCrcOk(const uint8_t* p, Endian e) {
  uint8_t copy[8];
  std::memcpy(copy, p, 8);
  uint16_t type = Load16(p + 2, e) | kNodeAccurate;
  if (e == Endian::kBig) {
    StoreBE16(copy + 2, type);
  } else {
    copy[2] = static_cast<uint8_t>(type);
    copy[3] = static_cast<uint8_t>(type >> 8);
  }
  return Jffs2Crc(copy) == Load32(p + 8, e);
}

// Directory entry types (DT_*).
std::optional<NodeType> TypeFromDirent(uint8_t type) {
  switch (type) {
    case 1:
      return NodeType::kFifo;
    case 2:
      return NodeType::kCharDevice;
    case 4:
      return NodeType::kDirectory;
    case 6:
      return NodeType::kBlockDevice;
    case 8:
      return NodeType::kFile;
    case 10:
      return NodeType::kSymlink;
    case 12:
      return NodeType::kSocket;
    default:
      return std::nullopt;
  }
}

// JFFS2's own "rtime" compressor (fs/jffs2/compr_rtime.c), with every index checked.
Result<Bytes> DecodeRtime(ByteView in, uint32_t dsize, uint64_t at) {
  Bytes out(dsize);
  uint32_t positions[256] = {};
  size_t pos = 0, outpos = 0;
  auto corrupt = [&] {
    return Error::InvalidInput(
        fmt::format("jffs2: rtime data of the node at {:#x} is corrupt at byte {}", at, pos));
  };
  while (outpos < dsize) {
    if (pos + 2 > in.size()) return corrupt();
    uint8_t value = in[pos++];
    out[outpos++] = value;
    uint32_t repeat = in[pos++];
    uint32_t backoffs = positions[value];
    positions[value] = static_cast<uint32_t>(outpos);
    if (repeat > dsize - outpos) return corrupt();
    // Byte by byte: the source may overlap what is being written (a run).
    for (uint32_t i = 0; i < repeat; ++i) out[outpos++] = out[backoffs++];
  }
  return out;
}

class FileReader : public ContentReader {
 public:
  explicit FileReader(const Entry& entry) : entry_(entry) {}
  uint64_t size() const override { return entry_.size; }

  Result<size_t> Read(std::span<uint8_t> out) override {
    size_t n = 0;
    const std::vector<Fragment>& frags = entry_.fragments;
    while (n < out.size() && pos_ < entry_.size) {
      while (index_ < frags.size() && frags[index_].end <= pos_) ++index_;
      size_t k;
      if (index_ == frags.size() || frags[index_].start > pos_) {  // a hole reads as zeros
        uint64_t hole_end = index_ < frags.size() ? frags[index_].start : entry_.size;
        k = static_cast<size_t>(std::min<uint64_t>(out.size() - n, hole_end - pos_));
        std::memset(out.data() + n, 0, k);
      } else {
        const Fragment& f = frags[index_];
        if (cached_node_ != f.node) {
          cached_node_ = nullptr;
          CLEARBOX_ASSIGN_OR_RETURN(cache_, DecodeNode(*f.node));
          cached_node_ = f.node;
        }
        uint64_t from = pos_ - f.node->offset;  // < dsize: fragments lie inside their node
        k = static_cast<size_t>(std::min<uint64_t>(out.size() - n, f.end - pos_));
        std::memcpy(out.data() + n, cache_.data() + from, k);
      }
      pos_ += k;
      n += k;
    }
    return n;
  }

 private:
  const Entry& entry_;
  uint64_t pos_ = 0;
  size_t index_ = 0;
  const DataNode* cached_node_ = nullptr;
  Bytes cache_;
};

}  // namespace

uint32_t Jffs2Crc(ByteView data) { return ~Crc32(data, 0xffffffffu); }

std::optional<Endian> DetectEndian(ByteView data) {
  if (data.size() < kNodeHeaderSize) return std::nullopt;
  for (Endian e : {Endian::kBig, Endian::kLittle}) {
    if (Load16(data.data(), e) != kMagic) continue;
    uint16_t type = Load16(data.data() + 2, e);
    if (IsKnownType(type) && HeaderCrcOk(data.data(), e)) return e;
  }
  return std::nullopt;
}

Result<Bytes> DecodeNode(const DataNode& node) {
  auto fail = [&](std::string_view why) {
    return Error::InvalidInput(
        fmt::format("jffs2: data node at {:#x} (inode {}, file offset {}): {}", node.image_offset,
                    node.ino, node.offset, why));
  };
  Result<Bytes> out = Bytes();
  switch (node.compr) {
    case kComprNone:
    case kComprCopy:
      out = Bytes(node.data.begin(), node.data.end());
      break;
    case kComprZero:
      return Bytes(node.dsize, 0);
    case kComprRtime:
      out = DecodeRtime(node.data, node.dsize, node.image_offset);
      break;
    case kComprZlib: {
      // The kernel accepts zlib-wrapped and raw deflate; mkfs.jffs2 writes zlib.
      bool wrapped = node.data.size() >= 2 && (node.data[0] & 0x0f) == 8 &&
                     ((node.data[0] << 8) | node.data[1]) % 31 == 0;
      out = Decompress(wrapped ? Codec::kZlib : Codec::kDeflateRaw, node.data, node.dsize);
      break;
    }
    case kComprLzo:
      out = Decompress(Codec::kLzo1x, node.data, node.dsize);
      break;
    case kComprLzma: {
      // OpenWrt's JFFS2 LZMA: raw LZMA1, lc=0 lp=0 pb=0, 8 KiB dictionary, no end marker.
      DecompressOptions o;
      o.max_out = node.dsize;
      o.lzma = {.lc = 0, .lp = 0, .pb = 0, .dict_size = 0x2000};
      o.expected_size = node.dsize;
      auto d = DecompressEx(Codec::kLzmaRaw, node.data, o);
      if (!d.ok()) return fail(d.error().message());
      out = std::move(d->data);
      break;
    }
    case kComprRubinMips:
    case kComprDynRubin:
      return Error::Unsupported(
          fmt::format("jffs2: data node at {:#x} uses rubin compression", node.image_offset));
    default:
      return fail(fmt::format("unknown compression {}", node.compr));
  }
  if (!out.ok()) return fail(out.error().message());
  if (out->size() != node.dsize) {
    return fail(fmt::format("decodes to {} bytes, not {}", out->size(), node.dsize));
  }
  return out;
}

// Scans the node log and builds the tree.
struct Filesystem::Builder {
  struct Inode {
    uint32_t version = 0;
    uint32_t mode = 0, uid = 0, gid = 0, isize = 0, mtime = 0;
    uint64_t at = 0;
  };
  struct Dirent {
    uint32_t pino = 0, version = 0, ino = 0, mctime = 0;
    uint8_t type = 0;
    std::string name;
    uint64_t at = 0;
  };

  Builder(ByteView image_in, Endian endian, Filesystem& fs_out)
      : image(image_in), e(endian), fs(fs_out) {}

  ByteView image;
  Endian e;
  Filesystem& fs;
  internal::CappedNotes problems{fs.notes_, kMaxNotes};
  std::unordered_map<uint32_t, Inode> inodes;                  // latest metadata per inode
  std::unordered_map<uint32_t, std::vector<size_t>> data;      // data nodes per inode
  std::map<std::pair<uint32_t, std::string>, Dirent> dirents;  // latest per (parent, name)
  uint64_t obsolete = 0;

  // Records a note, at most kMaxNotes per category; the rest are summed up at the end.
  void Problem(Note::Kind kind, const std::string& category, uint64_t at, std::string message) {
    problems.Add(kind, category, at, std::move(message));
  }

  void Scan() {
    uint64_t pos = 0, nodes = 0;
    const uint64_t size = image.size();
    while (FitsIn(size, pos, kNodeHeaderSize)) {  // pos may pass size after a last odd node
      const uint8_t* p = image.data() + pos;
      if (Load16(p, e) != kMagic) {
        pos += 4;  // erased flash (0xFF), or garbage between nodes
        continue;
      }
      uint16_t type = Load16(p + 2, e);
      uint32_t totlen = Load32(p + 4, e);
      if (!HeaderCrcOk(p, e)) {
        Problem(Note::Kind::kCorrupt, "header crc", pos,
                fmt::format("node header CRC mismatch at {:#x}", pos));
        pos += 4;
        continue;
      }
      if (totlen < kNodeHeaderSize || !FitsIn(size, pos, totlen)) {
        Problem(
            Note::Kind::kCorrupt, "length", pos,
            fmt::format("node at {:#x} claims {} bytes, past the end of the image", pos, totlen));
        pos += 4;
        continue;
      }
      if (++nodes > kMaxNodes) {
        fs.notes_.push_back({Note::Kind::kLimit, "", pos,
                             fmt::format("more than {} nodes: the rest is not read", kMaxNodes)});
        break;
      }
      ByteView node = image.subspan(pos, totlen);
      fs.extent_ = pos + totlen;
      if (!(type & kNodeAccurate)) {
        ++obsolete;  // superseded; the kernel clears the bit instead of erasing
      } else if (type == kTypeDirent) {
        ReadDirent(node, pos);
      } else if (type == kTypeInode) {
        ReadInode(node, pos);
      } else if (!IsKnownType(type) && (type & kFeatureMask) == kFeatureIncompat) {
        Problem(Note::Kind::kUnsupported, "node type", pos,
                fmt::format("unknown incompatible node type {:#06x} at {:#x}", type, pos));
      }
      pos += (uint64_t{totlen} + 3) & ~uint64_t{3};
    }
  }

  void ReadDirent(ByteView node, uint64_t at) {
    const uint8_t* p = node.data();
    if (node.size() < kDirentSize) {
      Problem(
          Note::Kind::kCorrupt, "dirent", at,
          fmt::format("directory entry at {:#x} is {} bytes, shorter than 40", at, node.size()));
      return;
    }
    if (Jffs2Crc(node.first(kDirentSize - 8)) != Load32(p + 32, e)) {
      Problem(Note::Kind::kCorrupt, "dirent", at,
              fmt::format("directory entry at {:#x}: node CRC mismatch", at));
      return;
    }
    uint8_t nsize = p[28];
    if (!FitsIn(node.size(), kDirentSize, nsize)) {
      Problem(
          Note::Kind::kCorrupt, "dirent", at,
          fmt::format("directory entry at {:#x}: name of {} bytes runs past the node", at, nsize));
      return;
    }
    ByteView name = node.subspan(kDirentSize, nsize);
    if (Jffs2Crc(name) != Load32(p + 36, e)) {
      Problem(Note::Kind::kCorrupt, "dirent", at,
              fmt::format("directory entry at {:#x}: name CRC mismatch", at));
      return;
    }
    Dirent d{Load32(p + 12, e),
             Load32(p + 16, e),
             Load32(p + 20, e),
             Load32(p + 24, e),
             p[29],
             std::string(AsChars(name)),
             at};
    auto [it, fresh] = dirents.try_emplace({d.pino, d.name}, d);
    if (!fresh && d.version >= it->second.version) it->second = std::move(d);
  }

  void ReadInode(ByteView node, uint64_t at) {
    const uint8_t* p = node.data();
    if (node.size() < kInodeSize) {
      Problem(Note::Kind::kCorrupt, "inode", at,
              fmt::format("inode node at {:#x} is {} bytes, shorter than 68", at, node.size()));
      return;
    }
    if (Jffs2Crc(node.first(kInodeSize - 8)) != Load32(p + 64, e)) {
      Problem(Note::Kind::kCorrupt, "inode", at,
              fmt::format("inode node at {:#x}: node CRC mismatch", at));
      return;
    }
    uint32_t ino = Load32(p + 12, e), version = Load32(p + 16, e);
    uint32_t offset = Load32(p + 44, e), csize = Load32(p + 48, e), dsize = Load32(p + 52, e);
    uint8_t compr = p[56];
    if (!FitsIn(node.size(), kInodeSize, csize)) {
      Problem(Note::Kind::kCorrupt, "inode", at,
              fmt::format("inode node at {:#x}: {} bytes of data run past the node", at, csize));
      return;
    }
    if (dsize > kMaxNodeData || uint64_t{offset} + dsize > UINT32_MAX) {
      Problem(Note::Kind::kCorrupt, "inode", at,
              fmt::format("inode node at {:#x}: {} bytes of data at file offset {} is impossible",
                          at, dsize, offset));
      return;
    }
    ByteView payload = node.subspan(kInodeSize, csize);
    if (Jffs2Crc(payload) != Load32(p + 60, e)) {
      Problem(Note::Kind::kCorrupt, "data crc", at,
              fmt::format("inode node at {:#x}: data CRC mismatch", at));
      return;
    }
    if (ino == 0) {
      Problem(Note::Kind::kCorrupt, "inode", at,
              fmt::format("inode node at {:#x} has inode 0", at));
      return;
    }
    Inode meta{version,
               Load32(p + 20, e),
               Load16(p + 24, e),
               Load16(p + 26, e),
               Load32(p + 28, e),
               Load32(p + 36, e),
               at};
    auto [it, fresh] = inodes.try_emplace(ino, meta);
    if (!fresh && version >= it->second.version) it->second = meta;
    if (dsize > 0) {
      data[ino].push_back(fs.data_nodes_->size());
      fs.data_nodes_->push_back(DataNode{ino, version, offset, dsize, compr, at, payload});
    }
  }

  // Layers an inode's data nodes in version order and cuts them at `size`.
  std::vector<Fragment> Fragments(uint32_t ino, uint64_t size) {
    auto it = data.find(ino);
    if (it == data.end()) return {};
    std::vector<const DataNode*> nodes;
    for (size_t i : it->second) nodes.push_back(&(*fs.data_nodes_)[i]);
    std::stable_sort(nodes.begin(), nodes.end(),
                     [](const DataNode* a, const DataNode* b) { return a->version < b->version; });
    std::map<uint64_t, Fragment> map;  // by start
    for (const DataNode* n : nodes) {
      uint64_t s = n->offset, end = uint64_t{n->offset} + n->dsize;
      auto cur = map.lower_bound(s);
      if (cur != map.begin()) {
        auto prev = std::prev(cur);
        if (prev->second.end > s) {  // split the older fragment around the new one
          if (prev->second.end > end) map[end] = Fragment{end, prev->second.end, prev->second.node};
          prev->second.end = s;
        }
      }
      while (cur != map.end() && cur->first < end) {
        if (cur->second.end > end) {
          Fragment tail{end, cur->second.end, cur->second.node};
          cur = map.erase(cur);
          map[end] = tail;
          break;
        }
        cur = map.erase(cur);
      }
      map[s] = Fragment{s, end, n};
    }
    std::vector<Fragment> out;
    for (auto& [start, f] : map) {
      if (f.start >= size) break;
      f.end = std::min(f.end, size);
      if (f.end > f.start) out.push_back(f);
    }
    return out;
  }

  // The first bytes of an inode's data (symlink targets, device numbers).
  std::optional<Bytes> SmallContent(uint32_t ino, uint64_t size, uint64_t at,
                                    const std::string& path) {
    Entry tmp;
    tmp.size = size;
    tmp.fragments = Fragments(ino, size);
    FileReader reader(tmp);
    Bytes out(size);
    Result<size_t> n = reader.Read(out);
    if (!n.ok()) {
      Problem(Note::Kind::kCorrupt, "content", at,
              fmt::format("{}: {}", path, n.error().message()));
      return std::nullopt;
    }
    return out;
  }

  void Fill(Entry& entry, uint32_t ino, const Inode& meta) {
    entry.mode = meta.mode & 07777;
    entry.uid = meta.uid;
    entry.gid = meta.gid;
    entry.mtime = meta.mtime;
    switch (entry.type) {
      case NodeType::kFile:
        entry.size = meta.isize;
        entry.fragments = Fragments(ino, meta.isize);
        break;
      case NodeType::kSymlink: {
        uint64_t len = std::min<uint64_t>(meta.isize, kMaxSymlink);
        if (meta.isize > kMaxSymlink) {
          Problem(Note::Kind::kCorrupt, "content", meta.at,
                  fmt::format("{}: symlink target of {} bytes cut to {}", entry.path, meta.isize,
                              kMaxSymlink));
        }
        if (auto target = SmallContent(ino, len, meta.at, entry.path)) {
          entry.link_target.assign(target->begin(), target->end());
        }
        entry.size = entry.link_target.size();
        break;
      }
      case NodeType::kCharDevice:
      case NodeType::kBlockDevice: {
        auto it = data.find(ino);
        if (it == data.end()) break;
        const DataNode& n = (*fs.data_nodes_)[it->second.back()];
        Result<Bytes> dev = DecodeNode(n);
        if (dev.ok() && dev->size() == 2) {  // old_encode_dev
          uint16_t v = Load16(dev->data(), e);
          entry.dev_major = v >> 8;
          entry.dev_minor = v & 0xff;
        } else if (dev.ok() && dev->size() == 4) {  // new_encode_dev
          uint32_t v = Load32(dev->data(), e);
          entry.dev_major = (v & 0xfff00) >> 8;
          entry.dev_minor = (v & 0xff) | ((v >> 12) & 0xfff00);
        } else {
          Problem(Note::Kind::kCorrupt, "content", n.image_offset,
                  fmt::format("{}: device number of {} bytes", entry.path, n.dsize));
        }
        break;
      }
      default:
        break;
    }
  }

  void BuildTree() {
    internal::InodeTree tree;
    tree.root = kRootIno;
    tree.max_depth = kMaxDepth;
    // dirents is ordered by (parent, name), so each child list is already sorted by name.
    for (const auto& [key, d] : dirents) {
      if (d.ino != 0) {  // ino 0: the name was deleted
        tree.children[d.pino].push_back({d.name, d.ino, TypeFromDirent(d.type), d.at});
      }
    }
    tree.mode = [&](uint64_t ino) -> std::optional<uint32_t> {
      if (ino > UINT32_MAX) return std::nullopt;
      auto meta = inodes.find(uint32_t(ino));
      if (meta == inodes.end()) return std::nullopt;
      return meta->second.mode;
    };
    auto place = [&](internal::PlacedName p) {
      Entry entry;
      entry.path = std::move(p.path);
      entry.type = p.type;
      entry.ino = uint32_t(p.ino);
      entry.link_target = std::move(p.link_target);
      if (auto meta = inodes.find(entry.ino); meta != inodes.end()) {
        if (entry.type == NodeType::kHardLink) {
          entry.mode = meta->second.mode & 07777;
          entry.uid = meta->second.uid;
          entry.gid = meta->second.gid;
          entry.mtime = meta->second.mtime;
        } else {
          Fill(entry, entry.ino, meta->second);
        }
      }
      fs.entries_.push_back(std::move(entry));
    };
    auto problem = [&](Note::Kind kind, const std::string& category, uint64_t at,
                       std::string message) { Problem(kind, category, at, std::move(message)); };
    std::unordered_map<uint64_t, std::string> seen = internal::WalkInodeTree(tree, place, problem);

    size_t orphans = 0;
    for (const auto& [ino, meta] : inodes) orphans += !seen.contains(ino);
    if (orphans > 0) {
      fs.notes_.push_back({Note::Kind::kInfo, "", 0,
                           fmt::format("{} inode{} in no directory (deleted files whose nodes "
                                       "remain on flash)",
                                       orphans, orphans == 1 ? " is" : "s are")});
    }
    if (obsolete > 0) {
      fs.notes_.push_back(
          {Note::Kind::kInfo, "", 0, fmt::format("{} obsolete nodes skipped", obsolete)});
    }
    problems.Finish();
  }
};

Filesystem::Filesystem(Filesystem&&) noexcept = default;
Filesystem& Filesystem::operator=(Filesystem&&) noexcept = default;
Filesystem::~Filesystem() = default;

Result<Filesystem> Filesystem::Parse(ByteView image, Endian endian) {
  if (image.size() < kNodeHeaderSize || Load16(image.data(), endian) != kMagic ||
      !HeaderCrcOk(image.data(), endian)) {
    return Error::InvalidInput("jffs2: no valid node header at offset 0");
  }
  Filesystem fs;
  fs.endian_ = endian;
  fs.data_nodes_ = std::make_unique<std::vector<DataNode>>();
  Builder b(image, endian, fs);
  b.Scan();
  b.BuildTree();
  return fs;
}

std::unique_ptr<ContentReader> Filesystem::OpenFile(const Entry& entry) const {
  return std::make_unique<FileReader>(entry);
}

Result<Bytes> Filesystem::ReadFile(const Entry& entry, uint64_t max_size) const {
  if (entry.size > max_size) {
    return Error::LimitExceeded(fmt::format("jffs2: {} is {} bytes, over the limit of {}",
                                            entry.path, entry.size, max_size));
  }
  FileReader reader(entry);
  return internal::ReadWhole(reader, entry.size);
}

}  // namespace clearbox::unpack::jffs2
