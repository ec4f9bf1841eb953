// HTML of `clearbox watch`: a section (for any report page) and a standalone page.
#include <fmt/format.h>

#include <ctime>
#include <map>

#include "clearbox/report/html.h"
#include "clearbox/report/watch.h"
#include "html_common.h"

namespace clearbox::report {
namespace {

std::string E(std::string_view s) { return HtmlEscape(internal::Clip(s, 4096)); }

std::string Time(int64_t ns) {
  time_t secs = static_cast<time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:02}:{:02}:{:02}.{:06}", tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (ns % 1'000'000'000) / 1000);
}

std::string Proto(uint8_t p) {
  return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : p == 58 ? "icmpv6"
                                                                      : fmt::format("{}", p);
}

void Flows(std::string& out, const watch::WatchFinding& f) {
  if (f.flows.empty()) return;
  out += "<table><tr><th>first</th><th>last</th><th>originator</th><th>responder</th>"
         "<th>proto</th><th>bytes out/in</th><th>packets</th><th>note</th></tr>\n";
  for (const watch::FlowEvidence& e : f.flows) {
    std::string packets;
    for (uint64_t n : e.packets) packets += (packets.empty() ? "" : ", ") + std::to_string(n);
    std::string note = e.note;
    for (const std::string& n : e.names) note += (note.empty() ? "" : "; ") + n;
    out += fmt::format(
        "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}:{}</td>"
        "<td class=\"mono\">{}:{}</td><td>{}</td><td>{} / {}</td><td class=\"mono\">{}</td>"
        "<td class=\"mono\">{}</td></tr>\n",
        Time(e.first_ns), Time(e.last_ns), E(e.orig_h), e.orig_p, E(e.resp_h), e.resp_p,
        Proto(e.proto), e.orig_bytes, e.resp_bytes, packets, E(note));
  }
  out += "</table>\n";
  if (f.flow_count > f.flows.size()) {
    out += fmt::format("<p class=\"muted\">{} more not listed.</p>\n",
                       f.flow_count - f.flows.size());
  }
}

}  // namespace

std::string WatchHtmlSection(const watch::WatchReport& r, audit::Severity fail_on) {
  std::vector<audit::Severity> found;
  for (const watch::WatchFinding& f : r.findings) found.push_back(ToAuditSeverity(f.severity));
  std::string out = "<section id=\"watch\">\n<h2>Traffic against the declared behaviour</h2>\n";
  std::string ips;
  for (const std::string& ip : r.device_ips) ips += (ips.empty() ? "" : ", ") + ip;
  out += fmt::format(
      "<p>Capture <span class=\"mono\">{}</span>, device <span class=\"mono\">{}</span> ({}), "
      "profile <span class=\"mono\">{}</span>: {} packets, {} flows of which {} declared.</p>\n",
      E(r.capture), E(r.device), E(ips), E(r.mud_url), r.stats.packets, r.flows,
      r.declared_flows);
  out += internal::VerdictAndCounts("watch", found, fail_on);
  for (const watch::WatchFinding& f : r.findings) {
    audit::Severity s = ToAuditSeverity(f.severity);
    out += fmt::format("<div class=\"finding {}\" data-check=\"{}\"><h3>{} {}</h3>"
                       "<div class=\"msg\">{}</div>\n",
                       internal::SevClass(s), E(f.check_id), internal::Badge(s), E(f.check_id),
                       E(f.message));
    if (!f.facts.empty()) {
      out += "<dl>";
      for (const auto& [k, v] : f.facts) out += "<dt>" + E(k) + "</dt><dd>" + E(v) + "</dd>";
      out += "</dl>\n";
    }
    for (const watch::ImageLocation& where : f.image_locations) {
      out += "<div>in the image: <span class=\"mono\">" + E(where.uri) + "</span>" +
             (where.byte_offset ? fmt::format(" at byte {}", *where.byte_offset) : "") +
             "</div>\n";
    }
    Flows(out, f);
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

std::string WatchHtml(const watch::WatchReport& r, audit::Severity fail_on) {
  std::string out;
  internal::AppendPageHead(out, "clearbox watch: " + E(r.device));
  out += "<header><h1>clearbox watch: " + E(r.device) + "</h1></header>\n<main>\n";
  out += WatchHtmlSection(r, fail_on);
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace clearbox::report
