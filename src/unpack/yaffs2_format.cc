// The YAFFS2 format handler. YAFFS2 has no magic number: the engine reaches a dump through
// its first object header, which mkyaffs2image (and the image builders like it) write for a child
// of the root directory (object id 1): the type word (file, symlink, directory, hard link,
// special), the parent id 1 and the unused name checksum 0xffff, in either endianness. The
// probe then detects the layout (page, spare, tag position, endianness, tags ECC) and takes
// the dump only when the first chunks' tags and headers agree with it (yaffs2.h), so a
// stray match in other data is refused.
#include <fmt/format.h>

#include "internal/format.h"
#include "internal/inode_tree.h"
#include "yaffs2.h"

namespace clearbox::unpack::internal {
namespace {

std::optional<Match> ProbeYaffs2(ByteView data) {
  std::optional<yaffs2::Layout> layout = yaffs2::DetectLayout(data);
  if (!layout) return std::nullopt;
  Match m;
  m.hint = layout->Encode();
  m.detail = layout->Describe();
  return m;
}

Result<uint64_t> OpenYaffs2(ByteView container, const Match& match, Walker& walker) {
  std::optional<yaffs2::Layout> layout = yaffs2::Layout::Decode(match.hint);
  if (!layout) layout = yaffs2::DetectLayout(container);
  if (!layout) return Error::InvalidInput("yaffs2: no object header with valid tags at offset 0");
  CLEARBOX_ASSIGN_OR_RETURN(yaffs2::Filesystem fs, yaffs2::Filesystem::Parse(container, *layout));
  walker.AddNote(Note::Kind::kInfo, 0,
                 fmt::format("yaffs2: {}; {} objects", layout->Describe(), fs.objects()));
  CLEARBOX_RETURN_IF_ERROR(ReportFilesystem(fs, walker));
  return fs.extent();
}

}  // namespace

extern const FormatHandler kYaffs2Format = {
    .name = "yaffs2",
    // The first header: its type, parent 1 and checksum 0xffff, in both byte orders.
    .magics =
        {
            {std::string_view("\x01\0\0\0\x01\0\0\0\xff\xff", 10), 0},
            {std::string_view("\0\0\0\x01\0\0\0\x01\xff\xff", 10), 0},
            {std::string_view("\x02\0\0\0\x01\0\0\0\xff\xff", 10), 0},
            {std::string_view("\0\0\0\x02\0\0\0\x01\xff\xff", 10), 0},
            {std::string_view("\x03\0\0\0\x01\0\0\0\xff\xff", 10), 0},
            {std::string_view("\0\0\0\x03\0\0\0\x01\xff\xff", 10), 0},
            {std::string_view("\x04\0\0\0\x01\0\0\0\xff\xff", 10), 0},
            {std::string_view("\0\0\0\x04\0\0\0\x01\xff\xff", 10), 0},
            {std::string_view("\x05\0\0\0\x01\0\0\0\xff\xff", 10), 0},
            {std::string_view("\0\0\0\x05\0\0\0\x01\xff\xff", 10), 0},
        },
    .flags = kFormatFilesystem,
    .probe = ProbeYaffs2,
    .open = OpenYaffs2,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
