// The walk of startup.h: from the roots every init system starts (inittab, rcS, rc.d links,
// systemd units and sockets, inetd, xinetd, crontabs, hotplug), to every script they run,
// to every command those scripts run.
#include "startup.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <deque>
#include <set>

#include "text_lines.h"

namespace clearbox::audit {
namespace {

using internal::SplitLines;
using internal::TextLine;
using internal::TrimBlanks;
using inventory::FileKind;
using inventory::FileRecord;
using inventory::Inventory;

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view x) {
  return s.size() >= x.size() && s.substr(s.size() - x.size()) == x;
}
std::string_view DirName(std::string_view p) {
  size_t slash = p.rfind('/');
  return slash == std::string_view::npos || slash == 0 ? "/" : p.substr(0, slash);
}
std::string_view BaseName(std::string_view p) {
  size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

// Lexically normalised absolute path ("/etc/rc.d/../init.d/x" -> "/etc/init.d/x").
std::string Normalize(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (std::string_view p : parts) out.append("/").append(p);
  return out.empty() ? "/" : out;
}

uint16_t PortOfService(std::string_view name) {
  static const std::map<std::string_view, uint16_t> kPorts = {
      {"echo", 7},      {"discard", 9},  {"daytime", 13},  {"chargen", 19}, {"ftp-data", 20},
      {"ftp", 21},      {"ssh", 22},     {"telnet", 23},   {"smtp", 25},    {"time", 37},
      {"domain", 53},   {"tftp", 69},    {"finger", 79},   {"http", 80},    {"www", 80},
      {"pop3", 110},    {"sunrpc", 111}, {"auth", 113},    {"ntp", 123},    {"imap", 143},
      {"snmp", 161},    {"https", 443},  {"exec", 512},    {"login", 513},  {"shell", 514},
      {"klogin", 543},  {"kshell", 544}, {"rsync", 873},   {"telnets", 992}, {"ftps", 990}};
  size_t colon = name.rfind(':');  // busybox inetd: [host:]service
  if (colon != std::string_view::npos) name = name.substr(colon + 1);
  if (!name.empty() && name.size() <= 5 &&
      std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    unsigned long v = std::stoul(std::string(name));
    return v <= 65535 ? static_cast<uint16_t>(v) : 0;
  }
  auto it = kPorts.find(name);
  return it == kPorts.end() ? 0 : it->second;
}

// "23", "0.0.0.0:23", "[::]:23" -> 23; a path (unix socket) -> 0.
uint16_t PortOfListen(std::string_view v) {
  if (v.empty() || v[0] == '/' || v[0] == '@') return 0;
  size_t colon = v.rfind(':');
  if (colon != std::string_view::npos) v = v.substr(colon + 1);
  return PortOfService(v);
}

// KEY=value lines of an EnvironmentFile or /etc/default file.
std::map<std::string, std::string> ReadEnvironment(std::string_view text) {
  std::map<std::string, std::string> out;
  ShellScript ignored;
  for (const TextLine& l : SplitLines(text)) {
    if (out.size() >= 1024) break;
    std::string_view line = TrimBlanks(l.text);
    if (StartsWith(line, "export ")) line.remove_prefix(7);
    size_t eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string_view::npos || eq == 0) continue;
    std::string value(line.substr(eq + 1));
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
    if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') && value.back() == value[0])
      value = value.substr(1, value.size() - 2);
    out[std::string(line.substr(0, eq))] = value;
  }
  return out;
}

std::map<std::string, std::string> SplitEnvironment(std::string_view value) {
  std::map<std::string, std::string> out;
  ShellScript s = ParseShellScript("x " + std::string(value));
  if (!s.commands.empty()) {
    for (size_t k = 1; k < s.commands[0].argv.size(); ++k) {
      const std::string& a = s.commands[0].argv[k];
      size_t eq = a.find('=');
      if (eq != std::string::npos && eq > 0) out[a.substr(0, eq)] = a.substr(eq + 1);
    }
  }
  return out;
}

bool Contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

class Walker {
 public:
  Walker(const StartFilesystem& fs, StartupMap& map) : fs_(fs), map_(map) {}

