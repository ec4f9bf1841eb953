#include "clearbox/inventory/signatures.h"

#include <hs.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <utility>

// rules/versions.json, built into the library (cmake/ClearboxEmbed.cmake).
namespace clearbox::embedded {
extern const char kVersionRulesJson[];
extern const std::size_t kVersionRulesJson_size;
}  // namespace clearbox::embedded

namespace clearbox::inventory {

namespace {

enum class Transform {
  kNone,
  kPackedDecimal,  // 20914 -> 2.9.14 (libxml2's LIBXML_VERSION_STRING)
};

struct PatternRule {
  std::string regex;   // matches the evidence; group 1 (or the first group that took part) is
                       // the version
  std::string start;   // optional Hyperscan expression marking where `regex` starts, for
                       // regexes too large for Hyperscan's start-of-match tracking
  std::string anchor;  // near patterns: the string that must lie within `within` bytes
  uint32_t within = 0;
  std::regex extract;  // `regex` for std::regex, applied anchored at a match's start
};

struct Rule {
  std::string id;
  std::string component;
  std::string cpe_vendor;
  std::string cpe_product;
  char cpe_part = 'a';
  std::string purl_type = "generic";
  std::string purl_namespace;
  std::string purl_name;
  VersionScheme scheme = VersionScheme::kGeneric;
  Transform transform = Transform::kNone;
  std::vector<PatternRule> patterns;
};

// One expression of the main database: a direct pattern or the anchor of a near pattern.
struct Expr {
  uint32_t rule = 0;
  uint32_t pattern = 0;
  bool anchor = false;
};

struct HsDatabaseDeleter {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
using HsDatabase = std::unique_ptr<hs_database_t, HsDatabaseDeleter>;

struct HsScratchDeleter {
  void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};
using HsScratch = std::unique_ptr<hs_scratch_t, HsScratchDeleter>;

// Scratch spaces for concurrent scans: a scan borrows one and gives it back, so each thread
// has its own while it scans and idle ones are reused (no allocation per scan).
class ScratchPool {
 public:
  explicit ScratchPool(HsScratch prototype) : prototype_(std::move(prototype)) {}

  HsScratch Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        HsScratch s = std::move(free_.back());
        free_.pop_back();
        return s;
      }
    }
    hs_scratch_t* clone = nullptr;
    if (hs_clone_scratch(prototype_.get(), &clone) != HS_SUCCESS) return nullptr;
    return HsScratch(clone);
  }
  void Release(HsScratch s) {
    if (!s) return;
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(s));
  }

 private:
  std::mutex mu_;
  HsScratch prototype_;
  std::vector<HsScratch> free_;
};

std::string Printable(std::string_view bytes, size_t limit = kMaxExcerptLength) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += char(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A version must look like a version: starts with a digit, has a dot, is short, uses the
// characters version strings use, and has no absurd number in it.
bool LooksLikeVersion(std::string_view v) {
  if (v.empty() || v.size() > kMaxVersionLength || !IsDigit(v.front())) return false;
  if (v.back() == '.' || v.find('.') == std::string_view::npos) return false;
  if (v.find("..") != std::string_view::npos) return false;
  size_t digit_run = 0;
  for (char c : v) {
    bool ok = IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
              c == '-' || c == '_' || c == '+' || c == '~';
    if (!ok) return false;
    digit_run = IsDigit(c) ? digit_run + 1 : 0;
    if (digit_run > 8) return false;
  }
  return true;
}

std::optional<std::string> ApplyTransform(Transform t, std::string v) {
  switch (t) {
    case Transform::kNone:
      return v;
    case Transform::kPackedDecimal: {
      if (v.empty() || v.size() > 8 || !std::all_of(v.begin(), v.end(), IsDigit)) {
        return std::nullopt;
      }
      unsigned long n = std::stoul(v);
      return std::to_string(n / 10000) + "." + std::to_string(n / 100 % 100) + "." +
             std::to_string(n % 100);
    }
  }
  return std::nullopt;
}

Result<VersionScheme> ParseScheme(std::string_view s) {
  if (s == "generic") return VersionScheme::kGeneric;
  if (s == "semver") return VersionScheme::kSemver;
  if (s == "openssl") return VersionScheme::kOpenssl;
  if (s == "dropbear") return VersionScheme::kDropbear;
  if (s == "busybox") return VersionScheme::kBusybox;
  return Error::InvalidInput("unknown version scheme '" + std::string(s) +
                             "' (generic, semver, openssl, dropbear, busybox)");
}

// What one scan found for one signature: a version and where.
struct Found {
  uint32_t rule = 0;
  std::string version;
  uint64_t offset = 0;
  std::string excerpt;
};

}  // namespace

