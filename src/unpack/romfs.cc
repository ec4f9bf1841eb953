// The romfs reader (romfs.h).
#include "romfs.h"

#include <fmt/format.h>

#include <cstring>
#include <set>
#include <utility>

#include "internal/format.h"
#include "internal/inode_tree.h"

namespace clearbox::unpack::romfs {
namespace {

constexpr char kMagic[] = "-rom1fs-";
constexpr uint32_t kHardLink = 0, kDirectory = 1, kRegular = 2, kSymlink = 3, kBlockDev = 4,
                   kCharDev = 5, kSocket = 6, kFifo = 7;
constexpr uint32_t kExecutable = 8;

uint64_t Align16(uint64_t v) { return (v + 15) & ~uint64_t{15}; }

// A NUL-terminated name starting at `at`, padded to 16 bytes; nullopt if it has no end
// inside `image` (or within 4096 bytes).
std::optional<std::string_view> NameAt(ByteView image, uint64_t at) {
  if (at >= image.size()) return std::nullopt;
  const size_t limit = std::min<size_t>(image.size() - at, 4096);
  const auto* p = reinterpret_cast<const char*>(image.data() + at);
  const void* end = std::memchr(p, 0, limit);
  if (end == nullptr) return std::nullopt;
  return std::string_view(p, static_cast<const char*>(end) - p);
}

struct Header {
  uint32_t next = 0;  // offset of the next header in the directory, 0 at its end
  uint32_t type = 0;
  bool executable = false;
  uint32_t spec = 0;
  uint32_t size = 0;
  std::string_view name;
  uint64_t data = 0;  // where the data (after the padded name) starts
};

std::optional<Header> ReadHeader(ByteView image, uint64_t at) {
  if (at % 16 != 0 || at + 16 > image.size()) return std::nullopt;
  Header h;
  const uint32_t word = LoadBE32(image.data() + at);
  h.next = word & ~uint32_t{15};
  h.type = word & 7;
  h.executable = (word & kExecutable) != 0;
  h.spec = LoadBE32(image.data() + at + 4);
  h.size = LoadBE32(image.data() + at + 8);
  std::optional<std::string_view> name = NameAt(image, at + 16);
  if (!name) return std::nullopt;
  h.name = *name;
  h.data = Align16(at + 16 + name->size() + 1);
  return h;
}

}  // namespace

std::optional<Superblock> ReadSuperblock(ByteView data) {
  if (data.size() < 32 || std::memcmp(data.data(), kMagic, 8) != 0) return std::nullopt;
  Superblock sb;
  sb.size = LoadBE32(data.data() + 8);
  if (sb.size < 32) return std::nullopt;
  std::optional<std::string_view> volume = NameAt(data, 16);
  if (!volume) return std::nullopt;
  sb.volume = std::string(*volume);
  sb.first_header = static_cast<uint32_t>(Align16(16 + volume->size() + 1));
  // The checksum: the big-endian words of the first 512 bytes (or of all) sum to zero.
  uint32_t sum = 0;
  const size_t n = std::min<size_t>({data.size(), sb.size, 512}) & ~size_t{3};
  for (size_t i = 0; i < n; i += 4) sum += LoadBE32(data.data() + i);
  sb.checksum_ok = sum == 0;
  return sb;
}

Result<Filesystem> Filesystem::Parse(ByteView image) {
  std::optional<Superblock> sb = ReadSuperblock(image);
  if (!sb) return Error::InvalidInput("romfs: no \"-rom1fs-\" superblock at offset 0");
  Filesystem fs;
  fs.sb_ = *sb;
  if (sb->size > image.size()) {
    fs.notes_.push_back({Note::Kind::kCorrupt, "", 0,
                         fmt::format("romfs: the header says {} bytes, the image has {}: the "
                                     "rest is missing",
                                     sb->size, image.size())});
  }
  fs.image_ = image.first(std::min<uint64_t>(image.size(), sb->size));
  fs.extent_ = fs.image_.size();
  if (!sb->checksum_ok) {
    fs.notes_.push_back({Note::Kind::kWarning, "", 12, "romfs: superblock checksum mismatch"});
  }
  const ByteView img = fs.image_;
  internal::CappedNotes notes(fs.notes_, kMaxNotes);
  fs.entries_.push_back({"/", NodeType::kDirectory, 0755, 0, 0, 0, "", 0, 0, 0});

  // Depth first over directory chains; a header seen twice (a loop, a directory listed from
  // two places) is not followed again.
  struct Chain {
    uint64_t at;
    std::string dir;  // "" for the root
    size_t depth;
  };
  std::vector<Chain> stack{{sb->first_header, "", 0}};
  std::set<uint64_t> seen;
  std::map<uint64_t, std::string> path_of;  // header offset -> path (for hard links)
  while (!stack.empty()) {
    Chain chain = std::move(stack.back());
    stack.pop_back();
    for (uint64_t at = chain.at; at != 0;) {
      if (fs.entries_.size() >= kMaxEntries) {
        notes.Add(Note::Kind::kLimit, "entries", at,
                  fmt::format("romfs: more than {} entries: the rest is not listed", kMaxEntries));
        stack.clear();
        break;
      }
      if (!seen.insert(at).second) {
        notes.Add(Note::Kind::kCorrupt, "loop", at,
                  fmt::format("romfs: the header at {:#x} is reached twice: a loop", at));
        break;
      }
      std::optional<Header> h = ReadHeader(img, at);
      if (!h) {
        notes.Add(Note::Kind::kCorrupt, "header", at,
                  fmt::format("romfs: no valid file header at {:#x} (outside the image, "
                              "unaligned or a name without an end)",
                              at));
        break;
      }
      const uint64_t here = at;
      at = h->next;
      if (h->name == "." || h->name == ".." || h->name.empty()) continue;
      if (h->name.find('/') != std::string_view::npos) {
        notes.Add(Note::Kind::kCorrupt, "name", here,
                  fmt::format("romfs: a name with '/' at {:#x} is skipped", here));
        continue;
      }
      Entry e;
      e.path = chain.dir + "/" + std::string(h->name);
      e.mode = h->executable ? 0755 : 0644;
      path_of[here] = e.path;
      switch (h->type) {
        case kDirectory:
          e.type = NodeType::kDirectory;
          e.mode = 0755;
          if (chain.depth + 1 > kMaxDepth) {
            notes.Add(Note::Kind::kLimit, "depth", here,
                      fmt::format("romfs: {} is deeper than {} levels: not followed", e.path,
                                  kMaxDepth));
          } else {
            stack.push_back({h->spec & ~uint32_t{15}, e.path, chain.depth + 1});
          }
          break;
        case kRegular:
        case kSymlink:
          if (h->data > img.size() || h->size > img.size() - h->data) {
            notes.Add(Note::Kind::kCorrupt, "data", here,
                      fmt::format("romfs: the data of {} ({} bytes at {:#x}) runs past the "
                                  "image: not read",
                                  e.path, h->size, h->data));
            continue;
          }
          if (h->type == kSymlink) {
            e.type = NodeType::kSymlink;
            e.mode = 0777;
            e.link_target.assign(reinterpret_cast<const char*>(img.data() + h->data),
                                 std::min<size_t>(h->size, 4096));
            e.size = e.link_target.size();
          } else {
            e.type = NodeType::kFile;
            e.size = h->size;
            e.data_offset = h->data;
          }
          break;
        case kHardLink: {
          auto target = path_of.find(h->spec & ~uint32_t{15});
          if (target == path_of.end()) {
            notes.Add(Note::Kind::kCorrupt, "link", here,
                      fmt::format("romfs: the hard link {} names a header not seen before it",
                                  e.path));
            continue;
          }
          e.type = NodeType::kHardLink;
          e.link_target = target->second;
          break;
        }
        case kBlockDev:
        case kCharDev:
          e.type = h->type == kBlockDev ? NodeType::kBlockDevice : NodeType::kCharDevice;
          e.dev_major = h->spec >> 16;
          e.dev_minor = h->spec & 0xffff;
          break;
        case kSocket:
          e.type = NodeType::kSocket;
          break;
        case kFifo:
          e.type = NodeType::kFifo;
          break;
      }
      fs.entries_.push_back(std::move(e));
    }
  }
  notes.Finish();
  return fs;
}

std::unique_ptr<ContentReader> Filesystem::OpenFile(const Entry& entry) const {
  return std::make_unique<internal::ViewReader>(image_.subspan(entry.data_offset, entry.size));
}

Result<Bytes> Filesystem::ReadFile(const Entry& entry, uint64_t max_size) const {
  if (entry.size > max_size) {
    return Error::LimitExceeded(fmt::format("romfs: {} is {} bytes, over the limit of {}",
                                            entry.path, entry.size, max_size));
  }
  ByteView data = image_.subspan(entry.data_offset, entry.size);
  return Bytes(data.begin(), data.end());
}

}  // namespace clearbox::unpack::romfs