  void Run() {
    Roots();
    while (!queue_.empty() && walked_ < kMaxStartedFiles) {
      auto [file, via] = queue_.front();
      queue_.pop_front();
      ++walked_;
      ShellOptions opts;
      opts.path = file->node.path;
      opts.read_file = [this](const std::string& p) { return fs_.Text(p); };
      ShellScript s = ParseShellScript(file->text, opts);
      Problems(*file, s.problems);
      std::string place = StartsWith(file->node.path, "/etc/hotplug") ? "hotplug script"
                          : file->kind == FileKind::kInitScript       ? "init script"
                                                                      : "script";
      for (ShellCommand& c : s.commands) {
        StartSite site;
        site.file = file;
        site.place = place;
        site.via = via;
        Emit(std::move(site), std::move(c), 0);
      }
    }
  }

 private:
  void Problems(const FileRecord& f, const std::vector<std::string>& problems) {
    for (const std::string& p : problems) map_.problems.push_back({f.node.provenance, p});
  }

  // A file started by a start place; scripts are queued to be read, once.
  void Start(const FileRecord* f, const std::string& via) {
    if (f == nullptr || f->text.empty() || f->kind == FileKind::kElf) return;
    const std::string& interp = f->interpreter;
    if (!interp.empty() && !Contains(interp, "sh") && !Contains(interp, "rc.common")) return;
    if (!queued_.insert(f).second) return;
    queue_.push_back({f, via});
  }

  std::string LineVia(const FileRecord& f, size_t line) const {
    return fmt::format("run by {} line {}", f.node.path, line);
  }

  // One command of a start place: recorded, and followed when it runs a script.
  void Emit(StartSite site, ShellCommand c, int depth) {
    if (c.argv.empty()) return;
    if (c.argv[0] == "<glob>") {
      if (c.argv.size() >= 2) Glob(c.argv[1], fmt::format("run by {} (glob {})",
                                                          site.file->node.path, c.argv[1]));
      return;
    }
    if (!c.resolved) return;
    if (site.offset == 0 && site.line == 0) {
      site.offset = c.offset;
      site.line = c.line;
      site.excerpt = c.excerpt;
    }
    site.pipeline = c.pipeline + depth * 100000;
    site.procd_appended = c.procd_appended;
    site.vars = std::move(c.vars);
    uint16_t port = 0;
    std::string protocol;
    site.argv = Unwrap(std::move(c.argv), &port, &protocol);
    if (site.argv.empty()) return;
    if (port != 0) {
      site.ports = {port};
      site.protocol = protocol;
    }
    const std::vector<std::string>& argv = site.argv;
    std::string prog = ProgramName(argv[0]);
    std::string via = LineVia(*site.file, site.line);
    // sh -c 'string': the string is a script of its own.
    if (IsShell(argv[0]) && argv.size() >= 3 && argv[1] == "-c" && depth < 2) {
      ShellScript inner = ParseShellScript(argv[2]);
      for (ShellCommand& ic : inner.commands) {
        StartSite copy = site;
        Emit(std::move(copy), std::move(ic), depth + 1);
      }
      return;
    }
    if (IsShell(argv[0]) && argv.size() >= 2 && argv[1][0] == '/') {
      Start(fs_.Resolve(argv[1]), via);
    }
    if (prog == "run-parts" && argv.size() >= 2) {
      Glob(argv.back() + "/*", via);
    }
    if (prog == "service" && argv.size() >= 3 && argv[2] == "start") {
      Start(fs_.Resolve("/etc/init.d/" + argv[1]), via);
    }
    site.program = fs_.Which(argv[0]);
    if (site.program != nullptr) Start(site.program, via);
    if (map_.sites.size() < kMaxStartedFiles * 20) map_.sites.push_back(std::move(site));
  }

  void Glob(const std::string& pattern, const std::string& via) {
    size_t n = 0;
    for (const auto& [path, f] : fs_.by_path) {
      if (n >= 1000) break;
      if (fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) != 0) continue;
      // rc scripts: K* stop services.
      ++n;
      Start(fs_.Resolve(path), via);
    }
  }

