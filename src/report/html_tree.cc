// The HTML report's file tree: one <details> per directory, bounded for images of 100k files.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "html_internal.h"

namespace clearbox::report::internal {
namespace {

using inventory::FileRecord;
using unpack::NodeType;

struct Dir {
  const FileRecord* self = nullptr;  // the directory's own record, when the image has one
  std::map<std::string, std::unique_ptr<Dir>> dirs;
  std::vector<std::pair<std::string, const FileRecord*>> files;  // everything not a directory
  size_t total = 0;  // entries below, at every depth (computed by Count)
  size_t cut = 0;    // entries below max_tree_depth, not placed in the tree
};

// The filesystem part of a provenance ("fw!squashfs@0x40:") and the path inside it.
std::pair<std::string, std::string_view> Split(const FileRecord& f) {
  const std::string& p = f.node.provenance;
  const std::string& path = f.node.path;
  if (!path.empty() && p.size() >= path.size() && p.ends_with(path)) {
    return {p.substr(0, p.size() - path.size()), path};
  }
  return {"", p};
}

void Insert(Dir& root, std::string_view path, const FileRecord& f, size_t max_depth) {
  Dir* dir = &root;
  size_t depth = 0;
  while (true) {
    while (path.starts_with('/')) path.remove_prefix(1);
    if (path.empty()) {  // the filesystem's root itself
      if (f.node.type == NodeType::kDirectory) dir->self = &f;
      return;
    }
    size_t slash = path.find('/');
    std::string_view name = path.substr(0, slash);
    std::string_view rest = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
    bool last = rest.find_first_not_of('/') == std::string_view::npos;
    if (last && f.node.type != NodeType::kDirectory) {
      dir->files.emplace_back(std::string(name), &f);
      return;
    }
    if (depth == max_depth) {
      ++dir->cut;
      return;
    }
    std::unique_ptr<Dir>& child = dir->dirs[std::string(name)];
    if (!child) child = std::make_unique<Dir>();
    if (last) {
      child->self = &f;
      return;
    }
    dir = child.get();
    path = rest;
    ++depth;
  }
}

// Recursion is bounded by max_tree_depth (Insert never nests deeper).
size_t Count(Dir& dir) {
  dir.total = dir.files.size() + dir.cut;
  for (auto& [name, child] : dir.dirs) dir.total += 1 + Count(*child);
  return dir.total;
}

std::string Attrs(const unpack::Node& node) {
  return fmt::format("{} {}:{}", ModeString(node), node.uid, node.gid);
}

class TreeWriter {
 public:
  TreeWriter(std::string& out, const std::set<std::string>& hits, const HtmlOptions& options)
      : out_(out), hits_(hits), options_(options), budget_(options.max_tree_entries) {}

  void WriteDir(std::string_view name, const Dir& dir, size_t depth) {
    out_ += depth == 0 ? "<details open><summary>" : "<details><summary>";
    out_ += "<span class=\"mono\">" + HtmlEscape(name) + "</span>";
    out_ += fmt::format("<span class=\"attrs\">{}{} entries</span></summary><ul>\n",
                        dir.self ? HtmlEscape(Attrs(dir.self->node)) + ", " : "", dir.total);
    size_t shown = 0, left = 0;
    for (const auto& [child_name, child] : dir.dirs) {
      if (budget_ == 0 || shown == options_.max_dir_entries) {
        left += 1 + child->total;
        continue;
      }
      --budget_;
      ++shown;
      ++written_;
      out_ += "<li>";
      WriteDir(child_name + "/", *child, depth + 1);
      out_ += "</li>\n";
    }
    for (const auto& [file_name, file] : dir.files) {
      if (budget_ == 0 || shown == options_.max_dir_entries) {
        ++left;
        continue;
      }
      --budget_;
      ++shown;
      ++written_;
      WriteFile(file_name, *file);
    }
    if (dir.cut > 0) {
      out_ += fmt::format(
          "<li class=\"omitted\">{} entries deeper than {} levels not shown</li>\n", dir.cut,
          options_.max_tree_depth);
    }
    if (left > 0) {
      out_ += fmt::format("<li class=\"omitted\">… {} more entries here not shown</li>\n", left);
    }
    out_ += "</ul></details>";
  }

