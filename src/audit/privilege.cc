// The privilege checks (CB-PRIV-*): setuid/setgid programs, shells and interpreters with
// those bits, world-writable system paths and kernel modules outside the kernel's tree, from
// each node's mode, owner and type (unpack::Node) and, for privileged programs, their bytes.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "families.h"

namespace clearbox::audit::internal {
namespace {

using inventory::FileKind;
using inventory::FileRecord;

constexpr uint32_t kSetuid = 04000, kSetgid = 02000, kSticky = 01000, kAnyExec = 0111;

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool Privileged(const FileRecord& f) {
  // Setgid without group execute is mandatory locking, not a privilege.
  return f.node.type == unpack::NodeType::kFile && (f.node.mode & kAnyExec) != 0 &&
         ((f.node.mode & kSetuid) != 0 || ((f.node.mode & kSetgid) && (f.node.mode & 0010)));
}

std::string ModeBits(const FileRecord& f) {
  std::string bits;
  if (f.node.mode & kSetuid) bits = fmt::format("setuid (uid {})", f.node.uid);
  if ((f.node.mode & kSetgid) && (f.node.mode & 0010)) {
    bits += bits.empty() ? "" : ", ";
    bits += fmt::format("setgid (gid {})", f.node.gid);
  }
  return bits;
}

Evidence NodeEvidence(const FileRecord& f, std::string excerpt) {
  return {f.node.provenance, f.node.path, 0, std::move(excerpt)};
}

std::string ModeExcerpt(const FileRecord& f) {
  return fmt::format("mode {:04o} uid {} gid {} {}", f.node.mode & 07777, f.node.uid, f.node.gid,
                     f.node.path);
}

// Programs that need setuid or setgid to do their one job on a stock Linux system (shadow-
// utils, util-linux, iputils, sudo, ppp, ...): docs/checks/privilege.md justifies each.
const std::set<std::string_view>& KnownSetuid() {
  static const std::set<std::string_view> names = {
      "passwd", "su", "sudo", "sudoedit", "ping", "ping6", "mount", "umount", "newgrp", "chsh",
      "chfn", "gpasswd", "pppd", "expiry", "chage", "unix_chkpwd", "crontab", "at",
      "ssh-keysign", "fusermount", "fusermount3", "pkexec", "polkit-agent-helper-1",
      "dbus-daemon-launch-helper", "traceroute6", "wall", "write", "bsd-write", "ssh-agent",
      "dotlockfile", "mount.nfs", "mount.cifs", "newuidmap", "newgidmap", "Xorg.wrap",
      "chrome-sandbox", "utempter", "pam_timestamp_check", "unix2_chkpwd"};
  return names;
}

// What a privileged program is, when it can run anything: a shell, an interpreter or a
// multi-call binary with a shell applet.
struct ShellKind {
  std::string what;  // "shell", "interpreter perl", "busybox with the 'sh' applet"
};

const std::set<std::string_view>& ShellNames() {
  static const std::set<std::string_view> names = {
      "sh", "bash", "ash", "dash", "hush", "msh", "zsh", "ksh", "mksh", "pdksh", "csh", "tcsh",
      "fish", "rbash", "lksh", "yash"};
  return names;
}

bool InterpreterName(std::string_view base) {
  for (std::string_view p : {"python", "perl", "lua", "ruby", "php", "tclsh", "wish", "node",
                             "expect", "gawk", "awk", "busybox", "toybox"}) {
    if (base.starts_with(p)) return true;
  }
  return false;
}

// Applet names of a multi-call binary: busybox and toybox keep them as one NUL-separated
// run of short lower-case words. A shell applet is "sh", "ash", "hush" or "bash" in such a
// run (three words of the run on each side).
bool IsAppletWord(std::string_view w) {
  if (w.empty() || w.size() > 24) return false;
  for (char c : w) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
          c == '[')) {
      return false;
    }
  }
  return true;
}

std::string ShellAppletIn(ByteView bytes) {
  std::string_view text = AsChars(bytes);
  for (std::string_view applet : {"sh", "ash", "hush", "bash"}) {
    std::string needle = std::string(1, '\0') + std::string(applet) + '\0';
    size_t at = 0;
    int hits = 0;
    while ((at = text.find(needle, at)) != std::string_view::npos && hits++ < 10000) {
      // Three words before and after, each a word of the applet alphabet.
      auto words_ok = [&](size_t from, int dir) {
        size_t pos = from;
        for (int i = 0; i < 3; ++i) {
          if (dir > 0) {
            size_t end = text.find('\0', pos);
            if (end == std::string_view::npos || !IsAppletWord(text.substr(pos, end - pos))) return false;
            pos = end + 1;
          } else {
            if (pos == 0) return false;
            size_t start = text.rfind('\0', pos - 1);
            if (start == std::string_view::npos) return false;
            if (!IsAppletWord(text.substr(start + 1, pos - 1 - start))) return false;
            pos = start;
          }
        }
        return true;
      };
      if (words_ok(at + needle.size(), +1) && words_ok(at, -1)) return std::string(applet);
      at += 1;
    }
  }
  return {};
}

