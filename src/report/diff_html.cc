// The HTML page of `clearbox diff` (diff_html.h), and its body for the audit page's
// "Changes since" section (html_internal.h).
#include "clearbox/report/diff_html.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

#include "clearbox/report/html.h"
#include "html_common.h"
#include "html_internal.h"

namespace clearbox::report {

namespace internal {

// Change kinds as badges in the colours of the severities: what an update adds is what the
// evaluator looks at first.
extern const std::string_view kDiffStyle = R"css(
.chg { display: inline-block; min-width: 78px; padding: 1px 6px; border-radius: 3px;
  color: #fff; font-size: 11px; font-weight: 700; text-transform: uppercase; text-align: center; }
.chg.added { background: var(--high); } .chg.new { background: var(--critical); }
.chg.removed { background: var(--info); } .chg.fixed, .chg.upgraded { background: var(--ok); }
.chg.changed { background: var(--low); } .chg.downgraded { background: var(--critical); }
.verdict.changed { border-color: var(--medium); background: #fdf8ec; }
.verdict.changed .word { color: var(--medium); }
.count .fixed { display: block; color: var(--ok); }
.sections a { margin-right: 12px; }
td.check { white-space: nowrap; }
)css";

}  // namespace internal

namespace {

using audit::Severity;

std::string E(std::string_view s, const DiffHtmlOptions& o) {
  return HtmlEscape(internal::Clip(s, o.max_text));
}

// How each section of diff.h is titled and what its name column holds; in the order of
// ImageDiff::sections, which is the evaluator's.
struct SectionInfo {
  std::string_view name, title, key, blurb;
};
constexpr SectionInfo kSections[] = {
    {"accounts", "Accounts", "Login name",
     "/etc/passwd: uid, gid, home and shell; the password state from /etc/shadow."},
    {"services", "Services and start-up", "Program",
     "What starts each service (inittab, init scripts, systemd, inetd, ...) and its ports."},
    {"keys", "Keys", "Fingerprint",
     "Private keys, authorized keys and keys inside programs, by fingerprint."},
    {"endpoints", "Endpoints", "Host or address",
     "Outbound endpoints the image names; only their presence is compared."},
    {"setuid", "Setuid and setgid files", "File", "The set-id bits, the mode and the owner."},
    {"components", "Components", "Component",
     "Versions compared by the component's own scheme (dpkg, apk, semver, ...)."},
    {"findings", "Findings new and fixed", "Finding",
     "Findings matched by their fingerprint (check, evidence path and excerpt)."},
    {"binaries", "Changed binaries", "ELF file", "Content (SHA-256) and hardening."},
};

SectionInfo Info(std::string_view name) {
  for (const SectionInfo& s : kSections) {
    if (s.name == name) return s;
  }
  return {name, name, "Name", ""};
}

// A finding's summary as diff.cc writes it: "<severity> <check id>: <message>".
struct FindingSummary {
  std::optional<Severity> severity;
  std::string_view check, message;
};

FindingSummary ParseFinding(const diff::Change& c) {
  std::string_view s = c.kind == diff::ChangeKind::kRemoved ? c.before : c.after;
  FindingSummary out;
  out.message = s;
  size_t space = s.find(' ');
  size_t colon = s.find(": ");
  if (space == std::string_view::npos || colon == std::string_view::npos || colon < space) {
    return out;
  }
  out.severity = audit::ParseSeverity(s.substr(0, space));
  if (!out.severity) return out;
  out.check = s.substr(space + 1, colon - space - 1);
  out.message = s.substr(colon + 2);
  return out;
}

std::string KindBadge(const diff::Change& c, bool finding) {
  return fmt::format("<span class=\"chg {0}\">{0}</span>", diff::ChangeKindName(c.kind, finding));
}

std::string Evidence(const diff::Change& c, const DiffHtmlOptions& o) {
  std::string out;
  for (size_t i = 0; i < c.evidence.size() && i < o.max_evidence; ++i) {
    out += "<div class=\"mono\">" + E(c.evidence[i], o) + "</div>";
  }
  if (c.evidence.size() > o.max_evidence) {
    out += fmt::format("<div class=\"muted\">and {} more places</div>",
                       c.evidence.size() - o.max_evidence);
  }
  return out;
}

std::string Text(std::string_view s, const DiffHtmlOptions& o) {
  return s.empty() ? std::string("<span class=\"muted\">—</span>") : E(s, o);
}

void Summary(std::string& out, const diff::ImageDiff& d, const DiffHtmlOptions& o) {
  std::map<Severity, std::pair<size_t, size_t>> counts;  // new, fixed
  size_t added = 0, fixed = 0, severe = 0;
  for (const diff::Section& s : d.sections) {
    if (s.name != "findings") continue;
    for (const diff::Change& c : s.changes) {
      bool is_new = c.kind == diff::ChangeKind::kAdded;
      (is_new ? added : fixed) += 1;
      std::optional<Severity> sev = ParseFinding(c).severity;
      if (!sev) continue;
      (is_new ? counts[*sev].first : counts[*sev].second) += 1;
      if (is_new && *sev >= o.fail_on) ++severe;
    }
  }
  size_t total = d.ChangeCount();
  std::string_view verdict = severe > 0 ? "fail" : total > 0 ? "changed" : "pass";
  out += fmt::format(
      "<section id=\"diff-summary\" class=\"verdict {0}\" data-verdict=\"{0}\" "
      "data-changes=\"{1}\" data-new-findings=\"{2}\" data-fixed-findings=\"{3}\">\n",
      verdict, total, added, fixed);
  out += fmt::format("<div class=\"word\">{}</div>\n<div>",
                     severe > 0 ? "NEW FINDINGS" : total > 0 ? "CHANGED" : "NO CHANGE");
  if (total == 0) {
    out += "<div>No security-relevant change between the two images.</div>\n";
  } else {
    out += fmt::format("<div><b id=\"change-count\">{}</b> security-relevant change{}:</div>\n"
                       "<div class=\"sections\">",
                       total, total == 1 ? "" : "s");
    for (const diff::Section& s : d.sections) {
      if (s.changes.empty()) continue;
      out += fmt::format("<a href=\"#diff-{}\">{} {}</a>", E(s.name, o), E(Info(s.name).title, o),
                         s.changes.size());
    }
    out += "</div>\n";
  }
  out += fmt::format("<div>Findings: <b>{}</b> new ({} at or above {}), <b>{}</b> fixed.</div>\n",
                     added, severe, audit::SeverityName(o.fail_on), fixed);
  for (const diff::ImageSide* side : {&d.old_image, &d.new_image}) {
    if (side->partial) {
      out += fmt::format("<div class=\"partial\"><b>{} was not read whole</b>: the unpacker "
                         "could not open everything in it, so this diff may miss changes.</div>\n",
                         side == &d.old_image ? "OLD" : "NEW");
    }
  }
  out += "</div></section>\n<div class=\"counts\">\n";
  for (Severity s : internal::kWorstFirst) {
    auto [n, f] = counts[s];
    out += fmt::format("<div class=\"count {0}\" data-severity=\"{0}\" data-new=\"{1}\" "
                       "data-fixed=\"{2}\"><b>{1} new</b>{0}<span class=\"fixed\">{2} fixed"
                       "</span></div>\n",
                       internal::SevClass(s), n, f);
  }
  out += "</div>\n";
}

void FindingRows(std::string& out, const diff::Section& s, const DiffHtmlOptions& o) {
  // New before fixed, worst first: the order the evaluator reads them in (the diff's own
  // order, by fingerprint, says nothing to a person).
  std::vector<std::pair<const diff::Change*, FindingSummary>> rows;
  for (const diff::Change& c : s.changes) rows.emplace_back(&c, ParseFinding(c));
  auto key = [](const auto& row) {
    const FindingSummary& f = row.second;
    return std::make_tuple(row.first->kind != diff::ChangeKind::kAdded,
                           -static_cast<int>(f.severity.value_or(Severity::kInfo)), f.check,
                           f.message, std::string_view(row.first->name));
  };
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const auto& a, const auto& b) { return key(a) < key(b); });
  out += "<table><tr><th>Change</th><th>Severity</th><th>Check</th><th>Finding</th>"
         "<th>Evidence</th><th>Fingerprint</th></tr>\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const diff::Change& c = *rows[i].first;
    const FindingSummary& f = rows[i].second;
    if (i == o.max_changes) {
      out += fmt::format("<tr><td colspan=\"6\" class=\"omitted\">{} more not listed (clearbox "
                         "diff --json lists them all)</td></tr>\n",
                         s.changes.size() - i);
      break;
    }
    out += fmt::format(
        "<tr data-change=\"{}\"><td>{}</td><td>{}</td><td class=\"mono check\">{}</td><td>{}</td>"
        "<td class=\"path\">{}</td><td class=\"mono muted path\">{}</td></tr>\n",
        diff::ChangeKindName(c.kind, true), KindBadge(c, true),
        f.severity ? internal::Badge(*f.severity) : std::string(), E(f.check, o),
        E(f.message, o), Evidence(c, o), E(c.name, o));
  }
  out += "</table>\n";
}

