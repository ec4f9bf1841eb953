// clearbox maint seal SUMMARY.json|CAST --policy FILE --key RECORDER_KEY [--log URL]
//   [--submitter-key FILE]
// and what `maint record` (sealing at the end of a session) and `maint replay --verify
// --policy` (a recording against the log) share (maint_seal.h). Sealing: the session
// statement, signed with the device's recorder key, written beside the recording as
// <stem>.session.dsse and added to the log (docs/maint-recording.md, "Sealing").
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "clearbox/core/file.h"
#include "clearbox/core/strict_json.h"
#include "clearbox/crypto/note.h"
#include "clearbox/maint/approval.h"
#include "clearbox/release/statement.h"
#include "commands.h"
#include "common.h"
#include "log_add.h"
#include "maint_seal.h"
#include "release_inputs.h"

namespace clearbox::cli {
namespace {

// At the end of a session sshd (and the engineer) wait for the log: not for long.
constexpr std::chrono::milliseconds kSessionEndLogTimeout{10000};

std::string LogUrl(const maint::Policy& policy, const MaintCommon& c) {
  return c.log.empty() ? policy.log.url : c.log;
}

// Adds one entry to the log and checks the inclusion proof it answers with against the
// policy's log key; returns the entry's index. Prints nothing (`log add` prints; a recorder
// must not write to the session's stdout).
Result<uint64_t> Publish(const maint::Policy& policy, const MaintCommon& c, std::string_view entry,
                         std::chrono::milliseconds timeout) {
  CLEARBOX_ASSIGN_OR_RETURN(LogSubmitter log,
                            LogSubmitter::Open(LogUrl(policy, c), c.submitter_key,
                                               policy.log.origin, policy.log.key, timeout));
  CLEARBOX_ASSIGN_OR_RETURN(LogSubmitter::Added added, log.Add(AsBytes(entry)));
  return added.index;
}

// The signed statement of `r`, checked to fit one log entry.
Result<std::string> SignSession(const maint::SessionRecord& r,
                                const crypto::Ed25519PrivateKey& key) {
  CLEARBOX_ASSIGN_OR_RETURN(std::string envelope,
                            release::SignStatement(maint::MakeSessionStatement(r), key));
  if (envelope.size() > maint::kMaxMaintEnvelopeBytes) {
    return Error::LimitExceeded("the session statement is " + std::to_string(envelope.size()) +
                                " bytes, more than a log entry may be (64 KiB)");
  }
  return envelope;
}

// "<stem>.cast" or "<stem>.summary.json" -> stem.
Result<std::string> StemOf(const std::string& path) {
  for (std::string_view ext : {".summary.json", ".cast", ".session.dsse"}) {
    if (path.size() > ext.size() && path.ends_with(ext))
      return path.substr(0, path.size() - ext.size());
  }
  return Error::InvalidInput(path + ": expected a recording (.cast) or its .summary.json");
}

std::string Joined(const std::vector<std::string>& lines, const std::string& prefix) {
  std::string out;
  for (const std::string& l : lines) out += (out.empty() ? "" : "\n" + prefix) + l;
  return out;
}

struct SealArgs {
  MaintCommon c;
  std::string input, key;
};

// The recording, verified complete; exit code 1 when it is damaged (evidence), 2 otherwise.
int RunSeal(const SealArgs& a) {
  auto stem = StemOf(a.input);
  if (!stem.ok()) return Fail(stem.error());
  std::string cast_path = *stem + ".cast", envelope_path = *stem + ".session.dsse";
  auto policy = LoadPolicy(a.c.policy);
  if (!policy.ok()) return Fail(policy.error());
  auto key = LoadSigningKey(a.key);
  if (!key.ok()) return Fail(key.error());
  auto recorder = PersonOfKey(policy->recorders, *key, a.key, "a recorder");
  if (!recorder.ok()) return Fail(recorder.error().WithContext("refused"));
  auto file = MappedFile::Open(cast_path);
  if (!file.ok()) return Fail(file.error());
  auto report = maint::VerifyRecording((*file)->bytes(), {});
  if (!report.ok()) {
    std::fprintf(stderr, "clearbox: %s: %s\n", cast_path.c_str(), report.error().message().c_str());
    return report.error().code() == ErrorCode::kVerificationFailed ? kExitFindings
                                                                   : kExitInputError;
  }

  // The envelope signed at the session's end, if there is one: it is what the recorder saw,
  // so it is published as it is (and must still describe the recording). Else the summary,
  // signed now.
  std::string envelope;
  if (access(envelope_path.c_str(), F_OK) == 0) {
    auto bytes = ReadFile(envelope_path, maint::kMaxMaintEnvelopeBytes);
    if (!bytes.ok()) return Fail(bytes.error());
    envelope = std::string(AsChars(*bytes));
  } else {
    std::string summary_path = *stem + ".summary.json";
    auto text = ReadTextFile(summary_path, 1 << 20);
    if (!text.ok()) return Fail(text.error().WithContext("no statement and no summary to seal"));
    auto j = ParseStrictJson(*text, summary_path, 8);
    if (!j.ok()) return Fail(j.error());
    auto summary = maint::SessionSummary::FromJson(*j);
    if (!summary.ok()) return Fail(summary.error().WithContext(summary_path));
    auto signed_envelope = SignSession({*summary, {}}, *key);
    if (!signed_envelope.ok()) return Fail(signed_envelope.error());
    envelope = std::move(*signed_envelope);
  }
  maint::LogEntry own{0, AsBytes(envelope)};
  maint::SessionLogCheck own_check = maint::CheckSessionInLog(*policy, *report, {&own, 1});
  if (own_check.sealed() == nullptr) {
    std::string where =
        access(envelope_path.c_str(), F_OK) == 0 ? envelope_path : *stem + ".summary.json";
    std::string why = own_check.seals.empty()
                          ? "it is not a session statement of this recording (sha256 " +
                                own_check.cast_sha256 + ")"
                          : Joined(own_check.Problems(), "  ");
    std::fprintf(stderr, "clearbox: refused: %s does not seal %s: %s\n", where.c_str(),
                 cast_path.c_str(), why.c_str());
    return kExitFindings;
  }
  if (access(envelope_path.c_str(), F_OK) != 0) {
    if (Status s = WriteFileAtomic(envelope_path, AsBytes(envelope), 0600); !s.ok()) {
      return Fail(s.error());
    }
  }

  // Already there? An identical envelope, or any other statement sealing this recording.
  auto log = ReadLog(*policy, a.c);
  if (!log.ok()) {
    return Fail(log.error().WithContext("the session statement stays pending in " + envelope_path));
  }
  for (size_t i = 0; i < log->entries.size(); ++i) {
    if (log->entries[i] == envelope) {
      std::printf("already sealed: %s: log entry %zu\n", cast_path.c_str(), i);
      return kExitOk;
    }
  }
  std::vector<maint::LogEntry> entries = EntriesOf(*log);
  maint::SessionLogCheck in_log = maint::CheckSessionInLog(*policy, *report, entries);
  if (const maint::SessionSeal* s = in_log.sealed()) {
    std::printf("already sealed: %s: log entry %llu, signed by %s\n", cast_path.c_str(),
                static_cast<unsigned long long>(s->index), s->recorder.c_str());
    return kExitOk;
  }
  auto index = Publish(*policy, a.c, envelope, std::chrono::milliseconds(30000));
  if (!index.ok()) {
    return Fail(
        index.error().WithContext("the session statement stays pending in " + envelope_path));
  }
  std::printf("sealed: %s: log entry %llu, signed by %s\n", cast_path.c_str(),
              static_cast<unsigned long long>(*index), own_check.sealed()->recorder.c_str());
  return kExitOk;
}

}  // namespace

void AddSealFlags(CLI::App* cmd, SealFlags* f) {
  cmd->add_option("--policy", f->c.policy,
                  "the maintenance policy: seal the session into its log (with --key)");
  cmd->add_option("--key", f->key, "this device's recorder key (one of the policy's recorders)");
  cmd->add_option("--log", f->c.log, "publish here instead of the policy's log.url");
  cmd->add_option("--submitter-key", f->c.submitter_key,
                  "signer key the log accepts submissions from");
}

Result<std::unique_ptr<Sealer>> PrepareSealer(const SealFlags& f) {
  if (f.c.policy.empty() && f.key.empty()) {
    std::fprintf(stderr,
                 "clearbox: note: no --policy and --key: this session is recorded but "
                 "will not be sealed into the log\n");
    return std::unique_ptr<Sealer>();
  }
  if (f.c.policy.empty() || f.key.empty()) {
    return Error::InvalidInput(
        "--policy and --key go together (the recorder key signs the "
        "session statement into the policy's log)");
  }
  CLEARBOX_ASSIGN_OR_RETURN(maint::Policy policy, LoadPolicy(f.c.policy));
  CLEARBOX_ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey key, LoadSigningKey(f.key));
  CLEARBOX_ASSIGN_OR_RETURN(const maint::Person* p,
                            PersonOfKey(policy.recorders, key, f.key, "a recorder"));
  std::string name = p->name;
  return std::make_unique<Sealer>(Sealer{f, std::move(policy), std::move(key), std::move(name)});
}

