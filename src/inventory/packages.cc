// Package databases (dpkg, opkg, apk) and OS release files into components.
//
// One pass over the text: lines are found with memchr, stanzas are views into the input, and
// only the fields a component keeps are copied out. Everything wrong is a problem with the
// line and byte offset; a stanza that cannot name a package is skipped, the rest go on.
#include "clearbox/inventory/packages.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace clearbox::inventory {

namespace {

constexpr size_t kMaxMatchedBytes = 300;  // Evidence::matched is a short quote

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = LowerAscii(c);
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (IsBlank(s.front()) || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (IsBlank(s.back()) || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Length of the UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, at most
// U+10FFFF) starting at s[i], or 0 when the bytes there are not one.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// Text a database may hold: UTF-8 without NUL or other control characters than tab and
// line ends.
bool IsCleanText(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {  // printable ASCII, nearly every byte of a database
      ++i;
      continue;
    }
    if (c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (c < 0x80) return false;  // other control characters, DEL
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// A printable copy: bad UTF-8 becomes U+FFFD, control characters '?'.
std::string Sanitized(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      out += c == '\t' ? ' ' : '?';
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// A name, version or architecture: clean text without whitespace.
bool IsToken(std::string_view s) {
  if (s.empty() || !IsCleanText(s)) return false;
  for (char c : s) {
    if (IsBlank(c) || c == '\n') return false;
  }
  return true;
}

// Collects problems up to a cap, then counts the rest.
class Problems {
 public:
  Problems(std::string_view provenance, size_t cap, std::vector<std::string>* out)
      : provenance_(provenance), cap_(cap), out_(out) {}
  ~Problems() {
    if (dropped_ > 0) {
      out_->push_back(std::string(provenance_) + ": " + std::to_string(dropped_) +
                      " more problems not listed");
    }
  }
  void Add(uint64_t line, uint64_t offset, std::string_view what) {
    if (out_->size() >= cap_) {
      ++dropped_;
      return;
    }
    std::string p(provenance_);
    if (line > 0) p += ":" + std::to_string(line);
    p += " (offset " + std::to_string(offset) + "): ";
    p += what;
    out_->push_back(std::move(p));
  }

 private:
  std::string_view provenance_;
  size_t cap_;
  std::vector<std::string>* out_;
  uint64_t dropped_ = 0;
};

// Lines of a text with their 1-based numbers and byte offsets; a trailing '\r' is dropped.
class LineReader {
 public:
  LineReader(std::string_view text, uint64_t base_offset, uint64_t first_line)
      : text_(text), base_(base_offset), next_line_(first_line) {}
  bool Next(std::string_view* line, uint64_t* offset, uint64_t* number) {
    if (pos_ >= text_.size()) return false;
    const char* start = text_.data() + pos_;
    const void* nl = std::memchr(start, '\n', text_.size() - pos_);
    size_t len = nl ? size_t(static_cast<const char*>(nl) - start) : text_.size() - pos_;
    *line = text_.substr(pos_, len);
    if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
    *offset = base_ + pos_;
    *number = next_line_++;
    pos_ += len + (nl ? 1 : 0);
    return true;
  }

 private:
  std::string_view text_;
  uint64_t base_;
  uint64_t next_line_;
  size_t pos_ = 0;
};

bool IsBlankLine(std::string_view line) {
  for (char c : line) {
    if (!IsBlank(c)) return false;
  }
  return true;
}

struct Stanza {
  std::string_view text;  // from its first line to the end of its last (no final newline)
  uint64_t offset = 0;
  uint64_t line = 0;
};

// Calls on_stanza(const Stanza&) -> bool (false stops) for each run of non-blank lines.
// A run longer than the limit is a problem and is skipped without being looked at again.
template <typename F>
void ForEachStanza(std::string_view text, const PackageDbLimits& limits, Problems& problems,
                   F&& on_stanza) {
  LineReader lines(text, 0, 1);
  std::string_view line;
  uint64_t offset = 0, number = 0;
  bool in_stanza = false;
  Stanza current;
  uint64_t end = 0;
  auto finish = [&]() -> bool {
    in_stanza = false;
    current.text = text.substr(current.offset, end - current.offset);
    if (current.text.size() > limits.max_stanza_bytes) {
      problems.Add(current.line, current.offset,
                   "a stanza of " + std::to_string(current.text.size()) +
                       " bytes is over the limit of " + std::to_string(limits.max_stanza_bytes) +
                       "; skipped");
      return true;
    }
    return on_stanza(current);
  };
  while (lines.Next(&line, &offset, &number)) {
    if (IsBlankLine(line)) {
      if (in_stanza && !finish()) return;
      continue;
    }
    if (!in_stanza) {
      in_stanza = true;
      current.offset = offset;
      current.line = number;
    }
    end = offset + line.size();
  }
  if (in_stanza) finish();
}

// One "Name: value" field of a deb822 stanza; the value spans its continuation lines.
struct Field {
  std::string_view name;
  std::string_view value;
  std::string_view first_line;
  uint64_t line = 0;
  uint64_t offset = 0;
};

bool IsFieldName(std::string_view name) {
  if (name.empty() || name[0] == '#' || name[0] == '-') return false;
  for (char c : name) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

// Calls on_field(const Field&) for each field of a deb822 stanza.
template <typename F>
void ForEachField(const Stanza& stanza, Problems& problems, F&& on_field) {
  LineReader lines(stanza.text, stanza.offset, stanza.line);
  std::string_view line;
  uint64_t offset = 0, number = 0;
  Field pending;
  bool has_pending = false;
  while (lines.Next(&line, &offset, &number)) {
    if (line[0] == ' ' || line[0] == '\t') {
      if (!has_pending) {
        problems.Add(number, offset, "a continuation line without a field; ignored");
        continue;
      }
      const char* value_start = pending.value.data();
      pending.value =
          std::string_view(value_start, size_t(line.data() + line.size() - value_start));
      continue;
    }
    if (has_pending) on_field(pending);
    has_pending = false;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsFieldName(line.substr(0, colon))) {
      problems.Add(number, offset, "not a \"Field: value\" line; ignored");
      continue;
    }
    pending.name = line.substr(0, colon);
    size_t v = colon + 1;
    while (v < line.size() && IsBlank(line[v])) ++v;
    pending.value = std::string_view(line.data() + v, line.size() - v);
    pending.first_line = line;
    pending.line = number;
    pending.offset = offset;
    has_pending = true;
  }
  if (has_pending) on_field(pending);
}

// Percent-encodes a purl qualifier value (purl-spec: everything but unreserved characters).
std::string QualifierValue(std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The purl namespace from the OS ID when it is a plain lower-case word, else the default.
std::string PurlNamespace(const OsContext& os, std::string_view fallback) {
  std::string id = Lower(os.id);
  if (id.empty() || id.size() > 64) return std::string(fallback);
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return std::string(fallback);
  }
  return id;
}

// deb822 Depends / Pre-Depends / opkg Depends: "a (>= 1), b | c, d:any". Every alternative's
// name, in order, without duplicates.
void AddDebDependNames(std::string_view list, const PackageDbLimits& limits,
                       std::vector<std::string>& out) {
  size_t i = 0;
  while (i < list.size() && out.size() < limits.max_depends) {
    size_t end = list.find_first_of(",|", i);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = Trim(list.substr(i, end - i));
    i = end + 1;
    size_t name_end = 0;
    while (name_end < item.size() && !IsBlank(item[name_end]) && item[name_end] != '\n' &&
           item[name_end] != '(' && item[name_end] != '[' && item[name_end] != '<' &&
           item[name_end] != '>' && item[name_end] != '=') {
      ++name_end;
    }
    std::string_view name = item.substr(0, name_end);
    size_t colon = name.find(':');  // multi-arch qualifier: "perl:any", "libc6:amd64"
    if (colon != std::string_view::npos) name = name.substr(0, colon);
    if (name.empty() || name.size() > limits.max_name_bytes || !IsToken(name)) continue;
    out.push_back(Lower(name));
  }
}

void Dedupe(std::vector<std::string>& names) {
  std::unordered_set<std::string> seen;
  std::vector<std::string> kept;
  kept.reserve(names.size());
  for (std::string& n : names) {
    if (seen.insert(n).second) kept.push_back(std::move(n));
  }
  names = std::move(kept);
}

// "name (version)" of a dpkg Source field.
std::pair<std::string_view, std::string_view> SplitSource(std::string_view source) {
  source = Trim(source);
  size_t paren = source.find('(');
  if (paren == std::string_view::npos) return {source, {}};
  std::string_view name = Trim(source.substr(0, paren));
  std::string_view rest = source.substr(paren + 1);
  size_t close = rest.find(')');
  std::string_view version = close == std::string_view::npos ? rest : rest.substr(0, close);
  return {name, Trim(version)};
}

// vendor and product of a CPE 2.2 URI ("cpe:/a:busybox:busybox") or 2.3 name
// ("cpe:2.3:a:busybox:busybox:*:...").
std::optional<CpeProduct> ParseCpeId(std::string_view cpe) {
  cpe = Trim(cpe);
  std::string_view rest;
  if (cpe.substr(0, 5) == "cpe:/") {
    rest = cpe.substr(5);
  } else if (cpe.substr(0, 8) == "cpe:2.3:") {
    rest = cpe.substr(8);
  } else {
    return std::nullopt;
  }
  std::string_view parts[3];
  for (int k = 0; k < 3; ++k) {
    size_t colon = rest.find(':');
    parts[k] = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
  }
  if (parts[0].size() != 1 || (parts[0][0] != 'a' && parts[0][0] != 'o' && parts[0][0] != 'h')) {
    return std::nullopt;
  }
  for (int k = 1; k < 3; ++k) {
    if (parts[k].empty() || parts[k].size() > 128 || parts[k] == "*" || !IsToken(parts[k])) {
      return std::nullopt;
    }
  }
  // Cpe23 escapes what needs escaping; a 2.3 name's own backslashes are dropped first.
  auto unescape = [](std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c != '\\') out += c;
    }
    return Lower(out);
  };
  return CpeProduct{unescape(parts[1]), unescape(parts[2]), parts[0][0]};
}

std::string Quote(std::string_view line) {
  if (line.size() > kMaxMatchedBytes) line = line.substr(0, kMaxMatchedBytes);
  return Sanitized(Trim(line));
}

// Fields of a dpkg/opkg stanza that a component uses.
struct ControlStanza {
  Field package, version, architecture, status, maintainer, source, source_name, license, depends,
      pre_depends, provides, cpe_id;
};

// What parsing one database keeps besides the components, to resolve dependencies after.
struct ParseState {
  PackageDbKind kind;
  std::string_view provenance;
  const OsContext& os;
  const PackageDbLimits& limits;
  Problems& problems;
  PackageDbResult& result;
  std::unordered_map<std::string, size_t> by_key;  // name + '\0' + arch -> component index
  std::vector<std::vector<std::string>> provides;  // per component: virtual names it provides
  bool full = false;
};

bool CheckRoom(ParseState& st, const Stanza& stanza) {
  if (st.result.components.size() < st.limits.max_components) return true;
  if (!st.full) {
    st.problems.Add(stanza.line, stanza.offset,
                    "more than " + std::to_string(st.limits.max_components) +
                        " packages; the rest are not listed");
  }
  st.full = true;
  return false;
}

// A token field (name, version, architecture) checked against its cap; empty when absent.
// Returns false (and notes why) when the stanza must be skipped.
bool TokenField(ParseState& st, const Stanza& stanza, const Field& f, std::string_view label,
                size_t cap, bool required, std::string_view* out) {
  *out = {};
  if (f.name.empty()) {
    if (!required) return true;
    st.problems.Add(stanza.line, stanza.offset,
                    "a stanza without " + std::string(label) + "; skipped");
    return false;
  }
  std::string_view v = Trim(f.value);
  if (v.size() > cap) {
    st.problems.Add(f.line, f.offset,
                    std::string(label) + " of " + std::to_string(v.size()) +
                        " bytes is over the limit of " + std::to_string(cap) + "; stanza skipped");
    return false;
  }
  if (v.empty() && !required) return true;
  if (!IsToken(v)) {
    st.problems.Add(
        f.line, f.offset,
        std::string(label) + " \"" + Quote(v) + "\" is not a single word of text; stanza skipped");
    return false;
  }
  *out = v;
  return true;
}

// A free-text field kept on the component (maintainer, license): sanitized, capped.
std::string TextField(ParseState& st, const Field& f, Component& c) {
  if (f.name.empty()) return {};
  std::string_view v = Trim(f.value);
  if (v.size() > st.limits.max_text_bytes) {
    st.problems.Add(f.line, f.offset,
                    std::string(f.name) + " of " + std::to_string(v.size()) +
                        " bytes is over the limit; not kept");
    return {};
  }
  if (!IsCleanText(v)) {
    c.notes.push_back(std::string(f.name) + " is not UTF-8 text; bad bytes replaced");
    return Sanitized(v);
  }
  return std::string(v);
}

void SetCpe(Component& c, VersionScheme scheme, std::string_view name, std::string_view source,
            std::string_view version_for_cpe, const std::optional<CpeProduct>& declared) {
  if (version_for_cpe.empty()) return;  // '*' would claim every version
  std::optional<CpeProduct> product = declared;
  if (!product) product = CpeMap::BuiltIn().ForPackage(name);
  if (!product && !source.empty()) product = CpeMap::BuiltIn().ForPackage(source);
  if (!product) return;
  c.cpe = Cpe23(product->vendor, product->product, UpstreamVersion(scheme, version_for_cpe),
                product->part);
}

// Adds the component unless it repeats one already read (same name and architecture).
void AddComponent(ParseState& st, const Stanza& stanza, Component c, std::string arch,
                  std::vector<std::string> provides) {
  std::string key = c.name + '\0' + arch;
  auto [it, inserted] = st.by_key.try_emplace(key, st.result.components.size());
  if (!inserted) {
    Component& first = st.result.components[it->second];
    uint64_t first_offset = first.evidence.empty() ? 0 : first.evidence.front().offset;
    if (first.version == c.version) {
      st.problems.Add(stanza.line, stanza.offset,
                      "package " + c.name + " repeats the stanza at offset " +
                          std::to_string(first_offset) + "; merged into it");
      first.evidence.push_back(std::move(c.evidence.front()));
      return;
    }
    st.problems.Add(stanza.line, stanza.offset,
                    "package " + c.name + " listed again with version " + c.version + " (offset " +
                        std::to_string(first_offset) + " says " + first.version + "); both kept");
    c.notes.push_back("the database lists this package twice, also as version " + first.version);
  }
  st.result.components.push_back(std::move(c));
  st.provides.push_back(std::move(provides));
}

// dpkg states whose files are on disk.
bool DpkgStateCounts(std::string_view state, bool* complete) {
  *complete = state == "installed" || state == "triggers-awaited" || state == "triggers-pending";
  return *complete || state == "half-configured" || state == "unpacked";
}
bool OpkgStateCounts(std::string_view state, bool* complete) {
  *complete = state == "installed";
  return *complete || state == "unpacked" || state == "half-configured" ||
         state == "post-inst-failed" || state == "removal-failed";
}

bool ParseControlStanza(ParseState& st, const Stanza& stanza) {
  if (!CheckRoom(st, stanza)) return false;
  ControlStanza s;
  ForEachField(stanza, st.problems, [&](const Field& f) {
    static constexpr std::pair<std::string_view, Field ControlStanza::*> kFields[] = {
        {"Package", &ControlStanza::package},
        {"Version", &ControlStanza::version},
        {"Architecture", &ControlStanza::architecture},
        {"Status", &ControlStanza::status},
        {"Maintainer", &ControlStanza::maintainer},
        {"Source", &ControlStanza::source},
        {"SourceName", &ControlStanza::source_name},
        {"License", &ControlStanza::license},
        {"Depends", &ControlStanza::depends},
        {"Pre-Depends", &ControlStanza::pre_depends},
        {"Provides", &ControlStanza::provides},
        {"CPE-ID", &ControlStanza::cpe_id},
    };
    for (const auto& [name, member] : kFields) {
      if (!IEquals(f.name, name)) continue;
      Field& slot = s.*member;
      if (!slot.name.empty()) {
        st.problems.Add(f.line, f.offset,
                        "field " + std::string(name) + " repeated; the first kept");
      } else {
        slot = f;
      }
      return;
    }
  });

  const PackageDbLimits& lim = st.limits;
  std::string_view name, version, arch;
  if (!TokenField(st, stanza, s.package, "Package", lim.max_name_bytes, true, &name)) return true;
  if (!TokenField(st, stanza, s.version, "Version", lim.max_version_bytes, false, &version)) {
    return true;
  }
  if (!TokenField(st, stanza, s.architecture, "Architecture", lim.max_name_bytes, false, &arch)) {
    return true;
  }

  Component c;
  bool complete = true;
  if (st.kind != PackageDbKind::kOpkgControl) {
    // The status database also keeps removed packages: only those on disk count.
    std::string_view status = Trim(s.status.value);
    if (s.status.name.empty() || status.size() > 256 || !IsCleanText(status)) {
      st.problems.Add(stanza.line, stanza.offset,
                      "package " + Quote(name) + " has no readable Status; skipped");
      return true;
    }
    std::string_view words[3];
    size_t n = 0;
    for (size_t i = 0; i < status.size() && n <= 3;) {
      while (i < status.size() && IsBlank(status[i])) ++i;
      size_t j = i;
      while (j < status.size() && !IsBlank(status[j])) ++j;
      if (j > i) {
        if (n < 3) words[n] = status.substr(i, j - i);
        ++n;
      }
      i = j;
    }
    if (n != 3) {
      st.problems.Add(s.status.line, s.status.offset,
                      "Status \"" + Quote(status) + "\" is not \"want flags state\"; skipped");
      return true;
    }
    bool counts = st.kind == PackageDbKind::kDpkgStatus ? DpkgStateCounts(words[2], &complete)
                                                        : OpkgStateCounts(words[2], &complete);
    if (!counts) return true;  // removed, config files only: not in the image
    if (!complete) {
      c.notes.push_back("package state " + std::string(words[2]) +
                        ": its files are on disk but it was not fully configured");
    }
  }

  const bool deb = st.kind == PackageDbKind::kDpkgStatus;
  c.name = Lower(name);
  c.version = std::string(version);
  c.scheme = VersionScheme::kDebian;
  c.source = ComponentSource::kPackageDatabase;
  c.supplier = TextField(st, s.maintainer, c);
  c.license = TextField(st, s.license, c);
  if (!IsCleanText(stanza.text)) {
    st.problems.Add(stanza.line, stanza.offset,
                    "package " + c.name + ": the stanza holds bytes that are not UTF-8 text");
    c.notes.push_back("its database stanza holds bytes that are not UTF-8 text");
  }
  if (version.empty()) {
    st.problems.Add(stanza.line, stanza.offset, "package " + c.name + " has no Version");
    c.notes.push_back("the database gives no version");
  }

  std::string qualifiers;
  if (!arch.empty()) qualifiers = "arch=" + QualifierValue(arch);
  if (deb && !st.os.id.empty()) {
    std::string distro = st.os.version_id.empty() ? st.os.version_codename
                                                  : Lower(st.os.id) + "-" + st.os.version_id;
    if (!distro.empty()) {
      if (!qualifiers.empty()) qualifiers += '&';
      qualifiers += "distro=" + QualifierValue(distro);
    }
  }

  // The source package names the upstream project (libssl3 -> openssl) and carries the
  // upstream version when a binary's own version differs (binNMUs, gcc's runtime libraries).
  std::string_view source_name, source_version;
  if (!s.source.name.empty() && Trim(s.source.value).size() <= lim.max_text_bytes) {
    std::tie(source_name, source_version) = SplitSource(s.source.value);
    if (!deb) source_version = {};
    // OpenWrt's Source is the build directory ("package/utils/busybox").
    if (source_name.find('/') != std::string_view::npos) {
      source_name = source_name.substr(source_name.rfind('/') + 1);
    }
  }
  if (!s.source_name.name.empty()) source_name = Trim(s.source_name.value);
  if (source_name.size() > lim.max_name_bytes || !IsToken(source_name)) source_name = {};
  if (source_version.size() > lim.max_version_bytes || !IsToken(source_version)) {
    source_version = {};
  }
  // purl-spec's deb qualifier for the source package: OSV's Debian records name source
  // packages (openssh, not openssh-server), and the matcher looks them up by it.
  if (deb && !source_name.empty() && Lower(source_name) != c.name) {
    if (!qualifiers.empty()) qualifiers += '&';
    qualifiers += "upstream=" + QualifierValue(Lower(source_name));
  }
  c.purl = deb ? Purl("deb", PurlNamespace(st.os, "debian"), c.name, c.version, qualifiers)
               : Purl("opkg", PurlNamespace(st.os, "openwrt"), c.name, c.version, qualifiers);
  std::optional<CpeProduct> declared;
  if (!s.cpe_id.name.empty() && s.cpe_id.value.size() <= lim.max_text_bytes) {
    declared = ParseCpeId(s.cpe_id.value);
    if (!declared) {
      st.problems.Add(s.cpe_id.line, s.cpe_id.offset,
                      "CPE-ID \"" + Quote(s.cpe_id.value) + "\" is not a CPE; ignored");
    }
  }
  SetCpe(c, VersionScheme::kDebian, c.name, Lower(source_name),
         source_version.empty() ? version : source_version, declared);

  for (const Field* f : {&s.pre_depends, &s.depends}) {
    if (f->name.empty()) continue;
    if (f->value.size() > lim.max_depends_bytes) {
      st.problems.Add(f->line, f->offset,
                      std::string(f->name) + " of " + std::to_string(f->value.size()) +
                          " bytes is over the limit; not read");
      continue;
    }
    AddDebDependNames(f->value, lim, c.depends);
  }
  Dedupe(c.depends);
  std::vector<std::string> provides;
  if (!s.provides.name.empty() && s.provides.value.size() <= lim.max_depends_bytes) {
    AddDebDependNames(s.provides.value, lim, provides);
  }

  Evidence e;
  e.method = std::string(PackageDbKindName(st.kind));
  e.provenance = std::string(st.provenance);
  e.offset = stanza.offset;
  e.matched = Quote(s.package.first_line);
  if (!s.version.name.empty()) e.matched += " / " + Quote(s.version.first_line);
  if (!source_name.empty() && !s.source.name.empty()) {
    e.matched += " / " + Quote(s.source.first_line);
  }
  c.evidence.push_back(std::move(e));
  AddComponent(st, stanza, std::move(c), std::string(arch), std::move(provides));
  return true;
}

// apk's installed database: "K:value" lines, a blank line after each package.
struct ApkState {
  std::string root;  // the image root the database implies, to make file paths absolute
  size_t files = 0;
  bool files_full = false;
  std::vector<std::vector<std::string>> depends;  // raw D: names per component, resolved later
};

// apk dependency and provides entries: "so:libc.musl-x86_64.so.1=1", "musl>=1.2", "!foo".
std::string_view ApkEntryName(std::string_view entry) {
  size_t end = entry.find_first_of("<>=~");
  return entry.substr(0, end);
}

bool ParseApkStanza(ParseState& st, ApkState& apk, const Stanza& stanza) {
  if (!CheckRoom(st, stanza)) return false;
  const PackageDbLimits& lim = st.limits;
  LineReader lines(stanza.text, stanza.offset, stanza.line);
  std::string_view line;
  uint64_t offset = 0, number = 0;
  Field name_f, version_f, arch_f, license_f, origin_f, maintainer_f, depends_f, provides_f;
  std::vector<std::string> files;
  std::string_view dir;
  bool dir_ok = true;
  while (lines.Next(&line, &offset, &number)) {
    if (line.size() < 2 || line[1] != ':') {
      st.problems.Add(number, offset, "not a \"K:value\" line; ignored");
      continue;
    }
    Field f{line.substr(0, 1), line.substr(2), line, number, offset};
    Field* slot = nullptr;
    switch (line[0]) {
      case 'P':
        slot = &name_f;
        break;
      case 'V':
        slot = &version_f;
        break;
      case 'A':
        slot = &arch_f;
        break;
      case 'L':
        slot = &license_f;
        break;
      case 'o':
        slot = &origin_f;
        break;
      case 'm':
        slot = &maintainer_f;
        break;
      case 'D':
        slot = &depends_f;
        break;
      case 'p':
        slot = &provides_f;
        break;
      case 'F':
        dir = f.value;
        dir_ok = IsCleanText(dir) && dir.size() <= 4096;
        break;
      case 'R': {
        if (apk.files_full) break;
        if (!dir_ok || !IsCleanText(f.value) || f.value.size() > 4096) {
          st.problems.Add(number, offset, "a file name that is not UTF-8 text; not listed");
          break;
        }
        if (apk.files >= lim.max_files) {
          st.problems.Add(
              number, offset,
              "more than " + std::to_string(lim.max_files) + " files; the rest are not listed");
          apk.files_full = true;
          break;
        }
        ++apk.files;
        std::string path = apk.root;
        if (!dir.empty()) {
          path += dir;
          path += '/';
        }
        path += f.value;
        files.push_back(std::move(path));
        break;
      }
      default:
        break;
    }
    if (slot) {
      if (!slot->name.empty()) {
        st.problems.Add(number, offset,
                        "field " + std::string(f.name) + ": repeated; the first kept");
      } else {
        *slot = f;
      }
    }
  }

  std::string_view name, version, arch;
  if (!TokenField(st, stanza, name_f, "P: (name)", lim.max_name_bytes, true, &name)) return true;
  if (!TokenField(st, stanza, version_f, "V: (version)", lim.max_version_bytes, false, &version)) {
    return true;
  }
  if (!TokenField(st, stanza, arch_f, "A: (architecture)", lim.max_name_bytes, false, &arch)) {
    return true;
  }
  Component c;
  c.name = Lower(name);
  c.version = std::string(version);
  c.scheme = VersionScheme::kApk;
  c.source = ComponentSource::kPackageDatabase;
  c.supplier = TextField(st, maintainer_f, c);
  c.license = TextField(st, license_f, c);
  c.files = std::move(files);
  if (!IsCleanText(stanza.text)) {
    st.problems.Add(stanza.line, stanza.offset,
                    "package " + c.name + ": the stanza holds bytes that are not UTF-8 text");
    c.notes.push_back("its database stanza holds bytes that are not UTF-8 text");
  }
  if (version.empty()) {
    st.problems.Add(stanza.line, stanza.offset, "package " + c.name + " has no V: (version)");
    c.notes.push_back("the database gives no version");
  }
  std::string qualifiers;
  if (!arch.empty()) qualifiers = "arch=" + QualifierValue(arch);
  c.purl = Purl("apk", PurlNamespace(st.os, "alpine"), c.name, c.version, qualifiers);
  std::string_view origin = Trim(origin_f.value);
  if (origin.size() > lim.max_name_bytes || !IsToken(origin)) origin = {};
  SetCpe(c, VersionScheme::kApk, c.name, Lower(origin), version, std::nullopt);

  auto split_words = [&](const Field& f, std::vector<std::string>& out) {
    if (f.name.empty()) return;
    if (f.value.size() > lim.max_depends_bytes) {
      st.problems.Add(f.line, f.offset,
                      "field " + std::string(f.name) + ": over the size limit; not read");
      return;
    }
    std::string_view v = f.value;
    size_t i = 0;
    while (i < v.size() && out.size() < lim.max_depends) {
      while (i < v.size() && IsBlank(v[i])) ++i;
      size_t j = i;
      while (j < v.size() && !IsBlank(v[j])) ++j;
      std::string_view word = v.substr(i, j - i);
      i = j;
      if (word.empty() || word[0] == '!') continue;  // "!pkg": a conflict, not a dependency
      std::string_view entry_name = ApkEntryName(word);
      if (entry_name.empty() || entry_name.size() > lim.max_name_bytes || !IsToken(entry_name)) {
        continue;
      }
      out.push_back(Lower(entry_name));
    }
  };
  std::vector<std::string> raw_depends, provides;
  split_words(depends_f, raw_depends);
  split_words(provides_f, provides);

  Evidence e;
  e.method = std::string(PackageDbKindName(st.kind));
  e.provenance = std::string(st.provenance);
  e.offset = stanza.offset;
  e.matched = Quote(name_f.first_line);
  if (!version_f.name.empty()) e.matched += " / " + Quote(version_f.first_line);
  c.evidence.push_back(std::move(e));
  size_t before = st.result.components.size();
  AddComponent(st, stanza, std::move(c), std::string(arch), std::move(provides));
  if (st.result.components.size() > before) apk.depends.push_back(std::move(raw_depends));
  return true;
}

// Dependency names to the packages of this database where a virtual name ("so:libc.so",
// "debconf-2.0") is provided by one; unresolved virtual names with ':' are dropped.
void ResolveDepends(ParseState& st, std::vector<std::vector<std::string>>* raw) {
  auto& comps = st.result.components;
  std::unordered_map<std::string, size_t> provider;
  for (size_t i = 0; i < comps.size(); ++i) provider.try_emplace(comps[i].name, i);
  for (size_t i = 0; i < comps.size() && i < st.provides.size(); ++i) {
    for (const std::string& p : st.provides[i]) provider.try_emplace(p, i);
  }
  for (size_t i = 0; i < comps.size(); ++i) {
    std::vector<std::string>& deps = raw ? (*raw)[i] : comps[i].depends;
    std::vector<std::string> resolved;
    for (std::string& d : deps) {
      auto it = provider.find(d);
      if (it != provider.end()) {
        if (it->second != i) resolved.push_back(comps[it->second].name);
      } else if (d.find(':') == std::string::npos) {
        resolved.push_back(std::move(d));
      }
    }
    Dedupe(resolved);
    comps[i].depends = std::move(resolved);
  }
}

// Shell-style "KEY=value" files: os-release (freedesktop), openwrt_release.
struct Assignment {
  std::string value;
  std::string_view line;
  uint64_t number = 0;
  uint64_t offset = 0;
};

// Unquotes a shell word as os-release(5) allows: "double" (with \" \\ \$ \` escapes),
// 'single', and bare text with backslash escapes. False when quotes do not close or
// something follows the word.
bool UnquoteShellValue(std::string_view v, std::string* out) {
  out->clear();
  size_t i = 0;
  while (i < v.size()) {
    char c = v[i];
    if (c == '"') {
      ++i;
      bool closed = false;
      while (i < v.size()) {
        char d = v[i++];
        if (d == '"') {
          closed = true;
          break;
        }
        if (d == '\\' && i < v.size() &&
            (v[i] == '"' || v[i] == '\\' || v[i] == '$' || v[i] == '`')) {
          d = v[i++];
        }
        *out += d;
      }
      if (!closed) return false;
    } else if (c == '\'') {
      size_t close = v.find('\'', i + 1);
      if (close == std::string_view::npos) return false;
      out->append(v.substr(i + 1, close - i - 1));
      i = close + 1;
    } else if (c == '\\' && i + 1 < v.size()) {
      *out += v[i + 1];
      i += 2;
    } else if (IsBlank(c)) {
      // Only a comment may follow the value.
      while (i < v.size() && IsBlank(v[i])) ++i;
      return i == v.size() || v[i] == '#';
    } else {
      *out += c;
      ++i;
    }
  }
  return true;
}

bool IsShellName(std::string_view k) {
  if (k.empty()) return false;
  for (size_t i = 0; i < k.size(); ++i) {
    char c = k[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::unordered_map<std::string, Assignment> ParseAssignments(std::string_view text,
                                                             const PackageDbLimits& limits,
                                                             Problems* problems) {
  std::unordered_map<std::string, Assignment> out;
  LineReader lines(text, 0, 1);
  std::string_view line;
  uint64_t offset = 0, number = 0;
  size_t kept = 0;
  while (lines.Next(&line, &offset, &number)) {
    std::string_view t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    auto problem = [&](std::string_view what) {
      if (problems) problems->Add(number, offset, what);
    };
    if (t.size() > limits.max_text_bytes) {
      problem("a line of " + std::to_string(t.size()) + " bytes is over the limit; ignored");
      continue;
    }
    if (!IsCleanText(t)) {
      problem("a line that is not UTF-8 text; ignored");
      continue;
    }
    if (t.substr(0, 7) == "export ") t = Trim(t.substr(7));
    size_t eq = t.find('=');
    if (eq == std::string_view::npos || !IsShellName(t.substr(0, eq))) {
      problem("not a KEY=value line; ignored");
      continue;
    }
    Assignment a;
    if (!UnquoteShellValue(t.substr(eq + 1), &a.value)) {
      problem("the value of " + std::string(t.substr(0, eq)) + " is badly quoted; ignored");
      continue;
    }
    if (++kept > 1024) {
      problem("more than 1024 assignments; the rest ignored");
      break;
    }
    a.line = line;
    a.number = number;
    a.offset = offset;
    out[std::string(t.substr(0, eq))] = std::move(a);  // the shell keeps the last one
  }
  return out;
}

const Assignment* Find(const std::unordered_map<std::string, Assignment>& m, std::string_view k) {
  auto it = m.find(std::string(k));
  return it == m.end() ? nullptr : &it->second;
}

// An OS component from an os-release or openwrt_release file's id and version.
void AddOsComponent(ParseState& st, const std::unordered_map<std::string, Assignment>& vars,
                    std::string_view id_key, std::string_view version_key,
                    const std::vector<std::pair<std::string_view, std::string_view>>& notes) {
  const Assignment* id = Find(vars, id_key);
  const Assignment* version = Find(vars, version_key);
  if (!id && !version) {
    st.problems.Add(0, 0,
                    "neither " + std::string(id_key) + " nor " + std::string(version_key) +
                        "; no operating system named");
    return;
  }
  Component c;
  c.source = ComponentSource::kOsRelease;
  c.scheme = VersionScheme::kGeneric;
  // os-release(5): ID defaults to "linux".
  c.name = id ? Lower(id->value) : "linux";
  if (!IsToken(c.name) || c.name.size() > st.limits.max_name_bytes) {
    st.problems.Add(id->number, id->offset,
                    std::string(id_key) + " is not a single word; no operating system named");
    return;
  }
  if (version) {
    if (!IsToken(version->value) || version->value.size() > st.limits.max_version_bytes) {
      st.problems.Add(version->number, version->offset,
                      std::string(version_key) + " is not a single word; ignored");
    } else {
      c.version = version->value;
    }
  }
  if (c.version.empty()) c.notes.push_back("the release file gives no version");
  c.purl = Purl("generic", "", c.name, c.version);
  const Assignment* cpe_name = Find(vars, "CPE_NAME");  // os-release's own CPE, when it has one
  std::optional<CpeProduct> product =
      cpe_name ? ParseCpeId(cpe_name->value) : CpeMap::BuiltIn().ForOs(c.name);
  if (!product) product = CpeMap::BuiltIn().ForOs(c.name);
  if (product && !c.version.empty() && !IEquals(c.version, "snapshot")) {
    c.cpe = Cpe23(product->vendor, product->product, c.version, product->part);
  }
  for (const auto& [key, label] : notes) {
    const Assignment* a = Find(vars, key);
    if (a && !a->value.empty()) c.notes.push_back(std::string(label) + ": " + Quote(a->value));
  }
  Evidence e;
  e.method = std::string(PackageDbKindName(st.kind));
  e.provenance = std::string(st.provenance);
  const Assignment* where = version ? version : id;
  e.offset = where->offset;
  if (id) e.matched = Quote(id->line);
  if (version) e.matched += (e.matched.empty() ? "" : " / ") + Quote(version->line);
  c.evidence.push_back(std::move(e));
  st.result.components.push_back(std::move(c));
}

void ParseOpenwrtVersion(ParseState& st, std::string_view text) {
  LineReader lines(text, 0, 1);
  std::string_view line;
  uint64_t offset = 0, number = 0;
  while (lines.Next(&line, &offset, &number)) {
    std::string_view t = Trim(line);
    if (t.empty()) continue;
    if (t.size() > st.limits.max_version_bytes || !IsToken(t)) {
      st.problems.Add(number, offset, "the revision is not a single word of text; ignored");
      return;
    }
    Component c;
    c.name = "openwrt";
    c.version = std::string(t);
    c.source = ComponentSource::kOsRelease;
    c.scheme = VersionScheme::kGeneric;
    c.purl = Purl("generic", "", c.name, c.version);
    c.notes.push_back("a build revision, not a release number (no CPE)");
    c.evidence.push_back(Evidence{std::string(PackageDbKindName(st.kind)),
                                  std::string(st.provenance), offset, Quote(t)});
    st.result.components.push_back(std::move(c));
    return;
  }
  st.problems.Add(0, 0, "an empty file");
}

}  // namespace

std::string_view PackageDbKindName(PackageDbKind kind) {
  switch (kind) {
    case PackageDbKind::kDpkgStatus:
      return "dpkg-status";
    case PackageDbKind::kOpkgStatus:
      return "opkg-status";
    case PackageDbKind::kOpkgControl:
      return "opkg-control";
    case PackageDbKind::kApkInstalled:
      return "apk-installed";
    case PackageDbKind::kOsRelease:
      return "os-release";
    case PackageDbKind::kOpenwrtRelease:
      return "openwrt_release";
    case PackageDbKind::kOpenwrtVersion:
      return "openwrt_version";
  }
  return "unknown";
}

std::optional<PackageDbKind> PackageDbKindForPath(std::string_view path) {
  if (path == "/var/lib/dpkg/status") return PackageDbKind::kDpkgStatus;
  // ipkg, opkg's predecessor, wrote the same files (OpenWrt Kamikaze, old vendor firmware).
  if (path == "/usr/lib/opkg/status" || path == "/var/lib/opkg/status" ||
      path == "/usr/lib/ipkg/status" || path == "/var/lib/ipkg/status") {
    return PackageDbKind::kOpkgStatus;
  }
  for (std::string_view dir : {"/usr/lib/opkg/info/", "/var/lib/opkg/info/", "/usr/lib/ipkg/info/",
                               "/var/lib/ipkg/info/"}) {
    if (path.substr(0, dir.size()) == dir && EndsWith(path, ".control") &&
        path.size() > dir.size() + 8 && path.find('/', dir.size()) == std::string_view::npos) {
      return PackageDbKind::kOpkgControl;
    }
  }
  if (path == "/lib/apk/db/installed") return PackageDbKind::kApkInstalled;
  if (path == "/etc/os-release" || path == "/usr/lib/os-release") return PackageDbKind::kOsRelease;
  if (path == "/etc/openwrt_release") return PackageDbKind::kOpenwrtRelease;
  if (path == "/etc/openwrt_version") return PackageDbKind::kOpenwrtVersion;
  return std::nullopt;
}

OsContext OsContextFromOsRelease(std::string_view text) {
  PackageDbLimits limits;
  auto vars = ParseAssignments(text, limits, nullptr);
  OsContext os;
  auto get = [&](std::string_view key) -> std::string {
    const Assignment* a = Find(vars, key);
    if (!a || !IsToken(a->value) || a->value.size() > limits.max_name_bytes) return {};
    return a->value;
  };
  os.id = Lower(get("ID"));
  os.version_id = get("VERSION_ID");
  os.version_codename = get("VERSION_CODENAME");
  return os;
}

PackageDbResult ParsePackageDb(PackageDbKind kind, std::string_view text,
                               std::string_view provenance, const OsContext& os,
                               const PackageDbLimits& limits) {
  PackageDbResult result;
  Problems problems(provenance, limits.max_problems, &result.problems);
  ParseState st{kind, provenance, os, limits, problems, result, {}, {}, false};
  switch (kind) {
    case PackageDbKind::kDpkgStatus:
    case PackageDbKind::kOpkgStatus:
    case PackageDbKind::kOpkgControl: {
      ForEachStanza(text, limits, problems,
                    [&](const Stanza& s) { return ParseControlStanza(st, s); });
      if (kind == PackageDbKind::kOpkgControl && result.components.size() > 1) {
        problems.Add(
            0, 0,
            "a control file that lists " + std::to_string(result.components.size()) + " packages");
      }
      ResolveDepends(st, nullptr);
      break;
    }
    case PackageDbKind::kApkInstalled: {
      ApkState apk;
      static constexpr std::string_view kDbPath = "lib/apk/db/installed";
      apk.root = EndsWith(provenance, kDbPath)
                     ? std::string(provenance.substr(0, provenance.size() - kDbPath.size()))
                     : std::string("/");
      ForEachStanza(text, limits, problems,
                    [&](const Stanza& s) { return ParseApkStanza(st, apk, s); });
      ResolveDepends(st, &apk.depends);
      break;
    }
    case PackageDbKind::kOsRelease: {
      auto vars = ParseAssignments(text, limits, &problems);
      AddOsComponent(st, vars, "ID", "VERSION_ID",
                     {{"PRETTY_NAME", "pretty name"},
                      {"BUILD_ID", "build"},
                      {"OPENWRT_RELEASE", "OpenWrt release"},
                      {"OPENWRT_BOARD", "OpenWrt board"}});
      break;
    }
    case PackageDbKind::kOpenwrtRelease: {
      auto vars = ParseAssignments(text, limits, &problems);
      AddOsComponent(st, vars, "DISTRIB_ID", "DISTRIB_RELEASE",
                     {{"DISTRIB_REVISION", "revision"},
                      {"DISTRIB_TARGET", "target"},
                      {"DISTRIB_ARCH", "architecture"},
                      {"DISTRIB_DESCRIPTION", "description"}});
      break;
    }
    case PackageDbKind::kOpenwrtVersion:
      ParseOpenwrtVersion(st, text);
      break;
  }
  return result;
}

void MergePackageComponents(std::vector<Component>& components) {
  std::unordered_map<std::string, size_t> first;
  std::vector<Component> kept;
  kept.reserve(components.size());
  auto append_unique = [](std::vector<std::string>& to, std::vector<std::string>& from) {
    std::unordered_set<std::string> have(to.begin(), to.end());
    for (std::string& s : from) {
      if (have.insert(s).second) to.push_back(std::move(s));
    }
  };
  for (Component& c : components) {
    if (c.purl.empty()) {
      kept.push_back(std::move(c));
      continue;
    }
    auto [it, inserted] = first.try_emplace(c.purl, kept.size());
    if (inserted) {
      kept.push_back(std::move(c));
      continue;
    }
    Component& k = kept[it->second];
    if (k.supplier.empty()) k.supplier = std::move(c.supplier);
    if (k.license.empty()) k.license = std::move(c.license);
    if (k.cpe.empty()) k.cpe = std::move(c.cpe);
    for (Evidence& e : c.evidence) k.evidence.push_back(std::move(e));
    append_unique(k.files, c.files);
    append_unique(k.notes, c.notes);
    append_unique(k.depends, c.depends);
  }
  components = std::move(kept);
}

std::optional<PackageFileListName> PackageFileListForPath(std::string_view path) {
  for (std::string_view dir : {"/var/lib/dpkg/info/", "/usr/lib/opkg/info/", "/var/lib/opkg/info/",
                               "/usr/lib/ipkg/info/", "/var/lib/ipkg/info/"}) {
    if (path.substr(0, dir.size()) != dir || !EndsWith(path, ".list")) continue;
    std::string_view file = path.substr(dir.size(), path.size() - dir.size() - 5);
    if (file.empty() || file.find('/') != std::string_view::npos) return std::nullopt;
    PackageFileListName out;
    size_t colon = file.find(':');
    out.package = Lower(file.substr(0, colon));
    if (colon != std::string_view::npos) out.arch = std::string(file.substr(colon + 1));
    if (out.package.empty()) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

std::vector<std::string> ParsePackageFileList(std::string_view text, std::string_view provenance,
                                              std::vector<std::string>* problems,
                                              const PackageDbLimits& limits) {
  std::vector<std::string> local;
  Problems p(provenance, limits.max_problems, problems ? problems : &local);
  std::vector<std::string> out;
  LineReader lines(text, 0, 1);
  std::string_view line;
  uint64_t offset = 0, number = 0;
  while (lines.Next(&line, &offset, &number)) {
    if (line.empty() || line == "/.") continue;
    // opkg lists "path\tmode" on newer versions; dpkg just the path.
    size_t tab = line.find('\t');
    if (tab != std::string_view::npos) line = line.substr(0, tab);
    if (line[0] != '/' || line.size() > 4096 || !IsCleanText(line)) {
      p.Add(number, offset, "not an absolute path of text; ignored");
      continue;
    }
    if (out.size() >= limits.max_files) {
      p.Add(number, offset,
            "more than " + std::to_string(limits.max_files) + " files; the rest are not listed");
      break;
    }
    out.emplace_back(line);
  }
  return out;
}

}  // namespace clearbox::inventory