void ChangeRows(std::string& out, const diff::Section& s, const SectionInfo& info,
                const DiffHtmlOptions& o) {
  out += fmt::format("<table><tr><th>Change</th><th>{}</th><th>OLD</th><th>NEW</th>"
                     "<th>What changed</th><th>Evidence</th></tr>\n",
                     E(info.key, o));
  for (size_t i = 0; i < s.changes.size(); ++i) {
    const diff::Change& c = s.changes[i];
    if (i == o.max_changes) {
      out += fmt::format("<tr><td colspan=\"6\" class=\"omitted\">{} more not listed (clearbox "
                         "diff --json lists them all)</td></tr>\n",
                         s.changes.size() - i);
      break;
    }
    std::string details;
    for (const std::string& line : c.details) details += "<div>" + E(line, o) + "</div>";
    out += fmt::format(
        "<tr data-change=\"{}\"><td>{}</td><td class=\"mono path\">{}</td><td>{}</td>"
        "<td>{}</td><td class=\"path\">{}</td><td class=\"path\">{}</td></tr>\n",
        diff::ChangeKindName(c.kind), KindBadge(c, false), E(c.name, o), Text(c.before, o),
        Text(c.after, o), details, Evidence(c, o));
  }
  out += "</table>\n";
}

}  // namespace

