// audit findings: what a check saw, how bad it is, and the evidence a person needs to confirm it.
//
//   clearbox::audit::Finding f{"CB-ACCT-003", Severity::kCritical, "account 'guest' has no
//   password", {{"fw.bin!squashfs:/etc/shadow", "/etc/shadow", 120, "guest::19675:0:99999:7:::"}}};
//   SeverityName(f.severity);            // "critical"
//   ParseSeverity("high");               // Severity::kHigh, or nullopt
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clearbox::audit {

// Ordered: a larger value is worse (--fail-on compares with >=).
enum class Severity { kInfo, kLow, kMedium, kHigh, kCritical };

std::string_view SeverityName(Severity s);  // "info", "low", "medium", "high", "critical"
// Case-sensitive lower-case names as SeverityName gives them; nullopt for anything else.
std::optional<Severity> ParseSeverity(std::string_view name);

// Where a finding was seen.
struct Evidence {
  std::string provenance;  // "fw.bin!uimage@0x40!squashfs:/etc/shadow"
  // The path inside its filesystem ("/etc/shadow"): stable when the same content is re-packed
  // (the SARIF fingerprint uses it, not the provenance).
  std::string path;
  uint64_t offset = 0;  // byte offset of the excerpt in the file
  std::string excerpt;  // the line, secrets shortened ("root:$1$abcd…:19675:...")
};

struct Finding {
  std::string check_id;  // "CB-ACCT-001"
  Severity severity = Severity::kInfo;
  std::string message;  // one sentence for a person
  std::vector<Evidence> evidence;
};

// The order reports use: worst first, then check id, then the first evidence's provenance
// and offset, then the message (so that a report is the same from run to run).
bool FindingBefore(const Finding& a, const Finding& b);

}  // namespace clearbox::audit
