// The self-contained HTML report of an audit (html.h); the file tree is in html_tree.cc.
#include "clearbox/report/html.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "clearbox/report/watch.h"
#include "html_common.h"
#include "html_internal.h"

namespace clearbox::report {
namespace {

using audit::Finding;
using audit::Severity;
using inventory::Inventory;

using internal::Badge;
using internal::Hex;
using internal::kWorstFirst;
using internal::SevClass;

std::string E(std::string_view s) { return HtmlEscape(s); }

// Length of the UTF-8 sequence at s[i] and its code point, or 0 when it is not valid UTF-8
// (overlong forms, surrogates and values past U+10FFFF are not).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (len == 0 || c > 0xF4 || i + len > s.size()) return 0;
  uint32_t v = c & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

// Code points that reorder or hide text (bidirectional overrides, zero-width characters):
// shown as \u{...} so a file name cannot pass for another.
bool Deceptive(uint32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
         (cp >= 0x200B && cp <= 0x200F) || cp == 0xFEFF;
}

void Head(std::string& out, const audit::AuditReport& report, const HtmlOptions& options) {
  internal::AppendPageHead(out, "clearbox audit: " + E(report.image),
                           options.diff_from ? internal::kDiffStyle : std::string_view());
}

void Header(std::string& out, const audit::AuditReport& report, const Inventory& inv,
            const HtmlOptions& options) {
  out += "<header><h1>clearbox audit: " + E(report.image) + "</h1>\n";
  out += fmt::format(
      "<div class=\"meta\">sha256 {} · {} bytes · {} files · {} checks run{}</div></header>\n",
      E(report.sha256), inv.size, inv.files.size(), report.checks_run.size(),
      inv.partial ? " · <b>partial: the unpacker could not open everything (see notes)</b>" : "");
  out += "<nav><a href=\"#verdict\">Verdict</a>";
  if (options.diff_from) out += "<a href=\"#changes\">Changes</a>";
  out +=
      "<a href=\"#pledge\">Pledge</a><a href=\"#findings\">Findings</a>";
  if (options.watch) out += "<a href=\"#watch\">Traffic</a>";
  out +=
      "<a href=\"#ways-in\">Ways in</a><a href=\"#components\">Components</a><a "
      "href=\"#hardening\">ELF hardening</a><a href=\"#files\">Files</a><a "
      "href=\"#notes\">Notes</a></nav>\n<main>\n";
}

bool PledgeBroken(const audit::AuditReport& report) {
  for (const audit::PledgeItem& p : report.pledge_items) {
    if (!p.found) return true;
  }
  return std::any_of(report.findings.begin(), report.findings.end(),
                     [](const Finding& f) { return f.check_id.starts_with("CB-PLEDGE-"); });
}

void Verdict(std::string& out, const audit::AuditReport& report, const HtmlOptions& options) {
  std::map<Severity, size_t> counts;
  size_t failing = 0;
  for (const Finding& f : report.findings) {
    ++counts[f.severity];
    if (f.severity >= options.fail_on) ++failing;
  }
  size_t watch_failing = 0;
  if (options.watch) {
    for (const watch::WatchFinding& f : options.watch->findings) {
      if (ToAuditSeverity(f.severity) >= options.fail_on) ++watch_failing;
    }
  }
  bool fail = failing > 0 || watch_failing > 0;
  out += fmt::format(
      "<section id=\"verdict\" class=\"verdict {0}\" data-verdict=\"{0}\" data-findings=\"{1}\" "
      "data-suppressed=\"{2}\"{3}>\n",
      fail ? "fail" : "pass", report.findings.size(), report.suppressed,
      options.watch ? fmt::format(" data-watch-findings=\"{}\"", options.watch->findings.size())
                    : std::string());
  out += fmt::format("<div class=\"word\">{}</div>\n<div>", fail ? "FAIL" : "PASS");
  out += fmt::format("<div><b id=\"finding-count\">{}</b> findings; {} at or above {} (the "
                     "threshold of this verdict).</div>\n",
                     report.findings.size(), failing, audit::SeverityName(options.fail_on));
  if (options.watch) {
    out += fmt::format("<div>Traffic of <span class=\"mono\">{}</span> in <span class=\"mono\">"
                       "{}</span>: {} findings; {} at or above {} (<a href=\"#watch\">Traffic "
                       "against the declared behaviour</a>).</div>\n",
                       E(internal::Clip(options.watch->device, 4096)),
                       E(internal::Clip(options.watch->capture, 4096)),
                       options.watch->findings.size(), watch_failing,
                       audit::SeverityName(options.fail_on));
  }
  if (options.pledge_name.empty()) {
    out += "<div>No pledge given: the checks judged the image on their own.</div>\n";
  } else {
    out += fmt::format("<div>Pledge <span class=\"mono\">{}</span>: {}.</div>\n",
                       E(options.pledge_name),
                       PledgeBroken(report) ? "<span class=\"broken\">broken</span>"
                                            : "<span class=\"kept\">kept</span>");
  }
  if (report.suppressed > 0) {
    out += fmt::format("<div><span id=\"suppressed-count\">{}</span> findings suppressed "
                       "(accepted in the baseline{} or allowed by the allow list).</div>\n",
                       report.suppressed,
                       options.baseline_name.empty()
                           ? std::string()
                           : " <span class=\"mono\">" + E(options.baseline_name) + "</span>");
  }
  out += "</div></section>\n<div class=\"counts\">\n";
  for (Severity s : kWorstFirst) {
    out += fmt::format("<div class=\"count {0}\" data-severity=\"{0}\" data-count=\"{1}\"><b>{1}"
                       "</b>{0}</div>\n",
                       SevClass(s), counts[s]);
  }
  out += "</div>\n";
}

std::string EvidenceList(const std::vector<audit::Evidence>& evidence) {
  std::string out;
  for (const audit::Evidence& e : evidence) {
    out += fmt::format("<div><span class=\"mono\">{}</span> <span class=\"muted\">at byte {} "
                       "({})</span>",
                       E(e.provenance), e.offset, Hex(e.offset));
    if (!e.excerpt.empty()) out += "<pre>" + E(e.excerpt) + "</pre>";
    out += "</div>";
  }
  return out;
}

void Pledge(std::string& out, const audit::AuditReport& report, const HtmlOptions& options) {
  out += "<h2 id=\"pledge\">The vendor's pledge</h2>\n";
  if (options.pledge_name.empty()) {
    out += "<p class=\"muted\" id=\"no-pledge\">No pledge given (clearbox audit --pledge FILE): "
           "nothing declared to check the image against. Every way in the checks saw is listed "
           "under <a href=\"#ways-in\">Ways in</a>.</p>\n";
    return;
  }
  size_t kept = 0;
  for (const audit::PledgeItem& p : report.pledge_items) kept += p.found;
  out += fmt::format("<p>{} declared items: {} kept, {} missing. Undeclared ways in are "
                     "findings (CB-PLEDGE).</p>\n",
                     report.pledge_items.size(), kept, report.pledge_items.size() - kept);
  if (report.pledge_items.empty()) return;
  out += "<table><tr><th>Kind</th><th>Declared</th><th>Found</th><th>Detail</th>"
         "<th>Evidence</th></tr>\n";
  for (const audit::PledgeItem& p : report.pledge_items) {
    out += fmt::format("<tr><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td "
                       "class=\"path\">{}</td></tr>\n",
                       audit::ObservationKindName(p.kind), E(p.name),
                       p.found ? "<span class=\"kept\">kept</span>"
                               : "<span class=\"broken\">missing</span>",
                       E(p.detail), EvidenceList(p.evidence));
  }
  out += "</table>\n";
}

void Findings(std::string& out, const audit::AuditReport& report,
              const std::map<std::string_view, const audit::Check*>& checks,
              const HtmlOptions& options) {
  out += fmt::format("<h2 id=\"findings\">Findings ({})</h2>\n", report.findings.size());
  if (report.findings.empty()) {
    out += "<p>No findings.</p>\n";
    return;
  }
  size_t n = 0;
  for (const Finding& f : report.findings) {
    if (n == options.max_findings) {
      out += fmt::format("<p class=\"omitted\">{} more findings not listed here (all are in "
                         "report.json and report.sarif).</p>\n",
                         report.findings.size() - n);
      break;
    }
    ++n;
    auto it = checks.find(f.check_id);
    const audit::Check* c = it == checks.end() ? nullptr : it->second;
    out += fmt::format("<article class=\"finding {}\" id=\"finding-{}\" data-check=\"{}\">\n",
                       SevClass(f.severity), n, E(f.check_id));
    out += fmt::format("<h3>{} <span class=\"mono\">{}</span> {}</h3>\n", Badge(f.severity),
                       E(f.check_id), c ? E(c->title) : "");
    out += "<div class=\"msg\">" + E(f.message) + "</div>\n<dl>";
    out += "<dt>Evidence</dt><dd>" + EvidenceList(f.evidence) + "</dd>";
    if (c != nullptr) {
      out += "<dt>Why it matters</dt><dd>" + E(c->rationale) + "</dd>";
      out += "<dt>Remediation</dt><dd>" + E(c->remediation) + "</dd>";
      out += "<dt>TS 33.117</dt><dd>" +
             (c->ts33117_clause.empty() ? std::string("no clause applies")
                                        : "clause " + E(c->ts33117_clause)) +
             "</dd>";
    }
    out += "<dt>Fingerprint</dt><dd class=\"mono muted\">" + audit::FindingFingerprint(f) +
           "</dd></dl>\n</article>\n";
  }
}

void WaysIn(std::string& out, const audit::AuditReport& report, const HtmlOptions& options) {
  out += fmt::format("<h2 id=\"ways-in\">Ways in observed ({})</h2>\n", report.observations.size());
  if (report.observations.empty()) {
    out += "<p class=\"muted\">The checks that ran saw no service, login account, private key "
           "or outbound endpoint.</p>\n";
    return;
  }
  out += "<table><tr><th>Kind</th><th>Name</th><th>Ports</th><th>Detail</th><th>Check</th>"
         "<th>Where</th></tr>\n";
  size_t n = 0;
  for (const audit::Observation& o : report.observations) {
    if (n++ == options.max_observations) {
      out += fmt::format("<tr><td colspan=\"6\" class=\"omitted\">{} more not listed (see "
                         "report.json)</td></tr>\n",
                         report.observations.size() - options.max_observations);
      break;
    }
    std::string ports;
    for (uint16_t p : o.ports) ports += fmt::format("{}{}", ports.empty() ? "" : ", ", p);
    if (!o.protocol.empty() && !ports.empty()) ports += "/" + o.protocol;
    out += fmt::format(
        "<tr><td>{}</td><td class=\"mono\">{}{}</td><td>{}</td><td>{}</td><td class=\"mono\">"
        "{}</td><td class=\"path\">{}</td></tr>\n",
        audit::ObservationKindName(o.kind), E(o.name),
        o.insecure ? " <span class=\"sev high\">insecure</span>" : "", E(ports), E(o.detail),
        E(o.check_id), EvidenceList({o.evidence}));
  }
  out += "</table>\n";
}

// The rating shown for a vulnerability, as CB-VULN-001 judges it: a CVSS v3.x or v4 score
// before a v2 one, then the highest.
std::string Rating(const inventory::Vulnerability& v) {
  auto rank = [](const inventory::Rating& r) {
    int kind = r.method == "CVSSv2" ? 1 : r.method.starts_with("CVSSv") ? 2 : 0;
    return std::make_pair(r.score > 0 ? kind : -1, r.score);
  };
  const inventory::Rating* best = nullptr;
  for (const inventory::Rating& r : v.ratings) {
    if (best == nullptr || rank(r) > rank(*best)) best = &r;
  }
  if (best == nullptr) return "unrated";
  std::string word = best->severity;
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (best->score <= 0) return E(word);
  return fmt::format("{} {:.1f} {}", E(best->method), best->score, E(word));
}

void Components(std::string& out, const Inventory& inv) {
  std::vector<std::vector<const inventory::VulnerabilityMatch*>> vulns(inv.components.size());
  for (const inventory::VulnerabilityMatch& m : inv.vulnerabilities) {
    if (m.component_index < vulns.size()) vulns[m.component_index].push_back(&m);
  }
  out += fmt::format("<h2 id=\"components\">Components ({}) and known vulnerabilities ({})</h2>\n",
                     inv.components.size(), inv.vulnerabilities.size());
  if (inv.components.empty()) {
    out += "<p class=\"muted\">No component identified (no package database, no version "
           "signature matched).</p>\n";
    return;
  }
  out += "<table><tr><th>Component</th><th>Version</th><th>Source</th><th>Evidence</th>"
         "<th>Known vulnerabilities</th></tr>\n";
  for (size_t i = 0; i < inv.components.size(); ++i) {
    const inventory::Component& c = inv.components[i];
    std::string evidence;
    if (!c.evidence.empty()) {
      const inventory::Evidence& e = c.evidence.front();
      evidence = fmt::format("<span class=\"mono\">{}</span> <span class=\"muted\">at {}</span>",
                             E(e.provenance), Hex(e.offset));
      if (!e.matched.empty()) evidence += "<pre>" + E(e.matched) + "</pre>";
      if (c.evidence.size() > 1) {
        evidence += fmt::format("<span class=\"muted\">and {} more places</span>",
                                c.evidence.size() - 1);
      }
    }
    std::string list;
    for (const inventory::VulnerabilityMatch* m : vulns[i]) {
      const inventory::Vulnerability& v = m->vulnerability;
      std::string id = E(v.id);
      // Only a plain https link from the database; a click is the only way it is fetched.
      if (v.source_url.starts_with("https://") &&
          v.source_url.find_first_of("\"'<> \\") == std::string::npos) {
        id = "<a href=\"" + E(v.source_url) + "\" rel=\"noreferrer\">" + id + "</a>";
      }
      list += fmt::format("<div><span class=\"mono\">{}</span> {} · affected {}{}</div>", id,
                          Rating(v), E(m->affected_range),
                          m->fixed_version.empty() ? "" : ", fixed in " + E(m->fixed_version));
    }
    if (vulns[i].empty()) list = "<span class=\"muted\">none known</span>";
    out += fmt::format("<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td "
                       "class=\"path\">{}</td><td>{}</td></tr>\n",
                       E(c.name), E(c.version), inventory::ComponentSourceName(c.source), evidence,
                       list);
  }
  out += "</table>\n";
}

std::string YesNo(bool good, std::string_view yes = "yes", std::string_view no = "no") {
  return good ? fmt::format("<span class=\"yes\">{}</span>", yes)
              : fmt::format("<span class=\"no\">{}</span>", no);
}

void Hardening(std::string& out, const Inventory& inv, const HtmlOptions& options) {
  size_t elves = 0;
  for (const inventory::FileRecord& f : inv.files) elves += f.elf.has_value();
  out += fmt::format("<h2 id=\"hardening\">ELF hardening ({} files)</h2>\n", elves);
  if (elves == 0) {
    out += "<p class=\"muted\">No ELF file in the image.</p>\n";
    return;
  }
  out += "<p class=\"muted\">As Debian's checksec reports them. Fortify: fortified / "
         "fortifiable libc calls.</p>\n";
  out += "<table><tr><th>File</th><th>Machine</th><th>Type</th><th>NX</th><th>PIE</th>"
         "<th>RELRO</th><th>Canary</th><th>Fortify</th><th>Stripped</th><th>RPATH</th></tr>\n";
  size_t n = 0;
  for (const inventory::FileRecord& f : inv.files) {
    if (!f.elf) continue;
    if (n++ == options.max_elf_rows) {
      out += fmt::format("<tr><td colspan=\"10\" class=\"omitted\">{} more ELF files not listed "
                         "(clearbox inventory lists them all)</td></tr>\n",
                         elves - options.max_elf_rows);
      break;
    }
    const inventory::ElfHardening& h = f.elf->hardening;
    using inventory::PieKind;
    using inventory::Relro;
    std::string pie = h.pie == PieKind::kPie || h.pie == PieKind::kDso
                          ? YesNo(true, inventory::PieWord(h.pie))
                          : YesNo(false, "", inventory::PieWord(h.pie));
    std::string relro = h.relro == Relro::kFull ? YesNo(true, "full")
                        : h.relro == Relro::kPartial
                            ? "<span class=\"partial\">partial</span>"
                            : YesNo(false, "", "no");
    std::string rpath = h.rpath || h.runpath
                            ? "<span class=\"no\">" +
                                  E(f.elf->rpath.empty() ? f.elf->runpath : f.elf->rpath) +
                                  "</span>"
                            : std::string("<span class=\"muted\">none</span>");
    out += fmt::format(
        "<tr><td class=\"path mono\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}"
        "</td><td>{}</td><td>{}/{}</td><td>{}</td><td class=\"mono\">{}</td></tr>\n",
        E(f.node.provenance), E(f.elf->machine_name), E(f.elf->type_name), YesNo(h.nx), pie,
        relro, YesNo(h.canary), h.fortified, h.fortifiable, f.elf->stripped ? "yes" : "no", rpath);
  }
  out += "</table>\n";
}

void Notes(std::string& out, const audit::AuditReport& report, const Inventory& inv,
           const HtmlOptions& options) {
  std::vector<std::pair<std::string, std::string>> notes;
  for (const audit::AuditNote& n : report.notes) notes.emplace_back(n.where, n.message);
  for (const inventory::InventoryNote& n : inv.notes) {
    notes.emplace_back(fmt::format("{} at {}", n.where, Hex(n.offset)), n.message);
  }
  for (const unpack::Note& n : inv.unpack_notes) {
    if (n.kind == unpack::Note::Kind::kInfo) continue;
    notes.emplace_back(fmt::format("{} at {}", n.where, Hex(n.offset)),
                       fmt::format("{}: {}", unpack::NoteKindName(n.kind), n.message));
  }
  out += fmt::format("<h2 id=\"notes\">Notes ({})</h2>\n", notes.size());
  if (notes.empty()) {
    out += "<p class=\"muted\">None: every part of the image was read.</p>\n";
    return;
  }
  out += "<table><tr><th>Where</th><th>What</th></tr>\n";
  for (size_t i = 0; i < notes.size(); ++i) {
    if (i == options.max_notes) {
      out += fmt::format("<tr><td colspan=\"2\" class=\"omitted\">{} more notes not listed"
                         "</td></tr>\n",
                         notes.size() - i);
      break;
    }
    out += fmt::format("<tr><td class=\"path mono\">{}</td><td>{}</td></tr>\n", E(notes[i].first),
                       E(notes[i].second));
  }
  out += "</table>\n";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default:
          if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
            out += fmt::format("\\x{:02x}", c);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    } else if (Deceptive(cp) || (cp >= 0x80 && cp < 0xA0)) {
      out += fmt::format("\\u{{{:04x}}}", cp);
      i += len;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string AuditHtml(const audit::AuditReport& report, const Inventory& inv,
                      const std::vector<audit::Check>& checks, const HtmlOptions& options) {
  std::map<std::string_view, const audit::Check*> by_id;
  for (const audit::Check& c : checks) by_id.emplace(c.id, &c);
  std::set<std::string> hits;
  for (const Finding& f : report.findings) {
    if (f.severity == Severity::kInfo) continue;  // inventory (a login account), not a flag
    for (const audit::Evidence& e : f.evidence) hits.insert(e.provenance);
  }
  std::string out;
  Head(out, report, options);
  Header(out, report, inv, options);
  Verdict(out, report, options);
  if (options.diff_from) {
    // What the update changed, before the findings of the image as a whole.
    const diff::ImageDiff& d = *options.diff_from;
    DiffHtmlOptions diff_options;
    diff_options.fail_on = options.fail_on;
    out += fmt::format("<h2 id=\"changes\">Changes since <span class=\"mono\">{}</span> ({})"
                       "</h2>\n",
                       E(internal::Clip(d.old_image.image, diff_options.max_text)),
                       d.ChangeCount());
    internal::AppendDiffBody(out, d, diff_options, "h3");
  }
  Pledge(out, report, options);
  Findings(out, report, by_id, options);
  // What the device did on the wire, next to what its image holds.
  if (options.watch) out += WatchHtmlSection(*options.watch, options.fail_on);
  WaysIn(out, report, options);
  Components(out, inv);
  Hardening(out, inv, options);
  out += "<h2 id=\"files\">Files</h2>\n";
  internal::AppendFileTree(out, inv, hits, options);
  Notes(out, report, inv, options);
  out += fmt::format("</main>\n<footer>clearbox {} · checks: {}</footer>\n</body>\n</html>\n",
                     E(options.tool_version), E(fmt::format("{}", fmt::join(report.checks_run, " "))));
  return out;
}

}  // namespace clearbox::report
