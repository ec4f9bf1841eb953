// The check registry, RunAudit and the report's JSON.
#include "clearbox/audit/check.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <nlohmann/json.hpp>
#include <tuple>

#include <time.h>

#include "families.h"
#include "clearbox/core/digest.h"
#include "pledge_apply.h"

namespace clearbox::audit {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "info";
}

std::optional<Severity> ParseSeverity(std::string_view name) {
  for (Severity s :
       {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical}) {
    if (SeverityName(s) == name) return s;
  }
  return std::nullopt;
}

bool FindingBefore(const Finding& a, const Finding& b) {
  static const Evidence kNone;
  const Evidence& ea = a.evidence.empty() ? kNone : a.evidence.front();
  const Evidence& eb = b.evidence.empty() ? kNone : b.evidence.front();
  return std::tie(b.severity, a.check_id, ea.provenance, ea.offset, a.message) <
         std::tie(a.severity, b.check_id, eb.provenance, eb.offset, b.message);
}

const std::vector<Check>& AllChecks() {
  static const std::vector<Check> checks = [] {
    std::vector<Check> out;
    internal::AddAccountChecks(out);
    internal::AddServiceChecks(out);
    internal::AddConfigChecks(out);
    internal::AddKeyChecks(out);
    internal::AddPrivilegeChecks(out);
    internal::AddYaraChecks(out);
    internal::AddEndpointChecks(out);
    internal::AddMagicChecks(out);
    internal::AddVulnChecks(out);
    internal::AddPledgeChecks(out);
    std::sort(out.begin(), out.end(), [](const Check& a, const Check& b) { return a.id < b.id; });
    return out;
  }();
  return checks;
}

