// Containers the engine recognises but cannot unpack yet. Carving finds them, validates
// their header and reports "not unpacked: FORMAT at 0xOFF" with their length, so that a
// known format is never silently skipped and its bytes are not carved for false positives.
#include <fmt/format.h>

#include <cstring>

#include "internal/format.h"

namespace clearbox::unpack::internal {
namespace {

// Android sparse image: LE magic, major 1, file header 28 bytes, chunk header 12 bytes,
// block size a multiple of 4.
std::optional<Match> ProbeAndroidSparse(ByteView d) {
  if (d.size() < 28) return std::nullopt;
  uint16_t major = LoadLE16(d.data() + 4);
  uint16_t file_header = LoadLE16(d.data() + 8);
  uint16_t chunk_header = LoadLE16(d.data() + 10);
  uint32_t block_size = LoadLE32(d.data() + 12);
  if (major != 1 || file_header != 28 || chunk_header != 12) return std::nullopt;
  if (block_size == 0 || block_size % 4 != 0 || block_size > (1u << 24)) return std::nullopt;
  Match m;
  m.detail = fmt::format("{} blocks of {} bytes", LoadLE32(d.data() + 16), block_size);
  return m;
}

// cramfs: magic (either endian), size, flags, future, then "Compressed ROMFS".
std::optional<Match> ProbeCramfs(ByteView d) {
  if (d.size() < 64 || std::memcmp(d.data() + 16, "Compressed ROMFS", 16) != 0) {
    return std::nullopt;
  }
  bool little = LoadLE32(d.data()) == 0x28cd3d45;
  uint32_t size = little ? LoadLE32(d.data() + 4) : LoadBE32(d.data() + 4);
  if (size < 64) return std::nullopt;
  Match m;
  m.length = size;
  m.detail = little ? "little-endian" : "big-endian";
  return m;
}

// romfs: "-rom1fs-", big-endian full size, checksum, volume name.
std::optional<Match> ProbeRomfs(ByteView d) {
  if (d.size() < 32) return std::nullopt;
  uint32_t size = LoadBE32(d.data() + 8);
  if (size < 32) return std::nullopt;
  Match m;
  m.length = size;
  return m;
}

}  // namespace

extern const FormatHandler kAndroidSparseFormat = {
    .name = "android-sparse", .magics = {{"\x3a\xff\x26\xed", 0}}, .probe = ProbeAndroidSparse};
extern const FormatHandler kCramfsRecognisedFormat = {
    .name = "cramfs",
    .magics = {{"\x45\x3d\xcd\x28", 0}, {"\x28\xcd\x3d\x45", 0}},
    .probe = ProbeCramfs};
extern const FormatHandler kRomfsFormat = {
    .name = "romfs", .magics = {{"-rom1fs-", 0}}, .probe = ProbeRomfs};

}  // namespace clearbox::unpack::internal
