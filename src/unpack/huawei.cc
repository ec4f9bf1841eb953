// Huawei firmware packages.
//
// UPDATE.APP (Android phones and tablets; split_updata.pl, HuaweiUpdateExtractor): 92 zero
// bytes, then partitions, each a little-endian header, a checksum table and the data,
// the next one starting 4-aligned after it:
//   0 magic 0xA55AAA55 (bytes 55 AA 5A A5), 4 header length, 8 u32 1, 12 hardware id[8],
//   20 sequence, 24 data size, 28 date[16], 44 time[16], 60 partition name[16], 76 zeros[16],
//   92 u16 header checksum, 94 u16 block size (4096), 96 u16 0, 98 the checksum table: one
//   CRC-16 (X.25: reflected 0x1021, initial and final 0xffff) per block of data.
//
// HWNP (ONT routers; HuaweiFirmwareTool huawei_header.h), little-endian:
//   0 "HWNP", 4 size, 8 CRC32 of [12, end), 12 header size, 16 CRC32 of [20, header size),
//   20 item count, 24 u8 u8, 26 u16 product list size, 28 item header size (360), 32 reserved,
//   36 product list, then items: 0 index, 4 CRC32 of the data, 8 data offset, 12 data size,
//   16 path[256] ("file:/var/UpgradeCheck.xml", "flash:kernel"), 272 section[16],
//   288 version[64], 352 policy, 356 reserved.
#include <fmt/format.h>

#include <set>

#include "clearbox/core/digest.h"
#include "vendor_header.h"

namespace clearbox::unpack::vendor {
namespace {

constexpr size_t kAppPreamble = 92;
constexpr size_t kAppEntryHeader = 98;
constexpr uint32_t kAppMagic = 0xa55aaa55;
constexpr size_t kMaxAppEntries = 256;
constexpr size_t kMaxChecksumNotes = 4;

uint16_t Crc16X25(ByteView data) {
  uint16_t crc = 0xffff;
  for (uint8_t b : data) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0x8408 : crc >> 1;
  }
  return static_cast<uint16_t>(~crc);
}

bool AppEntryAt(ByteView data, uint64_t at) {
  if (!FitsIn(data, at, kAppEntryHeader)) return false;
  const uint8_t* p = data.data() + at;
  uint32_t header_len = LoadLE32(p + 4);
  return LoadLE32(p) == kAppMagic && header_len >= kAppEntryHeader && header_len < (1u << 20) &&
         PrintableField(data, at + 60, 16, 1);
}

// Walks the entries; `entry(at, header_len, size)` for each. Returns the end of the last.
template <typename OnEntry>
uint64_t WalkApp(ByteView data, OnEntry&& entry) {
  uint64_t at = kAppPreamble, end = at;
  for (size_t n = 0; n < kMaxAppEntries && AppEntryAt(data, at); ++n) {
    uint32_t header_len = LoadLE32(data.data() + at + 4);
    uint32_t size = LoadLE32(data.data() + at + 24);
    entry(at, header_len, size);
    end = at + header_len + size;
    at = (end + 3) & ~uint64_t{3};
  }
  return end;
}

constexpr size_t kHwnpHeader = 36;
constexpr size_t kHwnpItem = 360;
constexpr uint32_t kMaxHwnpItems = 1024;

struct Hwnp {
  uint32_t size = 0, crc = 0, header_size = 0, header_crc = 0, items = 0;
  uint16_t product_list = 0;
  uint32_t item_size = 0;
};

std::optional<Hwnp> ReadHwnp(ByteView data) {
  if (data.size() < kHwnpHeader || AsChars(data.first(4)) != "HWNP") return std::nullopt;
  const uint8_t* p = data.data();
  Hwnp h{LoadLE32(p + 4),  LoadLE32(p + 8),  LoadLE32(p + 12), LoadLE32(p + 16),
         LoadLE32(p + 20), LoadLE16(p + 26), LoadLE32(p + 28)};
  if (h.items == 0 || h.items > kMaxHwnpItems || h.item_size < kHwnpItem) return std::nullopt;
  uint64_t table = kHwnpHeader + uint64_t{h.product_list} + uint64_t{h.items} * h.item_size;
  if (h.header_size < table || !FitsIn(data, 0, table)) return std::nullopt;
  // The first item's path is a printable string.
  return PrintableField(data, kHwnpHeader + h.product_list + 16, 256, 1) ? std::optional(h)
                                                                         : std::nullopt;
}

uint64_t HwnpEnd(const Hwnp& h, ByteView data) {
  uint64_t end = h.header_size;
  for (uint32_t i = 0; i < h.items; ++i) {
    const uint8_t* item = data.data() + kHwnpHeader + h.product_list + uint64_t{i} * h.item_size;
    end = std::max<uint64_t>(end, uint64_t{LoadLE32(item + 8)} + LoadLE32(item + 12));
  }
  return end;
}

}  // namespace

std::optional<Probed> ProbeHuaweiApp(ByteView data) {
  if (data.size() < kAppPreamble + kAppEntryHeader) return std::nullopt;
  for (size_t i = 0; i < kAppPreamble; ++i) {
    if (data[i] != 0) return std::nullopt;
  }
  if (!AppEntryAt(data, kAppPreamble)) return std::nullopt;
  size_t entries = 0;
  uint64_t end = WalkApp(data, [&](uint64_t, uint32_t, uint32_t) { ++entries; });
  return Probed{end, fmt::format("{} partition{}", entries, entries == 1 ? "" : "s")};
}

