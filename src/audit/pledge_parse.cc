// ParsePledge: the pledge document (docs/pledge.md, docs/pledge.schema.json), read strictly.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "clearbox/audit/pledge.h"
#include "clearbox/core/strict_json.h"
#include "pledge_reader.h"

namespace clearbox::audit {
namespace {

using internal::Json;
using internal::JsonPointer;
using internal::PledgeReader;
using internal::Shown;

bool IsProgramName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && s != "." && s != ".." &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                  c == '-' || c == '+';
         });
}

bool IsAccountName(std::string_view s) {
  return !s.empty() && s.size() <= 32 && s.front() != '-' &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
         });
}

bool IsFingerprint(std::string_view s) {
  constexpr std::string_view kPrefix = "SHA256:";
  if (!s.starts_with(kPrefix) || s.size() != kPrefix.size() + 43) return false;
  return std::all_of(s.begin() + kPrefix.size(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  });
}

// Reports the second and later occurrence of a name in a list, pointing at the first.
class UniqueNames {
 public:
  UniqueNames(PledgeReader& r, std::string_view what) : r_(r), what_(what) {}
  void Add(const std::string& name, const std::string& path) {
    auto [it, inserted] = first_.emplace(name, path);
    if (!inserted) {
      r_.Fail(path, fmt::format("{} {} is declared twice (first at {})", what_, Shown(name),
                                it->second));
    }
  }

 private:
  PledgeReader& r_;
  std::string what_;
  std::map<std::string, std::string> first_;
};

void ReadProduct(PledgeReader& r, const Json& v, Pledge& out) {
  const std::string path = "/product";
  if (!r.Object(v, path, {"vendor", "name", "versions"}, {})) return;
  out.vendor = r.String(v, path, "vendor", 256).value_or("");
  out.product = r.String(v, path, "name", 256).value_or("");
  auto it = v.find("versions");
  if (it == v.end()) return;
  std::string vpath = JsonPointer(path, "versions");
  if (!r.Array(*it, vpath, 1, kMaxPledgeItems)) return;
  UniqueNames seen(r, "version");
  for (size_t i = 0; i < it->size(); ++i) {
    std::string ipath = JsonPointer(vpath, i);
    if (auto s = r.StringValue((*it)[i], ipath, 128)) {
      seen.Add(*s, ipath);
      out.versions.push_back(*s);
    }
  }
}

// An array of unique strings, each accepted by `valid` (else `invalid` says why).
std::vector<std::string> ReadNames(PledgeReader& r, const Json& obj, const std::string& path,
                                   std::string_view key, size_t min_items, std::string_view what,
                                   bool (*valid)(std::string_view), std::string_view invalid) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end()) return out;
  std::string apath = JsonPointer(path, key);
  if (!r.Array(*it, apath, min_items, kMaxPledgeItems)) return out;
  UniqueNames seen(r, what);
  for (size_t i = 0; i < it->size(); ++i) {
    std::string ipath = JsonPointer(apath, i);
    std::optional<std::string> s = r.StringValue((*it)[i], ipath, 256);
    if (!s) continue;
    if (!valid(*s)) {
      r.Fail(ipath, fmt::format("{} {}", Shown(*s), invalid));
      continue;
    }
    seen.Add(*s, ipath);
    out.push_back(*s);
  }
  return out;
}

bool IsProtocol(std::string_view s) { return s == "tcp" || s == "udp" || s == "sctp"; }

