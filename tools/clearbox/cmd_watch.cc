// clearbox watch CAPTURE|--interface IF --device MAC|IP (--mud FILE | --pledge FILE)
//   [--filter BPF] [--from-audit REPORT.sarif] [--flows FLOWS.jsonl]
//   [--format text|json|sarif|html|all] [-o PATH] [--fail-on SEV]
// clearbox watch mud-from-traffic CAPTURE --device MAC|IP [--mud-url URL] [-o draft.mud.json]
#include <fmt/format.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <unistd.h>

#include "clearbox/audit/finding.h"
#include "clearbox/core/file.h"
#include "clearbox/report/watch.h"
#include "clearbox/watch/watch.h"
#include "common.h"

namespace clearbox::cli {
namespace {

struct WatchFlags {
  std::string capture, interface, filter, device, mud, pledge, from_audit, flows;
  std::string format = "text";
  std::string output;
  std::string fail_on = "high";
  std::vector<std::string> local_networks, controllers;
  int duration = 0;
  std::string mud_url = "https://mud.invalid/draft.mud.json";
};

watch::Capture* g_live = nullptr;  // the live capture a signal stops
extern "C" void StopLive(int) {
  if (g_live) g_live->Stop();
}

std::string TextReport(const watch::WatchReport& r) {
  std::string ips = fmt::format("{}", fmt::join(r.device_ips, ", "));
  std::string out = fmt::format(
      "{}  device {} ({})  profile {}\n{} packets, {} selected, {} flows ({} declared), {} "
      "findings\n",
      r.capture, r.device, ips.empty() ? "no address seen" : ips, r.mud_url, r.stats.packets,
      r.stats.selected, r.flows, r.declared_flows, r.findings.size());
  if (r.findings.empty()) return out;
  out += fmt::format("\n{:<9} {:<13} {}\n", "SEVERITY", "CHECK", "FINDING / EVIDENCE");
  for (const watch::WatchFinding& f : r.findings) {
    out += fmt::format("{:<9} {:<13} {}\n", watch::WatchSeverityName(f.severity), f.check_id,
                       f.message);
    for (const watch::ImageLocation& where : f.image_locations) {
      out += fmt::format("{:<23} in the image: {}{}\n", "", where.uri,
                         where.byte_offset ? fmt::format(" @{}", *where.byte_offset) : "");
    }
    for (const watch::FlowEvidence& e : f.flows) {
      std::string proto = e.proto == 6 ? "tcp" : e.proto == 17 ? "udp" : e.proto == 1 ? "icmp"
                                          : e.proto == 58 ? "icmpv6" : std::to_string(e.proto);
      out += fmt::format("{:<23} {}s {}:{} -> {}:{} {} {}/{} B, packets {}{}\n", "",
                         fmt::format("{:.6f}", static_cast<double>(e.first_ns) / 1e9), e.orig_h,
                         e.orig_p, e.resp_h, e.resp_p, proto, e.orig_bytes, e.resp_bytes,
                         fmt::join(e.packets, ","), e.note.empty() ? "" : "  " + e.note);
    }
    if (f.flow_count > f.flows.size()) {
      out += fmt::format("{:<23} ({} in all)\n", "", f.flow_count);
    }
  }
  return out;
}

Result<watch::MudProfile> LoadProfile(const WatchFlags& f) {
  const std::string& path = f.mud.empty() ? f.pledge : f.mud;
  CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, watch::kMaxMudInputBytes));
  if (!f.mud.empty()) return watch::ParseMud(text, path);
  return watch::ParseMudFromPledge(text, path);
}