void SealSession(const Sealer& s, const maint::SessionRecord& r, const std::string& stem) {
  std::string cast_path = stem + ".cast", envelope_path = stem + ".session.dsse";
  std::string later = "`clearbox maint seal " + cast_path + " --policy " + s.flags.c.policy +
                      " --key " + s.flags.key + "`";
  auto envelope = SignSession(r, s.key);
  Status written = envelope.ok() ? WriteFileAtomic(envelope_path, AsBytes(*envelope), 0600)
                                 : Status(envelope.error());
  if (!written.ok()) {
    std::fprintf(stderr, "clearbox: warning: the session is not sealed: %s; %s seals it\n",
                 written.error().message().c_str(), later.c_str());
    return;
  }
  auto index = Publish(s.policy, s.flags.c, *envelope, kSessionEndLogTimeout);
  if (!index.ok()) {
    std::fprintf(stderr,
                 "clearbox: warning: the session statement is pending (%s); it is kept in %s "
                 "and %s publishes it\n",
                 index.error().message().c_str(), envelope_path.c_str(), later.c_str());
    return;
  }
  std::fprintf(stderr, "clearbox: session sealed: log entry %llu (%s)\n",
               static_cast<unsigned long long>(*index), cast_path.c_str());
}

Result<std::string> SealInLog(const maint::VerifyReport& report, const MaintCommon& c) {
  CLEARBOX_ASSIGN_OR_RETURN(maint::Policy policy, LoadPolicy(c.policy));
  CLEARBOX_ASSIGN_OR_RETURN(LogContents log, ReadLog(policy, c));
  std::vector<maint::LogEntry> entries = EntriesOf(log);
  maint::SessionLogCheck check = maint::CheckSessionInLog(policy, report, entries);
  if (const maint::SessionSeal* s = check.sealed()) {
    return "log entry " + std::to_string(s->index) + ", signed by " + s->recorder;
  }
  return Error::VerificationFailed(Joined(check.Problems(), ""));
}

void RegisterMaintSealCommands(CLI::App& app) {
  CLI::App* maint = MaintCommand(app);
  auto sa = std::make_shared<SealArgs>();
  CLI::App* seal = maint->add_subcommand(
      "seal", "sign (if not yet signed) and publish a recorded session's statement to the log");
  seal->add_option("RECORDING", sa->input, "the .cast file or its .summary.json")->required();
  seal->add_option("--policy", sa->c.policy, "the maintenance policy (docs/maint.md)")->required();
  seal->add_option("--key", sa->key, "the device's recorder key (one of the policy's recorders)")
      ->required();
  seal->add_option("--log", sa->c.log, "read and publish here instead of the policy's log.url");
  seal->add_option("--submitter-key", sa->c.submitter_key,
                   "signer key the log accepts submissions from");
  seal->callback([sa] { ExitCode() = RunSeal(*sa); });
}

}  // namespace clearbox::cli
