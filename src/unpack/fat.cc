// The FAT reader (fat.h).
#include "fat.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <unordered_set>
#include <utility>

#include "internal/format.h"
#include "internal/inode_tree.h"

namespace clearbox::unpack::fat {
namespace {

constexpr uint8_t kReadOnly = 0x01, kVolumeId = 0x08, kDirectory = 0x10, kLongName = 0x0f;
constexpr uint8_t kDeleted = 0xe5;
constexpr size_t kLongNameChars = 13, kMaxLongNameParts = 20;

std::string Trimmed(const uint8_t* p, size_t n) {
  while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == 0)) --n;
  return std::string(reinterpret_cast<const char*>(p), n);
}

// The checksum of an 8.3 name that every long-name piece carries (the spec's ChkSum).
uint8_t ShortNameChecksum(const uint8_t* name11) {
  uint8_t sum = 0;
  for (int i = 0; i < 11; ++i) sum = uint8_t(((sum & 1) ? 0x80 : 0) + (sum >> 1) + name11[i]);
  return sum;
}

// "NAME.EXT" of a directory entry, lower-cased as Windows NT's flag bits (byte 12) ask.
std::string ShortName(const uint8_t* e) {
  uint8_t base[8];
  std::memcpy(base, e, 8);
  if (base[0] == 0x05) base[0] = kDeleted;  // a name really starting with 0xE5
  std::string name = Trimmed(base, 8), ext = Trimmed(e + 8, 3);
  auto lower = [](std::string& s) {
    for (char& c : s) c = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
  };
  if (e[12] & 0x08) lower(name);
  if (e[12] & 0x10) lower(ext);
  return ext.empty() ? name : name + "." + ext;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xc0 | cp >> 6));
    out.push_back(char(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xe0 | cp >> 12));
    out.push_back(char(0x80 | (cp >> 6 & 0x3f)));
    out.push_back(char(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(char(0xf0 | cp >> 18));
    out.push_back(char(0x80 | (cp >> 12 & 0x3f)));
    out.push_back(char(0x80 | (cp >> 6 & 0x3f)));
    out.push_back(char(0x80 | (cp & 0x3f)));
  }
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + int64_t(doe) - 719468;
}

}  // namespace

const char* FatTypeName(FatType type) {
  switch (type) {
    case FatType::kFat12: return "FAT12";
    case FatType::kFat16: return "FAT16";
    case FatType::kFat32: return "FAT32";
  }
  return "FAT";
}

std::string Utf16ToUtf8(const std::vector<uint16_t>& units) {
  std::string out;
  for (size_t i = 0; i < units.size() && units[i] != 0; ++i) {
    uint32_t u = units[i];
    if (u >= 0xd800 && u < 0xdc00 && i + 1 < units.size() && units[i + 1] >= 0xdc00 &&
        units[i + 1] < 0xe000) {
      u = 0x10000 + ((u - 0xd800) << 10) + (units[i + 1] - 0xdc00);
      ++i;
    } else if (u >= 0xd800 && u < 0xe000) {
      u = 0xfffd;
    }
    AppendUtf8(out, u);
  }
  return out;
}

int64_t DosTime(uint16_t date, uint16_t time) {
  const unsigned month = date >> 5 & 15, day = date & 31;
  if (month < 1 || month > 12 || day < 1) return 0;
  const int64_t days = DaysFromCivil(1980 + (date >> 9), month, day);
  const int64_t seconds = (time >> 11) * 3600 + (time >> 5 & 63) * 60 + (time & 31) * 2;
  return days * 86400 + seconds;
}

uint64_t BootSector::data_offset() const {
  return root_offset() + (root_bytes() + bytes_per_sector - 1) / bytes_per_sector *
                             bytes_per_sector;
}

