// Fuzzes the tlog-tiles path parser and the tile / entry-bundle decoders
// (clearbox/tlog/tiles.h). Invariant: a path that parses is the canonical path of what it
// names.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "clearbox/tlog/tiles.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace clearbox::tlog;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseTilePath(input);
  if (parsed.ok()) {
    const TileId& t = parsed->tile;
    std::string again = parsed->entry_bundle ? EntryBundlePath(t.index, t.width) : TilePath(t);
    if (again != input) std::abort();
  }
  if (size > 0) {
    clearbox::ByteView rest(data + 1, size - 1);
    uint16_t width = static_cast<uint16_t>(data[0]) + 1;  // 1..256
    auto entries = ParseEntryBundle(rest, width);
    if (entries.ok() && entries->size() != width) std::abort();
    auto hashes = ParseTileData(rest, {0, 0, width});
    if (hashes.ok() && FormatTileData(*hashes) != clearbox::Bytes(rest.begin(), rest.end())) {
      std::abort();
    }
  }
  return 0;
}
