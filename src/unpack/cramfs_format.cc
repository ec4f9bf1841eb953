// The cramfs format handler: a superblock at offset 0 (or 512, after a boot block), then
// every entry with a content reader that decompresses block by block.
#include <fmt/format.h>

#include "cramfs.h"
#include "internal/format.h"
#include "internal/inode_tree.h"

namespace clearbox::unpack::internal {
namespace {

std::optional<Match> ProbeCramfs(ByteView data) {
  std::optional<cramfs::Superblock> sb = cramfs::ReadSuperblock(data);
  if (!sb || sb->size < sb->start + cramfs::kSuperblockSize) return std::nullopt;
  Match m;
  m.length = sb->size;
  m.detail = fmt::format("{}-endian, {} files, '{}'", sb->big_endian ? "big" : "little", sb->files,
                         sb->name);
  return m;
}

Result<uint64_t> OpenCramfs(ByteView container, const Match& match, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(cramfs::Filesystem fs, cramfs::Filesystem::Parse(container));
  CLEARBOX_RETURN_IF_ERROR(ReportFilesystem(fs, walker));
  return fs.extent();
}

}  // namespace

extern const FormatHandler kCramfsFormat = {
    .name = "cramfs",
    // The superblock at 0, or at 512 after a boot block (mkfs.cramfs -p).
    .magics = {{"\x45\x3d\xcd\x28", 0},
               {"\x28\xcd\x3d\x45", 0},
               {"\x45\x3d\xcd\x28", 512},
               {"\x28\xcd\x3d\x45", 512}},
    .flags = kFormatFilesystem,
    .probe = ProbeCramfs,
    .open = OpenCramfs,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
