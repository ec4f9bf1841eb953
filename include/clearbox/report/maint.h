// Reports of `clearbox maint audit` (maint::MaintAuditReport): JSON, SARIF 2.1.0, and the HTML
// section and page.
//
//   std::string sarif = report::MaintSarifJson(r);                     // --format sarif
//   std::string page = report::MaintHtml(r, audit::Severity::kHigh);   // --format html
//
// SARIF: tool.driver.rules are maint::MaintRules() (CB-MAINT-001..010, helpUri into
// docs/maint-audit.md); each finding is a result whose locations are its evidence: an auth
// log line as a physical location (file and line), a log entry or a KRL as a logical one;
// partialFingerprints["clearbox-maint/v1"] hashes the rule, ticket, serial, user and the
// evidence's places, so the same event read again gives the same fingerprint. Deterministic;
// never fails (bytes that are not UTF-8 become U+FFFD). Microsoft's SARIF multitool validates
// it without error or warning (tests/maint_audit_test.sh).
// JSON: {"summary": {...}, "findings": [...], "notes": [...]}, the same facts.
// HTML: MaintHtmlSection is a <section id="maint"> for any report page; everything from the
// inputs is escaped. The element with id "maint-verdict" carries data-findings and
// data-verdict ("fail"/"pass" at `fail_on`).
#pragma once

#include <string>

#include "clearbox/audit/finding.h"
#include "clearbox/maint/reconcile.h"
#include "clearbox/report/sarif.h"

namespace clearbox::report {

audit::Severity ToAuditSeverity(maint::MaintSeverity s);

std::string MaintJson(const maint::MaintAuditReport& r);
std::string MaintSarifJson(const maint::MaintAuditReport& r, const SarifOptions& options = {});

std::string MaintHtmlSection(const maint::MaintAuditReport& r, audit::Severity fail_on);
std::string MaintHtml(const maint::MaintAuditReport& r, audit::Severity fail_on);

}  // namespace clearbox::report
