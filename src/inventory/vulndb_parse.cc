// OSV and NVD CVE JSON 2.0 records into ParsedAdvisory; range storage and evaluation.
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>

#include "clearbox/inventory/version.h"
#include "vulndb_internal.h"

namespace clearbox::inventory::vulndb {
namespace {

using json = nlohmann::json;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Versions are stored one per line and compared; feeds hold printable ASCII/UTF-8 there.
bool ValidVersion(std::string_view v) {
  if (v.empty() || v.size() > kMaxVersionBytes) return false;
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::string Truncated(std::string s, size_t max) {
  if (s.size() > max) {
    s.resize(max);
    // Do not leave half a UTF-8 sequence at the end.
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
    if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
  }
  return s;
}

// Reads fields of one record and keeps the first problem: "field a.b[2].c: what".
class Fields {
 public:
  bool failed() const { return error_.has_value(); }
  void Fail(const std::string& path, std::string_view what) {
    if (!error_) error_ = "field " + path + ": " + std::string(what);
  }
  Error ToError(std::string_view record) const {
    return Error::InvalidInput("record " + std::string(record) + ": " + error_.value_or(""));
  }

  // A string member; nullopt when absent (then a failure if required) or not a string.
  std::optional<std::string> Str(const json& obj, const char* key, const std::string& path,
                                 bool required, size_t max_bytes) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) Fail(path, "missing");
      return std::nullopt;
    }
    if (!it->is_string()) {
      Fail(path, "not a string");
      return std::nullopt;
    }
    const std::string& s = it->get_ref<const std::string&>();
    if (s.size() > max_bytes) {
      Fail(path, "longer than " + std::to_string(max_bytes) + " bytes");
      return std::nullopt;
    }
    return s;
  }
  std::optional<std::string> Version(const json& obj, const char* key, const std::string& path) {
    std::optional<std::string> v = Str(obj, key, path, false, kMaxVersionBytes);
    if (v && !ValidVersion(*v)) {
      Fail(path, "not a version (empty or control characters)");
      return std::nullopt;
    }
    return v;
  }
  // An array member; nullptr when absent, a failure when not an array.
  const json* Arr(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    if (!it->is_array()) {
      Fail(path, "not an array");
      return nullptr;
    }
    return &*it;
  }
  const json* Obj(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    if (!it->is_object()) {
      Fail(path, "not an object");
      return nullptr;
    }
    return &*it;
  }
  // The strings of an array member (each must be a string).
  std::vector<std::string> Strings(const json& obj, const char* key, const std::string& path,
                                   size_t max_bytes) {
    std::vector<std::string> out;
    const json* a = Arr(obj, key, path);
    if (a == nullptr) return out;
    for (size_t i = 0; i < a->size(); ++i) {
      const json& v = (*a)[i];
      if (!v.is_string() || v.get_ref<const std::string&>().size() > max_bytes) {
        Fail(path + "[" + std::to_string(i) + "]",
             "not a string of at most " + std::to_string(max_bytes) + " bytes");
        return {};
      }
      out.push_back(v.get<std::string>());
    }
    return out;
  }

 private:
  std::optional<std::string> error_;
};

