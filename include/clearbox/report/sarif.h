// SARIF 2.1.0 of an audit: the checks as rules, the findings as results, for GitHub code
// scanning and any SARIF viewer.
//
//   auto report = clearbox::audit::RunAudit(inv, {});
//   std::string sarif = clearbox::report::SarifJson(*report, clearbox::audit::AllChecks());
//
// tool.driver.rules: every check given (id, name, descriptions, help = remediation,
// properties.ts33117 and tags, security-severity, defaultConfiguration.level); results: one
// per finding (ruleId, level from severity, message, one location per evidence with the
// provenance as a percent-encoded artifact URI, the byte offset and the excerpt as snippet,
// partialFingerprints from the check id, the path inside the filesystem and the excerpt, so
// they stay the same across runs and re-packing of the same content). Deterministic: the same
// report gives the same bytes. Never fails (bytes that are not UTF-8 become U+FFFD).
#pragma once

#include <string>
#include <vector>

#include "clearbox/audit/check.h"

namespace clearbox::report {

struct SarifOptions {
  std::string tool_version = "0.1.0";
};

std::string SarifJson(const audit::AuditReport& report, const std::vector<audit::Check>& checks,
                      const SarifOptions& options = {});

// "error" (critical, high), "warning" (medium), "note" (low, info).
std::string_view SarifLevel(audit::Severity s);

// A provenance as a relative URI reference: every byte outside RFC 3986's unreserved set
// and "/!@$&'()*+,;=" percent-encoded (':' too, so no segment looks like a scheme).
std::string ProvenanceUri(std::string_view provenance);

}  // namespace clearbox::report