// What the bytes of a privileged program say it is (bash and interpreters renamed).
std::string InterpreterSignature(ByteView bytes) {
  std::string_view text = AsChars(bytes);
  static constexpr std::pair<std::string_view, std::string_view> kSigns[] = {
      {"GNU bash, version", "bash"},
      {"Py_Initialize", "python"},
      {"perl_parse", "perl"},
      {"lua_pcall", "lua"},
      {"BusyBox v", "busybox"},
      {"toybox", "toybox"}};
  for (const auto& [sign, name] : kSigns) {
    if (text.find(sign) != std::string_view::npos) return std::string(name);
  }
  return {};
}

// Reads the bytes of privileged programs and of kernel modules.
class PrivilegeScanner : public ContentScanner {
 public:
  void OnContent(const FileRecord& file, uint64_t, ByteView bytes) override {
    bool module = IsKernelModule(file);
    if (!Privileged(file) && !module) return;
    std::string applet = Privileged(file) ? ShellAppletIn(bytes) : std::string();
    std::string sign = Privileged(file) ? InterpreterSignature(bytes) : std::string();
    std::string vermagic = module ? Vermagic(bytes) : std::string();
    std::lock_guard lock(mu_);
    Facts& f = facts_[file.node.provenance];
    if (f.applet.empty()) f.applet = applet;
    if (f.signature.empty()) f.signature = sign;
    if (f.vermagic.empty()) f.vermagic = vermagic;
  }
  void Finish(AuditContext&, std::vector<Finding>&) override {}

  static bool IsKernelModule(const FileRecord& f) {
    return f.kind == FileKind::kElf && f.elf && f.elf->type == 1 /* ET_REL */ &&
           (f.node.path.ends_with(".ko") || f.node.path.ends_with(".ko.xz"));
  }
  static std::string Vermagic(ByteView bytes) {
    std::string_view text = AsChars(bytes);
    size_t at = text.find(std::string_view("vermagic=", 9));
    if (at == std::string_view::npos) return {};
    std::string_view v = text.substr(at + 9, 128);
    return std::string(v.substr(0, v.find('\0')));
  }

  struct Facts {
    std::string applet, signature, vermagic;
  };
  std::mutex mu_;
  std::map<std::string, Facts> facts_;
};

// One scanner per audit, shared by the checks that read bytes (registered on CB-PRIV-002).
thread_local PrivilegeScanner* current_scanner = nullptr;

PrivilegeScanner::Facts FactsOf(const FileRecord& f) {
  if (current_scanner == nullptr) return {};
  std::lock_guard lock(current_scanner->mu_);
  auto it = current_scanner->facts_.find(f.node.provenance);
  return it == current_scanner->facts_.end() ? PrivilegeScanner::Facts{} : it->second;
}

// Why a privileged file can run anything, or empty.
std::string RunsAnything(const FileRecord& f) {
  std::string_view base = BaseName(f.node.path);
  PrivilegeScanner::Facts facts = FactsOf(f);
  if (ShellNames().count(base)) return fmt::format("the shell '{}'", base);
  if (!facts.applet.empty()) {
    return fmt::format("a multi-call binary with the '{}' shell applet", facts.applet);
  }
  if (facts.signature == "bash" || facts.signature == "python" || facts.signature == "perl" ||
      facts.signature == "lua") {
    return fmt::format("a copy of {} (its code says so)", facts.signature);
  }
  if (InterpreterName(base)) return fmt::format("the interpreter '{}'", base);
  return {};
}

void UnusualPrivileged(AuditContext& ctx, std::vector<Finding>& out) {
  for (const FileRecord& f : ctx.inv.files) {
    if (!Privileged(f) || !RunsAnything(f).empty()) continue;  // CB-PRIV-002 has those
    if (KnownSetuid().count(BaseName(f.node.path))) continue;
    out.push_back({"CB-PRIV-001", Severity::kMedium,
                   fmt::format("{} is {}, and not a program known to need it", f.node.path,
                               ModeBits(f)),
                   {NodeEvidence(f, ModeExcerpt(f))}});
  }
}

void PrivilegedShell(AuditContext& ctx, std::vector<Finding>& out) {
  for (const FileRecord& f : ctx.inv.files) {
    if (!Privileged(f)) continue;
    std::string why = RunsAnything(f);
    if (why.empty()) continue;
    out.push_back({"CB-PRIV-002", Severity::kCritical,
                   fmt::format("{} is {} and is {}: any local user runs commands as its owner",
                               f.node.path, ModeBits(f), why),
                   {NodeEvidence(f, ModeExcerpt(f))}});
  }
}

bool SystemPath(std::string_view path) {
  for (std::string_view dir : {"/bin", "/sbin", "/usr", "/lib", "/lib32", "/lib64", "/libx32",
                               "/etc", "/www", "/boot", "/opt", "/var/www"}) {
    if (path == dir || (path.starts_with(dir) && path.size() > dir.size() &&
                        path[dir.size()] == '/')) {
      return true;
    }
  }
  return false;
}