  // Commands that a one-line start place runs (an inittab process, an ExecStart, a cron job).
  void EmitLine(const FileRecord& file, const std::string& place, const std::string& command,
                uint64_t offset, size_t line, const std::string& excerpt, const std::string& via,
                const std::map<std::string, std::string>& env, StartSite base = {}) {
    ShellOptions opts;
    opts.path = file.node.path;
    opts.vars = env;
    opts.read_file = [this](const std::string& p) { return fs_.Text(p); };
    ShellScript s = ParseShellScript(command, opts);
    for (ShellCommand& c : s.commands) {
      StartSite site = base;
      site.file = &file;
      site.place = place;
      site.offset = offset;
      site.line = line;
      site.excerpt = excerpt;
      site.via = via;
      for (VarOrigin& v : c.vars) {
        if (v.path == file.node.path && v.offset == 0 && v.excerpt.empty()) v.path.clear();
      }
      std::erase_if(c.vars, [](const VarOrigin& v) { return v.path.empty(); });
      Emit(std::move(site), std::move(c), 0);
    }
  }

  const FileRecord* File(std::string_view path) const {
    auto it = fs_.by_path.find(path);
    return it == fs_.by_path.end() || it->second->node.type != unpack::NodeType::kFile
               ? nullptr
               : it->second;
  }

  void Roots() {
    bool any_root = false;
    if (const FileRecord* inittab = File("/etc/inittab")) {
      any_root = true;
      std::vector<std::string> problems;
      for (const InittabEntry& e : ParseInittab(inittab->text, &problems)) {
        static const std::set<std::string_view> kNotStarted = {
            "off", "initdefault", "shutdown", "ctrlaltdel", "restart", "kbrequest",
            "powerfail", "powerwait", "powerfailnow", "powerokwait"};
        if (kNotStarted.count(e.action)) continue;
        StartSite base;
        base.tty = e.id;
        base.action = e.action;
        EmitLine(*inittab, "inittab", e.process, e.offset, e.line, e.excerpt,
                 "started by init", {}, base);
      }
      Problems(*inittab, problems);
    } else if (const FileRecord* rcs = fs_.Resolve("/etc/init.d/rcS")) {
      any_root = true;
      Start(rcs, "busybox init's default /etc/init.d/rcS (no /etc/inittab)");
    }
    if (const FileRecord* rc_local = fs_.Resolve("/etc/rc.local")) {
      Start(rc_local, "run at the end of boot");
    }
    for (const auto& [path, f] : fs_.by_path) {
      std::string_view p = path;
      bool rc_dir = StartsWith(p, "/etc/rc.d/S") ||
                    (StartsWith(p, "/etc/rc") && p.size() > 11 && p.substr(8, 4) == ".d/S") ||
                    (StartsWith(p, "/etc/init.d/rc") && Contains(p, ".d/S"));
      if (rc_dir) {
        any_root = true;
        Start(fs_.Resolve(path), fmt::format("linked from {}", path));
      }
      if (StartsWith(p, "/etc/hotplug.d/")) {
        Start(fs_.Resolve(path), "run by the hotplug handler");
      }
    }
    any_root |= Systemd();
    Inetd();
    Cron();
    Hotplug();
    if (!any_root) {
      // No init configuration this walk knows: every init.d script is taken as started.
      for (const auto& [path, f] : fs_.by_path) {
        if (StartsWith(path, "/etc/init.d/"))
          Start(fs_.Resolve(path), "in /etc/init.d (no inittab or other init configuration found)");
      }
    }
  }

  // --- systemd ---------------------------------------------------------------------------
  struct Unit {
    const FileRecord* file = nullptr;
    std::vector<std::pair<const FileRecord*, UnitKey>> keys;  // the unit's, then drop-ins'
    bool enabled = false;
  };

