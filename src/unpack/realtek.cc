// Realtek RTL819x images (the SDK's cvimg tool; OpenWrt realtek target, binwalk's
// "Realtek firmware header"): a 16-byte big-endian header, then `length` bytes that end
// with a 16-bit checksum chosen so that the big-endian 16-bit words of those bytes sum to
// zero.
//   0 signature: "cs6b"/"cs6c" (kernel), "cr6b"/"cr6c" (root filesystem), "csys" (system)
//   4 start (load) address, 8 burn (flash) address, 12 length (data and checksum).
// A firmware file is usually a kernel image followed by a root filesystem image; carving
// finds the second after the first.
#include <fmt/format.h>

#include "vendor_header.h"

namespace clearbox::unpack::vendor {
namespace {

constexpr size_t kHeaderSize = 16;

uint16_t WordSum(ByteView data) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < data.size(); i += 2) sum += LoadBE16(data.data() + i);
  return static_cast<uint16_t>(sum);
}

std::string_view LabelFor(std::string_view signature) {
  if (signature.substr(0, 2) == "cs" && signature != "csys") return "kernel";
  if (signature.substr(0, 2) == "cr") return "rootfs";
  return "system";
}

struct Header {
  std::string_view signature;
  uint32_t start = 0, burn = 0, length = 0;
};

std::optional<Header> ReadHeader(ByteView data) {
  if (data.size() < kHeaderSize) return std::nullopt;
  std::string_view sig = AsChars(data.first(4));
  if (sig != "cs6b" && sig != "cs6c" && sig != "cr6b" && sig != "cr6c" && sig != "csys") {
    return std::nullopt;
  }
  Header h{sig, LoadBE32(data.data() + 4), LoadBE32(data.data() + 8), LoadBE32(data.data() + 12)};
  if (h.length < 4 || h.length % 2 != 0) return std::nullopt;
  // A complete image proves itself by its checksum; a truncated one needs a MIPS kernel
  // segment load address and a flash address below 64 MiB.
  if (FitsIn(data, kHeaderSize, h.length)) {
    if (WordSum(data.subspan(kHeaderSize, h.length)) == 0) return h;
  }
  if ((h.start & 0xe0000000u) == 0x80000000u && h.burn < (64u << 20)) return h;
  return std::nullopt;
}

}  // namespace

std::optional<Probed> ProbeRealtek(ByteView data) {
  std::optional<Header> h = ReadHeader(data);
  if (!h) return std::nullopt;
  return Probed{kHeaderSize + uint64_t{h->length}, std::string(h->signature)};
}

Result<Image> ParseRealtek(ByteView data) {
  std::optional<Header> header = ReadHeader(data);
  if (!header) return Error::InvalidInput("realtek: no Realtek image header at 0");
  const Header& h = *header;
  Image image;
  image.length = kHeaderSize + uint64_t{h.length};
  image.summary = fmt::format(
      "Realtek \"{}\" image, start address {:#x}, flash address {:#x}, "
      "{} bytes",
      h.signature, h.start, h.burn, h.length);
  if (image.length <= data.size()) {
    ByteView body = data.subspan(kHeaderSize, h.length);
    uint16_t stored = LoadBE16(body.data() + body.size() - 2);
    uint16_t expected = static_cast<uint16_t>(0x10000 - WordSum(body.first(body.size() - 2)));
    CheckValue(image, kHeaderSize + h.length - 2, "checksum", stored, expected, 4);
  }
  AddPart(image, data, std::string(LabelFor(h.signature)), kHeaderSize, h.length - 2, image.length,
          12);
  return image;
}

}  // namespace clearbox::unpack::vendor