std::string Idx(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

std::string Upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

// CycloneDX rating method names by CVSS vector prefix.
std::string CvssMethod(std::string_view vector, std::string_view fallback) {
  if (vector.starts_with("CVSS:4.")) return "CVSSv4";
  if (vector.starts_with("CVSS:3.1")) return "CVSSv31";
  if (vector.starts_with("CVSS:3.0")) return "CVSSv3";
  if (vector.starts_with("AV:")) return "CVSSv2";
  return std::string(fallback);
}

std::string SeverityOfScore(double score) {
  if (score >= 9.0) return "CRITICAL";
  if (score >= 7.0) return "HIGH";
  if (score >= 4.0) return "MEDIUM";
  if (score > 0) return "LOW";
  return "NONE";
}

// ---- OSV ----------------------------------------------------------------------------------

// Which ordering an OSV range uses: SEMVER ranges by semver; ECOSYSTEM ranges by the
// ecosystem's own rules where clearbox knows them.
VersionScheme OsvScheme(std::string_view space, std::string_view range_type) {
  if (range_type == "SEMVER") return VersionScheme::kSemver;
  if (space == "debian" || space == "ubuntu") return VersionScheme::kDebian;
  if (space == "alpine") return VersionScheme::kApk;
  if (space == "npm" || space == "go" || space == "crates.io" || space == "hex" || space == "pub") {
    return VersionScheme::kSemver;
  }
  return VersionScheme::kGeneric;
}

void SortEvents(std::vector<Event>& events, VersionScheme scheme) {
  auto is_zero = [](const Event& e) { return e.op == 'i' && e.version == "0"; };
  std::stable_sort(events.begin(), events.end(), [&](const Event& a, const Event& b) {
    if (is_zero(a) || is_zero(b)) return is_zero(a) && !is_zero(b);
    return CompareVersions(scheme, a.version, b.version) < 0;
  });
}

void ParseOsvAffected(Fields& f, const json& entry, const std::string& path,
                      std::vector<AffectedRange>& out) {
  if (!entry.is_object()) return f.Fail(path, "not an object");
  const json* package = f.Obj(entry, "package", path + ".package");
  if (package == nullptr) return;  // GIT-only entries name no package: nothing to key on
  std::optional<std::string> ecosystem =
      f.Str(*package, "ecosystem", path + ".package.ecosystem", true, kMaxNameBytes);
  std::optional<std::string> name =
      f.Str(*package, "name", path + ".package.name", true, kMaxNameBytes);
  if (!ecosystem || !name) return;
  if (ecosystem->empty() || name->empty()) return f.Fail(path + ".package", "empty name");
  AffectedRange key;
  key.kind = RangeKind::kPackage;
  std::string_view eco = *ecosystem;
  if (size_t colon = eco.find(':'); colon != std::string_view::npos) {
    std::string_view release = eco.substr(colon + 1);
    // "Alpine:v3.18" -> "3.18"; "Ubuntu:22.04:LTS" -> "22.04".
    if (release.size() > 1 && release[0] == 'v' && release[1] >= '0' && release[1] <= '9') {
      release.remove_prefix(1);
    }
    if (size_t more = release.find(':');
        more != std::string_view::npos && more > 0 && release[0] >= '0' && release[0] <= '9') {
      release = release.substr(0, more);
    }
    key.release = Lower(release);
    eco = eco.substr(0, colon);
  }
  key.space = Lower(eco);
  key.name = Lower(*name);

  if (const json* versions = f.Arr(entry, "versions", path + ".versions")) {
    AffectedRange listed = key;
    listed.scheme = std::string(VersionSchemeName(OsvScheme(key.space, "ECOSYSTEM")));
    for (size_t i = 0; i < versions->size(); ++i) {
      const json& v = (*versions)[i];
      if (!v.is_string() || !ValidVersion(v.get_ref<const std::string&>())) {
        return f.Fail(Idx(path + ".versions", i), "not a version");
      }
      listed.versions.push_back(v.get<std::string>());
    }
    if (!listed.versions.empty()) out.push_back(std::move(listed));
  }

  const json* ranges = f.Arr(entry, "ranges", path + ".ranges");
  if (ranges == nullptr) return;
  for (size_t r = 0; r < ranges->size() && !f.failed(); ++r) {
    const std::string rpath = Idx(path + ".ranges", r);
    const json& range = (*ranges)[r];
    if (!range.is_object()) return f.Fail(rpath, "not an object");
    std::optional<std::string> type = f.Str(range, "type", rpath + ".type", true, 64);
    if (!type) return;
    const json* events = f.Arr(range, "events", rpath + ".events");
    if (events == nullptr) return f.Fail(rpath + ".events", "missing");
    if (*type != "ECOSYSTEM" && *type != "SEMVER") continue;  // GIT: commits, not versions
    if (events->size() > kMaxEventsPerRange) return f.Fail(rpath + ".events", "too many");
    AffectedRange stored = key;
    const VersionScheme scheme = OsvScheme(key.space, *type);
    stored.scheme = std::string(VersionSchemeName(scheme));
    for (size_t e = 0; e < events->size(); ++e) {
      const std::string epath = Idx(rpath + ".events", e);
      const json& event = (*events)[e];
      if (!event.is_object()) return f.Fail(epath, "not an object");
      static constexpr std::pair<const char*, char> kOps[] = {
          {"introduced", 'i'}, {"fixed", 'f'}, {"last_affected", 'l'}, {"limit", 'x'}};
      bool found = false;
      for (const auto& [field, op] : kOps) {
        if (!event.contains(field)) continue;
        std::optional<std::string> v = f.Version(event, field, epath + "." + field);
        if (!v) return f.Fail(epath + "." + field, "missing");
        // "limit: *" bounds nothing (OSV's "no limit").
        if (!(op == 'x' && *v == "*")) stored.events.push_back({op, *v});
        found = true;
        break;
      }
      if (!found) return f.Fail(epath, "no introduced, fixed, last_affected or limit");
    }
    SortEvents(stored.events, scheme);
    if (!stored.events.empty()) out.push_back(std::move(stored));
  }
}

void ParseOsvSeverity(Fields& f, const json& record, Vulnerability& v) {
  if (const json* severity = f.Arr(record, "severity", "severity")) {
    for (size_t i = 0; i < severity->size(); ++i) {
      const json& s = (*severity)[i];
      const std::string path = Idx("severity", i);
      if (!s.is_object()) return f.Fail(path, "not an object");
      std::optional<std::string> type = f.Str(s, "type", path + ".type", true, 64);
      std::optional<std::string> score = f.Str(s, "score", path + ".score", true, 512);
      if (!type || !score) return;
      Rating r;
      r.source = "OSV";
      if (type->starts_with("CVSS_")) {
        r.method = CvssMethod(*score, "other");
        r.vector = *score;
        // OSV gives the vector only; NVD's scores come with the record.
        if (std::optional<double> base = CvssV3BaseScore(*score)) {
          r.score = *base;
          r.severity = SeverityOfScore(*base);
        }
      } else {
        r.method = "other";  // Ubuntu's priority words
        r.severity = Upper(*score);
      }
      v.ratings.push_back(std::move(r));
    }
  }
  // GitHub's advisories carry a severity word and CWE ids here.
  if (const json* specific = f.Obj(record, "database_specific", "database_specific")) {
    std::optional<std::string> word =
        specific->contains("severity") && (*specific)["severity"].is_string()
            ? std::optional<std::string>((*specific)["severity"].get<std::string>())
            : std::nullopt;
    if (word && word->size() <= 32) {
      std::string severity = Upper(*word);
      if (severity == "MODERATE") severity = "MEDIUM";
      bool filled = false;
      for (Rating& r : v.ratings) {
        if (r.severity.empty()) {
          r.severity = severity;
          filled = true;
        }
      }
      if (!filled && v.ratings.empty()) v.ratings.push_back({"OSV", 0, severity, "other", ""});
    }
    if (specific->contains("cwe_ids") && (*specific)["cwe_ids"].is_array()) {
      for (const json& c : (*specific)["cwe_ids"]) {
        if (c.is_string() && c.get_ref<const std::string&>().size() <= 32) {
          v.cwes.push_back(c.get<std::string>());
        }
      }
    }
  }
}

Result<ParsedAdvisory> ParseOsv(const json& record) {
  Fields f;
  if (!record.is_object()) return Error::InvalidInput("record: not a JSON object");
  ParsedAdvisory out;
  Vulnerability& v = out.vulnerability;
  v.source = "OSV";
  std::optional<std::string> id = f.Str(record, "id", "id", true, kMaxIdBytes);
  if (!id || id->empty()) {
    return Error::InvalidInput("record (no id): field id: missing, empty or not a string");
  }
  v.id = *id;
  v.source_url = "https://osv.dev/vulnerability/" + v.id;
  if (auto m = f.Str(record, "modified", "modified", true, 64)) v.modified = *m;
  if (auto p = f.Str(record, "published", "published", false, 64)) v.published = *p;
  if (auto w = f.Str(record, "withdrawn", "withdrawn", false, 64)) out.withdrawn = !w->empty();
  v.aliases = f.Strings(record, "aliases", "aliases", kMaxIdBytes);
  if (auto s = f.Str(record, "summary", "summary", false, SIZE_MAX)) {
    v.summary = Truncated(*s, kMaxTextBytes);
  }
  if (v.summary.empty()) {
    if (auto d = f.Str(record, "details", "details", false, SIZE_MAX)) {
      v.summary = Truncated(*d, kMaxTextBytes);
    }
  }
  ParseOsvSeverity(f, record, v);
  if (const json* refs = f.Arr(record, "references", "references")) {
    for (size_t i = 0; i < refs->size() && !f.failed(); ++i) {
      const json& r = (*refs)[i];
      if (!r.is_object()) {
        f.Fail(Idx("references", i), "not an object");
        break;
      }
      if (auto url = f.Str(r, "url", Idx("references", i) + ".url", true, kMaxTextBytes)) {
        v.references.push_back(*url);
      }
    }
  }
  if (const json* affected = f.Arr(record, "affected", "affected")) {
    for (size_t i = 0; i < affected->size() && !f.failed(); ++i) {
      ParseOsvAffected(f, (*affected)[i], Idx("affected", i), out.ranges);
    }
  }
  if (f.failed()) return f.ToError(v.id);
  return out;
}

// ---- NVD CVE JSON 2.0 -----------------------------------------------------------------

void ParseNvdMetrics(Fields& f, const json& cve, Vulnerability& v) {
  const json* metrics = f.Obj(cve, "metrics", "metrics");
  if (metrics == nullptr) return;
  static constexpr std::pair<const char*, const char*> kKinds[] = {{"cvssMetricV40", "CVSSv4"},
                                                                   {"cvssMetricV31", "CVSSv31"},
                                                                   {"cvssMetricV30", "CVSSv3"},
                                                                   {"cvssMetricV2", "CVSSv2"}};
  for (const auto& [key, method] : kKinds) {
    const std::string base = std::string("metrics.") + key;
    const json* list = f.Arr(*metrics, key, base);
    if (list == nullptr) continue;
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string path = Idx(base, i);
      const json& m = (*list)[i];
      if (!m.is_object()) return f.Fail(path, "not an object");
      const json* data = f.Obj(m, "cvssData", path + ".cvssData");
      if (data == nullptr) return f.Fail(path + ".cvssData", "missing");
      Rating r;
      r.method = method;
      r.source = f.Str(m, "source", path + ".source", false, 256).value_or("");
      r.vector =
          f.Str(*data, "vectorString", path + ".cvssData.vectorString", true, 512).value_or("");
      auto score = data->find("baseScore");
      if (score == data->end() || !score->is_number()) {
        return f.Fail(path + ".cvssData.baseScore", "missing or not a number");
      }
      r.score = score->get<double>();
      if (!(r.score >= 0 && r.score <= 10)) return f.Fail(path + ".cvssData.baseScore", "not 0-10");
      // v2 keeps its severity beside cvssData, v3/v4 inside.
      r.severity =
          f.Str(*data, "baseSeverity", path + ".cvssData.baseSeverity", false, 32)
              .value_or(f.Str(m, "baseSeverity", path + ".baseSeverity", false, 32).value_or(""));
      r.severity = Upper(r.severity);
      if (f.failed()) return;
      v.ratings.push_back(std::move(r));
    }
  }
}