std::optional<BootSector> ReadBootSector(ByteView data) {
  if (data.size() < 512) return std::nullopt;
  const uint8_t* p = data.data();
  if (p[0] != 0xeb && p[0] != 0xe9) return std::nullopt;  // the jump to the boot code
  if (p[510] != 0x55 || p[511] != 0xaa) return std::nullopt;
  BootSector b;
  b.bytes_per_sector = LoadLE16(p + 11);
  b.sectors_per_cluster = p[13];
  b.reserved_sectors = LoadLE16(p + 14);
  b.fat_count = p[16];
  b.root_entries = LoadLE16(p + 17);
  const uint32_t total16 = LoadLE16(p + 19), fat16_size = LoadLE16(p + 22);
  const uint8_t media = p[21];
  const uint32_t total32 = LoadLE32(p + 32), fat32_size = LoadLE32(p + 36);
  const uint32_t bps = b.bytes_per_sector;
  if (bps < 512 || bps > 4096 || !std::has_single_bit(bps)) return std::nullopt;
  if (b.sectors_per_cluster == 0 || !std::has_single_bit(b.sectors_per_cluster)) {
    return std::nullopt;
  }
  if (b.cluster_bytes() > 64 * 1024) return std::nullopt;
  if (b.reserved_sectors == 0 || b.fat_count == 0 || b.fat_count > 4) return std::nullopt;
  if (media != 0xf0 && media < 0xf8) return std::nullopt;
  b.total_sectors = total16 != 0 ? total16 : total32;
  b.fat_sectors = fat16_size != 0 ? fat16_size : fat32_size;
  if (b.total_sectors == 0 || b.fat_sectors == 0) return std::nullopt;
  const bool fat32_layout = fat16_size == 0 && b.root_entries == 0;
  const uint64_t meta = b.data_offset() / bps;
  if (b.total_sectors <= meta) return std::nullopt;
  const uint64_t clusters = (b.total_sectors - meta) / b.sectors_per_cluster;
  if (clusters == 0 || clusters > 0x0ffffff5) return std::nullopt;
  b.cluster_count = uint32_t(clusters);
  // The type is the cluster count's (the spec); a BPB shaped like FAT32's (no fixed root,
  // FAT size in the 32-bit field) over fewer clusters is still read as FAT32, as Linux does.
  b.type = clusters < 4085 ? FatType::kFat12 : clusters < 65525 ? FatType::kFat16 : FatType::kFat32;
  if (fat32_layout) b.type = FatType::kFat32;
  if (b.type == FatType::kFat32 && !fat32_layout) return std::nullopt;
  const uint64_t fat_entry_bits = b.type == FatType::kFat12 ? 12 : b.type == FatType::kFat16 ? 16 : 32;
  if ((clusters + 2) * fat_entry_bits > uint64_t(b.fat_sectors) * bps * 8) return std::nullopt;
  if (b.type == FatType::kFat32) {
    b.root_cluster = LoadLE32(p + 44);
    if (b.root_cluster < 2 || b.root_cluster > b.cluster_count + 1) return std::nullopt;
  }
  const size_t ext = b.type == FatType::kFat32 ? 64 : 36;  // the extended boot record
  if (p[ext + 2] == 0x29) {
    b.serial = LoadLE32(p + ext + 3);
    b.label = Trimmed(p + ext + 7, 11);
    if (b.label == "NO NAME") b.label.clear();
  }
  b.oem = Trimmed(p + 3, 8);
  return b;
}

// One parse: the FAT, the chains and the directory walk, noting problems as it goes.
class Filesystem::Walk {
 public:
  explicit Walk(Filesystem& fs)
      : fs_(fs), b_(fs.boot_), notes_(fs.notes_, kMaxNotes),
        // Chains only run over clusters whose data is in the image: a few passes over
        // those, whatever cluster count the boot sector claims.
        step_budget_(4 * (std::min<uint64_t>(b_.cluster_count,
                                             fs.image_.size() / b_.cluster_bytes()) +
                          2) +
                     (1u << 20)) {}
  ~Walk() { notes_.Finish(); }

  void Run();

 private:
  enum class Next { kCluster, kEnd, kBad, kFree, kOutOfRange, kUnreadable };

  bool ValidCluster(uint64_t c) const { return c >= 2 && c <= uint64_t(b_.cluster_count) + 1; }

  // The FAT entry of cluster `c` (in the first FAT).
  Next NextCluster(uint32_t c, uint32_t* next) const {
    const ByteView img = fs_.image_;
    uint64_t v;
    switch (b_.type) {
      case FatType::kFat12: {
        const uint64_t at = b_.fat_offset() + c + c / 2;
        if (!FitsIn(img, at, 2)) return Next::kUnreadable;
        v = LoadLE16(img.data() + at);
        v = (c & 1) ? v >> 4 : v & 0xfff;
        if (v >= 0xff8) return Next::kEnd;
        if (v == 0xff7) return Next::kBad;
        break;
      }
      case FatType::kFat16: {
        const uint64_t at = b_.fat_offset() + uint64_t(c) * 2;
        if (!FitsIn(img, at, 2)) return Next::kUnreadable;
        v = LoadLE16(img.data() + at);
        if (v >= 0xfff8) return Next::kEnd;
        if (v == 0xfff7) return Next::kBad;
        break;
      }
      default: {
        const uint64_t at = b_.fat_offset() + uint64_t(c) * 4;
        if (!FitsIn(img, at, 4)) return Next::kUnreadable;
        v = LoadLE32(img.data() + at) & 0x0fffffff;
        if (v >= 0x0ffffff8) return Next::kEnd;
        if (v == 0x0ffffff7) return Next::kBad;
        break;
      }
    }
    if (v == 0) return Next::kFree;
    if (!ValidCluster(v)) return Next::kOutOfRange;
    *next = uint32_t(v);
    return Next::kCluster;
  }

