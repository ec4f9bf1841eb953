#include "unpack/internal/inode_tree.h"

#include <fmt/format.h>

namespace clearbox::unpack::internal {

std::optional<NodeType> TypeFromMode(uint32_t mode) {
  switch (mode & 0170000) {
    case 0100000:
      return NodeType::kFile;
    case 0040000:
      return NodeType::kDirectory;
    case 0120000:
      return NodeType::kSymlink;
    case 0020000:
      return NodeType::kCharDevice;
    case 0060000:
      return NodeType::kBlockDevice;
    case 0010000:
      return NodeType::kFifo;
    case 0140000:
      return NodeType::kSocket;
    default:
      return std::nullopt;
  }
}

Result<Bytes> ReadWhole(ContentReader& reader, uint64_t size) {
  Bytes out(size);
  size_t done = 0;
  while (done < out.size()) {
    CLEARBOX_ASSIGN_OR_RETURN(size_t n, reader.Read(std::span(out).subspan(done)));
    if (n == 0) break;
    done += n;
  }
  out.resize(done);
  return out;
}

void CappedNotes::Add(Note::Kind kind, const std::string& category, uint64_t at,
                      std::string message) {
  if (++counts_[category] <= max_) out_.push_back({kind, "", at, std::move(message)});
}

void CappedNotes::Finish() {
  for (const auto& [category, count] : counts_) {
    if (count > max_) {
      out_.push_back(
          {Note::Kind::kCorrupt, "", 0,
           fmt::format("{} more problems of kind '{}' not listed", count - max_, category)});
    }
  }
}

std::unordered_map<uint64_t, std::string> WalkInodeTree(
    const InodeTree& tree, const std::function<void(PlacedName)>& place,
    const TreeProblem& problem) {
  if (tree.mode(tree.root)) {
    place({.path = "/",
           .ino = tree.root,
           .type = NodeType::kDirectory,
           .link_target = "",
           .has_inode = true});
  }
  struct Work {
    const DirLink* link;
    std::string parent;
    size_t depth;
  };
  // An explicit stack: a hostile image may nest directories as deep as it likes.
  std::vector<Work> stack;
  auto push_children = [&](uint64_t dir, const std::string& path, size_t depth) {
    auto it = tree.children.find(dir);
    if (it == tree.children.end()) return;
    for (auto c = it->second.rbegin(); c != it->second.rend(); ++c) {
      stack.push_back({&*c, path, depth});
    }
  };
  std::unordered_map<uint64_t, std::string> seen = {{tree.root, "/"}};
  push_children(tree.root, "", 1);
  while (!stack.empty()) {
    Work w = std::move(stack.back());
    stack.pop_back();
    const DirLink& link = *w.link;
    PlacedName p;
    p.path = w.parent + "/" + std::string(link.name);
    p.ino = link.ino;
    std::optional<uint32_t> mode = tree.mode(link.ino);
    p.has_inode = mode.has_value();
    std::optional<NodeType> type = mode ? TypeFromMode(*mode) : std::nullopt;
    if (!type) type = link.type;
    if (!type) {
      problem(Note::Kind::kCorrupt, "entry", link.at,
              fmt::format("{}: inode {} has no known type", p.path, p.ino));
      continue;
    }
    p.type = *type;
    if (auto first = seen.find(p.ino); first != seen.end()) {
      if (p.type == NodeType::kDirectory) {
        problem(Note::Kind::kCorrupt, "loop", link.at,
                fmt::format("{}: directory inode {} already reached as {} (a loop or a second "
                            "link): not followed",
                            p.path, p.ino, first->second));
        continue;
      }
      p.type = NodeType::kHardLink;
      p.link_target = first->second;
      place(std::move(p));
      continue;
    }
    seen[p.ino] = p.path;
    if (!p.has_inode) {
      problem(Note::Kind::kCorrupt, "entry", link.at,
              fmt::format("{}: inode {} has no inode node", p.path, p.ino));
    }
    bool descend = p.type == NodeType::kDirectory;
    std::string path = p.path;
    uint64_t ino = p.ino;
    place(std::move(p));
    if (!descend) continue;
    if (w.depth >= tree.max_depth) {
      problem(Note::Kind::kLimit, "depth", link.at,
              fmt::format("{}: deeper than {} directories: not followed", path, tree.max_depth));
    } else {
      push_children(ino, path, w.depth + 1);
    }
  }
  return seen;
}

}  // namespace clearbox::unpack::internal
