// Xiaomi router firmware (HDR1, HDR2): a little-endian header with up to 8 blob offsets,
// each blob a 48-byte header and its data, then an RSA signature.
//
// Layout (OpenWrt firmware-utils xiaomifw.c; unblob's xiaomi hdr handler):
//   HDR1: 0 "HDR1", 4 signature offset, 8 CRC32, 12 u16 0, 14 u16 device id,
//         16 u32 blob offsets[8]                                          = 48 bytes
//   HDR2: 0 "HDR2", 4 signature offset, 8 CRC32, 12 u32 0, 16 device name[8], 24 region[8],
//         32 16 unused bytes, 48 u32 blob offsets[8]                      = 80 bytes
//   blob: 0 0x0000babe, 4 flash offset, 8 data size, 12 u16 type, 14 u16 0, 16 name[32],
//         48 data
//   signature at its offset: u32 size, 12 bytes of padding, 256 bytes of signature.
// The CRC32 is ~crc32 (no final inversion) of the blobs, [header end, signature offset);
// FACT's sample confirms the range. Some tools compute it over [12, image end) instead: that
// range is accepted too.
#include <fmt/format.h>

#include <set>

#include "clearbox/core/digest.h"
#include "vendor_header.h"

namespace clearbox::unpack::vendor {
namespace {

constexpr uint32_t kHdr1 = 0x31524448;  // "HDR1" read little-endian
constexpr uint32_t kHdr2 = 0x32524448;
constexpr uint32_t kBlobMagic = 0x0000babe;
constexpr size_t kBlobHeader = 48;
constexpr size_t kSignatureBlock = 16 + 256;
constexpr int kMaxBlobs = 8;

struct Header {
  int version = 1;
  size_t size = 48;
  uint32_t signature_offset = 0;
  uint32_t crc = 0;
  uint32_t blobs[kMaxBlobs] = {};
};

std::optional<Header> ReadHeader(ByteView data) {
  if (data.size() < 80) return std::nullopt;
  Header h;
  uint32_t magic = LoadLE32(data.data());
  if (magic == kHdr1) {
    h.version = 1;
    h.size = 48;
    if (LoadLE16(data.data() + 12) != 0) return std::nullopt;
  } else if (magic == kHdr2) {
    h.version = 2;
    h.size = 80;
    if (LoadLE32(data.data() + 12) != 0) return std::nullopt;
    if (!PrintableField(data, 16, 8, 1, true) || !PrintableField(data, 24, 8, 0, true)) {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  h.signature_offset = LoadLE32(data.data() + 4);
  h.crc = LoadLE32(data.data() + 8);
  for (int i = 0; i < kMaxBlobs; ++i) h.blobs[i] = LoadLE32(data.data() + h.size - 32 + 4 * i);
  return h;
}

// The header is worth trusting: the first blob lies between the header and the signature
// and starts with the blob magic; the other offsets are 0 or inside that range too.
bool Plausible(const Header& h, ByteView data) {
  if (h.signature_offset < h.size + kBlobHeader) return false;
  if (h.blobs[0] < h.size || h.blobs[0] > h.signature_offset - kBlobHeader) return false;
  for (uint32_t offset : h.blobs) {
    if (offset != 0 && (offset < h.size || offset >= h.signature_offset)) return false;
  }
  if (!FitsIn(data, h.blobs[0], kBlobHeader)) return false;
  return LoadLE32(data.data() + h.blobs[0]) == kBlobMagic;
}

}  // namespace

std::optional<Probed> ProbeXiaomi(ByteView data) {
  std::optional<Header> h = ReadHeader(data);
  if (!h || !Plausible(*h, data)) return std::nullopt;
  int blobs = 0;
  for (uint32_t offset : h->blobs) blobs += offset != 0;
  return Probed{uint64_t{h->signature_offset} + kSignatureBlock,
                fmt::format("HDR{}, {} blob{}", h->version, blobs, blobs == 1 ? "" : "s")};
}

Result<Image> ParseXiaomi(ByteView data) {
  std::optional<Header> header = ReadHeader(data);
  if (!header || !Plausible(*header, data)) {
    return Error::InvalidInput("xiaomi: no HDR1/HDR2 header with a blob at offset 0");
  }
  const Header& h = *header;
  Image image;
  image.length = uint64_t{h.signature_offset} + kSignatureBlock;
  if (h.version == 1) {
    image.summary = fmt::format("Xiaomi HDR1, device id {:#06x}", LoadLE16(data.data() + 14));
  } else {
    image.summary = fmt::format("Xiaomi HDR2, device {}, region {}", FieldString(data, 16, 8),
                                FieldString(data, 24, 8));
  }

  // The CRC32 over the blobs (or, as some tools compute it, over everything after it).
  if (h.signature_offset <= data.size()) {
    uint32_t blobs_crc = ~Crc32(data.subspan(h.size, h.signature_offset - h.size));
    if (blobs_crc != h.crc && image.length <= data.size()) {
      uint32_t whole = ~Crc32(data.subspan(12, image.length - 12));
      if (whole == h.crc) blobs_crc = whole;
    }
    CheckValue(image, 8, "CRC32", h.crc, blobs_crc);
  } else {
    AddCorrupt(image, 4,
               fmt::format("truncated: the signature at {:#x} lies past the end of the data "
                           "({} bytes); CRC32 not checked",
                           h.signature_offset, data.size()));
  }
  if (image.length > data.size() && h.signature_offset <= data.size()) {
    AddCorrupt(image, h.signature_offset,
               fmt::format("truncated: the signature block needs {} bytes, {} are present",
                           kSignatureBlock, data.size() - h.signature_offset));
  }

  std::set<uint32_t> seen;
  std::set<std::string> labels;
  for (int i = 0; i < kMaxBlobs; ++i) {
    const uint32_t offset = h.blobs[i];
    const uint64_t field = h.size - 32 + 4 * i;
    if (offset == 0) continue;
    if (!seen.insert(offset).second) {
      AddCorrupt(image, field, fmt::format("blob {} repeats offset {:#x}: ignored", i, offset));
      continue;
    }
    if (offset < h.size || offset >= h.signature_offset || !FitsIn(data, offset, kBlobHeader)) {
      AddCorrupt(image, field,
                 fmt::format("blob {} header at {:#x} lies outside [{:#x}, {:#x}) or the data", i,
                             offset, h.size, h.signature_offset));
      continue;
    }
    if (LoadLE32(data.data() + offset) != kBlobMagic) {
      AddCorrupt(image, offset, fmt::format("blob {} at {:#x}: no 0xbabe magic", i, offset));
      continue;
    }
    const uint32_t size = LoadLE32(data.data() + offset + 8);
    const uint16_t type = LoadLE16(data.data() + offset + 12);
    std::string name = FieldString(data, offset + 16, 32);
    if (name.empty() || !labels.insert(name).second) name = fmt::format("blob{}", i);
    labels.insert(name);
    AddInfo(image, offset,
            fmt::format("blob {} \"{}\": type {:#x}, flash offset {:#x}, {} bytes", i, name, type,
                        LoadLE32(data.data() + offset + 4), size));
    AddPart(image, data, name, offset + kBlobHeader, size, h.signature_offset, offset + 8);
  }
  return image;
}

}  // namespace clearbox::unpack::vendor