Result<watch::WatchReport> Run(const WatchFlags& f, const watch::MudProfile& mud,
                               watch::WatchOptions options) {
  watch::CaptureOptions copts;
  copts.filter = f.filter;
  std::unique_ptr<watch::Capture> cap;
  if (!f.interface.empty()) {
    CLEARBOX_ASSIGN_OR_RETURN(cap, watch::Capture::OpenLive(f.interface, copts));
  } else {
    CLEARBOX_RETURN_IF_ERROR(CheckReadable(f.capture));
    CLEARBOX_ASSIGN_OR_RETURN(cap, watch::Capture::OpenFile(f.capture, copts));
  }
  std::unique_ptr<std::ofstream> flows_out;
  if (!f.flows.empty()) {
    flows_out = std::make_unique<std::ofstream>(f.flows, std::ios::trunc);
    if (!*flows_out) return Error::Io("--flows " + f.flows + ": cannot open for writing");
    options.flow_sink = [out = flows_out.get()](const watch::Flow& fl,
                                                const watch::FlowTable& t) {
      *out << watch::FlowToJson(fl, t) << '\n';
    };
  }
  if (!f.interface.empty()) {
    g_live = cap.get();
    std::signal(SIGINT, StopLive);
    std::signal(SIGTERM, StopLive);
    if (f.duration > 0) {
      std::signal(SIGALRM, StopLive);
      alarm(static_cast<unsigned>(f.duration));
    }
  }
  Result<watch::WatchReport> r =
      watch::WatchCapture(*cap, f.interface.empty() ? f.capture : f.interface, mud, options);
  g_live = nullptr;
  if (!f.interface.empty()) {
    // libpcap's counts: a drop means the kernel ring was full and packets went unchecked.
    if (Result<watch::Capture::Stats> s = cap->LiveStats(); s.ok()) {
      fmt::print(stderr,
                 "clearbox: live capture on {}: {} packets received, {} dropped by the kernel, "
                 "{} dropped by the interface\n",
                 f.interface, s->received, s->dropped, s->interface_dropped);
    }
  }
  if (flows_out) {
    flows_out->flush();
    if (!*flows_out) return Error::Io("--flows " + f.flows + ": write failed");
  }
  return r;
}

Result<watch::WatchOptions> Options(const WatchFlags& f) {
  watch::WatchOptions options;
  if (f.device.empty()) return Error::InvalidInput("--device MAC|IP is required");
  CLEARBOX_ASSIGN_OR_RETURN(options.device, watch::DeviceSelector::Parse(f.device));
  options.env.local_networks = f.local_networks;
  if (!f.controllers.empty()) options.env.controllers.push_back({"", f.controllers});
  if (!f.from_audit.empty()) {
    CLEARBOX_ASSIGN_OR_RETURN(std::string text,
                              ReadTextFile(f.from_audit, watch::kMaxAuditSarifBytes));
    CLEARBOX_ASSIGN_OR_RETURN(options.audit_endpoints,
                              watch::ParseAuditEndpoints(text, f.from_audit));
  }
  return options;
}

int RunWatch(const WatchFlags& f) {
  if (f.capture.empty() == f.interface.empty()) {
    return Fail(Error::InvalidInput("watch: give one of CAPTURE (a pcap/pcapng file) or "
                                    "--interface IF"));
  }
  if (f.mud.empty() == f.pledge.empty()) {
    return Fail(Error::InvalidInput("watch: give one of --mud FILE or --pledge FILE"));
  }
  std::optional<audit::Severity> fail_on = audit::ParseSeverity(f.fail_on);
  if (!fail_on) return Fail(Error::InvalidInput("--fail-on: unknown severity '" + f.fail_on + "'"));
  if (f.format == "all" && f.output.empty()) {
    return Fail(Error::InvalidInput(
        "--format all writes watch.sarif, watch.json and watch.html: give -o DIRECTORY"));
  }
  Result<watch::MudProfile> mud = LoadProfile(f);
  if (!mud.ok()) return Fail(mud.error());
  Result<watch::WatchOptions> options = Options(f);
  if (!options.ok()) return Fail(options.error());
  Result<watch::WatchReport> r = Run(f, *mud, std::move(*options));
  if (!r.ok()) return Fail(r.error());
  r->device = f.device;
  Status written = Status();
  if (f.format == "all") {
    std::error_code ec;
    std::filesystem::create_directories(f.output, ec);
    if (ec) return Fail(Error::Io("-o " + f.output + ": cannot create the directory: " + ec.message()));
    auto path = [&](std::string_view name) { return (std::filesystem::path(f.output) / name).string(); };
    written = WriteReport(path("watch.sarif"), report::WatchSarifJson(*r));
    if (written.ok()) written = WriteReport(path("watch.json"), watch::WatchReportJson(*r) + "\n");
    if (written.ok()) written = WriteReport(path("watch.html"), report::WatchHtml(*r, *fail_on));
    if (written.ok()) std::fputs(TextReport(*r).c_str(), stdout);
  } else {
    std::string text = f.format == "sarif"  ? report::WatchSarifJson(*r)
                       : f.format == "json" ? watch::WatchReportJson(*r) + "\n"
                       : f.format == "html" ? report::WatchHtml(*r, *fail_on)
                                            : TextReport(*r);
    written = WriteReport(f.output, text);
  }
  if (!written.ok()) return Fail(written.error());
  size_t shown = 0;
  for (const std::string& n : r->notes) {
    if (++shown > 20) {
      fmt::print(stderr, "clearbox: note: ... and {} more notes\n", r->notes.size() - 20);
      break;
    }
    fmt::print(stderr, "clearbox: note: {}\n", n);
  }
  for (const watch::WatchFinding& finding : r->findings) {
    if (report::ToAuditSeverity(finding.severity) >= *fail_on) return kExitFindings;
  }
  return kExitOk;
}

