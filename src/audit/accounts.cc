// The account checks (CB-ACCT-*): /etc/passwd, /etc/shadow and /etc/group of every
// filesystem in the image, read from the inventory's kept text.
#include "clearbox/audit/accounts.h"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <set>

#include "families.h"

namespace clearbox::audit::internal {
namespace {

using inventory::FileRecord;
using inventory::Inventory;

// Cracking bounds: a hash may cost this much (bcrypt cost 31 would take years), the whole
// check this much (a shadow file with a thousand hashes).
constexpr double kCrackSecondsPerHash = 10.0;
constexpr double kCrackSecondsTotal = 120.0;

// One filesystem's account files (any may be missing).
struct AccountSet {
  const FileRecord* passwd = nullptr;
  const FileRecord* shadow = nullptr;
  const FileRecord* group = nullptr;
  AccountFile<PasswdEntry> users;
  AccountFile<ShadowEntry> shadows;
  AccountFile<GroupEntry> groups;
  std::map<std::string, const ShadowEntry*> shadow_by_name;  // the first entry of a name

  // A shadow file whose content the inventory kept (a binary or unreadable one is not used
  // to judge "no shadow entry").
  bool HasShadow() const {
    return shadow != nullptr && (!shadow->text.empty() || shadow->node.size == 0);
  }
  const ShadowEntry* ShadowOf(const std::string& name) const {
    auto it = shadow_by_name.find(name);
    return it == shadow_by_name.end() ? nullptr : it->second;
  }
};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Groups the account files by filesystem: the provenance up to "etc/passwd" is the key, so
// "fw!squashfs:/etc/passwd" and "fw!squashfs:/etc/shadow" meet, and a second rootfs in the
// same image (a recovery copy) is judged on its own.
std::vector<AccountSet> FindAccountSets(const Inventory& inv) {
  std::map<std::string, AccountSet> sets;
  for (const FileRecord& f : inv.files) {
    if (f.node.type != unpack::NodeType::kFile) continue;
    const std::string& p = f.node.provenance;
    for (std::string_view name : {"/etc/passwd", "/etc/shadow", "/etc/group"}) {
      if (!EndsWith(f.node.path, name) || !EndsWith(p, name)) continue;
      AccountSet& set = sets[p.substr(0, p.size() - name.size())];
      const FileRecord*& slot = name == "/etc/passwd"   ? set.passwd
                                : name == "/etc/shadow" ? set.shadow
                                                        : set.group;
      if (slot == nullptr) slot = &f;
    }
  }
  std::vector<AccountSet> out;
  for (auto& [key, set] : sets) {
    if (set.passwd) set.users = ParsePasswd(set.passwd->text);
    if (set.shadow) set.shadows = ParseShadow(set.shadow->text);
    if (set.group) set.groups = ParseGroup(set.group->text);
    out.push_back(std::move(set));
  }
  // Pointers into the moved vectors are taken after the move.
  for (AccountSet& set : out) {
    for (const ShadowEntry& s : set.shadows.entries) set.shadow_by_name.emplace(s.name, &s);
  }
  return out;
}

Evidence PasswdEvidence(const AccountSet& set, const PasswdEntry& e) {
  return {set.passwd->node.provenance, set.passwd->node.path, e.offset, RedactLine(e.line, 1)};
}
Evidence ShadowEvidence(const AccountSet& set, const ShadowEntry& e) {
  return {set.shadow->node.provenance, set.shadow->node.path, e.offset, RedactLine(e.line, 1)};
}
Evidence GroupEvidence(const AccountSet& set, const GroupEntry& e) {
  return {set.group->node.provenance, set.group->node.path, e.offset, RedactLine(e.line, 1)};
}

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The superuser that is expected: the account named root, else the first UID-0 account.
const PasswdEntry* ExpectedRoot(const AccountSet& set) {
  const PasswdEntry* first = nullptr;
  for (const PasswdEntry& e : set.users.entries) {
    if (e.uid != 0) continue;
    if (e.name == "root") return &e;
    if (first == nullptr) first = &e;
  }
  return first;
}

// The hash that decides a login: the passwd field unless it defers to shadow ("x"), then the
// shadow entry's. Empty when there is none or the account is locked.
std::string_view EffectiveHash(const AccountSet& set, const PasswdEntry& e, const Evidence** where,
                               Evidence* shadow_evidence) {
  if (e.password != "x") {
    if (e.password.empty() || IsLockedPassword(e.password)) return {};
    return e.password;
  }
  const ShadowEntry* s = set.ShadowOf(e.name);
  if (s == nullptr || s->password.empty() || IsLockedPassword(s->password)) return {};
  *shadow_evidence = ShadowEvidence(set, *s);
  *where = shadow_evidence;
  return s->password;
}

void SecondUidZero(const Inventory& inv, std::vector<Finding>& out) {
  for (const AccountSet& set : FindAccountSets(inv)) {
    const PasswdEntry* root = ExpectedRoot(set);
    for (const PasswdEntry& e : set.users.entries) {
      if (e.uid != 0 || &e == root) continue;
      out.push_back({"CB-ACCT-001",
                     Severity::kHigh,
                     fmt::format("account '{}' has UID 0: a second superuser besides '{}'", e.name,
                                 root->name),
                     {PasswdEvidence(set, e)}});
    }
  }
}

void GidZero(const Inventory& inv, std::vector<Finding>& out) {
  for (const AccountSet& set : FindAccountSets(inv)) {
    std::set<std::string> superusers;
    for (const PasswdEntry& e : set.users.entries) {
      if (e.uid == 0) superusers.insert(e.name);
    }
    const GroupEntry* root_group = nullptr;
    for (const GroupEntry& g : set.groups.entries) {
      if (g.gid == 0 &&
          (root_group == nullptr || (g.name == "root" && root_group->name != "root"))) {
        root_group = &g;
      }
    }
    for (const GroupEntry& g : set.groups.entries) {
      if (g.gid != 0) continue;
      if (&g != root_group) {
        out.push_back({"CB-ACCT-002",
                       Severity::kMedium,
                       fmt::format("group '{}' has GID 0: a second superuser group besides '{}'",
                                   g.name, root_group->name),
                       {GroupEvidence(set, g)}});
      }
      for (const std::string& m : g.members) {
        if (superusers.count(m)) continue;
        out.push_back({"CB-ACCT-002",
                       Severity::kMedium,
                       fmt::format("account '{}' is a member of GID-0 group '{}'", m, g.name),
                       {GroupEvidence(set, g)}});
      }
    }
    for (const PasswdEntry& e : set.users.entries) {
      if (e.gid != 0 || e.uid == 0) continue;
      out.push_back(
          {"CB-ACCT-002",
           Severity::kMedium,
           fmt::format("account '{}' (UID {}) has GID 0 as its primary group", e.name, e.uid),
           {PasswdEvidence(set, e)}});
    }
  }
}

void EmptyPassword(const Inventory& inv, std::vector<Finding>& out) {
  for (const AccountSet& set : FindAccountSets(inv)) {
    for (const PasswdEntry& e : set.users.entries) {
      // An empty passwd field means no password whatever the shadow file says: login
      // (busybox, pam_unix) only consults shadow when the field is "x".
      if (e.password.empty()) {
        out.push_back({"CB-ACCT-003",
                       Severity::kCritical,
                       fmt::format("account '{}' (UID {}) has an empty password field in "
                                   "/etc/passwd: it logs in without a password",
                                   e.name, e.uid),
                       {PasswdEvidence(set, e)}});
        continue;
      }
      if (e.password != "x") continue;
      const ShadowEntry* s = set.ShadowOf(e.name);
      if (s != nullptr && s->password.empty()) {
        out.push_back({"CB-ACCT-003",
                       Severity::kCritical,
                       fmt::format("account '{}' (UID {}) has an empty password in /etc/shadow: "
                                   "it logs in without a password",
                                   e.name, e.uid),
                       {ShadowEvidence(set, *s), PasswdEvidence(set, e)}});
      }
    }
  }
}

void DefaultPassword(const Inventory& inv, std::vector<Finding>& out) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::map<std::string, std::string, std::less<>> cracked;  // hash -> password ("" if none)
  for (const AccountSet& set : FindAccountSets(inv)) {
    for (const PasswdEntry& e : set.users.entries) {
      Evidence shadow_evidence;
      const Evidence* where = nullptr;
      std::string_view hash = EffectiveHash(set, e, &where, &shadow_evidence);
      if (hash.empty()) continue;
      auto it = cracked.find(hash);
      if (it == cracked.end()) {
        double left =
            kCrackSecondsTotal - std::chrono::duration<double>(Clock::now() - start).count();
        if (left <= 0) return;
        it = cracked
                 .emplace(std::string(hash), CrackWithList(hash, DefaultPasswords(),
                                                           std::min(left, kCrackSecondsPerHash)))
                 .first;
      }
      if (it->second.empty()) continue;
      std::vector<Evidence> evidence;
      if (where != nullptr) evidence.push_back(*where);
      evidence.push_back(PasswdEvidence(set, e));
      out.push_back({"CB-ACCT-004", Severity::kCritical,
                     fmt::format("account '{}' (UID {}) has the well-known default password "
                                 "'{}'",
                                 e.name, e.uid, it->second),
                     std::move(evidence)});
    }
  }
}

void HashInPasswd(const Inventory& inv, std::vector<Finding>& out) {
  for (const AccountSet& set : FindAccountSets(inv)) {
    for (const PasswdEntry& e : set.users.entries) {
      if (e.password.empty() || e.password == "x" || IsLockedPassword(e.password)) continue;
      out.push_back({"CB-ACCT-005",
                     Severity::kMedium,
                     fmt::format("account '{}' (UID {}) has its password hash in the "
                                 "world-readable /etc/passwd",
                                 e.name, e.uid),
                     {PasswdEvidence(set, e)}});
    }
  }
}

void SystemAccountShell(const Inventory& inv, std::vector<Finding>& out) {
  static const std::set<std::string_view> kNoLogin = {"nologin", "false", "sync", "halt",
                                                      "shutdown"};
  for (const AccountSet& set : FindAccountSets(inv)) {
    for (const PasswdEntry& e : set.users.entries) {
      if (e.uid == 0 || e.uid >= 1000) continue;
      if (kNoLogin.count(BaseName(e.shell))) continue;
      // An empty shell field means /bin/sh to login and sshd.
      std::string shell = e.shell.empty() ? "/bin/sh (empty field)" : e.shell;
      out.push_back(
          {"CB-ACCT-006",
           Severity::kLow,
           fmt::format("system account '{}' (UID {}) has the login shell {}", e.name, e.uid, shell),
           {PasswdEvidence(set, e)}});
    }
  }
}

void NoShadowEntry(const Inventory& inv, std::vector<Finding>& out) {
  for (const AccountSet& set : FindAccountSets(inv)) {
    if (!set.HasShadow()) continue;
    for (const PasswdEntry& e : set.users.entries) {
      if (e.password != "x" || set.ShadowOf(e.name) != nullptr) continue;
      out.push_back({"CB-ACCT-007",
                     Severity::kLow,
                     fmt::format("account '{}' (UID {}) defers to /etc/shadow, which has no "
                                 "entry for it",
                                 e.name, e.uid),
                     {PasswdEvidence(set, e)}});
    }
  }
}

}  // namespace

