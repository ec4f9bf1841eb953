// The MBR and GPT readers (partition_table.h).
#include "partition_table.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>

#include "fat.h"
#include "internal/format.h"

namespace clearbox::unpack::partition_table {
namespace {

constexpr size_t kTableAt = 446, kEntryBytes = 16;
constexpr uint8_t kProtective = 0xee;

bool IsExtended(uint8_t type) { return type == 0x05 || type == 0x0f || type == 0x85; }

bool HasSignature(ByteView data, uint64_t at) {
  return FitsIn(data, at, 512) && data[size_t(at + 510)] == 0x55 && data[size_t(at + 511)] == 0xaa;
}

struct RawEntry {
  uint8_t status, type;
  uint32_t start, sectors;
};

RawEntry EntryAt(const uint8_t* sector, int slot) {
  const uint8_t* e = sector + kTableAt + kEntryBytes * slot;
  return {e[0], e[4], LoadLE32(e + 8), LoadLE32(e + 12)};
}

uint32_t Crc32(ByteView data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (!data.empty()) {  // zlib takes a uInt length
    const size_t n = std::min<size_t>(data.size(), 1u << 30);
    crc = crc32(crc, data.data(), uInt(n));
    data = data.subspan(n);
  }
  return uint32_t(crc);
}

// What a partition adds: a note when it runs past the image.
void CheckExtent(const Partition& p, ByteView image, std::vector<Note>& notes) {
  if (p.offset >= image.size()) {
    notes.push_back({Note::Kind::kCorrupt, "", p.offset,
                     fmt::format("partition {} starts at byte {:#x}, past the end of the image "
                                 "({} bytes)",
                                 p.index, p.offset, image.size())});
  } else if (p.size > image.size() - p.offset) {
    notes.push_back({Note::Kind::kCorrupt, "", p.offset,
                     fmt::format("partition {} runs past the end of the image: {} of its {} "
                                 "bytes are there",
                                 p.index, image.size() - p.offset, p.size)});
  }
}

// Where a partition ends inside the image; 0 when it starts past it.
uint64_t EndOf(const Partition& p, uint64_t image_size) {
  if (p.offset >= image_size) return 0;
  return p.offset + std::min(p.size, image_size - p.offset);
}

// The partition of an MBR or EBR entry whose start is relative to LBA `base`.
Partition MbrPartition(uint32_t index, uint64_t base, const RawEntry& e, bool logical) {
  Partition p;
  p.index = index;
  p.first_lba = base + e.start;
  p.sectors = e.sectors;
  p.type = fmt::format("{:#04x}", e.type);
  p.bootable = e.status == 0x80;
  p.logical = logical;
  return p;
}

// ---- GPT

struct GptHeader {
  uint64_t my_lba = 0, alternate_lba = 0, first_usable = 0, last_usable = 0;
  uint64_t entries_lba = 0;
  uint32_t entry_count = 0, entry_size = 0, entries_crc = 0;
  std::string disk_guid;
};

// Whether the header at LBA `lba` (sector size `ss`) has the signature.
bool HasGptSignature(ByteView image, uint64_t lba, uint32_t ss) {
  return lba <= UINT64_MAX / ss && FitsIn(image, lba * ss, 8) &&
         std::memcmp(image.data() + lba * ss, "EFI PART", 8) == 0;
}

// The header at LBA `lba` if its signature, size, CRC and own LBA are right.
std::optional<GptHeader> ReadGptHeader(ByteView image, uint64_t lba, uint32_t ss) {
  if (!HasGptSignature(image, lba, ss) || !FitsIn(image, lba * ss, ss)) return std::nullopt;
  const uint8_t* p = image.data() + lba * ss;
  const uint32_t size = LoadLE32(p + 12);
  if (size < 92 || size > ss) return std::nullopt;
  Bytes copy(p, p + size);
  std::memset(copy.data() + 16, 0, 4);
  if (Crc32(copy) != LoadLE32(p + 16)) return std::nullopt;
  GptHeader h;
  h.my_lba = LoadLE64(p + 24);
  h.alternate_lba = LoadLE64(p + 32);
  h.first_usable = LoadLE64(p + 40);
  h.last_usable = LoadLE64(p + 48);
  h.disk_guid = FormatGuid(p + 56);
  h.entries_lba = LoadLE64(p + 72);
  h.entry_count = LoadLE32(p + 80);
  h.entry_size = LoadLE32(p + 84);
  h.entries_crc = LoadLE32(p + 88);
  if (h.my_lba != lba) return std::nullopt;
  if (h.entry_size < 128 || h.entry_size > 4096 || h.entry_size % 128 != 0) return std::nullopt;
  return h;
}

// The entry array of `h`, if it lies in the image and its CRC is right.
std::optional<ByteView> GptEntries(ByteView image, const GptHeader& h, uint32_t ss) {
  const uint64_t bytes = uint64_t(h.entry_count) * h.entry_size;
  if (h.entries_lba > UINT64_MAX / ss || bytes > (64u << 20)) return std::nullopt;
  if (!FitsIn(image, h.entries_lba * ss, bytes)) return std::nullopt;
  ByteView array = image.subspan(size_t(h.entries_lba * ss), size_t(bytes));
  if (Crc32(array) != h.entries_crc) return std::nullopt;
  return array;
}

}  // namespace

std::string FormatGuid(const uint8_t* p) {
  return fmt::format("{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
                     LoadLE32(p), LoadLE16(p + 4), LoadLE16(p + 6), p[8], p[9], p[10], p[11],
                     p[12], p[13], p[14], p[15]);
}

std::string MbrTypeName(uint8_t type) {
  switch (type) {
    case 0x01: return "FAT12";
    case 0x04: return "FAT16 <32M";
    case 0x05: return "Extended";
    case 0x06: return "FAT16";
    case 0x07: return "HPFS/NTFS/exFAT";
    case 0x0b: return "W95 FAT32";
    case 0x0c: return "W95 FAT32 (LBA)";
    case 0x0e: return "W95 FAT16 (LBA)";
    case 0x0f: return "W95 Extended (LBA)";
    case 0x11: return "Hidden FAT12";
    case 0x1b: return "Hidden W95 FAT32";
    case 0x1c: return "Hidden W95 FAT32 (LBA)";
    case 0x27: return "Hidden NTFS WinRE";
    case 0x82: return "Linux swap";
    case 0x83: return "Linux";
    case 0x85: return "Linux extended";
    case 0x8e: return "Linux LVM";
    case 0xa5: return "FreeBSD";
    case 0xa6: return "OpenBSD";
    case 0xa9: return "NetBSD";
    case 0xda: return "Non-FS data";
    case 0xee: return "GPT protective";
    case 0xef: return "EFI System";
    case 0xfd: return "Linux raid autodetect";
    default: return "";
  }
}

std::string GptTypeName(const std::string& guid) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EFI System"},
      {"21686148-6449-6E6F-744E-656564454649", "BIOS boot"},
      {"0FC63DAF-8483-4772-8E79-3D69D8477DE4", "Linux filesystem"},
      {"0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "Linux swap"},
      {"E6D6D379-F507-44C2-A23C-238F2A3DF928", "Linux LVM"},
      {"A19D880F-05FC-4D3B-A006-743F0F84911E", "Linux RAID"},
      {"4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", "Linux root (x86-64)"},
      {"B921B045-1DF0-41C3-AF44-4C6F280D3FAE", "Linux root (ARM64)"},
      {"69DAD710-2CE4-4E3C-B16C-21A1D49ABED3", "Linux root (ARM)"},
      {"933AC7E1-2EB4-4F13-B844-0E14E2AEF915", "Linux home"},
      {"BC13C2FF-59E6-4262-A352-B275FD6F7172", "Linux extended boot"},
      {"EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "Microsoft basic data"},
      {"E3C9E316-0B5C-4DB8-817D-F92DF00215AE", "Microsoft reserved"},
      {"DE94BBA4-06D1-4D40-A16A-BFD50179D6AC", "Windows recovery"},
      {"48465300-0000-11AA-AA11-00306543ECAC", "Apple HFS+"},
      {"7C3457EF-0000-11AA-AA11-00306543ECAC", "Apple APFS"},
      {"FE3A2A5D-4F32-41A7-B725-ACCC3285A309", "ChromeOS kernel"},
      {"3CB8E202-3B7E-47DD-8A3C-7FF2A13CFCEC", "ChromeOS root"},
      {"516E7CB6-6ECF-11D6-8FF8-00022D09712B", "FreeBSD UFS"},
  };
  for (const auto& [g, name] : kNames) {
    if (guid == g) return name;
  }
  return "";
}

bool HasProtectiveEntry(ByteView data) {
  if (!HasSignature(data, 0)) return false;
  for (int slot = 0; slot < 4; ++slot) {
    if (EntryAt(data.data(), slot).type == kProtective) return true;
  }
  return false;
}

bool ProbeMbr(ByteView data, bool allow_protective) {
  if (!HasSignature(data, 0)) return false;
  // A volume boot sector, not a table: FAT (its BPB is consistent), NTFS, exFAT.
  if (fat::ReadBootSector(data)) return false;
  if (std::memcmp(data.data() + 3, "NTFS    ", 8) == 0 ||
      std::memcmp(data.data() + 3, "EXFAT   ", 8) == 0) {
    return false;
  }
  // A stream's probe sees only its first kMaxProbeBytes: starts beyond them prove nothing.
  const bool whole = data.size() != internal::kMaxProbeBytes;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (int slot = 0; slot < 4; ++slot) {
    const RawEntry e = EntryAt(data.data(), slot);
    if (e.status != 0x00 && e.status != 0x80) return false;
    if (e.type == 0) {
      if (e.start != 0 || e.sectors != 0) return false;
      continue;
    }
    if (e.start == 0 || e.sectors == 0) return false;
    if (e.type == kProtective) {
      if (!allow_protective) return false;
      continue;  // spans the disk, GPT partitions inside
    }
    if (whole && uint64_t(e.start) * 512 >= data.size()) return false;
    ranges.emplace_back(e.start, uint64_t(e.start) + e.sectors);
  }
  if (ranges.empty() && !(allow_protective && HasProtectiveEntry(data))) return false;
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) return false;
  }
  return true;
}