int RunDraft(const WatchFlags& f) {
  if (f.capture.empty()) return Fail(Error::InvalidInput("mud-from-traffic: CAPTURE is required"));
  Result<watch::WatchOptions> options = Options(f);
  if (!options.ok()) return Fail(options.error());
  watch::MudProfile empty;  // nothing declared: every flow is observed
  Result<watch::WatchReport> r = Run(f, empty, std::move(*options));
  if (!r.ok()) return Fail(r.error());
  watch::MudProfile draft = watch::DraftMud(*r, f.mud_url);
  std::string text = watch::SerializeMud(draft);
  // The draft must read back as a valid profile (a bad --mud-url is the usual cause).
  if (auto again = watch::ParseMud(text, "draft"); !again.ok()) return Fail(again.error());
  Status written = WriteReport(f.output, text + "\n");
  if (!written.ok()) return Fail(written.error());
  fmt::print(stderr, "clearbox: drafted {} ACEs from {} peers seen in {} flows{}\n",
             [&] {
               size_t n = 0;
               for (const auto& a : draft.acls) n += a.aces.size();
               return n;
             }(),
             r->observed.size(), r->flows,
             f.output.empty() ? "" : " into " + f.output);
  return kExitOk;
}

void AddInputFlags(CLI::App* cmd, WatchFlags* f) {
  cmd->add_option("CAPTURE", f->capture, "a pcap or pcapng file");
  cmd->add_option("--device", f->device, "the device: its MAC (aa:bb:cc:dd:ee:ff) or IP address");
  cmd->add_option("--filter", f->filter, "BPF filter (pcap-filter(7)) applied before decoding");
  cmd->add_option("--flows", f->flows, "write every flow as a Zeek-like JSON line here");
}

}  // namespace

void RegisterWatchCommands(CLI::App& app) {
  auto f = std::make_shared<WatchFlags>();
  CLI::App* cmd = app.add_subcommand(
      "watch", "judge a device's traffic against its declared behaviour (RFC 8520 MUD)");
  cmd->footer(
      "Exit status: 0 no finding at or above --fail-on, 1 findings at or above it, 2 usage or "
      "input error. docs/watch.md describes every check.");
  AddInputFlags(cmd, f.get());
  cmd->add_option("--interface", f->interface, "capture live on this interface (root or "
                  "CAP_NET_RAW); SIGINT or --duration ends it");
  cmd->add_option("--duration", f->duration, "live: stop after this many seconds");
  cmd->add_option("--mud", f->mud, "the device's RFC 8520 MUD profile (JSON)");
  cmd->add_option("--pledge", f->pledge, "the vendor's pledge: its embedded MUD profile");
  cmd->add_option("--from-audit", f->from_audit,
                  "the SARIF of `clearbox audit`: endpoints hard-coded in the image that the "
                  "profile does not declare are findings, and are watched for on the wire");
  cmd->add_option("--local-network", f->local_networks,
                  "a prefix that local-networks ACEs also cover (repeatable)");
  cmd->add_option("--my-controller", f->controllers,
                  "an address or name of the device's controller (my-controller ACEs)");
  cmd->add_option("--format", f->format,
                  "text, json, sarif (2.1.0), html, or all (watch.sarif, watch.json and "
                  "watch.html in -o DIR)")
      ->check(CLI::IsMember({"text", "sarif", "json", "html", "all"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", f->output, "write here instead of stdout");
  cmd->add_option("--fail-on", f->fail_on,
                  "exit 1 when a finding is at least this severe: info, low, medium, high, "
                  "critical")
      ->check(CLI::IsMember({"info", "low", "medium", "high", "critical"}))
      ->capture_default_str();

  auto d = std::make_shared<WatchFlags>();
  CLI::App* draft = cmd->add_subcommand(
      "mud-from-traffic", "draft a MUD profile from the flows a device was seen to make");
  AddInputFlags(draft, d.get());
  draft->add_option("--mud-url", d->mud_url, "the draft's mud-url (https://...)")
      ->capture_default_str();
  draft->add_option("-o,--output", d->output, "write the draft here instead of stdout");
  draft->callback([d] { ExitCode() = RunDraft(*d); });
  cmd->callback([f, cmd, draft] {
    if (cmd->got_subcommand(draft)) return;
    ExitCode() = RunWatch(*f);
  });
}

}  // namespace clearbox::cli
