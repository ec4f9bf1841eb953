// clearbox audit IMAGE [--pledge FILE] [--vulndb FILE] [--rules DIR] [--allow FILE]
//   [--baseline OLD.sarif] [--format text|sarif|json|html|all] [-o PATH] [--fail-on SEVERITY]
//   [--diff-from OLD_IMAGE] [--capture CAPTURE --device MAC|IP [--mud FILE]]
// clearbox audit --list-checks
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "clearbox/audit/check.h"
#include "clearbox/audit/pledge.h"
#include "clearbox/core/file.h"
#include "clearbox/core/progress.h"
#include "clearbox/diff/diff.h"
#include "clearbox/inventory/inventory.h"
#include "clearbox/inventory/vulndb.h"
#include "clearbox/report/audit_watch.h"
#include "clearbox/report/html.h"
#include "clearbox/report/sarif.h"
#include "clearbox/report/sbom.h"
#include "clearbox/report/watch.h"
#include "clearbox/watch/watch.h"
#include "audit_inputs.h"
#include "common.h"

namespace clearbox::cli {
namespace {

// The files `--format all` writes into the -o directory.
constexpr std::string_view kSarifFile = "report.sarif";
constexpr std::string_view kJsonFile = "report.json";
constexpr std::string_view kHtmlFile = "report.html";
constexpr std::string_view kSbomFile = "sbom.cdx.json";

struct AuditFlags {
  std::string image;
  std::string format = "text";
  std::string output;
  std::string fail_on = "high";
  std::string diff_from;  // an earlier image: the HTML report shows what changed since
  // --capture: the device's traffic, judged as `clearbox watch` judges it, with the MUD
  // profile of --mud or else the pledge's, and the audit's endpoints.
  std::string capture, device, mud;
  AuditInputFlags in;  // --check, --rules, --allow, --pledge, --vulndb, --baseline
  bool list_checks = false;
  bool timings = false;
  inventory::Options options;
};

void ListChecks() {
  fmt::print("{:<13} {:<9} {:<12} {}\n", "ID", "SEVERITY", "TS 33.117", "TITLE");
  for (const audit::Check& c : audit::AllChecks()) {
    fmt::print("{:<13} {:<9} {:<12} {}\n", c.id, audit::SeverityName(c.severity),
               c.ts33117_clause.empty() ? "-" : c.ts33117_clause, c.title);
  }
}

// The traffic's part of the text report: the counts, then one line per finding.
std::string WatchText(const watch::WatchReport& w) {
  std::string out = fmt::format(
      "\ntraffic {}  device {}  profile {}: {} packets, {} flows ({} declared), {} findings\n",
      w.capture, w.device, w.mud_url, w.stats.packets, w.flows, w.declared_flows,
      w.findings.size());
  if (w.findings.empty()) return out;
  out += fmt::format("\n{:<9} {:<13} {}\n", "SEVERITY", "CHECK", "FINDING");
  for (const watch::WatchFinding& finding : w.findings) {
    out += fmt::format("{:<9} {:<13} {}\n", watch::WatchSeverityName(finding.severity),
                       finding.check_id, finding.message);
  }
  return out;
}

std::string TextReport(const audit::AuditReport& r, const AuditFlags& f,
                       const watch::WatchReport* traffic) {
  std::string out = fmt::format("{}  sha256:{}  {} checks, {} findings", r.image, r.sha256,
                                r.checks_run.size(), r.findings.size());
  if (r.suppressed > 0) out += fmt::format(" ({} suppressed)", r.suppressed);
  out += "\n";
  if (!f.in.pledge.empty()) {
    size_t kept = 0;
    for (const audit::PledgeItem& p : r.pledge_items) kept += p.found;
    out += fmt::format("pledge {}: {} of {} declared items found\n", f.in.pledge, kept,
                       r.pledge_items.size());
    for (const audit::PledgeItem& p : r.pledge_items) {
      if (!p.found) {
        out += fmt::format("  missing {} {}: {}\n", audit::ObservationKindName(p.kind), p.name,
                           p.detail);
      }
    }
  }
  if (r.findings.empty()) return traffic ? out + WatchText(*traffic) : out;
  out += fmt::format("\n{:<9} {:<12} {}\n", "SEVERITY", "CHECK", "FINDING / EVIDENCE");
  for (const audit::Finding& finding : r.findings) {
    out += fmt::format("{:<9} {:<12} {}\n", audit::SeverityName(finding.severity),
                       finding.check_id, finding.message);
    for (const audit::Evidence& e : finding.evidence) {
      out += fmt::format("{:<22} {} @{}: {}\n", "", e.provenance, e.offset, e.excerpt);
    }
  }
  if (traffic) out += WatchText(*traffic);
  return out;
}

struct Outputs {
  std::string sarif, json, html;
};

Status WriteAll(const AuditFlags& f, const audit::Audit& audit, const Outputs& out) {
  std::error_code ec;
  std::filesystem::create_directories(f.output, ec);
  if (ec || !std::filesystem::is_directory(f.output)) {
    return Error::Io(fmt::format("-o {}: cannot create the output directory{}", f.output,
                                 ec ? ": " + ec.message() : std::string()));
  }
  auto path = [&](std::string_view name) {
    return (std::filesystem::path(f.output) / name).string();
  };
  CLEARBOX_RETURN_IF_ERROR(WriteReport(path(kSarifFile), out.sarif));
  CLEARBOX_RETURN_IF_ERROR(WriteReport(path(kJsonFile), out.json));
  CLEARBOX_RETURN_IF_ERROR(WriteReport(path(kHtmlFile), out.html));
  std::string sbom = report::CycloneDxJson(audit.inventory, audit.inventory.vulnerabilities, {});
  return WriteReport(path(kSbomFile), sbom);
}

// Per check, to stderr: where an audit's time goes (scanner seconds are summed over the
// unpacker's threads, so they may add up to more than the wall time).
void PrintTimings(const audit::AuditReport& r, double wall_seconds) {
  fmt::print(stderr, "{:<13} {:>10} {:>12} {:>9}\n", "CHECK", "SCAN CPU s", "SCANNED MiB",
             "RUN s");
  for (const audit::CheckTiming& t : r.timings) {
    fmt::print(stderr, "{:<13} {:>10.3f} {:>12.1f} {:>9.3f}\n", t.check_id, t.scan_seconds,
               static_cast<double>(t.scanned_bytes) / (1 << 20), t.run_seconds);
  }
  fmt::print(stderr, "audit wall {:.3f} s (unpack, inventory and every check)\n", wall_seconds);
}

// What --capture needs, read and opened before the image is unpacked, so that a typo costs
// no time.
struct TrafficInputs {
  watch::MudProfile mud;
  watch::WatchOptions options;
  std::unique_ptr<watch::Capture> capture;
};

Result<std::optional<TrafficInputs>> ReadTrafficInputs(const AuditFlags& f) {
  if (f.capture.empty()) {
    if (!f.device.empty() || !f.mud.empty()) {
      return Error::InvalidInput("--device and --mud judge a capture: give it with --capture FILE");
    }
    return std::optional<TrafficInputs>();
  }
  if (f.device.empty()) {
    return Error::InvalidInput("--capture: give the device whose traffic it is with --device "
                               "MAC|IP");
  }
  if (f.mud.empty() && f.in.pledge.empty()) {
    return Error::InvalidInput("--capture: give the device's MUD profile with --mud FILE or a "
                               "pledge that embeds one with --pledge FILE");
  }
  TrafficInputs t;
  const std::string& path = f.mud.empty() ? f.in.pledge : f.mud;
  CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, watch::kMaxMudInputBytes));
  if (f.mud.empty()) {
    CLEARBOX_ASSIGN_OR_RETURN(t.mud, watch::ParseMudFromPledge(text, path));
  } else {
    CLEARBOX_ASSIGN_OR_RETURN(t.mud, watch::ParseMud(text, path));
  }
  Result<watch::DeviceSelector> device = watch::DeviceSelector::Parse(f.device);
  if (!device.ok()) return Error::InvalidInput("--device: " + device.error().message());
  t.options.device = *device;
  CLEARBOX_RETURN_IF_ERROR(CheckReadable(f.capture));
  CLEARBOX_ASSIGN_OR_RETURN(t.capture, watch::Capture::OpenFile(f.capture, {}));
  return std::optional<TrafficInputs>(std::move(t));
}

