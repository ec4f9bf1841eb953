// The TRX format handler: each partition becomes a payload (zero-copy views of the image),
// listed as a file "partN" too when no format recognises it (a raw kernel); CRC mismatches,
// truncation and bad offsets become notes.
#include <fmt/format.h>

#include "decompress_payload.h"
#include "internal/format.h"
#include "trx.h"

namespace clearbox::unpack::internal {
namespace {

std::optional<Match> ProbeTrx(ByteView data) {
  std::optional<trx::Header> h = trx::ReadHeader(data);
  if (!h || !trx::Plausible(*h)) return std::nullopt;
  Match m;
  m.length = h->length;
  size_t used = 0;
  for (uint32_t offset : h->offsets) used += offset != 0;
  m.detail = fmt::format("v{}, {} partition{}", h->version, used, used == 1 ? "" : "s");
  return m;
}

Result<uint64_t> OpenTrx(ByteView container, const Match& match, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(trx::Image image, trx::Parse(container));
  walker.AddNote(Note::Kind::kInfo, 0,
                 fmt::format("TRX v{}, {} bytes, flags {:#06x}, CRC {:#010x}{}",
                             image.header.version, image.header.length, image.header.flags,
                             image.header.stored_crc, image.crc_ok() ? " (verified)" : ""));
  for (Note& note : image.notes) walker.AddNote(note.kind, note.offset, std::move(note.message));
  for (const trx::Partition& p : image.partitions) {
    if (p.data.empty()) continue;
    CLEARBOX_RETURN_IF_ERROR(HandOn(walker, p.data, p.label, p.offset, PayloadFile{p.label, 0}));
  }
  return std::min<uint64_t>(image.header.length, container.size());
}

}  // namespace

extern const FormatHandler kTrxFormat = {
    .name = "trx",
    .magics = {{"HDR0", 0}},
    .flags = 0,
    .probe = ProbeTrx,
    .open = OpenTrx,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