  bool Systemd() {
    static constexpr std::string_view kDirs[] = {"/etc/systemd/system/", "/run/systemd/system/",
                                                 "/lib/systemd/system/", "/usr/lib/systemd/system/"};
    std::map<std::string, Unit> units;
    std::set<std::string> wanted;
    std::vector<std::pair<std::string, const FileRecord*>> dropins;
    for (const auto& [path, f] : fs_.by_path) {
      std::string_view p = path;
      std::string_view dir;
      for (std::string_view d : kDirs) {
        if (StartsWith(p, d)) dir = d;
      }
      if (dir.empty()) continue;
      std::string_view rest = p.substr(dir.size());
      size_t slash = rest.find('/');
      if (slash != std::string_view::npos) {
        std::string_view parent = rest.substr(0, slash);
        if (EndsWith(parent, ".wants") || EndsWith(parent, ".requires")) {
          wanted.insert(std::string(BaseName(p)));
        } else if (EndsWith(parent, ".d") && EndsWith(p, ".conf")) {
          if (const FileRecord* r = fs_.Resolve(path))
            dropins.push_back({std::string(parent.substr(0, parent.size() - 2)), r});
        }
        continue;
      }
      const FileRecord* r = fs_.Resolve(path);
      if (r == nullptr || (!EndsWith(p, ".service") && !EndsWith(p, ".socket") &&
                           !EndsWith(p, ".timer")))
        continue;
      Unit& u = units[std::string(rest)];
      if (u.file == nullptr) u.file = r;  // the first directory wins
    }
    if (units.empty()) return false;
    std::vector<std::string> problems;
    for (auto& [name, u] : units) {
      for (const UnitKey& k : ParseUnit(u.file->text, &problems)) u.keys.push_back({u.file, k});
      Problems(*u.file, problems);
      problems.clear();
    }
    for (const auto& [unit_name, f] : dropins) {
      std::string name = unit_name;
      if (!units.count(name)) {
        // serial-getty@ttyS0.service.d: the template serial-getty@.service.
        size_t at = name.find('@');
        std::string tmpl = at == std::string::npos ? name : name.substr(0, at + 1) +
                                                               name.substr(name.rfind('.'));
        if (!units.count(tmpl)) continue;
        units[name] = units[tmpl];
      }
      Unit& u = units[name];
      for (const UnitKey& k : ParseUnit(f->text, &problems)) u.keys.push_back({f, k});
      if (StartsWith(name, "getty@") || StartsWith(name, "serial-getty@") ||
          StartsWith(name, "console-getty") || StartsWith(name, "container-getty@"))
        u.enabled = true;  // gettys are started by getty.target's generator
    }
    for (auto& [name, u] : units) {
      if (wanted.count(name)) u.enabled = true;
      for (const auto& [f, k] : u.keys) {
        if (k.section == "Install" && (k.key == "WantedBy" || k.key == "RequiredBy") &&
            !k.value.empty())
          u.enabled = true;
      }
    }
    std::set<std::string> done;
    for (auto& [name, u] : units) {
      if (!u.enabled) continue;
      if (EndsWith(name, ".socket")) {
        StartSite base;
        bool accept = false;
        std::string service = name.substr(0, name.size() - 7);
        std::string service_key;
        for (const auto& [f, k] : u.keys) {
          if (k.section != "Socket") continue;
          if (k.key == "ListenStream" || k.key == "ListenDatagram" || k.key == "ListenSequentialPacket") {
            if (uint16_t port = PortOfListen(k.value)) {
              base.ports.push_back(port);
              base.protocol = k.key == "ListenDatagram" ? "udp" : "tcp";
            }
          }
          if (k.key == "Accept") accept = k.value == "yes" || k.value == "true" || k.value == "1";
          if (k.key == "Service") service_key = k.value;
        }
        std::string target = !service_key.empty() ? service_key
                             : accept            ? service + "@.service"
                                                 : service + ".service";
        base.action = accept ? "Accept=yes socket" : "socket";
        auto it = units.find(target);
        if (it == units.end()) continue;
        ServiceSites(it->second, base,
                     fmt::format("started for connections to {} ({})", u.file->node.path,
                                 base.action));
        done.insert(target);
        continue;
      }
      if (EndsWith(name, ".timer")) {
        std::string target = name.substr(0, name.size() - 6) + ".service";
        for (const auto& [f, k] : u.keys) {
          if (k.section == "Timer" && k.key == "Unit") target = k.value;
        }
        auto it = units.find(target);
        if (it != units.end() && done.insert(target).second)
          ServiceSites(it->second, {}, fmt::format("started by the timer {}", u.file->node.path));
        continue;
      }
      if (done.insert(name).second) ServiceSites(u, {}, "enabled systemd unit");
    }
    return true;
  }

