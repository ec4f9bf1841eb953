// ZyXEL ZyNOS firmware objects (ras.bin and the other ROM-bin objects of ZyNOS routers;
// OpenWrt firmware-utils zynos.h and mkzynfw.c). A 48-byte big-endian header, then the data:
//   0 load address, 4 u16 unused, 6 "SIG", 9 object type, 10 size of the original data,
//   14 size of the compressed data, 18 flags (0x80 compressed, 0x40 original checksum
//   valid, 0x20 compressed checksum valid), 19 unused, 20 original checksum, 22 compressed
//   checksum, 24 version[15], 39 memory map table address, 43 unused[5].
// The data holds `compressed size` bytes when the compressed flag is set, else `original
// size` bytes. Checksums: big-endian 16-bit words added with the carry folded back in
// (an odd last byte padded with zero). The compressed checksum covers the stored data;
// the original one covers the data as stored when it is not compressed.
#include <fmt/format.h>

#include "vendor_header.h"

namespace clearbox::unpack::vendor {
namespace {

constexpr size_t kHeaderSize = 48;
constexpr uint8_t kCompressed = 0x80, kOriginalSum = 0x40, kCompressedSum = 0x20;

uint16_t ZynosChecksum(ByteView data) {
  uint32_t sum = 0;
  auto add = [&](uint32_t word) {
    sum += word;
    if (sum > 0xffff) sum = (sum + 1) & 0xffff;
  };
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) add(LoadBE16(data.data() + i));
  if (i < data.size()) add(uint32_t{data[i]} << 8);
  return static_cast<uint16_t>(sum);
}

std::string_view TypeName(uint8_t type) {
  switch (type) {
    case 0x01:
      return "romimg";
    case 0x02:
      return "romboot";
    case 0x03:
      return "bootext";
    case 0x04:
      return "rombin";
    case 0x05:
      return "romdir";
    case 0x06:
      return "object6";
    case 0x07:
      return "rommap";
    case 0x80:
      return "ram";
    case 0x81:
      return "ramcode";
    case 0x82:
      return "ramboot";
    default:
      return {};
  }
}

struct Header {
  uint8_t type = 0, flags = 0;
  uint32_t address = 0, original = 0, compressed = 0, mmap = 0;
  uint16_t original_sum = 0, compressed_sum = 0;
  uint32_t data_size() const { return flags & kCompressed ? compressed : original; }
};

std::optional<Header> ReadHeader(ByteView data) {
  if (data.size() < kHeaderSize || AsChars(data.subspan(6, 3)) != "SIG") return std::nullopt;
  const uint8_t* p = data.data();
  Header h{p[9],
           p[18],
           LoadBE32(p),
           LoadBE32(p + 10),
           LoadBE32(p + 14),
           LoadBE32(p + 39),
           LoadBE16(p + 20),
           LoadBE16(p + 22)};
  if (TypeName(h.type).empty() || (h.flags & 0x1f) != 0) return std::nullopt;
  if (!PrintableField(data, 24, 15, 0, true)) return std::nullopt;
  if (h.data_size() == 0) return std::nullopt;
  // Compressed data is never larger than the original by much.
  if ((h.flags & kCompressed) && h.compressed > h.original + (h.original >> 3) + 4096) {
    return std::nullopt;
  }
  return h;
}

}  // namespace

std::optional<Probed> ProbeZynos(ByteView data) {
  std::optional<Header> h = ReadHeader(data);
  if (!h) return std::nullopt;
  return Probed{kHeaderSize + uint64_t{h->data_size()},
                fmt::format("{} object, {} bytes", TypeName(h->type), h->data_size())};
}

Result<Image> ParseZynos(ByteView data) {
  std::optional<Header> header = ReadHeader(data);
  if (!header) return Error::InvalidInput("zynos: no ZyNOS object header at 0");
  const Header& h = *header;
  Image image;
  image.length = kHeaderSize + uint64_t{h.data_size()};
  image.summary = fmt::format(
      "ZyXEL ZyNOS {} object, version \"{}\", load address {:#x}, memory map at {:#x}, {} "
      "bytes{}",
      TypeName(h.type), FieldString(data, 24, 15), h.address, h.mmap, h.original,
      h.flags & kCompressed ? fmt::format(" ({} compressed)", h.compressed) : "");
  if (image.length <= data.size()) {
    ByteView body = data.subspan(kHeaderSize, h.data_size());
    if ((h.flags & kCompressed) && (h.flags & kCompressedSum)) {
      CheckValue(image, 22, "compressed data checksum", h.compressed_sum, ZynosChecksum(body), 4);
    } else if (!(h.flags & kCompressed) && (h.flags & kOriginalSum)) {
      CheckValue(image, 20, "data checksum", h.original_sum, ZynosChecksum(body), 4);
    }
  }
  AddPart(image, data, std::string(TypeName(h.type)), kHeaderSize, h.data_size(), image.length,
          h.flags & kCompressed ? 14 : 10);
  return image;
}

}  // namespace clearbox::unpack::vendor
