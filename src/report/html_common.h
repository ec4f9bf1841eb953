// What the HTML pages of the report module share (the audit page, html.cc, and the diff
// page, diff_html.cc): the page head with its Content-Security-Policy, the severity badges
// and the clipping of long text, so both pages look and behave the same.
#pragma once

#include <fmt/format.h>

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/audit/finding.h"
#include "clearbox/report/html.h"
#include "html_style.h"

namespace clearbox::report::internal {

inline constexpr std::array<audit::Severity, 5> kWorstFirst = {
    audit::Severity::kCritical, audit::Severity::kHigh, audit::Severity::kMedium,
    audit::Severity::kLow, audit::Severity::kInfo};

inline std::string_view SevClass(audit::Severity s) { return audit::SeverityName(s); }

inline std::string Badge(audit::Severity s) {
  return fmt::format("<span class=\"sev {0}\">{0}</span>", SevClass(s));
}

// A section's verdict box ("<div id=ID-verdict ...>") and its per-severity counts, from the
// severities of its findings: what the watch and maint audit sections open with.
inline std::string VerdictAndCounts(std::string_view id, const std::vector<audit::Severity>& found,
                                    audit::Severity fail_on) {
  std::map<audit::Severity, size_t> counts;
  size_t failing = 0;
  for (audit::Severity s : found) {
    ++counts[s];
    if (s >= fail_on) ++failing;
  }
  const bool fail = failing > 0;
  std::string out = fmt::format(
      "<div id=\"{5}-verdict\" class=\"verdict {0}\" data-verdict=\"{0}\" "
      "data-findings=\"{1}\"><div class=\"word\">{2}</div><div>{1} findings; {3} at or above "
      "{4}.</div></div>\n<div class=\"counts\">\n",
      fail ? "fail" : "pass", found.size(), fail ? "FAIL" : "PASS", failing,
      audit::SeverityName(fail_on), id);
  for (audit::Severity s : kWorstFirst) {
    out += fmt::format("<div class=\"count {0}\" data-severity=\"{0}\" data-count=\"{1}\"><b>{1}"
                       "</b>{0}</div>\n",
                       SevClass(s), counts[s]);
  }
  return out + "</div>\n";
}

inline std::string Hex(uint64_t v) { return fmt::format("0x{:x}", v); }

// "<!DOCTYPE html> ... <body>": title_html is already escaped; extra_css follows the shared
// stylesheet. No fetch, no script, no frame, no form: the page is data only.
inline void AppendPageHead(std::string& out, std::string_view title_html,
                           std::string_view extra_css = {}) {
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n";
  out += "<meta name=\"referrer\" content=\"no-referrer\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>";
  out += title_html;
  out += "</title>\n<style>";
  out += kHtmlStyle;
  out += extra_css;
  out += "</style>\n</head>\n<body>\n";
}

// At most max_bytes of `text`, cut at a UTF-8 character boundary, with "… (N more bytes)"
// when cut: a 1 MB file name from an image must not make a page nobody can read. Not
// escaped: escape the result.
inline std::string Clip(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t cut = max_bytes;
  // Back off over continuation bytes (at most 3: a UTF-8 sequence is at most 4 bytes long).
  for (int i = 0; i < 3 && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80;
       ++i) {
    --cut;
  }
  return fmt::format("{}… ({} more bytes)", text.substr(0, cut), text.size() - cut);
}

}  // namespace clearbox::report::internal