// Every account that can log in (a password set, or none at all), for the pledge: accounts
// are declared there with whether a password is set.
void LoginAccounts(AuditContext& ctx, std::vector<Finding>&) {
  for (const AccountSet& set : FindAccountSets(ctx.inv)) {
    for (const PasswdEntry& e : set.users.entries) {
      const Evidence* where = nullptr;
      Evidence shadow_evidence;
      bool empty = e.password.empty() ||
                   (e.password == "x" && set.ShadowOf(e.name) != nullptr &&
                    set.ShadowOf(e.name)->password.empty());
      std::string_view hash = EffectiveHash(set, e, &where, &shadow_evidence);
      if (!empty && hash.empty()) continue;  // locked, or no shadow entry to log in with
      Observation o;
      o.kind = ObservationKind::kAccount;
      o.name = e.name;
      o.detail = fmt::format("uid {}, {}, shell {}", e.uid,
                             empty ? "no password" : "password set", e.shell);
      o.evidence = where != nullptr ? *where : PasswdEvidence(set, e);
      o.check_id = "CB-ACCT-000";
      o.insecure = empty;
      ctx.Observe(std::move(o));
    }
  }
}

// The account checks judge the inventory alone.
auto OverInventory(void (*check)(const Inventory&, std::vector<Finding>&)) {
  return [check](AuditContext& ctx, std::vector<Finding>& out) { check(ctx.inv, out); };
}

