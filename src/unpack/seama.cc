// D-Link SEAMA images (OpenWrt firmware-utils seama.c / seama.h): a big-endian header,
// metadata strings, then the data.
//   0 magic 0x5EA3A417, 4 u16 reserved (0), 6 u16 metadata size, 8 u32 data size,
//   12 MD5 of the data[16], 28 metadata ("dev=...\0type=firmware\0", padded to 4 bytes),
//   then `data size` bytes. A header with a data size of 0 only "seals" the SEAMA images
//   that follow it; carving finds them after it.
#include <fmt/format.h>

#include "vendor_header.h"

namespace clearbox::unpack::vendor {
namespace {

constexpr uint32_t kMagic = 0x5ea3a417;
constexpr size_t kHeaderSize = 28;
constexpr size_t kMaxMeta = 4096;

struct Header {
  uint16_t meta_size = 0;
  uint32_t size = 0;
};

std::optional<Header> ReadHeader(ByteView data) {
  if (data.size() < kHeaderSize || LoadBE32(data.data()) != kMagic) return std::nullopt;
  if (LoadBE16(data.data() + 4) != 0) return std::nullopt;
  Header h{LoadBE16(data.data() + 6), LoadBE32(data.data() + 8)};
  if (h.meta_size > kMaxMeta || !FitsIn(data, kHeaderSize, h.meta_size)) return std::nullopt;
  // Metadata: NUL-separated printable strings, at least one of them when present.
  size_t chars = 0;
  for (size_t i = 0; i < h.meta_size; ++i) {
    uint8_t c = data[kHeaderSize + i];
    if (c != 0 && (c < 0x20 || c >= 0x7f)) return std::nullopt;
    chars += c != 0;
  }
  if (h.meta_size && chars == 0) return std::nullopt;
  if (h.size == 0 && h.meta_size == 0) return std::nullopt;
  return h;
}

std::string Meta(ByteView data, const Header& h) {
  std::string out;
  for (size_t i = 0; i < h.meta_size;) {
    std::string s = FieldString(data, kHeaderSize + i, h.meta_size - i);
    i += s.size() + 1;
    if (s.empty()) continue;
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

std::optional<Probed> ProbeSeama(ByteView data) {
  std::optional<Header> h = ReadHeader(data);
  if (!h) return std::nullopt;
  return Probed{kHeaderSize + uint64_t{h->meta_size} + h->size,
                h->size ? fmt::format("{} bytes", h->size) : "seal"};
}

Result<Image> ParseSeama(ByteView data) {
  std::optional<Header> header = ReadHeader(data);
  if (!header) return Error::InvalidInput("seama: no SEAMA header at offset 0");
  const Header& h = *header;
  Image image;
  const uint64_t data_at = kHeaderSize + uint64_t{h.meta_size};
  image.length = data_at + h.size;
  image.summary =
      fmt::format("SEAMA{}, {} bytes, meta: {}", h.size ? "" : " seal", h.size, Meta(data, h));
  if (h.size == 0) return image;
  ByteView stored = data.subspan(12, 16);
  if (image.length <= data.size()) {
    Bytes computed = Md5With(data.subspan(data_at, h.size), 0, {});
    if (std::equal(computed.begin(), computed.end(), stored.begin())) {
      AddInfo(image, 12, fmt::format("MD5 verified ({})", Hex(stored)));
    } else {
      AddCorrupt(image, 12,
                 fmt::format("MD5 mismatch: stored {}, computed {}", Hex(stored), Hex(computed)));
    }
  } else {
    AddCorrupt(
        image, 8,
        fmt::format("truncated: the header says {} bytes of data, {} are present; MD5 not checked",
                    h.size, data.size() > data_at ? data.size() - data_at : 0));
  }
  if (data_at < data.size()) {
    uint64_t present = std::min<uint64_t>(h.size, data.size() - data_at);
    image.parts.push_back({"firmware", data_at, h.size, data.subspan(data_at, present)});
  }
  return image;
}

}  // namespace clearbox::unpack::vendor
