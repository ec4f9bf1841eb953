// The romfs format handler: a "-rom1fs-" superblock, then every entry with a view of its data.
#include <fmt/format.h>

#include "internal/format.h"
#include "internal/inode_tree.h"
#include "romfs.h"

namespace clearbox::unpack::internal {
namespace {

std::optional<Match> ProbeRomfs(ByteView data) {
  std::optional<romfs::Superblock> sb = romfs::ReadSuperblock(data);
  if (!sb || sb->first_header >= sb->size) return std::nullopt;
  Match m;
  m.length = sb->size;
  m.detail = fmt::format("volume \"{}\"{}", sb->volume,
                         sb->checksum_ok ? "" : ", superblock checksum mismatch");
  return m;
}

Result<uint64_t> OpenRomfs(ByteView container, const Match& match, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(romfs::Filesystem fs, romfs::Filesystem::Parse(container));
  walker.AddNote(Note::Kind::kInfo, 0, fmt::format("romfs volume \"{}\"", fs.superblock().volume));
  CLEARBOX_RETURN_IF_ERROR(ReportFilesystem(fs, walker));
  return fs.extent();
}

}  // namespace

extern const FormatHandler kRomfsFormat = {
    .name = "romfs",
    .magics = {{"-rom1fs-", 0}},
    .flags = kFormatFilesystem,
    .probe = ProbeRomfs,
    .open = OpenRomfs,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
