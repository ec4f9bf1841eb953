// TP-Link firmware headers, versions 1 (mktplinkfw) and 2/3 (mktplinkfw2), OpenWrt
// firmware-utils. A 512-byte header whose integers are big-endian except the version
// (stored as the bytes N 0 0 0):
//   v1: 0 version, 4 vendor[24] ("TP-LINK Technologies"), 0x1c firmware version[36],
//       0x40 hardware id, 0x44 hardware revision, 0x48 region, 0x4c MD5[16], 0x60 MD5 #2,
//       0x74 kernel load address, 0x78 entry, 0x7c image length, 0x80 kernel offset,
//       0x84 kernel length, 0x88 rootfs offset, 0x8c rootfs length, 0x90 boot offset,
//       0x94 boot length, 0x98 version hi/mid/lo (u16 each).
//   v2: 0 version, 4 firmware version[48], 0x34 hardware id, 0x38 revision, 0x3c additional
//       hardware version, 0x40 MD5[16], 0x54 MD5 #2, 0x68 load address, 0x6c entry,
//       0x70 image length, 0x74 kernel offset, 0x78 kernel length, 0x7c rootfs offset,
//       0x80 rootfs length, 0x84 boot offset, 0x88 boot length, 0x8c 0x55aa,
//       0x8e sver hi/lo, 0x90 0xa5, 0x91 version hi/mid/lo (u8 each).
// The MD5 covers the whole image (image length bytes from the header) with the MD5 field
// holding a published salt: one for images without a bootloader, one for images with one,
// and a different pair for v2.
// An image with a bootloader ("_boot" factory images) is a header, the bootloader, then a
// second, complete TP-Link image: when that second header is found the parts are
// "bootloader" and "firmware" (which is opened as TP-Link again).
#include <fmt/format.h>

#include "vendor_header.h"

