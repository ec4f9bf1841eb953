// DiffAudits: each section's facts gathered from one audit into a map keyed by name, then
// the two maps merged.
#include "clearbox/diff/diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <tuple>
#include <map>

#include "clearbox/audit/accounts.h"
#include "clearbox/inventory/version.h"

namespace clearbox::diff {
namespace {

using audit::Observation;
using audit::ObservationKind;
using inventory::FileRecord;
using inventory::Inventory;

// What one image says of one thing: a summary compared between images, the facts behind it
// (compared item by item to say what changed), and where it was seen.
struct Fact {
  std::string summary;
  std::map<std::string, std::string> fields;
  std::vector<std::string> evidence;
};
using Facts = std::map<std::string, Fact>;

std::string EvidenceLine(const audit::Evidence& e) {
  std::string line = fmt::format("{} @{}", e.provenance, e.offset);
  if (!e.excerpt.empty()) line += ": " + e.excerpt;
  return line;
}

// /etc/passwd accounts with the password state from /etc/shadow of the same filesystem.
Facts Accounts(const Inventory& inv) {
  Facts out;
  std::map<std::string, const FileRecord*> shadows;  // by filesystem prefix
  auto prefix = [](const FileRecord& f) {
    return f.node.provenance.substr(0, f.node.provenance.size() - f.node.path.size());
  };
  for (const FileRecord& f : inv.files) {
    if (f.node.path == "/etc/shadow") shadows[prefix(f)] = &f;
  }
  for (const FileRecord& f : inv.files) {
    if (f.node.path != "/etc/passwd") continue;
    audit::AccountFile<audit::ShadowEntry> shadow;
    if (auto it = shadows.find(prefix(f)); it != shadows.end()) {
      shadow = audit::ParseShadow(it->second->text);
    }
    for (const audit::PasswdEntry& e : audit::ParsePasswd(f.text).entries) {
      std::string password = e.password;
      if (password == "x") {
        password = "!";  // no shadow entry: no way to log in with a password
        for (const audit::ShadowEntry& s : shadow.entries) {
          if (s.name == e.name) password = s.password;
        }
      }
      std::string state = password.empty()                   ? "no password"
                          : audit::IsLockedPassword(password) ? "locked"
                                                              : "password set";
      // A changed hash is a changed password even when the state stays "password set".
      if (state == "password set") state += " (hash " + password.substr(0, 12) + "…)";
      Fact& fact = out[e.name];
      fact.fields = {{"uid", std::to_string(e.uid)}, {"gid", std::to_string(e.gid)},
                     {"home", e.home}, {"shell", e.shell}, {"password", state}};
      fact.summary = fmt::format("uid {}, gid {}, home {}, shell {}, {}", e.uid, e.gid, e.home,
                                 e.shell, state);
      fact.evidence.push_back(fmt::format("{} @{}: {}", f.node.provenance, e.offset,
                                          audit::RedactLine(e.line, 1)));
    }
  }
  return out;
}

// One kind of the audit's observations, several of one name merged (a service started twice).
Facts Observed(const audit::AuditReport& report, ObservationKind kind) {
  Facts out;
  for (const Observation& o : report.observations) {
    if (o.kind != kind) continue;
    std::string line = o.detail;
    if (!o.ports.empty()) {
      std::string ports;
      for (uint16_t p : o.ports) ports += (ports.empty() ? "" : ",") + std::to_string(p);
      line = fmt::format("{} {}: {}", o.protocol.empty() ? "port" : o.protocol, ports, line);
    }
    // An endpoint's detail names where it was seen; only its presence is compared.
    if (kind == ObservationKind::kEndpoint) line.clear();
    Fact& fact = out[o.name];
    if (!line.empty() && fact.fields.emplace(line, line).second) {
      fact.summary.clear();
      for (const auto& [k, v] : fact.fields) fact.summary += (fact.summary.empty() ? "" : "; ") + k;
    }
    fact.evidence.push_back(EvidenceLine(o.evidence));
  }
  return out;
}

std::string Octal(uint32_t mode) { return fmt::format("{:04o}", mode & 07777); }

Facts Setuid(const Inventory& inv) {
  Facts out;
  for (const FileRecord& f : inv.files) {
    if (f.node.type != unpack::NodeType::kFile || (f.node.mode & 06000) == 0) continue;
    std::string what = (f.node.mode & 04000) && (f.node.mode & 02000) ? "setuid+setgid"
                       : (f.node.mode & 04000)                        ? "setuid"
                                                                      : "setgid";
    Fact& fact = out[FileKey(f.node.provenance)];
    fact.fields = {{"mode", Octal(f.node.mode)},
                   {"owner", fmt::format("{}:{}", f.node.uid, f.node.gid)}};
    fact.summary = fmt::format("{} {}, owner {}:{}", what, Octal(f.node.mode), f.node.uid,
                               f.node.gid);
    fact.evidence.push_back(f.node.provenance);
  }
  return out;
}

Facts Findings(const audit::AuditReport& report) {
  Facts out;
  for (const audit::Finding& f : report.findings) {
    Fact& fact = out[audit::FindingFingerprint(f)];
    fact.summary = fmt::format("{} {}: {}", audit::SeverityName(f.severity), f.check_id, f.message);
    for (const audit::Evidence& e : f.evidence) fact.evidence.push_back(EvidenceLine(e));
  }
  return out;
}

Facts Binaries(const Inventory& inv) {
  Facts out;
  for (const FileRecord& f : inv.files) {
    if (!f.elf) continue;
    const inventory::ElfHardening& h = f.elf->hardening;
    Fact& fact = out[FileKey(f.node.provenance)];
    fact.fields = {{"sha256", f.sha256},
                   {"relro", std::string(inventory::RelroWord(h.relro))},
                   {"canary", h.canary ? "yes" : "no"},
                   {"nx", h.nx ? "yes" : "no"},
                   {"pie", std::string(inventory::PieWord(h.pie))},
                   {"fortified", fmt::format("{}/{}", h.fortified, h.fortifiable)},
                   {"rpath", f.elf->rpath},
                   {"runpath", f.elf->runpath}};
    fact.summary = fmt::format("{} {}, relro {}, canary {}, nx {}, pie {}, sha256 {}",
                               f.elf->machine_name, f.elf->type_name, fact.fields["relro"],
                               fact.fields["canary"], fact.fields["nx"], fact.fields["pie"],
                               f.sha256.substr(0, 16));
    fact.evidence.push_back(f.node.provenance);
  }
  return out;
}

// Every change between two maps of facts. presence_only: only added and removed (a finding's
// message may name an offset that moved; its fingerprint says whether it is the same).
std::vector<Change> Compare(const Facts& before, const Facts& after, bool presence_only = false) {
  std::vector<Change> out;
  for (const auto& [name, fact] : after) {
    auto it = before.find(name);
    if (it == before.end()) {
      out.push_back({ChangeKind::kAdded, name, "", fact.summary, {}, fact.evidence});
      continue;
    }
    const Fact& old = it->second;
    if (presence_only) continue;
    if (old.summary == fact.summary && old.fields == fact.fields) continue;
    Change c{ChangeKind::kChanged, name, old.summary, fact.summary, {}, fact.evidence};
    for (const auto& [k, v] : fact.fields) {
      auto o = old.fields.find(k);
      std::string was = o == old.fields.end() ? "" : o->second;
      if (was != v && k != v) c.details.push_back(fmt::format("{}: {} -> {}", k, was, v));
    }
    for (const auto& [k, v] : old.fields) {
      if (!fact.fields.count(k)) c.details.push_back(fmt::format("{}: {} -> (none)", k, v));
    }
    c.evidence.insert(c.evidence.end(), old.evidence.begin(), old.evidence.end());
    out.push_back(std::move(c));
  }
  for (const auto& [name, fact] : before) {
    if (!after.count(name)) {
      out.push_back({ChangeKind::kRemoved, name, fact.summary, "", {}, fact.evidence});
    }
  }
  std::sort(out.begin(), out.end(), [](const Change& a, const Change& b) {
    return std::tie(a.name, a.kind) < std::tie(b.name, b.kind);
  });
  return out;
}

// Components by name: a version step is an upgrade or a downgrade under the component's own
// scheme; several versions of one name (two copies of a library) compare as a set.
std::vector<Change> Components(const Inventory& before, const Inventory& after) {
  auto collect = [](const Inventory& inv) {
    std::map<std::string, std::vector<const inventory::Component*>> by_name;
    for (const auto& c : inv.components) by_name[c.name].push_back(&c);
    return by_name;
  };
  auto summary = [](const std::vector<const inventory::Component*>& cs) {
    std::string s;
    for (const auto* c : cs) s += (s.empty() ? "" : ", ") + c->version;
    return s;
  };
  auto evidence = [](const std::vector<const inventory::Component*>& cs) {
    std::vector<std::string> out;
    for (const auto* c : cs) {
      for (const auto& e : c->evidence) {
        out.push_back(fmt::format("{} @{}: {}", e.provenance, e.offset, e.matched));
      }
    }
    return out;
  };
  auto old_by_name = collect(before), new_by_name = collect(after);
  std::vector<Change> out;
  for (const auto& [name, cs] : new_by_name) {
    auto it = old_by_name.find(name);
    if (it == old_by_name.end()) {
      out.push_back({ChangeKind::kAdded, name, "", summary(cs), {}, evidence(cs)});
      continue;
    }
    std::string was = summary(it->second), now = summary(cs);
    if (was == now) continue;
    ChangeKind kind = ChangeKind::kChanged;
    if (cs.size() == 1 && it->second.size() == 1) {
      int order = inventory::CompareVersions(cs[0]->scheme, it->second[0]->version, cs[0]->version);
      if (order < 0) kind = ChangeKind::kUpgraded;
      if (order > 0) kind = ChangeKind::kDowngraded;
    }
    Change c{kind, name, was, now, {}, evidence(cs)};
    std::vector<std::string> old_evidence = evidence(it->second);
    c.evidence.insert(c.evidence.end(), old_evidence.begin(), old_evidence.end());
    out.push_back(std::move(c));
  }
  for (const auto& [name, cs] : old_by_name) {
    if (!new_by_name.count(name)) {
      out.push_back({ChangeKind::kRemoved, name, summary(cs), "", {}, evidence(cs)});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Change& a, const Change& b) { return a.name < b.name; });
  return out;
}

}  // namespace

std::string_view ChangeKindName(ChangeKind k, bool finding) {
  switch (k) {
    case ChangeKind::kAdded: return finding ? "new" : "added";
    case ChangeKind::kRemoved: return finding ? "fixed" : "removed";
    case ChangeKind::kChanged: return "changed";
    case ChangeKind::kUpgraded: return "upgraded";
    case ChangeKind::kDowngraded: return "downgraded";
  }
  return "changed";
}

size_t ImageDiff::ChangeCount() const {
  size_t n = 0;
  for (const Section& s : sections) n += s.changes.size();
  return n;
}

std::string FileKey(std::string_view provenance) {
  size_t bang = provenance.find('!');
  std::string_view rest = bang == std::string_view::npos ? provenance : provenance.substr(bang + 1);
  std::string out;
  out.reserve(rest.size());
  // Container offsets ("uimage@0x40") move when anything before them grows; inside a
  // filesystem (after ':') an '@' is part of a file name and kept.
  size_t colon = rest.find(':');
  for (size_t i = 0; i < rest.size(); ++i) {
    if (i < colon && rest[i] == '@' && rest.substr(i + 1, 2) == "0x") {
      i += 3;
      while (i < rest.size() && std::isxdigit(static_cast<unsigned char>(rest[i]))) ++i;
      --i;
      continue;
    }
    out.push_back(rest[i]);
  }
  return out;
}

ImageDiff DiffAudits(const audit::Audit& old_audit, const audit::Audit& new_audit) {
  const Inventory& a = old_audit.inventory;
  const Inventory& b = new_audit.inventory;
  const audit::AuditReport& ra = old_audit.report;
  const audit::AuditReport& rb = new_audit.report;
  ImageDiff d;
  d.old_image = {a.image, a.sha256, a.partial};
  d.new_image = {b.image, b.sha256, b.partial};
  d.sections.push_back({"accounts", Compare(Accounts(a), Accounts(b))});
  d.sections.push_back({"services", Compare(Observed(ra, ObservationKind::kService),
                                            Observed(rb, ObservationKind::kService))});
  d.sections.push_back({"keys", Compare(Observed(ra, ObservationKind::kKey),
                                        Observed(rb, ObservationKind::kKey))});
  d.sections.push_back({"endpoints", Compare(Observed(ra, ObservationKind::kEndpoint),
                                             Observed(rb, ObservationKind::kEndpoint), true)});
  d.sections.push_back({"setuid", Compare(Setuid(a), Setuid(b))});
  d.sections.push_back({"components", Components(a, b)});
  d.sections.push_back({"findings", Compare(Findings(ra), Findings(rb), true)});
  d.sections.push_back({"binaries", Compare(Binaries(a), Binaries(b))});
  return d;
}

}  // namespace clearbox::diff
