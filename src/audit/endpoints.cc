// Hard-coded endpoints (CB-NET-*): host names, addresses and URLs written into scripts,
// configuration and programs. Every endpoint is an info finding, and an observation for the
// pledge (its outbound endpoints) unless a program only prints it in a message; a command line that sends local data to one is a finding
// of its own. The extractor lives in endpoints_extract.cc.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <set>

#include "endpoints.h"
#include "families.h"
#include "text_lines.h"

namespace clearbox::audit::internal {
namespace {

using inventory::FileKind;
using inventory::FileRecord;

constexpr size_t kEvidencePerEndpoint = 3;
constexpr size_t kExcerptBytes = 200;
constexpr size_t kMaxContinuationLines = 8;
constexpr size_t kMinBinaryString = 6;
constexpr size_t kMaxBinaryHitsPerFile = 256;
constexpr size_t kMaxExpandedLine = 8192;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Documentation and license texts quote URLs of projects, not endpoints of the device.
bool IsDocumentation(std::string_view path) {
  for (std::string_view dir : {"/usr/share/doc/", "/usr/share/man/", "/usr/share/info/",
                               "/usr/share/licenses/", "/usr/share/common-licenses/",
                               "/usr/share/locale/", "/usr/share/i18n/", "/usr/include/"}) {
    if (path.find(dir) != std::string_view::npos) return true;
  }
  size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  for (std::string_view name : {"LICENSE", "COPYING", "README", "CHANGELOG", "NOTICE", "AUTHORS"}) {
    if (StartsWith(base, name)) return true;
  }
  return false;
}

bool ReadsText(const FileRecord& f) {
  if (f.node.type != unpack::NodeType::kFile || f.text.empty()) return false;
  switch (f.kind) {
    case FileKind::kScript:
    case FileKind::kInitScript:
    case FileKind::kConfig:
    case FileKind::kText:
      return !IsDocumentation(f.node.path);
    default:
      return false;
  }
}

// A line whose first non-blank characters open a comment in shell, ini, C-like or Lua text.
bool IsCommentLine(std::string_view line) {
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string_view::npos) return true;
  std::string_view rest = line.substr(i);
  return rest[0] == '#' || rest[0] == ';' || rest[0] == '!' || StartsWith(rest, "//") ||
         StartsWith(rest, "--") || StartsWith(rest, "/*") || StartsWith(rest, "<!--");
}

// The line around [at, at + length) of `text`, at most kExcerptBytes, blanks trimmed.
std::string Excerpt(std::string_view line, size_t at) {
  size_t begin = 0, end = line.size();
  if (line.size() > kExcerptBytes) {
    begin = at > kExcerptBytes / 2 ? at - kExcerptBytes / 2 : 0;
    end = std::min(line.size(), begin + kExcerptBytes);
  }
  std::string out;
  for (char c : line.substr(begin, end - begin)) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u == '\t' ? ' ' : (u < 0x20 || u == 0x7f) ? '.' : c);
  }
  size_t first = out.find_first_not_of(' ');
  size_t last = out.find_last_not_of(" \r.");
  if (first == std::string::npos || last == std::string::npos || last < first) return out;
  return out.substr(first, last - first + 1);
}

// One endpoint of one file: where it is written.
struct Sighting {
  std::string host;
  std::vector<Evidence> evidence;
  size_t count = 0;
  bool outbound = false;  // seen at least once where the box may connect to it (not prose)
};

void AddSighting(std::map<std::string, Sighting>& by_host, const std::string& host,
                 Evidence e, bool outbound = true) {
  Sighting& s = by_host[host];
  s.host = host;
  ++s.count;
  s.outbound = s.outbound || outbound;
  if (s.evidence.size() < kEvidencePerEndpoint) s.evidence.push_back(std::move(e));
}

