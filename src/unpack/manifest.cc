#include "clearbox/unpack/manifest.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"

namespace clearbox::unpack {
namespace {

using nlohmann::ordered_json;

constexpr size_t kMaxNotes = 100000;

std::string Dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

ordered_json NodeJson(const Node& node, std::string_view sha256, std::string_view output) {
  ordered_json j;
  j["provenance"] = node.provenance;
  j["filesystem"] = NodeFilesystem(node);
  j["path"] = node.path;
  if (!node.raw_path.empty()) j["raw_path"] = node.raw_path;
  j["type"] = NodeTypeName(node.type);
  j["mode"] = FormatMode(node.mode);
  j["uid"] = node.uid;
  j["gid"] = node.gid;
  j["mtime"] = node.mtime;
  j["size"] = node.size;
  if (node.type == NodeType::kSymlink || node.type == NodeType::kHardLink) {
    j["link_target"] = node.link_target;
  }
  if (node.type == NodeType::kCharDevice || node.type == NodeType::kBlockDevice) {
    j["device"] = {{"major", node.dev_major}, {"minor", node.dev_minor}};
  }
  if (!sha256.empty()) j["sha256"] = sha256;
  if (!output.empty()) j["output"] = output;
  return j;
}

}  // namespace

std::string_view NodeFilesystem(const Node& node) {
  std::string_view p = node.provenance;
  if (p.size() > node.path.size() && p.ends_with(node.path)) {
    return p.substr(0, p.size() - node.path.size() - 1);
  }
  return p;
}

std::string FormatMode(uint32_t mode) { return fmt::format("{:04o}", mode & 07777); }

std::string HashContent(ContentReader& content) {
  Sha256Hasher hasher;
  if (std::optional<ByteView> view = content.Contiguous()) {
    hasher.Update(*view);
  } else {
    thread_local Bytes buf(1 << 18);  // per thread: no allocation per file
    while (true) {
      Result<size_t> n = content.Read(buf);
      if (!n.ok() || *n == 0) break;
      hasher.Update(ByteView(buf).first(*n));
    }
  }
  Sha256Digest d = hasher.Finish();
  return HexEncode(d);
}

Result<std::unique_ptr<ManifestWriter>> ManifestWriter::Create() {
  std::FILE* nodes = std::tmpfile();
  if (nodes == nullptr) return Error::FromErrno("create temp file for", "the manifest", errno);
  return std::unique_ptr<ManifestWriter>(new ManifestWriter(nodes));
}

ManifestWriter::ManifestWriter(std::FILE* nodes) : nodes_(nodes) {}
ManifestWriter::~ManifestWriter() { std::fclose(nodes_); }

void ManifestWriter::AddFilesystem(const FilesystemInfo& fs) {
  std::lock_guard<std::mutex> lock(mu_);
  filesystems_.push_back(fs);
}

void ManifestWriter::AddNode(const Node& node, std::string_view sha256, std::string_view output) {
  std::string line = Dump(NodeJson(node, sha256, output));
  line += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  if (std::fwrite(line.data(), 1, line.size(), nodes_) != line.size()) write_failed_ = true;
  ++node_count_;
}

void ManifestWriter::AddNote(const Note& note) {
  std::lock_guard<std::mutex> lock(mu_);
  if (notes_.size() >= kMaxNotes) {
    ++dropped_notes_;
    return;
  }
  notes_.push_back(note);
}

uint64_t ManifestWriter::nodes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return node_count_;
}

std::vector<Note> ManifestWriter::notes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return notes_;
}