  void ServiceSites(const Unit& u, StartSite base, const std::string& via) {
    std::map<std::string, std::string> env;
    std::vector<std::pair<const FileRecord*, UnitKey>> exec;
    for (const auto& [f, k] : u.keys) {
      if (k.section != "Service") continue;
      if (k.key == "Environment") {
        for (auto& [n, v] : SplitEnvironment(k.value)) env[n] = v;
      } else if (k.key == "EnvironmentFile") {
        std::string path = k.value;
        if (!path.empty() && path[0] == '-') path.erase(0, 1);
        if (const std::string* text = fs_.Text(path)) {
          for (auto& [n, v] : ReadEnvironment(*text)) env[n] = v;
        }
      } else if (k.key == "ExecStart") {
        if (k.value.empty()) exec.clear();  // "ExecStart=" resets the list (drop-ins)
        else exec.push_back({f, k});
      }
    }
    for (const auto& [f, k] : exec) {
      std::string command = k.value;
      size_t skip = 0;
      while (skip < command.size() && Contains("-@:+!", std::string(1, command[skip]))) ++skip;
      command.erase(0, skip);
      EmitLine(*f, "systemd unit", command, k.offset, k.line, k.excerpt, via, env, base);
    }
  }

  // --- inetd, xinetd -------------------------------------------------------------------
  void Inetd() {
    if (const FileRecord* f = File("/etc/inetd.conf")) {
      std::vector<std::string> problems;
      for (const InetdEntry& e : ParseInetd(f->text, &problems)) {
        if (e.server == "internal") continue;
        std::vector<std::string> argv = e.args.empty() ? std::vector<std::string>{e.server} : e.args;
        if (ProgramName(e.server) == "tcpd" && !argv.empty() && argv[0][0] != '/') {
          // tcpd runs argv[0] from its own directory or the PATH.
        } else if (!argv.empty()) {
          argv[0] = e.server;
        }
        StartSite site;
        site.file = f;
        site.place = "inetd";
        site.offset = e.offset;
        site.line = e.line;
        site.excerpt = e.excerpt;
        site.via = "started by inetd for each connection";
        if (uint16_t port = PortOfService(e.service)) site.ports = {port};
        site.protocol = StartsWith(e.protocol, "udp") ? "udp" : "tcp";
        ShellCommand c;
        c.argv = std::move(argv);
        Emit(std::move(site), std::move(c), 0);
      }
      Problems(*f, problems);
    }
    std::vector<const FileRecord*> files;
    if (const FileRecord* f = File("/etc/xinetd.conf")) files.push_back(f);
    for (const auto& [path, f] : fs_.by_path) {
      if (StartsWith(path, "/etc/xinetd.d/")) {
        if (const FileRecord* r = fs_.Resolve(path)) files.push_back(r);
      }
    }
    for (const FileRecord* f : files) {
      std::vector<std::string> problems;
      for (const XinetdService& s : ParseXinetd(f->text, &problems)) {
        auto get = [&](const char* key) -> const UnitKey* {
          auto it = s.keys.find(key);
          return it == s.keys.end() ? nullptr : &it->second;
        };
        const UnitKey* disable = get("disable");
        if (disable != nullptr && disable->value == "yes") continue;
        const UnitKey* server = get("server");
        if (server == nullptr) continue;
        const UnitKey* args = get("server_args");
        StartSite site;
        site.file = f;
        site.place = "xinetd";
        site.offset = server->offset;
        site.line = server->line;
        site.excerpt = server->excerpt;
        site.via = fmt::format("xinetd service '{}' (line {})", s.name, s.line);
        const UnitKey* port = get("port");
        if (uint16_t p = port ? PortOfService(port->value) : PortOfService(s.name)) site.ports = {p};
        const UnitKey* proto = get("protocol");
        const UnitKey* type = get("socket_type");
        site.protocol = (proto && proto->value == "udp") || (type && type->value == "dgram") ? "udp" : "tcp";
        ShellScript parsed = ParseShellScript("x " + (args ? args->value : std::string()));
        ShellCommand c;
        c.argv = {server->value};
        if (!parsed.commands.empty()) {
          for (size_t k = 1; k < parsed.commands[0].argv.size(); ++k)
            c.argv.push_back(parsed.commands[0].argv[k]);
        }
        Emit(std::move(site), std::move(c), 0);
      }
      Problems(*f, problems);
    }
  }

