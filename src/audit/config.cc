// The weak-configuration checks (CB-CONF-*): old TLS/SSL versions enabled, SNMP communities
// with write access, weak password hashing configured, debug tools shipped, and network
// daemons built without the usual ELF hardening. Read from the inventory's kept text and ELF
// facts; the network daemons are those the service walk (startup.h) finds started.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "families.h"
#include "text_lines.h"
#include "services.h"
#include "startup.h"

namespace clearbox::audit::internal {
namespace {

using inventory::FileKind;
using inventory::FileRecord;
using inventory::Inventory;

constexpr size_t kMaxConfigLineBytes = 16 * 1024;  // longer lines are not settings

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
std::string_view BaseName(std::string_view p) {
  size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

// The non-comment lines of a file ('#' or ';' first), trimmed, at most kMaxConfigLineBytes.
std::vector<TextLine> Lines(std::string_view text) {
  std::vector<TextLine> out;
  ForEachLine(text, [&](TextLine l) {
    l.text = TrimBlanks(l.text);
    if (l.text.empty() || l.text[0] == '#' || l.text[0] == ';') return;
    if (l.text.size() <= kMaxConfigLineBytes) out.push_back(l);
  });
  return out;
}

std::vector<std::string> Tokens(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == ',' || c == ':' || c == '"' || c == '\'' || c == '=' ||
        c == '>' || c == '(' || c == ')' || c == ';') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

Evidence At(const FileRecord& f, const TextLine& l) {
  std::string excerpt(l.text.substr(0, 240));
  return {f.node.provenance, f.node.path, l.offset, std::move(excerpt)};
}

bool TextConfig(const FileRecord& f) {
  return f.node.type == unpack::NodeType::kFile && !f.text.empty() &&
         (f.kind == FileKind::kConfig || f.kind == FileKind::kText);
}

// --- CB-CONF-001 -------------------------------------------------------------------------
bool WeakProtocol(std::string_view token) {
  std::string t = Lower(token);
  if (!t.empty() && t[0] == '+') t.erase(0, 1);
  return t == "sslv2" || t == "sslv3" || t == "tlsv1" || t == "tlsv1.0" || t == "sslv23";
}

void WeakTls(const Inventory& inv, std::vector<Finding>& out) {
  for (const FileRecord& f : inv.files) {
    if (!TextConfig(f)) continue;
    for (const TextLine& l : Lines(f.text)) {
      std::vector<std::string> tok = Tokens(l.text);
      if (tok.size() < 2) continue;
      std::string key = Lower(tok[0]);
      std::string weak;
      if (key == "minprotocol" || key == "sslversionmin" || key == "ssl_min_protocol" ||
          key == "tls_version" || key == "sslversion") {
        // The lowest version allowed (or the only one): weak when it is SSL or TLS 1.0.
        if (WeakProtocol(tok[1])) weak = tok[1];
      } else if (key == "ssl_protocols" || key == "sslprotocol" || key == "ssl_protocol" ||
                 key == "protocols") {
        for (size_t k = 1; k < tok.size(); ++k) {
          if (tok[k][0] != '-' && WeakProtocol(tok[k])) {
            weak = tok[k];
            break;
          }
        }
        if (key == "protocols" && BaseName(f.node.path).find("ssl") == std::string_view::npos &&
            l.text.find("SSL") == std::string_view::npos)
          weak.clear();  // "protocols" means something else in most files
      } else if ((key == "ssl.use-sslv2" || key == "ssl.use-sslv3") && tok.size() >= 2 &&
                 Lower(tok[1]) == "enable") {
        weak = key == "ssl.use-sslv2" ? "SSLv2" : "SSLv3";
      } else if (key == "ssl.openssl.ssl-conf-cmd" || key == "ssl-conf-cmd") {
        for (size_t k = 1; k + 1 < tok.size(); ++k) {
          if (Lower(tok[k]) == "minprotocol" && WeakProtocol(tok[k + 1])) weak = tok[k + 1];
        }
      } else if (key == "options" && tok.size() >= 2) {
        // stunnel: "options = -NO_SSLv3" takes the protection away.
        std::string v = Lower(tok[1]);
        if (v == "-no_sslv3" || v == "-no_sslv2" || v == "-no_tlsv1") weak = tok[1].substr(4);
      }
      if (weak.empty()) continue;
      out.push_back({"CB-CONF-001", Severity::kMedium,
                     fmt::format("{} line at offset {} enables {}: a protocol version with known "
                                 "breaks (POODLE, BEAST, downgrade)",
                                 f.node.path, l.offset, weak),
                     {At(f, l)}});
    }
  }
}

// --- CB-CONF-002 -------------------------------------------------------------------------
bool DefaultCommunity(std::string_view c) {
  static const std::set<std::string, std::less<>> kDefaults = {
      "public", "private", "admin",   "write",   "secret", "manager", "snmp",
      "community", "default", "cisco", "netman", "rw",     "security", "test"};
  return kDefaults.count(Lower(c)) != 0;
}

struct SnmpModel {
  // com2sec: security name -> (community, evidence); group: security name -> groups;
  // access: group -> (write view, evidence).
  std::multimap<std::string, std::pair<std::string, Evidence>> com2sec;
  std::multimap<std::string, std::string> groups;
  std::map<std::string, std::pair<std::string, Evidence>> write_access;
};

void SnmpFinding(const FileRecord& f, const std::string& community, std::vector<Evidence> ev,
                 std::vector<Finding>& out) {
  bool known = DefaultCommunity(community);
  out.push_back({"CB-CONF-002", known ? Severity::kHigh : Severity::kMedium,
                 fmt::format("{} gives SNMP community '{}' write access{}", f.node.path, community,
                             known ? " (a well-known default community)"
                                   : ": a clear-text password anyone on the path can read"),
                 std::move(ev)});
}

void SnmpWrite(const Inventory& inv, std::vector<Finding>& out) {
  for (const FileRecord& f : inv.files) {
    if (!TextConfig(f)) continue;
    std::string_view base = BaseName(f.node.path);
    bool uci = f.node.path.ends_with("/etc/config/snmpd");
    if (!uci && base.find("snmpd") == std::string_view::npos) continue;
    SnmpModel m;
    if (uci) {
      for (const UciSection& s : ParseUci(f.text, nullptr)) {
        auto get = [&](const char* k) {
          const UciOption* o = s.Find(k);
          return o ? o->value : std::string();
        };
        Evidence ev{f.node.provenance, f.node.path, s.offset, s.excerpt};
        if (s.type == "com2sec") m.com2sec.insert({get("secname"), {get("community"), ev}});
        if (s.type == "group") m.groups.insert({get("secname"), get("group")});
        if (s.type == "access" && !get("write").empty() && Lower(get("write")) != "none")
          m.write_access[get("group")] = {get("write"), ev};
      }
    } else {
      for (const TextLine& l : Lines(f.text)) {
        std::vector<std::string> t = Tokens(l.text);
        if (t.empty()) continue;
        std::string key = Lower(t[0]);
        if ((key == "rwcommunity" || key == "rwcommunity6") && t.size() >= 2) {
          SnmpFinding(f, t[1], {At(f, l)}, out);
        } else if (key == "rwuser" && t.size() >= 3 && Lower(t[2]) == "noauth") {
          out.push_back({"CB-CONF-002", Severity::kHigh,
                         fmt::format("{} gives SNMPv3 user '{}' write access without "
                                     "authentication (noauth)", f.node.path, t[1]),
                         {At(f, l)}});
        } else if (key == "com2sec" && t.size() >= 4) {
          m.com2sec.insert({t[1], {t[3], At(f, l)}});
        } else if (key == "group" && t.size() >= 4) {
          m.groups.insert({t[3], t[1]});
        } else if (key == "access" && t.size() >= 8 && Lower(t[6]) != "none") {
          m.write_access[t[1]] = {t[6], At(f, l)};
        }
      }
    }
    for (const auto& [secname, entry] : m.com2sec) {
      auto range = m.groups.equal_range(secname);
      for (auto it = range.first; it != range.second; ++it) {
        auto access = m.write_access.find(it->second);
        if (access == m.write_access.end()) continue;
        SnmpFinding(f, entry.first, {entry.second, access->second.second}, out);
        break;
      }
    }
  }
}

// --- CB-CONF-003 -------------------------------------------------------------------------
void WeakHashing(const Inventory& inv, std::vector<Finding>& out) {
  auto add = [&](const FileRecord& f, const TextLine& l, std::string what) {
    out.push_back({"CB-CONF-003", Severity::kMedium,
                   fmt::format("{} configures {} password hashing: hashes crackable in hours on "
                               "a GPU if the shadow file leaks",
                               f.node.path, what),
                   {At(f, l)}});
  };
  for (const FileRecord& f : inv.files) {
    if (!TextConfig(f)) continue;
    const std::string& p = f.node.path;
    if (p.ends_with("/etc/login.defs")) {
      bool method = false;
      std::vector<std::pair<TextLine, std::string>> md5_enab;
      for (const TextLine& l : Lines(f.text)) {
        std::vector<std::string> t = Tokens(l.text);
        if (t.size() < 2) continue;
        if (t[0] == "ENCRYPT_METHOD") {
          method = true;
          std::string v = Lower(t[1]);
          if (v == "md5" || v == "des") add(f, l, t[1]);
        } else if (t[0] == "MD5_CRYPT_ENAB" && Lower(t[1]) == "yes") {
          md5_enab.push_back({l, "MD5"});
        }
      }
      if (!method) {
        for (auto& [l, what] : md5_enab) add(f, l, what);
      }
    } else if (p.find("/etc/pam.d/") != std::string::npos || p.ends_with("/etc/pam.conf")) {
      for (const TextLine& l : Lines(f.text)) {
        if (l.text.find("pam_unix") == std::string_view::npos) continue;
        std::vector<std::string> t = Tokens(l.text);
        bool password = false, weak = false, strong = false;
        std::string weak_word;
        for (const std::string& w : t) {
          std::string lw = Lower(w);
          if (lw == "password") password = true;
          if (lw == "md5" || lw == "bigcrypt" || lw == "descrypt") {
            weak = true;
            weak_word = w;
          }
          if (lw == "sha256" || lw == "sha512" || lw == "blowfish" || lw == "yescrypt" ||
              lw == "gost_yescrypt")
            strong = true;
        }
        if (password && weak && !strong) add(f, l, "pam_unix " + weak_word);
      }
    } else if (p.ends_with("/etc/default/passwd") || p.ends_with("/etc/libuser.conf")) {
      for (const TextLine& l : Lines(f.text)) {
        std::vector<std::string> t = Tokens(l.text);
        if (t.size() < 2) continue;
        std::string key = Lower(t[0]);
        std::string v = Lower(t[1]);
        if ((key == "crypt" || key == "crypt_files" || key == "crypt_style") &&
            (v == "des" || v == "md5" || v == "bigcrypt"))
          add(f, l, t[1]);
      }
    }
  }
}

// --- CB-CONF-004 -------------------------------------------------------------------------
bool InBinDir(std::string_view path) {
  for (std::string_view d : {"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/",
                             "/usr/local/sbin/"}) {
    if (path.starts_with(d) && path.substr(d.size()).find('/') == std::string_view::npos)
      return true;
  }
  return false;
}

void DebugTools(const Inventory& inv, std::vector<Finding>& out) {
  static const std::set<std::string, std::less<>> kTools = {
      "gdbserver", "gdb", "strace", "ltrace", "tcpdump", "devmem", "devmem2", "memtool",
      "lldb-server", "valgrind", "perf", "ftrace", "frida-server"};
  for (const FileRecord& f : inv.files) {
    if (!InBinDir(f.node.path) || !kTools.count(BaseName(f.node.path))) continue;
    std::string what;
    if (f.node.type == unpack::NodeType::kSymlink || f.node.type == unpack::NodeType::kHardLink) {
      std::string_view target = BaseName(f.node.link_target);
      if (target == "busybox" || target.starts_with("busybox")) {
        what = fmt::format("the busybox {} applet", BaseName(f.node.path));
      } else {
        continue;  // a link to a file judged on its own
      }
    } else if (f.node.type == unpack::NodeType::kFile &&
               (f.kind == FileKind::kElf || f.kind == FileKind::kScript)) {
      what = f.kind == FileKind::kElf ? "a program" : "a script";
    } else {
      continue;
    }
    std::string excerpt = f.node.type == unpack::NodeType::kFile
                              ? (f.detail.empty() ? std::string(FileKindName(f.kind)) : f.detail)
                              : "-> " + f.node.link_target;
    if (f.elf && excerpt == "elf") excerpt = fmt::format("ELF {} {}", f.elf->machine_name, f.elf->type_name);
    out.push_back({"CB-CONF-004", Severity::kLow,
                   fmt::format("{} is shipped ({}): a debugging tool that reads or changes memory, "
                               "processes or traffic",
                               f.node.path, what),
                   {{f.node.provenance, f.node.path, 0, excerpt}}});
  }
}

// --- CB-CONF-005 -------------------------------------------------------------------------
void Hardening(const Inventory& inv, std::vector<Finding>& out) {
  StartupMap map = FindStartups(inv);
  std::set<const FileRecord*> done;
  for (const ServiceStart& s : JudgeServices(inv, map)) {
    if (!s.network || s.program == nullptr || !s.program->elf) continue;
    if (!done.insert(s.program).second) continue;
    const inventory::ElfHardening& h = s.program->elf->hardening;
    std::vector<std::string> missing;
    if (!h.nx) missing.push_back("NX (executable stack)");
    if (h.pie != inventory::PieKind::kPie && h.pie != inventory::PieKind::kDso)
      missing.push_back("PIE (fixed load address, no ASLR)");
    if (h.relro == inventory::Relro::kNone) missing.push_back("RELRO");
    if (!h.canary) missing.push_back("stack canary");
    if (missing.empty()) continue;
    std::string list;
    for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
    std::vector<Evidence> ev = {{s.program->node.provenance, s.program->node.path, 0,
                                 fmt::format("checksec: nx={} pie={} relro={} canary={}",
                                             h.nx ? "yes" : "no", inventory::PieWord(h.pie),
                                             inventory::RelroWord(h.relro),
                                             h.canary ? "yes" : "no")}};
    ev.push_back(s.evidence.front());
    out.push_back({"CB-CONF-005", Severity::kLow,
                   fmt::format("network daemon {} ({}, {}) lacks {}", s.program->node.path,
                               s.name, s.evidence.front().path, list),
                   std::move(ev)});
  }
}

auto OverInventory(void (*check)(const Inventory&, std::vector<Finding>&)) {
  return [check](AuditContext& ctx, std::vector<Finding>& out) { check(ctx.inv, out); };
}

}  // namespace

void AddConfigChecks(std::vector<Check>& checks) {
  checks.push_back(
      {"CB-CONF-001", "SSLv2, SSLv3 or TLS 1.0 enabled",
       "SSLv2, SSLv3 and TLS 1.0 have practical attacks (DROWN, POODLE, BEAST) and are "
       "prohibited by the TLS profiles telecom equipment must follow.",
       "Allow TLS 1.2 and 1.3 only (MinProtocol = TLSv1.2, ssl_protocols TLSv1.2 TLSv1.3).",
       "4.2.3.2.2", Severity::kMedium, OverInventory(WeakTls), {}});
  checks.push_back(
      {"CB-CONF-002", "SNMP community with write access",
       "An SNMP v1/v2c community is a clear-text password; with write access (and a default "
       "name such as 'private') anyone who can reach the agent reconfigures the box.",
       "Remove write communities; use SNMPv3 users with authPriv, or read-only access.",
       "4.2.3.4.2.3", Severity::kHigh, OverInventory(SnmpWrite), {}});
  checks.push_back(
      {"CB-CONF-003", "weak password hashing configured",
       "Passwords set on the box are hashed with MD5-crypt or DES crypt, which GPUs crack "
       "quickly; DES also truncates passwords to 8 characters.",
       "Use SHA-512 crypt or yescrypt (ENCRYPT_METHOD SHA512 / YESCRYPT, pam_unix sha512).",
       "4.2.3.2.3", Severity::kMedium, OverInventory(WeakHashing), {}});
  checks.push_back(
      {"CB-CONF-004", "debug tool shipped",
       "Debuggers, tracers, packet capture and physical-memory tools in a production image "
       "help an intruder read secrets and change the running system.",
       "Build production images without gdb, gdbserver, strace, ltrace, tcpdump, devmem and "
       "memtool (and without the busybox devmem applet).",
       "4.3.2.1", Severity::kLow, OverInventory(DebugTools), {}});
  checks.push_back(
      {"CB-CONF-005", "network daemon without ELF hardening",
       "A program that parses network input without NX, PIE, RELRO or stack canaries turns a "
       "memory bug into a reliable remote code execution.",
       "Build network daemons with -fstack-protector-strong, -fPIE -pie, -Wl,-z,relro,-z,now "
       "and a non-executable stack.",
       "4.3.3.1", Severity::kLow, OverInventory(Hardening), {}});
}

}  // namespace clearbox::audit::internal
