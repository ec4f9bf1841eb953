// The subset of an RFC 8520 MUD profile the pledge needs: the destinations of the accepted
// ACEs of the from-device policy. Fields this reader uses are checked strictly (type,
// value); every other field of the profile is left alone (a full MUD parser, with its YANG
// types and the to-device policy, belongs to the `watch` module).
#include <fmt/format.h>

#include "clearbox/audit/allow.h"
#include "pledge_reader.h"

namespace clearbox::audit::internal {
namespace {

constexpr std::string_view kMud = "ietf-mud:mud";
constexpr std::string_view kAcls = "ietf-access-control-list:acls";

// An object field that must be an object when present; nullptr when absent or wrong.
const Json* ObjectField(PledgeReader& r, const Json& obj, const std::string& path,
                        std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end()) return nullptr;
  if (!it->is_object()) {
    r.Fail(JsonPointer(path, key), fmt::format("expected an object, got {}", JsonTypeName(*it)));
    return nullptr;
  }
  return &*it;
}

const Json* ArrayField(PledgeReader& r, const Json& obj, const std::string& path,
                       std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end()) return nullptr;
  if (!r.Array(*it, JsonPointer(path, key), 0, kMaxPledgeItems)) return nullptr;
  return &*it;
}

// A destination as the allow list reads it: host name, "*.domain", address or CIDR.
bool IsDestination(const std::string& s) {
  return AllowList::Parse("endpoint " + s, "mud").ok() && s.find('#') == std::string::npos;
}

// The destination port of a tcp/udp match: {"operator": "eq", "port": N} or
// {"lower-port": A, "upper-port": B}. False when the match cannot be read.
bool ReadPorts(PledgeReader& r, const Json& l4, const std::string& path, Pledge::Endpoint& e) {
  const Json* dp = ObjectField(r, l4, path, "destination-port");
  if (dp == nullptr) return true;
  std::string dpath = JsonPointer(path, "destination-port");
  if (dp->contains("port")) {
    if (auto op = dp->find("operator"); op != dp->end() && *op != "eq") {
      r.Fail(JsonPointer(dpath, "operator"),
             "only the operator 'eq' is read (or a lower-port/upper-port range)");
      return false;
    }
    auto port = r.Integer(*dp, dpath, "port", 1, 65535, "a port");
    if (!port) return false;
    e.port_min = e.port_max = static_cast<uint16_t>(*port);
    return true;
  }
  auto lo = r.Integer(*dp, dpath, "lower-port", 1, 65535, "a port");
  auto hi = r.Integer(*dp, dpath, "upper-port", 1, 65535, "a port");
  if (!lo || !hi) {
    if (!dp->contains("lower-port") || !dp->contains("upper-port")) {
      r.Fail(dpath, "expected 'port' or 'lower-port' and 'upper-port'");
    }
    return false;
  }
  if (*lo > *hi) {
    r.Fail(dpath, fmt::format("lower-port {} is above upper-port {}", *lo, *hi));
    return false;
  }
  e.port_min = static_cast<uint16_t>(*lo);
  e.port_max = static_cast<uint16_t>(*hi);
  return true;
}

// One ACE: its destinations (a name, a network, or both: each an endpoint).
void ReadAce(PledgeReader& r, const Json& ace, const std::string& path, const std::string& acl,
             Pledge& out) {
  if (!ace.is_object()) {
    r.Fail(path, fmt::format("expected an object, got {}", JsonTypeName(ace)));
    return;
  }
  std::string name = r.String(ace, path, "name", 256).value_or("");
  const Json* actions = ObjectField(r, ace, path, "actions");
  if (actions != nullptr) {
    auto fwd = r.String(*actions, JsonPointer(path, "actions"), "forwarding", 64);
    if (fwd && *fwd != "accept" && *fwd != "ietf-access-control-list:accept") return;
  }
  const Json* matches = ObjectField(r, ace, path, "matches");
  if (matches == nullptr) return;
  std::string mpath = JsonPointer(path, "matches");
  Pledge::Endpoint base;
  base.acl = acl + "/" + name;
  for (std::string_view l4 : {"tcp", "udp"}) {
    if (const Json* m = ObjectField(r, *matches, mpath, l4)) {
      base.protocol = l4;
      if (!ReadPorts(r, *m, JsonPointer(mpath, l4), base)) return;
    }
  }
  for (std::string_view l3 : {"ipv4", "ipv6"}) {
    const Json* m = ObjectField(r, *matches, mpath, l3);
    if (m == nullptr) continue;
    std::string lpath = JsonPointer(mpath, l3);
    for (std::string_view key :
         {"ietf-acldns:dst-dnsname", l3 == "ipv4" ? "destination-ipv4-network"
                                                  : "destination-ipv6-network"}) {
      std::optional<std::string> dst = r.String(*m, lpath, key, 256);
      if (!dst) continue;
      if (!IsDestination(*dst)) {
        r.Fail(JsonPointer(lpath, key),
               fmt::format("{} is not a host name, address or CIDR block", Shown(*dst)));
        continue;
      }
      if (out.endpoints.size() >= kMaxPledgeItems) {
        r.Fail(path, fmt::format("more than {} endpoints", kMaxPledgeItems));
        return;
      }
      Pledge::Endpoint e = base;
      e.host = *dst;
      out.endpoints.push_back(std::move(e));
    }
  }
}

}  // namespace