  // --- cron, hotplug -------------------------------------------------------------------
  void Cron() {
    for (const auto& [path, f] : fs_.by_path) {
      bool system = path == "/etc/crontab" || StartsWith(path, "/etc/cron.d/");
      bool user = StartsWith(path, "/var/spool/cron/") || StartsWith(path, "/etc/crontabs/");
      if (!system && !user) continue;
      const FileRecord* r = fs_.Resolve(path);
      if (r == nullptr || r->text.empty()) continue;
      std::vector<std::string> problems;
      for (const CronEntry& e : ParseCrontab(r->text, system, &problems)) {
        EmitLine(*r, "crontab", e.command, e.offset, e.line, e.excerpt, "run by cron", {});
      }
      Problems(*r, problems);
    }
  }

  void Hotplug() {
    for (auto [path, mdev] : {std::pair{"/etc/hotplug2.rules", false}, {"/etc/mdev.conf", true}}) {
      const FileRecord* f = File(path);
      if (f == nullptr) continue;
      std::vector<std::string> problems;
      for (const CronEntry& e : ParseHotplugRules(f->text, mdev, &problems)) {
        EmitLine(*f, "hotplug", e.command, e.offset, e.line, e.excerpt,
                 mdev ? "run by mdev on a device event" : "run by hotplug2 on a device event", {});
      }
      Problems(*f, problems);
    }
  }

  const StartFilesystem& fs_;
  StartupMap& map_;
  std::deque<std::pair<const FileRecord*, std::string>> queue_;
  std::set<const FileRecord*> queued_;
  size_t walked_ = 0;
};

}  // namespace

const FileRecord* StartFilesystem::Resolve(std::string_view path) const {
  std::string p = Normalize(path);
  for (int hop = 0; hop < 16; ++hop) {
    auto it = by_path.find(p);
    if (it == by_path.end()) return nullptr;
    const FileRecord* f = it->second;
    switch (f->node.type) {
      case unpack::NodeType::kFile:
        return f;
      case unpack::NodeType::kSymlink: {
        const std::string& t = f->node.link_target;
        if (t.empty()) return nullptr;
        p = t[0] == '/' ? Normalize(t) : Normalize(std::string(DirName(p)) + "/" + t);
        break;
      }
      case unpack::NodeType::kHardLink:
        p = Normalize(f->node.link_target);
        break;
      default:
        return nullptr;
    }
  }
  return nullptr;
}

const FileRecord* StartFilesystem::Which(std::string_view argv0) const {
  while (!argv0.empty() && argv0.front() == '-') argv0.remove_prefix(1);
  if (argv0.empty()) return nullptr;
  if (argv0.find('/') != std::string_view::npos) return argv0[0] == '/' ? Resolve(argv0) : nullptr;
  for (std::string_view dir : {"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/", "/usr/local/sbin/",
                               "/usr/local/bin/"}) {
    if (const FileRecord* f = Resolve(std::string(dir) + std::string(argv0))) return f;
  }
  return nullptr;
}

const std::string* StartFilesystem::Text(std::string_view path) const {
  const FileRecord* f = Resolve(path);
  return f == nullptr || f->text.empty() ? nullptr : &f->text;
}