int RunAuditCommand(AuditFlags& f) {
  if (f.list_checks) {
    ListChecks();
    return kExitOk;
  }
  if (f.image.empty()) return Fail(Error::InvalidInput("audit: IMAGE is required"));
  std::optional<audit::Severity> fail_on = audit::ParseSeverity(f.fail_on);
  if (!fail_on) return Fail(Error::InvalidInput("--fail-on: unknown severity '" + f.fail_on + "'"));
  if (f.format == "all" && f.output.empty()) {
    return Fail(Error::InvalidInput(
        "--format all writes report.sarif, report.json, report.html and sbom.cdx.json: give "
        "their directory with -o DIR"));
  }
  if (!f.diff_from.empty() && f.format != "html" && f.format != "all") {
    return Fail(Error::InvalidInput(
        "--diff-from adds a section to the HTML report: use it with --format html or all (or "
        "`clearbox diff OLD NEW` for text and JSON)"));
  }
  if (Status s = CheckReadable(f.image); !s.ok()) return Fail(s.error());
  if (!f.diff_from.empty()) {
    if (Status s = CheckReadable(f.diff_from); !s.ok()) return Fail(s.error());
  }
  Result<AuditInputs> in = ReadAuditInputs(f.in);
  if (!in.ok()) return Fail(in.error());
  Result<std::optional<TrafficInputs>> traffic_in = ReadTrafficInputs(f);
  if (!traffic_in.ok()) return Fail(traffic_in.error());
  const auto start = std::chrono::steady_clock::now();
  Result<audit::Audit> audit =
      AuditWithProgress(f.image, "audit " + ImageName(f.image), *in, f.options);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!audit.ok()) return Fail(audit.error());
  const audit::AuditReport& report = audit->report;
  // --diff-from: OLD audited with the same inputs, then compared as `clearbox diff` does.
  std::optional<diff::ImageDiff> changes;
  if (!f.diff_from.empty()) {
    Result<audit::Audit> old_audit = AuditWithProgress(
        f.diff_from, "audit --diff-from " + ImageName(f.diff_from), *in, f.options);
    if (!old_audit.ok()) return Fail(old_audit.error());
    if (old_audit->inventory.filesystems.empty()) {
      return Fail(Error::InvalidInput(fmt::format(
          "--diff-from {}: no filesystem or archive found in it, so there is nothing to compare",
          f.diff_from)));
    }
    changes = diff::DiffAudits(*old_audit, *audit);
    ReportNotes(old_audit->inventory.unpack_notes, old_audit->inventory.partial);
  }
  // --capture: the watch checks, with the endpoints this audit found in the image.
  std::optional<watch::WatchReport> traffic;
  if (*traffic_in) {
    TrafficInputs& t = **traffic_in;
    t.options.audit_endpoints = report::AuditEndpoints(report);
    Result<watch::WatchReport> w = watch::WatchCapture(*t.capture, f.capture, t.mud, t.options);
    if (!w.ok()) return Fail(w.error());
    traffic = std::move(*w);
    traffic->device = f.device;
  }
  const watch::WatchReport* traffic_ptr = traffic ? &*traffic : nullptr;

  Outputs out;
  bool all = f.format == "all";
  if (all || f.format == "sarif") {
    out.sarif = traffic ? report::SarifJson(report, audit::AllChecks(), *traffic)
                        : report::SarifJson(report, audit::AllChecks());
  }
  if (all || f.format == "json") out.json = report::AuditJson(report, traffic_ptr) + "\n";
  if (all || f.format == "html") {
    report::HtmlOptions html;
    html.fail_on = *fail_on;
    html.pledge_name = f.in.pledge;
    html.baseline_name = f.in.baseline;
    if (changes) html.diff_from = &*changes;
    html.watch = traffic_ptr;
    out.html = report::AuditHtml(report, audit->inventory, audit::AllChecks(), html);
  }
  Status written = Status::Ok();
  if (all) {
    written = WriteAll(f, *audit, out);
    // The verdict for the person at the terminal; the files are for tools and the record.
    if (written.ok()) std::fputs(TextReport(report, f, traffic_ptr).c_str(), stdout);
  } else {
    const std::string& text = f.format == "sarif"  ? out.sarif
                              : f.format == "json" ? out.json
                              : f.format == "html" ? out.html
                                                   : TextReport(report, f, traffic_ptr);
    written = WriteReport(f.output, text);
  }
  if (!written.ok()) return Fail(written.error());
  if (f.timings) PrintTimings(report, wall);
  ReportNotes(audit->inventory.unpack_notes, audit->inventory.partial);
  for (const audit::AuditNote& n : report.notes) {
    fmt::print(stderr, "clearbox: note: {}: {}\n", n.where, n.message);
  }
  if (traffic) {
    size_t shown = 0;
    for (const std::string& n : traffic->notes) {
      if (++shown > 20) {
        fmt::print(stderr, "clearbox: note: {}: ... and {} more notes\n", f.capture,
                   traffic->notes.size() - 20);
        break;
      }
      fmt::print(stderr, "clearbox: note: {}: {}\n", f.capture, n);
    }
  }
  for (const audit::Finding& finding : report.findings) {
    if (finding.severity >= *fail_on) return kExitFindings;
  }
  if (traffic) {
    for (const watch::WatchFinding& finding : traffic->findings) {
      if (report::ToAuditSeverity(finding.severity) >= *fail_on) return kExitFindings;
    }
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
      "input error. docs/checks.md describes every check (--list-checks prints them), "
      "docs/report.md the reports.");
  cmd->add_option("IMAGE", flags->image, "firmware image");
  cmd->add_option("--format", flags->format,
                  "text (for people), sarif (2.1.0), json, html (one self-contained page), or "
                  "all (report.sarif, report.json, report.html and sbom.cdx.json in -o DIR)")
      ->check(CLI::IsMember({"text", "sarif", "json", "html", "all"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", flags->output,
                  "write here (atomically) instead of stdout; with --format all, a directory");
  cmd->add_option("--fail-on", flags->fail_on,
                  "exit 1 when a finding is at least this severe: info, low, medium, high, "
                  "critical")
      ->check(CLI::IsMember({"info", "low", "medium", "high", "critical"}))
      ->capture_default_str();
  cmd->add_option("--check", flags->in.only, "run only this check id (repeatable)");
  cmd->add_option("--rules", flags->in.rule_dirs,
                  "a directory of extra YARA rules (*.yar, *.yara), on top of the shipped set "
                  "(repeatable)");
  cmd->add_option("--allow", flags->in.allow,
                  "allow list: 'path GLOB [CHECK]' accepts findings at a path, 'endpoint "
                  "HOST|ADDRESS|CIDR' an outbound endpoint");
  cmd->add_option("--pledge", flags->in.pledge,
                  "the vendor's pledge (docs/pledge.md): each declared item found or missing, "
                  "each undeclared way in a finding");
  cmd->add_option("--vulndb", flags->in.vulndb,
                  "a database from `clearbox vulndb import`: the components' known "
                  "vulnerabilities become findings (CB-VULN-001)");
  cmd->add_option("--baseline", flags->in.baseline,
                  "a SARIF report of an earlier audit: its findings are accepted (suppressed, "
                  "and counted), only new ones are reported");
  cmd->add_option("--diff-from", flags->diff_from,
                  "an earlier image of the product: the HTML report (--format html or all) gets "
                  "a section with what changed since it, as `clearbox diff --format html` shows");
  cmd->add_option("--capture", flags->capture,
                  "a pcap or pcapng file of the device's traffic: judged against its MUD "
                  "profile as `clearbox watch` judges it, with the endpoints this audit found in "
                  "the image; the findings join every report (docs/watch.md)");
  cmd->add_option("--device", flags->device,
                  "with --capture: the device, by its MAC (aa:bb:cc:dd:ee:ff) or IP address");
  cmd->add_option("--mud", flags->mud,
                  "with --capture: the device's RFC 8520 MUD profile (default: the one the "
                  "--pledge embeds)");
  cmd->add_flag("--list-checks", flags->list_checks, "print the checks and exit");
  cmd->add_flag("--timings", flags->timings,
                "print to stderr the time each check took (its content scan, summed over "
                "threads, and its run)");
  AddLimitFlags(cmd, &flags->options.unpack);
  cmd->callback([flags] { ExitCode() = RunAuditCommand(*flags); });
}

}  // namespace clearbox::cli
