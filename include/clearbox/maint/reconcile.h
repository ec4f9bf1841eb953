// `clearbox maint audit`: what the transparency log says happened (requests, approvals,
// certificates, session statements), what the devices say happened (sshd and login lines,
// auth_log.h), what the recordings hold (recording.h) and what the KRL revokes, reconciled
// into findings (docs/maint-audit.md lists every rule).
//
//   ReconcileInput in{policy, entries, auth.events, recordings, &krl, now};
//   MaintAuditReport r = Reconcile(in);
//   for (const MaintFinding& f : r.findings) ...   // rule id, severity, message, evidence
//
// Matching: an sshd login names its certificate by key id, serial and CA fingerprint, and
// those must all equal a certificate record in the log (signed by a policy issuer); a session
// statement names the ticket and serial, and is paired with the login of the same ticket and
// serial nearest in time. Tolerances are the policy's max-clock-skew.
//
// Thread-safety: a pure function over plain values.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/maint/approval.h"
#include "clearbox/maint/auth_log.h"
#include "clearbox/maint/krl.h"
#include "clearbox/maint/policy.h"
#include "clearbox/maint/recording.h"

namespace clearbox::maint {

// In the order of audit::Severity (the report module maps one onto the other).
enum class MaintSeverity { kInfo, kLow, kMedium, kHigh, kCritical };
std::string_view MaintSeverityName(MaintSeverity s);  // "info" ... "critical"

struct MaintRuleInfo {
  std::string id, title;
  MaintSeverity severity = MaintSeverity::kInfo;  // the default; some findings differ
  std::string rationale, remediation;
};
// CB-MAINT-001 ... CB-MAINT-010, in order.
const std::vector<MaintRuleInfo>& MaintRules();

struct MaintEvidence {
  std::string where;  // "log entry 4", "olt1/auth.log:57", "sessions/x.cast"
  std::string text;   // what is there (a log line, a statement's gist)
};

struct MaintFinding {
  std::string rule_id;
  MaintSeverity severity = MaintSeverity::kInfo;
  std::string message;  // one sentence for a person
  std::string ticket;   // "" when none
  uint64_t serial = 0;  // 0 when none
  std::string user;     // the device account
  int64_t time_us = 0;  // when it happened (0 unknown)
  std::vector<MaintEvidence> evidence;
  std::map<std::string, std::string> facts;  // for JSON and SARIF properties
};

// One recording file as `maint audit` found it.
struct RecordingCheck {
  std::string path;
  Sha256Digest sha256{};     // of the whole file
  bool verified = false;     // VerifyRecording succeeded (complete or not)
  bool complete = false;     // ends with the closing marker
  std::string error;         // VerifyRecording's error, or why it could not be read
  ChainHead head;            // of the verified prefix
  // From the header (when it could be read): who and what.
  std::string ticket;
  uint64_t serial = 0;
  std::string device;
  int64_t start_us = 0;
};

struct ReconcileInput {
  const Policy& policy;
  std::span<const LogEntry> entries;        // every log entry, verified
  std::span<const AuthEvent> events;        // from every auth log given
  std::span<const RecordingCheck> recordings;
  bool recordings_given = false;            // --recordings: every session must have its file
  const Krl* krl = nullptr;                 // --krl
  std::string krl_name;
  uint64_t now = 0;
};

struct MaintAuditReport {
  std::vector<MaintFinding> findings;  // by rule id, then time
  // What was read, for the summary line.
  uint64_t log_entries = 0, requests = 0, approved = 0, certificates = 0, sessions = 0;
  uint64_t logins = 0, refusals = 0, recordings = 0;
  std::vector<std::string> notes;  // things that are not findings (a session still open)
};

MaintAuditReport Reconcile(const ReconcileInput& in);

}  // namespace clearbox::maint
