// SARIF 2.1.0 writer (https://docs.oasis-open.org/sarif/sarif/v2.1.0/).
#include "clearbox/report/sarif.h"
#include "sarif_common.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>
#include <nlohmann/json.hpp>

#include "clearbox/core/bytes.h"
#include "clearbox/core/digest.h"

namespace clearbox::report {
namespace {

using json = nlohmann::ordered_json;
using audit::Severity;

// "CB-ACCT-001" -> "accounts": a tag, so that a SARIF viewer can filter by family.
// A check family: its id prefix, its SARIF tag and its page under docs/.
struct FamilyInfo {
  std::string_view prefix, tag, page;
};
constexpr FamilyInfo kFamilies[] = {
    {"CB-ACCT-", "accounts", "checks.md"},
    {"CB-SVC-", "remote-access", "checks/services.md"},
    {"CB-KEY-", "keys", "checks/keys.md"},
    {"CB-YARA-", "backdoors", "checks/yara.md"},
    {"CB-NET-", "endpoints", "checks/endpoints.md"},
    {"CB-PRIV-", "privilege", "checks/privilege.md"},
    {"CB-MAGIC-", "magic-password", "checks/magic.md"},
    {"CB-CONF-", "configuration", "checks/config.md"},
    {"CB-VULN-", "vulnerabilities", "checks/vuln.md"},
    {"CB-PLEDGE-", "pledge", "checks/pledge.md"}};

// The documentation page of a check (docs/checks.md for an unknown family).
std::string_view DocPage(std::string_view id) {
  for (const FamilyInfo& f : kFamilies) {
    if (id.starts_with(f.prefix)) return f.page;
  }
  return "checks.md";
}

std::string Family(std::string_view id) {
  for (const FamilyInfo& f : kFamilies) {
    if (id.starts_with(f.prefix)) return std::string(f.tag);
  }
  return "clearbox";
}

bool IsFingerprint(const json& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

namespace internal {

// GitHub code scanning ranks security results by this property (0.0-10.0).
std::string SecuritySeverity(Severity s) {
  switch (s) {
    case Severity::kCritical:
      return "9.5";
    case Severity::kHigh:
      return "8.0";
    case Severity::kMedium:
      return "5.5";
    case Severity::kLow:
      return "3.0";
    case Severity::kInfo:
      return "0.0";
  }
  return "0.0";
}

// SARIF's "friendly name" convention (validator rule SARIF2012): one PascalCase identifier,
// each word capitalised and the rest lower case, articles dropped ("second account with
// UID 0" -> "SecondAccountWithUid0", "a well-known default" -> "WellKnownDefault").
std::string PascalName(std::string_view title) {
  std::string out;
  size_t i = 0;
  while (i < title.size()) {
    while (i < title.size() && !std::isalnum(static_cast<unsigned char>(title[i]))) ++i;
    size_t start = i;
    while (i < title.size() && std::isalnum(static_cast<unsigned char>(title[i]))) ++i;
    std::string word(title.substr(start, i - start));
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (word.empty() || word == "a" || word == "an" || word == "the") continue;
    // A word that starts with a digit joins the previous one ("Uid0"), still one identifier.
    word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
    out += word;
  }
  return out;
}

nlohmann::ordered_json SarifRule(const RuleText& r, const SarifOptions& options) {
  std::string anchor(r.id);
  for (char& c : anchor) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string rationale(r.rationale), remediation(r.remediation);
  return {{"id", r.id},
          {"name", PascalName(r.title)},
          {"shortDescription", {{"text", r.title}}},
          {"fullDescription", {{"text", rationale}}},
          {"help",
           {{"text", remediation},
            {"markdown", "**Why it matters.** " + rationale + "\n\n**Remediation.** " + remediation}}},
          {"helpUri", options.docs_base_uri + std::string(r.doc) + "#" + anchor},
          {"defaultConfiguration", {{"level", SarifLevel(r.severity)}}},
          {"properties",
           {{"tags", nlohmann::ordered_json::array({"security", r.tag})},
            {"security-severity", SecuritySeverity(r.severity)},
            {"severity", audit::SeverityName(r.severity)}}}};
}

}  // namespace internal

std::string_view SarifLevel(Severity s) {
  switch (s) {
    case Severity::kCritical:
    case Severity::kHigh:
      return "error";
    case Severity::kMedium:
      return "warning";
    case Severity::kLow:
    case Severity::kInfo:
      return "note";
  }
  return "note";
}

std::string ProvenanceUri(std::string_view provenance) {
  static constexpr std::string_view kKeep = "-._~/!@$&'()*+,;=";
  std::string out;
  for (char ch : provenance) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        kKeep.find(ch) != std::string_view::npos) {
      out.push_back(ch);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

namespace {

json AuditRun(const audit::AuditReport& report, const std::vector<audit::Check>& checks,
              const SarifOptions& options) {
  json rules = json::array();
  std::map<std::string, size_t> rule_index;
  for (const audit::Check& c : checks) {
    // The rules of the checks that ran (a --check run describes only its checks).
    if (std::find(report.checks_run.begin(), report.checks_run.end(), c.id) ==
        report.checks_run.end()) {
      continue;
    }
    rule_index.emplace(c.id, rules.size());
    json properties = {{"tags", json::array({"security", Family(c.id)})},
                       {"security-severity", internal::SecuritySeverity(c.severity)},
                       {"severity", audit::SeverityName(c.severity)}};
    if (!c.ts33117_clause.empty()) properties["ts33117"] = "3GPP TS 33.117 " + c.ts33117_clause;
    std::string help = c.remediation;
    std::string markdown = "**Why it matters.** " + c.rationale + "\n\n**Remediation.** " +
                           c.remediation;
    if (!c.ts33117_clause.empty()) {
      help += " (3GPP TS 33.117 " + c.ts33117_clause + ")";
      markdown += "\n\n**Requirement.** 3GPP TS 33.117 clause " + c.ts33117_clause + ".";
    }
    rules.push_back({{"id", c.id},
                     {"name", internal::PascalName(c.title)},
                     {"shortDescription", {{"text", c.title}}},
                     {"fullDescription", {{"text", c.rationale}}},
                     {"help", {{"text", help}, {"markdown", markdown}}},
                     {"helpUri", options.docs_base_uri + std::string(DocPage(c.id))},
                     {"defaultConfiguration", {{"level", SarifLevel(c.severity)}}},
                     {"properties", std::move(properties)}});
  }

  json results = json::array();
  for (const audit::Finding& f : report.findings) {
    json locations = json::array();
    for (const audit::Evidence& e : f.evidence) {
      json region = {{"byteOffset", e.offset}};
      if (!e.excerpt.empty()) region["snippet"] = {{"text", e.excerpt}};
      locations.push_back(
          {{"physicalLocation",
            {{"artifactLocation", {{"uri", ProvenanceUri(e.provenance)}}}, {"region", region}}},
           {"message", {{"text", e.provenance}}}});
    }
    json result = {{"ruleId", f.check_id}};
    if (auto it = rule_index.find(f.check_id); it != rule_index.end()) {
      result["ruleIndex"] = it->second;
    }
    result["level"] = SarifLevel(f.severity);
    result["message"] = {{"text", f.message}};
    if (!locations.empty()) result["locations"] = std::move(locations);
    result["partialFingerprints"] = {{"clearbox/v1", audit::FindingFingerprint(f)}};
    result["properties"] = {{"severity", audit::SeverityName(f.severity)}};
    if (!f.endpoint.empty()) {
      // What `watch --from-audit` reads, so that it need not parse the message.
      result["properties"]["endpoint"] = f.endpoint;
      result["properties"]["endpointSeen"] = audit::EndpointSeenName(f.endpoint_seen);
    }
    results.push_back(std::move(result));
  }

  json run = {
      {"tool",
       {{"driver",
         {{"name", "clearbox"},
          {"fullName", "clearbox audit " + options.tool_version},
          {"version", options.tool_version},
          {"semanticVersion", options.tool_version},
          {"informationUri", options.docs_base_uri + "checks.md"},
          {"rules", std::move(rules)}}}}},
      // GitHub code scanning keeps one set of alerts per category (the id up to its last
      // '/'): one per image name, so that audits of two products do not close each other's.
      {"automationDetails", {{"id", "clearbox-audit/" + report.image + "/"}}},
      {"results", std::move(results)},
      {"properties",
       {{"image", report.image},
        {"sha256", report.sha256},
        {"checksRun", report.checks_run},
        {"suppressed", report.suppressed}}}};
  return run;
}

std::string Log(json runs) {
  json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", std::move(runs)}};
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string SarifJson(const audit::AuditReport& report, const std::vector<audit::Check>& checks,
                      const SarifOptions& options) {
  return Log(json::array({AuditRun(report, checks, options)}));
}

std::string SarifJson(const audit::AuditReport& report, const std::vector<audit::Check>& checks,
                      const watch::WatchReport& traffic, const SarifOptions& options) {
  return Log(json::array(
      {AuditRun(report, checks, options), internal::WatchSarifRun(traffic, options)}));
}

Result<std::set<std::string>> ParseSarifBaseline(std::string_view text, std::string_view name) {
  auto bad = [&](std::string_view what) {
    return Error::InvalidInput(fmt::format("{}: {}", name, what));
  };
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return bad("not JSON (expected a SARIF log from clearbox audit)");
  if (!doc.is_object() || doc.value("version", json()) != "2.1.0") {
    return bad("not a SARIF 2.1.0 log (\"version\" is not \"2.1.0\")");
  }
  auto runs = doc.find("runs");
  if (runs == doc.end() || !runs->is_array()) return bad("runs: expected an array");
  std::set<std::string> out;
  for (size_t i = 0; i < runs->size(); ++i) {
    const json& run = (*runs)[i];
    if (!run.is_object()) return bad(fmt::format("runs[{}]: expected an object", i));
    auto results = run.find("results");
    if (results == run.end() || results->is_null()) continue;
    if (!results->is_array()) return bad(fmt::format("runs[{}].results: expected an array", i));
    for (size_t j = 0; j < results->size(); ++j) {
      const json& result = (*results)[j];
      std::string where = fmt::format("runs[{}].results[{}]", i, j);
      if (!result.is_object()) return bad(where + ": expected an object");
      auto prints = result.find("partialFingerprints");
      if (prints == result.end()) continue;
      if (!prints->is_object()) return bad(where + ".partialFingerprints: expected an object");
      auto mine = prints->find("clearbox/v1");
      if (mine == prints->end()) continue;
      if (!IsFingerprint(*mine)) {
        return bad(where + ".partialFingerprints[\"clearbox/v1\"]: expected 64 lower-case hex "
                   "digits");
      }
      out.insert(mine->get<std::string>());
    }
  }
  return out;
}

}  // namespace clearbox::report