void internal::AppendDiffBody(std::string& out, const diff::ImageDiff& d,
                              const DiffHtmlOptions& options, std::string_view heading) {
  Summary(out, d, options);
  for (const diff::Section& s : d.sections) {
    SectionInfo info = Info(s.name);
    out += fmt::format("<section id=\"diff-{0}\" data-section=\"{0}\" data-changes=\"{1}\">\n"
                       "<{2}>{3} ({1})</{2}>\n",
                       E(s.name, options), s.changes.size(), heading, E(info.title, options));
    if (s.changes.empty()) {
      out += "<p class=\"muted no-change\">No change.</p>\n</section>\n";
      continue;
    }
    if (!info.blurb.empty()) out += "<p class=\"muted\">" + E(info.blurb, options) + "</p>\n";
    if (s.name == "findings") {
      FindingRows(out, s, options);
    } else {
      ChangeRows(out, s, info, options);
    }
    out += "</section>\n";
  }
}

std::string DiffHtml(const diff::ImageDiff& d, const DiffHtmlOptions& options) {
  std::string old_name = E(d.old_image.image, options);
  std::string new_name = E(d.new_image.image, options);
  std::string out;
  internal::AppendPageHead(out, fmt::format("clearbox diff: {} → {}", old_name, new_name),
                           internal::kDiffStyle);
  out += fmt::format("<header><h1>clearbox diff: {} → {}</h1>\n", old_name, new_name);
  out += fmt::format("<div class=\"meta\">OLD {} sha256 {}{} · NEW {} sha256 {}{}</div>"
                     "</header>\n<nav><a href=\"#diff-summary\">Summary</a>",
                     old_name, E(d.old_image.sha256, options),
                     d.old_image.partial ? " <b>(partial)</b>" : "", new_name,
                     E(d.new_image.sha256, options), d.new_image.partial ? " <b>(partial)</b>" : "");
  for (const diff::Section& s : d.sections) {
    out += fmt::format("<a href=\"#diff-{}\">{}</a>", E(s.name, options),
                       E(Info(s.name).title, options));
  }
  out += "</nav>\n<main>\n";
  internal::AppendDiffBody(out, d, options, "h2");
  out += fmt::format("</main>\n<footer>clearbox {} · clearbox diff --json has every change with "
                     "all its evidence (docs/diff.md)</footer>\n</body>\n</html>\n",
                     E(options.tool_version, options));
  return out;
}

}  // namespace clearbox::report