void ParseNvdCpeMatch(Fields& f, const json& match, const std::string& path,
                      std::vector<AffectedRange>& out) {
  if (!match.is_object()) return f.Fail(path, "not an object");
  auto vulnerable = match.find("vulnerable");
  if (vulnerable == match.end() || !vulnerable->is_boolean()) {
    return f.Fail(path + ".vulnerable", "missing or not a boolean");
  }
  std::optional<std::string> criteria =
      f.Str(match, "criteria", path + ".criteria", true, kMaxNameBytes);
  if (!criteria) return;
  std::optional<CpeName> cpe = ParseCpe23(*criteria);
  if (!cpe || cpe->vendor.empty() || cpe->product.empty()) {
    return f.Fail(path + ".criteria", "not a CPE 2.3 name");
  }
  AffectedRange r;
  r.kind = RangeKind::kCpe;
  r.space = Lower(cpe->vendor);
  r.name = Lower(cpe->product);
  static constexpr std::pair<const char*, char> kBounds[] = {{"versionStartIncluding", 'i'},
                                                             {"versionStartExcluding", 'g'},
                                                             {"versionEndIncluding", 'l'},
                                                             {"versionEndExcluding", 'f'}};
  for (const auto& [field, op] : kBounds) {
    if (auto v = f.Version(match, field, path + "." + field)) r.events.push_back({op, *v});
  }
  if (f.failed() || !vulnerable->get<bool>()) return;  // platforms: context, not affected
  // An end bound alone means "every version before it", as OSV's introduced "0" says.
  if (!r.events.empty() && r.events.front().op != 'i' && r.events.front().op != 'g') {
    r.events.insert(r.events.begin(), Event{'i', "0"});
  }
  if (r.events.empty()) {
    if (cpe->version == "*" || cpe->version.empty()) {
      r.all_versions = true;
    } else if (cpe->version == "-") {
      return;  // "not applicable": no version to compare
    } else {
      std::string exact = cpe->version;
      // Older records split "7.2p2" into version 7.2 and update p2.
      if (!cpe->update.empty() && cpe->update != "*" && cpe->update != "-") {
        exact += cpe->update;
      }
      if (!ValidVersion(exact)) return f.Fail(path + ".criteria", "version is not a version");
      r.versions.push_back(std::move(exact));
    }
  }
  for (const AffectedRange& seen : out) {
    if (seen.space == r.space && seen.name == r.name && seen.events == r.events &&
        seen.versions == r.versions && seen.all_versions == r.all_versions) {
      return;
    }
  }
  out.push_back(std::move(r));
}