  size_t written() const { return written_; }

 private:
  void WriteFile(std::string_view name, const FileRecord& f) {
    bool hit = hits_.count(f.node.provenance) != 0;
    out_ += hit ? "<li class=\"hit\">" : "<li>";
    out_ += "<span class=\"mono\">" + HtmlEscape(name) + "</span>";
    if (!f.node.link_target.empty()) {
      out_ += " → <span class=\"mono\">" + HtmlEscape(f.node.link_target) + "</span>";
    }
    out_ += "<span class=\"attrs\">" + HtmlEscape(Attrs(f.node));
    if (f.node.type == NodeType::kFile) out_ += fmt::format(", {} bytes", f.node.size);
    if (f.kind != inventory::FileKind::kNone && f.kind != inventory::FileKind::kData) {
      out_ += ", " + HtmlEscape(inventory::FileKindName(f.kind));
    }
    if (!f.detail.empty()) out_ += ": " + HtmlEscape(f.detail);
    out_ += "</span>";
    if (hit) out_ += " <a href=\"#findings\">finding</a>";
    out_ += "</li>\n";
  }

  std::string& out_;
  const std::set<std::string>& hits_;
  const HtmlOptions& options_;
  size_t budget_;
  size_t written_ = 0;
};

}  // namespace

std::string ModeString(const unpack::Node& node) {
  char type = '-';
  switch (node.type) {
    case NodeType::kDirectory: type = 'd'; break;
    case NodeType::kSymlink: type = 'l'; break;
    case NodeType::kCharDevice: type = 'c'; break;
    case NodeType::kBlockDevice: type = 'b'; break;
    case NodeType::kFifo: type = 'p'; break;
    case NodeType::kSocket: type = 's'; break;
    case NodeType::kFile:
    case NodeType::kHardLink: break;
  }
  std::string s(10, '-');
  s[0] = type;
  static constexpr char kRwx[] = "rwx";
  for (int i = 0; i < 9; ++i) {
    if (node.mode & (0400u >> i)) s[1 + i] = kRwx[i % 3];
  }
  auto special = [&](uint32_t bit, int pos, char set_exec, char set_noexec) {
    if (node.mode & bit) s[pos] = s[pos] == 'x' ? set_exec : set_noexec;
  };
  special(04000, 3, 's', 'S');
  special(02000, 6, 's', 'S');
  special(01000, 9, 't', 'T');
  return s;
}

void AppendFileTree(std::string& out, const inventory::Inventory& inv,
                    const std::set<std::string>& hits, const HtmlOptions& options) {
  std::map<std::string, Dir> roots;
  for (const FileRecord& f : inv.files) {
    auto [filesystem, path] = Split(f);
    Insert(roots[filesystem], path, f, options.max_tree_depth);
  }
  size_t total = 0;
  for (auto& [name, root] : roots) total += Count(root);
  std::string body;
  TreeWriter writer(body, hits, options);
  for (const auto& [name, root] : roots) {
    body += "<div class=\"tree\">";
    writer.WriteDir(name.empty() ? std::string("(outside any filesystem)") : name + "/", root, 0);
    body += "</div>\n";
  }
  out += fmt::format("<p id=\"tree-count\" data-entries=\"{}\" data-shown=\"{}\">{} entries in {} "
                     "filesystems; {} shown{}.</p>\n",
                     total, writer.written(), total, roots.size(), writer.written(),
                     writer.written() < total
                         ? fmt::format(", {} left out (the full list: clearbox inventory --json)",
                                       total - writer.written())
                         : "");
  out += body;
}

}  // namespace clearbox::report::internal
