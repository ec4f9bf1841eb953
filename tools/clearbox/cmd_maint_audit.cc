// clearbox maint audit --policy P [--log URL] [--auth-log FILE...] [--journal FILE...]
//   [--recordings DIR] [--krl FILE] [--now T] [--format text|sarif|json|html] [-o PATH]
//   [--fail-on SEVERITY]
// Reads the inputs and prints; the reconciliation is maint::Reconcile (docs/maint-audit.md).
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/core/digest.h"
#include "clearbox/core/file.h"
#include "clearbox/core/strict_json.h"
#include "clearbox/maint/auth_log.h"
#include "clearbox/maint/krl.h"
#include "clearbox/maint/reconcile.h"
#include "clearbox/maint/recording.h"
#include "clearbox/report/maint.h"
#include "commands.h"
#include "common.h"
#include "maint_cli.h"

namespace clearbox::cli {
namespace {

constexpr size_t kMaxRecordings = 100000;

struct AuditArgs {
  MaintCommon c;
  std::vector<std::string> auth_logs, journals;
  std::string recordings, krl, format = "text", output, fail_on = "high";
};

// What a recording's header says it is, even when the rest does not verify.
void ReadHeader(ByteView bytes, maint::RecordingCheck* r) {
  std::string_view text = AsChars(bytes);
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos || nl > maint::kMaxRecordingHeaderBytes) return;
  auto header = ParseStrictJson(text.substr(0, nl), "header", maint::kMaxRecordingJsonDepth);
  if (!header.ok() || !header->is_object()) return;
  auto cb = header->find("clearbox");
  if (cb == header->end() || !cb->is_object()) return;
  if (auto t = cb->find("ticket"); t != cb->end() && t->is_string()) {
    r->ticket = t->get<std::string>().substr(0, 255);
  }
  if (auto s = cb->find("serial"); s != cb->end() && s->is_number_unsigned()) {
    r->serial = s->get<uint64_t>();
  }
  if (auto d = cb->find("device"); d != cb->end() && d->is_string()) {
    r->device = d->get<std::string>().substr(0, 255);
  }
  if (auto st = cb->find("start"); st != cb->end() && st->is_string()) {
    // "2026-12-07T02:07:24.123456Z" (recording.h, FormatUnixMicros).
    const std::string& v = st->get_ref<const std::string&>();
    if (v.size() == 27 && v[19] == '.' && v[26] == 'Z') {
      auto secs = maint::ParseUtcTime(v.substr(0, 19) + "Z");
      int64_t micros = 0;
      bool digits = true;
      for (size_t i = 20; i < 26; ++i) {
        digits = digits && v[i] >= '0' && v[i] <= '9';
        micros = micros * 10 + (v[i] - '0');
      }
      if (secs.ok() && digits) r->start_us = static_cast<int64_t>(*secs) * 1000000 + micros;
    }
  }
}

Result<std::vector<maint::RecordingCheck>> ReadRecordings(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Error::InvalidInput("--recordings " + dir + ": not a directory");
  }
  std::vector<std::string> paths;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it.depth() > 4) it.disable_recursion_pending();
    if (it->is_regular_file(ec) && it->path().extension() == ".cast") {
      if (paths.size() == kMaxRecordings) {
        return Error::LimitExceeded("--recordings " + dir + ": more than " +
                                    std::to_string(kMaxRecordings) + " recordings");
      }
      paths.push_back(it->path().string());
    }
  }
  if (ec) return Error::Io("--recordings " + dir + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  std::vector<maint::RecordingCheck> out;
  for (const std::string& path : paths) {
    maint::RecordingCheck r;
    r.path = path;
    auto file = MappedFile::Open(path);
    if (!file.ok()) {
      r.error = file.error().message();
      out.push_back(std::move(r));
      continue;
    }
    ByteView bytes = (*file)->bytes();
    r.sha256 = Sha256(bytes);
    ReadHeader(bytes, &r);
    maint::VerifyOptions options;
    options.allow_incomplete = true;
    auto v = maint::VerifyRecording(bytes, options);
    if (v.ok()) {
      r.verified = true;
      r.complete = v->complete;
      r.head = v->head;
    } else {
      r.error = v.error().message();
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string TextReport(const maint::MaintAuditReport& r) {
  std::string out = fmt::format(
      "maint audit: {} log entries ({} requests, {} approved, {} certificates, {} sessions), "
      "{} logins, {} refused certificates, {} recordings: {} findings\n",
      r.log_entries, r.requests, r.approved, r.certificates, r.sessions, r.logins, r.refusals,
      r.recordings, r.findings.size());
  if (r.findings.empty()) return out;
  out += fmt::format("\n{:<9} {:<13} {}\n", "SEVERITY", "RULE", "FINDING / EVIDENCE");
  for (const maint::MaintFinding& f : r.findings) {
    out += fmt::format("{:<9} {:<13} {}\n", maint::MaintSeverityName(f.severity), f.rule_id,
                       f.message);
    for (const maint::MaintEvidence& e : f.evidence) {
      out += fmt::format("{:<23} {}: {}\n", "", e.where, e.text.substr(0, 400));
    }
  }
  return out;
}

int RunAudit(const AuditArgs& a) {
  static const std::vector<std::string> kFormats = {"text", "sarif", "json", "html"};
  if (std::find(kFormats.begin(), kFormats.end(), a.format) == kFormats.end()) {
    return Fail(Error::InvalidInput("--format: " + a.format + " (text, sarif, json or html)"));
  }
  std::optional<audit::Severity> fail_on = audit::ParseSeverity(a.fail_on);
  if (!fail_on) return Fail(Error::InvalidInput("--fail-on: unknown severity '" + a.fail_on + "'"));
  auto policy = LoadPolicy(a.c.policy);
  if (!policy.ok()) return Fail(policy.error());
  auto now = ParseWhen(a.c.now, "--now");
  if (!now.ok()) return Fail(now.error());

  maint::AuthLog auth;
  maint::AuthLogOptions options;
  options.now_us = static_cast<int64_t>(*now) * 1000000;
  std::vector<std::string> inputs = a.auth_logs;
  inputs.insert(inputs.end(), a.journals.begin(), a.journals.end());
  for (const std::string& path : inputs) {
    auto file = MappedFile::Open(path);
    if (!file.ok()) return Fail(file.error());
    maint::ParseAuthLog((*file)->bytes(), path, options, &auth);
  }
  std::optional<maint::Krl> krl;
  if (!a.krl.empty()) {
    auto bytes = ReadFile(a.krl, maint::KrlLimits::kMaxFile + 1);
    if (!bytes.ok()) return Fail(bytes.error());
    auto parsed = maint::ParseKrl(*bytes);
    if (!parsed.ok()) return Fail(parsed.error().WithContext(a.krl));
    krl = std::move(*parsed);
  }
  std::vector<maint::RecordingCheck> recordings;
  if (!a.recordings.empty()) {
    auto r = ReadRecordings(a.recordings);
    if (!r.ok()) return Fail(r.error());
    recordings = std::move(*r);
  }
  auto log = ReadLog(*policy, a.c);
  if (!log.ok()) return Fail(log.error());
  std::vector<maint::LogEntry> entries = EntriesOf(*log);

  maint::ReconcileInput in{*policy, entries,           auth.events, recordings,
                           !a.recordings.empty(), krl ? &*krl : nullptr, a.krl, *now};
  maint::MaintAuditReport report = maint::Reconcile(in);
  for (const std::string& n : auth.notes) report.notes.push_back(n);
  if (auth.skipped_notes > 0) {
    report.notes.push_back(std::to_string(auth.skipped_notes) + " more notes on the auth logs");
  }

  std::string text = a.format == "sarif"  ? report::MaintSarifJson(report)
                     : a.format == "json" ? report::MaintJson(report)
                     : a.format == "html" ? report::MaintHtml(report, *fail_on)
                                          : TextReport(report);
  if (Status s = WriteReport(a.output, text); !s.ok()) return Fail(s.error());
  size_t shown = 0;
  for (const std::string& n : report.notes) {
    if (++shown > 20) {
      fmt::print(stderr, "clearbox: note: ... and {} more notes\n", report.notes.size() - 20);
      break;
    }
    fmt::print(stderr, "clearbox: note: {}\n", n);
  }
  for (const maint::MaintFinding& f : report.findings) {
    if (report::ToAuditSeverity(f.severity) >= *fail_on) return kExitFindings;
  }
  return kExitOk;
}

}  // namespace

void RegisterMaintAuditCommands(CLI::App& app) {
  CLI::App* maint = MaintCommand(app);
  auto a = std::make_shared<AuditArgs>();
  CLI::App* cmd = maint->add_subcommand(
      "audit", "reconcile the log, the devices' sshd/login logs, the recordings and the KRL");
  cmd->footer(
      "Exit status: 0 no finding at or above --fail-on, 1 findings at or above it, 2 usage or "
      "input error. Rules: docs/maint-audit.md.");
  AddMaintCommon(cmd, &a->c);
  cmd->add_option("--auth-log", a->auth_logs,
                  "a device's auth.log (syslog, RFC 3164 or RFC 3339 stamps), an sshd -E file, "
                  "or journalctl -o export / -o json output");
  cmd->add_option("--journal", a->journals, "journalctl -o export (or -o json) output");
  cmd->add_option("--recordings", a->recordings,
                  "directory of session recordings (*.cast): each is checked against the log, "
                  "and each sealed session must have its recording here");
  cmd->add_option("--krl", a->krl, "the KRL in force (maint revoke): logins after it was made "
                                   "with a certificate it revokes are findings");
  cmd->add_option("--format", a->format, "text (default), sarif, json or html");
  cmd->add_option("-o,--output", a->output, "write here (atomically) instead of stdout");
  cmd->add_option("--fail-on", a->fail_on,
                  "exit 1 if a finding is at least this severe (default high)");
  cmd->callback([a] { ExitCode() = RunAudit(*a); });
}

}  // namespace clearbox::cli
