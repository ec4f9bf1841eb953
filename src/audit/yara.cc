// Known back doors by YARA rules (CB-YARA-001): the shipped rules/backdoors.yar (built into
// the library) and the user's `--rules DIR` files, compiled once per audit with libyara and
// run over every file's bytes as the unpacker reads them.
#include <fmt/format.h>
#include <yara.h>

#include <algorithm>
#include <cstring>
#include <cstddef>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <tuple>

#include "clearbox/core/digest.h"
#include "clearbox/core/file.h"
#include "families.h"

namespace clearbox::embedded {
extern const char kBackdoorRulesYar[];
extern const std::size_t kBackdoorRulesYar_size;
extern const char kDefaultPasswordsTxt[];
extern const std::size_t kDefaultPasswordsTxt_size;
}  // namespace clearbox::embedded

namespace clearbox::audit::internal {
namespace {

using inventory::FileRecord;

constexpr std::string_view kCheckId = "CB-YARA-001";
// Bounds on what a user's rule directory and a hostile file can cost.
constexpr uint64_t kMaxRuleFileBytes = 8ull << 20;
constexpr size_t kMaxRuleFiles = 4096;
constexpr int kScanTimeoutSeconds = 120;  // per window: a pathological user regex stops here
// Matches kept per rule and file (a rule that matches a thousand times is one finding).
constexpr size_t kMaxMatchesPerRule = 8;
constexpr size_t kEvidencePerFinding = 4;
// The excerpt: the line around the match, at most this many bytes on either side.
constexpr size_t kExcerptContext = 60;
constexpr size_t kMaxMatchShown = 64;

void InitializeYaraOnce() {
  static std::once_flag once;
  std::call_once(once, [] { yr_initialize(); });  // never finalized: process-wide state
}

// What a rule's meta says about it, with defaults for user rules that say little.
struct RuleInfo {
  std::string name;
  std::string source;  // "rules/backdoors.yar (shipped)" or the user's file
  std::string description;
  std::string advisory;
  std::string reference;
  std::string category;
  std::string clause;
  Severity severity = Severity::kHigh;
};

std::string MetaString(const YR_RULE* rule, std::string_view key) {
  const YR_META* meta;
  yr_rule_metas_foreach(rule, meta) {
    if (meta->identifier != nullptr && key == meta->identifier) {
      if (meta->type == META_TYPE_STRING && meta->string != nullptr) return meta->string;
      if (meta->type == META_TYPE_INTEGER) return std::to_string(meta->integer);
    }
  }
  return {};
}

RuleInfo DescribeRule(const YR_RULE* rule, const std::string& source) {
  RuleInfo info;
  info.name = rule->identifier;
  info.source = source;
  info.description = MetaString(rule, "description");
  info.advisory = MetaString(rule, "advisory");
  info.reference = MetaString(rule, "reference");
  info.category = MetaString(rule, "category");
  info.clause = MetaString(rule, "ts33117");
  if (auto s = ParseSeverity(MetaString(rule, "severity"))) info.severity = *s;
  return info;
}

// One occurrence of a rule's string in a file.
struct Hit {
  std::string string_id;  // "$user_agent"; empty for a rule that matched by condition alone
  uint64_t offset = 0;    // in the file
  std::string data;       // the matched bytes (printable form)
  std::string excerpt;
};

// Printable ASCII as is, every other byte as '.', runs of dots shortened.
std::string Printable(ByteView bytes) {
  std::string out;
  size_t dots = 0;
  for (uint8_t b : bytes) {
    bool plain = b >= 0x20 && b < 0x7f;
    if (b == '\t') plain = true, b = ' ';
    if (plain) {
      dots = 0;
      out.push_back(static_cast<char>(b));
    } else if (++dots <= 3) {
      out.push_back('.');
    }
  }
  return out;
}

// The bytes around [at, at + length) up to the line's ends, at most kExcerptContext either side.
std::string ExcerptAround(ByteView window, size_t at, size_t length) {
  if (at > window.size()) return {};
  length = std::min(length, window.size() - at);
  size_t begin = at, end = at + length;
  while (begin > 0 && at - begin < kExcerptContext && window[begin - 1] != '\n') --begin;
  while (end < window.size() && end - (at + length) < kExcerptContext && window[end] != '\n') ++end;
  std::string text = Printable(window.subspan(begin, end - begin));
  // Trim the spaces of indentation and the carriage return of CRLF files.
  size_t first = text.find_first_not_of(' ');
  size_t last = text.find_last_not_of(" \r.");
  if (first == std::string::npos || last == std::string::npos || last < first) return text;
  return text.substr(first, last - first + 1);
}

// What one scan of one window found: rule index -> hits.
struct WindowResult {
  ByteView window;
  uint64_t base = 0;  // the window's offset in the file
  std::map<const YR_RULE*, std::vector<Hit>> hits;
  bool too_many_matches = false;
};

int OnScanMessage(YR_SCAN_CONTEXT* context, int message, void* message_data, void* user_data) {
  auto* result = static_cast<WindowResult*>(user_data);
  if (message == CALLBACK_MSG_TOO_MANY_MATCHES) {
    result->too_many_matches = true;
    return CALLBACK_CONTINUE;
  }
  if (message != CALLBACK_MSG_RULE_MATCHING) return CALLBACK_CONTINUE;
  const auto* rule = static_cast<const YR_RULE*>(message_data);
  std::vector<Hit>& hits = result->hits[rule];
  const YR_STRING* string;
  yr_rule_strings_foreach(rule, string) {
    // libyara 4.2 hands out matches from its notebook without 8-byte alignment (UBSan:
    // misaligned YR_MATCH), so each is copied out before it is read, instead of
    // yr_string_matches_foreach's pointer walk.
    for (const YR_MATCH* next = context->matches[string->idx].head; next != nullptr;) {
      YR_MATCH copy;
      std::memcpy(&copy, next, sizeof copy);
      next = copy.next;
      if (copy.is_private) continue;
      const YR_MATCH* match = &copy;
      if (hits.size() >= kMaxMatchesPerRule) break;
      int64_t at = match->base + match->offset;
      if (at < 0 || static_cast<uint64_t>(at) > result->window.size()) continue;
      Hit hit;
      hit.string_id = string->identifier != nullptr ? string->identifier : "$";
      hit.offset = result->base + static_cast<uint64_t>(at);
      size_t shown = std::min<size_t>(std::max(match->data_length, 0), kMaxMatchShown);
      hit.data = Printable(ByteView(match->data, shown));
      hit.excerpt = ExcerptAround(result->window, static_cast<size_t>(at),
                                  static_cast<size_t>(std::max(match->match_length, 0)));
      hits.push_back(std::move(hit));
    }
  }
  if (hits.empty()) hits.push_back({"", result->base, "", "(the rule's condition, no string)"});
  return CALLBACK_CONTINUE;
}

// Compiler errors of one add, collected by the compiler's callback.
struct CompileLog {
  std::vector<std::string> errors;  // "line 12: syntax error, unexpected ..."
};

void OnCompileMessage(int level, const char* /*file*/, int line, const YR_RULE* /*rule*/,
                      const char* message, void* user_data) {
  if (level != YARA_ERROR_LEVEL_ERROR) return;  // warnings (slow rules) do not stop a rule
  static_cast<CompileLog*>(user_data)->errors.push_back(
      fmt::format("line {}: {}", line, message != nullptr ? message : "error"));
}

struct RuleSource {
  std::string name;  // the file (or the shipped set's name): notes and rule namespaces use it
  std::string text;
};

// The user's rule files: *.yar and *.yara directly in each directory, in name order.
std::vector<RuleSource> ReadUserRules(const std::vector<std::string>& dirs,
                                      std::vector<AuditNote>& notes) {
  std::vector<RuleSource> out;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    std::vector<std::string> files;
    std::filesystem::directory_iterator it(dir, ec), end;
    if (ec) {
      notes.push_back({dir, "cannot read the rule directory: " + ec.message()});
      continue;
    }
    for (; it != end && files.size() < kMaxRuleFiles; it.increment(ec)) {
      if (ec) break;
      std::string ext = it->path().extension().string();
      if ((ext == ".yar" || ext == ".yara") && it->is_regular_file(ec)) {
        files.push_back(it->path().string());
      }
    }
    if (files.empty()) notes.push_back({dir, "no *.yar or *.yara rule file in the directory"});
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      Result<std::string> text = ReadTextFile(file, kMaxRuleFileBytes);
      if (!text.ok()) {
        notes.push_back({file, "rule file not used: " + text.error().message()});
        continue;
      }
      out.push_back({file, std::move(*text)});
    }
  }
  return out;
}

