// MudProfile::Match (mud.h): which ACE of the profile a flow falls under. Every match an ACE
// has must hold (RFC 8519: the matches of one ACE are ANDed); the first such ACE, in policy
// and ACE order, wins. What clearbox cannot see on the wire (a device name, another device's
// MUD URL, which hosts are "the controller") comes from MudEnv or makes the match fail: an
// unknown never widens the declared policy.
#include <optional>
#include <string>
#include <vector>

#include "clearbox/watch/mud.h"
#include "mud_internal.h"

namespace clearbox::watch {
namespace {

using internal::IpAddress;

// What one Match call works from, computed once for all ACEs.
struct FlowView {
  const MudFlow& flow;
  const MudEnv& env;
  const MudProfile& profile;
  bool from_device;
  std::optional<IpAddress> peer, device;
  std::vector<std::string> names;  // normalised peer names
};

bool MacMatches(const std::string& want, const std::string& mask, const std::string& have) {
  if (want.empty()) return true;
  std::optional<std::string> mac = internal::NormalizeMac(have);
  if (!mac) return false;
  if (mask.empty()) return *mac == want;
  for (size_t i = 0; i < want.size(); i += 3) {
    auto byte = [](const std::string& s, size_t at) {
      return std::stoi(s.substr(at, 2), nullptr, 16);
    };
    int m = byte(mask, i);
    if ((byte(*mac, i) & m) != (byte(want, i) & m)) return false;
  }
  return true;
}

bool EthMatches(const MudEthMatch& e, const FlowView& v) {
  if (e.ethertype) {
    if (!v.peer) return false;
    if (*e.ethertype != (v.peer->family == 4 ? 0x0800 : 0x86dd)) return false;
  }
  const std::string& src = v.from_device ? v.flow.device_mac : v.flow.peer_mac;
  const std::string& dst = v.from_device ? v.flow.peer_mac : v.flow.device_mac;
  return MacMatches(e.src_mac, e.src_mac_mask, src) && MacMatches(e.dst_mac, e.dst_mac_mask, dst);
}

bool AnyNameMatches(std::string_view pattern, const std::vector<std::string>& names) {
  for (const std::string& n : names) {
    if (internal::DnsNameMatches(pattern, n)) return true;
  }
  return false;
}

bool IpMatches(const MudIpMatch& m, const FlowView& v) {
  if (!v.peer || v.peer->family != m.family) return false;
  if (m.protocol && *m.protocol != v.flow.protocol) return false;
  // The peer is the destination of what the device sends, the source of what it receives.
  const std::optional<MudPrefix>& peer_net = v.from_device ? m.dst_network : m.src_network;
  const std::optional<MudPrefix>& device_net = v.from_device ? m.src_network : m.dst_network;
  const std::string& peer_name = v.from_device ? m.dst_dnsname : m.src_dnsname;
  const std::string& device_name = v.from_device ? m.src_dnsname : m.dst_dnsname;
  if (peer_net && !peer_net->Contains(v.peer->family, v.peer->bytes)) return false;
  if (device_net && (!v.device || !device_net->Contains(v.device->family, v.device->bytes))) {
    return false;
  }
  if (!peer_name.empty() && !AnyNameMatches(peer_name, v.names)) return false;
  if (!device_name.empty()) return false;  // the device's own DNS name is not known here
  return true;
}

bool L4Matches(const MudL4Match& m, const FlowView& v) {
  const MudFlow& f = v.flow;
  switch (m.kind) {
    case MudL4Match::Kind::kTcp:
      if (f.protocol != 6) return false;
      break;
    case MudL4Match::Kind::kUdp:
      if (f.protocol != 17) return false;
      break;
    case MudL4Match::Kind::kIcmp:
      if (f.protocol != 1 && f.protocol != 58) return false;
      if (m.icmp_type && f.icmp_type != *m.icmp_type) return false;
      if (m.icmp_code && f.icmp_code != *m.icmp_code) return false;
      return true;
  }
  uint16_t src = v.from_device ? f.device_port : f.peer_port;
  uint16_t dst = v.from_device ? f.peer_port : f.device_port;
  if (m.src_port && !m.src_port->Matches(src)) return false;
  if (m.dst_port && !m.dst_port->Matches(dst)) return false;
  switch (m.direction_initiated) {
    case MudL4Match::Initiated::kAny:
      return true;
    case MudL4Match::Initiated::kFromDevice:
      return f.initiator == MudFlow::Initiator::kDevice;
    case MudL4Match::Initiated::kToDevice:
      return f.initiator == MudFlow::Initiator::kPeer;
  }
  return false;
}

// The peer's own MUD URL, when the environment knows it (DHCP option 161, LLDP).
std::string PeerMudUrl(const FlowView& v) {
  if (!v.peer) return "";
  for (const MudEnv::PeerMudUrl& p : v.env.peer_mud_urls) {
    std::optional<IpAddress> ip = internal::ParseIp(p.ip);
    if (ip && ip->family == v.peer->family && ip->bytes == v.peer->bytes) return p.mud_url;
  }
  return "";
}

// A peer "of manufacturer `authority`": its MUD URL has that authority or, when its MUD URL
// is not known, one of its DNS names is the authority or a name under it.
bool OfManufacturer(const std::string& authority, const FlowView& v) {
  if (authority.empty()) return false;
  std::string url = PeerMudUrl(v);
  if (!url.empty()) return internal::HttpsHost(url) == authority;
  for (const std::string& n : v.names) {
    if (n == authority || internal::DnsNameMatches("*." + authority, n)) return true;
  }
  return false;
}

bool IsLocal(const FlowView& v) {
  if (v.flow.peer_on_local_network) return true;
  if (!v.peer) return false;
  // RFC 1918, link-local, link-local multicast, broadcast; ULA, link-local, link-local
  // multicast (RFC 4193, RFC 4291).
  static const std::vector<MudPrefix>* kLocal = [] {
    auto* out = new std::vector<MudPrefix>;
    for (const char* p : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
                          "224.0.0.0/24", "255.255.255.255/32"}) {
      out->push_back(*internal::ParsePrefix(p, 4));
    }
    for (const char* p : {"fc00::/7", "fe80::/10", "ff02::/16"}) {
      out->push_back(*internal::ParsePrefix(p, 6));
    }
    return out;
  }();
  for (const MudPrefix& p : *kLocal) {
    if (p.Contains(v.peer->family, v.peer->bytes)) return true;
  }
  for (const std::string& text : v.env.local_networks) {
    std::optional<MudPrefix> p = internal::ParsePrefix(text, text.find(':') == std::string::npos ? 4 : 6);
    if (p && p->Contains(v.peer->family, v.peer->bytes)) return true;
  }
  return false;
}

// The peer is one of the controllers the user named for `uri` ("" = my-controller).
bool IsController(const std::string& uri, const FlowView& v) {
  for (const MudEnv::Controller& c : v.env.controllers) {
    if (c.uri != uri) continue;
    for (const std::string& a : c.addresses) {
      std::optional<IpAddress> ip = internal::ParseIp(a);
      if (ip) {
        if (v.peer && ip->family == v.peer->family && ip->bytes == v.peer->bytes) return true;
      } else if (AnyNameMatches(NormalizeDnsName(a), v.names)) {
        return true;
      }
    }
  }
  return false;
}

bool AbstractionsMatch(const MudAbstractMatch& m, const FlowView& v) {
  if (!m.manufacturer.empty() && !OfManufacturer(m.manufacturer, v)) return false;
  if (m.same_manufacturer && !OfManufacturer(v.profile.Authority(), v)) return false;
  if (!m.model.empty() && PeerMudUrl(v) != m.model) return false;
  if (m.local_networks && !IsLocal(v)) return false;
  if (!m.controller.empty() && !IsController(m.controller, v)) return false;
  if (m.my_controller && !IsController("", v)) return false;
  return true;
}

bool AceMatches(const MudAce& ace, const FlowView& v) {
  if (ace.eth && !EthMatches(*ace.eth, v)) return false;
  if (ace.ip && !IpMatches(*ace.ip, v)) return false;
  if (ace.l4 && !L4Matches(*ace.l4, v)) return false;
  if (ace.mud && !AbstractionsMatch(*ace.mud, v)) return false;
  return true;
}

}  // namespace

std::optional<MudMatch> MudProfile::Match(const MudFlow& flow, const MudEnv& env) const {
  FlowView v{flow, env, *this, flow.direction == MudFlow::Direction::kFromDevice,
             internal::ParseIp(flow.peer_ip), internal::ParseIp(flow.device_ip), {}};
  v.names.reserve(flow.peer_names.size());
  for (const std::string& n : flow.peer_names) v.names.push_back(NormalizeDnsName(n));
  const std::vector<std::string>& policy = v.from_device ? from_device_policy : to_device_policy;
  for (const std::string& name : policy) {
    for (const MudAcl& acl : acls) {
      if (acl.name != name) continue;
      for (const MudAce& ace : acl.aces) {
        if (AceMatches(ace, v)) return MudMatch{acl.name, ace.name, ace.action};
      }
    }
  }
  return std::nullopt;
}

}  // namespace clearbox::watch
