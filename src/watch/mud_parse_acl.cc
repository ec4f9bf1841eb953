// The RFC 8519 half of the MUD parser (mud_parse.cc): ietf-access-control-list:acls, its ACLs
// and ACEs with their matches (eth, ipv4/ipv6 with the ietf-acldns names, tcp/udp/icmp, the
// ietf-mud:mud abstractions) and actions. Valid RFC 8519 matches that clearbox cannot judge
// a flow by (ttl, dscp, tcp flags, interfaces) are refused as kUnsupported.
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "mud_internal.h"
#include "mud_reader.h"

namespace clearbox::watch {
namespace {

using internal::MudReader;
using Json = nlohmann::json;
using Names = std::initializer_list<std::string_view>;

constexpr std::string_view kMud = "ietf-mud:mud";
constexpr std::string_view kAclPrefix = "ietf-access-control-list:";

// An identityref of ietf-access-control-list, with or without its module prefix.
Status Identity(MudReader& r, const Json& obj, const std::string& path, std::string_view key,
                Names allowed, std::string* out) {
  CLEARBOX_RETURN_IF_ERROR(r.String(obj, path, key, 64, out));
  std::string_view v = *out;
  if (v.substr(0, kAclPrefix.size()) == kAclPrefix) v.remove_prefix(kAclPrefix.size());
  for (std::string_view a : allowed) {
    if (v == a) {
      *out = std::string(v);
      return Status::Ok();
    }
  }
  return r.Invalid(MudReader::Pointer(path, key),
                   MudReader::Shown(*out) + " is not one of " + MudReader::List(allowed));
}

Status ReadPort(MudReader& r, const Json& v, const std::string& path,
                std::optional<MudPortMatch>* out) {
  CLEARBOX_RETURN_IF_ERROR(r.Members(v, path, {"operator", "port", "lower-port", "upper-port"}, {}));
  MudPortMatch m;
  bool range = v.contains("lower-port") || v.contains("upper-port");
  if (range && (v.contains("port") || v.contains("operator"))) {
    return r.Invalid(path, "either operator/port or lower-port/upper-port (one YANG choice)");
  }
  uint64_t n = 0;
  if (range) {
    if (!v.contains("lower-port") || !v.contains("upper-port")) {
      return r.Invalid(path, "a range needs both lower-port and upper-port");
    }
    CLEARBOX_RETURN_IF_ERROR(r.Uint(v, path, "lower-port", 0, 65535, &n));
    m.port = static_cast<uint16_t>(n);
    CLEARBOX_RETURN_IF_ERROR(r.Uint(v, path, "upper-port", 0, 65535, &n));
    m.upper = static_cast<uint16_t>(n);
    if (m.upper < m.port) {
      return r.Invalid(MudReader::Pointer(path, "upper-port"),
                       "upper-port " + std::to_string(m.upper) + " is below lower-port " +
                           std::to_string(m.port));
    }
    m.op = MudPortMatch::Op::kRange;
  } else {
    if (!v.contains("port")) return r.Invalid(path, "missing member \"port\"");
    CLEARBOX_RETURN_IF_ERROR(r.Uint(v, path, "port", 0, 65535, &n));
    m.port = static_cast<uint16_t>(n);
    if (v.contains("operator")) {
      std::string op;
      CLEARBOX_RETURN_IF_ERROR(r.String(v, path, "operator", 16, &op));
      if (op == "eq") {
        m.op = MudPortMatch::Op::kEq;
      } else if (op == "neq") {
        m.op = MudPortMatch::Op::kNeq;
      } else if (op == "lte") {
        m.op = MudPortMatch::Op::kLte;
      } else if (op == "gte") {
        m.op = MudPortMatch::Op::kGte;
      } else {
        return r.Invalid(MudReader::Pointer(path, "operator"),
                         MudReader::Shown(op) + " is not an RFC 8519 operator (eq, neq, lte, gte)");
      }
    }
  }
  *out = m;
  return Status::Ok();
}

Status ReadDnsName(MudReader& r, const Json& obj, const std::string& path, std::string_view key,
                   std::string* out) {
  CLEARBOX_RETURN_IF_ERROR(r.String(obj, path, key, 255, out));
  if (!internal::IsDnsName(*out, /*allow_wildcard=*/true)) {
    return r.Invalid(MudReader::Pointer(path, key), MudReader::Shown(*out) + " is not a host name");
  }
  *out = NormalizeDnsName(*out);
  return Status::Ok();
}

Status ReadIp(MudReader& r, const Json& v, const std::string& path, int family, MudIpMatch* out) {
  const std::string v4 = family == 4 ? "ipv4" : "ipv6";
  const std::string src_net = "source-" + v4 + "-network";
  const std::string dst_net = "destination-" + v4 + "-network";
  using Views = std::vector<std::string_view>;
  const Views unsupported = family == 4 ? Views{"dscp", "ecn", "length", "ttl", "ihl", "flags",
                                                "offset", "identification"}
                                        : Views{"dscp", "ecn", "length", "ttl", "flow-label"};
  std::vector<std::string_view> known = {"protocol", src_net, dst_net, "ietf-acldns:src-dnsname",
                                         "ietf-acldns:dst-dnsname"};
  known.insert(known.end(), unsupported.begin(), unsupported.end());
  CLEARBOX_RETURN_IF_ERROR(r.Members(v, path, known, {}));
  CLEARBOX_RETURN_IF_ERROR(r.UnsupportedMembers(v, path, unsupported));
  out->family = family;
  uint64_t n = 0;
  if (v.contains("protocol")) {
    CLEARBOX_RETURN_IF_ERROR(r.Uint(v, path, "protocol", 0, 255, &n));
    out->protocol = static_cast<uint8_t>(n);
  }
  for (bool src : {true, false}) {
    const std::string& net_key = src ? src_net : dst_net;
    std::string_view dns_key = src ? "ietf-acldns:src-dnsname" : "ietf-acldns:dst-dnsname";
    if (v.contains(net_key) && v.contains(dns_key)) {
      return r.Invalid(MudReader::Pointer(path, dns_key),
                       "a network and a DNS name for one side are alternatives (one YANG choice)");
    }
    if (v.contains(net_key)) {
      std::string text;
      CLEARBOX_RETURN_IF_ERROR(r.String(v, path, net_key, 64, &text));
      std::optional<MudPrefix> p = internal::ParsePrefix(text, family);
      if (!p) {
        return r.Invalid(MudReader::Pointer(path, net_key),
                         MudReader::Shown(text) + " is not an " + v4 + " prefix (address/length)");
      }
      (src ? out->src_network : out->dst_network) = std::move(*p);
    }
    if (v.contains(dns_key)) {
      CLEARBOX_RETURN_IF_ERROR(
          ReadDnsName(r, v, path, dns_key, src ? &out->src_dnsname : &out->dst_dnsname));
    }
  }
  return Status::Ok();
}

Status ReadL4(MudReader& r, const Json& v, const std::string& path, MudL4Match::Kind kind,
              MudL4Match* out) {
  out->kind = kind;
  uint64_t n = 0;
  if (kind == MudL4Match::Kind::kIcmp) {
    CLEARBOX_RETURN_IF_ERROR(r.Members(v, path, {"type", "code", "rest-of-header"}, {}));
    CLEARBOX_RETURN_IF_ERROR(r.UnsupportedMembers(v, path, {"rest-of-header"}));
    if (v.contains("type")) {
      CLEARBOX_RETURN_IF_ERROR(r.Uint(v, path, "type", 0, 255, &n));
      out->icmp_type = static_cast<uint8_t>(n);
    }
    if (v.contains("code")) {
      CLEARBOX_RETURN_IF_ERROR(r.Uint(v, path, "code", 0, 255, &n));
      out->icmp_code = static_cast<uint8_t>(n);
    }
    return Status::Ok();
  }
  const bool tcp = kind == MudL4Match::Kind::kTcp;
  using Views = std::vector<std::string_view>;
  const Views unsupported = tcp ? Views{"sequence-number", "acknowledgement-number", "data-offset",
                                        "reserved", "flags", "window-size", "urgent-pointer",
                                        "options"}
                                : Views{"length"};
  std::vector<std::string_view> known = {"source-port", "destination-port"};
  if (tcp) known.push_back("ietf-mud:direction-initiated");
  known.insert(known.end(), unsupported.begin(), unsupported.end());
  if (!tcp && v.is_object() && v.contains("ietf-mud:direction-initiated")) {
    return r.Invalid(MudReader::Pointer(path, "ietf-mud:direction-initiated"),
                     "direction-initiated applies to tcp only (RFC 8520 section 2.2)");
  }
  CLEARBOX_RETURN_IF_ERROR(r.Members(v, path, known, {}));
  CLEARBOX_RETURN_IF_ERROR(r.UnsupportedMembers(v, path, unsupported));
  if (v.contains("source-port")) {
    CLEARBOX_RETURN_IF_ERROR(
        ReadPort(r, v["source-port"], MudReader::Pointer(path, "source-port"), &out->src_port));
  }
  if (v.contains("destination-port")) {
    CLEARBOX_RETURN_IF_ERROR(ReadPort(r, v["destination-port"],
                                      MudReader::Pointer(path, "destination-port"),
                                      &out->dst_port));
  }
  if (tcp && v.contains("ietf-mud:direction-initiated")) {
    std::string d;
    CLEARBOX_RETURN_IF_ERROR(r.String(v, path, "ietf-mud:direction-initiated", 16, &d));
    if (d == "from-device") {
      out->direction_initiated = MudL4Match::Initiated::kFromDevice;
    } else if (d == "to-device") {
      out->direction_initiated = MudL4Match::Initiated::kToDevice;
    } else {
      return r.Invalid(MudReader::Pointer(path, "ietf-mud:direction-initiated"),
                       MudReader::Shown(d) + " is not from-device or to-device");
    }
  }
  return Status::Ok();
}

Status ReadEth(MudReader& r, const Json& v, const std::string& path, MudEthMatch* out) {
  CLEARBOX_RETURN_IF_ERROR(r.Members(v, path,
                                     {"destination-mac-address", "destination-mac-address-mask",
                                      "source-mac-address", "source-mac-address-mask", "ethertype"},
                                     {}));
  struct Field {
    std::string_view key;
    std::string* out;
  };
  for (const Field& f : {Field{"destination-mac-address", &out->dst_mac},
                         Field{"destination-mac-address-mask", &out->dst_mac_mask},
                         Field{"source-mac-address", &out->src_mac},
                         Field{"source-mac-address-mask", &out->src_mac_mask}}) {
    if (!v.contains(f.key)) continue;
    std::string text;
    CLEARBOX_RETURN_IF_ERROR(r.String(v, path, f.key, 32, &text));
    std::optional<std::string> mac = internal::NormalizeMac(text);
    if (!mac) {
      return r.Invalid(MudReader::Pointer(path, f.key),
                       MudReader::Shown(text) + " is not a MAC address (aa:bb:cc:dd:ee:ff)");
    }
    *f.out = *mac;
  }
  if (v.contains("ethertype")) {
    const Json& e = v["ethertype"];
    std::string epath = MudReader::Pointer(path, "ethertype");
    if (e.is_string()) {  // the ietf-ethertypes enumeration; the common names only
      const std::string& s = e.get_ref<const std::string&>();
      if (s == "ipv4") {
        out->ethertype = 0x0800;
      } else if (s == "arp") {
        out->ethertype = 0x0806;
      } else if (s == "ipv6") {
        out->ethertype = 0x86dd;
      } else {
        return r.Unsupported(epath, "ethertype " + MudReader::Shown(s) +
                                        ": clearbox reads a number or ipv4, arp, ipv6");
      }
    } else {
      uint64_t n = 0;
      CLEARBOX_RETURN_IF_ERROR(r.Uint(v, path, "ethertype", 0, 65535, &n));
      out->ethertype = static_cast<uint16_t>(n);
    }
  }
  return Status::Ok();
}

Status ReadAbstractions(MudReader& r, const Json& v, const std::string& path,
                        MudAbstractMatch* out) {
  CLEARBOX_RETURN_IF_ERROR(r.Members(v, path,
                                     {"manufacturer", "same-manufacturer", "model",
                                      "local-networks", "controller", "my-controller"},
                                     {}));
  if (v.size() == 0) return r.Invalid(path, "an ietf-mud:mud match names no abstraction");
  if (v.contains("manufacturer")) {
    CLEARBOX_RETURN_IF_ERROR(r.String(v, path, "manufacturer", 255, &out->manufacturer));
    if (!internal::IsDnsName(out->manufacturer, false)) {
      return r.Invalid(MudReader::Pointer(path, "manufacturer"),
                       MudReader::Shown(out->manufacturer) + " is not a host name (a MUD URL authority)");
    }
    out->manufacturer = NormalizeDnsName(out->manufacturer);
  }
  for (std::string_view key : {"model", "controller"}) {
    if (!v.contains(key)) continue;
    std::string* s = key == "model" ? &out->model : &out->controller;
    CLEARBOX_RETURN_IF_ERROR(r.String(v, path, key, kMaxMudString, s));
    if (!internal::IsUri(*s)) {
      return r.Invalid(MudReader::Pointer(path, key), MudReader::Shown(*s) + " is not a URI");
    }
  }
  if (v.contains("same-manufacturer")) {
    CLEARBOX_RETURN_IF_ERROR(r.Empty(v, path, "same-manufacturer"));
    out->same_manufacturer = true;
  }
  if (v.contains("local-networks")) {
    CLEARBOX_RETURN_IF_ERROR(r.Empty(v, path, "local-networks"));
    out->local_networks = true;
  }
  if (v.contains("my-controller")) {
    CLEARBOX_RETURN_IF_ERROR(r.Empty(v, path, "my-controller"));
    out->my_controller = true;
  }
  return Status::Ok();
}

// The protocol an L4 match implies must agree with matches.ipvN.protocol: a tcp match with
// protocol 17 matches nothing, which is never what the author meant.
Status CheckProtocol(MudReader& r, const MudAce& ace, const std::string& path) {
  if (!ace.ip || !ace.ip->protocol || !ace.l4) return Status::Ok();
  int want = ace.l4->kind == MudL4Match::Kind::kTcp   ? 6
             : ace.l4->kind == MudL4Match::Kind::kUdp ? 17
             : ace.ip->family == 4                    ? 1
                                                      : 58;
  if (*ace.ip->protocol == want) return Status::Ok();
  return r.Invalid(path + "/ipv" + std::to_string(ace.ip->family) + "/protocol",
                   "protocol " + std::to_string(*ace.ip->protocol) + " contradicts the " +
                       (want == 6 ? "tcp" : want == 17 ? "udp" : "icmp") +
                       " match (protocol " + std::to_string(want) + ")");
}

Status ReadMatches(MudReader& r, const Json& v, const std::string& path, MudAce* ace) {
  CLEARBOX_RETURN_IF_ERROR(r.Members(v, path,
                                     {"eth", "ipv4", "ipv6", "tcp", "udp", "icmp", "ietf-mud:mud",
                                      "egress-interface", "ingress-interface"},
                                     {}));
  CLEARBOX_RETURN_IF_ERROR(r.UnsupportedMembers(v, path, {"egress-interface", "ingress-interface"}));
  if (v.contains("ipv4") && v.contains("ipv6")) {
    return r.Invalid(path, "ipv4 and ipv6 are alternatives (one YANG choice)");
  }
  int l4 = v.contains("tcp") + v.contains("udp") + v.contains("icmp");
  if (l4 > 1) return r.Invalid(path, "tcp, udp and icmp are alternatives (one YANG choice)");
  if (v.contains("eth")) {
    ace->eth.emplace();
    CLEARBOX_RETURN_IF_ERROR(ReadEth(r, v["eth"], MudReader::Pointer(path, "eth"), &*ace->eth));
  }
  for (int family : {4, 6}) {
    std::string key = family == 4 ? "ipv4" : "ipv6";
    if (!v.contains(key)) continue;
    ace->ip.emplace();
    CLEARBOX_RETURN_IF_ERROR(ReadIp(r, v[key], MudReader::Pointer(path, key), family, &*ace->ip));
  }
  struct L4 {
    std::string_view key;
    MudL4Match::Kind kind;
  };
  for (const L4& k : {L4{"tcp", MudL4Match::Kind::kTcp}, L4{"udp", MudL4Match::Kind::kUdp},
                      L4{"icmp", MudL4Match::Kind::kIcmp}}) {
    if (!v.contains(k.key)) continue;
    ace->l4.emplace();
    CLEARBOX_RETURN_IF_ERROR(ReadL4(r, v[k.key], MudReader::Pointer(path, k.key), k.kind, &*ace->l4));
  }
  if (v.contains(kMud)) {
    ace->mud.emplace();
    CLEARBOX_RETURN_IF_ERROR(
        ReadAbstractions(r, v[kMud], MudReader::Pointer(path, kMud), &*ace->mud));
  }
  return CheckProtocol(r, *ace, path);
}

// The ACL type's families: an ipv4-acl-type ACL with ipv6 matches matches nothing.
Status CheckAclType(MudReader& r, const MudAcl& acl, const MudAce& ace, const std::string& path) {
  if (acl.type.empty() || acl.type == "mixed-eth-ipv4-ipv6-acl-type") return Status::Ok();
  bool v4_ok = acl.type == "ipv4-acl-type" || acl.type == "mixed-eth-ipv4-acl-type";
  bool v6_ok = acl.type == "ipv6-acl-type" || acl.type == "mixed-eth-ipv6-acl-type";
  bool eth_ok = acl.type.substr(0, 10) == "mixed-eth-" || acl.type == "eth-acl-type";
  std::string bad;
  if (ace.ip && ace.ip->family == 4 && !v4_ok) bad = "ipv4";
  if (ace.ip && ace.ip->family == 6 && !v6_ok) bad = "ipv6";
  if (ace.eth && !eth_ok) bad = "eth";
  if (bad.empty()) return Status::Ok();
  return r.Invalid(path + "/matches/" + bad, "an " + bad + " match in an ACL of type " + acl.type);
}

Status ReadAce(MudReader& r, const Json& v, const std::string& path, const MudAcl& acl,
               MudAce* ace) {
  CLEARBOX_RETURN_IF_ERROR(r.Members(v, path, {"name", "matches", "actions"}, {"name", "actions"}));
  CLEARBOX_RETURN_IF_ERROR(r.Name(v, path, &ace->name));
  if (v.contains("matches")) {
    CLEARBOX_RETURN_IF_ERROR(ReadMatches(r, v["matches"], path + "/matches", ace));
  }
  const Json& actions = v["actions"];
  std::string apath = path + "/actions";
  CLEARBOX_RETURN_IF_ERROR(r.Members(actions, apath, {"forwarding", "logging"}, {"forwarding"}));
  std::string fwd;
  CLEARBOX_RETURN_IF_ERROR(Identity(r, actions, apath, "forwarding", {"accept", "drop", "reject"}, &fwd));
  ace->action = fwd == "accept" ? MudAce::Action::kAccept
                : fwd == "drop" ? MudAce::Action::kDrop
                                : MudAce::Action::kReject;
  if (actions.contains("logging")) {
    CLEARBOX_RETURN_IF_ERROR(
        Identity(r, actions, apath, "logging", {"log-syslog", "log-none"}, &ace->logging));
  }
  return CheckAclType(r, acl, *ace, path);
}

}  // namespace

namespace internal {

Status ReadAcls(MudReader& r, const Json& v, const std::string& path, std::vector<MudAcl>* out) {
  CLEARBOX_RETURN_IF_ERROR(r.Members(v, path, {"acl"}, {}));
  if (!v.contains("acl")) return Status::Ok();
  std::string lpath = path + "/acl";
  CLEARBOX_RETURN_IF_ERROR(r.Array(v["acl"], lpath, kMaxMudAcls, "ACLs"));
  std::set<std::string> names;
  size_t total = 0;
  for (size_t i = 0; i < v["acl"].size(); ++i) {
    const Json& a = v["acl"][i];
    std::string apath = MudReader::Pointer(lpath, i);
    CLEARBOX_RETURN_IF_ERROR(r.Members(a, apath, {"name", "type", "aces"}, {"name"}));
    MudAcl acl;
    CLEARBOX_RETURN_IF_ERROR(r.Name(a, apath, &acl.name));
    if (!names.insert(acl.name).second) {
      return r.Invalid(apath + "/name", "ACL " + MudReader::Shown(acl.name) + " appears twice");
    }
    if (a.contains("type")) {
      CLEARBOX_RETURN_IF_ERROR(Identity(r, a, apath, "type",
                                        {"ipv4-acl-type", "ipv6-acl-type", "eth-acl-type",
                                         "mixed-eth-ipv4-acl-type", "mixed-eth-ipv6-acl-type",
                                         "mixed-eth-ipv4-ipv6-acl-type"},
                                        &acl.type));
    }
    if (a.contains("aces")) {
      const Json& aces = a["aces"];
      std::string spath = apath + "/aces";
      CLEARBOX_RETURN_IF_ERROR(r.Members(aces, spath, {"ace"}, {}));
      if (aces.contains("ace")) {
        const Json& list = aces["ace"];
        CLEARBOX_RETURN_IF_ERROR(r.Array(list, spath + "/ace", kMaxMudAcesPerAcl, "ACEs in one ACL"));
        total += list.size();
        if (total > kMaxMudAces) {
          return r.Limit(spath + "/ace", "more than " + std::to_string(kMaxMudAces) +
                                             " ACEs in the profile");
        }
        std::set<std::string> ace_names;
        for (size_t j = 0; j < list.size(); ++j) {
          std::string epath = MudReader::Pointer(spath + "/ace", j);
          MudAce ace;
          CLEARBOX_RETURN_IF_ERROR(ReadAce(r, list[j], epath, acl, &ace));
          if (!ace_names.insert(ace.name).second) {
            return r.Invalid(epath + "/name",
                             "ACE " + MudReader::Shown(ace.name) + " appears twice in ACL " +
                                 MudReader::Shown(acl.name));
          }
          acl.aces.push_back(std::move(ace));
        }
      }
    }
    out->push_back(std::move(acl));
  }
  return Status::Ok();
}

}  // namespace internal
}  // namespace clearbox::watch
