// EquivalenceText and EquivalenceJson (docs/diff.md).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "clearbox/diff/equivalence.h"

namespace clearbox::diff {

std::string EquivalenceText(const EquivalenceReport& r) {
  std::string out = fmt::format("OLD {}  sha256:{}\nNEW {}  sha256:{}\n", r.old_image,
                                r.old_sha256, r.new_image, r.new_sha256);
  out += fmt::format("{} files compared, {} differ{}\n", r.files_compared, r.differences.size(),
                     r.partial ? " (an image was not read whole: see notes)" : "");
  for (const FileDifference& d : r.differences) {
    out += fmt::format("  {:<12} {}", d.difference, d.path);
    if (d.offset_known) out += fmt::format(" at offset {} (0x{:x})", d.offset, d.offset);
    if (!d.section.empty()) out += fmt::format(" in {}", d.section);
    if (!d.detail.empty()) out += fmt::format(": {}", d.detail);
    out += "\n";
  }
  if (!r.normalised.empty()) {
    out += "normalised:";
    for (const std::string& n : r.normalised) out += fmt::format(" {};", n);
    out.back() = '\n';
  }
  out += r.equivalent ? "EQUIVALENT\n" : "NOT EQUIVALENT\n";
  return out;
}

std::string EquivalenceJson(const EquivalenceReport& r, int indent) {
  nlohmann::json diffs = nlohmann::json::array();
  for (const FileDifference& d : r.differences) {
    nlohmann::json j = {{"path", d.path}, {"difference", d.difference}};
    j["offset"] = d.offset_known ? nlohmann::json(d.offset) : nlohmann::json();
    j["section"] = d.section.empty() ? nlohmann::json() : nlohmann::json(d.section);
    j["detail"] = d.detail;
    j["old_sha256"] = d.old_sha256;
    j["new_sha256"] = d.new_sha256;
    diffs.push_back(std::move(j));
  }
  nlohmann::json doc = {{"old", {{"image", r.old_image}, {"sha256", r.old_sha256}}},
                        {"new", {{"image", r.new_image}, {"sha256", r.new_sha256}}},
                        {"equivalent", r.equivalent},
                        {"partial", r.partial},
                        {"files_compared", r.files_compared},
                        {"differences", std::move(diffs)},
                        {"normalised", r.normalised}};
  return doc.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace clearbox::diff