// True when `source` compiles on its own; else the errors are notes naming the file.
bool CompilesAlone(const RuleSource& source, std::vector<AuditNote>& notes) {
  YR_COMPILER* compiler = nullptr;
  if (yr_compiler_create(&compiler) != ERROR_SUCCESS) return false;
  CompileLog log;
  yr_compiler_set_callback(compiler, OnCompileMessage, &log);
  int errors = yr_compiler_add_string(compiler, source.text.c_str(), source.name.c_str());
  yr_compiler_destroy(compiler);
  if (errors == 0) return true;
  if (log.errors.empty()) log.errors.push_back("does not compile");
  for (const std::string& e : log.errors) {
    notes.push_back({source.name, "YARA rule does not compile, file skipped: " + e});
  }
  return false;
}

// The rules of every source that compiles, in one YR_RULES (one namespace per file, so two
// files may use the same rule name). nullptr when none does.
YR_RULES* CompileAll(const std::vector<RuleSource>& sources) {
  YR_COMPILER* compiler = nullptr;
  if (yr_compiler_create(&compiler) != ERROR_SUCCESS) return nullptr;
  CompileLog log;
  yr_compiler_set_callback(compiler, OnCompileMessage, &log);
  int errors = 0;
  for (const RuleSource& s : sources) {
    errors += yr_compiler_add_string(compiler, s.text.c_str(), s.name.c_str());
  }
  YR_RULES* rules = nullptr;
  if (errors != 0 || yr_compiler_get_rules(compiler, &rules) != ERROR_SUCCESS) rules = nullptr;
  yr_compiler_destroy(compiler);
  return rules;
}

