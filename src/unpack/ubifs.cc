#include "ubifs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "clearbox/core/digest.h"
#include "decompress.h"
#include "internal/inode_tree.h"

namespace clearbox::unpack::ubifs {
namespace {

// Node types (UBIFS_*_NODE).
enum NodeKind : uint8_t {
  kIno = 0,
  kData = 1,
  kDent = 2,
  kXent = 3,
  kTrun = 4,
  kPad = 5,
  kSb = 6,
  kMst = 7,
  kRef = 8,
  kIdx = 9,
  kCs = 10,
};

constexpr size_t kInoNodeSize = 160;
constexpr size_t kDentNodeSize = 56;
constexpr size_t kDataNodeSize = 48;
constexpr size_t kIdxNodeSize = 28;
constexpr size_t kBranchSize = 20;  // lnum, offs, len and an 8-byte simple key
constexpr size_t kMstNodeSize = 512;
constexpr uint32_t kMasterLnum = 1;
constexpr uint32_t kLogLnum = 3;
constexpr uint64_t kRootInum = 1;
constexpr uint32_t kXattrFlag = 0x20;
constexpr uint32_t kMaxSymlink = 4096;
constexpr uint32_t kKeyBlockMask = 0x1fffffff;

// Directory entry types (UBIFS_ITYPE_*).
std::optional<NodeType> TypeFromDent(uint8_t type) {
  static constexpr NodeType kTypes[] = {
      NodeType::kFile,       NodeType::kDirectory, NodeType::kSymlink, NodeType::kBlockDevice,
      NodeType::kCharDevice, NodeType::kFifo,      NodeType::kSocket};
  if (type < std::size(kTypes)) return kTypes[type];
  return std::nullopt;
}

struct RawNode {
  ByteView bytes;   // the whole node
  uint64_t at = 0;  // volume offset
  uint8_t type = 0;
  uint64_t sqnum = 0;
};

class FileReader : public ContentReader {
 public:
  explicit FileReader(const Entry& entry) : entry_(entry) {}
  uint64_t size() const override { return entry_.size; }

