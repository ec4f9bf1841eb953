// Reports of `clearbox watch` (watch::WatchReport): SARIF 2.1.0, and the HTML section and page.
//
//   std::string sarif = report::WatchSarifJson(r);                     // --format sarif
//   std::string page = report::WatchHtml(r, audit::Severity::kHigh);   // --format html
//
// SARIF: tool.driver.rules are the watch checks (watch::WatchChecks()); each finding is a
// result whose location is the capture file (the packet numbers in its message and in
// properties.flows, as tshark numbers them), plus, for an endpoint from an audit, the image
// locations the audit gave; partialFingerprints["clearbox-watch/v1"] hashes the check, the
// peer and what identifies the finding (not times or counts), so a re-capture of the same
// behaviour gives the same fingerprint. Deterministic; never fails (bytes that are not
// UTF-8 become U+FFFD). Microsoft's SARIF multitool validates it without error or warning
// (tests/watch_captures_test.sh).
// HTML: WatchHtmlSection is a <section id="watch"> for a page (the audit's or the
// standalone one); everything from the capture is escaped. The element with id
// "watch-verdict" carries data-findings and data-verdict ("fail"/"pass" at `fail_on`).
#pragma once

#include <string>

#include "clearbox/audit/finding.h"
#include "clearbox/report/sarif.h"
#include "clearbox/watch/watch.h"

namespace clearbox::report {

audit::Severity ToAuditSeverity(watch::WatchSeverity s);

std::string WatchSarifJson(const watch::WatchReport& r, const SarifOptions& options = {});

std::string WatchHtmlSection(const watch::WatchReport& r, audit::Severity fail_on);
std::string WatchHtml(const watch::WatchReport& r, audit::Severity fail_on);

}  // namespace clearbox::report