struct VersionSignatures::Impl {
  std::vector<Rule> rules;
  std::vector<Expr> exprs;  // main database ids
  HsDatabase main_db;
  // Near patterns: one small database per candidate regex, keyed by main expr id of the anchor.
  std::map<uint32_t, HsDatabase> near_dbs;
  std::unique_ptr<ScratchPool> pool;  // fits the main and every near database

  // One database per signature, for ScanOnePassPerSignature (compiled on first use).
  std::once_flag per_rule_once;
  std::vector<HsDatabase> per_rule_dbs;
  std::unique_ptr<ScratchPool> per_rule_pool;

  std::optional<Found> Extract(uint32_t rule_index, uint32_t pattern_index, ByteView content,
                               uint64_t start) const;
  std::vector<Found> Run(const std::vector<const hs_database_t*>& dbs, ScratchPool& pool,
                         ByteView content) const;
  void ResolveNear(uint32_t expr_id, const std::vector<uint64_t>& anchors, ByteView content,
                   hs_scratch_t* scratch, std::vector<Found>& found) const;
  std::vector<Component> ToComponents(std::vector<Found> found, std::string_view provenance) const;
};

namespace {

struct MainScanState {
  const VersionSignatures::Impl* impl = nullptr;
  ByteView content;
  uint64_t base = 0;  // offset of the chunk being scanned
  std::vector<uint64_t> last_start;
  std::vector<uint32_t> distinct;
  std::vector<std::vector<uint64_t>> anchors;
  std::vector<Found> found;
  uint64_t callbacks = 0;
};

int OnMainMatch(unsigned int id, unsigned long long from, unsigned long long /*to*/,
                unsigned int /*flags*/, void* context) {
  auto& st = *static_cast<MainScanState*>(context);
  if (++st.callbacks > kMaxCallbacksPerScan) return 1;  // a file made of matches: stop
  if (id >= st.last_start.size()) return 0;
  uint64_t start = st.base + from;
  // Hyperscan reports every end of a match; the start is what identifies it.
  if (st.last_start[id] == start) return 0;
  st.last_start[id] = start;
  const Expr& e = st.impl->exprs[id];
  if (e.anchor) {
    if (st.anchors[id].size() < kMaxAnchorsPerPattern) st.anchors[id].push_back(start);
    return 0;
  }
  if (st.distinct[id] >= kMaxMatchesPerPattern) return 0;
  ++st.distinct[id];
  if (auto f = st.impl->Extract(e.rule, e.pattern, st.content, start)) {
    st.found.push_back(std::move(*f));
  }
  return 0;
}

struct NearScanState {
  uint64_t base = 0;
  std::vector<uint64_t> starts;
  uint64_t callbacks = 0;
};

int OnNearMatch(unsigned int /*id*/, unsigned long long from, unsigned long long /*to*/,
                unsigned int /*flags*/, void* context) {
  auto& st = *static_cast<NearScanState*>(context);
  if (++st.callbacks > kMaxCallbacksPerScan) return 1;
  uint64_t start = st.base + from;
  if (!st.starts.empty() && st.starts.back() == start) return 0;
  if (st.starts.size() >= 4096) return 1;  // enough candidates around one anchor
  st.starts.push_back(start);
  return 0;
}

}  // namespace

