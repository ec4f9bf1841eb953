// Ubiquiti firmware images (OpenWrt firmware-utils mkfwimage.c), big-endian:
//   header: "UBNT" or "OPEN", version string[256], CRC32 of the 260 bytes before it, pad
//                                                                        = 268 bytes
//   parts:  "PART" (or "EXEC"), name[16], pad[12], memory address, index, base address,
//           entry address, data size, partition size (56 bytes); the data; then the CRC32
//           of the part header and data, and a pad word.
//   end:    "END." (or "ENDS"), the CRC32 of everything before it, a pad word.
// CRCs are zlib's crc32.
#include <fmt/format.h>

#include <set>

#include "clearbox/core/digest.h"
#include "vendor_header.h"

namespace clearbox::unpack::vendor {
namespace {

constexpr size_t kHeaderSize = 268;
constexpr size_t kPartHeader = 56;
constexpr size_t kMaxParts = 32;

bool IsPartMagic(ByteView data, uint64_t at) {
  if (!FitsIn(data, at, 4)) return false;
  std::string_view m = AsChars(data.subspan(at, 4));
  return m == "PART" || m == "EXEC";
}

bool IsEndMagic(ByteView data, uint64_t at) {
  if (!FitsIn(data, at, 4)) return false;
  std::string_view m = AsChars(data.subspan(at, 4));
  return m == "END." || m == "ENDS";
}

bool ValidHeader(ByteView data) {
  if (data.size() < kHeaderSize + kPartHeader) return false;
  std::string_view magic = AsChars(data.first(4));
  if (magic != "UBNT" && magic != "OPEN") return false;
  if (!PrintableField(data, 4, 256, 1)) return false;
  return IsPartMagic(data, kHeaderSize) && PrintableField(data, kHeaderSize + 4, 16, 1);
}

// Walks the parts; calls `part(at, data_size)` for each. Returns the end of the image (after
// the end signature), or 0 when it is not found.
template <typename OnPart>
uint64_t WalkParts(ByteView data, OnPart&& part) {
  uint64_t at = kHeaderSize;
  for (size_t n = 0; n < kMaxParts && IsPartMagic(data, at) && FitsIn(data, at, kPartHeader); ++n) {
    uint32_t size = LoadBE32(data.data() + at + 48);
    if (!part(at, size)) return 0;
    uint64_t next = at + kPartHeader + size + 8;
    if (next > data.size()) return 0;
    at = next;
  }
  return IsEndMagic(data, at) && FitsIn(data, at, 12) ? at + 12 : 0;
}

}  // namespace

std::optional<Probed> ProbeUbiquiti(ByteView data) {
  if (!ValidHeader(data)) return std::nullopt;
  size_t parts = 0;
  uint64_t end = WalkParts(data, [&](uint64_t, uint32_t) { return ++parts, true; });
  return Probed{
      end, fmt::format("{}, {} part{}", FieldString(data, 4, 256), parts, parts == 1 ? "" : "s")};
}

Result<Image> ParseUbiquiti(ByteView data) {
  if (!ValidHeader(data)) return Error::InvalidInput("ubnt: no Ubiquiti firmware header at 0");
  Image image;
  image.summary =
      fmt::format("Ubiquiti {}, version \"{}\"", AsChars(data.first(4)), FieldString(data, 4, 256));
  CheckValue(image, 260, "header CRC32", LoadBE32(data.data() + 260), Crc32(data.first(260)));
  std::set<std::string> labels;
  uint64_t last_at = kHeaderSize;
  uint64_t end = WalkParts(data, [&](uint64_t at, uint32_t size) {
    last_at = at;
    std::string name = FieldString(data, at + 4, 16);
    if (name.empty() || !labels.insert(name).second) name = fmt::format("part{}", labels.size());
    labels.insert(name);
    AddInfo(image, at,
            fmt::format("part \"{}\": index {}, memory address {:#x}, entry {:#x}, {} bytes of "
                        "a {}-byte partition",
                        name, LoadBE32(data.data() + at + 36), LoadBE32(data.data() + at + 32),
                        LoadBE32(data.data() + at + 44), size, LoadBE32(data.data() + at + 52)));
    const uint64_t data_at = at + kPartHeader;
    if (FitsIn(data, data_at, uint64_t{size} + 8)) {
      CheckValue(image, data_at + size, fmt::format("part \"{}\" CRC32", name),
                 LoadBE32(data.data() + data_at + size),
                 Crc32(data.subspan(at, kPartHeader + size)));
    }
    AddPart(image, data, name, data_at, size, 0, at + 48);
    return true;
  });
  if (end) {
    image.length = end;
    CheckValue(image, end - 8, "image CRC32", LoadBE32(data.data() + end - 8),
               Crc32(data.first(end - 12)));
  } else {
    AddCorrupt(image, last_at,
               "no END. signature after the parts (truncated, or a part size that lies)");
  }
  return image;
}

}  // namespace clearbox::unpack::vendor
