// HTML of `clearbox maint audit`: a section (for any report page) and a standalone page.
#include <fmt/format.h>

#include <map>

#include "clearbox/report/html.h"
#include "clearbox/report/maint.h"
#include "html_common.h"

namespace clearbox::report {
namespace {

std::string E(std::string_view s) { return HtmlEscape(internal::Clip(s, 4096)); }

}  // namespace

std::string MaintHtmlSection(const maint::MaintAuditReport& r, audit::Severity fail_on) {
  std::map<audit::Severity, size_t> counts;
  size_t failing = 0;
  for (const maint::MaintFinding& f : r.findings) {
    audit::Severity s = ToAuditSeverity(f.severity);
    ++counts[s];
    if (s >= fail_on) ++failing;
  }
  const bool fail = failing > 0;
  std::string out = "<section id=\"maint\">\n<h2>Vendor maintenance against its approvals</h2>\n";
  out += fmt::format(
      "<p>{} log entries: {} requests ({} approved), {} certificates, {} sealed sessions; "
      "{} logins and {} refused certificates in the devices' logs; {} recordings.</p>\n",
      r.log_entries, r.requests, r.approved, r.certificates, r.sessions, r.logins, r.refusals,
      r.recordings);
  out += fmt::format(
      "<div id=\"maint-verdict\" class=\"verdict {0}\" data-verdict=\"{0}\" "
      "data-findings=\"{1}\"><div class=\"word\">{2}</div><div>{1} findings; {3} at or above "
      "{4}.</div></div>\n<div class=\"counts\">\n",
      fail ? "fail" : "pass", r.findings.size(), fail ? "FAIL" : "PASS", failing,
      audit::SeverityName(fail_on));
  for (audit::Severity s : internal::kWorstFirst) {
    out += fmt::format("<div class=\"count {0}\" data-severity=\"{0}\" data-count=\"{1}\"><b>{1}"
                       "</b>{0}</div>\n",
                       internal::SevClass(s), counts[s]);
  }
  out += "</div>\n";
  for (const maint::MaintFinding& f : r.findings) {
    audit::Severity s = ToAuditSeverity(f.severity);
    out += fmt::format("<div class=\"finding {}\" data-check=\"{}\"><h3>{} {}</h3>"
                       "<div class=\"msg\">{}</div>\n",
                       internal::SevClass(s), E(f.rule_id), internal::Badge(s), E(f.rule_id),
                       E(f.message));
    out += "<dl>";
    if (!f.ticket.empty()) out += "<dt>ticket</dt><dd>" + E(f.ticket) + "</dd>";
    if (f.serial != 0) out += fmt::format("<dt>serial</dt><dd>{}</dd>", f.serial);
    if (!f.user.empty()) out += "<dt>account</dt><dd>" + E(f.user) + "</dd>";
    if (f.time_us != 0) {
      out += "<dt>time</dt><dd>" + E(maint::FormatUnixMicros(f.time_us)) + "</dd>";
    }
    for (const auto& [k, v] : f.facts) out += "<dt>" + E(k) + "</dt><dd>" + E(v) + "</dd>";
    out += "</dl>\n";
    if (!f.evidence.empty()) {
      out += "<table><tr><th>where</th><th>what</th></tr>\n";
      for (const maint::MaintEvidence& e : f.evidence) {
        out += "<tr><td class=\"mono\">" + E(e.where) + "</td><td class=\"mono\">" + E(e.text) +
               "</td></tr>\n";
      }
      out += "</table>\n";
    }
    out += "</div>\n";
  }
  if (!r.notes.empty()) {
    out += "<h3>Notes</h3><ul>\n";
    for (size_t i = 0; i < r.notes.size() && i < 200; ++i) out += "<li>" + E(r.notes[i]) + "</li>\n";
    out += "</ul>\n";
  }
  out += "</section>\n";
  return out;
}

std::string MaintHtml(const maint::MaintAuditReport& r, audit::Severity fail_on) {
  std::string out;
  internal::AppendPageHead(out, "clearbox maint audit");
  out += "<header><h1>clearbox maint audit</h1></header>\n<main>\n";
  out += MaintHtmlSection(r, fail_on);
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace clearbox::report