  Result<size_t> Read(std::span<uint8_t> out) override {
    size_t n = 0;
    while (n < out.size() && pos_ < entry_.size) {
      uint64_t block = pos_ / kBlockSize;
      uint64_t within = pos_ % kBlockSize;
      size_t k = static_cast<size_t>(
          std::min<uint64_t>({out.size() - n, kBlockSize - within, entry_.size - pos_}));
      while (index_ < entry_.blocks.size() && entry_.blocks[index_].block < block) ++index_;
      const DataBlock* b = index_ < entry_.blocks.size() && entry_.blocks[index_].block == block
                               ? &entry_.blocks[index_]
                               : nullptr;
      if (b && within < b->size) {
        if (cached_ != b) {
          cached_ = nullptr;
          CLEARBOX_ASSIGN_OR_RETURN(cache_, DecodeBlock(*b));
          cached_ = b;
        }
        k = std::min<size_t>(k, b->size - within);
        std::memcpy(out.data() + n, cache_.data() + within, k);
      } else {
        // A hole, or the tail of a short block: zeros up to the next block boundary.
        std::memset(out.data() + n, 0, k);
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
  const DataBlock* cached_ = nullptr;
  Bytes cache_;
};

}  // namespace

uint32_t UbifsCrc(ByteView data) { return ~Crc32(data); }

std::optional<Superblock> ReadSuperblock(ByteView v) {
  if (v.size() < 4096 || LoadLE32(v.data()) != kMagic || v[20] != kSb) return std::nullopt;
  uint32_t len = LoadLE32(v.data() + 16);
  if (len < 96 || len > v.size()) return std::nullopt;
  if (UbifsCrc(v.subspan(8, len - 8)) != LoadLE32(v.data() + 4)) return std::nullopt;
  const uint8_t* p = v.data();
  Superblock sb;
  sb.key_hash = p[26];
  sb.key_fmt = p[27];
  sb.flags = LoadLE32(p + 28);
  sb.min_io_size = LoadLE32(p + 32);
  sb.leb_size = LoadLE32(p + 36);
  sb.leb_cnt = LoadLE32(p + 40);
  sb.log_lebs = LoadLE32(p + 56);
  sb.fmt_version = LoadLE32(p + 80);
  sb.default_compr = LoadLE16(p + 84);
  if (sb.leb_size < 512 || sb.leb_size > (32u << 20) || sb.leb_size < len || sb.leb_cnt < 4) {
    return std::nullopt;
  }
  return sb;
}

class Filesystem::Builder {
 public:
  Builder(ByteView volume, Filesystem& fs) : v_(volume), fs_(fs), sb_(fs.sb_) {}

  Status Run() {
    if (sb_.key_fmt != 0) {
      return Error::Unsupported(
          fmt::format("ubifs: key format {} (only the simple format exists)", sb_.key_fmt));
    }
    std::optional<RawNode> master = NewestMaster();
    if (!master) return Error::InvalidInput("ubifs: no valid master node in LEBs 1 and 2");
    const uint8_t* m = master->bytes.data();
    uint64_t cmt_no = LoadLE64(m + 32);
    uint32_t log_lnum = LoadLE32(m + 44);
    WalkIndex(LoadLE32(m + 48), LoadLE32(m + 52), LoadLE32(m + 56));
    ReplayJournal(log_lnum, cmt_no);
    BuildTree();
    problems_.Finish();
    return Status::Ok();
  }

 private:
  struct Inode {
    uint64_t sqnum = 0;
    uint64_t size = 0;
    uint32_t mode = 0, uid = 0, gid = 0, flags = 0;
    int64_t mtime = 0;
    ByteView data;  // symlink target, device number
    uint64_t at = 0;
  };
  struct Dent {
    uint64_t sqnum = 0;
    uint64_t inum = 0;
    uint8_t type = 0;
    uint64_t at = 0;
  };
  struct Block {
    uint64_t sqnum = 0;
    DataBlock block;
  };

  void Problem(Note::Kind kind, const std::string& category, uint64_t at, std::string message) {
    problems_.Add(kind, category, at, std::move(message));
  }

  // LEBs the volume holds, the last one possibly cut short (a truncated image).
  uint64_t LebCount() const { return (v_.size() + sb_.leb_size - 1) / sb_.leb_size; }

  // The node at (lnum, offs) if it lies inside its LEB and the volume and its CRC verifies.
  std::optional<RawNode> NodeAt(uint32_t lnum, uint32_t offs) const {
    if (lnum >= LebCount() || !FitsIn(sb_.leb_size, offs, kCommonHeaderSize)) return std::nullopt;
    uint64_t at = uint64_t{lnum} * sb_.leb_size + offs;
    if (!FitsIn(v_.size(), at, kCommonHeaderSize)) return std::nullopt;
    const uint8_t* p = v_.data() + at;
    if (LoadLE32(p) != kMagic) return std::nullopt;
    uint32_t len = LoadLE32(p + 16);
    if (len < kCommonHeaderSize || !FitsIn(sb_.leb_size, offs, len) ||
        !FitsIn(v_.size(), at, len)) {
      return std::nullopt;
    }
    ByteView node = v_.subspan(at, len);
    if (UbifsCrc(node.subspan(8)) != LoadLE32(p + 4)) return std::nullopt;
    return RawNode{node, at, p[20], LoadLE64(p + 8)};
  }

  // Every valid node of a LEB from `offs` on, in order; invalid bytes are stepped over
  // 8 at a time (nodes are 8-byte aligned).
  template <typename Fn>
  void ScanLeb(uint32_t lnum, uint32_t offs, Fn fn) const {
    offs &= ~7u;
    while (offs + kCommonHeaderSize <= sb_.leb_size) {
      std::optional<RawNode> node = NodeAt(lnum, offs);
      if (!node) {
        offs += 8;
        continue;
      }
      if (!fn(*node)) return;
      uint64_t next = offs + ((node->bytes.size() + 7) & ~size_t{7});
      if (node->type == kPad && node->bytes.size() >= 28) next += LoadLE32(node->bytes.data() + 24);
      if (next > sb_.leb_size) return;
      offs = static_cast<uint32_t>((next + 7) & ~uint64_t{7});
    }
  }

  std::optional<RawNode> NewestMaster() const {
    std::optional<RawNode> best;
    for (uint32_t lnum : {kMasterLnum, kMasterLnum + 1}) {
      ScanLeb(lnum, 0, [&](const RawNode& n) {
        if (n.type == kMst && n.bytes.size() >= kMstNodeSize && (!best || n.sqnum > best->sqnum)) {
          best = n;
        }
        return true;
      });
    }
    return best;
  }

  // Walks the index B+ tree from its root, iteratively, each node at most once.
  void WalkIndex(uint32_t root_lnum, uint32_t root_offs, uint32_t root_len) {
    struct Ref {
      uint32_t lnum, offs, len;
      size_t depth;
    };
    std::vector<Ref> stack = {{root_lnum, root_offs, root_len, 0}};
    std::set<std::pair<uint32_t, uint32_t>> visited;
    while (!stack.empty()) {
      Ref r = stack.back();
      stack.pop_back();
      if (!visited.insert({r.lnum, r.offs}).second) {
        Problem(Note::Kind::kCorrupt, "index", uint64_t{r.lnum} * sb_.leb_size + r.offs,
                fmt::format("index refers twice to LEB {} offset {}: not followed again", r.lnum,
                            r.offs));
        continue;
      }
      std::optional<RawNode> node = NodeAt(r.lnum, r.offs);
      if (!node || node->bytes.size() != r.len) {
        Problem(
            Note::Kind::kCorrupt, "index", uint64_t{r.lnum} * sb_.leb_size + r.offs,
            fmt::format("no valid node of {} bytes at LEB {} offset {}", r.len, r.lnum, r.offs));
        continue;
      }
      if (node->type != kIdx) {
        Leaf(*node, /*from_journal=*/false);
        continue;
      }
      const uint8_t* p = node->bytes.data();
      if (node->bytes.size() < kIdxNodeSize) continue;
      uint16_t children = LoadLE16(p + 24);
      uint16_t level = LoadLE16(p + 26);
      if (!FitsIn(node->bytes.size(), kIdxNodeSize, uint64_t{children} * kBranchSize)) {
        Problem(Note::Kind::kCorrupt, "index", node->at,
                fmt::format("index node at {:#x}: {} branches do not fit", node->at, children));
        continue;
      }
      if (r.depth >= kMaxIndexLevels || level > kMaxIndexLevels) {
        Problem(Note::Kind::kLimit, "index", node->at,
                fmt::format("index deeper than {} levels at {:#x}", kMaxIndexLevels, node->at));
        continue;
      }
      for (int i = children - 1; i >= 0; --i) {
        const uint8_t* b = p + kIdxNodeSize + size_t(i) * kBranchSize;
        stack.push_back({LoadLE32(b), LoadLE32(b + 4), LoadLE32(b + 8), r.depth + 1});
      }
    }
  }

  // Replays the nodes written after the last commit: the buds the log refers to.
  void ReplayJournal(uint32_t log_lnum, uint64_t cmt_no) {
    if (sb_.log_lebs == 0 || log_lnum < kLogLnum || log_lnum >= kLogLnum + sb_.log_lebs) return;
    std::vector<std::pair<uint32_t, uint32_t>> buds;
    bool done = false;
    uint32_t lnum = log_lnum;
    for (uint32_t i = 0; i < sb_.log_lebs && !done; ++i) {
      bool any = false;
      ScanLeb(lnum, 0, [&](const RawNode& n) {
        if (n.type == kCs) {
          if (n.bytes.size() < 32 || LoadLE64(n.bytes.data() + 24) != cmt_no) {
            done = true;  // an older commit: the log of this one has ended
            return false;
          }
        } else if (n.type == kRef && n.bytes.size() >= 36) {
          buds.push_back({LoadLE32(n.bytes.data() + 24), LoadLE32(n.bytes.data() + 28)});
        }
        any = true;
        return true;
      });
      if (!any) break;
      lnum = kLogLnum + (lnum - kLogLnum + 1) % sb_.log_lebs;
    }
    std::set<std::pair<uint32_t, uint32_t>> seen;
    for (auto [bud_lnum, bud_offs] : buds) {
      if (!seen.insert({bud_lnum, bud_offs}).second) continue;
      ScanLeb(bud_lnum, bud_offs, [&](const RawNode& n) {
        Leaf(n, /*from_journal=*/true);
        return true;
      });
    }
  }

  // Takes a leaf node (from the index or the journal): the newest per key wins.
  void Leaf(const RawNode& n, bool from_journal) {
    const uint8_t* p = n.bytes.data();
    const size_t len = n.bytes.size();
    switch (n.type) {
      case kIno: {
        if (len < kInoNodeSize) return Short(n, "inode");
        uint64_t inum = LoadLE32(p + 24);
        uint32_t data_len = LoadLE32(p + 112);
        if (!FitsIn(len, kInoNodeSize, data_len)) return Short(n, "inode");
        Inode ino{n.sqnum,
                  LoadLE64(p + 48),
                  LoadLE32(p + 104),
                  LoadLE32(p + 96),
                  LoadLE32(p + 100),
                  LoadLE32(p + 108),
                  static_cast<int64_t>(LoadLE64(p + 72)),
                  n.bytes.subspan(kInoNodeSize, data_len),
                  n.at};
        auto [it, fresh] = inodes_.try_emplace(inum, ino);
        if (!fresh && n.sqnum > it->second.sqnum) it->second = ino;
        break;
      }
      case kDent: {
        if (len < kDentNodeSize) return Short(n, "directory entry");
        uint16_t nlen = LoadLE16(p + 50);
        if (!FitsIn(len, kDentNodeSize, nlen)) return Short(n, "directory entry");
        std::string name(AsChars(n.bytes.subspan(kDentNodeSize, nlen)));
        Dent d{n.sqnum, LoadLE64(p + 40), p[49], n.at};
        auto [it, fresh] = dents_.try_emplace({LoadLE32(p + 24), std::move(name)}, d);
        if (!fresh && n.sqnum > it->second.sqnum) it->second = d;
        break;
      }
      case kData: {
        if (len < kDataNodeSize) return Short(n, "data");
        uint64_t inum = LoadLE32(p + 24);
        uint32_t block = LoadLE32(p + 28) & kKeyBlockMask;
        uint32_t size = LoadLE32(p + 40);
        if (size > kBlockSize) {
          Problem(Note::Kind::kCorrupt, "data", n.at,
                  fmt::format("data node at {:#x} claims {} bytes, over a block", n.at, size));
          return;
        }
        Block b{n.sqnum,
                DataBlock{block, size, LoadLE16(p + 44), n.at, n.bytes.subspan(kDataNodeSize)}};
        auto [it, fresh] = blocks_.try_emplace({inum, block}, b);
        if (!fresh && n.sqnum > it->second.sqnum) it->second = b;
        break;
      }
      default:
        break;  // extended attributes, truncations, padding, commit bookkeeping
    }
    if (from_journal) ++fs_.journal_nodes_;
  }

  void Short(const RawNode& n, std::string_view what) {
    Problem(Note::Kind::kCorrupt, "node", n.at,
            fmt::format("{} node at {:#x} too short for its fields", what, n.at));
  }

  void Fill(Entry& e, const Inode& ino) {
    e.mode = ino.mode & 07777;
    e.uid = ino.uid;
    e.gid = ino.gid;
    e.mtime = ino.mtime;
    switch (e.type) {
      case NodeType::kFile: {
        e.size = ino.size;
        auto it = blocks_.lower_bound({e.inum, 0});
        for (; it != blocks_.end() && it->first.first == e.inum; ++it) {
          if (uint64_t{it->first.second} * kBlockSize >= ino.size) break;
          e.blocks.push_back(it->second.block);
        }
        break;
      }
      case NodeType::kSymlink:
        if (ino.data.size() > kMaxSymlink) {
          Problem(Note::Kind::kCorrupt, "content", ino.at,
                  fmt::format("{}: symlink target of {} bytes cut to {}", e.path, ino.data.size(),
                              kMaxSymlink));
        }
        e.link_target =
            std::string(AsChars(ino.data.first(std::min<size_t>(ino.data.size(), kMaxSymlink))));
        e.size = e.link_target.size();
        break;
      case NodeType::kCharDevice:
      case NodeType::kBlockDevice:
        if (ino.data.size() == 4 || ino.data.size() == 8) {  // new_encode_dev, maybe widened
          uint32_t dev = LoadLE32(ino.data.data());
          e.dev_major = (dev & 0xfff00) >> 8;
          e.dev_minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
        } else {
          Problem(Note::Kind::kCorrupt, "content", ino.at,
                  fmt::format("{}: device number of {} bytes", e.path, ino.data.size()));
        }
        break;
      default:
        break;
    }
  }

  void BuildTree() {
    internal::InodeTree tree;
    tree.root = kRootInum;
    tree.max_depth = kMaxDepth;
    for (const auto& [key, d] : dents_) {
      if (d.inum != 0) {  // 0: deleted
        tree.children[key.first].push_back({key.second, d.inum, TypeFromDent(d.type), d.at});
      }
    }
    tree.mode = [&](uint64_t inum) -> std::optional<uint32_t> {
      auto ino = inodes_.find(inum);
      if (ino == inodes_.end()) return std::nullopt;
      return ino->second.mode;
    };
    auto place = [&](internal::PlacedName p) {
      Entry e;
      e.path = std::move(p.path);
      e.type = p.type;
      e.inum = p.ino;
      e.link_target = std::move(p.link_target);
      if (auto ino = inodes_.find(e.inum); ino != inodes_.end()) {
        if (e.type == NodeType::kHardLink) {
          e.mode = ino->second.mode & 07777;
          e.uid = ino->second.uid;
          e.gid = ino->second.gid;
          e.mtime = ino->second.mtime;
        } else {
          Fill(e, ino->second);
        }
      }
      fs_.entries_.push_back(std::move(e));
    };
    auto problem = [&](Note::Kind kind, const std::string& category, uint64_t at,
                       std::string message) { Problem(kind, category, at, std::move(message)); };
    std::unordered_map<uint64_t, std::string> seen = internal::WalkInodeTree(tree, place, problem);
    size_t orphans = 0;
    for (const auto& [inum, ino] : inodes_) {
      orphans += !seen.contains(inum) && !(ino.flags & kXattrFlag);
    }
    if (orphans > 0) {
      fs_.notes_.push_back(
          {Note::Kind::kInfo, "", 0,
           fmt::format("{} inode{} in no directory", orphans, orphans == 1 ? " is" : "s are")});
    }
  }

  ByteView v_;
  Filesystem& fs_;
  const Superblock& sb_;
  internal::CappedNotes problems_{fs_.notes_, kMaxNotesPerKind};
  std::unordered_map<uint64_t, Inode> inodes_;
  std::map<std::pair<uint64_t, std::string>, Dent> dents_;  // by (parent, name)
  std::map<std::pair<uint64_t, uint32_t>, Block> blocks_;   // by (inode, block)
};

Filesystem::Filesystem(Filesystem&&) noexcept = default;
Filesystem& Filesystem::operator=(Filesystem&&) noexcept = default;
Filesystem::~Filesystem() = default;

Result<Filesystem> Filesystem::Parse(ByteView volume) {
  std::optional<Superblock> sb = ReadSuperblock(volume);
  if (!sb) return Error::InvalidInput("ubifs: no valid superblock at offset 0");
  Filesystem fs;
  fs.sb_ = *sb;
  CLEARBOX_RETURN_IF_ERROR(Builder(volume, fs).Run());
  return fs;
}

std::unique_ptr<ContentReader> Filesystem::OpenFile(const Entry& entry) const {
  return std::make_unique<FileReader>(entry);
}

Result<Bytes> Filesystem::ReadFile(const Entry& entry, uint64_t max_size) const {
  if (entry.size > max_size) {
    return Error::LimitExceeded(fmt::format("ubifs: {} is {} bytes, over the limit of {}",
                                            entry.path, entry.size, max_size));
  }
  FileReader reader(entry);
  return internal::ReadWhole(reader, entry.size);
}

Result<Bytes> DecodeBlock(const DataBlock& b) {
  auto fail = [&](std::string_view why) {
    return Error::InvalidInput(
        fmt::format("ubifs: data node at {:#x} (block {}): {}", b.at, b.block, why));
  };
  Result<Bytes> out = Bytes();
  switch (b.compr) {
    case kComprNone:
      out = Bytes(b.data.begin(), b.data.end());
      break;
    case kComprLzo:
      out = Decompress(Codec::kLzo1x, b.data, b.size);
      break;
    case kComprZlib:
      out = Decompress(Codec::kDeflateRaw, b.data, b.size);  // the kernel's "deflate": raw
      break;
    case kComprZstd:
      out = Decompress(Codec::kZstd, b.data, b.size);
      break;
    default:
      return Error::Unsupported(
          fmt::format("ubifs: data node at {:#x} uses compression {}", b.at, b.compr));
  }
  if (!out.ok()) return fail(out.error().message());
  if (out->size() != b.size)
    return fail(fmt::format("decodes to {} bytes, not {}", out->size(), b.size));
  return out;
}

}  // namespace clearbox::unpack::ubifs