std::optional<Found> VersionSignatures::Impl::Extract(uint32_t rule_index, uint32_t pattern_index,
                                                      ByteView content, uint64_t start) const {
  if (start >= content.size()) return std::nullopt;
  const Rule& rule = rules[rule_index];
  const PatternRule& p = rule.patterns[pattern_index];
  size_t len = std::min<uint64_t>(kSignatureWindow, content.size() - start);
  const char* begin = reinterpret_cast<const char*>(content.data() + start);
  std::cmatch m;
  if (!std::regex_search(begin, begin + len, m, p.extract,
                         std::regex_constants::match_continuous)) {
    return std::nullopt;
  }
  std::string version;
  for (size_t g = 1; g < m.size(); ++g) {
    if (m[g].matched) {
      version = m[g].str();
      break;
    }
  }
  std::optional<std::string> v = ApplyTransform(rule.transform, std::move(version));
  if (!v || !LooksLikeVersion(*v)) return std::nullopt;
  Found f;
  f.rule = rule_index;
  f.version = std::move(*v);
  f.offset = start;
  f.excerpt = Printable(std::string_view(begin, m.length(0)));
  return f;
}

void VersionSignatures::Impl::ResolveNear(uint32_t expr_id, const std::vector<uint64_t>& anchors,
                                          ByteView content, hs_scratch_t* scratch,
                                          std::vector<Found>& found) const {
  auto db = near_dbs.find(expr_id);
  if (db == near_dbs.end()) return;
  const Expr& e = exprs[expr_id];
  const PatternRule& p = rules[e.rule].patterns[e.pattern];
  std::optional<Found> best;
  uint64_t best_distance = UINT64_MAX;
  for (uint64_t anchor : anchors) {
    uint64_t lo = anchor > p.within ? anchor - p.within : 0;
    uint64_t hi = std::min<uint64_t>(content.size(), anchor + p.within + kSignatureWindow);
    if (lo >= hi) continue;
    NearScanState st;
    st.base = lo;
    hs_scan(db->second.get(), reinterpret_cast<const char*>(content.data() + lo),
            static_cast<unsigned int>(hi - lo), 0, scratch, OnNearMatch, &st);
    // Closest candidate first; the first that yields a version wins for this anchor.
    std::sort(st.starts.begin(), st.starts.end(), [anchor](uint64_t a, uint64_t b) {
      uint64_t da = a > anchor ? a - anchor : anchor - a;
      uint64_t dbb = b > anchor ? b - anchor : anchor - b;
      return da != dbb ? da < dbb : a < b;
    });
    size_t tries = 0;
    for (uint64_t s : st.starts) {
      uint64_t distance = s > anchor ? s - anchor : anchor - s;
      if (distance > p.within || distance >= best_distance) break;
      if (++tries > 4 * kMaxMatchesPerPattern) break;
      if (auto f = Extract(e.rule, e.pattern, content, s)) {
        size_t anchor_len = std::min<uint64_t>(64, content.size() - anchor);
        f->excerpt += " (near \"" + Printable(AsChars(content.subspan(anchor, anchor_len)), 48) +
                      "\" at offset " + std::to_string(anchor) + ")";
        best = std::move(f);
        best_distance = distance;
        break;
      }
    }
  }
  if (best) found.push_back(std::move(*best));
}

std::vector<Found> VersionSignatures::Impl::Run(const std::vector<const hs_database_t*>& dbs,
                                                ScratchPool& scratch_pool, ByteView content) const {
  HsScratch scratch = scratch_pool.Acquire();
  if (!scratch) return {};
  MainScanState st;
  st.impl = this;
  st.content = content;
  st.last_start.assign(exprs.size(), UINT64_MAX);
  st.distinct.assign(exprs.size(), 0);
  st.anchors.assign(exprs.size(), {});
  // hs_scan takes a 32-bit length: scan huge inputs in chunks that overlap by more than any
  // signature's reach, so a match across a boundary is still seen whole.
  constexpr uint64_t kChunk = uint64_t{1} << 30;
  constexpr uint64_t kOverlap = 4 * kSignatureWindow;
  for (const hs_database_t* db : dbs) {
    std::fill(st.last_start.begin(), st.last_start.end(), UINT64_MAX);
    for (uint64_t base = 0; base < content.size(); base += kChunk - kOverlap) {
      uint64_t len = std::min<uint64_t>(kChunk, content.size() - base);
      st.base = base;
      hs_error_t rc = hs_scan(db, reinterpret_cast<const char*>(content.data() + base),
                              static_cast<unsigned int>(len), 0, scratch.get(), OnMainMatch, &st);
      if (rc == HS_SCAN_TERMINATED || base + len >= content.size()) break;
    }
  }
  for (uint32_t id = 0; id < exprs.size(); ++id) {
    if (!st.anchors[id].empty()) ResolveNear(id, st.anchors[id], content, scratch.get(), st.found);
  }
  scratch_pool.Release(std::move(scratch));
  return std::move(st.found);
}

