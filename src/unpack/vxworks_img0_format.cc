// The TP-Link IMG0 handler: the kernel's LZMA stream is decoded here (TP-Link's props 0x6E
// are not the 0x5D the lzma format's magic finds), the VxWorks version and symbol table are
// read from it, and the file system and the last part are handed on. An image whose kernel
// region is not one stream (the boot image that wraps the firmware) has the LZMA streams
// before its nested IMG0 decoded and the whole region carved.
#include <fmt/format.h>

#include "decompress.h"
#include "decompress_payload.h"
#include "internal/format.h"
#include "vxworks_img0.h"
#include "vxworks_kernel.h"

namespace clearbox::unpack::internal {
namespace {

constexpr size_t kMaxBootStreams = 4;

std::optional<Match> ProbeImg0(ByteView data) {
  std::optional<img0::Header> h = img0::ReadHeader(data);
  if (!h || !img0::Plausible(*h)) return std::nullopt;
  Match m;
  m.length = h->length;
  m.detail = fmt::format("product {:#06x}, {}", h->product, img0::LanguageName(h->language));
  return m;
}

// Notes the VxWorks version and lists the symbol table of a decoded kernel as a file.
Status AnalyseKernel(Walker& walker, ByteView kernel, const std::string& label, uint64_t offset) {
  std::optional<vxworks::Banner> banner = vxworks::FindBanner(kernel);
  if (banner) {
    walker.AddNote(Note::Kind::kInfo, offset,
                   fmt::format("{}: VxWorks {}{}{} (version string at {:#x} of the decoded image)",
                               label, banner->version, banner->built.empty() ? "" : ", built ",
                               banner->built, banner->offset));
  }
  CLEARBOX_RETURN_IF_ERROR(walker.CheckContinue());
  std::optional<vxworks::SymbolTable> table = vxworks::FindSymbolTable(kernel);
  if (!table) {
    if (banner) {
      walker.AddNote(Note::Kind::kInfo, offset,
                     fmt::format("{}: no VxWorks symbol table found (built without the "
                                 "standalone symbol table)",
                                 label));
    }
    return Status::Ok();
  }
  const std::string path = label == "kernel" ? "symbols.txt" : label + ".symbols.txt";
  walker.AddNote(Note::Kind::kInfo, offset,
                 fmt::format("{}: VxWorks symbol table of {} symbols at {:#x} ({}-byte entries, "
                             "{}-endian, load address {:#010x}{}); listed as {}",
                             label, table->symbols.size(), table->offset, table->entry_size,
                             table->big_endian ? "big" : "little", table->load_address,
                             table->unresolved
                                 ? fmt::format(", {} names unreadable", table->unresolved)
                                 : "",
                             path));
  const std::string text = vxworks::FormatSymbols(*table);
  Node node;
  node.path = path;
  node.type = NodeType::kFile;
  node.mode = 0644;
  node.size = text.size();
  ViewReader reader(AsBytes(text));
  return walker.AddNode(std::move(node), &reader);
}

// Decodes the LZMA-alone stream at the start of `stream`, analyses it and hands it on.
// Returns the bytes the stream occupies (0 when it did not decode).
Result<uint64_t> DecodeKernel(Walker& walker, ByteView stream, const std::string& label,
                              uint64_t offset) {
  DecompressOptions options;
  options.max_out = walker.OutputBudget(stream.size());
  options.keep_partial = true;
  Result<Decompressed> d = DecompressEx(Codec::kLzmaAlone, stream, options);
  if (!d.ok()) {
    const bool limit = d.error().code() == ErrorCode::kLimitExceeded;
    walker.AddNote(limit ? Note::Kind::kLimit : Note::Kind::kCorrupt, offset,
                   fmt::format("{}: {}", label, d.error().message()));
    return uint64_t{0};
  }
  if (d->data.empty()) {
    walker.AddNote(Note::Kind::kCorrupt, offset,
                   fmt::format("{}: {}", label, d->failure ? d->failure->message() : "empty"));
    return uint64_t{0};
  }
  if (d->failure) {
    walker.AddNote(Note::Kind::kCorrupt, offset,
                   fmt::format("{}: {}; keeping the {} bytes decoded", label,
                               d->failure->message(), d->data.size()));
  }
  CLEARBOX_RETURN_IF_ERROR(walker.Charge(d->data.size()));
  CLEARBOX_RETURN_IF_ERROR(AnalyseKernel(walker, d->data, label, offset));
  CLEARBOX_RETURN_IF_ERROR(
      HandOn(walker, d->data, label, offset, PayloadFile{label, 0}, stream.size()));
  return d->consumed.value_or(stream.size());
}

// Whether the first KiB of an LZMA stream found by scanning decodes: a header-like run of
// bytes in boot code is skipped silently instead of becoming a corrupt note.
bool DecodesAtAll(ByteView stream) {
  DecompressOptions options;
  options.max_out = 1024;
  options.keep_partial = true;
  Result<Decompressed> d = DecompressEx(Codec::kLzmaAlone, stream, options);
  if (!d.ok()) return d.error().code() == ErrorCode::kLimitExceeded;  // more than 1 KiB
  return !d->failure && !d->data.empty();
}

// A kernel region that is not one stream (the boot image): the boot code before the first
// LZMA stream is carved as "boot", the streams before the nested IMG0 are decoded as boot
// ROMs, and the rest from the nested IMG0 on is handed on as "image".
Status OpenBootRegion(Walker& walker, const img0::Region& region) {
  ByteView data = region.data;
  const uint64_t boot_end = img0::NextImg0(data, 0).value_or(data.size());
  std::optional<uint64_t> first_stream;
  size_t streams = 0;
  for (uint64_t at = 0; at + 14 <= boot_end && streams < kMaxBootStreams; at += 4) {
    ByteView rest = data.subspan(at, boot_end - at);
    if (!img0::LzmaAloneAt(rest) || !DecodesAtAll(rest)) continue;
    const std::string label = streams == 0 ? "bootrom" : fmt::format("bootrom-{}", streams);
    CLEARBOX_ASSIGN_OR_RETURN(uint64_t used, DecodeKernel(walker, rest, label, region.offset + at));
    if (used == 0) continue;
    if (!first_stream) first_stream = at;
    ++streams;
    at += (used - 1) & ~uint64_t{3};
  }
  const uint64_t head = first_stream.value_or(boot_end);
  if (head > 0) {
    CLEARBOX_RETURN_IF_ERROR(
        walker.AddPayload(StoredPayload("boot", region.offset, data.first(head))));
  }
  if (boot_end < data.size()) {
    CLEARBOX_RETURN_IF_ERROR(walker.AddPayload(
        StoredPayload("image", region.offset + boot_end, data.subspan(boot_end))));
  }
  return Status::Ok();
}

Result<uint64_t> OpenImg0(ByteView container, const Match&, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(img0::Image image, img0::Parse(container));
  const img0::Header& h = image.header;
  std::string regions;
  for (const img0::Region& r : image.regions) {
    regions += fmt::format(", {} at {:#x} ({} bytes)", r.label, r.offset, r.size);
  }
  walker.AddNote(Note::Kind::kInfo, 0,
                 fmt::format("TP-Link IMG0: {} bytes, product {:#06x}, language {}{}", h.length,
                             h.product, img0::LanguageName(h.language), regions));
  for (Note& note : image.notes) walker.AddNote(note.kind, note.offset, std::move(note.message));
  for (const img0::Region& r : image.regions) {
    if (r.data.empty()) continue;
    if (r.label == "kernel") {
      if (img0::LzmaAloneAt(r.data)) {
        CLEARBOX_RETURN_IF_ERROR(DecodeKernel(walker, r.data, "kernel", r.offset).status());
      } else {
        CLEARBOX_RETURN_IF_ERROR(OpenBootRegion(walker, r));
      }
    } else if (r.label == "fs") {
      CLEARBOX_RETURN_IF_ERROR(walker.AddPayload(StoredPayload("fs", r.offset, r.data)));
    } else {
      CLEARBOX_RETURN_IF_ERROR(HandOn(walker, r.data, r.label, r.offset, PayloadFile{r.label, 0}));
    }
  }
  return std::min<uint64_t>(h.length, container.size());
}

}  // namespace

extern const FormatHandler kVxworksImg0Format = {
    .name = "img0",
    .magics = {{"IMG0", 0}},
    .flags = 0,
    .probe = ProbeImg0,
    .open = OpenImg0,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
