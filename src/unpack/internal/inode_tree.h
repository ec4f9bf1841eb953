// What the flash file systems (JFFS2, UBIFS, cramfs) share: the tree of an inode-based file
// system built from its directory entries, POSIX mode types, reading a whole file, and
// reporting the parsed entries to a Walker.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"
#include "clearbox/unpack/unpack.h"
#include "unpack/internal/format.h"

namespace clearbox::unpack::internal {

// The node type of a POSIX mode's S_IFMT bits; nullopt for a type that does not exist.
std::optional<NodeType> TypeFromMode(uint32_t mode);

// Reads `reader` to its end, at most `size` bytes (fewer when it ends early).
// Errors: the reader's.
Result<Bytes> ReadWhole(ContentReader& reader, uint64_t size);

// Notes about problems in an image, at most `max_per_category` of each category: a damaged
// image can hold millions of the same problem. Finish() sums up the rest.
class CappedNotes {
 public:
  CappedNotes(std::vector<Note>& out, size_t max_per_category)
      : out_(out), max_(max_per_category) {}
  void Add(Note::Kind kind, const std::string& category, uint64_t at, std::string message);
  // One kCorrupt note per category over the cap: "N more problems of kind 'C' not listed".
  void Finish();

 private:
  std::vector<Note>& out_;
  size_t max_;
  std::map<std::string, size_t> counts_;  // ordered: the summary comes out the same each run
};

// A name in a directory, as the file system stores it.
struct DirLink {
  std::string_view name;         // must outlive the walk
  uint64_t ino = 0;              // the inode it names
  std::optional<NodeType> type;  // the type the entry records: used when the inode has none
  uint64_t at = 0;               // where the entry lies in the image, for notes
};

// A name the walk placed in the tree.
struct PlacedName {
  std::string path;  // "/" for the root, else "/" + names joined by "/", exactly as stored
  uint64_t ino = 0;
  NodeType type = NodeType::kDirectory;
  std::string link_target;  // kHardLink: the path by which the inode was reached first
  bool has_inode = false;   // false: the entry names an inode that has no inode node
};

struct InodeTree {
  uint64_t root = 0;
  size_t max_depth = 0;  // directories below the root that are followed
  // Directory inode -> its entries, in the order they are placed.
  std::unordered_map<uint64_t, std::vector<DirLink>> children;
  // The mode of an inode, nullopt when it has no inode node.
  std::function<std::optional<uint32_t>(uint64_t ino)> mode;
};

// Records a problem: kind, category (for counting), offset in the image, message.
using TreeProblem =
    std::function<void(Note::Kind, const std::string& category, uint64_t at, std::string)>;

// Walks `tree` depth first from its root and calls `place` for the root (when it has an inode
// node) and for every name reached, in order. The type comes from the inode's mode, else from
// the entry. A directory reached a second time (a loop) is not followed; any other inode
// reached again becomes a hard link to its first path. Problems go to `problem` with the
// categories "entry" (no known type, no inode node), "loop" and "depth". Returns every inode
// reached, root included, with its first path.
std::unordered_map<uint64_t, std::string> WalkInodeTree(
    const InodeTree& tree, const std::function<void(PlacedName)>& place,
    const TreeProblem& problem);

// Reports a parsed file system to `walker`: its notes, then each entry (paths relative to
// the root, "" being the root itself) with a content reader for files when content is wanted.
// Fs has notes(), entries() and OpenFile(entry). Errors: the walker's.
template <typename Fs>
Status ReportFilesystem(const Fs& fs, Walker& walker) {
  for (const Note& note : fs.notes()) walker.AddNote(note.kind, note.offset, note.message);
  size_t count = 0;
  for (const auto& e : fs.entries()) {
    if (++count % 1024 == 0) CLEARBOX_RETURN_IF_ERROR(walker.CheckContinue());
    Node node;
    node.path = e.path.substr(1);
    node.type = e.type;
    node.mode = e.mode;
    node.uid = e.uid;
    node.gid = e.gid;
    if constexpr (requires { e.mtime; }) node.mtime = e.mtime;  // cramfs keeps no times
    node.size = e.size;
    node.link_target = e.link_target;
    node.dev_major = e.dev_major;
    node.dev_minor = e.dev_minor;
    std::unique_ptr<ContentReader> content;
    if (e.type == NodeType::kFile && walker.WantsContent()) content = fs.OpenFile(e);
    CLEARBOX_RETURN_IF_ERROR(walker.AddNode(std::move(node), content.get()));
  }
  return Status::Ok();
}

}  // namespace clearbox::unpack::internal
