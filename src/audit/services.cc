// The remote-access checks (CB-SVC-*): every command a start place runs (startup.h), judged by
// the program and its options, and the SSH servers by their configuration.
#include "services.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "clearbox/audit/accounts.h"
#include "families.h"
#include "text_lines.h"

namespace clearbox::audit::internal {
namespace {

using inventory::FileRecord;
using inventory::Inventory;

bool In(std::string_view s, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<uint16_t> Port(std::string_view s) {
  size_t colon = s.rfind(':');
  if (colon != std::string_view::npos) s = s.substr(colon + 1);
  if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  unsigned long v = std::stoul(std::string(s));
  if (v == 0 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

// The value of a short option ("-l /bin/sh", "-l/bin/sh") or long one ("--login=x", "--login x").
std::optional<std::string> Option(const std::vector<std::string>& argv, std::string_view shrt,
                                  std::string_view lng = {}) {
  for (size_t k = 1; k < argv.size(); ++k) {
    const std::string& a = argv[k];
    if ((a == shrt || (!lng.empty() && a == lng)) && k + 1 < argv.size()) return argv[k + 1];
    if (!shrt.empty() && a.size() > shrt.size() && a.starts_with(shrt) && shrt.size() == 2)
      return a.substr(2);
    if (!lng.empty() && a.size() > lng.size() && a.starts_with(lng) && a[lng.size()] == '=')
      return a.substr(lng.size() + 1);
  }
  return std::nullopt;
}

// A short flag, alone or in a cluster of flags ("-Fsg" has s and g).
bool Flag(const std::vector<std::string>& argv, char flag, std::string_view with_value) {
  for (size_t k = 1; k < argv.size(); ++k) {
    const std::string& a = argv[k];
    if (a.size() < 2 || a[0] != '-' || a[1] == '-') continue;
    for (size_t i = 1; i < a.size(); ++i) {
      if (a[i] == flag) return true;
      if (with_value.find(a[i]) != std::string_view::npos) {
        if (i + 1 == a.size()) ++k;  // the value is the next word
        break;
      }
    }
  }
  return false;
}

enum class RootState { kUnknown, kLocked, kEmpty, kPassword };

// Whether root of this filesystem logs in with a password (accounts.h parsers).
RootState RootOf(const StartFilesystem& fs) {
  const std::string* passwd = fs.Text("/etc/passwd");
  if (passwd == nullptr) return RootState::kUnknown;
  for (const PasswdEntry& e : ParsePasswd(*passwd).entries) {
    if (e.name != "root") continue;
    std::string hash = e.password;
    if (hash == "x") {
      const std::string* shadow = fs.Text("/etc/shadow");
      if (shadow == nullptr) return RootState::kUnknown;
      hash = "!";
      for (const ShadowEntry& s : ParseShadow(*shadow).entries) {
        if (s.name == "root") {
          hash = s.password;
          break;
        }
      }
    }
    if (hash.empty()) return RootState::kEmpty;
    return IsLockedPassword(hash) ? RootState::kLocked : RootState::kPassword;
  }
  return RootState::kUnknown;
}

// sshd_config's global settings: the first value of each keyword wins, up to the first Match.
struct SshdConfig {
  const FileRecord* file = nullptr;
  std::map<std::string, std::pair<std::string, Evidence>> settings;  // lower-case keyword
};

// Reads one file into cfg; false when a Match block ends the global settings. `Include`
// (relative to /etc/ssh, with globs) is read in place, two levels deep at most.
bool ReadSshdFile(const StartFilesystem& fs, const FileRecord& file, int depth, SshdConfig& cfg) {
  for (const TextLine& l : SplitLines(file.text)) {
    std::string_view line = TrimBlanks(l.text);
    const uint64_t offset = l.offset;
    if (line.empty() || line[0] == '#' || line.size() > 4096) continue;
    size_t sep = line.find_first_of(" \t=");
    if (sep == std::string_view::npos) continue;
    std::string key = Lower(line.substr(0, sep));
    std::string_view value = line.substr(sep);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t' || value.front() == '='))
      value.remove_prefix(1);
    if (key == "match") return false;
    if (key == "include") {
      if (depth >= 2) continue;
      std::string pattern(value.substr(0, value.find_first_of(" \t")));
      if (pattern.empty()) continue;
      if (pattern[0] != '/') pattern = "/etc/ssh/" + pattern;
      size_t n = 0;
      for (const auto& [p, f] : fs.by_path) {  // sorted, as sshd reads a glob's files
        if (n >= 64 || fnmatch(pattern.c_str(), p.c_str(), FNM_PATHNAME) != 0) continue;
        const FileRecord* inc = fs.Resolve(p);
        if (inc == nullptr || inc->text.empty()) continue;
        ++n;
        if (!ReadSshdFile(fs, *inc, depth + 1, cfg)) return false;
      }
      continue;
    }
    std::string v = Lower(value.substr(0, value.find_first_of(" \t")));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    cfg.settings.emplace(key, std::pair{v, Evidence{file.node.provenance, file.node.path, offset,
                                                    std::string(line.substr(0, 240))}});
  }
  return true;
}

SshdConfig ReadSshdConfig(const StartFilesystem& fs, const std::string& path) {
  SshdConfig cfg;
  cfg.file = fs.Resolve(path);
  if (cfg.file == nullptr || cfg.file->text.empty()) return cfg;
  ReadSshdFile(fs, *cfg.file, 0, cfg);
  return cfg;
}

class Judge {
 public:
  Judge(const Inventory& inv, const StartupMap& map) : inv_(inv), map_(map) {}

  std::vector<ServiceStart> Run() {
    // Pipelines with a network listener on one side and a shell on the other.
    std::map<std::pair<const FileRecord*, int>, std::pair<bool, bool>> pipes;
    for (const StartSite& s : map_.sites) {
      auto& p = pipes[{s.file, s.pipeline}];
      if (IsShell(s.argv[0]) && (s.argv.size() == 1 || In(s.argv[1], {"-i", "-l", "-"}))) p.first = true;
      if (NcListens(s.argv)) p.second = true;
    }
    for (const StartSite& s : map_.sites) {
      const StartFilesystem* fs = map_.FilesystemOf(*s.file);
      if (fs == nullptr) continue;
      auto p = pipes[{s.file, s.pipeline}];
      One(*fs, s, p.first && p.second);
    }
    return std::move(out_);
  }

 private:
  static bool IsNc(std::string_view prog) {
    return In(prog, {"nc", "netcat", "ncat", "nc.traditional", "nc.openbsd", "pnetcat"});
  }
  static bool NcListens(const std::vector<std::string>& argv) {
    if (!IsNc(ProgramName(argv[0]))) return false;
    for (size_t k = 1; k < argv.size(); ++k) {
      const std::string& a = argv[k];
      if (a == "--listen") return true;
      if (a.size() >= 2 && a[0] == '-' && a[1] != '-') {
        for (size_t i = 1; i < a.size(); ++i) {
          if (a[i] == 'l' || a[i] == 'L') return true;
          if (In(std::string_view(&a[i], 1), {"e", "c", "p", "s", "w", "i", "q", "g", "G", "x"})) break;
        }
      }
    }
    return false;
  }

  Evidence Where(const StartFilesystem& fs, const StartSite& s) const {
    (void)fs;
    return {s.file->node.provenance, s.file->node.path, s.offset, s.excerpt};
  }

  std::string StartedBy(const StartSite& s, std::string_view name) const {
    std::string out =
        s.place == "program"
            ? fmt::format("{} started by the program {} (command line at offset {:#x})", name,
                          s.file->node.path, s.offset)
            : fmt::format("{} started by {} line {}", name, s.file->node.path, s.line);
    if (!s.via.empty()) out += fmt::format(" ({})", s.via);
    return out;
  }

  static std::string Ports(const std::vector<uint16_t>& ports, const std::string& protocol) {
    std::string out;
    for (uint16_t p : ports) {
      out += (out.empty() ? "" : ", ") + fmt::format("{}/{}", p, protocol.empty() ? "tcp" : protocol);
    }
    return out;
  }

  void Add(const StartFilesystem& fs, const StartSite& s, std::string check, Severity sev,
           std::string name, std::vector<uint16_t> ports, std::string protocol, std::string what,
           bool network = true, std::vector<Evidence> extra = {}, bool finding = true) {
    if (ports.empty()) ports = s.ports;
    if (protocol.empty()) protocol = s.protocol;
    if (protocol.empty() && !ports.empty()) protocol = "tcp";
    std::string key = fmt::format("{}\n{}\n{}\n{}", check, s.file->node.provenance, s.offset, name);
    if (!seen_.insert(key).second) return;
    ServiceStart r;
    r.check_id = std::move(check);
    r.severity = sev;
    r.name = std::move(name);
    r.protocol = protocol;
    r.ports = ports;
    r.network = network;
    r.finding = finding;
    r.program = s.program;
    std::string on = ports.empty() ? "" : fmt::format(" on port {}", Ports(ports, protocol));
    r.message = fmt::format("{}{}: {}", StartedBy(s, r.name), on, what);
    r.evidence.push_back(Where(fs, s));
    for (const VarOrigin& v : s.vars) {
      if (v.path.empty()) continue;
      r.evidence.push_back({fs.key + v.path, v.path, v.offset, v.excerpt});
    }
    for (Evidence& e : extra) r.evidence.push_back(std::move(e));
    for (const std::string& a : s.argv) {
      if (r.detail.size() > 200) break;
      r.detail += (r.detail.empty() ? "" : " ") + a;
    }
    out_.push_back(std::move(r));
  }

  void One(const StartFilesystem& fs, const StartSite& s, bool nc_pipe_shell) {
    const std::vector<std::string>& argv = s.argv;
    std::string prog = ProgramName(argv[0]);
    bool network_wrapped = s.place == "inetd" || s.place == "xinetd" ||
                           s.action == "Accept=yes socket" || !s.ports.empty();

    if (In(prog, {"telnetd", "utelnetd", "in.telnetd", "telnetd.busybox"})) {
      std::optional<std::string> login = Option(argv, prog == "in.telnetd" ? "-L" : "-l");
      std::vector<uint16_t> ports;
      if (auto p = Option(argv, "-p")) {
        if (auto v = Port(*p)) ports = {*v};
      }
      if (ports.empty() && s.ports.empty()) ports = {23};
      if (login && IsShell(*login)) {
        Add(fs, s, "CB-SVC-002", Severity::kCritical, prog, ports, "tcp",
            fmt::format("a telnet server that runs {} instead of a login: a root shell for anyone "
                        "who connects", *login));
      } else {
        Add(fs, s, "CB-SVC-001", Severity::kHigh, prog, ports, "tcp",
            "a telnet server: passwords and the session cross the network in clear text");
      }
      return;
    }
    if (IsNc(prog) && NcListens(argv)) {
      std::optional<std::string> exec = Option(argv, "-e", "--exec");
      if (!exec) exec = Option(argv, "-c", "--sh-exec");
      std::vector<uint16_t> ports;
      if (auto p = Option(argv, "-p")) {
        if (auto v = Port(*p)) ports = {*v};
      }
      for (size_t k = 1; k < argv.size() && ports.empty(); ++k) {
        if (argv[k].size() > 1 && argv[k].back() == 'p' && argv[k][0] == '-' && k + 1 < argv.size()) {
          if (auto v = Port(argv[k + 1])) ports = {*v};
        }
        if (argv[k][0] != '-' && k > 0 && argv[k - 1][0] == '-' && argv[k - 1].find_first_of("ecpsw") == std::string::npos) {
          if (auto v = Port(argv[k])) ports = {*v};
        } else if (argv[k][0] != '-' && argv[k - 1][0] != '-') {
          if (auto v = Port(argv[k])) ports = {*v};
        }
      }
      bool shell = exec && (IsShell(*exec) || IsShell(exec->substr(0, exec->find(' '))));
      if (shell || nc_pipe_shell) {
        Add(fs, s, "CB-SVC-002", Severity::kCritical, prog, ports, "tcp",
            shell ? fmt::format("a netcat listener that runs {} for whoever connects", *exec)
                  : "a netcat listener piped into a shell: a shell for whoever connects");
      } else {
        Add(fs, s, "CB-SVC-000", Severity::kInfo, prog, ports, "tcp",
            "a netcat listener (no program attached)");
      }
      return;
    }
    if (prog == "socat") {
      std::vector<uint16_t> ports;
      bool listen = false, shell = false;
      std::string exec_word;
      for (size_t k = 1; k < argv.size(); ++k) {
        std::string a = Lower(argv[k]);
        if (a.starts_with("tcp-listen:") || a.starts_with("tcp4-listen:") || a.starts_with("tcp6-listen:") ||
            a.starts_with("udp-listen:") || a.starts_with("openssl-listen:") || a.starts_with("ssl-l:") ||
            a.starts_with("sctp-listen:") || a.starts_with("tcp-l:") || a.starts_with("udp-l:")) {
          listen = true;
          std::string_view rest = std::string_view(argv[k]).substr(argv[k].find(':') + 1);
          if (auto v = Port(rest.substr(0, rest.find(',')))) ports = {*v};
        }
        if (a.starts_with("exec:") || a.starts_with("system:")) {
          std::string_view cmd = std::string_view(argv[k]).substr(argv[k].find(':') + 1);
          cmd = cmd.substr(0, cmd.find(','));
          while (!cmd.empty() && (cmd.front() == '\'' || cmd.front() == '"')) cmd.remove_prefix(1);
          exec_word = std::string(cmd.substr(0, cmd.find(' ')));
          shell = IsShell(exec_word);
        }
      }
      if (listen && shell) {
        Add(fs, s, "CB-SVC-002", Severity::kCritical, prog, ports, "tcp",
            fmt::format("a socat listener that runs {} for whoever connects", exec_word));
      } else if (listen) {
        Add(fs, s, "CB-SVC-000", Severity::kInfo, prog, ports, "tcp", "a socat listener");
      }
      return;
    }
    if (IsShell(argv[0]) && network_wrapped && (argv.size() == 1 || In(argv[1], {"-i", "-l", "-"}))) {
      Add(fs, s, "CB-SVC-002", Severity::kCritical, prog, {}, "",
          fmt::format("a shell run for every network connection ({}), with no login", s.place));
      return;
    }
    if (In(prog, {"rlogind", "in.rlogind", "rshd", "in.rshd", "rexecd", "in.rexecd", "rexd"})) {
      uint16_t port = prog.find("rlogin") != std::string::npos ? 513
                      : prog.find("rsh") != std::string::npos  ? 514
                                                               : 512;
      Add(fs, s, "CB-SVC-003", Severity::kHigh, prog, {port}, "tcp",
          "an r-service: host-based trust or clear-text passwords, no encryption");
      return;
    }
    if (In(prog, {"ftpd", "in.ftpd", "vsftpd", "proftpd", "pure-ftpd", "pureftpd", "bftpd", "uftpd",
                  "wu-ftpd", "stupid-ftpd"})) {
      Add(fs, s, "CB-SVC-004", Severity::kMedium, prog, {21}, "tcp",
          "an FTP server: passwords and files cross the network in clear text");
      return;
    }
    if (In(prog, {"tftpd", "in.tftpd", "atftpd", "tftpd-hpa", "opentftpd"})) {
      Add(fs, s, "CB-SVC-004", Severity::kMedium, prog, {69}, "udp",
          "a TFTP server: files are read (and possibly written) with no authentication at all");
      return;
    }
    if (In(prog, {"gdbserver", "gdbserver64", "lldb-server", "frida-server", "tcf-agent", "adbd"})) {
      std::vector<uint16_t> ports;
      for (size_t k = 1; k < argv.size() && ports.empty(); ++k) {
        if (argv[k].find(':') != std::string::npos && argv[k][0] != '/') {
          if (auto v = Port(argv[k])) ports = {*v};
        }
      }
      Add(fs, s, "CB-SVC-007", Severity::kHigh, prog, ports, ports.empty() ? "" : "tcp",
          "a debugger or instrumentation agent: it runs arbitrary code in the processes it serves");
      return;
    }
    if (prog == "dropbear") return Dropbear(fs, s);
    if (prog == "sshd") return Sshd(fs, s);
    if (Console(fs, s, prog)) return;
    static const std::set<std::string_view> kNetwork = {
        "httpd", "uhttpd", "lighttpd", "nginx", "mini_httpd", "boa", "goahead", "thttpd", "webs",
        "dnsmasq", "snmpd", "miniupnpd", "smbd", "nmbd", "mosquitto", "rpcbind", "portmap",
        "udhcpd", "dhcpd", "odhcpd", "named", "unbound", "xl2tpd", "openvpn", "lldpd", "avahi-daemon",
        "zebra", "bgpd", "ospfd", "ntpd", "chronyd", "cwmpd", "tr069", "upnpd", "mini_snmpd", "sshd",
        "stunnel", "haproxy", "apache2", "uwsgi", "minidlna", "pppoe-server", "ubusd_http"};
    if (kNetwork.count(prog) || network_wrapped) {
      Add(fs, s, "CB-SVC-000", Severity::kInfo, prog, {}, "", "a network service");
    }
  }

  void Dropbear(const StartFilesystem& fs, const StartSite& s) {
    RootState root = RootOf(fs);
    const FileRecord* uci = fs.Resolve("/etc/config/dropbear");
    // Options the script builds elsewhere (procd_append_param, "$ARGS" never set here) come
    // from UCI on OpenWrt.
    bool options_elsewhere =
        s.procd_appended || std::any_of(s.argv.begin() + 1, s.argv.end(), [](const std::string& a) {
          return a.find('$') != std::string::npos;
        });
    if (options_elsewhere && uci != nullptr && !uci->text.empty()) {
      // OpenWrt: the init script adds the options from UCI; judge each instance from there.
      for (const UciSection& sec : ParseUci(uci->text, nullptr)) {
        if (sec.type != "dropbear") continue;
        auto on = [&](const char* key, bool dflt) {
          const UciOption* o = sec.Find(key);
          if (o == nullptr) return dflt;
          return !In(Lower(o->value), {"off", "0", "no", "false", "disabled"});
        };
        if (!on("enable", true)) continue;
        std::vector<uint16_t> ports = {22};
        if (const UciOption* p = sec.Find("Port")) {
          if (auto v = Port(p->value)) ports = {*v};
        }
        Evidence where{uci->node.provenance, uci->node.path, sec.offset, sec.excerpt};
        const UciOption* root_opt = sec.Find("RootPasswordAuth");
        if (root_opt == nullptr) root_opt = sec.Find("PasswordAuth");
        if (root_opt != nullptr) where = {uci->node.provenance, uci->node.path, root_opt->offset, root_opt->excerpt};
        bool root_password = on("PasswordAuth", true) && on("RootPasswordAuth", true) && on("RootLogin", true);
        std::string what = fmt::format("configured by {} line {}", uci->node.path, sec.line);
        if (root_password && root == RootState::kPassword) {
          Add(fs, s, "CB-SVC-006", Severity::kHigh, "dropbear", ports, "tcp",
              what + ": root may log in over SSH with its password (RootPasswordAuth on) and root "
                     "has a password",
              true, {where});
        } else {
          Add(fs, s, "CB-SVC-000", Severity::kInfo, "dropbear", ports, "tcp",
              what + ": an SSH server without root password login", true, {where});
        }
      }
      return;
    }
    std::vector<uint16_t> ports;
    for (size_t k = 1; k < s.argv.size(); ++k) {
      if (s.argv[k] == "-p" && k + 1 < s.argv.size()) {
        if (auto v = Port(s.argv[k + 1])) ports.push_back(*v);
      }
    }
    if (ports.empty()) ports = {22};
    constexpr std::string_view kValued = "pPrbKIWcTAD";
    bool blank = Flag(s.argv, 'B', kValued);
    bool no_root = Flag(s.argv, 'w', kValued) || Flag(s.argv, 'g', kValued) || Flag(s.argv, 's', kValued);
    if (blank) {
      Add(fs, s, "CB-SVC-005", Severity::kCritical, "dropbear", ports, "tcp",
          "dropbear -B: accounts with a blank password log in over SSH");
    } else if (!no_root && root == RootState::kPassword) {
      Add(fs, s, "CB-SVC-006", Severity::kHigh, "dropbear", ports, "tcp",
          "dropbear without -w or -g: root logs in over SSH with its password (and root has one)");
    } else {
      Add(fs, s, "CB-SVC-000", Severity::kInfo, "dropbear", ports, "tcp",
          "an SSH server refusing blank passwords and root password login");
    }
  }

  void Sshd(const StartFilesystem& fs, const StartSite& s) {
    std::string path = Option(s.argv, "-f").value_or("/etc/ssh/sshd_config");
    SshdConfig cfg = ReadSshdConfig(fs, path);
    // -o Key=Value on the command line comes first.
    for (size_t k = 1; k + 1 < s.argv.size(); ++k) {
      if (s.argv[k] != "-o") continue;
      std::string o = s.argv[k + 1];
      size_t eq = o.find_first_of("= ");
      if (eq == std::string::npos) continue;
      cfg.settings[Lower(o.substr(0, eq))] = {Lower(o.substr(eq + 1)),
                                              Evidence{s.file->node.provenance, s.file->node.path,
                                                       s.offset, s.excerpt}};
    }
    std::vector<uint16_t> ports;
    if (auto it = cfg.settings.find("port"); it != cfg.settings.end()) {
      if (auto v = Port(it->second.first)) ports = {*v};
    }
    if (auto p = Option(s.argv, "-p")) {
      if (auto v = Port(*p)) ports = {*v};
    }
    if (ports.empty()) ports = {22};
    auto value = [&](const char* key) -> const std::pair<std::string, Evidence>* {
      auto it = cfg.settings.find(key);
      return it == cfg.settings.end() ? nullptr : &it->second;
    };
    const auto* empty = value("permitemptypasswords");
    const auto* root = value("permitrootlogin");
    const auto* password = value("passwordauthentication");
    bool passwords = password == nullptr || password->first != "no";
    if (empty && empty->first == "yes" && passwords) {
      Add(fs, s, "CB-SVC-005", Severity::kCritical, "sshd", ports, "tcp",
          fmt::format("{} sets PermitEmptyPasswords yes: accounts with an empty password log in",
                      path),
          true, {empty->second});
    } else if (root && root->first == "yes" && passwords && RootOf(fs) != RootState::kLocked) {
      Add(fs, s, "CB-SVC-006", Severity::kHigh, "sshd", ports, "tcp",
          fmt::format("{} sets PermitRootLogin yes: root logs in over SSH with a password", path),
          true, {root->second});
    } else {
      Add(fs, s, "CB-SVC-000", Severity::kInfo, "sshd", ports, "tcp",
          cfg.file ? "an SSH server refusing empty passwords and root password login"
                   : "an SSH server (no " + path + " in the image: OpenSSH's defaults)");
    }
  }

  // A shell on a terminal with no login: inittab, a getty told to skip the login, autologin.
  bool Console(const StartFilesystem& fs, const StartSite& s, const std::string& prog) {
    const std::vector<std::string>& argv = s.argv;
    std::string tty = s.tty.empty() ? "the console" : s.tty;
    bool console_place = s.place == "inittab" ||
                         (s.place == "systemd unit" &&
                          (s.file->node.path.find("getty") != std::string::npos ||
                           s.file->node.path.find("console") != std::string::npos));
    if (!console_place) return false;
    if (IsShell(argv[0]) && (argv.size() == 1 || In(argv[1], {"-i", "-l", "--login", "-"}))) {
      Add(fs, s, "CB-SVC-008", Severity::kHigh, prog, {}, "",
          fmt::format("a shell on {} with no login ({})", tty, s.action.empty() ? s.place : s.action),
          false);
      return true;
    }
    if (prog == "login" && Option(argv, "-f")) {
      Add(fs, s, "CB-SVC-008", Severity::kHigh, prog, {}, "",
          fmt::format("login -f {}: a session on {} without a password", *Option(argv, "-f"), tty), false);
      return true;
    }
    if (In(prog, {"getty", "agetty", "mingetty", "mgetty", "serial-getty", "fbgetty", "rungetty"})) {
      std::optional<std::string> login = Option(argv, "-l", "--login-program");
      std::optional<std::string> autologin = Option(argv, "-a", "--autologin");
      if (!autologin) autologin = Option(argv, "", "--autologin");
      std::string line = argv.size() > 1 ? argv.back() : tty;
      if (login && IsShell(*login)) {
        Add(fs, s, "CB-SVC-008", Severity::kHigh, prog, {}, "",
            fmt::format("{} runs {} instead of a login on {}", prog, *login, tty), false);
      } else if (autologin) {
        Add(fs, s, "CB-SVC-008", Severity::kHigh, prog, {}, "",
            fmt::format("{} logs '{}' in automatically, with no password", prog, *autologin), false);
      } else {
        Add(fs, s, "CB-SVC-008", Severity::kInfo, prog, {}, "",
            "a console login (a password is asked)", false, {}, false);
      }
      return true;
    }
    return false;
  }

  const Inventory& inv_;
  const StartupMap& map_;
  std::set<std::string> seen_;
  std::vector<ServiceStart> out_;
};

void Record(AuditContext& ctx, ServiceStart& r, std::vector<Finding>& out) {
  Observation o;
  o.kind = ObservationKind::kService;
  o.name = r.name;
  o.protocol = r.protocol;
  o.ports = r.ports;
  o.detail = r.detail;
  o.evidence = r.evidence.front();
  o.check_id = r.check_id;
  o.insecure = r.severity >= Severity::kLow;
  ctx.Observe(std::move(o));
  if (r.finding) out.push_back({r.check_id, r.severity, r.message, std::move(r.evidence)});
}

// Command lines inside ELF programs ("telnetd -l /bin/sh -p 2323" passed to system()):
// collected while the inventory is built, reported for the programs a start place runs.
class EmbeddedCommandScanner : public ContentScanner {
 public:
  explicit EmbeddedCommandScanner(std::string check_id) : check_id_(std::move(check_id)) {}

  void OnContent(const FileRecord& file, uint64_t offset, ByteView bytes) override {
    if (file.kind != inventory::FileKind::kElf) return;
    std::string_view text = AsChars(bytes);
    std::vector<Hit> found;
    for (std::string_view needle : {"telnetd ", "nc -", "netcat -", "ncat -", "socat "}) {
      size_t at = 0;
      while (found.size() < kMaxHitsPerFile && (at = text.find(needle, at)) != std::string_view::npos) {
        // The printable run (a C string) around the match.
        size_t begin = at, end = at;
        while (begin > 0 && at - begin < kMaxCommandBytes && Printable(text[begin - 1])) --begin;
        while (end < text.size() && end - at < kMaxCommandBytes && Printable(text[end])) ++end;
        at = end;
        std::string_view command = text.substr(begin, end - begin);
        if (command.find("/bin/") == std::string_view::npos &&
            command.find("sh") == std::string_view::npos && needle != "telnetd ")
          continue;
        found.push_back({file.node.provenance, offset + begin, std::string(command)});
      }
    }
    if (found.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    for (Hit& h : found) {
      if (hits_.size() < kMaxHits) hits_.push_back(std::move(h));
    }
  }

  void Finish(AuditContext& ctx, std::vector<Finding>& out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (hits_.empty()) return;
    StartupMap map = FindStartups(ctx.inv);
    std::map<const FileRecord*, const StartSite*> started;
    for (const StartSite& s : map.sites) {
      if (s.program != nullptr) started.emplace(s.program, &s);
    }
    StartupMap embedded;
    embedded.filesystems = std::move(map.filesystems);
    for (const Hit& h : hits_) {
      const FileRecord* binary = ctx.inv.FindFile(h.provenance);
      auto it = binary == nullptr ? started.end() : started.find(binary);
      if (it == started.end()) continue;
      const StartSite& start = *it->second;
      for (ShellCommand& c : ParseShellScript(h.command).commands) {
        if (!c.resolved || c.argv[0] == "<glob>") continue;
        StartSite site;
        site.file = binary;
        site.place = "program";
        site.offset = h.offset;
        site.excerpt = h.command.substr(0, kMaxExcerptBytes);
        site.argv = Unwrap(std::move(c.argv), nullptr, nullptr);
        if (site.argv.empty()) continue;
        site.via = fmt::format("which {} line {} starts", start.file->node.path, start.line);
        site.vars.push_back({"", start.file->node.path, start.offset, start.excerpt});
        embedded.sites.push_back(std::move(site));
      }
    }
    for (ServiceStart& r : JudgeServices(ctx.inv, embedded)) {
      if (r.check_id == check_id_) Record(ctx, r, out);
    }
  }

 private:
  static constexpr size_t kMaxHitsPerFile = 32;
  static constexpr size_t kMaxHits = 10000;
  static constexpr size_t kMaxCommandBytes = 512;
  struct Hit {
    std::string provenance;
    uint64_t offset;
    std::string command;
  };
  static bool Printable(char c) { return (c >= 0x20 && c < 0x7f) || c == '\t'; }

  std::string check_id_;
  std::mutex mu_;
  std::vector<Hit> hits_;
};

auto Scanner(std::string id) {
  return [id](const AuditOptions&) -> std::unique_ptr<ContentScanner> {
    return std::make_unique<EmbeddedCommandScanner>(id);
  };
}

// Each check runs the walk and reports its own share.
auto Report(std::string id) {
  return [id](AuditContext& ctx, std::vector<Finding>& out) {
    StartupMap map = FindStartups(ctx.inv);
    if (id == "CB-SVC-000") {
      std::set<std::string> noted;
      for (const auto& [where, what] : map.problems) {
        if (noted.insert(where + what).second) ctx.Note(where, what);
      }
    }
    for (ServiceStart& r : JudgeServices(ctx.inv, map)) {
      if (r.check_id == id) Record(ctx, r, out);
    }
  };
}

}  // namespace

std::vector<ServiceStart> JudgeServices(const Inventory& inv, const StartupMap& map) {
  return Judge(inv, map).Run();
}

void AddServiceChecks(std::vector<Check>& checks) {
  checks.push_back(
      {"CB-SVC-000", "network service started",
       "Every service the image starts is a way in that the vendor's pledge must declare; a "
       "securely configured one (an SSH server refusing empty passwords and root password "
       "login) is listed at level note, never flagged.",
       "Declare each service in the pledge with its ports and who may log in; remove the ones "
       "the product does not need.",
       "4.3.2.1", Severity::kInfo, Report("CB-SVC-000"), {}});
  checks.push_back(
      {"CB-SVC-001", "telnet server started",
       "Telnet sends passwords and the whole session in clear text; it is the first service IoT "
       "botnets try with default passwords.",
       "Remove telnetd (and the busybox applet) from the image; use SSH with keys.",
       "4.2.3.2.2", Severity::kHigh, Report("CB-SVC-001"), Scanner("CB-SVC-001")});
  checks.push_back(
      {"CB-SVC-002", "shell bound to the network without login",
       "A listener that hands a shell to whoever connects (telnetd -l /bin/sh, nc -l -e /bin/sh, "
       "socat EXEC:/bin/sh, a shell behind inetd or a socket) is a back door: no account, no "
       "password, usually root.",
       "Remove the listener; maintenance access must go through an authenticated, declared "
       "service.",
       "4.2.3.4.1.1", Severity::kCritical, Report("CB-SVC-002"), Scanner("CB-SVC-002")});
  checks.push_back(
      {"CB-SVC-003", "rlogin/rsh/rexec server started",
       "The r-services trust host names (.rhosts, hosts.equiv) or send passwords in clear text.",
       "Remove rlogind, rshd and rexecd; use SSH.", "4.2.3.2.2", Severity::kHigh,
       Report("CB-SVC-003"), {}});
  checks.push_back(
      {"CB-SVC-004", "FTP or TFTP server started",
       "FTP sends passwords and files in clear text; TFTP has no authentication at all and lets "
       "anyone on the network read (often write) files.",
       "Remove the server; transfer files over SFTP/HTTPS with authentication.", "4.2.3.2.2",
       Severity::kMedium, Report("CB-SVC-004"), {}});
  checks.push_back(
      {"CB-SVC-005", "SSH server allows empty passwords",
       "dropbear -B or sshd's PermitEmptyPasswords yes let an account with an empty password log "
       "in over the network without any secret.",
       "Drop -B / set PermitEmptyPasswords no, and give no account an empty password.",
       "4.2.3.4.2.1", Severity::kCritical, Report("CB-SVC-005"), {}});
  checks.push_back(
      {"CB-SVC-006", "SSH server allows root password login",
       "Root logging in with a password over SSH makes the root password the only barrier to "
       "the whole box, open to guessing from the network.",
       "Start dropbear with -g (or -w), set PermitRootLogin prohibit-password (or no), "
       "RootPasswordAuth off in UCI; use keys and a personal account.",
       "4.2.3.4.1.1", Severity::kHigh, Report("CB-SVC-006"), {}});
  checks.push_back(
      {"CB-SVC-007", "debug listener started",
       "gdbserver and other debug or instrumentation agents run arbitrary code in the processes "
       "they attach to; started at boot they are a remote root.",
       "Do not start debuggers in production images; remove them.", "4.3.2.1", Severity::kHigh,
       Report("CB-SVC-007"), {}});
  checks.push_back(
      {"CB-SVC-008", "console shell without login",
       "A shell on a serial console or terminal without a login (inittab ::respawn:/bin/sh, "
       "getty -n -l /bin/sh, autologin) gives root to anyone with physical access to the UART.",
       "Run a getty with a login on the console, or nothing; protect root with a password.",
       "4.2.3.4.1.1", Severity::kHigh, Report("CB-SVC-008"), {}});
}

}  // namespace clearbox::audit::internal