  // The runs of the chain from `first`, as far as `want` bytes reach (a file's size, a
  // directory's cap). `what` names the chain in notes; `at` is its directory entry.
  std::vector<Extent> Chain(uint32_t first, uint64_t want, bool is_directory,
                            const std::string& what, uint64_t at) {
    std::vector<Extent> runs;
    if (want == 0) return runs;
    if (!ValidCluster(first)) {
      notes_.Add(Note::Kind::kCorrupt, "range", at,
                 fmt::format("FAT: {} starts at cluster {}, outside 2..{}", what, first,
                             b_.cluster_count + 1));
      return runs;
    }
    const uint64_t cluster = b_.cluster_bytes();
    const uint64_t needed = (want + cluster - 1) / cluster;
    std::unordered_set<uint32_t> seen;
    uint64_t got = 0;
    for (uint32_t c = first;;) {
      if (steps_++ >= step_budget_) {
        if (!budget_noted_) {
          budget_noted_ = true;
          notes_.Add(Note::Kind::kLimit, "budget", at,
                     fmt::format("FAT: more cluster-chain steps than {} (cross-linked "
                                 "chains?): {} and later files are cut short",
                                 step_budget_, what));
        }
        return runs;
      }
      if (!seen.insert(c).second) {
        notes_.Add(Note::Kind::kCorrupt, "loop", at,
                   fmt::format("FAT: the chain of {} loops back to cluster {}", what, c));
        return runs;
      }
      // Directories sharing clusters would list the same entries again and again: every
      // cluster is read as a directory once, so the entries stay within the image's size.
      if (is_directory && !dir_clusters_.insert(c).second) {
        notes_.Add(Note::Kind::kCorrupt, "crosslink", at,
                   fmt::format("FAT: the chain of {} reaches cluster {}, already read as part "
                               "of another directory: not read again",
                               what, c));
        return runs;
      }
      const uint64_t offset = b_.data_offset() + uint64_t(c - 2) * cluster;
      uint64_t length = cluster;
      if (!FitsIn(fs_.image_, offset, length)) {
        length = offset < fs_.image_.size() ? fs_.image_.size() - offset : 0;
        notes_.Add(Note::Kind::kCorrupt, "truncated", at,
                   fmt::format("FAT: cluster {} of {} lies beyond the end of the image", c, what));
        if (length == 0) return runs;
      }
      if (!runs.empty() && runs.back().offset + runs.back().length == offset) {
        runs.back().length += length;
      } else {
        runs.push_back({offset, length});
      }
      if (length < cluster || ++got >= needed) {
        if (length == cluster && is_directory && got >= needed) {
          uint32_t next = 0;
          if (NextCluster(c, &next) == Next::kCluster) {
            notes_.Add(Note::Kind::kLimit, "directory", at,
                       fmt::format("FAT: {} is longer than {} bytes: the rest is not read", what,
                                   kMaxDirectoryBytes));
          }
        }
        return runs;
      }
      uint32_t next = 0;
      const Next kind = NextCluster(c, &next);
      if (kind == Next::kCluster) {
        c = next;
        continue;
      }
      if (kind == Next::kEnd && is_directory) return runs;
      static constexpr const char* kWhy[] = {"", "ends", "reaches a bad cluster",
                                             "reaches a free cluster",
                                             "leads outside the clusters",
                                             "has its FAT entry outside the image"};
      notes_.Add(Note::Kind::kCorrupt, "chain", at,
                 fmt::format("FAT: the chain of {} {} after {} of {} clusters (at cluster {})",
                             what, kWhy[int(kind)], got, needed, c));
      return runs;
    }
  }

  struct Dir {
    std::vector<Extent> runs;
    std::string path;  // "" for the root
    size_t depth = 0;
  };

  void ReadDirectory(const Dir& dir, std::vector<Dir>& stack);