// The Linux versions the image carries (/lib/modules/VERSION, the kernel's banner): written
// alone ("vermagic=2.6.8.1", "KERNELVER=2.6.8.1", a bare "2.6.8.1" in a program), a
// four-part version reads as an IPv4 address and is not one.
std::set<std::string> KernelVersions(const AuditContext& ctx) {
  std::set<std::string> versions;
  for (const inventory::Component& c : ctx.inv.components) {
    if (c.name == "linux-kernel") versions.insert(c.version);
  }
  constexpr std::string_view kModules = "/lib/modules/";
  for (const FileRecord& f : ctx.inv.files) {
    const std::string& path = f.node.path;
    if (f.node.type != unpack::NodeType::kDirectory || !path.starts_with(kModules)) continue;
    std::string_view name = std::string_view(path).substr(kModules.size());
    if (!name.empty() && name.find('/') == std::string_view::npos) versions.emplace(name);
  }
  return versions;
}

bool Counts(const AuditContext& ctx, const std::set<std::string>& kernel_versions,
            const std::string& host) {
  return !IsSpecialHost(host) && !ctx.options.allow.AllowsEndpoint(host) &&
         !kernel_versions.contains(host);
}

// The info findings of one file's endpoints, and observations (for the pledge) of those the
// box may connect to.
void Report(AuditContext& ctx, const std::map<std::string, Sighting>& by_host,
            std::string_view where_kind, std::vector<Finding>& out) {
  for (const auto& [host, s] : by_host) {
    const Evidence& first = s.evidence.front();
    out.push_back({"CB-NET-001", Severity::kInfo,
                   fmt::format("{} {} has the hard-coded endpoint {}{}{}", where_kind, first.path,
                               host,
                               s.count > 1 ? fmt::format(" ({} times)", s.count) : std::string(),
                               s.outbound ? "" : " (in a message text)"),
                   s.evidence});
    out.back().endpoint = host;
    out.back().endpoint_seen = !s.outbound               ? EndpointSeen::kMessageText
                               : where_kind == "program" ? EndpointSeen::kProgramStrings
                                                         : EndpointSeen::kFile;
    if (!s.outbound) continue;
    Observation o;
    o.kind = ObservationKind::kEndpoint;
    o.name = host;
    o.detail = fmt::format("hard-coded in {} {}", where_kind, first.path);
    o.evidence = first;
    o.check_id = "CB-NET-001";
    o.in_program_strings = where_kind == "program";
    ctx.Observe(std::move(o));
  }
}

void TextEndpoints(AuditContext& ctx, std::vector<Finding>& out) {
  const std::set<std::string> kernel_versions = KernelVersions(ctx);
  for (const FileRecord& f : ctx.inv.files) {
    if (!ReadsText(f)) continue;
    std::map<std::string, Sighting> by_host;
    for (const TextLine& line : SplitLines(f.text)) {
      if (IsCommentLine(line.text)) continue;
      std::string_view code =
          f.kind == FileKind::kText ? line.text : StripShellComment(line.text);
      for (const EndpointHit& h : ExtractEndpoints(code, ExtractMode::kText)) {
        if (!Counts(ctx, kernel_versions, h.host)) continue;
        AddSighting(by_host, h.host,
                    {f.node.provenance, f.node.path, line.offset, Excerpt(line.text, h.offset)});
      }
    }
    std::string_view kind = f.kind == FileKind::kConfig ? "configuration file" : "script";
    if (f.kind == FileKind::kText) kind = "file";
    Report(ctx, by_host, kind, out);
  }
}

// Shell assignments of a file (NAME=value, with export/local/readonly), the last one of
// each name, for the one level of expansion an upload line with "$SERVER" needs.
struct Assignment {
  std::string value;
  TextLine line;
};

std::map<std::string, Assignment> Assignments(const std::vector<TextLine>& lines) {
  std::map<std::string, Assignment> out;
  for (const TextLine& line : lines) {
    std::string_view s = StripShellComment(line.text);
    size_t i = s.find_first_not_of(" \t");
    if (i == std::string_view::npos) continue;
    s.remove_prefix(i);
    for (std::string_view kw : {"export ", "local ", "readonly "}) {
      if (StartsWith(s, kw)) s.remove_prefix(kw.size());
    }
    size_t eq = s.find('=');
    if (eq == 0 || eq == std::string_view::npos || eq > 64) continue;
    std::string_view name = s.substr(0, eq);
    if (!std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }) ||
        std::isdigit(static_cast<unsigned char>(name[0]))) {
      continue;
    }
    std::string value(s.substr(eq + 1));
    while (!value.empty() && (value.back() == ' ' || value.back() == '\r')) value.pop_back();
    if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') && value.back() == value[0]) {
      value = value.substr(1, value.size() - 2);
    }
    out[std::string(name)] = {std::move(value), line};
  }
  return out;
}

