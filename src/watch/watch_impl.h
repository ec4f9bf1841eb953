// Watcher's state (watch.cc: packets and flows; watch_findings.cc: the findings at the end).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "watch_internal.h"

namespace clearbox::watch {

using internal::PairKey;
using internal::PairKeyHash;

namespace impl {
inline constexpr size_t kMaxGroups = 100'000;      // undeclared (peer, protocol, port) groups
inline constexpr size_t kMaxObserved = 100'000;    // peers kept for the MUD draft
inline constexpr size_t kMaxAnyNames = 200'000;    // addresses named in any DNS answer
inline constexpr size_t kMaxNamesPerGroup = 8;

inline std::string Bytes(uint64_t n) { return std::to_string(n) + " B"; }

inline bool IsEcho(uint8_t proto, int type) {
  return (proto == kProtoIcmp && (type == 0 || type == 8)) ||
         (proto == kProtoIcmpv6 && (type == 128 || type == 129));
}

}  // namespace impl

struct Watcher::Impl {
  struct Group {
    std::string check_id;
    bool from_device = true;
    std::string peer, device_ip;
    uint8_t proto = 0;
    uint16_t port = 0;  // the responder's port (ICMP: the type)
    std::optional<MudMatch> match;  // a drop/reject ACE, when one matched
    MudFlow flow;                   // a representative, to re-judge with other names
    uint64_t flows = 0, sent = 0, received = 0;
    std::set<std::string> names;
    std::vector<FlowEvidence> evidence;
  };
  struct IcmpState {
    uint64_t packets = 0, bytes = 0;
    std::vector<FlowEvidence> examples;
  };
  struct PairStatus {
    bool undeclared = false;
    std::set<std::string> names;
  };

  Impl(const MudProfile& m, WatchOptions o)
      : mud(m),
        opts(std::move(o)),
        flows(opts.flow_limits, [this](const Flow& f) { OnFlow(f); }),
        pipe(&flows, &dns, opts.device),
        beacon(opts.params),
        tunnel(opts.params),
        volume(opts.params) {
    if (opts.device.ip) device_ips.insert(*opts.device.ip);
    for (const AuditEndpoint& e : opts.audit_endpoints) audit_hosts.insert(e.host);
  }

  void OnPacket(const RawPacket& p);
  void OnFlow(const Flow& f);
  void OnDnsResponse(const DnsMessage& m);
  WatchReport Finish(std::string capture_name);
  void AddGroupFindings(WatchReport& r, const std::set<std::string>& undeclared_hosts);
  void AddBeaconFindings(WatchReport& r);
  void AddIcmpFindings(WatchReport& r);
  void AddAuditFindings(WatchReport& r, std::set<std::string>* undeclared_hosts);

  const MudProfile& mud;
  WatchOptions opts;
  DnsTracker dns;
  FlowTable flows;
  PacketPipeline pipe;
  std::set<IpAddress> device_ips;
  internal::BeaconTracker beacon;
  internal::TunnelTracker tunnel;
  internal::VolumeTracker volume;
  std::map<std::tuple<std::string, bool, std::string, uint8_t, uint16_t, std::string>, Group>
      groups;
  uint64_t groups_dropped = 0;
  std::map<std::string, IcmpState> icmp;
  std::unordered_map<PairKey, PairStatus, PairKeyHash> pairs;
  std::map<std::tuple<bool, std::string, uint8_t, uint16_t>, ObservedPeer> observed;
  std::map<std::string, std::set<std::string>> any_names;  // address -> names in any answer
  std::set<std::string> audit_hosts;
  std::map<std::string, std::pair<uint64_t, std::vector<FlowEvidence>>> audit_seen;
  uint64_t flow_count = 0, declared = 0;
  int64_t first_ns = 0, last_ns = 0;
};

}  // namespace clearbox::watch
