#include "clearbox/unpack/node.h"

namespace clearbox::unpack {

std::string_view NodeTypeName(NodeType t) {
  switch (t) {
    case NodeType::kFile:
      return "file";
    case NodeType::kDirectory:
      return "dir";
    case NodeType::kSymlink:
      return "symlink";
    case NodeType::kHardLink:
      return "hardlink";
    case NodeType::kCharDevice:
      return "chardev";
    case NodeType::kBlockDevice:
      return "blockdev";
    case NodeType::kFifo:
      return "fifo";
    case NodeType::kSocket:
      return "socket";
  }
  return "unknown";
}

std::string_view NoteKindName(Note::Kind k) {
  switch (k) {
    case Note::Kind::kInfo:
      return "info";
    case Note::Kind::kWarning:
      return "warning";
    case Note::Kind::kCorrupt:
      return "corrupt";
    case Note::Kind::kUnsupported:
      return "unsupported";
    case Note::Kind::kLimit:
      return "limit";
  }
  return "unknown";
}

}  // namespace clearbox::unpack
