// The Wind River MemFS handler: every record becomes a file, its LZMA stream decoded within
// the walker's output budget; damaged records and streams become notes.
#include <fmt/format.h>

#include "internal/format.h"
#include "vxworks_memfs.h"

namespace clearbox::unpack::internal {
namespace {

std::string Describe(const memfs::Header& h) {
  return fmt::format("{} records, {}, {}-endian, header word {:#x}", h.count,
                     h.storage == memfs::Storage::kLzma ? "LZMA-compressed" : "stored",
                     h.big_endian ? "big" : "little", h.word3);
}

std::optional<Match> ProbeMemfs(ByteView data) {
  std::optional<memfs::Header> h = memfs::ReadHeader(data);
  // An empty store, or a count no image could hold, is not worth claiming bytes for.
  if (!h || h->count == 0 || h->count > memfs::kMaxRecords) return std::nullopt;
  Match m;
  m.detail = Describe(*h);
  return m;
}

Status ReportEntry(const memfs::Filesystem& fs, const memfs::Entry& e, Walker& walker) {
  Node node;
  node.path = e.path.substr(1);
  node.type = NodeType::kFile;
  node.mode = 0644;
  node.size = e.size.value_or(e.stored_size);
  if (!e.data_present || !walker.WantsContent()) return walker.AddNode(std::move(node), nullptr);

  Result<memfs::Filesystem::Content> content =
      fs.ReadFile(e, walker.OutputBudget(e.stored_size));
  if (!content.ok()) {
    Note::Kind kind = content.error().code() == ErrorCode::kLimitExceeded ? Note::Kind::kLimit
                                                                           : Note::Kind::kCorrupt;
    walker.AddNote(kind, e.data_offset,
                   fmt::format("{}: {}", node.path, content.error().message()));
    return walker.AddNode(std::move(node), nullptr);
  }
  if (content->failure) {
    walker.AddNote(Note::Kind::kCorrupt, e.data_offset,
                   fmt::format("{}: {}; keeping the {} bytes decoded", node.path,
                               content->failure->message(), content->data.size()));
  } else if (e.size && *e.size != content->data.size()) {
    walker.AddNote(Note::Kind::kCorrupt, e.data_offset,
                   fmt::format("{}: {} bytes decoded, the stream's header says {}", node.path,
                               content->data.size(), *e.size));
  }
  if (fs.header().storage == memfs::Storage::kLzma) {
    CLEARBOX_RETURN_IF_ERROR(walker.Charge(content->data.size()));
  }
  node.size = content->data.size();
  ViewReader reader(content->data);
  return walker.AddNode(std::move(node), &reader);
}

Result<uint64_t> OpenMemfs(ByteView container, const Match&, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(memfs::Filesystem fs, memfs::Filesystem::Parse(container));
  walker.AddNote(Note::Kind::kInfo, 0,
                 fmt::format("Wind River MemFS: {}", Describe(fs.header())));
  for (const Note& note : fs.notes()) walker.AddNote(note.kind, note.offset, note.message);
  size_t count = 0;
  for (const memfs::Entry& e : fs.entries()) {
    if (++count % 256 == 0) CLEARBOX_RETURN_IF_ERROR(walker.CheckContinue());
    CLEARBOX_RETURN_IF_ERROR(ReportEntry(fs, e, walker));
  }
  return fs.extent();
}

}  // namespace

extern const FormatHandler kVxworksMemfsFormat = {
    .name = "memfs",
    .magics = {{"owowowowowowowowowowowowowowowow", 0}, {"OWOWOWOWOWOWOWOWOWOWOWOWOWOWOWOW", 0}},
    .flags = kFormatFilesystem,
    .probe = ProbeMemfs,
    .open = OpenMemfs,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
