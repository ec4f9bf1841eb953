// DiffText and DiffJson: the same content, for people and for tools (docs/diff.md).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "clearbox/diff/diff.h"

namespace clearbox::diff {
namespace {

// Evidence lines shown per change in text; the JSON has them all.
constexpr size_t kTextEvidence = 3;

}  // namespace

std::string DiffText(const ImageDiff& d) {
  std::string out = fmt::format("OLD {}  sha256:{}{}\nNEW {}  sha256:{}{}\n", d.old_image.image,
                                d.old_image.sha256, d.old_image.partial ? "  (partial)" : "",
                                d.new_image.image, d.new_image.sha256,
                                d.new_image.partial ? "  (partial)" : "");
  size_t total = d.ChangeCount();
  if (total == 0) return out + "no security-relevant change\n";
  out += fmt::format("{} security-relevant change{}\n", total, total == 1 ? "" : "s");
  for (const Section& s : d.sections) {
    if (s.changes.empty()) continue;
    bool finding = s.name == "findings";
    out += fmt::format("\n{} ({})\n", s.name, s.changes.size());
    for (const Change& c : s.changes) {
      std::string what;
      if (c.kind == ChangeKind::kAdded) what = c.after;
      else if (c.kind == ChangeKind::kRemoved) what = c.before;
      else what = fmt::format("{}  ->  {}", c.before, c.after);
      out += fmt::format("  {:<10} {}", ChangeKindName(c.kind, finding), c.name);
      out += what.empty() ? "\n" : fmt::format(": {}\n", what);
      for (const std::string& detail : c.details) out += fmt::format("  {:<12}{}\n", "", detail);
      for (size_t i = 0; i < c.evidence.size() && i < kTextEvidence; ++i) {
        out += fmt::format("  {:<12}at {}\n", "", c.evidence[i]);
      }
      if (c.evidence.size() > kTextEvidence) {
        out += fmt::format("  {:<12}(+{} more places)\n", "", c.evidence.size() - kTextEvidence);
      }
    }
  }
  return out;
}

std::string DiffJson(const ImageDiff& d, int indent) {
  auto side = [](const ImageSide& s) {
    return nlohmann::json{{"image", s.image}, {"sha256", s.sha256}, {"partial", s.partial}};
  };
  nlohmann::json sections = nlohmann::json::object();
  for (const Section& s : d.sections) {
    nlohmann::json changes = nlohmann::json::array();
    for (const Change& c : s.changes) {
      nlohmann::json j = {{"change", ChangeKindName(c.kind, s.name == "findings")},
                          {"name", c.name},
                          {"details", c.details},
                          {"evidence", c.evidence}};
      j["old"] = c.kind == ChangeKind::kAdded ? nlohmann::json() : nlohmann::json(c.before);
      j["new"] = c.kind == ChangeKind::kRemoved ? nlohmann::json() : nlohmann::json(c.after);
      changes.push_back(std::move(j));
    }
    sections[s.name] = std::move(changes);
  }
  nlohmann::json doc = {{"old", side(d.old_image)},
                        {"new", side(d.new_image)},
                        {"changes", d.ChangeCount()},
                        {"sections", std::move(sections)}};
  // Invalid UTF-8 from an image is replaced, never a throw.
  return doc.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace clearbox::diff