constexpr const char* kShippedName = "rules/backdoors.yar (shipped)";

class YaraScanner final : public ContentScanner {
 public:
  explicit YaraScanner(const AuditOptions& options) {
    InitializeYaraOnce();
    std::vector<RuleSource> sources;
    RuleSource shipped{kShippedName, std::string(embedded::kBackdoorRulesYar,
                                                 embedded::kBackdoorRulesYar_size)};
    if (CompilesAlone(shipped, notes_)) sources.push_back(std::move(shipped));
    for (RuleSource& s : ReadUserRules(options.rule_dirs, notes_)) {
      if (CompilesAlone(s, notes_)) sources.push_back(std::move(s));
    }
    if (sources.empty()) {
      notes_.push_back({std::string(kCheckId), "no YARA rule compiled: nothing was scanned"});
      return;
    }
    rules_ = CompileAll(sources);
    if (rules_ == nullptr) {
      notes_.push_back({std::string(kCheckId),
                        "the YARA rules compiled file by file but not together: nothing was "
                        "scanned"});
      return;
    }
    const YR_RULE* rule;
    yr_rules_foreach(rules_, rule) {
      std::string ns = rule->ns != nullptr && rule->ns->name != nullptr ? rule->ns->name : "";
      info_.emplace(rule, DescribeRule(rule, ns));
    }
  }

  ~YaraScanner() override {
    for (YR_SCANNER* s : idle_) yr_scanner_destroy(s);
    if (rules_ != nullptr) yr_rules_destroy(rules_);
  }

  void OnContent(const FileRecord& file, uint64_t offset, ByteView bytes) override {
    if (rules_ == nullptr || bytes.empty()) return;
    YR_SCANNER* scanner = Acquire();
    if (scanner == nullptr) return;
    WindowResult result;
    result.window = bytes;
    result.base = offset;
    yr_scanner_set_callback(scanner, OnScanMessage, &result);
    int rc = yr_scanner_scan_mem(scanner, bytes.data(), bytes.size());
    Release(scanner);

    std::lock_guard<std::mutex> lock(mu_);
    if (rc != ERROR_SUCCESS) {
      notes_.push_back({file.node.provenance,
                        fmt::format("YARA scan of the bytes at offset {} stopped: {}", offset,
                                    rc == ERROR_SCAN_TIMEOUT ? "timeout" : fmt::format("error {}", rc))});
    }
    if (result.too_many_matches) {
      notes_.push_back({file.node.provenance,
                        "a YARA string matched too often; only the first matches are kept"});
    }
    if (result.hits.empty()) return;
    FileHits& fh = files_[file.node.provenance];
    fh.path = file.node.path;
    for (auto& [rule, hits] : result.hits) {
      std::vector<Hit>& kept = fh.rules[rule];
      for (Hit& h : hits) {
        // Windows overlap: the same match seen twice has the same string and offset.
        bool seen = std::any_of(kept.begin(), kept.end(), [&](const Hit& k) {
          return k.string_id == h.string_id && k.offset == h.offset;
        });
        if (!seen && kept.size() < kMaxMatchesPerRule) kept.push_back(std::move(h));
      }
    }
  }

