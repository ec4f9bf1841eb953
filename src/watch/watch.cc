// The Watcher: packets through the pipeline, flows judged against the MUD profile as they
// leave the flow table, and the covert-channel checks over what was seen (docs/watch.md).
#include <algorithm>

#include "watch_impl.h"

namespace clearbox::watch {

using namespace impl;  // the limits and helpers of watch_impl.h


void Watcher::Impl::OnDnsResponse(const DnsMessage& m) {
  // Every name of the answer chain names every address in it: what an unsolicited or late
  // answer would have taught, for the message only (it never declares a flow).
  std::vector<std::string> names;
  for (const DnsQuestion& q : m.questions) names.push_back(q.name);
  for (const DnsRecord& rr : m.answers) {
    if (rr.type == kDnsCname) names.push_back(rr.name);
  }
  for (const DnsRecord& rr : m.answers) {
    if (rr.type != kDnsA && rr.type != kDnsAaaa) continue;
    std::string ip = rr.address.ToString();
    if (!any_names.contains(ip) && any_names.size() >= kMaxAnyNames) continue;
    auto& set = any_names[ip];
    for (const std::string& n : names) {
      if (set.size() < kMaxNamesPerGroup) set.insert(n);
    }
    if (set.size() < kMaxNamesPerGroup) set.insert(rr.name);
  }
}

void Watcher::Impl::OnPacket(const RawPacket& p) {
  const uint64_t before = pipe.stats().selected;
  pipe.Process(p);
  if (first_ns == 0 || p.ts_ns < first_ns) first_ns = p.ts_ns;
  last_ns = std::max(last_ns, p.ts_ns);
  if (pipe.stats().selected == before) return;
  const DecodedPacket& d = pipe.last();
  if (opts.device.mac && d.has_mac && d.src_mac == *opts.device.mac && d.ip_version &&
      device_ips.size() < 64) {
    device_ips.insert(d.src);
  }
  if (d.fragment == FragmentState::kFragment || !d.has_transport) return;
  const bool from_device = device_ips.contains(d.src);
  if (!from_device && !device_ips.contains(d.dst)) return;
  beacon.OnPacket(p.number, p.ts_ns, d, from_device);

  if (d.protocol == kProtoUdp && !d.payload.empty()) {
    if (from_device && d.dst_port == 53) {
      if (auto m = ParseDnsMessage(d.payload); m.ok()) tunnel.OnQuery(p.number, p.ts_ns, d, *m);
    } else if (!from_device && d.src_port == 53) {
      if (auto m = ParseDnsMessage(d.payload); m.ok() && m->response) OnDnsResponse(*m);
    }
  } else if (d.protocol == kProtoTcp && dns.tcp_messages_packet() == p.number) {
    // The messages this segment completed, reassembled by the DNS tracker (split, out of
    // order, sent again).
    for (const DnsMessage& m : dns.tcp_messages()) {
      if (from_device && d.dst_port == 53) {
        tunnel.OnQuery(p.number, p.ts_ns, d, m);
      } else if (!from_device && d.src_port == 53 && m.response) {
        OnDnsResponse(m);
      }
    }
  }
  const bool echo_request = (d.protocol == kProtoIcmp && d.icmp_type == 8) ||
                            (d.protocol == kProtoIcmpv6 && d.icmp_type == 128);
  if (from_device && echo_request &&
      !internal::IcmpPayloadPatterned(d.payload, opts.params.icmp_free_prefix)) {
    std::string peer = d.dst.ToString();
    if (icmp.contains(peer) || icmp.size() < kMaxGroups) {
      IcmpState& s = icmp[peer];
      ++s.packets;
      s.bytes += d.payload_length;
      if (s.examples.size() < opts.params.max_evidence) {
        FlowEvidence e;
        e.first_ns = e.last_ns = p.ts_ns;
        e.orig_h = d.src.ToString();
        e.resp_h = peer;
        e.orig_p = d.icmp_type;
        e.proto = d.protocol;
        e.orig_bytes = d.payload_length;
        e.orig_pkts = 1;
        e.packets = {p.number};
        static constexpr char kHex[] = "0123456789abcdef";
        std::string hex;
        for (size_t i = 0; i < d.payload.size() && i < 32; ++i) {
          hex += kHex[d.payload[i] >> 4];
          hex += kHex[d.payload[i] & 15];
        }
        e.note = "echo request payload " + std::to_string(d.payload_length) + " bytes: " + hex +
                 (d.payload.size() > 32 ? "..." : "");
        s.examples.push_back(std::move(e));
      }
    }
  }
}

void Watcher::Impl::OnFlow(const Flow& f) {
  if (opts.flow_sink) opts.flow_sink(f, flows);
  ++flow_count;
  const bool dev_orig = device_ips.contains(f.orig_h);
  if (!dev_orig && !device_ips.contains(f.resp_h)) return;
  if (internal::IsHousekeeping(f)) return;
  const bool ported = f.proto == kProtoTcp || f.proto == kProtoUdp;
  const IpAddress& peer_ip = dev_orig ? f.resp_h : f.orig_h;
  MudFlow mf;
  mf.direction = dev_orig ? MudFlow::Direction::kFromDevice : MudFlow::Direction::kToDevice;
  if (f.proto == kProtoTcp) {
    mf.initiator = (f.tcp & kSeenOrigSyn) ? (dev_orig ? MudFlow::Initiator::kDevice
                                                      : MudFlow::Initiator::kPeer)
                                          : MudFlow::Initiator::kUnknown;
  } else {
    mf.initiator = dev_orig ? MudFlow::Initiator::kDevice : MudFlow::Initiator::kPeer;
  }
  mf.peer_ip = peer_ip.ToString();
  mf.device_ip = (dev_orig ? f.orig_h : f.resp_h).ToString();
  if (dev_orig) mf.peer_names = flows.ResponderNames(f);
  mf.protocol = f.proto;
  if (ported) {
    mf.device_port = dev_orig ? f.orig_p : f.resp_p;
    mf.peer_port = dev_orig ? f.resp_p : f.orig_p;
  } else if (f.proto == kProtoIcmp || f.proto == kProtoIcmpv6) {
    mf.icmp_type = f.orig_p;  // the originator's leg is the one judged
    if (IsEcho(f.proto, f.orig_p)) mf.icmp_code = 0;
  }
  if (opts.device.mac) mf.device_mac = MacToString(*opts.device.mac);
  std::optional<MudMatch> match = mud.Match(mf, opts.env);
  const bool is_declared = match && match->action == MudAce::Action::kAccept;
  const uint16_t port = ported ? f.resp_p : f.orig_p;

  FlowEvidence ev = internal::EvidenceOf(f, flows);
  if (!dev_orig) ev.names.clear();  // names the peer resolved are not the device's
  const uint64_t sent = dev_orig ? f.orig_bytes : f.resp_bytes;
  const uint64_t received = dev_orig ? f.resp_bytes : f.orig_bytes;
  volume.OnFlow(sent, mf.peer_ip, ev);

  auto okey = std::make_tuple(dev_orig, mf.peer_ip, f.proto, port);
  if (observed.contains(okey) || observed.size() < kMaxObserved) {
    ObservedPeer& o = observed[okey];
    if (o.flows++ == 0) {
      o.from_device = dev_orig;
      o.peer_ip = mf.peer_ip;
      o.proto = f.proto;
      o.port = port;
    }
    for (const std::string& n : mf.peer_names) {
      if (o.names.size() < kMaxNamesPerGroup &&
          std::find(o.names.begin(), o.names.end(), n) == o.names.end()) {
        o.names.push_back(n);
      }
    }
  }
  if (dev_orig) {
    PairKey key{peer_ip, f.proto, ported ? f.resp_p : uint16_t{0}};
    if (pairs.contains(key) || pairs.size() < opts.params.beacon_max_pairs) {
      PairStatus& s = pairs[key];
      s.undeclared |= !is_declared;
      for (const std::string& n : mf.peer_names) {
        if (s.names.size() < kMaxNamesPerGroup) s.names.insert(n);
      }
    }
  }
  if (!audit_hosts.empty()) {
    std::vector<std::string> hosts = mf.peer_names;
    hosts.push_back(mf.peer_ip);
    for (const std::string& h : hosts) {
      if (!audit_hosts.contains(h)) continue;
      auto& seen = audit_seen[h];
      ++seen.first;
      if (seen.second.size() < opts.params.max_evidence) seen.second.push_back(ev);
    }
  }
  if (is_declared) {
    ++declared;
    return;
  }
  if (!dev_orig) {
    // A peer knocking on a port the device never answered is a scan of it, not its traffic.
    bool answered = f.proto == kProtoTcp ? (f.tcp & kSeenRespSynAck) != 0 : f.resp_pkts > 0;
    if (!answered) return;
  }
  std::string id = "CB-WATCH-001";
  if (dev_orig && ported &&
      (f.resp_p == 853 || (f.resp_p == 443 && internal::IsKnownDohResolver(mf.peer_ip,
                                                                           mf.peer_names)))) {
    id = "CB-WATCH-002";
  }
  std::string ace = match ? match->acl + "/" + match->ace : "";
  auto gkey = std::make_tuple(id, dev_orig, mf.peer_ip, f.proto, port, ace);
  if (!groups.contains(gkey) && groups.size() >= kMaxGroups) {
    ++groups_dropped;
    return;
  }
  Group& g = groups[gkey];
  if (g.flows++ == 0) {
    g.check_id = id;
    g.from_device = dev_orig;
    g.peer = mf.peer_ip;
    g.device_ip = mf.device_ip;
    g.proto = f.proto;
    g.port = port;
    g.match = match;
    g.flow = mf;
  }
  g.sent += sent;
  g.received += received;
  for (const std::string& n : mf.peer_names) {
    if (g.names.size() < kMaxNamesPerGroup) g.names.insert(n);
  }
  if (g.evidence.size() < opts.params.max_evidence) g.evidence.push_back(std::move(ev));
}

WatchReport Watcher::Impl::Finish(std::string capture_name) {
  flows.Flush();
  WatchReport r;
  r.capture = std::move(capture_name);
  r.mud_url = mud.mud_url;
  for (const IpAddress& ip : device_ips) r.device_ips.push_back(ip.ToString());
  r.notes = pipe.notes();
  r.stats = pipe.stats();
  r.flows = flow_count;
  r.declared_flows = declared;
  r.first_ns = first_ns;
  r.last_ns = last_ns;
  if (groups_dropped > 0) {
    r.notes.push_back(std::to_string(groups_dropped) +
                      " undeclared flows were not grouped: more than " +
                      std::to_string(kMaxGroups) + " groups");
  }
  if (beacon.dropped_pairs() > 0) {
    r.notes.push_back("beaconing: " + std::to_string(beacon.dropped_pairs()) +
                      " packets of pairs past the limit were not scored");
  }
  std::set<std::string> undeclared_hosts;
  AddAuditFindings(r, &undeclared_hosts);
  AddGroupFindings(r, undeclared_hosts);
  for (WatchFinding& f : tunnel.Findings()) r.findings.push_back(std::move(f));
  AddBeaconFindings(r);
  AddIcmpFindings(r);
  for (WatchFinding& f : volume.Findings()) r.findings.push_back(std::move(f));
  std::sort(r.findings.begin(), r.findings.end(), WatchFindingBefore);
  for (auto& [key, o] : observed) r.observed.push_back(std::move(o));
  return r;
}

Watcher::Watcher(const MudProfile& mud, WatchOptions options)
    : impl_(std::make_unique<Impl>(mud, std::move(options))) {}
Watcher::~Watcher() = default;
void Watcher::OnPacket(const RawPacket& p) { impl_->OnPacket(p); }
WatchReport Watcher::Finish(std::string capture_name) {
  return impl_->Finish(std::move(capture_name));
}

Result<WatchReport> WatchCapture(Capture& capture, std::string_view capture_name,
                                 const MudProfile& mud, const WatchOptions& options) {
  if (options.device.empty()) {
    return Error::InvalidInput("watch: no device given (--device MAC or IP)");
  }
  Watcher w(mud, options);
  RawPacket p;
  while (true) {
    CLEARBOX_ASSIGN_OR_RETURN(bool more, capture.Next(&p));
    if (!more) break;
    w.OnPacket(p);
  }
  WatchReport r = w.Finish(std::string(capture_name));
  r.notes.insert(r.notes.begin(), capture.notes().begin(), capture.notes().end());
  return r;
}

}  // namespace clearbox::watch