void ReadMudProfile(PledgeReader& r, const Json& mud, std::string_view path_view, Pledge& out) {
  const std::string path(path_view);
  if (!mud.is_object()) {
    r.Fail(path, fmt::format("expected an object (a MUD profile), got {}", JsonTypeName(mud)));
    return;
  }
  for (std::string_view key : {kMud, kAcls}) {
    if (!mud.contains(key)) r.Fail(path, fmt::format("missing required field '{}'", key));
  }
  const Json* container = ObjectField(r, mud, path, kMud);
  const Json* acls = ObjectField(r, mud, path, kAcls);
  if (container == nullptr) return;
  std::string cpath = JsonPointer(path, kMud);
  (void)r.Integer(*container, cpath, "mud-version", 1, 1, "a MUD version");
  if (auto url = r.String(*container, cpath, "mud-url", 2048)) out.mud_url = *url;

  // The names of the from-device ACLs.
  std::vector<std::pair<std::string, std::string>> names;  // name, where
  if (const Json* policy = ObjectField(r, *container, cpath, "from-device-policy")) {
    std::string ppath = JsonPointer(cpath, "from-device-policy");
    if (const Json* lists = ObjectField(r, *policy, ppath, "access-lists")) {
      std::string lpath = JsonPointer(ppath, "access-lists");
      if (const Json* list = ArrayField(r, *lists, lpath, "access-list")) {
        std::string apath = JsonPointer(lpath, "access-list");
        for (size_t i = 0; i < list->size(); ++i) {
          std::string ipath = JsonPointer(apath, i);
          if (!(*list)[i].is_object()) {
            r.Fail(ipath, fmt::format("expected an object, got {}", JsonTypeName((*list)[i])));
            continue;
          }
          if (auto n = r.String((*list)[i], ipath, "name", 256)) {
            names.emplace_back(*n, JsonPointer(ipath, "name"));
          } else if (!(*list)[i].contains("name")) {
            r.Fail(ipath, "missing required field 'name'");
          }
        }
      }
    }
  }
  if (names.empty()) return;
  std::string apath = JsonPointer(path, kAcls);
  const Json* acl_list = acls != nullptr ? ArrayField(r, *acls, apath, "acl") : nullptr;
  apath = JsonPointer(apath, "acl");
  for (const auto& [name, where] : names) {
    bool found = false;
    for (size_t i = 0; acl_list != nullptr && i < acl_list->size(); ++i) {
      const Json& acl = (*acl_list)[i];
      auto n = acl.is_object() ? acl.find("name") : acl.end();
      if (!acl.is_object() || n == acl.end() || *n != name) continue;
      found = true;
      std::string ipath = JsonPointer(apath, i);
      const Json* aces = ObjectField(r, acl, ipath, "aces");
      if (aces == nullptr) break;
      std::string epath = JsonPointer(ipath, "aces");
      const Json* ace_list = ArrayField(r, *aces, epath, "ace");
      if (ace_list == nullptr) break;
      epath = JsonPointer(epath, "ace");
      for (size_t k = 0; k < ace_list->size(); ++k) {
        ReadAce(r, (*ace_list)[k], JsonPointer(epath, k), name, out);
      }
      break;
    }
    if (!found) r.Fail(where, fmt::format("no ACL named {} in {}", Shown(name), kAcls));
  }
}

}  // namespace clearbox::audit::internal
