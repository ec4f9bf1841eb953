// SARIF 2.1.0 of an audit: the checks as rules, the findings as results, for GitHub code
// scanning and any SARIF viewer.
//
//   auto report = clearbox::audit::RunAudit(inv, {});
//   std::string sarif = clearbox::report::SarifJson(*report, clearbox::audit::AllChecks());
//
// tool.driver.rules: every check that ran (id, a PascalCase name from the title, descriptions,
// help = remediation as text and Markdown, helpUri into the check documentation,
// properties.ts33117 and tags, security-severity, defaultConfiguration.level); results: one
// per finding (ruleId, level from severity, message, one location per evidence with the
// provenance as a percent-encoded artifact URI, the byte offset and the excerpt as snippet,
// partialFingerprints from the check id, the path inside the filesystem and the excerpt, so
// they stay the same across runs and re-packing of the same content; for an endpoint finding,
// properties.endpoint, the bare host or address, and properties.endpointSeen, "file",
// "program-strings" or "message-text": audit::Finding::endpoint); run.automationDetails
// names the image (GitHub's category), run.properties the image hash, the checks run and the
// count of suppressed findings. Deterministic: the same report gives the same bytes. Never
// fails (bytes that are not UTF-8 become U+FFFD). Microsoft's SARIF multitool `validate`
// reports no error or warning on it (src/report/sarif_test.cc, tests/audit_report_test.sh).
//
//   auto accepted = ParseSarifBaseline(old_sarif_text, "old.sarif");   // --baseline
//   options.baseline = *accepted;
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"

#include "clearbox/audit/check.h"
#include "clearbox/watch/watch.h"

namespace clearbox::report {

struct SarifOptions {
  std::string tool_version = "0.1.0";
  // Where the documentation (the repository's docs/) is published: driver.informationUri is
  // this + "checks.md", each rule's helpUri this + its family's page ("checks/keys.md").
  std::string docs_base_uri = "https://clearbox.invalid/docs/";
};

std::string SarifJson(const audit::AuditReport& report, const std::vector<audit::Check>& checks,
                      const SarifOptions& options = {});
// The same log with a second run, the device's traffic judged against its MUD profile
// (`clearbox audit --capture`): that run is what report::WatchSarifJson writes (rules and
// results CB-WATCH-*, its own automationDetails "clearbox-watch/DEVICE/"), so each run keeps
// its tool description and GitHub category. Deterministic; never fails.
std::string SarifJson(const audit::AuditReport& report, const std::vector<audit::Check>& checks,
                      const watch::WatchReport& traffic, const SarifOptions& options = {});

// "error" (critical, high), "warning" (medium), "note" (low, info).
std::string_view SarifLevel(audit::Severity s);

// A provenance as a relative URI reference: every byte outside RFC 3986's unreserved set
// and "/!@$&'()*+,;=" percent-encoded (':' too, so no segment looks like a scheme).
std::string ProvenanceUri(std::string_view provenance);

// The fingerprints (partialFingerprints["clearbox/v1"]) of every result in a SARIF log that
// an earlier `clearbox audit --format sarif` wrote: the findings a person accepted
// (AuditOptions::baseline). Results without a clearbox fingerprint (other tools) are skipped.
// Errors: kInvalidInput naming `name` and, where it applies, the JSON path of what was wrong
// (not JSON, not SARIF 2.1.0, a fingerprint that is not 64 hex digits).
Result<std::set<std::string>> ParseSarifBaseline(std::string_view text, std::string_view name);

}  // namespace clearbox::report
