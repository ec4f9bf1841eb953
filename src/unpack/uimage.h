// Legacy U-Boot images (uImage): a 64-byte big-endian header, then the data.
//
//   Result<uimage::Image> image = uimage::Parse(bytes);
//   if (!image.ok()) ...;                       // no magic or a short header
//   for (const Note& n : image->notes) ...;     // CRC mismatches, truncation: facts
//   for (const uimage::Part& p : image->parts) Decompress(*uimage::CodecFor(...), p.data);
//
// The header (include/image.h in U-Boot): magic 0x27051956, header CRC32 (computed with the
// field zeroed), timestamp, data size, load and entry addresses, data CRC32, OS,
// architecture, image type, compression, and a 32-byte name. Multi-file images (type 4) and
// scripts (type 6) start their data with a table of big-endian 32-bit sizes ended by a zero;
// each part follows, padded to 4 bytes.
//
// Parse never fails on what follows the header: a CRC mismatch, a truncated image, a size
// table that runs past the data are Notes, and every part holds what the buffer has of it.
// Pure functions of their input; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"
#include "decompress.h"

namespace clearbox::unpack::uimage {

inline constexpr uint32_t kMagic = 0x27051956;
inline constexpr size_t kHeaderSize = 64;
inline constexpr uint8_t kTypeMulti = 4;
inline constexpr uint8_t kTypeScript = 6;
// More parts than this in a multi-file table are reported and skipped.
inline constexpr size_t kMaxParts = 256;

// Compression codes (IH_COMP_*).
enum Compression : uint8_t {
  kCompNone = 0,
  kCompGzip = 1,
  kCompBzip2 = 2,
  kCompLzma = 3,
  kCompLzo = 4,
  kCompLz4 = 5,
  kCompZstd = 6,
};

struct Header {
  uint32_t stored_header_crc = 0;
  uint32_t computed_header_crc = 0;  // CRC32 of the 64 bytes with the CRC field zeroed
  uint32_t time = 0;                 // seconds since the epoch
  uint32_t data_size = 0;
  uint32_t load = 0;
  uint32_t entry = 0;
  uint32_t data_crc = 0;
  uint8_t os = 0;
  uint8_t arch = 0;
  uint8_t type = 0;
  uint8_t comp = 0;
  std::string name;  // up to 32 bytes, cut at the first NUL, as stored (not validated)

  bool header_crc_ok() const { return stored_header_crc == computed_header_crc; }
};

// One payload of the image.
struct Part {
  std::string label;    // "" for the only payload; "part0", "part1", ... in multi-file images
  uint64_t offset = 0;  // from the start of the image
  uint64_t size = 0;    // as the header or the size table states it
  ByteView data;        // what the buffer holds of it: shorter than `size` when truncated
  bool complete() const { return data.size() == size; }
};

struct Image {
  Header header;
  uint64_t data_present = 0;                  // data bytes the buffer holds (<= header.data_size)
  std::optional<uint32_t> computed_data_crc;  // set when all data bytes are present
  std::vector<Part> parts;
  // Header CRC and data CRC mismatches, truncation, a bad size table (kCorrupt); offsets
  // are from the image start; `where` is left empty.
  std::vector<Note> notes;

  uint64_t total_size() const { return kHeaderSize + uint64_t{header.data_size}; }
  bool data_crc_ok() const { return computed_data_crc && *computed_data_crc == header.data_crc; }
};

// Reads the header at the start of `data`; nullopt without the magic or 64 bytes.
std::optional<Header> ReadHeader(ByteView data);

// Whether a header is worth trusting when carving: a header CRC that matches, or (to still
// report an image whose header was damaged) a known compression, type, OS and architecture.
bool Plausible(const Header& header);

// Parses the image at the start of `data` (which may run past its end).
// Errors: kInvalidInput when `data` does not start with a uImage header.
Result<Image> Parse(ByteView data);

// The codec for a compression code; nullopt for none and unknown codes.
std::optional<Codec> CodecFor(uint8_t comp);

// Names as mkimage prints them ("kernel", "lzma", "linux", "mips"); "unknown (N)" otherwise.
std::string TypeName(uint8_t type);
std::string CompressionName(uint8_t comp);
std::string OsName(uint8_t os);
std::string ArchName(uint8_t arch);

// One line about the image for an info note: "kernel 'Linux-5.10' (linux/mips, lzma, load
// 0x80000000, entry 0x80000000, 2014-09-22 09:01:31 UTC)".
std::string Describe(const Header& header);

}  // namespace clearbox::unpack::uimage
