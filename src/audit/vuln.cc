// The known-vulnerability check (CB-VULN-001): the inventory's matches against the
// vulnerability database (`clearbox audit --vulndb FILE`), one finding per CVE and component.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "families.h"

namespace clearbox::audit::internal {
namespace {

using inventory::Component;
using inventory::Inventory;
using inventory::Rating;
using inventory::Vulnerability;
using inventory::VulnerabilityMatch;

// A component seen in many files (a library copied into every rootfs) gets this many
// evidence entries; the message says how many more there were.
constexpr size_t kMaxEvidencePerFinding = 4;
// The advisory's summary is shortened to this many bytes in the message.
constexpr size_t kMaxSummaryBytes = 200;

// CVSS qualitative ratings (CVSS v3.1 specification, section 5).
Severity FromScore(double score) {
  if (score >= 9.0) return Severity::kCritical;
  if (score >= 7.0) return Severity::kHigh;
  if (score >= 4.0) return Severity::kMedium;
  if (score > 0.0) return Severity::kLow;
  return Severity::kInfo;
}

std::optional<Severity> FromWord(std::string_view word) {
  if (word == "CRITICAL") return Severity::kCritical;
  if (word == "HIGH") return Severity::kHigh;
  if (word == "MEDIUM" || word == "MODERATE") return Severity::kMedium;
  if (word == "LOW") return Severity::kLow;
  if (word == "NONE") return Severity::kInfo;
  return std::nullopt;
}

// The rating to judge by: a CVSS v3.x or v4 score first (v2 overrates and underrates too
// much to rank by), then a v2 score, then a bare word; the highest within a kind.
const Rating* BestRating(const Vulnerability& v) {
  auto rank = [](const Rating& r) {
    int kind = r.method == "CVSSv2" ? 1 : r.method.starts_with("CVSSv") ? 2 : 0;
    return std::make_tuple(r.score > 0 ? kind : -1, r.score, FromWord(r.severity).has_value());
  };
  const Rating* best = nullptr;
  for (const Rating& r : v.ratings) {
    if (best == nullptr || rank(r) > rank(*best)) best = &r;
  }
  return best;
}

struct Judged {
  std::optional<Severity> severity;  // nullopt: the records give no score or word
  double score = 0;
  std::string method;
};

Judged Judge(const Vulnerability& v) {
  Judged j;
  const Rating* r = BestRating(v);
  if (r == nullptr) return j;
  if (r->score > 0) {
    j.severity = FromScore(r->score);
    j.score = r->score;
    j.method = r->method;
  } else {
    j.severity = FromWord(r->severity);
  }
  return j;
}

// The CVE this record is about: its id, else its first CVE alias (a DSA or GHSA that names
// one), else its own id. Two records of one CVE on one component make one finding.
std::string FlawId(const Vulnerability& v) {
  if (v.id.starts_with("CVE-")) return v.id;
  for (const std::string& a : v.aliases) {
    if (a.starts_with("CVE-")) return a;
  }
  return v.id;
}

std::string Shorten(std::string_view text, size_t max) {
  std::string out;
  for (char c : text.substr(0, std::min(text.size(), max))) {
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  }
  if (text.size() > max) {
    // Do not cut a UTF-8 sequence in half.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
    out += "…";
  }
  return out;
}

// The path inside its filesystem of a provenance: from the inventory when the file is there,
// else what follows the last ':' ("fw!squashfs:/bin/busybox" -> "/bin/busybox").
std::string PathOf(const Inventory& inv, const std::string& provenance) {
  if (const inventory::FileRecord* f = inv.FindFile(provenance)) return f->node.path;
  size_t colon = provenance.rfind(':');
  return colon == std::string::npos ? provenance : provenance.substr(colon + 1);
}

// Every record of one flaw on one component.
struct Group {
  size_t component = 0;
  std::string flaw;
  std::vector<const VulnerabilityMatch*> matches;
};

Finding MakeFinding(const Inventory& inv, const Group& g) {
  const Component& c = inv.components[g.component];
  // The record that rates it worst speaks for the group.
  const VulnerabilityMatch* lead = g.matches.front();
  Judged judged = Judge(lead->vulnerability);
  for (const VulnerabilityMatch* m : g.matches) {
    Judged j = Judge(m->vulnerability);
    if (j.severity && (!judged.severity || *j.severity > *judged.severity ||
                       (*j.severity == *judged.severity && j.score > judged.score))) {
      judged = j;
      lead = m;
    }
  }
  std::string rating =
      !judged.severity ? "severity unknown"
      : judged.score > 0
          ? fmt::format("{} {:.1f}, {}", judged.method, judged.score, SeverityName(*judged.severity))
          : std::string(SeverityName(*judged.severity));
  std::string message = fmt::format("{} {} is affected by {} ({}; affected {}", c.name, c.version,
                                    g.flaw, rating, lead->affected_range);
  if (!lead->fixed_version.empty()) message += ", fixed in " + lead->fixed_version;
  message += ")";
  std::vector<std::string> others;
  for (const VulnerabilityMatch* m : g.matches) {
    const std::string& id = m->vulnerability.id;
    if (id != g.flaw && std::find(others.begin(), others.end(), id) == others.end()) {
      others.push_back(id);
    }
  }
  if (!others.empty()) message += fmt::format(" [also {}]", fmt::join(others, ", "));
  if (!lead->vulnerability.summary.empty()) {
    message += ": " + Shorten(lead->vulnerability.summary, kMaxSummaryBytes);
  }

  Finding f{"CB-VULN-001", judged.severity.value_or(Severity::kMedium), std::move(message), {}};
  // The evidence of the version; the flaw's id leads the excerpt so that each CVE of a
  // component has its own fingerprint (FindingFingerprint hashes path and excerpt), and
  // accepting one CVE in a baseline never accepts the next one published.
  for (const inventory::Evidence& e : c.evidence) {
    if (f.evidence.size() == kMaxEvidencePerFinding) break;
    f.evidence.push_back({e.provenance, PathOf(inv, e.provenance), e.offset,
                          fmt::format("{}: {}", g.flaw, e.matched)});
  }
  if (c.evidence.size() > kMaxEvidencePerFinding) {
    f.message += fmt::format(" (version seen in {} more places)",
                             c.evidence.size() - kMaxEvidencePerFinding);
  }
  return f;
}

void KnownVulnerabilities(AuditContext& ctx, std::vector<Finding>& out) {
  const Inventory& inv = ctx.inv;
  std::map<std::pair<size_t, std::string>, Group> groups;
  for (const VulnerabilityMatch& m : inv.vulnerabilities) {
    if (m.component_index >= inv.components.size()) {
      ctx.Note(m.vulnerability.id, fmt::format("match names component {} of {}; skipped",
                                               m.component_index, inv.components.size()));
      continue;
    }
    std::string flaw = FlawId(m.vulnerability);
    Group& g = groups[{m.component_index, flaw}];
    g.component = m.component_index;
    g.flaw = flaw;
    g.matches.push_back(&m);
  }
  for (const auto& [key, group] : groups) out.push_back(MakeFinding(inv, group));
}

}  // namespace

void AddVulnChecks(std::vector<Check>& checks) {
  checks.push_back(
      {"CB-VULN-001", "component with a known vulnerability",
       "A component whose version a public advisory (NVD, OSV) lists as affected carries a "
       "flaw attackers already know how to use; the severity is the advisory's CVSS score. "
       "Matching is by version only: a vendor's backported fix is not seen.",
       "Update the component to a fixed version (the finding names it when the advisory "
       "does), or show that the flaw is not reachable in this product (a VEX statement).",
       "4.4.3", Severity::kHigh, KnownVulnerabilities, {}});
}

}  // namespace clearbox::audit::internal