const Check* FindCheck(std::string_view id) {
  for (const Check& c : AllChecks()) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

std::string_view ObservationKindName(ObservationKind k) {
  switch (k) {
    case ObservationKind::kService:
      return "service";
    case ObservationKind::kAccount:
      return "account";
    case ObservationKind::kKey:
      return "key";
    case ObservationKind::kEndpoint:
      return "endpoint";
  }
  return "service";
}

std::string FindingFingerprint(const Finding& f) {
  std::string input = f.check_id;
  for (const Evidence& e : f.evidence) input += '\n' + e.path + '\n' + e.excerpt;
  if (f.evidence.empty()) input += '\n' + f.message;
  return Sha256Hex(AsBytes(input));
}

namespace {

Status CheckSelection(const AuditOptions& options) {
  for (const std::string& id : options.only) {
    if (FindCheck(id) == nullptr) return Error::InvalidInput("unknown check id '" + id + "'");
  }
  return Status::Ok();
}

// The checks to run, in id order.
std::vector<const Check*> SelectedChecks(const AuditOptions& options) {
  std::vector<const Check*> out;
  for (const Check& check : AllChecks()) {
    if (options.only.empty() ||
        std::find(options.only.begin(), options.only.end(), check.id) != options.only.end()) {
      out.push_back(&check);
    }
  }
  return out;
}

// True when the user accepted this finding (allow list by path, or the baseline).
bool Suppressed(const Finding& f, const AuditOptions& options) {
  if (options.baseline.count(FindingFingerprint(f)) != 0) return true;
  if (f.evidence.empty()) return false;
  return std::all_of(f.evidence.begin(), f.evidence.end(), [&](const Evidence& e) {
    return options.allow.AllowsPath(f.check_id, e.path);
  });
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU time of the calling thread: the unpacker runs more threads than cores, so wall time
// inside a scanner would also count the time its thread waited for a core.
uint64_t ThreadCpuNanoseconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// A check's scanner with the CPU time it spends and the bytes it sees (from many threads).
struct TimedScanner {
  ContentScanner* scanner = nullptr;
  std::atomic<uint64_t> nanoseconds{0};
  std::atomic<uint64_t> bytes{0};
};

// The checks (with their scanners' results) over a complete inventory; `scan_timing[i]`, when
// given, is what check i's scanner cost while the inventory was built.
AuditReport RunChecks(const inventory::Inventory& inv, const AuditOptions& options,
                      const std::vector<const Check*>& checks,
                      std::vector<std::unique_ptr<ContentScanner>>& scanners,
                      const std::vector<const TimedScanner*>& scan_timing = {}) {
  AuditReport report;
  report.image = inv.image;
  report.sha256 = inv.sha256;
  AuditContext ctx(inv, options, report);
  std::vector<Finding> findings;
  for (size_t i = 0; i < checks.size(); ++i) {
    const auto start = std::chrono::steady_clock::now();
    if (scanners[i]) scanners[i]->Finish(ctx, findings);
    if (checks[i]->run) checks[i]->run(ctx, findings);
    report.checks_run.push_back(checks[i]->id);
    CheckTiming timing{checks[i]->id, 0, 0, SecondsSince(start)};
    if (i < scan_timing.size() && scan_timing[i] != nullptr) {
      timing.scan_seconds = static_cast<double>(scan_timing[i]->nanoseconds.load()) / 1e9;
      timing.scanned_bytes = scan_timing[i]->bytes.load();
    }
    report.timings.push_back(std::move(timing));
  }
  if (options.pledge != nullptr) internal::ApplyPledge(*options.pledge, options.allow, report);
  for (Finding& f : report.findings) findings.push_back(std::move(f));
  report.findings.clear();
  for (Finding& f : findings) {
    if (Suppressed(f, options)) {
      ++report.suppressed;
    } else {
      report.findings.push_back(std::move(f));
    }
  }
  std::stable_sort(report.findings.begin(), report.findings.end(), FindingBefore);
  std::stable_sort(report.observations.begin(), report.observations.end(),
                   [](const Observation& a, const Observation& b) {
                     return std::tie(a.kind, a.name, a.evidence.provenance, a.evidence.offset) <
                            std::tie(b.kind, b.name, b.evidence.provenance, b.evidence.offset);
                   });
  return report;
}

template <typename Inventorize>
Result<Audit> AuditWith(const AuditOptions& options, inventory::Options inventory_options,
                        Inventorize inventorize) {
  if (Status s = CheckSelection(options); !s.ok()) return s.error();
  std::vector<const Check*> checks = SelectedChecks(options);
  std::vector<std::unique_ptr<ContentScanner>> scanners;
  std::deque<TimedScanner> live;  // stable addresses
  std::vector<const TimedScanner*> timing;
  for (const Check* c : checks) {
    scanners.push_back(c->make_scanner ? c->make_scanner(options) : nullptr);
    timing.push_back(nullptr);
    if (scanners.back()) {
      live.emplace_back().scanner = scanners.back().get();
      timing.back() = &live.back();
    }
  }
  if (!live.empty()) {
    inventory_options.on_content = [&live](const inventory::FileRecord& file, uint64_t offset,
                                           ByteView bytes) {
      for (TimedScanner& s : live) {
        const uint64_t start = ThreadCpuNanoseconds();
        s.scanner->OnContent(file, offset, bytes);
        s.nanoseconds += ThreadCpuNanoseconds() - start;
        s.bytes += bytes.size();
      }
    };
  }
  Result<inventory::Inventory> inv = inventorize(inventory_options);
  if (!inv.ok()) return inv.error();
  Audit audit;
  audit.report = RunChecks(*inv, options, checks, scanners, timing);
  audit.inventory = std::move(*inv);
  return audit;
}

}  // namespace

Result<Audit> AuditFile(const std::string& path, const AuditOptions& options,
                        inventory::Options inventory_options) {
  return AuditWith(options, std::move(inventory_options), [&](const inventory::Options& o) {
    return inventory::InventoryFile(path, o);
  });
}

Result<Audit> AuditBuffer(ByteView data, const std::string& name, const AuditOptions& options,
                          inventory::Options inventory_options) {
  return AuditWith(options, std::move(inventory_options), [&](const inventory::Options& o) {
    return inventory::InventoryBuffer(data, name, o);
  });
}

Result<AuditReport> RunAudit(const inventory::Inventory& inv, const AuditOptions& options) {
  if (Status s = CheckSelection(options); !s.ok()) return s.error();
  std::vector<const Check*> checks = SelectedChecks(options);
  std::vector<std::unique_ptr<ContentScanner>> no_scanners(checks.size());
  return RunChecks(inv, options, checks, no_scanners);
}

std::string AuditReportJson(const AuditReport& report) {
  using json = nlohmann::ordered_json;
  json doc;
  doc["image"] = report.image;
  doc["sha256"] = report.sha256;
  doc["checks_run"] = report.checks_run;
  json findings = json::array();
  for (const Finding& f : report.findings) {
    json evidence = json::array();
    for (const Evidence& e : f.evidence) {
      evidence.push_back({{"provenance", e.provenance},
                          {"path", e.path},
                          {"offset", e.offset},
                          {"excerpt", e.excerpt}});
    }
    findings.push_back({{"check_id", f.check_id},
                        {"severity", SeverityName(f.severity)},
                        {"message", f.message},
                        {"fingerprint", FindingFingerprint(f)},
                        {"evidence", std::move(evidence)}});
  }
  doc["findings"] = std::move(findings);
  auto evidence_json = [](const Evidence& e) {
    return json{{"provenance", e.provenance},
                {"path", e.path},
                {"offset", e.offset},
                {"excerpt", e.excerpt}};
  };
  json observations = json::array();
  for (const Observation& o : report.observations) {
    json item = {{"kind", ObservationKindName(o.kind)}, {"name", o.name}};
    if (!o.protocol.empty()) item["protocol"] = o.protocol;
    if (!o.ports.empty()) item["ports"] = o.ports;
    item["detail"] = o.detail;
    item["check_id"] = o.check_id;
    item["insecure"] = o.insecure;
    item["evidence"] = evidence_json(o.evidence);
    observations.push_back(std::move(item));
  }
  doc["observations"] = std::move(observations);
  json pledge = json::array();
  for (const PledgeItem& p : report.pledge_items) {
    json evidence = json::array();
    for (const Evidence& e : p.evidence) evidence.push_back(evidence_json(e));
    pledge.push_back({{"kind", ObservationKindName(p.kind)},
                      {"name", p.name},
                      {"found", p.found},
                      {"detail", p.detail},
                      {"evidence", std::move(evidence)}});
  }
  doc["pledge"] = std::move(pledge);
  json notes = json::array();
  for (const AuditNote& n : report.notes) notes.push_back({{"where", n.where}, {"message", n.message}});
  doc["notes"] = std::move(notes);
  doc["suppressed"] = report.suppressed;
  // Replace, not throw, on bytes that are not UTF-8 (excerpts come from the image).
  return doc.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace clearbox::audit
