// Maintenance requests, reviews and certificate records: in-toto statements in DSSE envelopes
// (docs/maint.md), published to the transparency log and judged from it.
//
//   request      https://clearbox.dev/maint-request/v1      subject: the engineer's SSH key
//   review       https://clearbox.dev/maint-review/v1       subject: the request envelope
//   certificate  https://clearbox.dev/maint-certificate/v1  subject: the issued certificate
//
// A request's digest is the SHA-256 of its envelope as logged; a review names it as its
// subject, so a review can never count for another request. The decision is computed from the
// log's entries, never from files a user hands over:
//
//   std::vector<LogEntry> entries = ...;              // read back verified from the log
//   CLEARBOX_ASSIGN_OR_RETURN(Evaluation e, Evaluate(policy, request_sha256, entries, now));
//   if (e.state == Evaluation::State::kApproved && e.issued.empty()) ... issue
//
// Thread-safety: pure functions over plain values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/maint/policy.h"
#include "clearbox/maint/ssh_cert.h"
#include "clearbox/release/statement.h"

namespace clearbox::maint {

inline constexpr std::string_view kRequestPredicateType = "https://clearbox.dev/maint-request/v1";
inline constexpr std::string_view kReviewPredicateType = "https://clearbox.dev/maint-review/v1";
inline constexpr std::string_view kCertificatePredicateType =
    "https://clearbox.dev/maint-certificate/v1";
inline constexpr size_t kMaxDevices = 1024;
inline constexpr size_t kMaxReasonBytes = 4096;
// A request envelope must fit one log entry (`clearbox log add`: 64 KiB).
inline constexpr size_t kMaxMaintEnvelopeBytes = 64 * 1024;

struct MaintRequest {
  std::string ticket;                   // the change ticket; becomes the certificate's key id
  std::string engineer_key;             // "ssh-ed25519 AAAA..." (no comment)
  std::vector<std::string> devices;     // the devices to be maintained (names)
  std::vector<std::string> principals;  // the device accounts asked for
  uint64_t window_start = 0;            // seconds since the epoch, inclusive
  uint64_t window_end = 0;              // exclusive
  std::string reason;
  uint64_t requested_at = 0;            // the requester's clock
  std::string requester;                // the requester's name (informative; the key decides)
};

struct MaintReview {
  std::string request_sha256;  // the subject: the request envelope's digest
  std::string ticket;          // the request's ticket (for people and for `status`)
  bool approve = false;        // "approve" or "deny"
  std::string reason;          // optional
  uint64_t reviewed_at = 0;
  std::string reviewer;        // informative
};

// What `maint issue` records: which certificate was issued for which request.
struct CertificateRecord {
  std::string certificate_sha256;  // the subject: the certificate blob's digest
  std::string request_sha256;
  std::string key_id;  // = the ticket
  uint64_t serial = 0;
  std::vector<std::string> principals;
  uint64_t valid_after = 0;
  uint64_t valid_before = 0;
  uint64_t issued_at = 0;
  std::string ca_fingerprint;  // "SHA256:..." of the CA key
  bool observer_required = false;  // the policy's, at issue time
};

// Statements. Make* build them; *Of check the predicate type, the single subject, and the
// predicate (every field, its type, its cap), and cross-check the subject against the
// predicate. Errors: kInvalidInput naming the JSON path ("/predicate/window/end: ...");
// kLimitExceeded for a list over its cap.
Result<release::Statement> MakeRequestStatement(const MaintRequest& r);
release::Statement MakeReviewStatement(const MaintReview& r);
release::Statement MakeCertificateStatement(const CertificateRecord& r);
Result<MaintRequest> RequestOf(const release::Statement& s);
Result<MaintReview> ReviewOf(const release::Statement& s);
Result<CertificateRecord> CertificateRecordOf(const release::Statement& s);

// Checks a request against the policy at time `now`: the principals are allowed ones (at most
// kMaxPrincipals, no duplicates), the window is not empty, not longer than the policy's, has
// not ended, and the request is not dated in the future beyond the clock skew. Each failure
// has its own message naming the field; kPermissionDenied for what the policy forbids,
// kLimitExceeded for a cap, kInvalidInput otherwise.
Status CheckRequest(const Policy& policy, const MaintRequest& r, uint64_t now);

// The policy's force-command for one certificate: "{ticket}", "{serial}" and "{device}" are
// replaced (a ticket is [A-Za-z0-9._:/-] only, so nothing needs quoting). Errors:
// kInvalidInput for "{device}" with other than one device, or an unknown "{...}" name.
Result<std::string> ExpandForceCommand(std::string_view templ, const MaintRequest& r,
                                       uint64_t serial);

// One log entry as read back (verified) from the log.
struct LogEntry {
  uint64_t index = 0;
  ByteView bytes;
};

// One maint statement of the log, parsed (DSSE envelope and in-toto statement) but not yet
// verified: whose signature counts is the policy's business, judged when it is used.
struct LoggedStatement {
  uint64_t index = 0;
  std::string sha256;  // of the entry's bytes (requests only): how reviews name a request
  release::Envelope envelope;
  release::Statement statement;
};

// The maint statements of a log by kind, in log order. Reading a log parses every entry; this
// is done once, however many requests are then judged from it (`maint audit` judges all).
struct MaintLog {
  size_t entries = 0;  // every entry read, maint statements or not
  std::vector<LoggedStatement> requests, reviews, certificates, sessions;
};

// Sorts `entries` into a MaintLog. Entries that are not DSSE envelopes of in-toto statements
// with a maint predicate type are skipped (the log holds every kind of statement).
MaintLog ReadMaintLog(std::span<const LogEntry> entries);

struct ReviewOutcome {
  uint64_t index = 0;          // log index
  std::string reviewer;        // the policy's name for the signer, or "?" when unknown
  bool approve = false;
  uint64_t reviewed_at = 0;
  std::string reason;          // the reviewer's reason
  bool counted = false;
  std::string refused;         // why it does not count ("" when counted)
};

struct Evaluation {
  enum class State { kPending, kApproved, kDenied };
  State state = State::kPending;
  std::string request_sha256;
  uint64_t request_index = 0;
  MaintRequest request;
  std::string requester;     // the policy's name for the request's signer
  std::string decided_by;    // the threshold that decided, "" while pending
  uint64_t decided_at_index = 0;
  std::vector<ReviewOutcome> reviews;  // every review that names this request or its ticket
  std::vector<std::string> progress;   // per threshold: "2-of-3 officers: 1 approve, 0 deny"
  // Certificates already recorded for this request by a policy issuer (index, serial).
  std::vector<std::pair<uint64_t, uint64_t>> issued;
  // Every serial any certificate record in the log names (signed or not): a new serial must
  // avoid them all.
  std::vector<uint64_t> serials_in_log;
  // Why the request cannot be issued now even if approved ("" = nothing): expired.
  std::string blocked;
};

// Finds the request whose envelope digest is `request_sha256` among `entries`, checks it
// (signed by a policy requester who is not revoked; CheckRequest), and judges every review of
// it in log order. A review is refused, with its own reason, when: its signature is by no
// approver in the policy; the approver's key is revoked; it is signed by the requester (by key
// or by name); the approver holds none of the thresholds' roles; it is dated beyond the clock
// skew in the future, or after the window ended; the approver already counted; or it names the
// same ticket but another request's digest. Entries that are not maint statements are skipped.
// Errors: kNotFound (no entry has that digest), kPermissionDenied (request signed by no
// requester, or a revoked one), CheckRequest's errors except an ended window (reported in
// `blocked`), kInvalidInput (the entry is not a valid request statement).
Result<Evaluation> Evaluate(const Policy& policy, std::string_view request_sha256,
                            const MaintLog& log, uint64_t now);
// The same for a log not yet sorted (ReadMaintLog, then Evaluate).
Result<Evaluation> Evaluate(const Policy& policy, std::string_view request_sha256,
                            std::span<const LogEntry> entries, uint64_t now);

// What an approved request's certificate says: key id = the ticket, the request's principals,
// validity = the approved window, force-command = the policy's (expanded), source-address =
// the policy's jump host. Errors: kPermissionDenied naming why it cannot be issued (pending:
// which thresholds stand where; denied; expired; a certificate already recorded for it),
// ExpandForceCommand's and ParseSshPublicKey's.
Result<CertificateRequest> CertificateFor(const Policy& policy, const Evaluation& e,
                                          uint64_t serial);

// A random serial in [1, 2^63) that is none of `taken` (the serials already in the log).
// Errors: kInternal (the random generator failed).
Result<uint64_t> NewSerial(std::span<const uint64_t> taken);

// A human-readable account of an evaluation, for `maint status` (ends with a newline).
std::string DescribeEvaluation(const Evaluation& e);

// Time helpers: "YYYY-MM-DDTHH:MM:SSZ" (UTC only). Errors: kInvalidInput.
Result<uint64_t> ParseUtcTime(std::string_view text);
std::string FormatUtcTime(uint64_t seconds);

}  // namespace clearbox::maint
