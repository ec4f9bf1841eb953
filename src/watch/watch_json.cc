// The JSON report of `clearbox watch`, and the MUD draft of `watch mud-from-traffic`.
#include <ctime>
#include <nlohmann/json.hpp>

#include "watch_internal.h"

namespace clearbox::watch {

using nlohmann::json;

namespace {

json EvidenceJson(const FlowEvidence& e) {
  json j = {{"first", internal::FormatTime(e.first_ns)},
            {"last", internal::FormatTime(e.last_ns)},
            {"orig_h", e.orig_h},
            {"orig_p", e.orig_p},
            {"resp_h", e.resp_h},
            {"resp_p", e.resp_p},
            {"proto", internal::ProtoName(e.proto)},
            {"orig_bytes", e.orig_bytes},
            {"resp_bytes", e.resp_bytes},
            {"orig_pkts", e.orig_pkts},
            {"resp_pkts", e.resp_pkts},
            {"packets", e.packets}};
  if (!e.uid.empty()) j["uid"] = e.uid;
  if (!e.conn_state.empty()) j["conn_state"] = e.conn_state;
  if (!e.names.empty()) j["names"] = e.names;
  if (!e.note.empty()) j["note"] = e.note;
  return j;
}

}  // namespace

std::string WatchReportJson(const WatchReport& r) {
  json findings = json::array();
  for (const WatchFinding& f : r.findings) {
    json flows = json::array();
    for (const FlowEvidence& e : f.flows) flows.push_back(EvidenceJson(e));
    json j = {{"check_id", f.check_id},
              {"severity", WatchSeverityName(f.severity)},
              {"message", f.message},
              {"peer", f.peer},
              {"flow_count", f.flow_count},
              {"facts", f.facts},
              {"flows", std::move(flows)}};
    for (const ImageLocation& l : f.image_locations) {
      json loc = {{"uri", l.uri}};
      if (l.byte_offset) loc["byte_offset"] = *l.byte_offset;
      j["image_locations"].push_back(std::move(loc));
    }
    findings.push_back(std::move(j));
  }
  const PipelineStats& s = r.stats;
  json doc = {
      {"tool", "clearbox watch"},
      {"capture", r.capture},
      {"device", r.device},
      {"device_ips", r.device_ips},
      {"mud_url", r.mud_url},
      {"first", r.first_ns ? internal::FormatTime(r.first_ns) : ""},
      {"last", r.last_ns ? internal::FormatTime(r.last_ns) : ""},
      {"stats",
       {{"packets", s.packets}, {"ip", s.ip}, {"selected", s.selected},
        {"anomalies", s.anomalies}, {"fragments", s.fragments}, {"reassembled", s.reassembled},
        {"snap_truncated", s.snap_truncated}, {"flows", r.flows},
        {"declared_flows", r.declared_flows}}},
      {"checks_run", json::array()},
      {"findings", std::move(findings)},
      {"notes", r.notes}};
  for (const WatchCheckInfo& c : WatchChecks()) doc["checks_run"].push_back(c.id);
  return doc.dump(2, ' ', false, json::error_handler_t::replace);
}

MudProfile DraftMud(const WatchReport& r, std::string_view mud_url) {
  MudProfile p;
  p.mud_url = std::string(mud_url);
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
  p.last_update = stamp;
  p.is_supported = true;
  p.systeminfo = "draft from observed traffic (clearbox watch)";
  // One ACL per direction and address family, made when used.
  std::map<std::pair<bool, int>, size_t> acl_of;
  auto acl = [&](bool from, int family) -> MudAcl& {
    auto [it, fresh] = acl_of.emplace(std::make_pair(from, family), p.acls.size());
    if (fresh) {
      MudAcl a;
      a.name = std::string("cb-draft-") + (from ? "from" : "to") + "-ipv" + std::to_string(family);
      a.type = family == 4 ? "ipv4-acl-type" : "ipv6-acl-type";
      p.acls.push_back(std::move(a));
      (from ? p.from_device_policy : p.to_device_policy).push_back(p.acls.back().name);
    }
    return p.acls[it->second];
  };
  size_t n = 0;
  for (const ObservedPeer& o : r.observed) {
    Result<IpAddress> ip = IpAddress::Parse(o.peer_ip);
    if (!ip.ok()) continue;
    const int family = ip->family == 6 ? 6 : 4;
    if (n + 2 > kMaxMudAcesPerAcl) break;
    ++n;
    // The peer: the first name the device resolved to it, else its address.
    MudIpMatch peer;
    peer.family = family;
    peer.protocol = o.proto;
    std::string name = o.names.empty() ? "" : o.names.front();
    MudPrefix net;
    if (name.empty()) {
      net.family = family;
      net.addr = ip->bytes;
      net.length = family == 4 ? 32 : 128;
      net.text = o.peer_ip + (family == 4 ? "/32" : "/128");
    }
    // Two ACEs: the initiator's leg and the answer's, as RFC 8520's examples write them.
    for (int leg = 0; leg < 2; ++leg) {
      const bool from = (leg == 0) == o.from_device;  // this ACE is in the from-device ACL
      const bool peer_is_dst = from;                    // from-device: the peer is the dst
      MudAce ace;
      ace.name = "cb" + std::to_string(n) + (leg == 0 ? "-init" : "-answer");
      MudIpMatch m = peer;
      if (name.empty()) {
        (peer_is_dst ? m.dst_network : m.src_network) = net;
      } else {
        (peer_is_dst ? m.dst_dnsname : m.src_dnsname) = name;
      }
      ace.ip = m;
      MudL4Match l4;
      MudPortMatch port;
      port.port = o.port;
      // The responder's port: the peer's when the device initiated.
      const bool port_is_dst = (leg == 0);
      if (o.proto == kProtoTcp || o.proto == kProtoUdp) {
        l4.kind = o.proto == kProtoTcp ? MudL4Match::Kind::kTcp : MudL4Match::Kind::kUdp;
        (port_is_dst ? l4.dst_port : l4.src_port) = port;
        if (o.proto == kProtoTcp) {
          l4.direction_initiated = o.from_device ? MudL4Match::Initiated::kFromDevice
                                                 : MudL4Match::Initiated::kToDevice;
        }
        ace.l4 = l4;
      } else if ((o.proto == kProtoIcmp && family == 4) ||
                 (o.proto == kProtoIcmpv6 && family == 6)) {
        // (ICMPv6 in IPv4 or ICMP in IPv6 is hostile or broken: protocol only, no icmp match.)
        l4.kind = MudL4Match::Kind::kIcmp;
        int type = o.port;
        if (leg == 1) {
          // The answer to an echo request; other ICMP gets no answer ACE.
          if (type == 8) type = 0;
          else if (type == 128) type = 129;
          else continue;
        }
        l4.icmp_type = static_cast<uint8_t>(type);
        ace.l4 = l4;
      }
      ace.action = MudAce::Action::kAccept;
      acl(from, family).aces.push_back(std::move(ace));
    }
  }
  return p;
}

}  // namespace clearbox::watch