// `line` with $NAME and ${NAME} replaced by the file's values; the assignments used.
std::string Expand(std::string_view line, const std::map<std::string, Assignment>& vars,
                   std::vector<const Assignment*>& used) {
  std::string out;
  for (size_t i = 0; i < line.size() && out.size() < kMaxExpandedLine;) {
    if (line[i] != '$' || i + 1 >= line.size()) {
      out.push_back(line[i++]);
      continue;
    }
    bool braced = line[i + 1] == '{';
    size_t start = i + (braced ? 2 : 1), end = start;
    while (end < line.size() &&
           (std::isalnum(static_cast<unsigned char>(line[end])) || line[end] == '_')) {
      ++end;
    }
    auto it = end > start ? vars.find(std::string(line.substr(start, end - start))) : vars.end();
    if (it == vars.end() || (braced && (end >= line.size() || line[end] != '}'))) {
      out.push_back(line[i++]);
      continue;
    }
    out += it->second.value;
    used.push_back(&it->second);
    i = end + (braced ? 1 : 0);
  }
  return out;
}

void Exfiltration(AuditContext& ctx, std::vector<Finding>& out) {
  const std::set<std::string> kernel_versions = KernelVersions(ctx);
  for (const FileRecord& f : ctx.inv.files) {
    // Configuration counts only when it holds commands: crontabs.
    if (!ReadsText(f) ||
        (f.kind == FileKind::kConfig && f.node.path.find("cron") == std::string::npos)) {
      continue;
    }
    std::vector<TextLine> lines = SplitLines(f.text);
    std::map<std::string, Assignment> vars;
    bool vars_read = false;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (IsCommentLine(lines[i].text)) continue;
      // A command continued with a backslash is one logical line.
      std::string logical(StripShellComment(lines[i].text));
      size_t first = i;
      while (!logical.empty() && logical.back() == '\\' && i + 1 < lines.size() &&
             i - first < kMaxContinuationLines) {
        logical.pop_back();
        logical += ' ';
        logical += StripShellComment(lines[++i].text);
      }
      std::string what = DescribeExfiltration(logical);
      if (what.empty()) continue;
      std::vector<const Assignment*> used;
      std::vector<EndpointHit> hits = ExtractEndpoints(logical, ExtractMode::kText);
      if (hits.empty()) {
        if (!vars_read) vars = Assignments(lines), vars_read = true;
        hits = ExtractEndpoints(Expand(logical, vars, used), ExtractMode::kText);
      }
      std::set<std::string> hosts;
      for (const EndpointHit& h : hits) {
        if (Counts(ctx, kernel_versions, h.host)) hosts.insert(h.host);
      }
      if (hosts.empty()) continue;  // private, documentation, allowed, or not written here
      std::vector<Evidence> evidence = {
          {f.node.provenance, f.node.path, lines[first].offset, Excerpt(lines[first].text, 0)}};
      for (const Assignment* a : used) {
        if (evidence.size() >= kEvidencePerEndpoint) break;
        evidence.push_back(
            {f.node.provenance, f.node.path, a->line.offset, Excerpt(a->line.text, 0)});
      }
      std::string host_list;
      for (const std::string& h : hosts) host_list += (host_list.empty() ? "" : ", ") + h;
      for (const std::string& h : hosts) {
        Observation o;
        o.kind = ObservationKind::kEndpoint;
        o.name = h;
        o.detail = fmt::format("receives local data from {} line {}", f.node.path, first + 1);
        o.evidence = evidence.front();
        o.check_id = "CB-NET-002";
        o.insecure = true;
        ctx.Observe(std::move(o));
      }
      out.push_back({"CB-NET-002", Severity::kHigh,
                     fmt::format("{} line {} sends local data to {}: {}", f.node.path, first + 1,
                                 host_list, what),
                     std::move(evidence)});
    }
  }
}

