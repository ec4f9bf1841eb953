// The pledge's checks (CB-PLEDGE-*): what the audit observed reconciled with what the vendor
// declared. Observations come from the other families (observation.h); ApplyPledge runs
// after all of them (check.cc) and reports each declared item found or missing, and every
// undeclared way in as a finding.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>

#include "families.h"
#include "pledge_apply.h"

namespace clearbox::audit::internal {
namespace {

constexpr size_t kMaxEvidence = 10;  // per grouped finding or pledge item

std::string PortList(const std::vector<uint16_t>& ports) {
  std::string out;
  for (uint16_t p : ports) out += (out.empty() ? "" : ", ") + std::to_string(p);
  return out;
}

// " on port 23", " on ports 22, 2222", "" when unknown.
std::string OnPorts(const std::vector<uint16_t>& ports) {
  if (ports.empty()) return "";
  return fmt::format(" on port{} {}", ports.size() == 1 ? "" : "s", PortList(ports));
}

std::string WithDetail(std::string message, const std::string& detail) {
  if (!detail.empty()) message += " " + detail;
  return message;
}

// Where a service is started, for a person: the family's "started by ..." detail, or the
// evidence's file and the command line.
std::string StartedBy(const Observation& o) {
  if (o.detail.starts_with("started by ")) return o.detail;
  std::string out = "started by " + o.evidence.path;
  if (!o.detail.empty()) out += " (" + o.detail + ")";
  return out;
}

std::string DeclaredService(const Pledge::Service& s) {
  if (s.ports.empty()) return "declared with no listening port";
  std::string protocols;
  for (const std::string& p : s.protocols) protocols += (protocols.empty() ? "" : "+") + p;
  return fmt::format("declared port{} {}/{}", s.ports.size() == 1 ? "" : "s", PortList(s.ports),
                     protocols);
}

// What the audit saw of one declared item.
struct Tally {
  PledgeItem item;
  std::string declared;              // "declared port 22/tcp"
  std::vector<std::string> kept;     // details of observations as declared
  std::vector<std::string> broken;   // what was not as declared
  void Saw(const Observation& o) {
    if (item.evidence.size() < kMaxEvidence) item.evidence.push_back(o.evidence);
  }
  PledgeItem Finish() {
    item.found = !kept.empty() && broken.empty();
    if (!broken.empty()) {
      item.detail = fmt::format("{}; found, not as declared: {}", declared, broken.front());
    } else if (!kept.empty()) {
      item.detail = fmt::format("{}; found {}", declared, kept.front());
    } else {
      item.detail = fmt::format("{}; not found in the image", declared);
    }
    if (kept.size() + broken.size() > 1) {
      item.detail += fmt::format(" (and {} more)", kept.size() + broken.size() - 1);
    }
    return std::move(item);
  }
};

Tally NewTally(ObservationKind kind, const std::string& name, std::string declared) {
  Tally t;
  t.item.kind = kind;
  t.item.name = name;
  t.declared = std::move(declared);
  return t;
}

Finding PledgeFinding(std::string_view id, Severity severity, std::string message,
                      const Observation& o) {
  return {std::string(id), severity, std::move(message), {o.evidence}};
}

void JudgeServices(const Pledge& pledge, const std::vector<const Observation*>& seen,
                   AuditReport& report) {
  std::vector<Tally> tallies;
  std::map<std::string, size_t> by_name;
  for (const Pledge::Service& s : pledge.services) {
    by_name[s.name] = tallies.size();
    tallies.push_back(NewTally(ObservationKind::kService, s.name, DeclaredService(s)));
  }
  for (const Observation* o : seen) {
    auto it = by_name.find(o->name);
    if (it == by_name.end()) {
      report.findings.push_back(PledgeFinding(
          "CB-PLEDGE-001", Severity::kHigh,
          WithDetail(fmt::format("pledge broken: undeclared {}{}", o->name, OnPorts(o->ports)),
                     StartedBy(*o)),
          *o));
      continue;
    }
    const Pledge::Service& d = pledge.services[it->second];
    Tally& t = tallies[it->second];
    t.Saw(*o);
    std::string problem;
    std::vector<uint16_t> extra;
    for (uint16_t p : o->ports) {
      if (std::find(d.ports.begin(), d.ports.end(), p) == d.ports.end()) extra.push_back(p);
    }
    if (o->insecure) {
      problem = fmt::format("declared {} is insecure as started (see {}), {}", o->name,
                            o->check_id, StartedBy(*o));
    } else if (!extra.empty()) {
      problem = WithDetail(fmt::format("{} listens{}, which the pledge does not declare ({})",
                                       o->name, OnPorts(extra), DeclaredService(d)),
                           StartedBy(*o));
    } else if (!o->protocol.empty() && !d.protocols.empty() &&
               std::find(d.protocols.begin(), d.protocols.end(), o->protocol) ==
                   d.protocols.end()) {
      problem = WithDetail(fmt::format("{} listens on {}, which the pledge does not declare ({})",
                                       o->name, o->protocol, DeclaredService(d)),
                           StartedBy(*o));
    }
    if (problem.empty()) {
      t.kept.push_back(StartedBy(*o));
      continue;
    }
    t.broken.push_back(problem);
    report.findings.push_back(
        PledgeFinding("CB-PLEDGE-005", Severity::kHigh, "pledge broken: " + problem, *o));
  }
  for (Tally& t : tallies) report.pledge_items.push_back(t.Finish());
}

void JudgeAccounts(const Pledge& pledge, const std::vector<const Observation*>& seen,
                   AuditReport& report) {
  std::vector<Tally> tallies;
  std::map<std::string, size_t> by_name;
  for (const Pledge::Account& a : pledge.accounts) {
    by_name[a.name] = tallies.size();
    tallies.push_back(NewTally(
        ObservationKind::kAccount, a.name,
        fmt::format("declared uid {}, {}", a.uid,
                    a.password_set ? "password set" : "no password login")));
  }
  for (const Observation* o : seen) {
    auto it = by_name.find(o->name);
    std::string detail = o->detail.empty() ? "" : "(" + o->detail + ")";
    if (it == by_name.end()) {
      report.findings.push_back(PledgeFinding(
          "CB-PLEDGE-002", Severity::kHigh,
          WithDetail(fmt::format("pledge broken: undeclared account '{}'", o->name), detail), *o));
      continue;
    }
    const Pledge::Account& d = pledge.accounts[it->second];
    Tally& t = tallies[it->second];
    t.Saw(*o);
    long long uid = ObservedUid(o->detail);
    std::string problem;
    if (o->insecure) {
      problem = fmt::format("account '{}' logs in with no password at all", o->name);
    } else if (uid >= 0 && static_cast<unsigned long long>(uid) != d.uid) {
      problem = fmt::format("account '{}' has uid {}, the pledge declares uid {}", o->name, uid,
                            d.uid);
    } else if (!d.password_set) {
      problem = fmt::format("account '{}' logs in with a password, the pledge declares none",
                            o->name);
    }
    if (problem.empty()) {
      t.kept.push_back(o->detail);
      continue;
    }
    t.broken.push_back(problem);
    report.findings.push_back(
        PledgeFinding("CB-PLEDGE-006", Severity::kHigh, "pledge broken: " + problem, *o));
  }
  for (Tally& t : tallies) {
    // An account declared without a password login is not among the observations (CB-ACCT-000
    // lists accounts that log in with a password): its absence is what was declared.
    const Pledge::Account& d = pledge.accounts[by_name[t.item.name]];
    if (!d.password_set && t.kept.empty() && t.broken.empty()) {
      t.declared += " (locked or absent: no password login seen)";
    }
    report.pledge_items.push_back(t.Finish());
  }
}

// Observations grouped by name (a key or an endpoint found in several files), in order.
std::vector<std::vector<const Observation*>> GroupByName(
    const std::vector<const Observation*>& seen) {
  std::vector<std::vector<const Observation*>> groups;
  std::map<std::string, size_t> index;
  for (const Observation* o : seen) {
    auto [it, added] = index.emplace(o->name, groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(o);
  }
  return groups;
}

// One finding for all the places an undeclared key or endpoint was seen.
Finding GroupFinding(std::string_view id, Severity severity, std::string_view what,
                     const std::vector<const Observation*>& group) {
  const Observation& first = *group.front();
  std::string message = WithDetail(fmt::format("pledge broken: undeclared {} {}", what, first.name),
                                   first.detail);
  if (group.size() > 1) message += fmt::format(" (and {} more places)", group.size() - 1);
  Finding f{std::string(id), severity, std::move(message), {}};
  for (const Observation* o : group) {
    if (f.evidence.size() >= kMaxEvidence) break;
    f.evidence.push_back(o->evidence);
  }
  return f;
}

std::string_view WithoutPadding(std::string_view fp) {
  while (fp.ends_with('=')) fp.remove_suffix(1);
  return fp;
}

void JudgeKeys(const Pledge& pledge, const std::vector<const Observation*>& seen,
               AuditReport& report) {
  std::vector<Tally> tallies;
  std::map<std::string, size_t, std::less<>> by_print;
  for (const Pledge::Key& k : pledge.keys) {
    by_print[k.fingerprint] = tallies.size();
    tallies.push_back(
        NewTally(ObservationKind::kKey, k.fingerprint, "declared for " + k.purpose));
  }
  for (const auto& group : GroupByName(seen)) {
    auto it = by_print.find(WithoutPadding(group.front()->name));
    if (it == by_print.end()) {
      report.findings.push_back(
          GroupFinding("CB-PLEDGE-003", Severity::kMedium, "private key", group));
      continue;
    }
    for (const Observation* o : group) {
      tallies[it->second].Saw(*o);
      tallies[it->second].kept.push_back(o->detail);
    }
  }
  for (Tally& t : tallies) report.pledge_items.push_back(t.Finish());
}

std::string DeclaredEndpoint(const Pledge::Endpoint& e) {
  std::string out = "declared by MUD ACE " + e.acl;
  if (e.port_min != 0) {
    out += e.port_min == e.port_max ? fmt::format(", port {}", e.port_min)
                                    : fmt::format(", ports {}-{}", e.port_min, e.port_max);
  }
  if (!e.protocol.empty()) out += (e.port_min != 0 ? "/" : ", ") + e.protocol;
  return out;
}

bool PortsMatch(const Pledge::Endpoint& e, const Observation& o) {
  if (e.port_min == 0 || o.ports.empty()) return true;
  return std::all_of(o.ports.begin(), o.ports.end(),
                     [&](uint16_t p) { return p >= e.port_min && p <= e.port_max; });
}

void JudgeEndpoints(const Pledge& pledge, const std::vector<const Observation*>& seen,
                    AuditReport& report) {
  if (!pledge.mud_embedded) {
    if (!seen.empty()) {
      report.notes.push_back(
          {"pledge", fmt::format("the MUD profile is referenced ({}), not embedded: {} outbound "
                                 "endpoints seen in the image were not judged against it",
                                 pledge.mud_url, GroupByName(seen).size())});
    }
    return;
  }
  std::vector<Tally> tallies;
  for (const Pledge::Endpoint& e : pledge.endpoints) {
    tallies.push_back(NewTally(ObservationKind::kEndpoint, e.host, DeclaredEndpoint(e)));
  }
  for (const auto& group : GroupByName(seen)) {
    std::vector<const Observation*> undeclared;
    for (const Observation* o : group) {
      bool declared = false;
      for (size_t i = 0; i < pledge.endpoints.size(); ++i) {
        if (!EndpointMatches(pledge.endpoints[i], o->name) ||
            !PortsMatch(pledge.endpoints[i], *o)) {
          continue;
        }
        declared = true;
        tallies[i].Saw(*o);
        tallies[i].kept.push_back(o->detail);
      }
      if (!declared) undeclared.push_back(o);
    }
    if (!undeclared.empty()) {
      // Only in programs' strings: perhaps a URL a program prints, not one it calls.
      bool strings_only = std::all_of(undeclared.begin(), undeclared.end(),
                                      [](const Observation* o) { return o->in_program_strings; });
      report.findings.push_back(GroupFinding("CB-PLEDGE-004",
                                             strings_only ? Severity::kLow : Severity::kMedium,
                                             "endpoint", undeclared));
      report.findings.back().endpoint = group.front()->name;
      report.findings.back().endpoint_seen =
          strings_only ? EndpointSeen::kProgramStrings : EndpointSeen::kFile;
    }
  }
  for (Tally& t : tallies) report.pledge_items.push_back(t.Finish());
}

std::string NormalHost(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (out.size() > 1 && out.back() == '.') out.pop_back();
  return out;
}

}  // namespace

long long ObservedUid(std::string_view detail) {
  if (!detail.starts_with("uid ")) return -1;
  detail.remove_prefix(4);
  unsigned long long uid = 0;
  auto [end, ec] = std::from_chars(detail.data(), detail.data() + detail.size(), uid);
  if (ec != std::errc() || end == detail.data() || uid > 0xffffffffull) return -1;
  return static_cast<long long>(uid);
}

bool EndpointMatches(const Pledge::Endpoint& declared, std::string_view observed_host) {
  // The allow list's matching (names, "*.domain", addresses in CIDR blocks) is the rule the
  // user's `endpoint` lines follow too.
  Result<AllowList> rule = AllowList::Parse("endpoint " + NormalHost(declared.host), "pledge");
  return rule.ok() && rule->AllowsEndpoint(NormalHost(observed_host));
}

void ApplyPledge(const Pledge& pledge, const AllowList& allow, AuditReport& report) {
  std::vector<const Observation*> seen[4];
  for (const Observation& o : report.observations) {
    if (allow.AllowsPath(o.check_id, o.evidence.path)) continue;
    if (o.kind == ObservationKind::kEndpoint && allow.AllowsEndpoint(o.name)) continue;
    seen[static_cast<int>(o.kind)].push_back(&o);
  }
  JudgeServices(pledge, seen[static_cast<int>(ObservationKind::kService)], report);
  JudgeAccounts(pledge, seen[static_cast<int>(ObservationKind::kAccount)], report);
  JudgeKeys(pledge, seen[static_cast<int>(ObservationKind::kKey)], report);
  JudgeEndpoints(pledge, seen[static_cast<int>(ObservationKind::kEndpoint)], report);
}

void ApplyPledge(const Pledge& pledge, AuditReport& report) {
  ApplyPledge(pledge, AllowList{}, report);
}

void AddPledgeChecks(std::vector<Check>& checks) {
  // No `run`: ApplyPledge reports these after every other check, with a pledge only.
  checks.push_back(
      {"CB-PLEDGE-001", "service the pledge does not declare",
       "TS 33.117 measures the box against the vendor's documented services; a service "
       "started in the image that the vendor's pledge leaves out is an undeclared way in.",
       "Remove the service from the image, or declare it in the pledge (start command, ports, "
       "who may log in).",
       "4.3.2.1", Severity::kHigh, {}, {}});
  checks.push_back(
      {"CB-PLEDGE-002", "login account the pledge does not declare",
       "An account that can log in and that the pledge does not list is an undeclared way in "
       "(a vendor support account).",
       "Remove or lock the account, or declare it with its uid and how its password is "
       "provisioned.",
       "4.2.3.4.1.1", Severity::kHigh, {}, {}});
  checks.push_back(
      {"CB-PLEDGE-003", "private key the pledge does not declare",
       "A private key shipped in the image and not declared by fingerprint may authenticate "
       "someone the operator does not know of, or be shared across devices.",
       "Generate keys on the device at first boot, or declare the key's fingerprint and purpose.",
       "4.2.3.4.2.3", Severity::kMedium, {}, {}});
  checks.push_back(
      {"CB-PLEDGE-004", "outbound endpoint the pledge does not declare",
       "A host the firmware may contact that the pledge's MUD profile does not allow is an "
       "undeclared interface: data may leave the network, or commands arrive, through it.",
       "Remove the endpoint, or add it to the pledge's MUD profile (from-device ACL).",
       "4.3.2.1", Severity::kMedium, {}, {}});
  checks.push_back(
      {"CB-PLEDGE-005", "declared service not as declared",
       "A declared service that listens on more ports or protocols than declared, or is started "
       "insecurely, breaks the pledge even though its name is listed.",
       "Start the service with the ports and options the pledge declares, or correct the pledge.",
       "4.3.2.1", Severity::kHigh, {}, {}});
  checks.push_back(
      {"CB-PLEDGE-006", "declared account not as declared",
       "A declared account with another uid, a password where the pledge declares none, or an "
       "empty password breaks the pledge even though its name is listed.",
       "Make the account match the pledge (uid, password provisioning), or correct the pledge.",
       "4.2.3.4.1.1", Severity::kHigh, {}, {}});
}

}  // namespace clearbox::audit::internal