std::vector<Component> VersionSignatures::Impl::ToComponents(std::vector<Found> found,
                                                             std::string_view provenance) const {
  // One component per name+version, evidence at its first offset.
  std::stable_sort(found.begin(), found.end(),
                   [](const Found& a, const Found& b) { return a.offset < b.offset; });
  std::map<std::pair<std::string, std::string>, Component> by_key;
  for (Found& f : found) {
    const Rule& r = rules[f.rule];
    auto key = std::make_pair(r.component, f.version);
    if (by_key.count(key)) continue;
    Component c;
    c.name = r.component;
    c.version = f.version;
    c.scheme = r.scheme;
    c.source = ComponentSource::kBinary;
    c.purl = Purl(r.purl_type, r.purl_namespace, r.purl_name, f.version);
    c.cpe = Cpe23(r.cpe_vendor, r.cpe_product, f.version, r.cpe_part);
    c.files.emplace_back(provenance);
    Evidence ev;
    ev.method = "signature:" + r.id;
    ev.provenance = std::string(provenance);
    ev.offset = f.offset;
    ev.matched = std::move(f.excerpt);
    c.evidence.push_back(std::move(ev));
    by_key.emplace(std::move(key), std::move(c));
  }
  std::vector<Component> out;
  out.reserve(by_key.size());
  for (auto& [key, c] : by_key) out.push_back(std::move(c));
  return out;
}

namespace {

using nlohmann::json;

Result<std::string> GetString(const json& obj, const char* field, bool required,
                              std::string fallback = {}) {
  auto it = obj.find(field);
  if (it == obj.end()) {
    if (required) return Error::InvalidInput(std::string(field) + ": missing");
    return fallback;
  }
  if (!it->is_string()) return Error::InvalidInput(std::string(field) + ": not a string");
  std::string s = it->get<std::string>();
  if (required && s.empty()) return Error::InvalidInput(std::string(field) + ": empty");
  return s;
}

bool IsCanonicalName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-' || c == '_' || c == '.';
  });
}