  void Finish(AuditContext& ctx, std::vector<Finding>& out) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (AuditNote& n : notes_) ctx.Note(std::move(n.where), std::move(n.message));
    notes_.clear();
    for (const auto& [provenance, fh] : files_) {
      for (const auto& [rule, hits] : fh.rules) {
        if (hits.empty() || SeenInside(provenance, rule)) continue;
        out.push_back(MakeFinding(info_.at(rule), provenance, fh.path, hits));
      }
    }
  }

 private:
  struct FileHits {
    std::string path;
    std::map<const YR_RULE*, std::vector<Hit>> rules;
  };

  YR_SCANNER* Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        YR_SCANNER* s = idle_.back();
        idle_.pop_back();
        return s;
      }
    }
    YR_SCANNER* s = nullptr;
    if (yr_scanner_create(rules_, &s) != ERROR_SUCCESS) return nullptr;
    yr_scanner_set_timeout(s, kScanTimeoutSeconds);
    return s;
  }
  void Release(YR_SCANNER* s) {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(s);
  }

  // A container (an uncompressed tar, a filesystem image kept as a file) holds the bytes of
  // the files the unpacker opened in it: the finding belongs to the innermost file.
  bool SeenInside(const std::string& provenance, const YR_RULE* rule) const {
    std::string prefix = provenance + "!";
    for (auto it = files_.upper_bound(provenance);
         it != files_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      if (it->second.rules.count(rule)) return true;
    }
    return false;
  }

  static Finding MakeFinding(const RuleInfo& info, const std::string& provenance,
                             const std::string& path, const std::vector<Hit>& hits) {
    Finding f;
    f.check_id = std::string(kCheckId);
    f.severity = info.severity;
    const Hit& first = hits.front();
    std::string what = info.description.empty() ? "matched" : info.description;
    std::string cited = info.advisory.empty() || info.advisory == "none"
                            ? info.reference
                            : info.reference.empty() ? info.advisory
                                                     : info.advisory + "; " + info.reference;
    f.message = fmt::format("YARA rule {} ({}): {}", info.name, info.source, what);
    if (!cited.empty()) f.message += fmt::format(" [{}]", cited);
    if (!info.category.empty() || !info.clause.empty()) {
      f.message += fmt::format(" (category {}, TS 33.117 {})",
                               info.category.empty() ? "-" : info.category,
                               info.clause.empty() ? "-" : info.clause);
    }
    if (!first.string_id.empty()) {
      f.message += fmt::format("; {} \"{}\" at offset {}", first.string_id, first.data,
                               first.offset);
    }
    if (hits.size() > 1) {
      f.message += fmt::format(" and {} more match{}", hits.size() - 1,
                               hits.size() == 2 ? "" : "es");
    }
    std::vector<Hit> sorted = hits;
    std::sort(sorted.begin(), sorted.end(),
              [](const Hit& a, const Hit& b) { return a.offset < b.offset; });
    for (size_t i = 0; i < sorted.size() && i < kEvidencePerFinding; ++i) {
      f.evidence.push_back({provenance, path, sorted[i].offset, sorted[i].excerpt});
    }
    return f;
  }

  YR_RULES* rules_ = nullptr;
  std::map<const YR_RULE*, RuleInfo> info_;  // read-only after construction
  std::mutex mu_;                            // guards what follows
  std::vector<YR_SCANNER*> idle_;
  std::map<std::string, FileHits> files_;  // by provenance
  std::vector<AuditNote> notes_;
};

}  // namespace

void AddYaraChecks(std::vector<Check>& checks) {
  checks.push_back(
      {std::string(kCheckId), "known back door (YARA rule)",
       "The bytes of a file match a rule written from a public advisory on a back door: a "
       "magic string or packet that unlocks a root shell, a hidden web page that runs "
       "commands, a telnet enabler, or a hard-coded support account. The same code has been "
       "found again under other brands, so a match is worth a look whatever the vendor.",
       "Remove the code path (the magic check, the hidden page, the enabler or the account) "
       "and ship an image without it; a maintenance function must be declared in the pledge, "
       "authenticated per device and off by default. The finding names the advisory to read.",
       "4.2.3.4.1.1", Severity::kCritical, {},
       [](const AuditOptions& options) -> std::unique_ptr<ContentScanner> {
         return std::make_unique<YaraScanner>(options);
       }});
}

}  // namespace clearbox::audit::internal

namespace clearbox::audit {

Result<std::string> RuleSetSha256(const AuditOptions& options) {
  // Length-prefixed fields, so that no two rule sets hash alike by shifting bytes between them.
  std::string all = "clearbox-rule-set/v1\n";
  auto field = [&all](std::string_view s) {
    all += std::to_string(s.size());
    all += ':';
    all += s;
    all += '\n';
  };
  for (const Check& c : AllChecks()) {
    field(c.id);
    field(SeverityName(c.severity));
    field(c.title);
  }
  field(std::string_view(embedded::kBackdoorRulesYar, embedded::kBackdoorRulesYar_size));
  field(std::string_view(embedded::kDefaultPasswordsTxt, embedded::kDefaultPasswordsTxt_size));
  std::vector<AuditNote> notes;
  for (const internal::RuleSource& rules : internal::ReadUserRules(options.rule_dirs, notes)) {
    field(std::filesystem::path(rules.name).filename().string());
    field(rules.text);
  }
  if (!notes.empty()) {
    return Error::InvalidInput("--rules " + notes.front().where + ": " + notes.front().message);
  }
  return Sha256Hex(AsBytes(all));
}

}  // namespace clearbox::audit
