// The magic-password check (CB-MAGIC-001): network-facing or login programs whose code
// compares input with a constant and, on equality, starts a shell (magic_disasm.h has the
// heuristic). Binaries are read through a ContentScanner as the image is unpacked.
#include <fmt/format.h>

#include <mutex>
#include <set>

#include "families.h"
#include "magic_disasm.h"

namespace clearbox::audit::internal {
namespace {

const std::set<std::string_view> kNetworkImports = {"accept", "accept4", "recv", "recvfrom",
                                                    "recvmsg", "listen", "bind"};
const std::set<std::string_view> kCompareImports = {"strcmp", "strncmp", "memcmp", "bcmp",
                                                    "strcasecmp", "strncasecmp"};
const std::set<std::string_view> kShellImports = {"system", "popen", "execl", "execlp", "execle",
                                                  "execv", "execvp", "execve", "execvpe"};

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Interpreters run a shell by design (perl's do_exec compares a command with "exec"): their
// keyword tests are not passwords.
bool Interpreter(std::string_view name) {
  for (std::string_view p : {"perl", "python", "ruby", "lua", "php", "tclsh", "node", "gawk",
                             "mawk", "awk"}) {
    if (name.starts_with(p)) return true;
  }
  return false;
}

// A constant that can be a magic password: four bytes or more, not a crypt(3) scheme id that
// a login program compares the stored hash's prefix with ("$1$", "$6$", "$2b$", "$y$" in
// sulogin), not a shell keyword.
bool PlausibleMagic(std::string_view constant) {
  if (constant.size() < 4) return false;
  if (constant.size() <= 8 && constant.front() == '$' && constant.back() == '$') return false;
  for (std::string_view keyword : {"exec", "eval", "exit", "export", "source", "return",
                                   "unset", "trap", "alias", "break", "continue", "shift"}) {
    if (constant == keyword) return false;
  }
  return true;
}

// Which binaries are disassembled: those that import a comparison and a way to start a
// program, and either take network input or are login programs by name. Deciding from the
// ELF facts the inventory already read keeps the cost to the few binaries that matter.
bool WorthDisassembling(const inventory::FileRecord& file) {
  if (!file.elf) return false;
  bool compare = false, shell = false, network = false;
  for (const std::string& f : file.elf->imported_functions) {
    compare |= kCompareImports.count(f) > 0;
    shell |= kShellImports.count(f) > 0;
    network |= kNetworkImports.count(f) > 0;
  }
  std::string_view name = BaseName(file.node.path);
  bool login = name.find("login") != std::string_view::npos ||
               name.find("telnetd") != std::string_view::npos ||
               name.find("sshd") != std::string_view::npos;
  return compare && shell && (network || login) && !Interpreter(name);
}

std::string Shorten(std::string_view s) {
  std::string out(s.substr(0, 80));
  if (s.size() > 80) out += "…";
  return out;
}

class MagicScanner : public ContentScanner {
 public:
  void OnContent(const inventory::FileRecord& file, uint64_t offset, ByteView bytes) override {
    if (offset != 0 || bytes.size() != file.node.size) return;  // windows of a huge file
    if (!WorthDisassembling(file)) return;
    MagicScan scan = ScanForMagicPasswords(bytes);
    std::lock_guard lock(mu_);
    for (const std::string& n : scan.notes) notes_.push_back({file.node.provenance, n});
    for (MagicHit& h : scan.hits) {
      if (!PlausibleMagic(h.constant)) continue;
      hits_.push_back({file.node.provenance, file.node.path, scan.machine, std::move(h)});
    }
  }

  void Finish(AuditContext& ctx, std::vector<Finding>& out) override {
    std::lock_guard lock(mu_);
    for (auto& [where, what] : notes_) ctx.Note(where, "magic-password check: " + what);
    for (const Seen& s : hits_) {
      const MagicHit& h = s.hit;
      std::string function = h.function_name.empty()
                                 ? fmt::format("code at {:#x}", h.compare_address)
                                 : fmt::format("{} ({:#x})", h.function_name, h.function);
      std::string excerpt = fmt::format(
          "{}: {} at {:#x} compares input with \"{}\"; equal -> {}(\"{}\") at {:#x}", s.machine,
          h.compare, h.compare_address, Shorten(h.constant), h.guarded, Shorten(h.guarded_argument),
          h.guarded_address);
      out.push_back({"CB-MAGIC-001", Severity::kCritical,
                     fmt::format("{} in {} grants a shell when its input equals the constant "
                                 "\"{}\" ({}(\"{}\"))",
                                 function, s.path, Shorten(h.constant), h.guarded,
                                 Shorten(h.guarded_argument)),
                     {{s.provenance, s.path, h.compare_offset, excerpt}}});
    }
  }

 private:
  struct Seen {
    std::string provenance, path, machine;
    MagicHit hit;
  };
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> notes_;
  std::vector<Seen> hits_;
};

}  // namespace

void AddMagicChecks(std::vector<Check>& checks) {
  checks.push_back(
      {"CB-MAGIC-001", "magic password that grants a shell",
       "A network-facing or login program that compares its input with a constant built into "
       "the binary and, on a match, starts a shell is a back door: whoever reads the firmware "
       "learns the password, it is the same on every device and cannot be changed.",
       "Remove the code path; give maintenance access through a declared, authenticated "
       "service with per-device credentials.",
       "4.2.3.4.1.1", Severity::kCritical, {},
       [](const AuditOptions&) -> std::unique_ptr<ContentScanner> {
         return std::make_unique<MagicScanner>();
       }});
}

}  // namespace clearbox::audit::internal