Result<ParsedAdvisory> ParseNvdItem(const json& item, size_t index) {
  Fields f;
  const std::string unnamed = "vulnerabilities[" + std::to_string(index) + "]";
  if (!item.is_object()) return Error::InvalidInput("record " + unnamed + ": not an object");
  const json* cve = f.Obj(item, "cve", "cve");
  if (cve == nullptr) return Error::InvalidInput("record " + unnamed + ": field cve: missing");
  ParsedAdvisory out;
  Vulnerability& v = out.vulnerability;
  v.source = "NVD";
  std::optional<std::string> id = f.Str(*cve, "id", "cve.id", true, kMaxIdBytes);
  if (!id || id->empty()) {
    return Error::InvalidInput("record " + unnamed + ": field cve.id: missing or not a string");
  }
  v.id = *id;
  v.source_url = "https://nvd.nist.gov/vuln/detail/" + v.id;
  if (auto m = f.Str(*cve, "lastModified", "cve.lastModified", true, 64)) v.modified = *m;
  if (auto p = f.Str(*cve, "published", "cve.published", false, 64)) v.published = *p;
  if (auto s = f.Str(*cve, "vulnStatus", "cve.vulnStatus", false, 64)) {
    out.withdrawn = *s == "Rejected";
  }
  if (const json* descriptions = f.Arr(*cve, "descriptions", "cve.descriptions")) {
    for (size_t i = 0; i < descriptions->size(); ++i) {
      const json& d = (*descriptions)[i];
      if (!d.is_object()) {
        f.Fail(Idx("cve.descriptions", i), "not an object");
        break;
      }
      auto lang = f.Str(d, "lang", Idx("cve.descriptions", i) + ".lang", true, 16);
      auto text = f.Str(d, "value", Idx("cve.descriptions", i) + ".value", true, SIZE_MAX);
      if (lang && text && *lang == "en" && v.summary.empty()) {
        v.summary = Truncated(*text, kMaxTextBytes);
      }
    }
  }
  ParseNvdMetrics(f, *cve, v);
  if (const json* weaknesses = f.Arr(*cve, "weaknesses", "cve.weaknesses")) {
    std::set<std::string> seen;
    for (size_t i = 0; i < weaknesses->size(); ++i) {
      const json& w = (*weaknesses)[i];
      if (!w.is_object()) {
        f.Fail(Idx("cve.weaknesses", i), "not an object");
        break;
      }
      const json* desc = f.Arr(w, "description", Idx("cve.weaknesses", i) + ".description");
      if (desc == nullptr) continue;
      for (const json& d : *desc) {
        if (!d.is_object() || !d.contains("value") || !d["value"].is_string()) continue;
        const std::string& cwe = d["value"].get_ref<const std::string&>();
        // "NVD-CWE-Other" and "NVD-CWE-noinfo" name no weakness.
        if (cwe.starts_with("CWE-") && cwe.size() <= 32 && seen.insert(cwe).second) {
          v.cwes.push_back(cwe);
        }
      }
    }
  }
  if (const json* refs = f.Arr(*cve, "references", "cve.references")) {
    for (size_t i = 0; i < refs->size() && !f.failed(); ++i) {
      const json& r = (*refs)[i];
      if (!r.is_object()) {
        f.Fail(Idx("cve.references", i), "not an object");
        break;
      }
      if (auto url = f.Str(r, "url", Idx("cve.references", i) + ".url", true, kMaxTextBytes)) {
        v.references.push_back(*url);
      }
    }
  }
  if (const json* configurations = f.Arr(*cve, "configurations", "cve.configurations")) {
    for (size_t c = 0; c < configurations->size() && !f.failed(); ++c) {
      const std::string cpath = Idx("cve.configurations", c);
      const json& config = (*configurations)[c];
      if (!config.is_object()) {
        f.Fail(cpath, "not an object");
        break;
      }
      const json* nodes = f.Arr(config, "nodes", cpath + ".nodes");
      if (nodes == nullptr) continue;
      for (size_t n = 0; n < nodes->size() && !f.failed(); ++n) {
        const std::string npath = Idx(cpath + ".nodes", n);
        const json& node = (*nodes)[n];
        if (!node.is_object()) {
          f.Fail(npath, "not an object");
          break;
        }
        auto negate = node.find("negate");
        if (negate != node.end() && negate->is_boolean() && negate->get<bool>()) continue;
        const json* matches = f.Arr(node, "cpeMatch", npath + ".cpeMatch");
        if (matches == nullptr) continue;
        for (size_t m = 0; m < matches->size() && !f.failed(); ++m) {
          ParseNvdCpeMatch(f, (*matches)[m], Idx(npath + ".cpeMatch", m), out.ranges);
        }
      }
    }
  }
  if (f.failed()) return f.ToError(v.id);
  return out;
}

