// What the `clearbox maint` commands share: the common flags, the policy, the log read back
// verified, and signing a statement into the log.
#pragma once

#include <string>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/crypto/ed25519.h"
#include "clearbox/maint/approval.h"
#include "clearbox/maint/policy.h"
#include "clearbox/release/statement.h"
#include "common.h"

namespace clearbox::cli {

// Flags every maint command that reads the log shares.
struct MaintCommon {
  std::string policy, log, submitter_key, now;
};
void AddMaintCommon(CLI::App* cmd, MaintCommon* c);

// "now", "now+90m", "now-2h" or a UTC time ("" = now).
Result<uint64_t> ParseWhen(const std::string& text, const char* flag);

Result<maint::Policy> LoadPolicy(const std::string& path);

// Every entry of the policy's log (or the --log mirror), read back verified against its
// signed checkpoint.
struct LogContents {
  std::vector<std::string> entries;
  uint64_t size = 0;
};
Result<LogContents> ReadLog(const maint::Policy& policy, const MaintCommon& c);
// `log` as maint::LogEntry views (valid while `log` lives).
std::vector<maint::LogEntry> EntriesOf(const LogContents& log);

Result<maint::Evaluation> EvaluateFromLog(const maint::Policy& policy, const MaintCommon& c,
                                          const std::string& request_sha256, uint64_t now);

// Writes a signed statement to `path` and adds it to the log. Returns the exit code.
int SignAndPublish(const release::Statement& s, const crypto::Ed25519PrivateKey& key,
                   const maint::Policy& policy, const MaintCommon& c, const std::string& path);

// The policy person whose key is the one in signer key file `key_path`; kPermissionDenied
// when none is, or theirs is revoked.
Result<const maint::Person*> PersonOfKey(const std::vector<maint::Person>& people,
                                         const crypto::Ed25519PrivateKey& key,
                                         const std::string& key_path, const char* role);

// What a command that signs as one of the policy's people starts from: the policy, the time
// to judge at (--now), the signer key and who it is in `people` (requesters, approvers,
// issuers). PersonOfKey's refusal is marked "refused: " when `refused` is set.
struct Signer {
  maint::Policy policy;
  uint64_t now;
  crypto::Ed25519PrivateKey key;
  maint::Person person;
};
Result<Signer> LoadSigner(const MaintCommon& c, const std::string& key_path,
                          std::vector<maint::Person> maint::Policy::*people, const char* role,
                          bool refused);

}  // namespace clearbox::cli
