// The JFFS2 format handler: probes a node header of either endianness, then reports every
// entry of the filesystem with a lazily decompressing content reader.
#include <fmt/format.h>

#include "internal/format.h"
#include "internal/inode_tree.h"
#include "jffs2.h"

namespace clearbox::unpack::internal {
namespace {

constexpr uint64_t kBigEndianHint = 1;

std::optional<Match> ProbeJffs2(ByteView data) {
  std::optional<jffs2::Endian> endian = jffs2::DetectEndian(data);
  if (!endian) return std::nullopt;
  Match m;
  m.length = 0;  // no length field: the scan finds the end
  m.hint = *endian == jffs2::Endian::kBig ? kBigEndianHint : 0;
  m.detail = *endian == jffs2::Endian::kBig ? "big-endian" : "little-endian";
  return m;
}

Result<uint64_t> OpenJffs2(ByteView container, const Match& match, Walker& walker) {
  jffs2::Endian endian =
      match.hint == kBigEndianHint ? jffs2::Endian::kBig : jffs2::Endian::kLittle;
  CLEARBOX_ASSIGN_OR_RETURN(jffs2::Filesystem fs, jffs2::Filesystem::Parse(container, endian));
  CLEARBOX_RETURN_IF_ERROR(ReportFilesystem(fs, walker));
  return fs.extent();
}

}  // namespace

extern const FormatHandler kJffs2Format = {
    .name = "jffs2",
    .magics = {{"\x19\x85", 0}, {"\x85\x19", 0}},
    .flags = kFormatFilesystem,
    .probe = ProbeJffs2,
    .open = OpenJffs2,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
