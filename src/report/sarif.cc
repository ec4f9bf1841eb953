// SARIF 2.1.0 writer (https://docs.oasis-open.org/sarif/sarif/v2.1.0/).
#include "clearbox/report/sarif.h"

#include <fmt/format.h>

#include <algorithm>

#include <map>
#include <nlohmann/json.hpp>

#include "clearbox/core/bytes.h"
#include "clearbox/core/digest.h"

namespace clearbox::report {
namespace {

using json = nlohmann::ordered_json;
using audit::Severity;

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

// "CB-ACCT-001" -> "accounts".
std::string Family(std::string_view id) {
  if (id.rfind("CB-ACCT-", 0) == 0) return "accounts";
  return "clearbox";
}

}  // namespace

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

std::string SarifJson(const audit::AuditReport& report, const std::vector<audit::Check>& checks,
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
                       {"security-severity", SecuritySeverity(c.severity)},
                       {"severity", audit::SeverityName(c.severity)}};
    if (!c.ts33117_clause.empty()) properties["ts33117"] = "3GPP TS 33.117 " + c.ts33117_clause;
    std::string help = c.remediation;
    if (!c.ts33117_clause.empty()) help += " (3GPP TS 33.117 " + c.ts33117_clause + ")";
    rules.push_back({{"id", c.id},
                     {"name", c.title},
                     {"shortDescription", {{"text", c.title}}},
                     {"fullDescription", {{"text", c.rationale}}},
                     {"help", {{"text", help}}},
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
    results.push_back(std::move(result));
  }

  json run = {
      {"tool",
       {{"driver",
         {{"name", "clearbox"},
          {"version", options.tool_version},
          {"semanticVersion", options.tool_version},
          {"informationUri", "https://clearbox.invalid/docs/checks.md"},
          {"rules", std::move(rules)}}}}},
      {"results", std::move(results)},
      {"properties",
       {{"image", report.image}, {"sha256", report.sha256}, {"checksRun", report.checks_run}}}};
  json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({std::move(run)})}};
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace clearbox::report