void ReadServices(PledgeReader& r, const Json& v, Pledge& out,
                  std::vector<std::pair<std::string, std::string>>& logins) {
  const std::string path = "/services";
  if (!r.Array(v, path, 0, kMaxPledgeItems)) return;
  UniqueNames names(r, "service");
  for (size_t i = 0; i < v.size(); ++i) {
    const Json& item = v[i];
    std::string ipath = JsonPointer(path, i);
    if (!r.Object(item, ipath, {"name", "start", "logins"}, {"protocols", "ports", "purpose"})) {
      continue;
    }
    Pledge::Service s;
    if (auto name = r.String(item, ipath, "name", 64)) {
      if (IsProgramName(*name)) {
        s.name = *name;
        names.Add(*name, JsonPointer(ipath, "name"));
      } else {
        r.Fail(JsonPointer(ipath, "name"),
               fmt::format("{} is not a program name (its base name, e.g. 'dropbear')",
                           Shown(*name)));
      }
    }
    s.start = r.String(item, ipath, "start").value_or("");
    s.purpose = r.String(item, ipath, "purpose").value_or("");
    s.protocols = ReadNames(r, item, ipath, "protocols", 1, "protocol", IsProtocol,
                            "is not a protocol (tcp, udp or sctp)");
    if (auto it = item.find("ports"); it != item.end()) {
      std::string ppath = JsonPointer(ipath, "ports");
      if (r.Array(*it, ppath, 1, 65535)) {
        std::set<uint64_t> seen;
        for (size_t p = 0; p < it->size(); ++p) {
          std::string pp = JsonPointer(ppath, p);
          std::optional<uint64_t> port = r.Integer((*it)[p], pp, 1, 65535, "a port");
          if (!port) continue;
          if (!seen.insert(*port).second) {
            r.Fail(pp, fmt::format("port {} is listed twice", *port));
            continue;
          }
          s.ports.push_back(static_cast<uint16_t>(*port));
        }
      }
    }
    if (item.contains("ports") != item.contains("protocols")) {
      r.Fail(ipath, item.contains("ports") ? "ports need 'protocols' (tcp, udp, sctp)"
                                           : "protocols need 'ports'");
    }
    std::vector<std::string> who = ReadNames(r, item, ipath, "logins", 0, "login", IsAccountName,
                                             "is not an account name");
    for (size_t k = 0; k < who.size(); ++k) {
      logins.emplace_back(who[k], JsonPointer(JsonPointer(ipath, "logins"), k));
    }
    s.logins = std::move(who);
    out.services.push_back(std::move(s));
  }
}

void ReadAccounts(PledgeReader& r, const Json& v, Pledge& out) {
  const std::string path = "/accounts";
  if (!r.Array(v, path, 0, kMaxPledgeItems)) return;
  UniqueNames names(r, "account");
  for (size_t i = 0; i < v.size(); ++i) {
    const Json& item = v[i];
    std::string ipath = JsonPointer(path, i);
    if (!r.Object(item, ipath, {"name", "uid", "password_set", "provisioning"}, {})) continue;
    Pledge::Account a;
    if (auto name = r.String(item, ipath, "name", 64)) {
      if (IsAccountName(*name)) {
        a.name = *name;
        names.Add(*name, JsonPointer(ipath, "name"));
      } else {
        r.Fail(JsonPointer(ipath, "name"), fmt::format("{} is not an account name", Shown(*name)));
      }
    }
    a.uid = static_cast<uint32_t>(
        r.Integer(item, ipath, "uid", 0, 4294967294u, "a uid").value_or(0));
    a.password_set = r.Bool(item, ipath, "password_set").value_or(false);
    a.provisioning = r.String(item, ipath, "provisioning").value_or("");
    out.accounts.push_back(std::move(a));
  }
}

void ReadKeys(PledgeReader& r, const Json& v, Pledge& out) {
  const std::string path = "/keys";
  if (!r.Array(v, path, 0, kMaxPledgeItems)) return;
  UniqueNames prints(r, "key");
  for (size_t i = 0; i < v.size(); ++i) {
    const Json& item = v[i];
    std::string ipath = JsonPointer(path, i);
    if (!r.Object(item, ipath, {"fingerprint", "purpose"}, {})) continue;
    Pledge::Key k;
    if (auto fp = r.String(item, ipath, "fingerprint", 128)) {
      if (IsFingerprint(*fp)) {
        k.fingerprint = *fp;
        prints.Add(*fp, JsonPointer(ipath, "fingerprint"));
      } else {
        r.Fail(JsonPointer(ipath, "fingerprint"),
               fmt::format("{} is not a SHA-256 fingerprint ('SHA256:' and 43 base64 characters, "
                           "as ssh-keygen -l prints it)",
                           Shown(*fp)));
      }
    }
    k.purpose = r.String(item, ipath, "purpose").value_or("");
    out.keys.push_back(std::move(k));
  }
}

void ReadOutbound(PledgeReader& r, const Json& v, Pledge& out) {
  const std::string path = "/outbound";
  if (!r.Object(v, path, {}, {"mud", "mud_url"})) return;
  bool embedded = v.contains("mud"), referenced = v.contains("mud_url");
  if (embedded == referenced) {
    r.Fail(path, "needs exactly one of 'mud' (the profile, embedded) and 'mud_url' (its URL)");
  }
  if (referenced) {
    if (auto url = r.String(v, path, "mud_url", 2048)) {
      if (url->starts_with("https://") && url->size() > 8) {
        out.mud_url = *url;
      } else {
        r.Fail(JsonPointer(path, "mud_url"),
               fmt::format("{} is not an https:// URL (RFC 8520 section 4)", Shown(*url)));
      }
    }
  }
  if (embedded) {
    out.mud_embedded = true;
    internal::ReadMudProfile(r, v["mud"], JsonPointer(path, "mud"), out);
  }
}

