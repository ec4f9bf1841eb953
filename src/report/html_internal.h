// Pieces of the HTML report (html.cc) that live in their own files.
#pragma once

#include <set>
#include <string>

#include "clearbox/inventory/inventory.h"
#include "clearbox/report/html.h"

namespace clearbox::report::internal {

// Appends the browsable tree of every filesystem's files (nested <details> per directory),
// bounded by options.max_tree_entries / max_dir_entries / max_tree_depth, with a line for
// what was left out. Files whose provenance is in `hits` (evidence of a finding) are marked.
void AppendFileTree(std::string& out, const inventory::Inventory& inv,
                    const std::set<std::string>& hits, const HtmlOptions& options);

// "drwxr-xr-x", "-rwsr-xr-x", "lrwxrwxrwx" for a node.
std::string ModeString(const unpack::Node& node);

}  // namespace clearbox::report::internal