Result<Table> ParseMbr(ByteView image) {
  if (!ProbeMbr(image, true)) return Error::InvalidInput("MBR: no plausible table at offset 0");
  Table t;
  t.scheme = Table::Scheme::kMbr;
  t.disk_id = fmt::format("{:#010x}", LoadLE32(image.data() + 440));
  t.extent = 512;
  auto add = [&](Partition p) {
    p.offset = p.first_lba * 512;
    p.size = p.sectors * 512;
    p.type_name = MbrTypeName(uint8_t(std::stoul(p.type, nullptr, 16)));
    CheckExtent(p, image, t.notes);
    t.extent = std::max(t.extent, EndOf(p, image.size()));
    t.partitions.push_back(std::move(p));
  };
  uint32_t next_logical = 5;
  for (int slot = 0; slot < 4; ++slot) {
    const RawEntry e = EntryAt(image.data(), slot);
    if (e.type == 0 || e.type == kProtective) continue;
    if (!IsExtended(e.type)) {
      add(MbrPartition(uint32_t(slot + 1), 0, e, false));
      continue;
    }
    t.notes.push_back({Note::Kind::kInfo, "", kTableAt + kEntryBytes * slot,
                       fmt::format("extended partition {} (type {:#04x}) at LBA {}, {} sectors",
                                   slot + 1, e.type, e.start, e.sectors)});
    t.extent = std::max<uint64_t>(t.extent, std::min<uint64_t>(image.size(),
                                                              uint64_t(e.start) * 512 + 512));
    // The chain of extended boot records: each holds one logical partition (relative to
    // itself) and a link to the next EBR (relative to the extended partition's start).
    std::set<uint64_t> seen;
    for (uint64_t ebr = e.start; ebr != 0;) {
      const uint64_t at = ebr * 512;
      if (!seen.insert(ebr).second) {
        t.notes.push_back({Note::Kind::kCorrupt, "", at,
                           fmt::format("MBR: the chain of extended boot records loops back to "
                                       "LBA {}",
                                       ebr)});
        break;
      }
      if (seen.size() > kMaxLogicalPartitions) {
        t.notes.push_back({Note::Kind::kLimit, "", at,
                           fmt::format("MBR: more than {} extended boot records: the rest is "
                                       "not read",
                                       kMaxLogicalPartitions)});
        break;
      }
      if (!HasSignature(image, at)) {
        t.notes.push_back({Note::Kind::kCorrupt, "", at,
                           fmt::format("MBR: no extended boot record (0x55AA) at LBA {}", ebr)});
        break;
      }
      const RawEntry logical = EntryAt(image.data() + at, 0);
      const RawEntry link = EntryAt(image.data() + at, 1);
      if (logical.type != 0 && logical.sectors != 0) {
        add(MbrPartition(next_logical++, ebr, logical, true));
      }
      ebr = IsExtended(link.type) && link.start != 0 ? uint64_t(e.start) + link.start : 0;
    }
  }
  return t;
}

