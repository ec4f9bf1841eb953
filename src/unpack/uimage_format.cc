// The uImage format handler: the engine's adapter over uimage::Parse.
//
// Each part becomes a payload: decompressed when the header names a codec (what exists of a
// truncated stream is still handed on), as stored otherwise; a part no format recognises (a
// kernel) is also listed as a file named after the image type. Header and data CRC
// mismatches, truncation and decoding failures become notes; the header an info note.
#include <fmt/format.h>

#include "decompress_payload.h"
#include "internal/format.h"
#include "uimage.h"

namespace clearbox::unpack::internal {
namespace {

std::optional<Match> ProbeUimage(ByteView data) {
  std::optional<uimage::Header> h = uimage::ReadHeader(data);
  if (!h || !uimage::Plausible(*h)) return std::nullopt;
  Match m;
  m.length = uimage::kHeaderSize + uint64_t{h->data_size};
  m.detail = fmt::format("{}, {}{}", uimage::TypeName(h->type), uimage::CompressionName(h->comp),
                         h->header_crc_ok() ? "" : ", header CRC mismatch");
  return m;
}

Result<uint64_t> OpenUimage(ByteView container, const Match& match, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(uimage::Image image, uimage::Parse(container));
  walker.AddNote(Note::Kind::kInfo, 0, uimage::Describe(image.header));
  for (Note& note : image.notes) walker.AddNote(note.kind, note.offset, std::move(note.message));

  std::optional<Codec> codec = uimage::CodecFor(image.header.comp);
  if (!codec && image.header.comp != uimage::kCompNone) {
    walker.AddNote(Note::Kind::kUnsupported, 31,
                   fmt::format("compression {}: payload handed on as stored",
                               uimage::CompressionName(image.header.comp)));
  }
  // In a multi-file image U-Boot decompresses only the kernel (part 0); other parts are
  // usually stored as they are (an initrd.gz), so for them a failed decode is no fault.
  const bool multi = image.parts.size() > 1 || image.header.type == uimage::kTypeMulti;
  for (size_t i = 0; i < image.parts.size(); ++i) {
    const uimage::Part& part = image.parts[i];
    if (part.data.empty()) continue;
    // Unrecognised payloads (a kernel) become files named after their type or part.
    PayloadFile file{part.label.empty() ? uimage::TypeName(image.header.type) : part.label,
                     image.header.time};
    if (!codec) {
      CLEARBOX_RETURN_IF_ERROR(HandOn(walker, part.data, part.label, part.offset, file));
      continue;
    }
    CLEARBOX_RETURN_IF_ERROR(AddDecompressedPayload(walker, *codec, part.data, part.label,
                                                    part.offset, file,
                                                    /*fault_is_corruption=*/!multi || i == 0));
  }
  return std::min<uint64_t>(image.total_size(), container.size());
}

}  // namespace

extern const FormatHandler kUimageFormat = {
    .name = "uimage",
    .magics = {{"\x27\x05\x19\x56", 0}},
    .flags = 0,
    .probe = ProbeUimage,
    .open = OpenUimage,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
