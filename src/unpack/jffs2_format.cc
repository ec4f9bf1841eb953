// The JFFS2 format handler: probes a node header of either endianness, then reports every
// entry of the filesystem with a lazily decompressing content reader.
#include <fmt/format.h>

#include "internal/format.h"
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
  for (const Note& note : fs.notes()) walker.AddNote(note.kind, note.offset, note.message);
  size_t count = 0;
  for (const jffs2::Entry& e : fs.entries()) {
    if (++count % 1024 == 0) CLEARBOX_RETURN_IF_ERROR(walker.CheckContinue());
    Node node;
    // Names as stored, relative to the file system's root ("" is the root itself).
    node.path = e.path.substr(1);
    node.type = e.type;
    node.mode = e.mode;
    node.uid = e.uid;
    node.gid = e.gid;
    node.mtime = e.mtime;
    node.size = e.size;
    node.link_target = e.link_target;
    node.dev_major = e.dev_major;
    node.dev_minor = e.dev_minor;
    std::unique_ptr<ContentReader> content;
    if (e.type == NodeType::kFile && walker.WantsContent()) content = fs.OpenFile(e);
    CLEARBOX_RETURN_IF_ERROR(walker.AddNode(std::move(node), content.get()));
  }
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