bool IsOsvRecord(const json& j) { return j.is_object() && j.contains("id"); }

Status ParseParsedRoot(json& root, size_t nvd_items, const RecordSink& on_record) {
  if (root.is_array()) {
    for (const json& record : root) on_record(ParseOsv(record));
    return Status::Ok();
  }
  if (!root.is_object()) {
    return Error::InvalidInput("document: neither an OSV record nor an NVD CVE feed");
  }
  if (auto it = root.find("vulnerabilities"); it != root.end()) {
    if (!it->is_array()) return Error::InvalidInput("field vulnerabilities: not an array");
    (void)nvd_items;
    return Status::Ok();
  }
  if (IsOsvRecord(root)) {
    on_record(ParseOsv(root));
    return Status::Ok();
  }
  return Error::InvalidInput(
      "document: neither an OSV record (no field id) nor an NVD CVE feed (no field "
      "vulnerabilities)");
}

// Parses with a callback that hands each `vulnerabilities[]` item of an NVD feed to the sink
// as soon as it is complete and drops it from the tree: a feed of any size needs the memory
// of one item.
template <typename Input>
Status ParseWithCallback(Input&& input, const RecordSink& on_record) {
  bool root_is_object = false;
  bool in_vulnerabilities = false;
  size_t nvd_items = 0;
  json::parser_callback_t callback = [&](int depth, json::parse_event_t event,
                                         json& parsed) -> bool {
    if (depth == 0 && event == json::parse_event_t::object_start) root_is_object = true;
    if (depth == 1 && event == json::parse_event_t::key) {
      in_vulnerabilities = root_is_object && parsed.is_string() &&
                           parsed.get_ref<const std::string&>() == "vulnerabilities";
    }
    if (depth == 2 && in_vulnerabilities && event == json::parse_event_t::object_end) {
      on_record(ParseNvdItem(parsed, nvd_items++));
      return false;
    }
    return true;
  };
  json root;
  try {
    root = json::parse(std::forward<Input>(input), callback, /*allow_exceptions=*/true);
  } catch (const json::exception& e) {
    return Error::InvalidInput(std::string("not JSON: ") + e.what());
  }
  return ParseParsedRoot(root, nvd_items, on_record);
}

}  // namespace