// Hyperscan and std::regex must both accept a pattern, and it must have a version group.
Result<std::regex> CheckRegex(const std::string& re, bool needs_group) {
  std::regex compiled;
  try {
    compiled = std::regex(re, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return Error::InvalidInput(std::string("std::regex refuses it: ") + e.what());
  }
  if (needs_group && compiled.mark_count() == 0) {
    return Error::InvalidInput("no capture group for the version");
  }
  return compiled;
}

Result<Rule> ParseRule(const json& j, size_t index) {
  std::string where = "signatures[" + std::to_string(index) + "]";
  if (!j.is_object()) return Error::InvalidInput(where + ": not an object");
  Rule r;
  {
    Result<std::string> id = GetString(j, "id", true);
    if (!id.ok()) return id.error().WithContext(where);
    r.id = *id;
  }
  if (!IsCanonicalName(r.id)) {
    return Error::InvalidInput(where + ": id: '" + r.id + "' is not lower-case [a-z0-9._-]");
  }
  auto field_error = [&](const Error& e) {
    return Error::InvalidInput("signature '" + r.id + "': " + e.message());
  };
  auto get = [&](const char* f, bool req, std::string fb = {}) -> Result<std::string> {
    Result<std::string> s = GetString(j, f, req, std::move(fb));
    if (!s.ok()) return field_error(s.error());
    return s;
  };
  CLEARBOX_ASSIGN_OR_RETURN(r.component, get("component", true));
  if (!IsCanonicalName(r.component)) {
    return field_error(
        Error::InvalidInput("component: '" + r.component + "' is not canonical lower case"));
  }
  auto cpe = j.find("cpe");
  if (cpe == j.end() || !cpe->is_object()) {
    return field_error(Error::InvalidInput("cpe: missing or not an object"));
  }
  {
    Result<std::string> v = GetString(*cpe, "vendor", true);
    if (!v.ok()) return field_error(v.error().WithContext("cpe"));
    r.cpe_vendor = *v;
    Result<std::string> p = GetString(*cpe, "product", true);
    if (!p.ok()) return field_error(p.error().WithContext("cpe"));
    r.cpe_product = *p;
    Result<std::string> part = GetString(*cpe, "part", false, "a");
    if (!part.ok()) return field_error(part.error().WithContext("cpe"));
    if (*part != "a" && *part != "o" && *part != "h") {
      return field_error(Error::InvalidInput("cpe: part: '" + *part + "' is not a, o or h"));
    }
    r.cpe_part = (*part)[0];
  }
  auto purl = j.find("purl");
  if (purl != j.end()) {
    if (!purl->is_object()) return field_error(Error::InvalidInput("purl: not an object"));
    Result<std::string> t = GetString(*purl, "type", false, "generic");
    Result<std::string> ns = GetString(*purl, "namespace", false);
    Result<std::string> n = GetString(*purl, "name", false, r.component);
    for (auto* x : {&t, &ns, &n}) {
      if (!x->ok()) return field_error(x->error().WithContext("purl"));
    }
    r.purl_type = *t;
    r.purl_namespace = *ns;
    r.purl_name = *n;
  } else {
    r.purl_name = r.component;
  }
  CLEARBOX_ASSIGN_OR_RETURN(std::string scheme, get("scheme", false, "generic"));
  {
    Result<VersionScheme> s = ParseScheme(scheme);
    if (!s.ok()) return field_error(s.error().WithContext("scheme"));
    r.scheme = *s;
  }
  CLEARBOX_ASSIGN_OR_RETURN(std::string transform, get("transform", false, "none"));
  if (transform == "none") {
    r.transform = Transform::kNone;
  } else if (transform == "packed-decimal") {
    r.transform = Transform::kPackedDecimal;
  } else {
    return field_error(
        Error::InvalidInput("transform: '" + transform + "' is not none or packed-decimal"));
  }
  auto patterns = j.find("patterns");
  if (patterns == j.end() || !patterns->is_array() || patterns->empty()) {
    return field_error(Error::InvalidInput("patterns: missing, not an array or empty"));
  }
  for (size_t i = 0; i < patterns->size(); ++i) {
    const json& pj = (*patterns)[i];
    std::string pw = "patterns[" + std::to_string(i) + "]";
    if (!pj.is_object()) return field_error(Error::InvalidInput(pw + ": not an object"));
    PatternRule p;
    Result<std::string> re = GetString(pj, "regex", true);
    if (!re.ok()) return field_error(re.error().WithContext(pw));
    p.regex = *re;
    Result<std::regex> compiled = CheckRegex(p.regex, true);
    if (!compiled.ok()) return field_error(compiled.error().WithContext(pw + ".regex"));
    p.extract = std::move(*compiled);
    Result<std::string> start = GetString(pj, "start", false);
    if (!start.ok()) return field_error(start.error().WithContext(pw));
    p.start = *start;
    Result<std::string> anchor = GetString(pj, "anchor", false);
    if (!anchor.ok()) return field_error(anchor.error().WithContext(pw));
    p.anchor = *anchor;
    auto within = pj.find("within");
    if (!p.anchor.empty()) {
      if (within == pj.end() || !within->is_number_unsigned() || within->get<uint64_t>() == 0 ||
          within->get<uint64_t>() > kMaxNearWindow) {
        return field_error(Error::InvalidInput(pw + ".within: an anchored pattern needs 1.." +
                                               std::to_string(kMaxNearWindow)));
      }
      p.within = within->get<uint32_t>();
      Result<std::regex> a = CheckRegex(p.anchor, false);
      if (!a.ok()) return field_error(a.error().WithContext(pw + ".anchor"));
    } else if (within != pj.end()) {
      return field_error(Error::InvalidInput(pw + ".within: only with an anchor"));
    }
    r.patterns.push_back(std::move(p));
  }
  return r;
}

constexpr unsigned kHsFlags = HS_FLAG_SOM_LEFTMOST;

// What the main database looks for: a near pattern's anchor, else where the regex starts.
const std::string& MainExpression(const PatternRule& p) {
  if (!p.anchor.empty()) return p.anchor;
  return p.start.empty() ? p.regex : p.start;
}

// Compiles expressions (with the given ids) into one block-mode database. `name_of(i)` names
// expression i in an error ("signature 'x': patterns[0].regex").
template <typename NameOf>
Result<HsDatabase> CompileHs(const std::vector<std::string>& expressions,
                             const std::vector<unsigned>& ids, NameOf name_of) {
  std::vector<const char*> ptrs;
  for (const std::string& e : expressions) ptrs.push_back(e.c_str());
  std::vector<unsigned> flags(expressions.size(), kHsFlags);
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  hs_error_t rc =
      hs_compile_multi(ptrs.data(), flags.data(), ids.data(), static_cast<unsigned>(ptrs.size()),
                       HS_MODE_BLOCK, nullptr, &db, &err);
  if (rc != HS_SUCCESS) {
    std::string msg = err && err->message ? err->message : "unknown error";
    int index = err ? err->expression : -1;
    hs_free_compile_error(err);
    if (index >= 0 && size_t(index) < expressions.size()) {
      return Error::InvalidInput(name_of(size_t(index)) + ": Hyperscan refuses it: " + msg);
    }
    return Error::InvalidInput("Hyperscan cannot compile the rules: " + msg);
  }
  return HsDatabase(db);
}

}  // namespace