void ReadMaintenance(PledgeReader& r, const Json& v, Pledge& out) {
  const std::string path = "/maintenance";
  if (!r.Object(v, path, {"procedure"}, {"approvals", "description"})) return;
  Pledge::Maintenance& m = out.maintenance;
  m.description = r.String(v, path, "description").value_or("");
  if (auto p = r.String(v, path, "procedure", 64)) {
    if (*p == "none" || *p == "on-site" || *p == "operator-approved") {
      m.procedure = *p;
    } else {
      r.Fail(JsonPointer(path, "procedure"),
             fmt::format("{} is not a procedure (none, on-site or operator-approved)", Shown(*p)));
    }
  }
  auto approvals = v.find("approvals");
  if (m.procedure == "operator-approved" && approvals == v.end()) {
    r.Fail(path, "operator-approved needs 'approvals' ({\"required\": k, \"of\": n})");
  }
  if (approvals == v.end()) return;
  std::string apath = JsonPointer(path, "approvals");
  if (!m.procedure.empty() && m.procedure != "operator-approved") {
    r.Fail(apath, "only an operator-approved procedure has approvals");
  }
  if (!r.Object(*approvals, apath, {"required", "of"}, {})) return;
  m.approvals_required = static_cast<uint32_t>(
      r.Integer(*approvals, apath, "required", 1, 1000, "a number of approvals").value_or(0));
  m.approvers = static_cast<uint32_t>(
      r.Integer(*approvals, apath, "of", 1, 1000, "a number of approvers").value_or(0));
  if (m.approvals_required > 0 && m.approvers > 0 && m.approvals_required > m.approvers) {
    r.Fail(JsonPointer(apath, "required"),
           fmt::format("{} approvals required of only {} approvers", m.approvals_required,
                       m.approvers));
  }
}

}  // namespace

Result<Pledge> ParsePledge(std::string_view text, std::string_view name) {
  if (text.size() > kMaxPledgeBytes) {
    return Error::InvalidInput(fmt::format("{}: {} bytes: a pledge is at most {} bytes", name,
                                           text.size(), kMaxPledgeBytes));
  }
  // Nesting and repeated keys checked (a parser keeps the last copy of a key silently: in a
  // pledge that hides a declaration).
  CLEARBOX_ASSIGN_OR_RETURN(Json doc, ParseStrictJson(text, name, kMaxPledgeDepth));

  PledgeReader r(name);
  Pledge out;
  if (!r.Object(doc, "",
                {"pledge_version", "product", "services", "accounts", "keys", "outbound",
                 "maintenance", "no_other_ways_in"},
                {"$schema"})) {
    return Error::InvalidInput(r.Message());
  }
  (void)r.Integer(doc, "", "pledge_version", 1, 1, "a pledge format version");
  (void)r.String(doc, "", "$schema", 2048);
  if (auto it = doc.find("product"); it != doc.end()) ReadProduct(r, *it, out);
  std::vector<std::pair<std::string, std::string>> logins;  // account name, where
  if (auto it = doc.find("services"); it != doc.end()) ReadServices(r, *it, out, logins);
  if (auto it = doc.find("accounts"); it != doc.end()) ReadAccounts(r, *it, out);
  if (auto it = doc.find("keys"); it != doc.end()) ReadKeys(r, *it, out);
  if (auto it = doc.find("outbound"); it != doc.end()) ReadOutbound(r, *it, out);
  if (auto it = doc.find("maintenance"); it != doc.end()) ReadMaintenance(r, *it, out);
  if (auto statement = r.Bool(doc, "", "no_other_ways_in")) {
    if (*statement) {
      out.no_other_ways_in = true;
    } else {
      r.Fail("/no_other_ways_in",
             "must be true: a pledge states that there is no way in besides those declared");
    }
  }
  // Who may log in through a service must be a declared account.
  std::set<std::string> accounts;
  for (const Pledge::Account& a : out.accounts) accounts.insert(a.name);
  for (const auto& [login, where] : logins) {
    if (accounts.count(login) == 0) {
      r.Fail(where, fmt::format("{} is not a declared account (/accounts)", Shown(login)));
    }
  }
  if (r.failed()) return Error::InvalidInput(r.Message());
  return out;
}

}  // namespace clearbox::audit