  Filesystem& fs_;
  const BootSector& b_;
  internal::CappedNotes notes_;
  uint64_t step_budget_;
  uint64_t steps_ = 0;
  bool budget_noted_ = false;
  std::unordered_set<uint32_t> dirs_seen_;  // first clusters of directories followed
  std::unordered_set<uint32_t> dir_clusters_;  // every cluster read as a directory
};

void Filesystem::Walk::Run() {
  Entry root_entry;
  root_entry.path = "/";
  root_entry.type = NodeType::kDirectory;
  root_entry.mode = 0755;
  fs_.entries_.push_back(std::move(root_entry));
  Dir root;
  if (b_.type == FatType::kFat32) {
    dirs_seen_.insert(b_.root_cluster);
    root.runs = Chain(b_.root_cluster, kMaxDirectoryBytes, true, "the root directory", 44);
  } else {
    uint64_t length = b_.root_bytes();
    if (!FitsIn(fs_.image_, b_.root_offset(), length)) {
      notes_.Add(Note::Kind::kCorrupt, "truncated", b_.root_offset(),
                 "FAT: the root directory runs past the end of the image");
      length = b_.root_offset() < fs_.image_.size() ? fs_.image_.size() - b_.root_offset() : 0;
    }
    if (length) root.runs.push_back({b_.root_offset(), length});
  }
  std::vector<Dir> stack{std::move(root)};
  while (!stack.empty()) {
    Dir dir = std::move(stack.back());
    stack.pop_back();
    ReadDirectory(dir, stack);
  }
}

void Filesystem::Walk::ReadDirectory(const Dir& dir, std::vector<Dir>& stack) {
  const ByteView img = fs_.image_;
  std::vector<uint16_t> long_name;  // the pieces gathered so far, in order
  int expected = 0;                 // the sequence number the next piece must carry
  uint8_t checksum = 0;
  bool pending = false;  // pieces were seen that the next 8.3 entry should complete
  std::vector<Dir> subdirs;
  for (const Extent& run : dir.runs) {
    for (uint64_t at = run.offset; at + 32 <= run.offset + run.length; at += 32) {
      const uint8_t* e = img.data() + at;
      if (e[0] == 0) goto done;  // the end of the directory
      if (e[0] == kDeleted) {
        pending = false;
        continue;
      }
      const uint8_t attr = e[11];
      if ((attr & 0x3f) == kLongName) {
        const int seq = e[0] & 0x1f;
        if (e[0] & 0x40) {
          if (pending) {
            notes_.Add(Note::Kind::kWarning, "lfn", at,
                       fmt::format("FAT: a long name in {} without its 8.3 entry",
                                   dir.path.empty() ? "/" : dir.path));
          }
          pending = seq >= 1 && size_t(seq) <= kMaxLongNameParts;
          long_name.assign(size_t(seq) * kLongNameChars, 0xffff);
          expected = seq;
          checksum = e[13];
        } else if (!pending || seq != expected || e[13] != checksum) {
          if (pending) {
            notes_.Add(Note::Kind::kWarning, "lfn", at,
                       "FAT: a long-name piece out of sequence: the 8.3 name is used");
          }
          pending = false;
          continue;
        }
        if (!pending) continue;
        static constexpr int kCharAt[kLongNameChars] = {1, 3, 5, 7, 9, 14, 16, 18, 20,
                                                        22, 24, 28, 30};
        for (size_t i = 0; i < kLongNameChars; ++i) {
          long_name[size_t(seq - 1) * kLongNameChars + i] = LoadLE16(e + kCharAt[i]);
        }
        --expected;
        continue;
      }
      std::string name = ShortName(e);
      const bool had_long = pending;
      if (pending) {
        if (expected == 0 && ShortNameChecksum(e) == checksum) {
          std::string long_utf8 = Utf16ToUtf8(long_name);
          if (!long_utf8.empty()) name = std::move(long_utf8);
        } else {
          notes_.Add(Note::Kind::kWarning, "lfn", at,
                     fmt::format("FAT: the long name before the 8.3 entry \"{}\" does not "
                                 "match it (checksum or pieces): the 8.3 name is used",
                                 name));
        }
        pending = false;
      }
      if (attr & kVolumeId) {
        if (dir.path.empty() && !had_long && (attr & kDirectory) == 0) {
          fs_.label_ = Trimmed(e, 11);
        }
        continue;
      }
      if (name == "." || name == "..") continue;
      if (name.empty() || name.find('/') != std::string::npos ||
          name.find('\0') != std::string::npos) {
        notes_.Add(Note::Kind::kCorrupt, "name", at,
                   fmt::format("FAT: an entry with an empty name or one holding '/' at {:#x} "
                               "is skipped",
                               at));
        continue;
      }
      if (fs_.entries_.size() >= kMaxEntries) {
        notes_.Add(Note::Kind::kLimit, "entries", at,
                   fmt::format("FAT: more than {} entries: the rest is not listed", kMaxEntries));
        stack.clear();
        return;
      }
      Entry entry;
      entry.path = dir.path + "/" + name;
      entry.short_name = ShortName(e);
      entry.attributes = attr;
      entry.mtime = DosTime(LoadLE16(e + 24), LoadLE16(e + 22));
      entry.first_cluster = LoadLE16(e + 26);
      if (b_.type == FatType::kFat32) entry.first_cluster |= uint32_t(LoadLE16(e + 20)) << 16;
      if (attr & kDirectory) {
        entry.type = NodeType::kDirectory;
        entry.mode = (attr & kReadOnly) ? 0555 : 0755;
        if (dir.depth + 1 > kMaxDepth) {
          notes_.Add(Note::Kind::kLimit, "depth", at,
                     fmt::format("FAT: {} is deeper than {} levels: not followed", entry.path,
                                 kMaxDepth));
        } else if (!dirs_seen_.insert(entry.first_cluster).second) {
          notes_.Add(Note::Kind::kCorrupt, "loop", at,
                     fmt::format("FAT: {} names cluster {}, a directory already listed: a "
                                 "loop, not followed",
                                 entry.path, entry.first_cluster));
        } else {
          Dir sub;
          sub.runs = Chain(entry.first_cluster, kMaxDirectoryBytes, true,
                           "directory " + entry.path, at);
          sub.path = entry.path;
          sub.depth = dir.depth + 1;
          subdirs.push_back(std::move(sub));
        }
      } else {
        entry.type = NodeType::kFile;
        entry.mode = (attr & kReadOnly) ? 0444 : 0644;
        entry.size = LoadLE32(e + 28);
        entry.extents = Chain(entry.first_cluster, entry.size, false, entry.path, at);
      }
      fs_.entries_.push_back(std::move(entry));
    }
  }
done:
  // Depth first, in directory order.
  for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) stack.push_back(std::move(*it));
}