void WorldWritable(AuditContext& ctx, std::vector<Finding>& out) {
  for (const FileRecord& f : ctx.inv.files) {
    bool file = f.node.type == unpack::NodeType::kFile;
    bool dir = f.node.type == unpack::NodeType::kDirectory;
    if ((!file && !dir) || (f.node.mode & 0002) == 0 || !SystemPath(f.node.path)) continue;
    if (dir && (f.node.mode & kSticky)) continue;  // /tmp-style: only owners remove their files
    out.push_back(
        {"CB-PRIV-003", Severity::kHigh,
         fmt::format("{} {} is world-writable: any local user can {}", dir ? "directory" : "file",
                     f.node.path,
                     dir ? "add or replace files in it" : "change what it holds or runs"),
         {NodeEvidence(f, ModeExcerpt(f))}});
  }
}

// "/lib/modules/5.10.0/kernel/x.ko" -> "5.10.0"; empty outside the tree.
std::string ModuleTreeVersion(std::string_view path) {
  for (std::string_view root : {"/lib/modules/", "/usr/lib/modules/"}) {
    if (!path.starts_with(root)) continue;
    std::string_view rest = path.substr(root.size());
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) return {};
    return std::string(rest.substr(0, slash));
  }
  return {};
}

void ModuleOutsideTree(AuditContext& ctx, std::vector<Finding>& out) {
  for (const FileRecord& f : ctx.inv.files) {
    if (!PrivilegeScanner::IsKernelModule(f)) continue;
    std::string version = ModuleTreeVersion(f.node.path);
    std::string vermagic = FactsOf(f).vermagic;
    std::string magic_text = vermagic.empty() ? "no vermagic read" : "vermagic " + vermagic;
    if (version.empty()) {
      out.push_back({"CB-PRIV-004", Severity::kMedium,
                     fmt::format("kernel module {} is outside /lib/modules/<version>/ ({})",
                                 f.node.path, magic_text),
                     {NodeEvidence(f, ModeExcerpt(f))}});
    } else if (!vermagic.empty() && !vermagic.starts_with(version + " ") && vermagic != version) {
      out.push_back({"CB-PRIV-004", Severity::kMedium,
                     fmt::format("kernel module {} is in the tree of kernel {} but was built "
                                 "for another ({})",
                                 f.node.path, version, magic_text),
                     {NodeEvidence(f, ModeExcerpt(f))}});
    }
  }
}

// The scanner reaches the checks through its Finish, which runs first (check.cc).
class ScannerHandle : public PrivilegeScanner {
 public:
  void Finish(AuditContext&, std::vector<Finding>&) override { current_scanner = this; }
  ~ScannerHandle() override {
    if (current_scanner == this) current_scanner = nullptr;
  }
};

}  // namespace

void AddPrivilegeChecks(std::vector<Check>& checks) {
  auto scanner = [](const AuditOptions&) -> std::unique_ptr<ContentScanner> {
    return std::make_unique<ScannerHandle>();
  };
  checks.push_back(
      {"CB-PRIV-001", "setuid or setgid program beyond the known-normal list",
       "A setuid/setgid program runs with its owner's rights for any user; each one beyond "
       "the few that need it (passwd, su, ping, mount ...) widens what a local bug can reach.",
       "Drop the setuid/setgid bit, or give the program a capability or a privileged helper "
       "with one narrow job; declare the remaining ones.",
       "4.3.2.4", Severity::kMedium, UnusualPrivileged, scanner});
  checks.push_back(
      {"CB-PRIV-002", "setuid or setgid shell, interpreter or multi-call binary with a shell",
       "A shell or interpreter with the setuid bit gives every local user (and every web "
       "command injection) a root shell: the classic planted back door.",
       "Remove the bit; a multi-call binary that needs setuid applets must be built without "
       "shell applets (busybox's separate suid binary).",
       "4.3.2.4", Severity::kCritical, PrivilegedShell, scanner});
  checks.push_back(
      {"CB-PRIV-003", "world-writable file or directory in a system path",
       "Anyone who can run code on the box can replace programs, libraries, web pages or "
       "start scripts that root runs later.",
       "Make system files writable by root only (0755 / 0644); world-writable directories "
       "need the sticky bit and belong under /tmp or /var.",
       "4.3.2.4", Severity::kHigh, WorldWritable, {}});
  checks.push_back(
      {"CB-PRIV-004", "kernel module outside the kernel's module tree",
       "A module loaded from elsewhere than /lib/modules/<version>/ escapes the kernel's "
       "packaging and is how rootkits ship; one built for another kernel is not what the "
       "vendor says it is.",
       "Ship modules in /lib/modules/<version>/ built for the shipped kernel, and declare them.",
       "4.3.2.4", Severity::kMedium, ModuleOutsideTree, scanner});
}

}  // namespace clearbox::audit::internal
