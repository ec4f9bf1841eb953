// The Android sparse image handler: the engine's adapter over sparse::Parse. The raw
// partition image is rebuilt (in memory, or a temp file past the in-memory limit, charged to
// the limits like any output) and handed on: an ext4 inside is then opened as usual.
#include <fmt/format.h>

#include "android_sparse.h"
#include "decompress_payload.h"
#include "internal/format.h"

namespace clearbox::unpack::internal {
namespace {

std::optional<Match> ProbeSparse(ByteView data) {
  std::optional<sparse::Header> h = sparse::ReadHeader(data);
  if (!h) return std::nullopt;
  Match m;  // length 0: the chunk table says where the image ends
  m.detail = fmt::format("{} blocks of {} bytes in {} chunks", h->total_blocks, h->block_size,
                         h->total_chunks);
  return m;
}

Result<uint64_t> OpenSparse(ByteView container, const Match&, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(sparse::Image image, sparse::Parse(container));
  const sparse::Header& h = image.header;
  walker.AddNote(Note::Kind::kInfo, 0,
                 fmt::format("Android sparse image v{}.{}: {} chunks, {} blocks of {} bytes "
                             "({} bytes expanded)",
                             h.major, h.minor, image.chunks.size(), h.total_blocks, h.block_size,
                             h.output_size()));
  for (Note& note : image.notes) walker.AddNote(note.kind, note.offset, std::move(note.message));
  if (image.chunks.empty() || h.output_size() == 0) return image.input_size;
  if (h.output_size() > walker.limits().max_file_bytes) {
    walker.AddNote(
        Note::Kind::kLimit, 0,
        fmt::format("expands to {} bytes, over the per-file limit: not unpacked", h.output_size()));
    return image.input_size;
  }
  CLEARBOX_RETURN_IF_ERROR(walker.CheckContinue());
  std::unique_ptr<SpillBuffer> spill = walker.NewSpillBuffer();
  CLEARBOX_RETURN_IF_ERROR(sparse::Expand(
      image, [&](uint64_t offset, ByteView bytes) { return spill->WriteAt(offset, bytes); }));
  CLEARBOX_ASSIGN_OR_RETURN(std::shared_ptr<const Blob> blob, spill->Finish());
  // An image no format recognises (raw data) is listed as a file as well.
  CLEARBOX_RETURN_IF_ERROR(HandOn(walker, blob->bytes(), "", 0, PayloadFile{"image", 0}));
  return image.input_size;
}

}  // namespace

extern const FormatHandler kAndroidSparseFormat = {
    .name = "android-sparse",
    .magics = {{"\x3a\xff\x26\xed", 0}},
    .flags = 0,
    .probe = ProbeSparse,
    .open = OpenSparse,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
