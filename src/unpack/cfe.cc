// Broadcom CFE firmware images (BCM63xx "image tag"; linux include/linux/bcm963xx_tag.h,
// OpenWrt firmware-utils imagetag.c): a 256-byte tag of ASCII fields, then the image.
//   0 tag version[4], 4 "Broadcom Corporatio"[20], 24 second signature[14], 38 chip id[6],
//   44 board id[16], 60 big-endian flag[2], 62 total length[10], 72 CFE address[12],
//   84 CFE length[10], 94 flash image start[12], 106 rootfs length[10], 116 kernel
//   address[12], 128 kernel length[10], 138 image sequence[4], 142 RSA signature[20],
//   162 information[30], 192 flash layout version[4], 196 CRC32 of kernel+rootfs,
//   200 information 2[16], 216 image CRC32, 220 rootfs CRC32, 224 kernel CRC32,
//   228 reserved[8], 236 header CRC32 (of bytes 0-235), 240 reserved[16].
// Numbers are decimal strings; addresses are flash addresses. CRCs are Broadcom's
// (initial ~0, no final inversion: ~zlib crc32), stored big-endian (little-endian on
// little-endian boards; both are accepted).
// What follows the tag: the CFE when its length is not 0, then the parts in flash order:
// stock images put the root filesystem at the flash image start and the kernel after it,
// OpenWrt puts the kernel there (kernel address == flash image start) and the rootfs after.
#include <fmt/format.h>

#include <charconv>

#include "clearbox/core/digest.h"
#include "vendor_header.h"

namespace clearbox::unpack::vendor {
namespace {

constexpr size_t kTagSize = 256;

// A decimal field: digits, then NULs (or spaces); nullopt otherwise.
std::optional<uint64_t> Number(ByteView data, size_t offset, size_t size) {
  std::string s = FieldString(data, offset, size);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (s.empty()) return 0;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

struct Tag {
  uint64_t total = 0, cfe_address = 0, cfe_length = 0, image_start = 0, rootfs_length = 0;
  uint64_t kernel_address = 0, kernel_length = 0;
};

std::optional<Tag> ReadTag(ByteView data) {
  if (data.size() < kTagSize || AsChars(data.subspan(4, 19)) != "Broadcom Corporatio") {
    return std::nullopt;
  }
  if (!PrintableField(data, 0, 4, 1) || !PrintableField(data, 24, 14, 0) ||
      !PrintableField(data, 38, 6, 1) || !PrintableField(data, 44, 16, 1)) {
    return std::nullopt;
  }
  auto total = Number(data, 62, 10), cfe_address = Number(data, 72, 12),
       cfe_length = Number(data, 84, 10), image_start = Number(data, 94, 12),
       rootfs_length = Number(data, 106, 10), kernel_address = Number(data, 116, 12),
       kernel_length = Number(data, 128, 10);
  if (!total || !cfe_address || !cfe_length || !image_start || !rootfs_length || !kernel_address ||
      !kernel_length) {
    return std::nullopt;
  }
  Tag t{*total,         *cfe_address,    *cfe_length,   *image_start,
        *rootfs_length, *kernel_address, *kernel_length};
  if (t.kernel_length == 0 && t.rootfs_length == 0 && t.cfe_length == 0) return std::nullopt;
  if (t.kernel_length && t.kernel_address < t.image_start) return std::nullopt;
  return t;
}

void CheckCrc(Image& image, ByteView data, uint64_t field, std::string_view what,
              ByteView covered) {
  uint32_t computed = ~Crc32(covered);
  uint32_t stored = LoadBE32(data.data() + field);
  if (stored != computed && LoadLE32(data.data() + field) == computed) stored = computed;
  CheckValue(image, field, what, stored, computed);
}

}  // namespace

std::optional<Probed> ProbeCfe(ByteView data) {
  std::optional<Tag> t = ReadTag(data);
  if (!t) return std::nullopt;
  return Probed{kTagSize + t->cfe_length + t->rootfs_length + t->kernel_length,
                fmt::format("board {}", FieldString(data, 44, 16))};
}

Result<Image> ParseCfe(ByteView data) {
  std::optional<Tag> tag = ReadTag(data);
  if (!tag) return Error::InvalidInput("cfe: no Broadcom image tag at 0");
  const Tag& t = *tag;
  Image image;
  image.length = kTagSize + t.cfe_length + t.rootfs_length + t.kernel_length;
  image.summary = fmt::format(
      "Broadcom image tag v{}, \"{}\", chip {}, board \"{}\", information \"{}\", flash image "
      "start {:#x}, kernel at {:#x}",
      FieldString(data, 0, 4), FieldString(data, 24, 14), FieldString(data, 38, 6),
      FieldString(data, 44, 16), FieldString(data, 162, 30), t.image_start, t.kernel_address);
  CheckCrc(image, data, 236, "header CRC32", data.first(236));
  if (t.total && t.total != image.length - kTagSize && t.total != image.length) {
    AddInfo(image, 62,
            fmt::format("total length {} differs from the parts' {}", t.total,
                        image.length - kTagSize));
  }

  const uint64_t base = kTagSize + t.cfe_length;
  const bool kernel_first = t.kernel_address == t.image_start;
  const uint64_t kernel_at = base + (t.kernel_address - t.image_start);
  const uint64_t rootfs_at = kernel_first ? base + t.kernel_length : base;
  if (t.cfe_length) AddPart(image, data, "cfe", kTagSize, t.cfe_length, image.length, 84);
  if (!kernel_first && t.kernel_length && kernel_at < rootfs_at + t.rootfs_length) {
    AddCorrupt(image, 116,
               fmt::format("kernel address {:#x} lies inside the rootfs", t.kernel_address));
  }
  auto present = [&](uint64_t at, uint64_t size) { return FitsIn(data, at, size); };
  if (t.rootfs_length) {
    if (present(rootfs_at, t.rootfs_length)) {
      CheckCrc(image, data, 220, "rootfs CRC32", data.subspan(rootfs_at, t.rootfs_length));
    }
    AddPart(image, data, "rootfs", rootfs_at, t.rootfs_length, 0, 106);
  }
  if (t.kernel_length) {
    if (present(kernel_at, t.kernel_length)) {
      CheckCrc(image, data, 224, "kernel CRC32", data.subspan(kernel_at, t.kernel_length));
    }
    AddPart(image, data, "kernel", kernel_at, t.kernel_length, 0, 128);
  }
  return image;
}

}  // namespace clearbox::unpack::vendor