Status ParseAdvisoryDocument(std::istream& in, const RecordSink& on_record) {
  Status s = ParseWithCallback(in, on_record);
  if (in.bad()) return Error::Io("read failed");
  return s;
}

Status ParseAdvisoryDocument(std::string_view text, const RecordSink& on_record) {
  return ParseWithCallback(text, on_record);
}

std::string EncodeEvents(const std::vector<Event>& events) {
  std::string out;
  for (const Event& e : events) {
    out += e.op;
    out += e.version;
    out += '\n';
  }
  return out;
}

std::vector<Event> DecodeEvents(std::string_view text) {
  std::vector<Event> out;
  for (const std::string& line : DecodeList(text)) {
    if (line.size() < 2) continue;
    out.push_back({line[0], line.substr(1)});
  }
  return out;
}

std::string EncodeList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    out += s;
    out += '\n';
  }
  return out;
}

std::vector<std::string> DecodeList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::optional<RangeHit> EvaluateRange(const AffectedRange& range, VersionScheme scheme,
                                      std::string_view version) {
  if (range.all_versions) return RangeHit{"* (all versions)", ""};
  for (const std::string& v : range.versions) {
    if (CompareVersions(scheme, version, v) == 0) return RangeHit{"=" + v, ""};
  }
  if (range.events.empty()) return std::nullopt;
  // Events are sorted: the last bound at or below the version decides (OSV's evaluation).
  bool affected = false;
  size_t decided_by = 0;
  for (size_t k = 0; k < range.events.size(); ++k) {
    const Event& e = range.events[k];
    const bool zero = e.op == 'i' && e.version == "0";
    const int c = zero ? 1 : CompareVersions(scheme, version, e.version);
    bool applies = (e.op == 'i' || e.op == 'f' || e.op == 'x') ? c >= 0 : c > 0;
    if (!applies) continue;
    affected = e.op == 'i' || e.op == 'g';
    decided_by = k;
  }
  if (!affected) return std::nullopt;
  RangeHit hit;
  const Event& lower = range.events[decided_by];
  if (!(lower.op == 'i' && lower.version == "0")) {
    hit.affected_range = (lower.op == 'i' ? ">=" : ">") + lower.version;
  }
  for (size_t k = decided_by + 1; k < range.events.size(); ++k) {
    const Event& e = range.events[k];
    if (e.op != 'f' && e.op != 'l' && e.op != 'x') continue;
    if (!hit.affected_range.empty()) hit.affected_range += ", ";
    hit.affected_range += (e.op == 'l' ? "<=" : "<") + e.version;
    if (e.op == 'f') hit.fixed_version = e.version;
    break;
  }
  if (hit.affected_range.empty()) hit.affected_range = ">=0 (no fix)";
  return hit;
}