VersionSignatures::VersionSignatures(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VersionSignatures::~VersionSignatures() = default;

Result<std::unique_ptr<VersionSignatures>> VersionSignatures::Load(std::string_view text,
                                                                   std::string_view origin) {
  auto fail = [&](const Error& e) {
    return Error(e.code(), std::string(origin) + ": " + e.message());
  };
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(Error::InvalidInput("not valid JSON"));
  if (!doc.is_object()) return fail(Error::InvalidInput("top level is not an object"));
  auto sigs = doc.find("signatures");
  if (sigs == doc.end() || !sigs->is_array()) {
    return fail(Error::InvalidInput("signatures: missing or not an array"));
  }
  auto impl = std::make_unique<Impl>();
  std::vector<std::string> main_expressions;
  std::vector<unsigned> main_ids;
  std::vector<std::string> main_names;
  for (size_t i = 0; i < sigs->size(); ++i) {
    Result<Rule> r = ParseRule((*sigs)[i], i);
    if (!r.ok()) return fail(r.error());
    for (const Rule& other : impl->rules) {
      if (other.id == r->id) {
        return fail(Error::InvalidInput("signature '" + r->id + "': id: used twice"));
      }
    }
    impl->rules.push_back(std::move(*r));
  }
  for (uint32_t ri = 0; ri < impl->rules.size(); ++ri) {
    const Rule& r = impl->rules[ri];
    for (uint32_t pi = 0; pi < r.patterns.size(); ++pi) {
      const PatternRule& p = r.patterns[pi];
      Expr e{ri, pi, !p.anchor.empty()};
      std::string name = "signature '" + r.id + "': patterns[" + std::to_string(pi) + "]." +
                         (e.anchor           ? "anchor"
                          : !p.start.empty() ? "start"
                                             : "regex");
      main_expressions.push_back(MainExpression(p));
      main_ids.push_back(static_cast<unsigned>(impl->exprs.size()));
      main_names.push_back(name);
      impl->exprs.push_back(e);
    }
  }
  if (impl->exprs.empty()) return fail(Error::InvalidInput("signatures: empty"));
  {
    Result<HsDatabase> db =
        CompileHs(main_expressions, main_ids, [&](size_t i) { return main_names[i]; });
    if (!db.ok()) return fail(db.error());
    impl->main_db = std::move(*db);
  }
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(impl->main_db.get(), &scratch) != HS_SUCCESS) {
    return fail(Error::Internal("Hyperscan cannot allocate scratch space"));
  }
  HsScratch prototype(scratch);
  for (uint32_t id = 0; id < impl->exprs.size(); ++id) {
    const Expr& e = impl->exprs[id];
    if (!e.anchor) continue;
    const PatternRule& p = impl->rules[e.rule].patterns[e.pattern];
    Result<HsDatabase> db = CompileHs({p.start.empty() ? p.regex : p.start}, {0}, [&](size_t) {
      return "signature '" + impl->rules[e.rule].id + "': patterns[" + std::to_string(e.pattern) +
             "].regex";
    });
    if (!db.ok()) return fail(db.error());
    if (hs_alloc_scratch(db->get(), &scratch) != HS_SUCCESS) {
      return fail(Error::Internal("Hyperscan cannot allocate scratch space"));
    }
    impl->near_dbs.emplace(id, std::move(*db));
  }
  impl->pool = std::make_unique<ScratchPool>(std::move(prototype));
  return std::unique_ptr<VersionSignatures>(new VersionSignatures(std::move(impl)));
}

