// CycloneDX 1.6 JSON (https://cyclonedx.org/docs/1.6/json/) from an inventory and its
// vulnerability matches. docs/sbom.md says what goes where.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clearbox/report/sbom.h"
#include "sbom_internal.h"

namespace clearbox::report {
namespace {

using inventory::Component;
using inventory::ComponentSource;
using inventory::Evidence;
using inventory::Inventory;
using inventory::VulnerabilityMatch;
using nlohmann::json;

// The schema's limit on a version string (definitions/version).
constexpr size_t kMaxVersionBytes = 1024;

// Confidence in a component's identity, by how it was found: a package database names the
// package outright; a version string in a binary can be a copied banner or a static copy.
constexpr double kManifestConfidence = 0.9;
constexpr double kBinaryConfidence = 0.7;

std::string_view TypeName(internal::ComponentRole role) {
  switch (role) {
    case internal::ComponentRole::kApplication:
      return "application";
    case internal::ComponentRole::kLibrary:
      return "library";
    case internal::ComponentRole::kOperatingSystem:
      return "operating-system";
    case internal::ComponentRole::kFirmware:
      return "firmware";
  }
  return "application";
}

std::string Version(std::string_view v) {
  return std::string(v.substr(0, std::min(v.size(), kMaxVersionBytes)));
}

bool IsBinaryEvidence(const Evidence& e, const Component& c) {
  if (e.method.starts_with("signature")) return true;
  if (e.method.find("status") != std::string::npos || e.method.starts_with("apk") ||
      e.method == "os-release" || e.method.find("release") != std::string::npos) {
    return false;
  }
  return c.source == ComponentSource::kBinary;
}

json EvidenceJson(const Component& c) {
  json methods = json::array();
  std::set<std::pair<std::string, std::string>> seen;
  double best = 0;
  json occurrences = json::array();
  for (const Evidence& e : c.evidence) {
    bool binary = IsBinaryEvidence(e, c);
    double confidence = binary ? kBinaryConfidence : kManifestConfidence;
    best = std::max(best, confidence);
    std::string technique = binary ? "binary-analysis" : "manifest-analysis";
    std::string value = e.method + (e.matched.empty() ? "" : ": " + e.matched);
    if (seen.insert({technique, value}).second) {
      methods.push_back({{"technique", technique}, {"confidence", confidence}, {"value", value}});
    }
    json occurrence = {{"location", e.provenance.empty() ? "(unknown)" : e.provenance},
                       {"offset", e.offset}};
    if (!e.matched.empty()) occurrence["additionalContext"] = e.matched;
    occurrences.push_back(std::move(occurrence));
  }
  json evidence = json::object();
  if (!methods.empty()) {
    json identity = {{"field", c.purl.empty() ? "name" : "purl"},
                     {"confidence", best},
                     {"concludedValue", c.purl.empty() ? c.name : c.purl},
                     {"methods", std::move(methods)}};
    evidence["identity"] = json::array({std::move(identity)});
    evidence["occurrences"] = std::move(occurrences);
  }
  return evidence;
}

json LicensesJson(const std::string& license) {
  std::string canonical;
  if (IsSpdxLicenseExpression(license, &canonical)) {
    return json::array({{{"expression", canonical}}});
  }
  // Free text from a package database ("GPLv2", "BSD"): a named license, not an expression.
  return json::array({{{"license", {{"name", license}}}}});
}

// Stable, unique bom-refs: the purl (unique in practice), else "component:name@version"; a
// repeat gets "#<index>" (its index in the inventory's sorted components).
// `used` holds the refs already taken (the image's) and receives these.
std::vector<std::string> ComponentRefs(const Inventory& inv, std::set<std::string>& used) {
  std::vector<std::string> refs;
  for (size_t i = 0; i < inv.components.size(); ++i) {
    const Component& c = inv.components[i];
    std::string ref = internal::AsWritten(
        !c.purl.empty() ? c.purl
                        : "component:" + c.name + (c.version.empty() ? "" : "@") + c.version);
    if (!used.insert(ref).second) {
      ref += "#" + std::to_string(i);
      while (!used.insert(ref).second) ref += "+";
    }
    refs.push_back(std::move(ref));
  }
  return refs;
}

json ComponentJson(const Inventory& inv, const internal::SbomModel& model, size_t i,
                   const std::string& ref) {
  const Component& c = inv.components[i];
  json j = {{"type", std::string(TypeName(model.roles[i]))},
            {"bom-ref", ref},
            {"name", c.name.empty() ? "(unnamed)" : c.name}};
  if (!c.version.empty()) j["version"] = Version(c.version);
  if (!c.supplier.empty()) j["supplier"] = {{"name", c.supplier}};
  if (!c.purl.empty()) j["purl"] = c.purl;
  if (!c.cpe.empty()) j["cpe"] = c.cpe;
  if (!model.single_file_sha256[i].empty()) {
    j["hashes"] = json::array({{{"alg", "SHA-256"}, {"content", model.single_file_sha256[i]}}});
  }
  if (!c.license.empty()) j["licenses"] = LicensesJson(c.license);
  json evidence = EvidenceJson(c);
  if (!evidence.empty()) j["evidence"] = std::move(evidence);
  json properties = json::array();
  properties.push_back({{"name", "clearbox:source"},
                        {"value", std::string(inventory::ComponentSourceName(c.source))}});
  properties.push_back({{"name", "clearbox:version-scheme"},
                        {"value", std::string(inventory::VersionSchemeName(c.scheme))}});
  properties.push_back(
      {{"name", "clearbox:file-count"}, {"value", std::to_string(model.files[i].size())}});
  for (const std::string& note : c.notes) {
    properties.push_back({{"name", "clearbox:note"}, {"value", note}});
  }
  j["properties"] = std::move(properties);
  return j;
}

std::string LowerAscii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string Severity(const std::string& word) {
  std::string s = LowerAscii(word);
  if (s == "moderate") return "medium";  // GitHub's word
  if (s == "critical" || s == "high" || s == "medium" || s == "low" || s == "info" || s == "none") {
    return s;
  }
  return "unknown";
}

std::string ScoreMethod(const std::string& method) {
  static const std::set<std::string> kMethods = {"CVSSv2", "CVSSv3", "CVSSv31", "CVSSv4",
                                                 "OWASP",  "SSVC",   "other"};
  if (kMethods.count(method)) return method;
  if (method == "CVSSv30") return "CVSSv3";
  return "other";
}

json RatingJson(const inventory::Rating& r) {
  json j = json::object();
  if (!r.source.empty()) j["source"] = {{"name", r.source}};
  std::string severity = Severity(r.severity);
  if (r.score > 0 || severity == "none") j["score"] = r.score;
  if (!r.severity.empty()) j["severity"] = severity;
  j["method"] = ScoreMethod(r.method);
  if (!r.vector.empty()) j["vector"] = r.vector;
  return j;
}

// "CWE-125" -> 125; NVD's "NVD-CWE-Other" and "NVD-CWE-noinfo" are not CWEs.
std::optional<int> CweNumber(std::string_view cwe) {
  if (!cwe.starts_with("CWE-") || cwe.size() == 4 || cwe.size() > 12) return std::nullopt;
  int n = 0;
  for (char c : cwe.substr(4)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n < 1) return std::nullopt;
  return n;
}

// Where an advisory id is published, by its form.
json AliasSource(const std::string& id) {
  if (id.starts_with("CVE-")) {
    return {{"name", "NVD"}, {"url", "https://nvd.nist.gov/vuln/detail/" + id}};
  }
  std::string url = "https://osv.dev/vulnerability/" + id;
  if (internal::IsPlainUrl(url)) return {{"name", "OSV"}, {"url", url}};
  return {{"name", "OSV"}};
}

struct Advisory {
  const inventory::Vulnerability* vulnerability = nullptr;
  std::vector<const VulnerabilityMatch*> matches;  // ordered by component index
};

json VulnerabilityJson(const Inventory& inv, const std::vector<std::string>& refs,
                       const Advisory& a, const std::string& ref) {
  const inventory::Vulnerability& v = *a.vulnerability;
  json j = {{"bom-ref", ref}, {"id", v.id}};
  json source = json::object();
  if (!v.source.empty()) source["name"] = v.source;
  if (internal::IsPlainUrl(v.source_url)) source["url"] = v.source_url;
  if (!source.empty()) j["source"] = std::move(source);

  json references = json::array();
  std::set<std::string> aliases(v.aliases.begin(), v.aliases.end());
  aliases.erase(v.id);
  for (const std::string& alias : aliases) {
    if (!alias.empty()) references.push_back({{"id", alias}, {"source", AliasSource(alias)}});
  }
  if (!references.empty()) j["references"] = std::move(references);

  json ratings = json::array();
  for (const inventory::Rating& r : v.ratings) ratings.push_back(RatingJson(r));
  if (!ratings.empty()) j["ratings"] = std::move(ratings);

  std::set<int> cwes;
  for (const std::string& cwe : v.cwes) {
    if (std::optional<int> n = CweNumber(cwe)) cwes.insert(*n);
  }
  if (!cwes.empty()) j["cwes"] = json(std::vector<int>(cwes.begin(), cwes.end()));
  if (!v.summary.empty()) j["description"] = v.summary;

  std::set<std::string> urls;
  for (const std::string& url : v.references) {
    if (internal::IsPlainUrl(url)) urls.insert(url);
  }
  json advisories = json::array();
  for (const std::string& url : urls) advisories.push_back({{"url", url}});
  if (!advisories.empty()) j["advisories"] = std::move(advisories);
  if (auto published = internal::NormalizeDateTime(v.published)) j["published"] = *published;
  if (auto updated = internal::NormalizeDateTime(v.modified)) j["updated"] = *updated;

  json affects = json::array();
  json properties = json::array();
  std::vector<std::string> recommendations;
  std::set<std::string> affected_refs;
  for (const VulnerabilityMatch* m : a.matches) {
    const Component& c = inv.components[m->component_index];
    const std::string& ref = refs[m->component_index];
    if (!affected_refs.insert(ref).second) continue;
    json affect = {{"ref", ref}};
    if (!c.version.empty()) {
      affect["versions"] = json::array({{{"version", Version(c.version)}, {"status", "affected"}}});
    }
    affects.push_back(std::move(affect));
    if (!m->fixed_version.empty()) {
      recommendations.push_back("Upgrade " + c.name + " to " + m->fixed_version + " or later");
    }
    if (!m->affected_range.empty()) {
      properties.push_back(
          {{"name", "clearbox:affected-range"}, {"value", ref + " " + m->affected_range}});
    }
    if (!m->matched_by.empty()) {
      properties.push_back({{"name", "clearbox:matched-by"}, {"value", ref + " " + m->matched_by}});
    }
  }
  if (!recommendations.empty()) {
    std::string text;
    for (const std::string& r : recommendations) text += (text.empty() ? "" : "; ") + r;
    j["recommendation"] = text + ".";
  }
  j["affects"] = std::move(affects);
  if (!properties.empty()) j["properties"] = std::move(properties);
  return j;
}

}  // namespace

std::string CycloneDxJson(const Inventory& inv, std::span<const VulnerabilityMatch> vulns,
                          const SbomOptions& options) {
  const internal::SbomModel model = internal::BuildModel(inv);
  const std::string uuid = internal::DocumentUuid(inv);
  const std::string image_ref =
      internal::AsWritten("image:" + (inv.image.empty() ? uuid : inv.image));
  // Every bom-ref in the document is unique, whatever a purl from the image says.
  std::set<std::string> used_refs = {image_ref};
  const std::vector<std::string> refs = ComponentRefs(inv, used_refs);

  json bom = {
      {"bomFormat", "CycloneDX"},
      {"specVersion", "1.6"},
      {"serialNumber", options.serial_number.empty() ? "urn:uuid:" + uuid : options.serial_number},
      {"version", 1}};

  json metadata = json::object();
  if (auto timestamp = internal::NormalizeDateTime(options.timestamp)) {
    metadata["timestamp"] = *timestamp;
  }
  metadata["tools"] = {{"components", json::array({{{"type", "application"},
                                                    {"name", "clearbox"},
                                                    {"version", options.tool_version}}})}};
  json image = {{"type", "firmware"},
                {"bom-ref", image_ref},
                {"name", inv.image.empty() ? "(unnamed image)" : inv.image}};
  if (internal::IsSha256Hex(inv.sha256)) {
    image["hashes"] = json::array({{{"alg", "SHA-256"}, {"content", LowerAscii(inv.sha256)}}});
  }
  image["properties"] =
      json::array({{{"name", "clearbox:size"}, {"value", std::to_string(inv.size)}},
                   {{"name", "clearbox:partial"}, {"value", inv.partial ? "true" : "false"}}});
  metadata["component"] = std::move(image);
  bom["metadata"] = std::move(metadata);

  json components = json::array();
  for (size_t i = 0; i < inv.components.size(); ++i) {
    components.push_back(ComponentJson(inv, model, i, refs[i]));
  }
  bom["components"] = std::move(components);

  // The image holds every component; each component needs what its libraries and its
  // package's Depends name. Sorted by ref so that the order never depends on the input's.
  std::map<std::string, std::vector<std::string>> edges;
  std::vector<std::string> all(refs.begin(), refs.end());
  std::sort(all.begin(), all.end());
  edges[image_ref] = std::move(all);
  for (size_t i = 0; i < inv.components.size(); ++i) {
    std::vector<std::string> to;
    for (size_t d : model.depends[i]) to.push_back(refs[d]);
    std::sort(to.begin(), to.end());
    edges[refs[i]] = std::move(to);
  }
  json dependencies = json::array();
  for (auto& [ref, to] : edges) {
    json d = {{"ref", ref}};
    if (!to.empty()) d["dependsOn"] = to;
    dependencies.push_back(std::move(d));
  }
  bom["dependencies"] = std::move(dependencies);

  // One entry per advisory, naming every component it affects.
  std::map<std::pair<std::string, std::string>, Advisory> advisories;
  for (const VulnerabilityMatch& m : vulns) {
    if (m.component_index >= inv.components.size() || m.vulnerability.id.empty()) continue;
    Advisory& a = advisories[{m.vulnerability.id, m.vulnerability.source}];
    if (a.vulnerability == nullptr) a.vulnerability = &m.vulnerability;
    a.matches.push_back(&m);
  }
  if (!advisories.empty()) {
    json list = json::array();
    for (auto& [key, a] : advisories) {
      std::stable_sort(a.matches.begin(), a.matches.end(),
                       [](const VulnerabilityMatch* x, const VulnerabilityMatch* y) {
                         return x->component_index < y->component_index;
                       });
      // The same advisory's record from the first component's match, whatever the order.
      a.vulnerability = &a.matches.front()->vulnerability;
      std::string ref = internal::AsWritten("vulnerability:" + a.vulnerability->source + ":" +
                                            a.vulnerability->id);
      while (!used_refs.insert(ref).second) ref += "+";
      list.push_back(VulnerabilityJson(inv, refs, a, ref));
    }
    bom["vulnerabilities"] = std::move(list);
  }
  return bom.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace clearbox::report
