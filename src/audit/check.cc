// The check registry, RunAudit and the report's JSON.
#include "clearbox/audit/check.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

#include "accounts_checks.h"

namespace clearbox::audit {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "info";
}

std::optional<Severity> ParseSeverity(std::string_view name) {
  for (Severity s :
       {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical}) {
    if (SeverityName(s) == name) return s;
  }
  return std::nullopt;
}

bool FindingBefore(const Finding& a, const Finding& b) {
  static const Evidence kNone;
  const Evidence& ea = a.evidence.empty() ? kNone : a.evidence.front();
  const Evidence& eb = b.evidence.empty() ? kNone : b.evidence.front();
  return std::tie(b.severity, a.check_id, ea.provenance, ea.offset, a.message) <
         std::tie(a.severity, b.check_id, eb.provenance, eb.offset, b.message);
}

const std::vector<Check>& AllChecks() {
  static const std::vector<Check> checks = [] {
    std::vector<Check> out;
    internal::AddAccountChecks(out);
    std::sort(out.begin(), out.end(), [](const Check& a, const Check& b) { return a.id < b.id; });
    return out;
  }();
  return checks;
}

const Check* FindCheck(std::string_view id) {
  for (const Check& c : AllChecks()) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

Result<AuditReport> RunAudit(const inventory::Inventory& inv, const AuditOptions& options) {
  for (const std::string& id : options.only) {
    if (FindCheck(id) == nullptr) return Error::InvalidInput("unknown check id '" + id + "'");
  }
  AuditReport report;
  report.image = inv.image;
  report.sha256 = inv.sha256;
  for (const Check& check : AllChecks()) {
    if (!options.only.empty() &&
        std::find(options.only.begin(), options.only.end(), check.id) == options.only.end()) {
      continue;
    }
    check.run(inv, report.findings);
    report.checks_run.push_back(check.id);
  }
  std::stable_sort(report.findings.begin(), report.findings.end(), FindingBefore);
  return report;
}

std::string AuditReportJson(const AuditReport& report) {
  using json = nlohmann::ordered_json;
  json doc;
  doc["image"] = report.image;
  doc["sha256"] = report.sha256;
  doc["checks_run"] = report.checks_run;
  json findings = json::array();
  for (const Finding& f : report.findings) {
    json evidence = json::array();
    for (const Evidence& e : f.evidence) {
      evidence.push_back({{"provenance", e.provenance},
                          {"path", e.path},
                          {"offset", e.offset},
                          {"excerpt", e.excerpt}});
    }
    findings.push_back({{"check_id", f.check_id},
                        {"severity", SeverityName(f.severity)},
                        {"message", f.message},
                        {"evidence", std::move(evidence)}});
  }
  doc["findings"] = std::move(findings);
  // Replace, not throw, on bytes that are not UTF-8 (excerpts come from the image).
  return doc.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace clearbox::audit
