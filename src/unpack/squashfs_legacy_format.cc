// Legacy squashfs (1.x-3.x, big-endian 4.0) for the squashfs handler: see
// squashfs_legacy_format.h and, for the format, squashfs_legacy.h.
#include "squashfs_legacy_format.h"

#include <fmt/format.h>

#include "internal/inode_tree.h"
#include "squashfs_legacy.h"

namespace clearbox::unpack::internal {
namespace {

std::string Describe(const squashfs_legacy::Superblock& sb) {
  std::string minor = sb.minor == 'L' ? "'L'" : fmt::format("{}", sb.minor);
  std::string s =
      fmt::format("version {}.{}, {}-endian", sb.major, minor, sb.big_endian ? "big" : "little");
  if (sb.magic != "hsqs" && sb.magic != "sqsh") s += fmt::format(", magic \"{}\"", sb.magic);
  return s;
}

}  // namespace

std::optional<Match> ProbeLegacySquashfs(ByteView data) {
  std::optional<squashfs_legacy::Superblock> sb = squashfs_legacy::ReadSuperblock(data);
  if (!sb) return std::nullopt;
  Match m;
  m.length = sb->bytes_used;
  m.hint = kLegacySquashfsHint;
  m.detail = Describe(*sb);
  return m;
}

Result<uint64_t> OpenLegacySquashfs(ByteView container, const Match& match, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(squashfs_legacy::Filesystem fs,
                            squashfs_legacy::Filesystem::Parse(container));
  CLEARBOX_RETURN_IF_ERROR(walker.Charge(fs.metadata_bytes()));
  const squashfs_legacy::Superblock& sb = fs.superblock();
  Status s = ReportFilesystem(fs, walker);
  // Which framing decoded the blocks is known once some were read.
  walker.AddNote(Note::Kind::kInfo, 0,
                 fmt::format("squashfs {}, {} inodes, block size {}; blocks: {}", Describe(sb),
                             sb.inodes, sb.block_size, fs.DescribeFraming()));
  CLEARBOX_RETURN_IF_ERROR(s);
  return fs.extent();
}

}  // namespace clearbox::unpack::internal
