// The check table, evidence formatting and the small judgements the checks share
// (docs/watch.md).
#include <algorithm>
#include <array>
#include <ctime>
#include <tuple>

#include "clearbox/core/utc_time.h"
#include "watch_internal.h"

namespace clearbox::watch {

std::string_view WatchSeverityName(WatchSeverity s) {
  switch (s) {
    case WatchSeverity::kInfo: return "info";
    case WatchSeverity::kLow: return "low";
    case WatchSeverity::kMedium: return "medium";
    case WatchSeverity::kHigh: return "high";
    case WatchSeverity::kCritical: return "critical";
  }
  return "info";
}

bool WatchFindingBefore(const WatchFinding& a, const WatchFinding& b) {
  auto first = [](const WatchFinding& f) { return f.flows.empty() ? 0 : f.flows[0].first_ns; };
  return std::make_tuple(-static_cast<int>(a.severity), a.check_id, a.peer, first(a), a.message) <
         std::make_tuple(-static_cast<int>(b.severity), b.check_id, b.peer, first(b), b.message);
}

const std::vector<WatchCheckInfo>& WatchChecks() {
  static const std::vector<WatchCheckInfo> kChecks = {
      {"CB-WATCH-001", "flow the MUD profile does not declare", WatchSeverity::kHigh,
       "The vendor declared every peer, port and protocol the device talks to; a flow outside "
       "that declaration is the device talking to someone it was not said to.",
       "Find out why the device opened the flow; block it at the network and have the vendor "
       "either remove the behaviour or declare it in the profile."},
      {"CB-WATCH-002", "DNS over HTTPS or TLS to an undeclared resolver", WatchSeverity::kHigh,
       "Encrypted DNS hides which names the device resolves, so none of its flows can be tied "
       "to a declared name; to a resolver the profile does not declare it bypasses the "
       "operator's DNS.",
       "Block TCP/UDP 853 and known DoH resolvers for the device; have the vendor use the "
       "resolver the network gives or declare the one it needs."},
      {"CB-WATCH-010", "DNS tunnelling signs", WatchSeverity::kHigh,
       "Data can leave in the names a device asks for: many unique, long or random-looking "
       "subdomains of one parent domain, or a volume of TXT/NULL queries.",
       "Look at the queries listed; block the parent domain at the resolver."},
      {"CB-WATCH-011", "beaconing to an undeclared peer", WatchSeverity::kHigh,
       "Connections at a steady period with constant sizes to a peer the vendor did not declare "
       "are how implants check in with their controller.",
       "Identify the process that connects; block the peer."},
      {"CB-WATCH-012", "data in ICMP echo payloads", WatchSeverity::kHigh,
       "Ping tools fill echo payloads with a fixed pattern; other bytes in them are data "
       "carried past firewalls that let ICMP through.",
       "Capture the payloads and find the program that sends them; block ICMP echo from the "
       "device."},
      {"CB-WATCH-013", "upload volume outlier", WatchSeverity::kMedium,
       "A flow that sends far more than the device's flows usually do may be data leaving "
       "the box, also to a declared peer.",
       "Check what was sent; the vendor should document uploads of this size."},
      {"CB-WATCH-020", "endpoint hard-coded in the image, not declared", WatchSeverity::kMedium,
       "An address or name the audit found in the firmware that the profile does not declare "
       "is a peer the box may call; found before the box is powered on and watched for on "
       "the wire.",
       "Have the vendor remove the endpoint or declare it; block it until then."},
  };
  return kChecks;
}

namespace internal {

std::string ProtoName(uint8_t proto) {
  switch (proto) {
    case kProtoTcp: return "tcp";
    case kProtoUdp: return "udp";
    case kProtoIcmp: return "icmp";
    case kProtoIcmpv6: return "icmpv6";
    default: return "proto " + std::to_string(proto);
  }
}

std::string FormatTime(int64_t ns) {
  return FormatUtcMicros(ns >= 0 ? ns / 1000 : (ns - 999) / 1000);
}

FlowEvidence EvidenceOf(const Flow& f, const FlowTable& table) {
  FlowEvidence e;
  e.uid = f.Uid();
  e.first_ns = f.first_ns;
  e.last_ns = f.last_ns;
  e.orig_h = f.orig_h.ToString();
  e.resp_h = f.resp_h.ToString();
  e.orig_p = f.orig_p;
  e.resp_p = f.resp_p;
  e.proto = f.proto;
  e.orig_bytes = f.orig_bytes;
  e.resp_bytes = f.resp_bytes;
  e.orig_pkts = f.orig_pkts;
  e.resp_pkts = f.resp_pkts;
  for (uint64_t n : f.first_packets) {
    if (n != 0) e.packets.push_back(n);
  }
  e.names = table.ResponderNames(f);
  e.conn_state = std::string(f.ConnState());
  return e;
}

bool IcmpPayloadPatterned(ByteView payload, size_t free_prefix) {
  auto patterned = [](ByteView b) {
    if (b.size() < 2) return true;
    bool constant = true, counting = true, windows = true;
    // Windows ping: "abcdefghijklmnopqrstuvw" over and over, from any letter.
    const int start = b[0] - 'a';
    for (size_t i = 0; i < b.size(); ++i) {
      if (b[i] != b[0]) constant = false;
      if (i > 0 && b[i] != static_cast<uint8_t>(b[i - 1] + 1)) counting = false;
      if (start < 0 || start >= 23 || b[i] != 'a' + static_cast<int>((start + i) % 23)) {
        windows = false;
      }
    }
    return constant || counting || windows;
  };
  if (patterned(payload)) return true;
  if (payload.size() <= free_prefix) return true;  // a timestamp at most
  return patterned(payload.subspan(free_prefix));
}

namespace {

bool NameMatches(std::string_view declared, std::string_view host) {
  if (declared.starts_with("*.")) {
    std::string_view domain = declared.substr(1);  // ".domain"
    return host.size() > domain.size() && host.ends_with(domain);
  }
  return declared == host;
}

}  // namespace

bool MudDeclaresHost(const MudProfile& mud, std::string_view host_in) {
  std::string host = NormalizeDnsName(host_in);
  Result<IpAddress> ip = IpAddress::Parse(host);
  for (const std::string& acl_name : mud.from_device_policy) {
    for (const MudAcl& acl : mud.acls) {
      if (acl.name != acl_name) continue;
      for (const MudAce& ace : acl.aces) {
        if (ace.action != MudAce::Action::kAccept || ace.mud) continue;
        if (ace.eth && !ace.eth->dst_mac.empty()) continue;  // a MAC says nothing of a host
        if (!ace.ip) return true;  // no address match: every host
        const MudIpMatch& m = *ace.ip;
        if (!m.dst_dnsname.empty()) {
          if (!ip.ok() && NameMatches(m.dst_dnsname, host)) return true;
        } else if (m.dst_network) {
          if (ip.ok() && m.dst_network->Contains(ip->family, ip->bytes)) return true;
        } else {
          return true;
        }
      }
    }
  }
  return false;
}

bool IsKnownDohResolver(const std::string& ip, const std::vector<std::string>& names) {
  // Public resolvers that answer DNS over HTTPS on 443 (their published anycast addresses).
  static constexpr std::array<std::string_view, 22> kAddresses = {
      "1.1.1.1", "1.0.0.1", "1.1.1.2", "1.0.0.2", "1.1.1.3", "1.0.0.3", "8.8.8.8", "8.8.4.4",
      "9.9.9.9", "149.112.112.112", "9.9.9.11", "94.140.14.14", "94.140.15.15",
      "208.67.222.222", "208.67.220.220", "185.228.168.9", "76.76.2.0", "45.90.28.0",
      "2606:4700:4700::1111", "2606:4700:4700::1001", "2001:4860:4860::8888",
      "2620:fe::fe"};
  if (std::find(kAddresses.begin(), kAddresses.end(), ip) != kAddresses.end()) return true;
  static constexpr std::array<std::string_view, 9> kNames = {
      "dns.google", "cloudflare-dns.com", "dns.quad9.net", "doh.opendns.com",
      "dns.adguard-dns.com", "doh.cleanbrowsing.org", "dns.nextdns.io", "doh.dns.sb",
      "mozilla.cloudflare-dns.com"};
  for (const std::string& n : names) {
    for (std::string_view k : kNames) {
      if (n == k || (n.size() > k.size() && n.ends_with(k) && n[n.size() - k.size() - 1] == '.')) {
        return true;
      }
    }
  }
  return false;
}

bool IsHousekeeping(const Flow& f) {
  const uint16_t t = f.orig_p;  // ICMP: the originator's type
  if (f.proto == kProtoIcmpv6) {
    // Router/neighbour solicitation and advertisement, redirect, MLD: the link working.
    // Errors (unreachable, too big, time exceeded, parameter problem) answer a packet: the
    // flow that packet belongs to is the one judged.
    return (t >= 130 && t <= 137) || t == 143 || (t >= 1 && t <= 4);
  }
  if (f.proto == kProtoIcmp) {
    // Errors: destination unreachable, source quench, redirect, time exceeded, parameter
    // problem.
    return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
  }
  if (f.proto == kProtoUdp) {
    auto pair = [&](uint16_t a, uint16_t b) {
      return (f.orig_p == a && f.resp_p == b) || (f.orig_p == b && f.resp_p == a);
    };
    return pair(68, 67) || pair(546, 547);  // DHCPv4, DHCPv6
  }
  return false;
}

}  // namespace internal
}  // namespace clearbox::watch
