// Pieces of the HTML report (html.cc) that live in their own files.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "clearbox/inventory/inventory.h"
#include "clearbox/diff/diff.h"
#include "clearbox/report/diff_html.h"
#include "clearbox/report/html.h"

namespace clearbox::report::internal {

// Appends the browsable tree of every filesystem's files (nested <details> per directory),
// bounded by options.max_tree_entries / max_dir_entries / max_tree_depth, with a line for
// what was left out. Files whose provenance is in `hits` (evidence of a finding) are marked.
void AppendFileTree(std::string& out, const inventory::Inventory& inv,
                    const std::set<std::string>& hits, const HtmlOptions& options);

// "drwxr-xr-x", "-rwsr-xr-x", "lrwxrwxrwx" for a node.
std::string ModeString(const unpack::Node& node);

// The diff's summary and one <section> per diff section (diff_html.cc): the body of the diff
// page, and the "Changes since" section of the audit page. heading: "h2" or "h3". Ids are
// "diff-summary" and "diff-<section>", so they do not collide with the audit page's.
void AppendDiffBody(std::string& out, const diff::ImageDiff& d, const DiffHtmlOptions& options,
                    std::string_view heading);
// The CSS the diff body needs on top of kHtmlStyle.
extern const std::string_view kDiffStyle;

}  // namespace clearbox::report::internal