Status ManifestWriter::WriteTo(std::FILE* out, const std::string& image, const std::string& sha256,
                               bool partial) {
  std::lock_guard<std::mutex> lock(mu_);
  if (write_failed_ || std::fflush(nodes_) != 0) {
    return Error::Io("manifest: writing the temp file of nodes failed");
  }
  ordered_json head;
  head["image"] = image;
  head["sha256"] = sha256;
  head["partial"] = partial;
  ordered_json filesystems = ordered_json::array();
  for (const FilesystemInfo& fs : filesystems_) {
    filesystems.push_back({{"provenance", fs.provenance},
                           {"format", fs.format},
                           {"offset", fs.offset},
                           {"length", fs.length}});
  }
  head["filesystems"] = std::move(filesystems);
  std::string text = Dump(head);
  text.pop_back();  // reopen the object to append the streamed nodes
  text += ",\"nodes\":[";
  std::fputs(text.c_str(), out);

  std::rewind(nodes_);
  char* line = nullptr;
  size_t cap = 0;
  ssize_t len;
  bool first = true;
  while ((len = getline(&line, &cap, nodes_)) > 0) {
    if (line[len - 1] == '\n') --len;
    if (!first) std::fputc(',', out);
    std::fputc('\n', out);
    std::fwrite(line, 1, size_t(len), out);
    first = false;
  }
  std::free(line);
  std::fseek(nodes_, 0, SEEK_END);

  ordered_json notes = ordered_json::array();
  for (const Note& n : notes_) {
    notes.push_back({{"kind", NoteKindName(n.kind)},
                     {"where", n.where},
                     {"offset", n.offset},
                     {"message", n.message}});
  }
  if (dropped_notes_ > 0) {
    notes.push_back({{"kind", "warning"},
                     {"where", image},
                     {"offset", 0},
                     {"message", fmt::format("{} more notes were dropped", dropped_notes_)}});
  }
  std::string tail = "\n],\"notes\":" + Dump(notes) + "}\n";
  std::fputs(tail.c_str(), out);
  if (std::fflush(out) != 0 || std::ferror(out)) return Error::Io("manifest: write failed");
  return Status::Ok();
}

Status ManifestWriter::WriteFile(const std::string& path, const std::string& image,
                                 const std::string& sha256, bool partial) {
  std::string tmp = path + ".partial";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return Error::FromErrno("create", tmp, errno);
  std::FILE* out = fdopen(fd, "w");
  if (out == nullptr) {
    close(fd);
    return Error::FromErrno("open", tmp, errno);
  }
  Status s = WriteTo(out, image, sha256, partial);
  if (s.ok() && fsync(fileno(out)) != 0) s = Error::FromErrno("fsync", tmp, errno);
  if (std::fclose(out) != 0 && s.ok()) s = Error::FromErrno("close", tmp, errno);
  if (!s.ok()) {
    unlink(tmp.c_str());
    return s;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Error::FromErrno("rename", tmp, errno);
  return Status::Ok();
}

Status ManifestSink::OnNode(const Node& node, ContentReader* content) {
  std::string sha;
  if (hash_contents_ && content != nullptr && node.type == NodeType::kFile) {
    sha = HashContent(*content);
  }
  manifest_.AddNode(node, sha, {});
  return Status::Ok();
}

std::string FormatNodeLine(const Node& node) {
  static constexpr char kTypes[] = {'-', 'd', 'l', 'h', 'c', 'b', 'p', 's'};
  char type = kTypes[static_cast<int>(node.type)];
  std::string perms(9, '-');
  static constexpr char kRwx[] = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) {
    if (node.mode & (0400u >> i)) perms[size_t(i)] = kRwx[i];
  }
  if (node.mode & 04000) perms[2] = (node.mode & 0100) ? 's' : 'S';
  if (node.mode & 02000) perms[5] = (node.mode & 0010) ? 's' : 'S';
  if (node.mode & 01000) perms[8] = (node.mode & 0001) ? 't' : 'T';
  std::time_t t = std::time_t(node.mtime);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
  std::string size = (node.type == NodeType::kCharDevice || node.type == NodeType::kBlockDevice)
                         ? fmt::format("{},{}", node.dev_major, node.dev_minor)
                         : fmt::format("{}", node.size);
  std::string line = fmt::format("{}{} {}/{} {:>10} {} {}", type, perms, node.uid, node.gid, size,
                                 date, node.provenance);
  if (node.type == NodeType::kSymlink) line += " -> " + node.link_target;
  if (node.type == NodeType::kHardLink) line += " link to " + node.link_target;
  if (!node.raw_path.empty()) line += " (stored as \"" + node.raw_path + "\")";
  return line;
}

void TextListingSink::OnFilesystem(const FilesystemInfo& fs) {
  std::string line =
      fmt::format("# {}: {} at 0x{:x}, {} bytes\n", fs.provenance, fs.format, fs.offset, fs.length);
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
}

Status TextListingSink::OnNode(const Node& node, ContentReader*) {
  std::string line = FormatNodeLine(node);
  line += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  return Status::Ok();
}

void TextListingSink::OnNote(const Note& note) {
  std::lock_guard<std::mutex> lock(mu_);
  if (notes_.size() < kMaxNotes) notes_.push_back(note);
}

std::vector<Note> TextListingSink::TakeNotes() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::move(notes_);
}

}  // namespace clearbox::unpack
