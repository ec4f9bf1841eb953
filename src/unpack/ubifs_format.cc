// The UBIFS format handler: a volume that starts with a UBIFS superblock; every entry of
// the file system with a lazily decompressing content reader.
#include <fmt/format.h>

#include "internal/format.h"
#include "internal/inode_tree.h"
#include "ubifs.h"

namespace clearbox::unpack::internal {
namespace {

std::optional<Match> ProbeUbifs(ByteView data) {
  std::optional<ubifs::Superblock> sb = ubifs::ReadSuperblock(data);
  if (!sb) return std::nullopt;
  Match m;
  m.length = uint64_t{sb->leb_cnt} * sb->leb_size;
  m.detail = fmt::format("{} LEBs of {} bytes", sb->leb_cnt, sb->leb_size);
  return m;
}

Result<uint64_t> OpenUbifs(ByteView container, const Match& match, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(ubifs::Filesystem fs, ubifs::Filesystem::Parse(container));
  if (fs.journal_nodes() > 0) {
    walker.AddNote(Note::Kind::kInfo, 0,
                   fmt::format("{} journal nodes replayed (written after the last commit)",
                               fs.journal_nodes()));
  }
  CLEARBOX_RETURN_IF_ERROR(ReportFilesystem(fs, walker));
  return 0;  // the superblock's extent (match.length)
}

}  // namespace

extern const FormatHandler kUbifsFormat = {
    .name = "ubifs",
    .magics = {{"\x31\x18\x10\x06", 0}},
    .flags = kFormatFilesystem,
    .probe = ProbeUbifs,
    .open = OpenUbifs,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
