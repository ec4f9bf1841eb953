// clearbox maint record --out DIR --ticket ID --serial N --device NAME [--no-input]
//   [--pty|--no-pty] [--policy FILE --key RECORDER_KEY [--log URL] [--submitter-key FILE]]
//   [-- COMMAND...]                        (sshd's ForceCommand: reads SSH_ORIGINAL_COMMAND)
// clearbox maint replay RECORDING [--speed X] [--idle-limit S] [--verify] [--summary FILE]
//   [--policy FILE [--log URL]] [--force]
#include <pwd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"
#include "clearbox/core/strict_json.h"
#include "clearbox/maint/observer.h"
#include "clearbox/maint/pty_session.h"
#include "clearbox/maint/recording.h"
#include "commands.h"
#include "common.h"
#include "maint_seal.h"

namespace clearbox::cli {
namespace {

struct RecordArgs {
  std::string out, ticket, device;
  uint64_t serial = 0;
  bool no_input = false, force_pty = false, force_no_pty = false;
  uint64_t chunk_bytes = 1 << 20;
  double chunk_seconds = 1.0;
  std::vector<std::string> command;
  SealFlags seal;  // --policy, --key, --log, --submitter-key
  // Live observers: the relay (default: the policy's observer.relay), how long to wait for the
  // first one, and what to do when the last one leaves ("" = the policy's on-leave).
  std::string observe_via, on_leave;
  double observer_wait = 600;
  std::vector<std::string> observers;  // who watched live: the session statement's observers
};

int64_t NowUnixMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A file-name-safe form of the ticket: [A-Za-z0-9._-], at most 64 characters.
std::string Safe(const std::string& s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_';
    out += ok ? c : '_';
    if (out.size() == 64) break;
  }
  return out.empty() || out[0] == '.' ? "_" + out : out;
}

std::string LoginShell() {
  if (passwd* pw = getpwuid(getuid()); pw && pw->pw_shell && *pw->pw_shell) return pw->pw_shell;
  if (const char* s = std::getenv("SHELL"); s && *s) return s;
  return "/bin/sh";
}

int RunRecord(const RecordArgs& a) {
  maint::SessionOptions so;
  maint::RecordingMetadata meta;
  std::string shell = LoginShell();
  const char* original = std::getenv("SSH_ORIGINAL_COMMAND");
  if (!a.command.empty()) {
    so.argv = a.command;
    for (const auto& c : a.command) meta.command += (meta.command.empty() ? "" : " ") + c;
  } else if (original && *original) {
    so.argv = {shell, "-c", original};
    meta.command = original;
  } else {
    so.argv = {shell};
    so.argv0 = "-" + shell.substr(shell.rfind('/') + 1);
  }
  meta.pty = a.force_pty || (!a.force_no_pty && isatty(0));
  so.record_input = !a.no_input;
  meta.ticket = a.ticket;
  meta.serial = a.serial;
  meta.device = a.device;
  meta.start_unix_us = NowUnixMicros();
  if (const char* t = std::getenv("TERM")) meta.term = t;
  if (auto size = maint::TerminalSize(0)) std::tie(meta.width, meta.height) = *size;

  // No session that cannot be sealed: a key that is no recorder is refused before it runs.
  auto sealer = PrepareSealer(a.seal);
  if (!sealer.ok()) return Fail(sealer.error().WithContext("no session that cannot be sealed"));
  // Live observers (docs/maint-recording.md, "Live observers"): when the policy requires one
  // (or --observe-via asks), the session starts only once an approver watches it.
  std::unique_ptr<maint::RelayWatch> watch;
  const maint::Policy* policy = *sealer ? &(*sealer)->policy : nullptr;
  std::string relay = !a.observe_via.empty() ? a.observe_via
                      : policy                ? policy->observer.relay
                                              : "";
  if (!a.observe_via.empty() && !policy) {
    return Fail(Error::InvalidInput(
        "--observe-via needs --policy and --key (the approvers' keys are in the policy)"));
  }
  if (policy && (policy->observer_required || !a.observe_via.empty())) {
    if (relay.empty()) {
      return Fail(Error::InvalidInput(a.seal.c.policy +
                                      ": observer-required, but no relay: --observe-via "
                                      "HOST:PORT or the policy's observer.relay")
                      .WithContext("no session without an observer"));
    }
    auto id = maint::NewRandomId();
    if (!id.ok()) return Fail(id.error());
    maint::RelayWatchOptions wo;
    wo.relay = relay;
    wo.session = {*id, a.ticket, a.serial, a.device};
    wo.approvers = policy->approvers;
    auto w = maint::RelayWatch::Connect(wo);
    if (!w.ok()) return Fail(w.error().WithContext("no session without an observer"));
    watch = std::move(*w);
    bool end = a.on_leave.empty() ? policy->observer.end_on_leave : a.on_leave == "end";
    so.watch = watch.get();
    so.on_leave = end ? maint::OnObserverLeave::kEnd : maint::OnObserverLeave::kPause;
    // stderr: on the exec path stdout carries scp's or sftp's protocol.
    std::fprintf(stderr,
                 "clearbox: waiting for an observer (approver) to join ... (session %s, ticket "
                 "%s, relay %s, up to %.0f s)\n",
                 id->c_str(), a.ticket.c_str(), relay.c_str(), a.observer_wait);
    std::fflush(stderr);
    if (Status st = watch->WaitForObserver(a.observer_wait, -1); !st.ok()) {
      return Fail(st.error().WithContext("no session"));
    }
    std::fprintf(stderr, "clearbox: an observer joined; the session starts\n");
    meta.start_unix_us = NowUnixMicros();  // the session starts now, not when it asked
    if (isatty(0)) tcflush(0, TCIFLUSH);  // what was typed while waiting goes nowhere
  }
  if (mkdir(a.out.c_str(), 0700) != 0 && errno != EEXIST) {
    return Fail(
        Error::FromErrno("mkdir", a.out, errno).WithContext("no session without a recording"));
  }
  std::string stamp = maint::FormatUnixMicros(meta.start_unix_us);  // 2026-12-07T02:07:24.1Z
  std::string id = stamp.substr(0, 4) + stamp.substr(5, 2) + stamp.substr(8, 2) + "T" +
                   stamp.substr(11, 2) + stamp.substr(14, 2) + stamp.substr(17, 2) + "Z-" +
                   Safe(a.ticket) + "-" + std::to_string(a.serial) + "-" + std::to_string(getpid());
  std::string cast_path = a.out + "/" + id + ".cast";
  maint::RecorderOptions ro;
  ro.chunk_bytes = a.chunk_bytes;
  ro.chunk_seconds = a.chunk_seconds;
  // No recording, no session: the command does not run if the file cannot be made.
  auto writer = maint::RecordingWriter::Create(cast_path, meta, ro);
  if (!writer.ok()) return Fail(writer.error().WithContext("no session without a recording"));

  auto start = std::chrono::steady_clock::now();
  maint::SessionClock clock = [start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  Result<maint::SessionResult> r =
      meta.pty ? maint::RunUnderPty(so, **writer, clock) : maint::RunWithPipes(so, **writer, clock);
  if (!r.ok()) return Fail(r.error().WithContext(cast_path));
  maint::SessionEnd end;
  end.exit_status = r->exit_status;
  end.end_unix_us = NowUnixMicros();
  end.input_bytes = r->input_bytes;
  end.output_bytes = r->output_bytes;
  end.error_bytes = r->error_bytes;
  end.note = r->note;
  Result<maint::SessionSummary> s = (*writer)->Finish(clock(), end);
  if (!s.ok()) return Fail(s.error());
  std::string summary = s->ToJson().dump(2) + "\n";
  if (Status w = WriteNewFile(a.out + "/" + id + ".summary.json", AsBytes(summary), 0600);
      !w.ok()) {
    return Fail(w.error());
  }
  // The signed statement into the log; a log that cannot be reached leaves it pending on disk
  // and does not change how the session ended.
  // The approvers who watched live (RelayWatch::ObserverNames): the statement's observers.
  std::vector<std::string> observers = watch ? watch->ObserverNames() : a.observers;
  watch.reset();  // the relay tells the observers that the session ended
  if (*sealer) SealSession(**sealer, {*s, observers}, a.out + "/" + id);
  return r->exit_status;
}

struct ReplayArgs {
  std::string recording, summary;
  MaintCommon log;  // --policy, --log: check the recording against its session statement
  double speed = 1.0;
  double idle_limit = 0;
  bool verify = false, force = false;
};

int VerifyExit(const Error& e) {
  std::fprintf(stderr, "clearbox: %s\n", e.message().c_str());
  switch (e.code()) {
    case ErrorCode::kVerificationFailed:
    case ErrorCode::kInvalidInput:
    case ErrorCode::kLimitExceeded:
      return kExitFindings;  // the recording is damaged or was changed: evidence
    default:
      return kExitInputError;
  }
}

int RunReplay(const ReplayArgs& a) {
  if (!(a.speed > 0)) return Fail(Error::InvalidInput("--speed must be above 0"));
  auto file = MappedFile::Open(a.recording);
  if (!file.ok()) return Fail(file.error());
  maint::VerifyOptions vo;
  vo.allow_incomplete = !a.verify;
  if (!a.summary.empty()) {
    auto text = ReadTextFile(a.summary, 1 << 20);
    if (!text.ok()) return Fail(text.error());
    auto j = ParseStrictJson(*text, a.summary, 8);
    if (!j.ok()) return Fail(j.error());
    auto s = maint::SessionSummary::FromJson(*j);
    if (!s.ok()) return Fail(s.error().WithContext(a.summary));
    vo.expected = s->head;
  }
  auto report = maint::VerifyRecording((*file)->bytes(), vo);
  if (!report.ok()) {
    if (!a.force || a.verify) return VerifyExit(report.error().WithContext(a.recording));
    std::fprintf(stderr, "clearbox: %s: %s (playing it anyway: --force)\n", a.recording.c_str(),
                 report.error().message().c_str());
  }
  if (a.verify) {
    const auto& r = *report;
    const auto& cb = r.header["clearbox"];
    std::string sealed;
    if (!a.log.policy.empty()) {
      auto seal = SealInLog(r, a.log);
      if (!seal.ok()) {
        if (seal.error().code() != ErrorCode::kVerificationFailed) return Fail(seal.error());
        std::string lines = seal.error().message();
        for (size_t from = 0; from <= lines.size();) {
          size_t nl = std::min(lines.find('\n', from), lines.size());
          std::fprintf(stderr, "clearbox: %s: %s\n", a.recording.c_str(),
                       lines.substr(from, nl - from).c_str());
          from = nl + 1;
        }
        return kExitFindings;
      }
      sealed = " (" + *seal + ")";
    }
    std::printf(
        "ok: %s: ticket %s, serial %s, device %s, %llu chunks, %llu bytes, %llu events, "
        "exit status %d, chain head %s%s\n",
        a.recording.c_str(), cb.value("ticket", "").c_str(),
        cb.contains("serial") ? cb["serial"].dump().c_str() : "?", cb.value("device", "").c_str(),
        (unsigned long long)r.head.chunks, (unsigned long long)r.head.bytes,
        (unsigned long long)r.events, r.end ? r.end->exit_status : -1,
        HexEncode(r.head.value).c_str(), sealed.c_str());
    return kExitOk;
  }
  uint64_t covered = report.ok() ? report->covered_bytes : (*file)->bytes().size();
  if (report.ok() && !report->complete) {
    std::fprintf(stderr,
                 "clearbox: warning: %s was cut off (no closing marker): playing its %llu "
                 "verified chunks\n",
                 a.recording.c_str(), (unsigned long long)report->head.chunks);
  }
  if (a.force) covered = (*file)->bytes().size();
  auto start = std::chrono::steady_clock::now();
  double last = 0, shift = 0;  // shift: idle time cut by --idle-limit
  vo.allow_incomplete = true;
  vo.expected.reset();
  vo.on_event = [&](const maint::RecordingEvent& e) -> Status {
    if (e.offset >= covered || e.type != 'o') return Status::Ok();
    if (a.idle_limit > 0 && e.time - last > a.idle_limit) shift += e.time - last - a.idle_limit;
    last = e.time;
    auto due = start + std::chrono::duration<double>((e.time - shift) / a.speed);
    std::this_thread::sleep_until(due);
    if (Status s = WriteAll(1, e.data, "stdout"); !s.ok()) return s;
    return Status::Ok();
  };
  auto played = maint::VerifyRecording((*file)->bytes(), vo);
  if (!played.ok() && !a.force) return VerifyExit(played.error().WithContext(a.recording));
  return kExitOk;
}

}  // namespace

void RegisterMaintRecordCommands(CLI::App& app) {
  CLI::App* maint = MaintCommand(app);
  auto ra = std::make_shared<RecordArgs>();
  CLI::App* rec = maint->add_subcommand(
      "record", "run a maintenance session (sshd ForceCommand) and record it, hash-chained");
  rec->add_option("--out", ra->out, "directory for the recording and its summary")->required();
  rec->add_option("--ticket", ra->ticket, "the approved maintenance request")->required();
  rec->add_option("--serial", ra->serial, "the certificate's serial")->required();
  rec->add_option("--device", ra->device, "the device being maintained")->required();
  rec->add_flag("--no-input", ra->no_input, "do not record keystrokes (pty sessions)");
  rec->add_flag("--pty", ra->force_pty, "run on a pty even if stdin is not a terminal");
  rec->add_flag("--no-pty", ra->force_no_pty, "run with pipes even if stdin is a terminal");
  rec->add_option("--chunk-bytes", ra->chunk_bytes, "close a chunk after this many bytes")
      ->check(CLI::Range(uint64_t(256), uint64_t(64) << 20));
  rec->add_option("--chunk-seconds", ra->chunk_seconds, "close a chunk after this long")
      ->check(CLI::Range(0.01, 3600.0));
  AddSealFlags(rec, &ra->seal);
  rec->add_option("--observe-via", ra->observe_via,
                  "HOST:PORT of `maint relay`: live observers (default: the policy's "
                  "observer.relay when it has observer-required)");
  rec->add_option("--observer-wait", ra->observer_wait,
                  "seconds to wait for the first observer before giving up (default 600)")
      ->check(CLI::Range(1.0, 86400.0));
  rec->add_option("--on-observer-leave", ra->on_leave,
                  "pause or end the session when the last observer leaves (default: the "
                  "policy's observer.on-leave, else pause)")
      ->check(CLI::IsMember({"pause", "end"}));
  rec->add_option("command", ra->command,
                  "the command (after --); default: SSH_ORIGINAL_COMMAND, else a login shell");
  rec->callback([ra] { ExitCode() = RunRecord(*ra); });

  auto pa = std::make_shared<ReplayArgs>();
  CLI::App* rep = maint->add_subcommand("replay", "play a recording back, or --verify it");
  rep->add_option("recording", pa->recording, "the .cast file")->required();
  rep->add_option("--speed", pa->speed, "playback speed (2 = twice as fast)");
  rep->add_option("--idle-limit", pa->idle_limit, "cut pauses longer than this (seconds)");
  CLI::Option* verify =
      rep->add_flag("--verify", pa->verify, "check the hash chain instead of playing");
  rep->add_option("--summary", pa->summary,
                  "the session summary (or statement's content) whose chain head must match");
  rep->add_option("--policy", pa->log.policy,
                  "with --verify: the recording must be sealed in this policy's log, by a recorder")
      ->needs(verify);
  rep->add_option("--log", pa->log.log, "read this mirror of the policy's log");
  rep->add_flag("--force", pa->force, "play even a recording that fails verification");
  rep->callback([pa] { ExitCode() = RunReplay(*pa); });
}

}  // namespace clearbox::cli
