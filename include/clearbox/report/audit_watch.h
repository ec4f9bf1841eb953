// An audit and the device's traffic in one report (`clearbox audit IMAGE --capture FILE
// --device MAC|IP`): the endpoints the audit found in the image, handed to the watch checks
// as they are (no SARIF text in between), and the audit's JSON with the watch report in it.
//
//   watch::WatchOptions options;
//   options.audit_endpoints = report::AuditEndpoints(audit->report);
//   CLEARBOX_ASSIGN_OR_RETURN(watch::WatchReport traffic,
//                             watch::WatchCapture(*cap, path, mud, options));
//   std::string json = report::AuditJson(audit->report, &traffic);
//
// The SARIF (report::SarifJson with a WatchReport) and the HTML (HtmlOptions::watch) take the
// watch report directly. Pure functions; thread-safe; never fail.
#pragma once

#include <string>
#include <vector>

#include "clearbox/audit/check.h"
#include "clearbox/watch/watch.h"

namespace clearbox::report {

// The endpoints of the audit's findings that name one (audit::Finding::endpoint: CB-NET-001
// and CB-PLEDGE-004), one per host (lower case), with the evidence as image locations (the
// provenance and byte offset, at most 16 per host), "only in programs' strings" when every
// finding saw it so; those only in a message text are left out. Sorted by host. The same
// endpoints watch::ParseAuditEndpoints reads from the audit's SARIF.
std::vector<watch::AuditEndpoint> AuditEndpoints(const audit::AuditReport& report);

// audit::AuditReportJson, with the member "watch": watch::WatchReportJson(*traffic) when
// traffic is not null (the audit's members unchanged, so a tool that reads report.json reads
// it as before).
std::string AuditJson(const audit::AuditReport& report, const watch::WatchReport* traffic);

}  // namespace clearbox::report
