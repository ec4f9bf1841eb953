// The EROFS format handler: a superblock 1024 bytes in, then every entry with its content.
#include <fmt/format.h>

#include "erofs.h"
#include "internal/format.h"
#include "internal/inode_tree.h"

namespace clearbox::unpack::internal {
namespace {

std::optional<Match> ProbeErofs(ByteView data) {
  std::optional<erofs::Superblock> sb = erofs::ReadSuperblock(data);
  if (!sb) return std::nullopt;
  Match m;
  m.length = uint64_t{sb->blocks} * sb->block_size;
  m.detail = fmt::format("{}-byte blocks{}", sb->block_size,
                         sb->volume_name.empty() ? "" : ", volume \"" + sb->volume_name + "\"");
  return m;
}

Result<uint64_t> OpenErofs(ByteView container, const Match& match, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(erofs::Filesystem fs, erofs::Filesystem::Parse(container));
  const erofs::Superblock& sb = fs.superblock();
  walker.AddNote(Note::Kind::kInfo, erofs::kSuperblockOffset,
                 fmt::format("erofs: {} inodes, {}-byte blocks, uuid {}{}", sb.inodes,
                             sb.block_size, sb.uuid,
                             sb.volume_name.empty() ? "" : ", volume \"" + sb.volume_name + "\""));
  CLEARBOX_RETURN_IF_ERROR(ReportFilesystem(fs, walker));
  return fs.extent();
}

}  // namespace

extern const FormatHandler kErofsFormat = {
    .name = "erofs",
    .magics = {{"\xe2\xe1\xf5\xe0", erofs::kSuperblockOffset}},
    .flags = kFormatFilesystem,
    .probe = ProbeErofs,
    .open = OpenErofs,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
