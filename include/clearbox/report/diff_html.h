// One self-contained HTML page of `clearbox diff`, for the evaluator reviewing an update, in
// the audit page's style (html.h) and in the order the review goes: a summary (changes per
// section; findings new and fixed by severity), then accounts, services and how they start,
// keys, endpoints, setuid/setgid files, components (added, removed, upgraded, downgraded,
// with both versions), findings new and fixed, and the changed ELF binaries.
//
//   diff::ImageDiff d = diff::DiffAudits(*old_audit, *new_audit);
//   std::string page = report::DiffHtml(d);
//
// The same page rules as the audit's: CSS inline, no script, no fetch (a
// Content-Security-Policy forbids both), every string from an image escaped (HtmlEscape) and
// clipped to max_text bytes, so a hostile name is text, never markup. A section without
// change says "No change." Machine-readable facts for tests and scrapers: the element with id
// "diff-summary" carries data-changes, data-new-findings and data-fixed-findings; each
// section is a <section data-section="accounts" data-changes="N">, each change a
// <tr data-change="added">; each severity cell of the summary a data-severity with data-new
// and data-fixed. Deterministic; never fails.
#pragma once

#include <cstddef>
#include <string>

#include "clearbox/audit/finding.h"
#include "clearbox/diff/diff.h"

namespace clearbox::report {

struct DiffHtmlOptions {
  std::string tool_version = "0.1.0";
  // The summary is marked as a failure when a new finding is at least this severe.
  audit::Severity fail_on = audit::Severity::kHigh;
  size_t max_changes = 2000;  // rows listed per section (all are counted)
  size_t max_evidence = 3;    // evidence lines shown per change (the JSON has them all)
  size_t max_text = 2048;     // bytes shown of one name, summary, detail or evidence line
};

std::string DiffHtml(const diff::ImageDiff& d, const DiffHtmlOptions& options = {});

}  // namespace clearbox::report
