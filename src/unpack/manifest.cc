#include "clearbox/unpack/manifest.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <memory>
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

// Bytes copied as they are: printable ASCII but the quote and the backslash.
constexpr std::array<bool, 256> kJsonPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

// A JSON string's content (without the quotes): escapes as RFC 8259 requires, and replaces
// bytes that are not valid UTF-8 with U+FFFD, as nlohmann's error_handler_t::replace does
// (names in images are hostile). Runs of plain ASCII are appended at once.
void AppendJsonEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < s.size();) {
    size_t plain = i;
    while (plain < s.size() && kJsonPlain[static_cast<unsigned char>(s[plain])]) ++plain;
    out.append(s.data() + i, plain - i);
    i = plain;
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += char(c);
      } else {
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
      ++i;
      continue;
    }
    size_t len = c >= 0xf5 ? 0 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (ok && len >= 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      // No overlong forms, no surrogates, nothing past U+10FFFF.
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) || (c == 0xf0 && c1 < 0x90) ||
          (c == 0xf4 && c1 >= 0x90)) {
        ok = false;
      }
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  AppendJsonEscaped(out, s);
  out += '"';
}

template <typename T>
void AppendNumber(std::string& out, T value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, end);
}

// "0755": the permission bits in four octal digits.
void AppendMode(std::string& out, uint32_t mode) {
  mode &= 07777;
  out += char('0' + (mode >> 9));
  out += char('0' + (mode >> 6 & 7));
  out += char('0' + (mode >> 3 & 7));
  out += char('0' + (mode & 7));
}

// One node as a JSON object appended to `out`, written by hand: the manifest of a root
// filesystem has tens of thousands of them and a DOM (or a format string) per node would
// cost more than the rest of the bookkeeping. The provenance is the filesystem's, ":" and
// the path: each part is escaped once and copied into the "filesystem" and "path" fields
// (escaping works byte by byte between ASCII separators, so the copies are what escaping
// the parts again would give).
void AppendNodeJson(std::string& out, const Node& node, std::string_view sha256,
                    std::string_view output) {
  const std::string_view fs = NodeFilesystem(node);
  out.reserve(out.size() + 256 + 2 * node.provenance.size() + node.link_target.size());
  out += "{\"provenance\":\"";
  const size_t fs_at = out.size();
  size_t fs_len = 0, path_at = 0, path_len = 0;
  if (fs.size() < node.provenance.size() && node.provenance[fs.size()] == ':' &&
      std::string_view(node.provenance).substr(fs.size() + 1) == node.path) {
    AppendJsonEscaped(out, fs);
    fs_len = out.size() - fs_at;
    out += ':';
    path_at = out.size();
    AppendJsonEscaped(out, node.path);
    path_len = out.size() - path_at;
    out += "\",\"filesystem\":\"";
    out.append(out, fs_at, fs_len);
    out += "\",\"path\":\"";
    out.append(out, path_at, path_len);
    out += '"';
  } else {
    AppendJsonEscaped(out, node.provenance);
    out += "\",\"filesystem\":";
    AppendJsonString(out, fs);
    out += ",\"path\":";
    AppendJsonString(out, node.path);
  }
  if (!node.raw_path.empty()) {
    out += ",\"raw_path\":";
    AppendJsonString(out, node.raw_path);
  }
  out += ",\"type\":\"";
  out += NodeTypeName(node.type);
  out += "\",\"mode\":\"";
  AppendMode(out, node.mode);
  out += "\",\"uid\":";
  AppendNumber(out, node.uid);
  out += ",\"gid\":";
  AppendNumber(out, node.gid);
  out += ",\"mtime\":";
  AppendNumber(out, node.mtime);
  out += ",\"size\":";
  AppendNumber(out, node.size);
  if (node.type == NodeType::kSymlink || node.type == NodeType::kHardLink) {
    out += ",\"link_target\":";
    AppendJsonString(out, node.link_target);
  }
  if (node.type == NodeType::kCharDevice || node.type == NodeType::kBlockDevice) {
    out += ",\"device\":{\"major\":";
    AppendNumber(out, node.dev_major);
    out += ",\"minor\":";
    AppendNumber(out, node.dev_minor);
    out += '}';
  }
  if (!sha256.empty()) {
    out += ",\"sha256\":";
    AppendJsonString(out, sha256);
  }
  if (!output.empty()) {
    out += ",\"output\":";
    AppendJsonString(out, output);
  }
  out += '}';
}

}  // namespace

std::string_view NodeFilesystem(const Node& node) {
  std::string_view p = node.provenance;
  if (p.size() > node.path.size() && p.ends_with(node.path)) {
    return p.substr(0, p.size() - node.path.size() - 1);
  }
  return p;
}