std::optional<double> CvssV3BaseScore(std::string_view vector) {
  if (!vector.starts_with("CVSS:3.0/") && !vector.starts_with("CVSS:3.1/")) return std::nullopt;
  vector.remove_prefix(9);
  // Metric -> value letter; every base metric must appear once.
  char m[8] = {};  // AV AC PR UI S C I A
  static constexpr std::string_view kNames[] = {"AV", "AC", "PR", "UI", "S", "C", "I", "A"};
  while (!vector.empty()) {
    size_t slash = vector.find('/');
    std::string_view part = vector.substr(0, slash);
    vector = slash == std::string_view::npos ? std::string_view() : vector.substr(slash + 1);
    size_t colon = part.find(':');
    if (colon == std::string_view::npos || colon + 2 != part.size()) return std::nullopt;
    for (size_t i = 0; i < 8; ++i) {
      if (part.substr(0, colon) == kNames[i]) {
        if (m[i] != 0) return std::nullopt;
        m[i] = part[colon + 1];
      }
    }
  }
  auto pick = [](char v, std::string_view letters, std::initializer_list<double> weights,
                 double* out) {
    size_t i = letters.find(v);
    if (i == std::string_view::npos) return false;
    *out = weights.begin()[i];
    return true;
  };
  double av, ac, pr, ui, c, in, a;
  const bool changed = m[4] == 'C';
  if ((m[4] != 'U' && m[4] != 'C') || !pick(m[0], "NALP", {0.85, 0.62, 0.55, 0.2}, &av) ||
      !pick(m[1], "LH", {0.77, 0.44}, &ac) ||
      !pick(m[2], "NLH", {0.85, changed ? 0.68 : 0.62, changed ? 0.5 : 0.27}, &pr) ||
      !pick(m[3], "NR", {0.85, 0.62}, &ui) || !pick(m[5], "HLN", {0.56, 0.22, 0}, &c) ||
      !pick(m[6], "HLN", {0.56, 0.22, 0}, &in) || !pick(m[7], "HLN", {0.56, 0.22, 0}, &a)) {
    return std::nullopt;
  }
  const double iss = 1 - (1 - c) * (1 - in) * (1 - a);
  const double impact =
      changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
  const double exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0.0;
  const double raw = std::min((changed ? 1.08 : 1.0) * (impact + exploitability), 10.0);
  // CVSS 3.1's Roundup: the smallest one-decimal number >= raw, free of float noise.
  const int64_t scaled = std::llround(raw * 100000);
  return scaled % 10000 == 0 ? static_cast<double>(scaled) / 100000.0
                             : static_cast<double>(scaled / 10000 + 1) / 10.0;
}

std::optional<CpeName> ParseCpe23(std::string_view cpe) {
  constexpr std::string_view kPrefix = "cpe:2.3:";
  if (!cpe.starts_with(kPrefix)) return std::nullopt;
  cpe.remove_prefix(kPrefix.size());
  std::vector<std::string> fields(1);
  for (size_t i = 0; i < cpe.size(); ++i) {
    char c = cpe[i];
    if (c == '\\' && i + 1 < cpe.size()) {
      fields.back() += cpe[++i];
    } else if (c == ':') {
      if (fields.size() >= 11) return std::nullopt;
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (fields.size() < 4) return std::nullopt;
  CpeName n;
  n.part = fields[0];
  n.vendor = fields[1];
  n.product = fields[2];
  n.version = fields[3];
  if (fields.size() > 4) n.update = fields[4];
  return n;
}

}  // namespace clearbox::inventory::vulndb
