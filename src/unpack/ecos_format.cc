// The eCos handler: recognises the kernel's MIPS exception handler and its banner strings
// (ecos.h) and notes what they say; nothing is unpacked. Each claims only its own bytes, so
// carving goes on around it.
#include <fmt/format.h>

#include "ecos.h"
#include "internal/format.h"

namespace clearbox::unpack::internal {
namespace {

std::optional<Match> ProbeEcos(ByteView data) {
  Match m;
  if (std::optional<ecos::ExceptionHandler> h = ecos::ReadExceptionHandler(data)) {
    m.length = h->length;
    m.detail = fmt::format("exception handler, MIPS {}-endian", h->big_endian ? "big" : "little");
    return m;
  }
  if (std::optional<ecos::Banner> b = ecos::ReadBanner(data)) {
    m.length = b->length;
    m.detail = fmt::format("\"{}\"", b->text);
    return m;
  }
  return std::nullopt;
}

Result<uint64_t> OpenEcos(ByteView container, const Match&, Walker& walker) {
  if (std::optional<ecos::ExceptionHandler> h = ecos::ReadExceptionHandler(container)) {
    walker.AddNote(Note::Kind::kInfo, 0,
                   fmt::format("eCos RTOS: kernel exception handler (MIPS {}-endian), vector "
                               "table at {:#010x}; not unpacked",
                               h->big_endian ? "big" : "little", h->vector_table));
    return h->length;
  }
  if (std::optional<ecos::Banner> b = ecos::ReadBanner(container)) {
    walker.AddNote(Note::Kind::kInfo, 0,
                   fmt::format("eCos RTOS: \"{}\"{}; not unpacked", b->text,
                               b->version.empty() ? " (no version in the string)"
                                                  : fmt::format(", version {}", b->version)));
    return b->length;
  }
  return Error::InvalidInput("no eCos signature");
}

}  // namespace

extern const FormatHandler kEcosFormat = {
    .name = "ecos",
    .magics = {{std::string_view("\x40\x1a\x68\x00\x00\x00\x00\x00", 8), 0},
               {std::string_view("\x40\x1a\x68\x00\x33\x5a\x00\x7f", 8), 0},
               {std::string_view("\x00\x68\x1a\x40\x00\x00\x00\x00", 8), 0},
               {std::string_view("\x00\x68\x1a\x40\x7f\x00\x5a\x33", 8), 0},
               {"eCos Release", 0},
               {"RedBoot(tm) bootstrap", 0}},
    .flags = 0,
    .probe = ProbeEcos,
    .open = OpenEcos,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
