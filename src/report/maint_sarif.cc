// JSON and SARIF 2.1.0 of `clearbox maint audit` (report/maint.h).
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "clearbox/core/digest.h"
#include "clearbox/report/maint.h"
#include "sarif_common.h"

namespace clearbox::report {
namespace {

using json = nlohmann::ordered_json;
using internal::PascalName;
using internal::SecuritySeverity;

std::string Time(int64_t us) { return us == 0 ? std::string() : maint::FormatUnixMicros(us); }

json FindingJson(const maint::MaintFinding& f) {
  json evidence = json::array();
  for (const maint::MaintEvidence& e : f.evidence) {
    evidence.push_back({{"where", e.where}, {"text", e.text}});
  }
  json j = {{"rule", f.rule_id},
            {"severity", maint::MaintSeverityName(f.severity)},
            {"message", f.message}};
  if (!f.ticket.empty()) j["ticket"] = f.ticket;
  if (f.serial != 0) j["serial"] = f.serial;
  if (!f.user.empty()) j["user"] = f.user;
  if (f.time_us != 0) j["time"] = Time(f.time_us);
  j["evidence"] = std::move(evidence);
  json facts = json::object();
  for (const auto& [k, v] : f.facts) facts[k] = v;
  j["facts"] = std::move(facts);
  return j;
}

// "file:123" -> ("file", 123); anything else -> (where, 0).
std::pair<std::string, uint64_t> FileLine(const std::string& where) {
  size_t colon = where.rfind(':');
  if (colon == std::string::npos || colon + 1 == where.size()) return {where, 0};
  uint64_t line = 0;
  for (size_t i = colon + 1; i < where.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(where[i])) || line > (uint64_t(1) << 40)) {
      return {where, 0};
    }
    line = line * 10 + static_cast<uint64_t>(where[i] - '0');
  }
  return {where.substr(0, colon), line};
}

bool IsLogical(const std::string& where) {
  return where.rfind("log entry ", 0) == 0;
}

std::string Fingerprint(const maint::MaintFinding& f) {
  std::string key = f.rule_id + "\n" + f.ticket + "\n" + std::to_string(f.serial) + "\n" + f.user;
  for (const maint::MaintEvidence& e : f.evidence) key += "\n" + e.where;
  return Sha256Hex(ByteView(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
}

json Summary(const maint::MaintAuditReport& r) {
  return {{"logEntries", r.log_entries}, {"requests", r.requests},   {"approved", r.approved},
          {"certificates", r.certificates}, {"sessions", r.sessions}, {"logins", r.logins},
          {"refusals", r.refusals},       {"recordings", r.recordings},
          {"findings", r.findings.size()}};
}

}  // namespace

audit::Severity ToAuditSeverity(maint::MaintSeverity s) {
  return static_cast<audit::Severity>(static_cast<int>(s));
}

std::string MaintJson(const maint::MaintAuditReport& r) {
  json findings = json::array();
  for (const maint::MaintFinding& f : r.findings) findings.push_back(FindingJson(f));
  json doc = {{"summary", Summary(r)}, {"findings", std::move(findings)}, {"notes", r.notes}};
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string MaintSarifJson(const maint::MaintAuditReport& r, const SarifOptions& options) {
  json rules = json::array();
  std::map<std::string, size_t> rule_index;
  for (const maint::MaintRuleInfo& c : maint::MaintRules()) {
    rule_index.emplace(c.id, rules.size());
    rules.push_back(internal::SarifRule({c.id, c.title, c.rationale, c.remediation,
                                         ToAuditSeverity(c.severity), "maint-audit.md", "maintenance"},
                                        options));
  }
  json results = json::array();
  for (const maint::MaintFinding& f : r.findings) {
    audit::Severity sev = ToAuditSeverity(f.severity);
    json locations = json::array();
    for (const maint::MaintEvidence& e : f.evidence) {
      if (IsLogical(e.where)) {
        locations.push_back(
            {{"logicalLocations",
              json::array({{{"name", e.where},
                            {"fullyQualifiedName", "transparency-log/" + e.where},
                            {"kind", "resource"}}})},
             {"message", {{"text", e.text.empty() ? e.where : e.text}}}});
        continue;
      }
      auto [file, line] = FileLine(e.where);
      json physical = {{"artifactLocation", {{"uri", ProvenanceUri(file)}}}};
      if (line > 0) physical["region"] = {{"startLine", line}};
      locations.push_back({{"physicalLocation", std::move(physical)},
                           {"message", {{"text", e.text.empty() ? e.where : e.text}}}});
    }
    json result = {{"ruleId", f.rule_id}};
    if (auto it = rule_index.find(f.rule_id); it != rule_index.end()) {
      result["ruleIndex"] = it->second;
    }
    result["level"] = SarifLevel(sev);
    result["message"] = {{"text", f.message}};
    result["locations"] = std::move(locations);
    result["partialFingerprints"] = {{"clearbox-maint/v1", Fingerprint(f)}};
    json props = FindingJson(f);
    props.erase("rule");
    props.erase("message");
    props.erase("evidence");
    result["properties"] = std::move(props);
    results.push_back(std::move(result));
  }
  json run = {{"tool",
               {{"driver",
                 {{"name", "clearbox"},
                  {"fullName", "clearbox maint audit " + options.tool_version},
                  {"version", options.tool_version},
                  {"semanticVersion", options.tool_version},
                  {"informationUri", options.docs_base_uri + "maint-audit.md"},
                  {"rules", std::move(rules)}}}}},
              {"automationDetails", {{"id", "clearbox-maint/"}}},
              {"results", std::move(results)},
              {"properties", {{"summary", Summary(r)}, {"notes", r.notes}}}};
  json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({std::move(run)})}};
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace clearbox::report
