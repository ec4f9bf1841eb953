// The nodes of an unpacked image: what each entry of each filesystem is and where it came from.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace clearbox::unpack {

enum class NodeType {
  kFile,
  kDirectory,
  kSymlink,
  kHardLink,
  kCharDevice,
  kBlockDevice,
  kFifo,
  kSocket
};

std::string_view NodeTypeName(NodeType t);  // "file", "dir", "symlink", "hardlink", "chardev", ...

// One entry of one filesystem, recorded faithfully, hostile or not.
struct Node {
  // Normalised absolute path inside its filesystem ("/etc/passwd"): "." and ".." resolved
  // lexically and clamped at the root, duplicate slashes removed. Never escapes "/".
  std::string path;
  // The name exactly as the container stored it, when it differs from `path`
  // ("../../etc/shadow", "/abs/path"); empty otherwise. A hostile name is a finding.
  std::string raw_path;
  NodeType type = NodeType::kFile;
  uint32_t mode = 0;  // permission bits including setuid/setgid/sticky (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;  // seconds since the epoch
  uint64_t size = 0;  // content size for files, target length for symlinks
  // Symlink target as stored (never resolved on the host), or a hard link's target: the
  // normalised path ("/bin/busybox") of an earlier node of the same filesystem.
  std::string link_target;
  uint32_t dev_major = 0, dev_minor = 0;  // device nodes
  // Where it came from, readable by a person: "fw.bin!uimage@0x40!squashfs:/etc/passwd".
  std::string provenance;
};

// A fact about the image worth reporting that is not a node: a CRC mismatch, a corrupt
// region, a limit reached, a container found but not unpacked.
struct Note {
  enum class Kind { kInfo, kWarning, kCorrupt, kUnsupported, kLimit };
  Kind kind = Kind::kInfo;
  std::string where;  // provenance of the container, e.g. "fw.bin!uimage@0x0"
  uint64_t offset = 0;
  std::string message;  // "not unpacked: cramfs at 0x1000", "data CRC mismatch: ..."
};

std::string_view NoteKindName(Note::Kind k);

// A container the engine opened (a filesystem, an archive, a firmware container or a
// compressed stream), announced before its nodes and payloads. Nodes name it by provenance.
struct FilesystemInfo {
  std::string provenance;  // "fw.bin!uimage@0x0!squashfs"
  std::string format;      // "squashfs", "tar", "jffs2", ...
  uint64_t offset = 0;     // inside its parent blob
  uint64_t length = 0;     // bytes of the parent it spans (as far as known when announced)
};

}  // namespace clearbox::unpack