// Endpoints in the printable strings of ELF programs and libraries, as the unpacker reads
// them.
class BinaryEndpointScanner final : public ContentScanner {
 public:
  void OnContent(const FileRecord& file, uint64_t offset, ByteView bytes) override {
    if (file.kind != FileKind::kElf || IsDocumentation(file.node.path)) return;
    std::vector<std::pair<uint64_t, EndpointHit>> found;  // string offset in the file, hit
    std::vector<std::string> excerpts;
    std::vector<bool> prose;
    size_t i = 0;
    while (i < bytes.size()) {
      if (!Printable(bytes[i])) {
        ++i;
        continue;
      }
      size_t start = i;
      while (i < bytes.size() && Printable(bytes[i])) ++i;
      if (i - start < kMinBinaryString) continue;
      std::string_view s(reinterpret_cast<const char*>(bytes.data() + start), i - start);
      for (EndpointHit& h : ExtractEndpoints(s, ExtractMode::kBinaryString)) {
        if (IsSpecialHost(h.host)) continue;
        excerpts.push_back(Excerpt(s, h.offset));
        prose.push_back(IsProseString(s));
        found.emplace_back(offset + start, std::move(h));
      }
    }
    if (found.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    FileHits& fh = files_[file.node.provenance];
    fh.path = file.node.path;
    for (size_t k = 0; k < found.size() && fh.seen.size() < kMaxBinaryHitsPerFile; ++k) {
      const auto& [at, h] = found[k];
      // Overlapping windows see a string twice: same offset, same host.
      if (!fh.seen.insert({at + h.offset, h.host}).second) continue;
      fh.hits.push_back({h.host, at, excerpts[k], prose[k]});
    }
  }

  void Finish(AuditContext& ctx, std::vector<Finding>& out) override {
    std::lock_guard<std::mutex> lock(mu_);
    const std::set<std::string> kernel_versions = KernelVersions(ctx);
    for (const auto& [provenance, fh] : files_) {
      std::map<std::string, Sighting> by_host;
      std::vector<Hit> hits = fh.hits;
      std::sort(hits.begin(), hits.end(),
                [](const Hit& a, const Hit& b) { return a.offset < b.offset; });
      for (const Hit& h : hits) {
        if (!Counts(ctx, kernel_versions, h.host)) continue;
        AddSighting(by_host, h.host, {provenance, fh.path, h.offset, h.excerpt}, !h.prose);
      }
      Report(ctx, by_host, "program", out);
    }
  }

 private:
  static bool Printable(uint8_t b) { return b >= 0x20 && b < 0x7f; }
  struct Hit {
    std::string host;
    uint64_t offset;  // of the string holding it
    std::string excerpt;
    bool prose = false;  // IsProseString of the string holding it
  };
  struct FileHits {
    std::string path;
    std::vector<Hit> hits;
    std::set<std::pair<uint64_t, std::string>> seen;
  };
  std::mutex mu_;
  std::map<std::string, FileHits> files_;
};

}  // namespace

void AddEndpointChecks(std::vector<Check>& checks) {
  checks.push_back(
      {"CB-NET-001", "hard-coded endpoint",
       "A host name, address or URL written into a script, configuration file or program is "
       "a place the box may talk to. The vendor's pledge declares the outbound endpoints; "
       "this check lists every one it sees (documentation, private and special ranges and "
       "names are not endpoints) so the pledge can be reconciled with them.",
       "Declare each endpoint in the pledge (its MUD profile) with its purpose, or remove it; "
       "make endpoints configurable by the operator rather than built in.",
       "4.3.2.1", Severity::kInfo, TextEndpoints,
       [](const AuditOptions&) -> std::unique_ptr<ContentScanner> {
         return std::make_unique<BinaryEndpointScanner>();
       }});
  checks.push_back(
      {"CB-NET-002", "local data sent to a hard-coded endpoint",
       "A script or cron job sends the box's files, /proc or /etc data or a command's output "
       "to a host written into the image (curl or wget posting, nc, tftp put, ftpput, scp): "
       "configuration, credentials and traffic facts leave the operator's network without "
       "the operator deciding it.",
       "Remove the upload, or make it an operator-configured, documented and authenticated "
       "function declared in the pledge and off by default.",
       "4.2.3.2.1", Severity::kHigh, Exfiltration, {}});
}

}  // namespace clearbox::audit::internal
