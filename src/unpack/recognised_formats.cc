// Containers the engine recognises but cannot unpack yet. Carving finds them, validates
// their header and reports "not unpacked: FORMAT at 0xOFF" with their length, so that a
// known format is never silently skipped and its bytes are not carved for false positives.
#include <fmt/format.h>

#include <cstring>

#include "internal/format.h"

namespace clearbox::unpack::internal {
namespace {

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

}  // namespace

extern const FormatHandler kCramfsRecognisedFormat = {
    .name = "cramfs",
    .magics = {{"\x45\x3d\xcd\x28", 0}, {"\x28\xcd\x3d\x45", 0}},
    .probe = ProbeCramfs};

}  // namespace clearbox::unpack::internal