void AddAccountChecks(std::vector<Check>& checks) {
  checks.push_back(
      {"CB-ACCT-000", "account that can log in",
       "Every account with a password (or none) is a way in that the vendor's pledge must "
       "declare; this check lists them and reports no finding by itself.",
       "Declare each login account in the pledge, with how its password is provisioned.",
       "4.2.3.4.1.1", Severity::kInfo, LoginAccounts, {}});
  checks.push_back(
      {"CB-ACCT-001", "second account with UID 0",
       "Every UID-0 account is a full superuser; one besides root is a classic back door "
       "(a vendor 'support' or 'toor' account) that audits of root alone miss.",
       "Remove the account, or give it its own UID and only the privileges it needs.",
       "4.2.3.4.6.1", Severity::kHigh, OverInventory(SecondUidZero), {}});
  checks.push_back(
      {"CB-ACCT-002", "GID-0 group membership beyond root",
       "Files owned by group 0 (root) are often group-writable; an extra GID-0 group or member "
       "gets root's group rights.",
       "Remove the extra group or membership; give the account a group of its own.", "4.2.3.4.6.1",
       Severity::kMedium, OverInventory(GidZero), {}});
  checks.push_back(
      {"CB-ACCT-003", "account with an empty password",
       "An account with an empty password field logs in with no password at all, on the "
       "console, telnet or any service that uses the system's accounts.",
       "Lock the account ('!' or '*') or have the installer set a unique password per device.",
       "4.2.3.4.2.1", Severity::kCritical, OverInventory(EmptyPassword), {}});
  checks.push_back(
      {"CB-ACCT-004", "account with a well-known default password",
       "The password is on public lists of vendor defaults (the lists IoT botnets try first); "
       "every device of the model shares it.",
       "Ship the account locked and have each device's password set at first use, or derive a "
       "unique one per device.",
       "4.2.3.4.2.3", Severity::kCritical, OverInventory(DefaultPassword), {}});
  checks.push_back(
      {"CB-ACCT-005", "password hash in /etc/passwd",
       "/etc/passwd is world-readable: any local user or file-disclosure bug gets the hash to "
       "crack offline.",
       "Move the hash to /etc/shadow (mode 0600 or 0640) and put 'x' in /etc/passwd.", "4.2.3.2.3",
       Severity::kMedium, OverInventory(HashInPasswd), {}});
  checks.push_back(
      {"CB-ACCT-006", "login shell on a system account",
       "System accounts (UID 1-999) run services; with a real shell they can be logged into "
       "(with a key, a password set later, or su) and widen the ways in.",
       "Set their shell to /sbin/nologin or /bin/false.", "4.2.3.4.2.2", Severity::kLow,
       OverInventory(SystemAccountShell), {}});
  checks.push_back(
      {"CB-ACCT-007", "account with no shadow entry",
       "The account defers its password to /etc/shadow ('x') but has no entry there: what "
       "happens at login depends on the login program, and the account was not provisioned "
       "the way the others were.",
       "Add a locked shadow entry for it, or remove the account.", "4.2.3.4.2.1", Severity::kLow,
       OverInventory(NoShadowEntry), {}});
}

}  // namespace clearbox::audit::internal