namespace clearbox::unpack::vendor {
namespace {

constexpr size_t kHeaderSize = 0x200;
constexpr uint8_t kSaltV1Normal[16] = {0xdc, 0xd7, 0x3a, 0xa5, 0xc3, 0x95, 0x98, 0xfb,
                                       0xdd, 0xf9, 0xe7, 0xf4, 0x0e, 0xae, 0x47, 0x38};
constexpr uint8_t kSaltV1Boot[16] = {0x8c, 0xef, 0x33, 0x5b, 0xd5, 0xc5, 0xce, 0xfa,
                                     0xa7, 0x9c, 0x28, 0xda, 0xb2, 0xe9, 0x0f, 0x42};
constexpr uint8_t kSaltV2Normal[16] = {0xdc, 0xd7, 0x3a, 0xa5, 0xc3, 0x95, 0x98, 0xfb,
                                       0xdc, 0xf9, 0xe7, 0xf4, 0x0e, 0xae, 0x47, 0x37};
constexpr uint8_t kSaltV2Boot[16] = {0x8c, 0xef, 0x33, 0x5f, 0xd5, 0xc5, 0xce, 0xfa,
                                     0xac, 0x9c, 0x28, 0xda, 0xb2, 0xe9, 0x0f, 0x42};
// Where a bootloader image's second header may sit: after the first header, at a multiple
// of 64 KiB of bootloader, at most this many steps in.
constexpr int kMaxBootBlocks = 64;

struct Header {
  int version = 0;
  uint64_t md5_field = 0;  // 0x4c (v1) or 0x40 (v2)
  uint64_t fields = 0;     // offset of kernel_la: the layout fields follow in order
  uint32_t hw_id = 0, hw_rev = 0;
  uint32_t fw_length = 0, kernel_ofs = 0, kernel_len = 0, rootfs_ofs = 0, rootfs_len = 0;
  uint32_t boot_ofs = 0, boot_len = 0;
};

std::optional<Header> ReadHeader(ByteView data) {
  if (data.size() < kHeaderSize) return std::nullopt;
  const uint8_t* p = data.data();
  if (p[1] != 0 || p[2] != 0 || p[3] != 0) return std::nullopt;
  Header h;
  h.version = p[0];
  if (h.version == 1) {
    // mktplinkfw zeroes the header first: both strings end in NULs.
    if (!PrintableField(data, 4, 24, 4, true) || !PrintableField(data, 0x1c, 36, 1, true) ||
        p[4 + 23] != 0 || p[0x1c + 35] != 0) {
      return std::nullopt;
    }
    h.md5_field = 0x4c;
    h.fields = 0x74;
    h.hw_id = LoadBE32(p + 0x40);
    h.hw_rev = LoadBE32(p + 0x44);
  } else if (h.version == 2 || h.version == 3) {
    if (LoadBE16(p + 0x8c) != 0x55aa || p[0x90] != 0xa5) return std::nullopt;
    if (!PrintableField(data, 4, 48, 1)) return std::nullopt;
    h.md5_field = 0x40;
    h.fields = 0x68;
    h.hw_id = LoadBE32(p + 0x34);
    h.hw_rev = LoadBE32(p + 0x38);
  } else {
    return std::nullopt;
  }
  const uint8_t* f = p + h.fields;
  h.fw_length = LoadBE32(f + 8);
  h.kernel_ofs = LoadBE32(f + 12);
  h.kernel_len = LoadBE32(f + 16);
  h.rootfs_ofs = LoadBE32(f + 20);
  h.rootfs_len = LoadBE32(f + 24);
  h.boot_ofs = LoadBE32(f + 28);
  h.boot_len = LoadBE32(f + 32);
  return h;
}

// The image length covers the header and the kernel offset lies inside it.
bool Plausible(const Header& h) {
  if (h.fw_length < kHeaderSize) return false;
  if (h.kernel_ofs < kHeaderSize || h.kernel_ofs >= h.fw_length) return false;
  if (h.rootfs_ofs != 0 && h.rootfs_ofs >= h.fw_length) return false;
  return true;
}

std::string Summary(const Header& h, ByteView data) {
  const uint8_t* p = data.data();
  if (h.version == 1) {
    return fmt::format(
        "TP-Link v1, vendor \"{}\", firmware \"{}\", hardware id {:#010x} revision {}, "
        "version {}.{}.{}, {} bytes",
        FieldString(data, 4, 24), FieldString(data, 0x1c, 36), h.hw_id, h.hw_rev,
        LoadBE16(p + 0x98), LoadBE16(p + 0x9a), LoadBE16(p + 0x9c), h.fw_length);
  }
  return fmt::format(
      "TP-Link v{}, firmware \"{}\", hardware id {:#010x} revision {:#x}, version {}.{}.{}, "
      "{} bytes",
      h.version, FieldString(data, 4, 48), h.hw_id, h.hw_rev, p[0x91], p[0x92], p[0x93],
      h.fw_length);
}

void CheckMd5(Image& image, const Header& h, ByteView data) {
  if (h.fw_length > data.size()) return;  // truncation already reported
  ByteView whole = data.first(h.fw_length);
  ByteView stored = data.subspan(h.md5_field, 16);
  const uint8_t* normal = h.version == 1 ? kSaltV1Normal : kSaltV2Normal;
  const uint8_t* boot = h.version == 1 ? kSaltV1Boot : kSaltV2Boot;
  const uint8_t* preferred = h.boot_len ? boot : normal;
  const uint8_t* other = h.boot_len ? normal : boot;
  Bytes computed = Md5With(whole, h.md5_field, ByteView(preferred, 16));
  const char* which = h.boot_len ? "bootloader" : "normal";
  if (!std::equal(computed.begin(), computed.end(), stored.begin())) {
    Bytes second = Md5With(whole, h.md5_field, ByteView(other, 16));
    if (std::equal(second.begin(), second.end(), stored.begin())) {
      computed = second;
      which = h.boot_len ? "normal" : "bootloader";
    }
  }
  if (std::equal(computed.begin(), computed.end(), stored.begin())) {
    AddInfo(image, h.md5_field, fmt::format("MD5 verified ({}, {} salt)", Hex(stored), which));
  } else {
    AddCorrupt(image, h.md5_field,
               fmt::format("MD5 mismatch: stored {}, computed {} ({} salt)", Hex(stored),
                           Hex(computed), which));
  }
}

// A second header of the same version after a bootloader, within the image.
std::optional<uint64_t> FindEmbeddedImage(const Header& h, ByteView data) {
  for (int k = 1; k <= kMaxBootBlocks; ++k) {
    uint64_t at = kHeaderSize + uint64_t{0x10000} * k;
    if (at + kHeaderSize > std::min<uint64_t>(h.fw_length, data.size())) break;
    std::optional<Header> inner = ReadHeader(data.subspan(at));
    if (inner && inner->version == h.version && Plausible(*inner) &&
        at + inner->fw_length <= h.fw_length) {
      return at;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Probed> ProbeTplink(ByteView data) {
  std::optional<Header> h = ReadHeader(data);
  if (!h || !Plausible(*h)) return std::nullopt;
  return Probed{h->fw_length, fmt::format("v{}, hardware id {:#010x}", h->version, h->hw_id)};
}

Result<Image> ParseTplink(ByteView data) {
  std::optional<Header> header = ReadHeader(data);
  if (!header || !Plausible(*header)) {
    return Error::InvalidInput("tplink: no TP-Link firmware header at offset 0");
  }
  const Header& h = *header;
  Image image;
  image.length = h.fw_length;
  image.summary = Summary(h, data);
  if (h.fw_length > data.size()) {
    AddCorrupt(image, h.fields + 8,
               fmt::format("truncated: the header says {} bytes, {} are present", h.fw_length,
                           data.size()));
  }
  CheckMd5(image, h, data);

  if (h.boot_len) {
    if (std::optional<uint64_t> inner = FindEmbeddedImage(h, data)) {
      AddInfo(image, *inner,
              fmt::format("bootloader ({} bytes by the header) then a firmware image at {:#x}",
                          h.boot_len, *inner));
      AddPart(image, data, "bootloader", kHeaderSize, *inner - kHeaderSize, h.fw_length,
              h.fields + 32);
      AddPart(image, data, "firmware", *inner, h.fw_length - *inner, h.fw_length, h.fields + 8);
      return image;
    }
  }
  if (h.kernel_len) {
    AddPart(image, data, "kernel", h.kernel_ofs, h.kernel_len, h.fw_length, h.fields + 12);
  }
  if (h.rootfs_ofs && h.rootfs_len) {
    if (h.kernel_len && h.rootfs_ofs < uint64_t{h.kernel_ofs} + h.kernel_len &&
        h.rootfs_ofs >= h.kernel_ofs) {
      AddCorrupt(image, h.fields + 20,
                 fmt::format("rootfs offset {:#x} overlaps the kernel [{:#x}, +{:#x})",
                             h.rootfs_ofs, h.kernel_ofs, h.kernel_len));
    }
    AddPart(image, data, "rootfs", h.rootfs_ofs, h.rootfs_len, h.fw_length, h.fields + 20);
  }
  if (image.parts.empty()) AddCorrupt(image, h.fields + 12, "no kernel or rootfs part");
  return image;
}

}  // namespace clearbox::unpack::vendor
