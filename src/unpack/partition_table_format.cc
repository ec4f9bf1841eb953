// The MBR and GPT format handlers: every partition becomes a payload "partN" (N as the
// table numbers it), a zero-copy view of the image that the engine identifies and opens
// (listed as a file when no format recognises it: NTFS, swap, raw data). Its type, place
// and GUIDs go into an info note:
//   "partition 2: type 0x83 (Linux), start LBA 6144, 6144 sectors (3145728 bytes)"
//   "partition 1: type 0FC63DAF-... (Linux filesystem), GUID F38E..., name "", LBA 34-34 ..."
#include <fmt/format.h>

#include "decompress_payload.h"
#include "internal/format.h"
#include "partition_table.h"

namespace clearbox::unpack::internal {
namespace {

using partition_table::Partition;
using partition_table::Table;

constexpr uint64_t kProtectiveHint = 1;  // an MBR whose GPT's primary header is damaged

std::string Describe(const Table& t, const Partition& p) {
  const std::string type =
      p.type_name.empty() ? p.type : fmt::format("{} ({})", p.type, p.type_name);
  if (t.scheme == Table::Scheme::kMbr) {
    return fmt::format("partition {}: type {}, start LBA {}, {} sectors ({} bytes){}{}",
                       p.index, type, p.first_lba, p.sectors, p.size,
                       p.bootable ? ", bootable" : "", p.logical ? ", logical" : "");
  }
  return fmt::format("partition {}: type {}, GUID {}, name \"{}\", LBA {}-{}, {} sectors ({} "
                     "bytes), attributes {:#x}",
                     p.index, type, p.guid, p.name, p.first_lba, p.first_lba + p.sectors - 1,
                     p.sectors, p.size, p.attributes);
}

// Reports the table and hands every partition on.
Result<uint64_t> ReportTable(ByteView container, Table& t, Walker& walker) {
  if (t.scheme == Table::Scheme::kMbr) {
    walker.AddNote(Note::Kind::kInfo, 0,
                   fmt::format("MBR partition table, disk signature {}, {} partition{}",
                               t.disk_id, t.partitions.size(),
                               t.partitions.size() == 1 ? "" : "s"));
  } else {
    walker.AddNote(Note::Kind::kInfo, t.header_lba * t.sector_size,
                   fmt::format("GPT, {}-byte sectors, disk GUID {}, header at LBA {}, {} "
                               "partition{}",
                               t.sector_size, t.disk_id, t.header_lba, t.partitions.size(),
                               t.partitions.size() == 1 ? "" : "s"));
  }
  for (Note& note : t.notes) walker.AddNote(note.kind, note.offset, std::move(note.message));
  for (const Partition& p : t.partitions) {
    walker.AddNote(Note::Kind::kInfo, p.offset, Describe(t, p));
  }
  for (const Partition& p : t.partitions) {
    if (p.offset >= container.size() || p.size == 0) continue;
    const ByteView data = container.subspan(
        size_t(p.offset), size_t(std::min<uint64_t>(p.size, container.size() - p.offset)));
    const std::string label = fmt::format("part{}", p.index);
    CLEARBOX_RETURN_IF_ERROR(HandOn(walker, data, label, p.offset, PayloadFile{label, 0}));
  }
  return t.extent;
}

std::optional<Match> ProbeMbr(ByteView data) {
  if (!partition_table::ProbeMbr(data, true)) return std::nullopt;
  Match m;
  if (partition_table::HasProtectiveEntry(data)) {
    // An intact GPT is the GPT handler's; a damaged one is read here from its backup.
    if (partition_table::ProbeGpt(data) != 0) return std::nullopt;
    m.hint = kProtectiveHint;
    m.detail = "protective MBR, GPT primary header damaged";
  }
  return m;
}

Result<uint64_t> OpenMbr(ByteView container, const Match&, Walker& walker) {
  if (partition_table::HasProtectiveEntry(container)) {
    Result<Table> gpt = partition_table::ParseGpt(container);
    if (gpt.ok()) return ReportTable(container, *gpt, walker);
    walker.AddNote(Note::Kind::kCorrupt, 0,
                   fmt::format("protective MBR (type 0xee) without a readable GPT: {}",
                               gpt.error().message()));
  }
  CLEARBOX_ASSIGN_OR_RETURN(Table t, partition_table::ParseMbr(container));
  return ReportTable(container, t, walker);
}

std::optional<Match> ProbeGpt(ByteView data) {
  const uint32_t ss = partition_table::ProbeGpt(data);
  if (ss == 0) return std::nullopt;
  Match m;
  m.detail = fmt::format("{}-byte sectors", ss);
  return m;
}

Result<uint64_t> OpenGpt(ByteView container, const Match&, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(Table t, partition_table::ParseGpt(container));
  return ReportTable(container, t, walker);
}

}  // namespace

// A 2-byte magic: only trusted at the start of a blob (a disk image, a payload).
extern const FormatHandler kMbrFormat = {
    .name = "mbr",
    .magics = {{"\x55\xaa", 510}},
    .flags = kFormatOnlyAtStart,
    .probe = ProbeMbr,
    .open = OpenMbr,
    .open_stream = nullptr,
};

extern const FormatHandler kGptFormat = {
    .name = "gpt",
    .magics = {{"EFI PART", 512}, {"EFI PART", 4096}},
    .flags = 0,
    .probe = ProbeGpt,
    .open = OpenGpt,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