std::string FormatMode(uint32_t mode) {
  std::string out;
  AppendMode(out, mode);
  return out;
}

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

Result<std::unique_ptr<ManifestWriter>> ManifestWriter::Create(size_t memory_bytes) {
  return std::unique_ptr<ManifestWriter>(new ManifestWriter(memory_bytes));
}

ManifestWriter::ManifestWriter(size_t memory_bytes) : memory_bytes_(memory_bytes) {}
ManifestWriter::~ManifestWriter() {
  if (spill_ != nullptr) std::fclose(spill_);
}

void ManifestWriter::AddFilesystem(const FilesystemInfo& fs) {
  std::lock_guard<std::mutex> lock(mu_);
  filesystems_.push_back(fs);
}

void ManifestWriter::SpillPending() {
  if (spill_ == nullptr && !write_failed_) spill_ = std::tmpfile();
  if (spill_ == nullptr) write_failed_ = true;
  for (const std::string& chunk : pending_) {
    if (write_failed_) break;
    if (std::fwrite(chunk.data(), 1, chunk.size(), spill_) != chunk.size()) write_failed_ = true;
  }
  pending_.resize(1);  // its buffer is reused
  pending_[0].clear();
  pending_bytes_ = 0;
}

void ManifestWriter::AddNode(const Node& node, std::string_view sha256, std::string_view output) {
  constexpr size_t kChunk = 1 << 20;
  // Formatted outside the lock (extraction threads), into a buffer each thread reuses.
  thread_local std::string line;
  line.clear();
  AppendNodeJson(line, node, sha256, output);
  std::lock_guard<std::mutex> lock(mu_);
  const std::string_view separator = node_count_ == 0 ? "\n" : ",\n";
  const size_t bytes = separator.size() + line.size();
  if (pending_.empty() || pending_.back().size() + bytes > pending_.back().capacity()) {
    pending_.emplace_back().reserve(std::max(kChunk, bytes));
  }
  pending_.back() += separator;
  pending_.back() += line;
  pending_bytes_ += bytes;
  ++node_count_;
  // Once spilling, the temp file is written a chunk at a time.
  if (pending_bytes_ > (spill_ != nullptr ? std::min(memory_bytes_, kChunk) : memory_bytes_)) {
    SpillPending();
  }
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

void ManifestWriter::SetUnclaimed(std::vector<UnclaimedRegion> regions) {
  constexpr size_t kMaxUnclaimed = 10000;
  std::lock_guard<std::mutex> lock(mu_);
  dropped_unclaimed_ = regions.size() > kMaxUnclaimed ? regions.size() - kMaxUnclaimed : 0;
  if (dropped_unclaimed_ > 0) regions.resize(kMaxUnclaimed);
  unclaimed_ = std::move(regions);
}

Status ManifestWriter::WriteTo(std::FILE* out, const std::string& image, const std::string& sha256,
                               bool partial) {
  std::lock_guard<std::mutex> lock(mu_);
  if (write_failed_ || (spill_ != nullptr && std::fflush(spill_) != 0)) {
    return Error::Io("manifest: writing the temp file of nodes failed");
  }
  ordered_json head;
  head["image"] = image;
  // A listing does not hash the image (`ls --hash` does): null says "not computed".
  if (sha256.empty()) {
    head["sha256"] = nullptr;
  } else {
    head["sha256"] = sha256;
  }
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
  text.pop_back();  // reopen the object to append the nodes
  text += ",\"nodes\":[";
  std::fwrite(text.data(), 1, text.size(), out);

  if (spill_ != nullptr) {
    std::rewind(spill_);
    std::unique_ptr<char[]> buffer = std::make_unique_for_overwrite<char[]>(1 << 20);
    size_t n;
    while ((n = std::fread(buffer.get(), 1, 1 << 20, spill_)) > 0)
      std::fwrite(buffer.get(), 1, n, out);
    const bool read_failed = std::ferror(spill_) != 0;
    std::fseek(spill_, 0, SEEK_END);
    if (read_failed) return Error::Io("manifest: reading the temp file of nodes failed");
  }
  for (const std::string& chunk : pending_) std::fwrite(chunk.data(), 1, chunk.size(), out);

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
  if (dropped_unclaimed_ > 0) {
    notes.push_back({{"kind", "warning"},
                     {"where", image},
                     {"offset", 0},
                     {"message", fmt::format("{} more regions not understood were not listed",
                                             dropped_unclaimed_)}});
  }
  ordered_json unclaimed = ordered_json::array();
  for (const UnclaimedRegion& r : unclaimed_) {
    // Two decimals, as the summary prints it: a stable manifest, not float noise.
    unclaimed.push_back({{"provenance", r.provenance},
                         {"offset", r.offset},
                         {"length", r.length},
                         {"entropy", std::round(r.entropy * 100) / 100},
                         {"description", DescribeEntropy(r.entropy)}});
  }
  std::string tail = "\n],\"notes\":" + Dump(notes) + ",\"unclaimed\":" + Dump(unclaimed) + "}\n";
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

namespace {

// "2024-01-31 23:59" (UTC) from seconds since the epoch, without the locale machinery of
// strftime (a listing formats one per node). Days to civil date: H. Hinnant's algorithm.
// Writes 16 characters at `out` (more for a year past 9999 or before 0: at most 40).
char* PutDate(char* out, int64_t seconds) {
  int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  int64_t rest = seconds - days * 86400;
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2);
  auto two = [&out](int64_t v) {
    *out++ = char('0' + v / 10 % 10);
    *out++ = char('0' + v % 10);
  };
  if (year < 0 || year > 9999) {
    out = fmt::format_to(out, "{:04}", year);
  } else {
    two(year / 100);
    two(year % 100);
  }
  *out++ = '-';
  two(month);
  *out++ = '-';
  two(day);
  *out++ = ' ';
  two(rest / 3600);
  *out++ = ':';
  two(rest / 60 % 60);
  return out;
}

// Decimal digits of `v` at `out`; returns the end.
char* PutNumber(char* out, uint64_t v) { return std::to_chars(out, out + 20, v).ptr; }

}  // namespace

void AppendNodeLine(std::string& out, const Node& node) {
  static constexpr char kTypes[] = {'-', 'd', 'l', 'h', 'c', 'b', 'p', 's'};
  static constexpr char kRwx[] = "rwxrwxrwx";
  // The fixed-width head ("drwxr-xr-x 0/0          0 2024-01-01 00:00 ") is put together in
  // a local array and appended once: a listing formats one line per node.
  char head[160];
  char* p = head;
  *p++ = kTypes[static_cast<int>(node.type) & 7];
  char* perms = p;
  for (int i = 0; i < 9; ++i) *p++ = (node.mode & (0400u >> i)) ? kRwx[i] : '-';
  if (node.mode & 04000) perms[2] = (node.mode & 0100) ? 's' : 'S';
  if (node.mode & 02000) perms[5] = (node.mode & 0010) ? 's' : 'S';
  if (node.mode & 01000) perms[8] = (node.mode & 0001) ? 't' : 'T';
  *p++ = ' ';
  p = PutNumber(p, node.uid);
  *p++ = '/';
  p = PutNumber(p, node.gid);
  *p++ = ' ';
  // The size (or "major,minor") right-aligned in 10 columns.
  char size[48];
  char* size_end;
  if (node.type == NodeType::kCharDevice || node.type == NodeType::kBlockDevice) {
    size_end = PutNumber(size, node.dev_major);
    *size_end++ = ',';
    size_end = PutNumber(size_end, node.dev_minor);
  } else {
    size_end = PutNumber(size, node.size);
  }
  const size_t size_len = size_t(size_end - size);
  if (size_len < 10) {
    std::memset(p, ' ', 10 - size_len);
    p += 10 - size_len;
  }
  std::memcpy(p, size, size_len);
  p += size_len;
  *p++ = ' ';
  p = PutDate(p, node.mtime);
  *p++ = ' ';
  out.append(head, size_t(p - head));
  out += node.provenance;
  if (node.type == NodeType::kSymlink) {
    out += " -> ";
    out += node.link_target;
  } else if (node.type == NodeType::kHardLink) {
    out += " link to ";
    out += node.link_target;
  }
  if (!node.raw_path.empty()) {
    out += " (stored as \"";
    out += node.raw_path;
    out += "\")";
  }
}

std::string FormatNodeLine(const Node& node) {
  std::string line;
  line.reserve(64 + node.provenance.size() + node.link_target.size());
  AppendNodeLine(line, node);
  return line;
}

TextListingSink::~TextListingSink() { Flush(); }

void TextListingSink::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  FlushLocked();
}

void TextListingSink::FlushLocked() {
  if (!buffer_.empty()) std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
  buffer_.clear();
}

void TextListingSink::OnFilesystem(const FilesystemInfo& fs) {
  std::lock_guard<std::mutex> lock(mu_);
  fmt::format_to(std::back_inserter(buffer_), "# {}: {} at 0x{:x}, {} bytes\n", fs.provenance,
                 fs.format, fs.offset, fs.length);
  if (buffer_.size() >= kBufferBytes) FlushLocked();
}

Status TextListingSink::OnNode(const Node& node, ContentReader*) {
  std::lock_guard<std::mutex> lock(mu_);
  AppendNodeLine(buffer_, node);
  buffer_ += '\n';
  if (buffer_.size() >= kBufferBytes) FlushLocked();
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
