// The UBI format handler: each volume, reassembled from its erase blocks in a spill buffer,
// becomes a payload labelled with its name (UBIFS volumes are then found by their
// superblock). Bad headers, lost blocks and a damaged volume table become notes.
#include <fmt/format.h>

#include "decompress_payload.h"
#include "internal/format.h"
#include "ubi.h"

namespace clearbox::unpack::internal {
namespace {

// A volume name as a provenance label: what cannot appear there safely becomes '_'.
std::string Label(const ubi::Volume& v) {
  if (v.name.empty()) return fmt::format("vol{}", v.id);
  std::string label = v.name;
  for (char& c : label) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
    if (!plain) c = '_';
  }
  return label;
}

std::optional<Match> ProbeUbi(ByteView data) {
  std::optional<ubi::EcHeader> ec = ubi::ReadEcHeader(data);
  if (!ec || ec->version != 1 || ec->vid_hdr_offset < ubi::kEcHeaderSize ||
      uint64_t{ec->vid_hdr_offset} + ubi::kVidHeaderSize > ec->data_offset) {
    return std::nullopt;
  }
  Match m;
  m.length = 0;  // the scan finds where the image ends
  m.detail = fmt::format("image sequence {:#010x}", ec->image_seq);
  return m;
}

Result<uint64_t> OpenUbi(ByteView container, const Match& match, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(ubi::Image image, ubi::Parse(container));
  walker.AddNote(Note::Kind::kInfo, 0,
                 fmt::format("UBI: {} PEBs of {} bytes (data at {:#x}), {} volume{}",
                             image.peb_count, image.peb_size, image.data_offset,
                             image.volumes.size(), image.volumes.size() == 1 ? "" : "s"));
  for (Note& note : image.notes) walker.AddNote(note.kind, note.offset, std::move(note.message));
  for (const ubi::Volume& v : image.volumes) {
    walker.AddNote(Note::Kind::kInfo, 0,
                   fmt::format("volume {} '{}': {}, {} LEBs of {} bytes, {} bytes", v.id, v.name,
                               v.type == ubi::kStatic ? "static" : "dynamic", v.lebs.size(),
                               v.leb_size, v.size()));
    if (v.size() == 0) continue;
    if (v.size() > walker.limits().max_file_bytes) {
      walker.AddNote(Note::Kind::kLimit, 0,
                     fmt::format("volume {}: {} bytes, over the per-file limit: not unpacked", v.id,
                                 v.size()));
      continue;
    }
    CLEARBOX_RETURN_IF_ERROR(walker.CheckContinue());
    std::unique_ptr<SpillBuffer> spill = walker.NewSpillBuffer();
    CLEARBOX_RETURN_IF_ERROR(ubi::Assemble(
        container, image, v,
        [&](uint64_t offset, ByteView bytes) { return spill->WriteAt(offset, bytes); }));
    CLEARBOX_ASSIGN_OR_RETURN(std::shared_ptr<const Blob> blob, spill->Finish());
    // A volume no format recognises (a kernel, raw data) is listed as a file as well.
    CLEARBOX_RETURN_IF_ERROR(HandOn(walker, blob->bytes(), Label(v),
                                    v.lebs.begin()->second.data_offset, PayloadFile{Label(v), 0}));
  }
  return std::min<uint64_t>(image.extent(), container.size());
}

}  // namespace

extern const FormatHandler kUbiFormat = {
    .name = "ubi",
    .magics = {{"UBI#", 0}},
    .flags = 0,
    .probe = ProbeUbi,
    .open = OpenUbi,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
