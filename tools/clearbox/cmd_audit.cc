// clearbox audit IMAGE [--format text|sarif|json] [-o FILE] [--fail-on SEVERITY]
// clearbox audit --list-checks
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "clearbox/audit/check.h"
#include "clearbox/core/file.h"
#include "clearbox/core/progress.h"
#include "clearbox/inventory/inventory.h"
#include "clearbox/report/sarif.h"
#include "common.h"

namespace clearbox::cli {
namespace {

struct AuditFlags {
  std::string image;
  std::string format = "text";
  std::string output;
  std::string fail_on = "high";
  std::vector<std::string> only;
  std::vector<std::string> rule_dirs;
  std::string allow;
  bool list_checks = false;
  inventory::Options options;
};

void ListChecks() {
  fmt::print("{:<12} {:<9} {:<12} {}\n", "ID", "SEVERITY", "TS 33.117", "TITLE");
  for (const audit::Check& c : audit::AllChecks()) {
    fmt::print("{:<12} {:<9} {:<12} {}\n", c.id, audit::SeverityName(c.severity),
               c.ts33117_clause.empty() ? "-" : c.ts33117_clause, c.title);
  }
}

std::string TextReport(const audit::AuditReport& r) {
  std::string out = fmt::format("{}  sha256:{}  {} checks, {} findings\n", r.image, r.sha256,
                                r.checks_run.size(), r.findings.size());
  if (r.findings.empty()) return out;
  out += fmt::format("\n{:<9} {:<12} {}\n", "SEVERITY", "CHECK", "FINDING / EVIDENCE");
  for (const audit::Finding& f : r.findings) {
    out += fmt::format("{:<9} {:<12} {}\n", audit::SeverityName(f.severity), f.check_id, f.message);
    for (const audit::Evidence& e : f.evidence) {
      out += fmt::format("{:<22} {} @{}: {}\n", "", e.provenance, e.offset, e.excerpt);
    }
  }
  return out;
}

int RunAuditCommand(AuditFlags& f) {
  if (f.list_checks) {
    ListChecks();
    return kExitOk;
  }
  if (f.image.empty()) return Fail(Error::InvalidInput("audit: IMAGE is required"));
  std::optional<audit::Severity> fail_on = audit::ParseSeverity(f.fail_on);
  if (!fail_on) return Fail(Error::InvalidInput("--fail-on: unknown severity '" + f.fail_on + "'"));
  if (Status s = CheckReadable(f.image); !s.ok()) return Fail(s.error());

  Progress progress("audit " + ImageName(f.image));
  if (progress.enabled()) f.options.progress = &progress;
  audit::AuditOptions options;
  options.only = f.only;
  options.rule_dirs = f.rule_dirs;
  if (!f.allow.empty()) {
    Result<std::string> text = ReadTextFile(f.allow, 16u << 20);
    if (!text.ok()) return Fail(text.error());
    Result<audit::AllowList> allow = audit::AllowList::Parse(*text, f.allow);
    if (!allow.ok()) return Fail(allow.error());
    options.allow = std::move(*allow);
  }
  Result<audit::Audit> audit = audit::AuditFile(f.image, options, f.options);
  progress.Finish();
  if (!audit.ok()) return Fail(audit.error());
  const inventory::Inventory* inv = &audit->inventory;
  const audit::AuditReport* report = &audit->report;

  std::string text = f.format == "sarif"  ? report::SarifJson(*report, audit::AllChecks())
                     : f.format == "json" ? audit::AuditReportJson(*report) + "\n"
                                          : TextReport(*report);
  if (Status s = WriteReport(f.output, text); !s.ok()) return Fail(s.error());
  ReportNotes(inv->unpack_notes, inv->partial);
  for (const audit::AuditNote& n : report->notes) {
    fmt::print(stderr, "clearbox: note: {}: {}\n", n.where, n.message);
  }
  for (const audit::Finding& finding : report->findings) {
    if (finding.severity >= *fail_on) return kExitFindings;
  }
  return kExitOk;
}

}  // namespace

void RegisterAuditCommands(CLI::App& app) {
  auto flags = std::make_shared<AuditFlags>();
  CLI::App* cmd =
      app.add_subcommand("audit", "check an image for undeclared ways in (accounts, ...)");
  cmd->footer(
      "Exit status: 0 no finding at or above --fail-on, 1 findings at or above it, 2 usage or "
      "input error. docs/checks.md describes every check; --list-checks prints them.");
  cmd->add_option("IMAGE", flags->image, "firmware image");
  cmd->add_option("--format", flags->format, "text (for people), sarif (2.1.0) or json")
      ->check(CLI::IsMember({"text", "sarif", "json"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", flags->output, "write here (atomically) instead of stdout");
  cmd->add_option("--fail-on", flags->fail_on,
                  "exit 1 when a finding is at least this severe: info, low, medium, high, "
                  "critical")
      ->check(CLI::IsMember({"info", "low", "medium", "high", "critical"}))
      ->capture_default_str();
  cmd->add_option("--check", flags->only, "run only this check id (repeatable)");
  cmd->add_option("--rules", flags->rule_dirs,
                  "a directory of extra YARA rules (*.yar, *.yara), on top of the shipped set "
                  "(repeatable)");
  cmd->add_option("--allow", flags->allow,
                  "allow list: 'path GLOB [CHECK]' accepts findings at a path, 'endpoint "
                  "HOST|ADDRESS|CIDR' an outbound endpoint");
  cmd->add_flag("--list-checks", flags->list_checks, "print the checks and exit");
  AddLimitFlags(cmd, &flags->options.unpack);
  cmd->callback([flags] { ExitCode() = RunAuditCommand(*flags); });
}

}  // namespace clearbox::cli
