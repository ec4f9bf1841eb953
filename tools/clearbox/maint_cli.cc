// What the `clearbox maint` commands share (maint_cli.h).
#include "maint_cli.h"

#include <ctime>

#include "clearbox/core/file.h"
#include "clearbox/tlog/client.h"
#include "log_add.h"
#include "release_inputs.h"

namespace clearbox::cli {

void AddMaintCommon(CLI::App* cmd, MaintCommon* c) {
  cmd->add_option("--policy", c->policy, "the maintenance policy (docs/maint.md)")->required();
  cmd->add_option("--log", c->log, "read and publish here instead of the policy's log.url "
                                   "(a mirror of the same log: its key is the policy's)");
  cmd->add_option("--submitter-key", c->submitter_key, "signer key the log accepts submissions from");
  cmd->add_option("--now", c->now, "the time to judge at: YYYY-MM-DDTHH:MM:SSZ or now+10m "
                                   "(default: this clock)");
}

// "now", "now+90m", "now-2h" or a UTC time.
Result<uint64_t> ParseWhen(const std::string& text, const char* flag) {
  uint64_t now = uint64_t(std::time(nullptr));
  if (text.empty() || text == "now") return now;
  if (text.rfind("now", 0) == 0 && text.size() > 4 && (text[3] == '+' || text[3] == '-')) {
    auto d = maint::ParseDuration(text.substr(4));
    if (!d.ok()) return d.error().WithContext(flag);
    if (text[3] == '-' && *d > now) return Error::InvalidInput(std::string(flag) + ": before 1970");
    return text[3] == '+' ? now + *d : now - *d;
  }
  auto t = maint::ParseUtcTime(text);
  if (!t.ok()) {
    return Error::InvalidInput(std::string(flag) + ": " + t.error().message() +
                               " (or now, now+90m, now-2h)");
  }
  return *t;
}

Result<maint::Policy> LoadPolicy(const std::string& path) {
  CLEARBOX_ASSIGN_OR_RETURN(std::string text,
                            ReadTextFile(path, maint::PolicyLimits::kMaxPolicyBytes + 1));
  return maint::ParsePolicy(text, path);
}

Result<LogContents> ReadLog(const maint::Policy& policy, const MaintCommon& c) {
  std::string url = c.log.empty() ? policy.log.url : c.log;
  CLEARBOX_ASSIGN_OR_RETURN(auto client, tlog::LogClient::Open(url, policy.log.key, policy.log.origin));
  auto checkpoint = client->FetchCheckpoint();
  if (!checkpoint.ok()) return checkpoint.error().WithContext(url);
  LogContents out;
  out.size = checkpoint->checkpoint.size;
  out.entries.reserve(out.size);
  Status s = client->ForEachEntry(0, out.size, *checkpoint, [&](uint64_t, ByteView entry) {
    out.entries.emplace_back(AsChars(entry));
    return Status::Ok();
  });
  if (!s.ok()) return s.error().WithContext(url);
  return out;
}

std::vector<maint::LogEntry> EntriesOf(const LogContents& log) {
  std::vector<maint::LogEntry> entries;
  entries.reserve(log.entries.size());
  for (size_t i = 0; i < log.entries.size(); ++i) entries.push_back({i, AsBytes(log.entries[i])});
  return entries;
}

Result<maint::Evaluation> EvaluateFromLog(const maint::Policy& policy, const MaintCommon& c,
                                          const std::string& request_sha256, uint64_t now) {
  CLEARBOX_ASSIGN_OR_RETURN(LogContents log, ReadLog(policy, c));
  std::vector<maint::LogEntry> entries = EntriesOf(log);
  return maint::Evaluate(policy, request_sha256, entries, now);
}

// Writes a signed statement to `path` and adds it to the log. Returns the exit code.
int SignAndPublish(const release::Statement& s, const crypto::Ed25519PrivateKey& key,
                   const maint::Policy& policy, const MaintCommon& c, const std::string& path) {
  auto envelope = release::SignStatement(s, key);
  if (!envelope.ok()) return Fail(envelope.error());
  if (envelope->size() > maint::kMaxMaintEnvelopeBytes) {
    return Fail(Error::LimitExceeded(path + ": the statement is " +
                                     std::to_string(envelope->size()) +
                                     " bytes, more than a log entry may be (64 KiB)"));
  }
  if (Status st = WriteFileAtomic(path, AsBytes(*envelope), 0644); !st.ok()) return Fail(st.error());
  LogAddArgs add;
  add.url = c.log.empty() ? policy.log.url : c.log;
  add.files = {path};
  add.submitter_key = c.submitter_key;
  add.origin = policy.log.origin;
  add.log_key = policy.log.key;
  return RunLogAdd(add);
}

// The policy person whose key is the one in signer key file `key_path`.
Result<const maint::Person*> PersonOfKey(const std::vector<maint::Person>& people,
                                         const crypto::Ed25519PrivateKey& key,
                                         const std::string& key_path, const char* role) {
  std::string keyid = release::Ed25519KeyId(key.public_key());
  for (const maint::Person& p : people) {
    if (p.key.keyid() == keyid) {
      if (p.revoked) {
        return Error::PermissionDenied(key_path + ": " + p.name + "'s key is revoked in the policy");
      }
      return &p;
    }
  }
  return Error::PermissionDenied(key_path + ": this key is not " + role + " in the policy");
}

Result<Signer> LoadSigner(const MaintCommon& c, const std::string& key_path,
                          std::vector<maint::Person> maint::Policy::*people, const char* role,
                          bool refused) {
  CLEARBOX_ASSIGN_OR_RETURN(maint::Policy policy, LoadPolicy(c.policy));
  CLEARBOX_ASSIGN_OR_RETURN(uint64_t now, ParseWhen(c.now, "--now"));
  CLEARBOX_ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey key, LoadSigningKey(key_path));
  auto person = PersonOfKey(policy.*people, key, key_path, role);
  if (!person.ok()) return refused ? person.error().WithContext("refused") : person.error();
  maint::Person who = **person;
  return Signer{std::move(policy), now, std::move(key), std::move(who)};
}

}  // namespace clearbox::cli
