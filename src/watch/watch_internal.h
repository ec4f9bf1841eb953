// The pieces of `clearbox watch` (watch.h), each testable alone.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/watch/watch.h"

namespace clearbox::watch::internal {

std::string ProtoName(uint8_t proto);  // "tcp", "udp", "icmp", "icmpv6", "proto 47"
std::string FormatTime(int64_t ns);    // "2026-12-07T02:48:20.123456Z"
FlowEvidence EvidenceOf(const Flow& f, const FlowTable& table);

// ---- beaconing (beacon.cc) -----------------------------------------------------------------

struct BeaconScore {
  double score = 0;
  double ts_skew = 0, ts_madm = 0, ts_count = 0;     // the interval sub-scores, each 0..1
  double ds_skew = 0, ds_madm = 0, ds_smallness = 0;  // the size sub-scores, each 0..1
  double median_interval_s = 0;
  uint64_t median_bytes = 0;
  size_t events = 0;
};
// The score of connection starts `starts_ns` (sorted) with `bytes` per connection, in a
// capture `span_ns` long (docs/watch.md#beaconing). nullopt with fewer than 3 events or a
// zero median interval.
std::optional<BeaconScore> ScoreBeacon(const std::vector<int64_t>& starts_ns,
                                       const std::vector<uint64_t>& bytes, int64_t span_ns);

// (peer address, protocol, peer port): the "pair" of a device and one service of a peer.
using PairKey = std::tuple<IpAddress, uint8_t, uint16_t>;
struct PairKeyHash {
  size_t operator()(const PairKey& k) const;
};

class BeaconTracker {
 public:
  explicit BeaconTracker(const WatchParams& p) : p_(p) {}
  // One decoded packet with transport; from_device: the device sent it.
  void OnPacket(uint64_t number, int64_t ts_ns, const DecodedPacket& d, bool from_device);
  struct Event {
    int64_t ts_ns;
    uint64_t bytes;
    uint64_t packet;
    uint16_t device_port;
  };
  struct Pair {
    std::vector<Event> events;
    int64_t last_from_device_ns = 0;
    bool truncated = false;  // more than beacon_max_events
  };
  const std::unordered_map<PairKey, Pair, PairKeyHash>& pairs() const { return pairs_; }
  size_t dropped_pairs() const { return dropped_pairs_; }

 private:
  WatchParams p_;  // a copy: a tracker may outlive the caller's params
  std::unordered_map<PairKey, Pair, PairKeyHash> pairs_;
  size_t dropped_pairs_ = 0;
};

// ---- DNS tunnelling (dns_tunnel.cc) --------------------------------------------------------

// "a.b.tunnel.example.co.uk" -> "example.co.uk"; "x.tunnel.example" -> "tunnel.example".
std::string ParentDomain(std::string_view name);
double ShannonBits(std::string_view s);  // bits per character

class TunnelTracker {
 public:
  explicit TunnelTracker(const WatchParams& p) : p_(p) {}
  // A DNS query the device sent (questions only are read).
  void OnQuery(uint64_t number, int64_t ts_ns, const DecodedPacket& d, const DnsMessage& m);
  std::vector<WatchFinding> Findings() const;

  struct Parent {
    std::unordered_set<uint64_t> unique;  // hashes of the subdomains (capped)
    uint64_t queries = 0, suspicious = 0, txt_null = 0, name_bytes = 0, longest_label = 0;
    double max_entropy = 0;
    int64_t first_ns = 0, last_ns = 0;
    std::set<std::string> resolvers;
    std::vector<FlowEvidence> examples;  // the first suspicious queries
  };
  const std::map<std::string, Parent>& parents() const { return parents_; }

 private:
  WatchParams p_;  // a copy: a tracker may outlive the caller's params
  std::map<std::string, Parent> parents_;
};

// ---- ICMP payloads (checks.cc) -------------------------------------------------------------

// True when an echo payload carries no data beyond a ping pattern: after the first
// `free_prefix` bytes (a timestamp), constant bytes, bytes counting up by one (iputils,
// busybox), or the Windows alphabet; or the whole payload is such.
bool IcmpPayloadPatterned(ByteView payload, size_t free_prefix);

// ---- volume (volume.cc) --------------------------------------------------------------------

class VolumeTracker {
 public:
  explicit VolumeTracker(const WatchParams& p) : p_(p) {}
  // One finished flow of the device: the bytes the device sent in it.
  void OnFlow(uint64_t device_sent, const std::string& peer, const FlowEvidence& e);
  std::vector<WatchFinding> Findings() const;

 private:
  WatchParams p_;  // a copy: a tracker may outlive the caller's params
  std::vector<float> log_bytes_;  // log2(1 + sent) of every flow (capped)
  struct Candidate {
    uint64_t sent;
    std::string peer;
    FlowEvidence evidence;
  };
  std::vector<Candidate> candidates_;  // flows over volume_min_bytes (the largest kept)
};

// ---- MUD helpers (checks.cc) ---------------------------------------------------------------

// True when a from-device accept ACE of `mud` names `host` (a DNS name, exactly or under a
// `*.domain`, or an address inside a network), whatever the ports.
bool MudDeclaresHost(const MudProfile& mud, std::string_view host);
// Known DNS-over-HTTPS resolvers by address and name (public services).
bool IsKnownDohResolver(const std::string& ip, const std::vector<std::string>& names);
// ICMPv6 neighbour discovery / MLD, DHCP, ICMP errors: housekeeping, not a flow to judge.
bool IsHousekeeping(const Flow& f);

}  // namespace clearbox::watch::internal
