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

// How an endpoint finding saw its endpoint: whether the box may connect to it.
enum class EndpointSeen {
  kFile,            // in a configuration file, script or text file: the box may connect
  kProgramStrings,  // only as a string in programs: they may print it rather than call it
  kMessageText,     // only in prose (a help or error text): not one the box calls
};
// "file", "program-strings", "message-text" (SARIF properties.endpointSeen).
inline std::string_view EndpointSeenName(EndpointSeen s) {
  switch (s) {
    case EndpointSeen::kProgramStrings:
      return "program-strings";
    case EndpointSeen::kMessageText:
      return "message-text";
    case EndpointSeen::kFile:
      break;
  }
  return "file";
}

struct Finding {
  std::string check_id;  // "CB-ACCT-001"
  Severity severity = Severity::kInfo;
  std::string message;  // one sentence for a person
  std::vector<Evidence> evidence;
  // The endpoint findings (CB-NET-001, CB-PLEDGE-004): the host or address they name, as the
  // check extracted it, and how it was seen, so that tools (SARIF properties.endpoint, `watch
  // --from-audit`, `audit --capture`) need not read the message. Empty for other findings.
  // Not part of the fingerprint. (Default member initialisers: the checks' brace
  // initialisers of the four fields above stay complete.)
  std::string endpoint = {};
  EndpointSeen endpoint_seen = EndpointSeen::kFile;
};

// The order reports use: worst first, then check id, then the first evidence's provenance
// and offset, then the message (so that a report is the same from run to run).
bool FindingBefore(const Finding& a, const Finding& b);

}  // namespace clearbox::audit
