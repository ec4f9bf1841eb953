// Broadcom TRX firmware containers: a little-endian header, then up to 3 (v1) or 4 (v2)
// partitions (typically loader, kernel, root filesystem).
//
//   Result<trx::Image> image = trx::Parse(bytes);
//   for (const Note& n : image->notes) ...;          // CRC mismatch, truncation, bad offsets
//   for (const trx::Partition& p : image->partitions) Use(p.label, p.data);
//
// Header (OpenWrt firmware-utils trx.c): magic "HDR0", length of the whole image (header
// included), CRC32 over [12, length) as Broadcom computes it (initial ~0, no final
// inversion: the complement of the usual CRC32), flags (16 bits), version (16 bits: 1 or 2),
// then 3 (v1) or 4 (v2) partition offsets from the start of the header, 0 when unused.
// A partition runs from its offset to the next used offset, the last one to `length`.
//
// Parse reports a CRC mismatch, a truncated image and offsets that are out of order or out
// of range as Notes and hands on every partition that can be placed (what exists of it).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"

namespace clearbox::unpack::trx {

inline constexpr uint32_t kMagic = 0x30524448;  // "HDR0" read little-endian
inline constexpr size_t kHeaderSizeV1 = 28;
inline constexpr size_t kHeaderSizeV2 = 32;
inline constexpr size_t kCrcStart = 12;  // the CRC covers flags, version, offsets and data

struct Header {
  uint32_t length = 0;
  uint32_t stored_crc = 0;
  uint16_t flags = 0;
  uint16_t version = 0;
  std::vector<uint32_t> offsets;  // 3 (v1) or 4 (v2) entries, 0 when unused
  size_t header_size() const { return version == 2 ? kHeaderSizeV2 : kHeaderSizeV1; }
};

struct Partition {
  std::string label;    // "part0".."part3": the offset slot it came from
  uint64_t offset = 0;  // from the start of the image
  uint64_t size = 0;    // as the offsets and length state it
  ByteView data;        // what the buffer holds of it
};

struct Image {
  Header header;
  std::optional<uint32_t> computed_crc;  // set when all `length` bytes are present
  std::vector<Partition> partitions;
  std::vector<Note> notes;  // kCorrupt facts; offsets from the image start, `where` empty

  bool crc_ok() const { return computed_crc && *computed_crc == header.stored_crc; }
};

// Reads the header at the start of `data`: nullopt without the magic, a version of 1 or 2,
// or the bytes of the header.
std::optional<Header> ReadHeader(ByteView data);

// Whether the header is worth trusting when carving: `length` covers the header and at
// least one partition offset lies inside [header size, length).
bool Plausible(const Header& header);

// Parses the image at the start of `data` (which may run past its end).
// Errors: kInvalidInput when `data` does not start with a TRX header.
Result<Image> Parse(ByteView data);

// Broadcom's CRC32 of a TRX: ~crc32(bytes) in zlib's terms.
uint32_t TrxCrc(ByteView bytes);

}  // namespace clearbox::unpack::trx
