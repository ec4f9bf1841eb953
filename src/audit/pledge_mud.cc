// The pledge's outbound endpoints from its embedded RFC 8520 MUD profile: the destinations
// of the accepted ACEs of the from-device policy. The profile is parsed by the `watch`
// module's strict MUD parser, the same one `clearbox watch` judges traffic with, so a profile
// the audit accepts is one the traffic check accepts too.
#include <fmt/format.h>

#include "clearbox/watch/mud.h"
#include "pledge_reader.h"

namespace clearbox::audit::internal {
namespace {

constexpr std::string_view kWhat = "mud";

// A MUD parse error "mud: /ptr: problem" reported at the pledge's path of that member.
void FailAt(PledgeReader& r, const std::string& path, const Error& error) {
  std::string_view m = error.message();
  if (m.starts_with(kWhat) && m.substr(kWhat.size()).starts_with(": ")) {
    m.remove_prefix(kWhat.size() + 2);
  }
  if (m.starts_with('/')) {
    size_t colon = m.find(": ");
    if (colon != std::string_view::npos) {
      r.Fail(path + std::string(m.substr(0, colon)), std::string(m.substr(colon + 2)));
      return;
    }
  }
  r.Fail(path, std::string(m));
}

// The destination ports an ACE accepts, as the pledge keeps them (min..max; 0, 0: any).
// RFC 8519 allows port 0; a destination on port 0 is no endpoint, so the pledge refuses it
// (at `where`, the destination-port's path). False when refused.
bool SetPorts(PledgeReader& r, const std::string& where,
              const std::optional<watch::MudPortMatch>& dst, Pledge::Endpoint& e) {
  if (!dst) return true;
  using Op = watch::MudPortMatch::Op;
  if (dst->port == 0 && dst->op != Op::kNeq) {
    r.Fail(where + (dst->op == Op::kRange ? "/lower-port" : "/port"), "0 is not a port (1-65535)");
    return false;
  }
  switch (dst->op) {
    case Op::kEq: e.port_min = e.port_max = dst->port; break;
    case Op::kRange: e.port_min = dst->port; e.port_max = dst->upper; break;
    case Op::kLte: e.port_min = 1; e.port_max = dst->port; break;
    case Op::kGte: e.port_min = dst->port; e.port_max = 65535; break;
    case Op::kNeq: break;  // every port but one: kept as any port (the pledge has no "but")
  }
  return true;
}

}  // namespace

void ReadMudProfile(PledgeReader& r, const Json& mud, std::string_view path_view, Pledge& out) {
  const std::string path(path_view);
  if (!mud.is_object()) {
    r.Fail(path, fmt::format("expected an object (a MUD profile), got {}", JsonTypeName(mud)));
    return;
  }
  Result<watch::MudProfile> profile = watch::ParseMud(mud.dump(), kWhat);
  if (!profile.ok()) {
    FailAt(r, path, profile.error());
    return;
  }
  out.mud_url = profile->mud_url;
  for (const std::string& name : profile->from_device_policy) {
    for (size_t i = 0; i < profile->acls.size(); ++i) {
      const watch::MudAcl& acl = profile->acls[i];
      if (acl.name != name) continue;
      for (size_t k = 0; k < acl.aces.size(); ++k) {
        const watch::MudAce& ace = acl.aces[k];
        if (ace.action != watch::MudAce::Action::kAccept || !ace.ip) continue;
        Pledge::Endpoint e;
        e.acl = acl.name + "/" + ace.name;
        if (ace.l4 && ace.l4->kind != watch::MudL4Match::Kind::kIcmp) {
          e.protocol = ace.l4->kind == watch::MudL4Match::Kind::kTcp ? "tcp" : "udp";
          std::string where = fmt::format(
              "{}/ietf-access-control-list:acls/acl/{}/aces/ace/{}/matches/{}/destination-port",
              path, i, k, e.protocol);
          if (!SetPorts(r, where, ace.l4->dst_port, e)) continue;
        }
        if (!ace.ip->dst_dnsname.empty()) {
          e.host = ace.ip->dst_dnsname;
        } else if (ace.ip->dst_network) {
          e.host = ace.ip->dst_network->text;
        } else {
          continue;  // no destination: nothing the image could hard-code
        }
        if (out.endpoints.size() >= kMaxPledgeItems) {
          r.Fail(path, fmt::format("more than {} endpoints", kMaxPledgeItems));
          return;
        }
        out.endpoints.push_back(std::move(e));
      }
    }
  }
}

}  // namespace clearbox::audit::internal