uint32_t ProbeGpt(ByteView data) {
  uint32_t header_only = 0;
  for (uint32_t ss : {512u, 4096u}) {
    std::optional<GptHeader> h = ReadGptHeader(data, 1, ss);
    if (!h) continue;
    // The entry array tells a 512-byte GPT seen from 3.5 KiB too early (as if its sectors
    // were 4096 bytes) from a real one.
    if (GptEntries(data, *h, ss)) return ss;
    if (header_only == 0 && (ss == 512 || HasSignature(data, 0))) header_only = ss;
  }
  return header_only;
}

Result<Table> ParseGpt(ByteView image) {
  Table t;
  t.scheme = Table::Scheme::kGpt;
  std::optional<GptHeader> h;
  uint32_t ss = ProbeGpt(image);
  if (ss != 0) {
    h = ReadGptHeader(image, 1, ss);
    t.header_lba = 1;
  } else {
    // The primary header is damaged: look for the backup at the last LBA of the image,
    // where a primary with a bad CRC points, or where the protective MBR ends.
    for (uint32_t size : {512u, 4096u}) {
      std::vector<uint64_t> where;
      if (image.size() >= 2 * size) where.push_back(image.size() / size - 1);
      if (HasGptSignature(image, 1, size) && FitsIn(image, size + 32, 8)) {
        where.push_back(LoadLE64(image.data() + size + 32));
      }
      if (HasSignature(image, 0)) {
        for (int slot = 0; slot < 4; ++slot) {
          const RawEntry e = EntryAt(image.data(), slot);
          if (e.type == kProtective && e.sectors != 0) {
            where.push_back(uint64_t(e.start) + e.sectors - 1);
          }
        }
      }
      for (uint64_t lba : where) {
        if (lba < 2) continue;
        h = ReadGptHeader(image, lba, size);
        if (h) {
          ss = size;
          t.header_lba = lba;
          break;
        }
      }
      if (h) break;
    }
    if (!h) return Error::InvalidInput("GPT: no header with a valid CRC (primary or backup)");
    t.notes.push_back({Note::Kind::kCorrupt, "", ss,
                       fmt::format("GPT: the primary header at LBA 1 is damaged (signature or "
                                   "CRC): using the backup header at LBA {}",
                                   t.header_lba)});
  }
  t.sector_size = ss;
  t.disk_id = h->disk_guid;
  t.extent = std::min<uint64_t>(image.size(), (t.header_lba + 1) * ss);
  std::optional<ByteView> array = GptEntries(image, *h, ss);
  if (!array) {
    // The other header's array may be intact.
    std::optional<GptHeader> other = ReadGptHeader(image, h->alternate_lba, ss);
    std::optional<ByteView> other_array;
    if (other) other_array = GptEntries(image, *other, ss);
    if (other_array) {
      t.notes.push_back({Note::Kind::kCorrupt, "", h->entries_lba * ss,
                         fmt::format("GPT: the partition entry array at LBA {} is damaged "
                                     "(CRC): using the one of the header at LBA {}",
                                     h->entries_lba, h->alternate_lba)});
      h = other;
      array = other_array;
    } else {
      // Read what there is, entry by entry.
      const uint64_t at = h->entries_lba <= UINT64_MAX / ss ? h->entries_lba * ss : UINT64_MAX;
      t.notes.push_back({Note::Kind::kCorrupt, "", at,
                         fmt::format("GPT: the partition entry array at LBA {} fails its CRC "
                                     "(or lies outside the image) and no intact copy exists: "
                                     "its entries are read as they are",
                                     h->entries_lba)});
      const uint64_t bytes = uint64_t(h->entry_count) * h->entry_size;
      if (at < image.size()) {
        array = image.subspan(size_t(at), size_t(std::min<uint64_t>(bytes, image.size() - at)));
      } else {
        array = ByteView();
      }
    }
  } else if (t.header_lba == 1) {
    // The primary is fine; say so when the backup is not where it points.
    if (!ReadGptHeader(image, h->alternate_lba, ss)) {
      const bool beyond = h->alternate_lba >= image.size() / ss;
      t.notes.push_back({beyond ? Note::Kind::kInfo : Note::Kind::kWarning, "", ss,
                         fmt::format("GPT: no valid backup header at LBA {}{}", h->alternate_lba,
                                     beyond ? " (past the end of the image)" : "")});
    } else {
      t.extent = std::min<uint64_t>(image.size(), (h->alternate_lba + 1) * ss);
    }
  }
  uint32_t count = h->entry_count;
  if (count > kMaxGptEntries) {
    t.notes.push_back({Note::Kind::kLimit, "", h->entries_lba * ss,
                       fmt::format("GPT: {} partition entries: only the first {} are read",
                                   count, kMaxGptEntries)});
    count = kMaxGptEntries;
  }
  static constexpr uint8_t kZeroGuid[16] = {};
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t off = uint64_t(i) * h->entry_size;
    if (!FitsIn(*array, off, 128)) break;
    const uint8_t* e = array->data() + off;
    if (std::memcmp(e, kZeroGuid, 16) == 0) continue;
    Partition p;
    p.index = i + 1;
    p.type = FormatGuid(e);
    p.type_name = GptTypeName(p.type);
    p.guid = FormatGuid(e + 16);
    p.first_lba = LoadLE64(e + 32);
    const uint64_t last = LoadLE64(e + 40);
    p.attributes = LoadLE64(e + 48);
    std::vector<uint16_t> name(36);
    for (size_t c = 0; c < name.size(); ++c) name[c] = LoadLE16(e + 56 + 2 * c);
    p.name = fat::Utf16ToUtf8(name);
    const uint64_t entry_at = h->entries_lba * ss + off;
    if (last < p.first_lba || p.first_lba > UINT64_MAX / ss || last - p.first_lba >= UINT64_MAX / ss) {
      t.notes.push_back({Note::Kind::kCorrupt, "", entry_at,
                         fmt::format("GPT: partition {} ends (LBA {}) before it starts (LBA {}) "
                                     "or lies beyond any disk: skipped",
                                     p.index, last, p.first_lba)});
      continue;
    }
    p.sectors = last - p.first_lba + 1;
    p.offset = p.first_lba * ss;
    p.size = p.sectors * ss;
    CheckExtent(p, image, t.notes);
    t.extent = std::max(t.extent, EndOf(p, image.size()));
    t.partitions.push_back(std::move(p));
  }
  return t;
}

}  // namespace clearbox::unpack::partition_table
