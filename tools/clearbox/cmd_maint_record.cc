// clearbox maint record --out DIR --ticket ID --serial N --device NAME [--no-input]
//   [--pty|--no-pty] [-- COMMAND...]       (sshd's ForceCommand: reads SSH_ORIGINAL_COMMAND)
// clearbox maint replay RECORDING [--speed X] [--idle-limit S] [--verify] [--summary FILE]
//   [--force]
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"
#include "clearbox/core/strict_json.h"
#include "clearbox/maint/pty_session.h"
#include "clearbox/maint/recording.h"
#include "commands.h"
#include "common.h"

namespace clearbox::cli {
namespace {

struct RecordArgs {
  std::string out, ticket, device;
  uint64_t serial = 0;
  bool no_input = false, force_pty = false, force_no_pty = false;
  uint64_t chunk_bytes = 1 << 20;
  double chunk_seconds = 1.0;
  std::vector<std::string> command;
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
  return r->exit_status;
}

struct ReplayArgs {
  std::string recording, summary;
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
    std::printf(
        "ok: %s: ticket %s, serial %s, device %s, %llu chunks, %llu bytes, %llu events, "
        "exit status %d, chain head %s\n",
        a.recording.c_str(), cb.value("ticket", "").c_str(),
        cb.contains("serial") ? cb["serial"].dump().c_str() : "?", cb.value("device", "").c_str(),
        (unsigned long long)r.head.chunks, (unsigned long long)r.head.bytes,
        (unsigned long long)r.events, r.end ? r.end->exit_status : -1,
        HexEncode(r.head.value).c_str());
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
  rec->add_option("command", ra->command,
                  "the command (after --); default: SSH_ORIGINAL_COMMAND, else a login shell");
  rec->callback([ra] { ExitCode() = RunRecord(*ra); });

  auto pa = std::make_shared<ReplayArgs>();
  CLI::App* rep = maint->add_subcommand("replay", "play a recording back, or --verify it");
  rep->add_option("recording", pa->recording, "the .cast file")->required();
  rep->add_option("--speed", pa->speed, "playback speed (2 = twice as fast)");
  rep->add_option("--idle-limit", pa->idle_limit, "cut pauses longer than this (seconds)");
  rep->add_flag("--verify", pa->verify, "check the hash chain instead of playing");
  rep->add_option("--summary", pa->summary,
                  "the session summary (or statement's content) whose chain head must match");
  rep->add_flag("--force", pa->force, "play even a recording that fails verification");
  rep->callback([pa] { ExitCode() = RunReplay(*pa); });
}

}  // namespace clearbox::cli
