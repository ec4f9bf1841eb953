// audit: every check over an image's inventory, with findings and evidence.
//
//   auto inv = clearbox::inventory::InventoryFile("fw.bin", {});
//   clearbox::audit::AuditOptions opts;
//   auto report = clearbox::audit::RunAudit(*inv, opts);      // every registered check
//   for (const auto& f : report->findings) ...                 // worst first
//   for (const auto& c : clearbox::audit::AllChecks()) ...     // the registry (--list-checks)
//
// Checks read the Inventory only (each file's kind and kept text), never the raw tree: the
// image is unpacked once. A check is a plain function from inventory to findings; hostile
// content (a garbage /etc/passwd, a 10 MB line) yields fewer findings, never a crash.
// docs/checks.md documents every check, what it looks at and what is not a finding.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "clearbox/audit/finding.h"
#include "clearbox/core/result.h"
#include "clearbox/inventory/inventory.h"

namespace clearbox::audit {

struct Check {
  std::string id;           // stable: "CB-ACCT-001"
  std::string title;        // "second account with UID 0"
  std::string rationale;    // why it matters
  std::string remediation;  // what the vendor should do
  // The 3GPP TS 33.117 requirement it breaks ("4.2.3.4.2.1"), empty where none applies.
  std::string ts33117_clause;
  Severity severity = Severity::kInfo;  // of its findings (a finding may say otherwise)
  std::function<void(const inventory::Inventory&, std::vector<Finding>&)> run;
};

// Every check, in id order. Thread-safe (built once).
const std::vector<Check>& AllChecks();
// The check with this id, or nullptr.
const Check* FindCheck(std::string_view id);

struct AuditOptions {
  // Run only these check ids (empty: all). An unknown id is an error.
  std::vector<std::string> only;
};

struct AuditReport {
  std::string image;                    // Inventory::image
  std::string sha256;                   // of the input
  std::vector<Finding> findings;        // sorted with FindingBefore
  std::vector<std::string> checks_run;  // ids, in order
};

// Runs the checks over `inv`. Errors: kInvalidInput for an unknown id in options.only.
Result<AuditReport> RunAudit(const inventory::Inventory& inv, const AuditOptions& options);

// The report as JSON for tools: {"image", "sha256", "checks_run", "findings": [{"check_id",
// "severity", "message", "evidence": [{"provenance", "path", "offset", "excerpt"}]}]}.
std::string AuditReportJson(const AuditReport& report);

}  // namespace clearbox::audit
