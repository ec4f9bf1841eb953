// Fuzzes the directory backend's journal parser (src/tlog/storage_dir_journal.h), which reads
// a file a crash or a damaged disk may have left in any state. Invariants: every record it
// returns names canonical tile paths only and re-encodes to exactly the bytes it was parsed
// from (so a replay writes what was journaled, nowhere else).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "clearbox/tlog/tiles.h"
#include "tlog/storage_dir_journal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace clearbox::tlog;
  auto parsed = internal::ParseJournal(clearbox::ByteView(data, size));
  if (parsed.valid_bytes > size) std::abort();
  clearbox::Bytes again;
  for (const auto& record : parsed.records) {
    for (const TileData& t : record.tiles) {
      if (!ParseTilePath(t.path).ok()) std::abort();
    }
    internal::EncodeJournalRecord(record.checkpoint, record.tiles, again);
  }
  if (again.size() != parsed.valid_bytes ||
      (!again.empty() && std::memcmp(again.data(), data, again.size()) != 0)) {
    std::abort();
  }
  return 0;
}