Result<Filesystem> Filesystem::Parse(ByteView image) {
  std::optional<BootSector> boot = ReadBootSector(image);
  if (!boot) return Error::InvalidInput("FAT: no valid boot sector at offset 0");
  Filesystem fs;
  fs.boot_ = *boot;
  fs.label_ = boot->label;
  if (boot->volume_bytes() > image.size()) {
    fs.notes_.push_back({Note::Kind::kCorrupt, "", 0,
                         fmt::format("FAT: the boot sector says {} bytes, the image has {}: "
                                     "the rest is missing",
                                     boot->volume_bytes(), image.size())});
  }
  fs.image_ = image.first(size_t(std::min<uint64_t>(image.size(), boot->volume_bytes())));
  fs.extent_ = fs.image_.size();
  const uint64_t clusters = boot->cluster_count;
  if (boot->type == FatType::kFat32 && clusters < 65525) {
    fs.notes_.push_back({Note::Kind::kWarning, "", 0x52,
                         fmt::format("FAT: {} clusters make FAT{} by the spec, but the boot "
                                     "sector is laid out as FAT32: read as FAT32",
                                     clusters, clusters < 4085 ? 12 : 16)});
  }
  {
    Walk walk(fs);
    walk.Run();
  }
  return fs;
}

std::unique_ptr<ContentReader> Filesystem::OpenFile(const Entry& entry) const {
  if (entry.extents.empty()) return std::make_unique<internal::ViewReader>(ByteView());
  const Extent& first = entry.extents.front();
  if (entry.extents.size() == 1) {
    const uint64_t n = std::min(first.length, entry.size);
    return std::make_unique<internal::ViewReader>(image_.subspan(size_t(first.offset), size_t(n)));
  }
  return std::make_unique<internal::ExtentReader>(image_, entry.extents, entry.size);
}

Result<Bytes> Filesystem::ReadFile(const Entry& entry, uint64_t max_size) const {
  if (entry.size > max_size) {
    return Error::LimitExceeded(fmt::format("FAT: {} is {} bytes, over {}", entry.path,
                                            entry.size, max_size));
  }
  std::unique_ptr<ContentReader> reader = OpenFile(entry);
  return internal::ReadWhole(*reader, entry.size);
}

}  // namespace clearbox::unpack::fat
