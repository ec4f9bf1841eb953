// Netgear CHK images (OpenWrt firmware-utils mkchkimg.c): a big-endian header, the kernel,
// then the root filesystem.
//   0x00 "*#$^"  0x04 header length (40 + board id)  0x08 reserved[8] (region, version)
//   0x10 kernel checksum  0x14 rootfs checksum  0x18 kernel length  0x1c rootfs length
//   0x20 image checksum (kernel and rootfs together)  0x24 header checksum (over the header
//   with this field zero)  0x28 board id, not NUL-terminated, up to the header length.
// The checksums are Netgear's Fletcher-like sum (NetgearChecksum), not CRCs.
#include <fmt/format.h>

#include "vendor_header.h"

namespace clearbox::unpack::vendor {
namespace {

constexpr uint32_t kMagic = 0x2a23245e;  // "*#$^" read big-endian
constexpr size_t kFixedHeader = 40;
constexpr size_t kMaxBoardId = 64;

struct Header {
  uint32_t header_len = 0, kernel_sum = 0, rootfs_sum = 0, kernel_len = 0, rootfs_len = 0;
  uint32_t image_sum = 0, header_sum = 0;
};

std::optional<Header> ReadHeader(ByteView data) {
  if (data.size() < kFixedHeader || LoadBE32(data.data()) != kMagic) return std::nullopt;
  const uint8_t* p = data.data();
  Header h{LoadBE32(p + 4),    LoadBE32(p + 0x10), LoadBE32(p + 0x14), LoadBE32(p + 0x18),
           LoadBE32(p + 0x1c), LoadBE32(p + 0x20), LoadBE32(p + 0x24)};
  if (h.header_len < kFixedHeader + 1 || h.header_len > kFixedHeader + kMaxBoardId) {
    return std::nullopt;
  }
  // The board id: printable, filling the rest of the header.
  if (!PrintableField(data, kFixedHeader, h.header_len - kFixedHeader,
                      h.header_len - kFixedHeader)) {
    return std::nullopt;
  }
  if (h.kernel_len == 0) return std::nullopt;
  return h;
}

uint64_t TotalLength(const Header& h) {
  return uint64_t{h.header_len} + h.kernel_len + h.rootfs_len;
}

}  // namespace

std::optional<Probed> ProbeChk(ByteView data) {
  std::optional<Header> h = ReadHeader(data);
  if (!h) return std::nullopt;
  return Probed{
      TotalLength(*h),
      fmt::format("board {}", FieldString(data, kFixedHeader, h->header_len - kFixedHeader))};
}

Result<Image> ParseChk(ByteView data) {
  std::optional<Header> header = ReadHeader(data);
  if (!header) return Error::InvalidInput("chk: no Netgear CHK header at offset 0");
  const Header& h = *header;
  Image image;
  image.length = TotalLength(h);
  const uint8_t* p = data.data();
  image.summary = fmt::format(
      "Netgear CHK, board id \"{}\", region {}, version {}.{}.{}.{}, kernel {} bytes, rootfs {} "
      "bytes",
      FieldString(data, kFixedHeader, h.header_len - kFixedHeader), p[8], p[9], p[10], p[11], p[12],
      h.kernel_len, h.rootfs_len);

  Bytes head(data.begin(), data.begin() + h.header_len);
  std::fill(head.begin() + 0x24, head.begin() + 0x28, 0);
  CheckValue(image, 0x24, "header checksum", h.header_sum, NetgearChecksum(head));

  const uint64_t kernel_at = h.header_len;
  const uint64_t rootfs_at = kernel_at + h.kernel_len;
  if (image.length > data.size()) {
    AddCorrupt(image, 0x18,
               fmt::format("truncated: the header says {} bytes, {} are present; kernel and "
                           "image checksums not checked",
                           image.length, data.size()));
  } else {
    ByteView kernel = data.subspan(kernel_at, h.kernel_len);
    ByteView rootfs = data.subspan(rootfs_at, h.rootfs_len);
    CheckValue(image, 0x10, "kernel checksum", h.kernel_sum, NetgearChecksum(kernel));
    if (h.rootfs_len) {
      CheckValue(image, 0x14, "rootfs checksum", h.rootfs_sum, NetgearChecksum(rootfs));
    }
    CheckValue(image, 0x20, "image checksum", h.image_sum,
               NetgearChecksum(data.subspan(kernel_at, h.kernel_len + uint64_t{h.rootfs_len})));
  }
  AddPart(image, data, "kernel", kernel_at, h.kernel_len, image.length, 0x18);
  if (h.rootfs_len) AddPart(image, data, "rootfs", rootfs_at, h.rootfs_len, image.length, 0x1c);
  return image;
}

}  // namespace clearbox::unpack::vendor
