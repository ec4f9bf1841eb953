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
  std::vector<audit::Severity> found;
  for (const maint::MaintFinding& f : r.findings) found.push_back(ToAuditSeverity(f.severity));
  std::string out = "<section id=\"maint\">\n<h2>Vendor maintenance against its approvals</h2>\n";
  out += fmt::format(
      "<p>{} log entries: {} requests ({} approved), {} certificates, {} sealed sessions; "
      "{} logins and {} refused certificates in the devices' logs; {} recordings.</p>\n",
      r.log_entries, r.requests, r.approved, r.certificates, r.sessions, r.logins, r.refusals,
      r.recordings);
  out += internal::VerdictAndCounts("maint", found, fail_on);
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
