// One self-contained HTML page of an audit, for a person: the verdict and a summary by
// severity, the vendor's pledge item by item, every finding with its evidence, the check's
// rationale, remediation and TS 33.117 clause, optionally the device's traffic against its
// declared behaviour (HtmlOptions::watch), the components with their known
// vulnerabilities, the ELF hardening table and a browsable tree of the image's files.
//
//   report::HtmlOptions options;
//   options.fail_on = audit::Severity::kHigh;       // what the verdict judges by
//   options.pledge_name = "pledge.json";            // empty: "no pledge given"
//   std::string page = report::AuditHtml(audit->report, audit->inventory,
//                                        audit::AllChecks(), options);
//
// The page needs nothing else: CSS inline, no script, no image, no font, and a
// Content-Security-Policy that forbids every fetch and every script, so a page opened from
// a mail or a ticket neither calls out nor runs anything. Everything that comes from the
// image (names, excerpts, versions) is escaped, and bytes that are not UTF-8 or are control
// characters are shown as \xNN, so a hostile file name is text, never markup.
// Machine-readable facts for tests and scrapers: the element with id "verdict" carries
// data-findings (the number of findings, as the JSON report counts them), data-suppressed
// and data-verdict ("fail" or "pass"); the same numbers are printed as text.
// Bounded for large images: the file tree shows at most max_tree_entries entries (deeper
// directories collapsed, at most max_dir_entries per directory, max_tree_depth levels), the
// ELF table max_elf_rows rows, and the page says how many were left out. Deterministic:
// the same inputs give the same bytes. Never fails.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/audit/check.h"
#include "clearbox/diff/diff.h"
#include "clearbox/inventory/inventory.h"
#include "clearbox/watch/watch.h"

namespace clearbox::report {

struct HtmlOptions {
  std::string tool_version = "0.1.0";
  // The verdict is "fail" when a finding is at least this severe (`--fail-on`).
  audit::Severity fail_on = audit::Severity::kHigh;
  // The pledge file the audit was judged against; empty when none was given.
  std::string pledge_name;
  // The baseline the suppressed findings came from (empty: none); shown with the count.
  std::string baseline_name;
  size_t max_findings = 10000;      // findings listed (all are counted)
  size_t max_tree_entries = 5000;   // files and directories in the tree, all filesystems
  size_t max_dir_entries = 300;     // entries listed in one directory
  size_t max_tree_depth = 48;       // directory levels
  size_t max_elf_rows = 3000;       // rows of the hardening table
  size_t max_observations = 2000;   // rows of the ways-in table
  size_t max_notes = 200;           // notes listed (all are counted)
  // The difference from an earlier image (`clearbox audit --diff-from OLD`), shown as the
  // section "Changes since OLD" as `clearbox diff --format html` shows it; null: no section.
  // Not owned: it must outlive the AuditHtml call.
  const diff::ImageDiff* diff_from = nullptr;
  // The device's traffic judged against its MUD profile (`clearbox audit --capture`), shown
  // as the section "Traffic against the declared behaviour" (<section id="watch">, as
  // report::WatchHtmlSection renders it) after the findings; null: no section. With it the
  // verdict is "fail" when a finding of either part is at least fail_on; data-findings still
  // counts the audit's findings (report.json's "findings"), data-watch-findings the
  // traffic's. Not owned: it must outlive the AuditHtml call.
  const watch::WatchReport* watch = nullptr;
};

std::string AuditHtml(const audit::AuditReport& report, const inventory::Inventory& inv,
                      const std::vector<audit::Check>& checks, const HtmlOptions& options = {});

// Text as HTML: '&', '<', '>', '"' and '\'' as entities; bytes that are not valid UTF-8, C0
// controls other than tab and newline, and DEL as the visible text "\xNN". Safe inside
// element content and inside double- or single-quoted attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace clearbox::report