Result<Image> ParseHuaweiApp(ByteView data) {
  if (!ProbeHuaweiApp(data)) return Error::InvalidInput("huawei_app: no UPDATE.APP at 0");
  Image image;
  std::set<std::string> labels;
  std::string hardware;
  size_t checksum_notes = 0;
  image.length = WalkApp(data, [&](uint64_t at, uint32_t header_len, uint32_t size) {
    std::string name = FieldString(data, at + 60, 16);
    if (!labels.insert(name).second) name = fmt::format("{}.{}", name, labels.size());
    labels.insert(name);
    if (hardware.empty()) hardware = FieldString(data, at + 12, 8);
    AddInfo(image, at,
            fmt::format("partition \"{}\": {} bytes, date {} {}", name, size,
                        FieldString(data, at + 28, 16), FieldString(data, at + 44, 16)));
    const uint16_t block = LoadLE16(data.data() + at + 94);
    const uint64_t data_at = at + header_len;
    AddPart(image, data, name, data_at, size, 0, at + 24);
    if (block == 0 || !FitsIn(data, at, header_len) || !FitsIn(data, data_at, size)) return;
    const uint64_t blocks = (uint64_t{size} + block - 1) / block;
    if (blocks * 2 != header_len - kAppEntryHeader) {
      AddCorrupt(image, at + 4,
                 fmt::format("partition \"{}\": checksum table of {} bytes for {} blocks", name,
                             header_len - kAppEntryHeader, blocks));
      return;
    }
    uint64_t bad = 0, first_bad = 0;
    for (uint64_t b = 0; b < blocks; ++b) {
      ByteView chunk =
          data.subspan(data_at + b * block, std::min<uint64_t>(block, size - b * block));
      if (Crc16X25(chunk) != LoadLE16(data.data() + at + kAppEntryHeader + 2 * b)) {
        if (bad++ == 0) first_bad = b;
      }
    }
    if (bad == 0) {
      AddInfo(image, at + kAppEntryHeader,
              fmt::format("partition \"{}\": {} block CRC16s verified", name, blocks));
    } else if (checksum_notes++ < kMaxChecksumNotes) {
      AddCorrupt(image, data_at + first_bad * block,
                 fmt::format("partition \"{}\": CRC16 mismatch in {} of {} blocks, the first "
                             "at block {}",
                             name, bad, blocks, first_bad));
    }
  });
  image.summary =
      fmt::format("Huawei UPDATE.APP, hardware \"{}\", {} partitions", hardware, labels.size());
  return image;
}

std::optional<Probed> ProbeHwnp(ByteView data) {
  std::optional<Hwnp> h = ReadHwnp(data);
  if (!h) return std::nullopt;
  return Probed{HwnpEnd(*h, data), fmt::format("{} items", h->items)};
}

Result<Image> ParseHwnp(ByteView data) {
  std::optional<Hwnp> header = ReadHwnp(data);
  if (!header) return Error::InvalidInput("hwnp: no HWNP header at 0");
  const Hwnp& h = *header;
  Image image;
  image.length = HwnpEnd(h, data);
  image.summary = fmt::format("Huawei HWNP, {} items, products \"{}\"", h.items,
                              FieldString(data, kHwnpHeader, h.product_list));
  if (h.header_size <= data.size()) {
    CheckValue(image, 16, "header CRC32", h.header_crc,
               Crc32(data.subspan(20, h.header_size - 20)));
  }
  if (image.length <= data.size()) {
    CheckValue(image, 8, "image CRC32", h.crc, Crc32(data.subspan(12, image.length - 12)));
  } else {
    AddCorrupt(image, 4,
               fmt::format("truncated: items run to {:#x}, {} bytes are present", image.length,
                           data.size()));
  }
  std::set<std::string> labels;
  for (uint32_t i = 0; i < h.items; ++i) {
    const uint64_t at = kHwnpHeader + h.product_list + uint64_t{i} * h.item_size;
    const uint8_t* item = data.data() + at;
    const uint32_t offset = LoadLE32(item + 8), size = LoadLE32(item + 12);
    std::string path = FieldString(data, at + 16, 256);
    std::string section = FieldString(data, at + 272, 16);
    // "file:/var/UpgradeCheck.xml" -> "var/UpgradeCheck.xml"; "flash:kernel" -> "kernel".
    std::string label = path.substr(path.find(':') == std::string::npos ? 0 : path.find(':') + 1);
    while (!label.empty() && label.front() == '/') label.erase(0, 1);
    if (label.empty() || !labels.insert(label).second) label = fmt::format("item{}", i);
    labels.insert(label);
    AddInfo(image, at,
            fmt::format("item {} \"{}\": section {}, version \"{}\", policy {}, {} bytes", i, path,
                        section, FieldString(data, at + 288, 64), LoadLE32(item + 352), size));
    if (offset < h.header_size) {
      AddCorrupt(image, at + 8,
                 fmt::format("item {} data at {:#x} lies inside the header", i, offset));
      continue;
    }
    if (FitsIn(data, offset, size)) {
      CheckValue(image, at + 4, fmt::format("item \"{}\" CRC32", label), LoadLE32(item + 4),
                 Crc32(data.subspan(offset, size)));
    }
    AddPart(image, data, label, offset, size, 0, at + 8);
  }
  return image;
}

}  // namespace clearbox::unpack::vendor
