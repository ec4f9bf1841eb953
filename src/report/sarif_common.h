// What the SARIF writers of `audit` (sarif.cc), `watch` (watch_sarif.cc) and `maint audit`
// (maint_sarif.cc) share.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "clearbox/audit/finding.h"
#include "clearbox/report/sarif.h"
#include "clearbox/watch/watch.h"

namespace clearbox::report::internal {

// GitHub code scanning's "security-severity" (0.0-10.0) of a severity.
std::string SecuritySeverity(audit::Severity s);
// SARIF's "friendly name" (validator rule SARIF2012): one PascalCase identifier, articles
// dropped ("second account with UID 0" -> "SecondAccountWithUid0").
std::string PascalName(std::string_view title);
// A rule's "reportingDescriptor": id, friendly name, descriptions, help (text and markdown),
// helpUri = DOCS_BASE + doc + "#" + the id in lower case, level and properties (tags, GitHub's
// security-severity, clearbox's severity).
struct RuleText {
  std::string_view id, title, rationale, remediation;
  audit::Severity severity;
  std::string_view doc;  // "watch.md"
  std::string_view tag;  // "traffic"
};
nlohmann::ordered_json SarifRule(const RuleText& rule, const SarifOptions& options);

// The run of a watch report: WatchSarifJson's only run, and the second run of the audit's
// log with a capture (SarifJson with a WatchReport).
nlohmann::ordered_json WatchSarifRun(const watch::WatchReport& r, const SarifOptions& options);

}  // namespace clearbox::report::internal