const VersionSignatures& VersionSignatures::Builtin() {
  static const VersionSignatures* const builtin = [] {
    std::string_view text(embedded::kVersionRulesJson, embedded::kVersionRulesJson_size);
    Result<std::unique_ptr<VersionSignatures>> r = Load(text, "rules/versions.json (embedded)");
    if (!r.ok()) {
      std::fprintf(stderr, "clearbox: the built-in version signatures do not compile: %s\n",
                   r.error().ToString().c_str());
      std::abort();
    }
    return r->release();
  }();
  return *builtin;
}

size_t VersionSignatures::size() const { return impl_->rules.size(); }

std::vector<std::string> VersionSignatures::ids() const {
  std::vector<std::string> out;
  for (const Rule& r : impl_->rules) out.push_back(r.id);
  return out;
}

std::vector<Component> VersionSignatures::Scan(ByteView content,
                                               std::string_view provenance) const {
  if (content.empty()) return {};
  return impl_->ToComponents(impl_->Run({impl_->main_db.get()}, *impl_->pool, content), provenance);
}

std::vector<SignatureMatch> VersionSignatures::ScanMatches(ByteView content,
                                                           std::string_view provenance) const {
  std::vector<SignatureMatch> out;
  for (Component& c : Scan(content, provenance)) out.push_back(SignatureMatch{std::move(c)});
  return out;
}

std::vector<Component> VersionSignatures::ScanOnePassPerSignature(
    ByteView content, std::string_view provenance) const {
  Impl& impl = *impl_;
  std::call_once(impl.per_rule_once, [&impl] {
    HsScratch prototype;
    for (uint32_t ri = 0; ri < impl.rules.size(); ++ri) {
      std::vector<std::string> expressions;
      std::vector<unsigned> ids;
      for (uint32_t id = 0; id < impl.exprs.size(); ++id) {
        const Expr& e = impl.exprs[id];
        if (e.rule != ri) continue;
        const PatternRule& p = impl.rules[ri].patterns[e.pattern];
        expressions.push_back(MainExpression(p));
        ids.push_back(id);
      }
      Result<HsDatabase> db = CompileHs(expressions, ids, [](size_t) { return std::string(); });
      if (!db.ok()) continue;  // compiled once already in the shared database: cannot happen
      hs_scratch_t* s = prototype.release();
      hs_alloc_scratch(db->get(), &s);
      prototype.reset(s);
      impl.per_rule_dbs.push_back(std::move(*db));
    }
    for (auto& [id, db] : impl.near_dbs) {
      hs_scratch_t* s = prototype.release();
      hs_alloc_scratch(db.get(), &s);
      prototype.reset(s);
    }
    impl.per_rule_pool = std::make_unique<ScratchPool>(std::move(prototype));
  });
  if (content.empty()) return {};
  std::vector<const hs_database_t*> dbs;
  for (const HsDatabase& db : impl.per_rule_dbs) dbs.push_back(db.get());
  return impl.ToComponents(impl.Run(dbs, *impl.per_rule_pool, content), provenance);
}

}  // namespace clearbox::inventory