const StartFilesystem* StartupMap::FilesystemOf(const FileRecord& f) const {
  const std::string& p = f.node.provenance;
  if (!EndsWith(p, f.node.path)) return nullptr;
  std::string key = p.substr(0, p.size() - f.node.path.size());
  for (const StartFilesystem& fs : filesystems) {
    if (fs.key == key) return &fs;
  }
  return nullptr;
}

std::vector<std::string> Unwrap(std::vector<std::string> argv, uint16_t* port,
                                std::string* protocol) {
  auto drop = [&](size_t n) { argv.erase(argv.begin(), argv.begin() + std::min(n, argv.size())); };
  auto drop_options = [&](std::initializer_list<std::string_view> with_value) {
    while (!argv.empty() && argv[0].size() > 1 && argv[0][0] == '-') {
      bool takes = std::find(with_value.begin(), with_value.end(), argv[0]) != with_value.end();
      if (argv[0] == "--") {
        drop(1);
        break;
      }
      drop(takes ? 2 : 1);
    }
  };
  for (int round = 0; round < 8 && !argv.empty(); ++round) {
    std::string p = ProgramName(argv[0]);
    if (p == "exec" || p == "nohup" || p == "setsid" || p == "command" || p == "service_start") {
      drop(1);
      drop_options({"-a"});
    } else if (p == "nice" || p == "ionice") {
      drop(1);
      drop_options({"-n", "-c", "-t"});
    } else if (p == "env") {
      drop(1);
      drop_options({"-u", "-C", "-S"});
      while (!argv.empty() && argv[0].find('=') != std::string::npos && argv[0][0] != '/') drop(1);
    } else if (p == "chroot" || p == "taskset" || p == "timeout") {
      drop(1);
      drop_options({"-s", "-k", "-c"});
      drop(1);  // the directory, the mask, the duration
    } else if (p == "busybox" && argv.size() >= 2 && argv[1][0] != '-') {
      drop(1);
    } else if (p == "start-stop-daemon" || p == "ssd") {
      std::string program, name;
      std::vector<std::string> args;
      for (size_t k = 1; k < argv.size(); ++k) {
        const std::string& a = argv[k];
        if (a == "--") {
          args.assign(argv.begin() + k + 1, argv.end());
          break;
        }
        auto value = [&](std::string_view shrt, std::string_view lng) -> bool {
          if (a == shrt || a == lng) {
            if (k + 1 < argv.size()) program = argv[++k];
            return true;
          }
          if (a.size() > lng.size() && StartsWith(a, lng) && a[lng.size()] == '=') {
            program = a.substr(lng.size() + 1);
            return true;
          }
          return false;
        };
        if (value("-a", "--startas") || value("-x", "--exec")) continue;
        if ((a == "-n" || a == "--name") && k + 1 < argv.size()) name = argv[++k];
      }
      if (program.empty()) program = name;
      if (program.empty()) return {};
      argv = {program};
      argv.insert(argv.end(), args.begin(), args.end());
    } else if (p == "tcpsvd" || p == "udpsvd") {
      bool udp = p == "udpsvd";
      drop(1);
      drop_options({"-c", "-C", "-b", "-u", "-l", "-t"});
      if (argv.size() < 3) return {};
      uint16_t v = PortOfService(argv[1]);
      if (port) *port = v;
      if (protocol) *protocol = udp ? "udp" : "tcp";
      drop(2);
    } else {
      break;
    }
  }
  return argv;
}

StartupMap FindStartups(const Inventory& inv) {
  StartupMap map;
  std::map<std::string, StartFilesystem> by_key;
  for (const FileRecord& f : inv.files) {
    const std::string& p = f.node.provenance;
    if (f.node.path.empty() || !EndsWith(p, f.node.path)) continue;
    std::string key = p.substr(0, p.size() - f.node.path.size());
    StartFilesystem& fs = by_key[key];
    fs.key = key;
    fs.by_path.emplace(f.node.path, &f);
  }
  for (auto& [key, fs] : by_key) map.filesystems.push_back(std::move(fs));
  for (const StartFilesystem& fs : map.filesystems) Walker(fs, map).Run();
  return map;
}

}  // namespace clearbox::audit
