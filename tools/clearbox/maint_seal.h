// Sealing recorded maintenance sessions: the session statement (clearbox/maint/session.h),
// signed with the device's recorder key, in the log. `maint record --policy --key` seals at
// the end of the session, `maint seal` publishes one that is still pending, and `maint replay
// --verify --policy` checks a recording against the log (cmd_maint_seal.cc).
#pragma once

#include <memory>
#include <string>

#include "clearbox/crypto/ed25519.h"
#include "clearbox/maint/policy.h"
#include "clearbox/maint/recording.h"
#include "clearbox/maint/session.h"
#include "maint_cli.h"

namespace clearbox::cli {

// `maint record`'s --policy, --key, --log, --submitter-key (none required: without --policy and
// --key a session is recorded but not sealed).
struct SealFlags {
  MaintCommon c;    // policy, log, submitter_key (`now` is not used)
  std::string key;  // the device's recorder key (clearbox key generate)
};
void AddSealFlags(CLI::App* cmd, SealFlags* f);

// What sealing a session needs, loaded before the session starts.
struct Sealer {
  SealFlags flags;
  maint::Policy policy;
  crypto::Ed25519PrivateKey key;
  std::string recorder;  // the policy's name for the key
};

// nullptr, and a note on stderr that the session will not be sealed, when neither --policy
// nor --key is given. Errors: kInvalidInput (only one of them), LoadPolicy's and the key
// file's, kPermissionDenied (the key is not a recorder in the policy, or a revoked one).
Result<std::unique_ptr<Sealer>> PrepareSealer(const SealFlags& f);

// At the end of a session: signs the statement, writes it to `<stem>.session.dsse` and adds
// it to the log. Never changes the session's outcome: when the log cannot be reached the
// envelope stays on disk and one warning line on stderr says it is pending. Nothing goes to
// stdout (scp and sftp speak their protocol over it).
void SealSession(const Sealer& s, const maint::SessionRecord& r, const std::string& stem);

// `replay --verify --policy`: the statement in the log that seals `report`, as
// "log entry N, signed by R". Errors: kVerificationFailed (not sealed: one reason a line),
// LoadPolicy's and ReadLog's.
Result<std::string> SealInLog(const maint::VerifyReport& report, const MaintCommon& c);

}  // namespace clearbox::cli
