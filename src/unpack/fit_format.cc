// The FIT format handler: the engine's adapter over fit::Parse. Each image of the tree (a
// kernel, a ramdisk, a device tree, a filesystem) becomes a payload, decompressed when the
// tree names a codec; one no format recognises is also listed as a file named after its node.
// A plain device tree (no /images) is a leaf: a board description with no files in it,
// reported as a fact (model, compatible), not as something left unpacked.
#include <fmt/format.h>

#include "decompress_payload.h"
#include "fit.h"
#include "internal/format.h"

namespace clearbox::unpack::internal {
namespace {

std::optional<Match> ProbeFit(ByteView data) {
  if (!fit::LooksLikeFit(data)) return std::nullopt;
  Match m;  // length 0: external data may follow the tree; Open finds the end
  m.detail = fmt::format("FIT image, tree of {} bytes", LoadBE32(data.data() + 4));
  return m;
}

Result<uint64_t> OpenFit(ByteView container, const Match&, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(fit::Image image, fit::Parse(container));
  std::string summary = fmt::format("FIT image '{}', {} image{}", image.description,
                                    image.parts.size(), image.parts.size() == 1 ? "" : "s");
  for (const fit::Part& p : image.parts) {
    size_t verified = 0;
    for (const fit::Hash& h : p.hashes) verified += h.checked && h.ok;
    summary += fmt::format(
        "; {} ({}, {}, {} bytes{}{})", p.name, p.type, p.compression, p.size,
        p.external ? ", external" : "",
        verified > 0 ? fmt::format(", {} hash{} verified", verified, verified == 1 ? "" : "es")
                     : "");
  }
  walker.AddNote(Note::Kind::kInfo, 0, std::move(summary));
  for (Note& note : image.notes) walker.AddNote(note.kind, note.offset, std::move(note.message));

  for (const fit::Part& part : image.parts) {
    if (part.data.empty()) continue;
    PayloadFile file{part.name, image.timestamp};
    if (part.type == "flat_dt" && part.compression == "none") {
      // A device tree describes the board; it holds no files. Listed (and hashed) as one.
      CLEARBOX_RETURN_IF_ERROR(AddPayloadFile(walker, part.data, file));
      continue;
    }
    std::optional<Codec> codec = fit::CodecFor(part.compression);
    if (!codec) {
      if (part.compression != "none") {
        walker.AddNote(Note::Kind::kUnsupported, part.offset,
                       fmt::format("image {}: compression '{}': handed on as stored", part.name,
                                   part.compression));
      }
      CLEARBOX_RETURN_IF_ERROR(HandOn(walker, part.data, part.name, part.offset, file));
      continue;
    }
    CLEARBOX_RETURN_IF_ERROR(AddDecompressedPayload(walker, *codec, part.data, part.name,
                                                    part.offset, file,
                                                    /*fault_is_corruption=*/true));
  }
  return std::min<uint64_t>(image.total_size, container.size());
}

// Flattened device tree header: magic, totalsize, off_dt_struct, off_dt_strings,
// off_mem_rsvmap, version, last_comp_version (all big-endian).
std::optional<Match> ProbeFdt(ByteView d) {
  if (d.size() < 40) return std::nullopt;
  uint32_t total = LoadBE32(d.data() + 4);
  uint32_t off_struct = LoadBE32(d.data() + 8);
  uint32_t off_strings = LoadBE32(d.data() + 12);
  uint32_t version = LoadBE32(d.data() + 20);
  uint32_t last_compatible = LoadBE32(d.data() + 24);
  if (total < 40 || off_struct >= total || off_strings >= total) return std::nullopt;
  if (version < 16 || version > 17 || last_compatible > version) return std::nullopt;
  Match m;
  m.length = total;
  m.detail = fmt::format("device tree, version {}", version);
  return m;
}

Result<uint64_t> OpenFdt(ByteView container, const Match&, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(fit::DeviceTree dt, fit::ReadDeviceTree(container));
  walker.AddNote(Note::Kind::kInfo, 0,
                 fmt::format("device tree of {} bytes, model '{}', compatible '{}': a board "
                             "description, no files in it",
                             dt.size, dt.model, dt.compatible));
  return dt.size;
}

}  // namespace

extern const FormatHandler kFdtFormat = {
    .name = "fdt",
    .magics = {{"\xd0\x0d\xfe\xed", 0}},
    .flags = 0,
    .probe = ProbeFdt,
    .open = OpenFdt,
    .open_stream = nullptr,
};

extern const FormatHandler kFitFormat = {
    .name = "fit",
    .magics = {{"\xd0\x0d\xfe\xed", 0}},
    .flags = 0,
    .probe = ProbeFit,
    .open = OpenFit,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
