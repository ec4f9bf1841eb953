// The session statement: what a device's recorder signs into the log when a maintenance
// session ends (docs/maint-recording.md). Its subject is the recording (.cast) file; its
// predicate is the recording's SessionSummary (recording.h) plus who watched it live.
//
//   predicateType  https://clearbox.dev/maint-session/v1
//   subject        {"name": "maint-recording:<ticket>/<serial>", "digest": {"sha256": castSha256}}
//   predicate      SessionSummary::ToJson() + {"observers": ["alice", ...]}
//
// `maint audit` reads these back from the log and reconciles them with requests, reviews,
// certificate records, revocations, the recordings and the devices' sshd logs.
// `maint replay --verify --policy` checks one recording against the log:
//
//   CLEARBOX_ASSIGN_OR_RETURN(VerifyReport v, VerifyRecording(cast, {}));
//   SessionLogCheck c = CheckSessionInLog(policy, v, entries);
//   if (const SessionSeal* s = c.sealed()) ... ok: log entry s->index, signed by s->recorder
//   else for (const std::string& why : c.Problems()) ...
//
// Thread-safety: pure functions over plain values.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/maint/approval.h"
#include "clearbox/maint/policy.h"
#include "clearbox/maint/recording.h"
#include "clearbox/release/statement.h"

namespace clearbox::maint {

inline constexpr std::string_view kSessionPredicateType = "https://clearbox.dev/maint-session/v1";
inline constexpr size_t kMaxObservers = 64;

struct SessionRecord {
  SessionSummary summary;
  // The approvers (policy names) who watched the session live; empty when none did.
  std::vector<std::string> observers;
};

release::Statement MakeSessionStatement(const SessionRecord& r);

// Checks the predicate type, the single subject (its digest must equal castSha256), and every
// field of the predicate (unknown fields are errors). Errors: kInvalidInput naming the JSON
// path ("statement: /predicate/chainHead: ..."), kLimitExceeded for over kMaxObservers.
Result<SessionRecord> SessionRecordOf(const release::Statement& s);

// One session statement in the log, judged against a verified recording.
struct SessionSeal {
  uint64_t index = 0;          // log index
  std::string recorder;        // the policy recorder whose key signed it; "" when none did
  SessionRecord record;        // as the statement says (empty when it is malformed)
  std::string problem;         // why it does not seal the recording; "" when it does
};

// Reported in CheckSessionInLog's `others` at most (the rest are counted).
inline constexpr size_t kMaxReportedSeals = 16;

struct SessionLogCheck {
  std::string cast_sha256;          // the recording's, hex
  uint64_t entries = 0;             // log entries read
  // Session statements whose subject is this recording, in log order, up to the first that
  // seals it (which is always kept; of those that do not, at most kMaxReportedSeals).
  std::vector<SessionSeal> seals;
  uint64_t seals_left_off = 0;
  // Statements (signed by a recorder or not) for the same ticket, serial and device but
  // another recording: what an edited and re-chained copy would show.
  std::vector<SessionSeal> others;
  uint64_t others_left_off = 0;

  // The first statement that seals the recording, or nullptr.
  const SessionSeal* sealed() const;
  // Why the recording is not sealed: one line per statement (or one saying there is none).
  std::vector<std::string> Problems() const;
};

// Finds the session statements in `entries` (read back verified from the log) whose subject is
// the recording's SHA-256, and checks each: one signature, by a recorder of `policy` whose key
// is not revoked; the predicate valid (SessionRecordOf); its ticket, serial, device, command,
// pty, start, exit status, chain head (value, chunks, bytes) and event count those the
// recording itself states (the header, the end marker, the chain). `recording` must be a
// complete verified recording (VerifyRecording without allow_incomplete); its castSha256
// covers every byte, the end time included. Entries that are not session statements are
// skipped. Never fails: what is wrong is in each seal's `problem`.
SessionLogCheck CheckSessionInLog(const Policy& policy, const VerifyReport& recording,
                                  std::span<const LogEntry> entries);

}  // namespace clearbox::maint
