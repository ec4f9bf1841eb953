// The findings a Watcher reports at the end, from the state it gathered (watch_impl.h).
#include <algorithm>

#include "watch_impl.h"

namespace clearbox::watch {

using namespace impl;  // the limits and helpers of watch_impl.h

void Watcher::Impl::AddGroupFindings(WatchReport& r, const std::set<std::string>& undeclared_hosts) {
  for (auto& [key, g] : groups) {
    WatchFinding f;
    f.check_id = g.check_id;
    f.peer = g.peer;
    f.flow_count = g.flows;
    f.flows = g.evidence;
    std::string names;
    for (const std::string& n : g.names) names += (names.empty() ? "" : ", ") + n;
    std::string what = internal::ProtoName(g.proto);
    std::string port = (g.proto == kProtoTcp || g.proto == kProtoUdp)
                           ? " port " + std::to_string(g.port)
                           : " type " + std::to_string(g.port);
    std::string counts = " (" + std::to_string(g.flows) + " flow" + (g.flows == 1 ? "" : "s") +
                         ", " + Bytes(g.sent) + " sent, " + Bytes(g.received) + " received)";
    if (g.check_id == "CB-WATCH-002") {
      f.severity = WatchSeverity::kHigh;
      f.message = "encrypted DNS to an undeclared resolver: the device opened " + what + " to " +
                  g.peer + (names.empty() ? "" : " (" + names + ")") + port + counts +
                  (g.port == 853 ? ", DNS over TLS/QUIC" : ", a known DNS-over-HTTPS resolver");
    } else if (g.from_device) {
      f.severity = WatchSeverity::kHigh;
      f.message = "undeclared flow: the device opened " + what + " to " + g.peer +
                  (names.empty() ? "" : " (" + names + ")") + port + counts;
    } else {
      f.severity = WatchSeverity::kMedium;
      f.message = "undeclared flow: " + g.peer + " opened " + what + " to the device's" + port +
                  " and the device answered" + counts;
    }
    if (g.match) {
      f.message += "; the profile's ACE " + g.match->acl + "/" + g.match->ace +
                   (g.match->action == MudAce::Action::kDrop ? " drops it" : " rejects it");
      f.facts["ace"] = g.match->acl + "/" + g.match->ace;
    } else {
      f.message += "; no ACE of the profile allows it";
    }
    f.facts["direction"] = g.from_device ? "from-device" : "to-device";
    f.facts["initiated_by"] = g.from_device ? "device" : "peer";
    f.facts["protocol"] = what;
    f.facts[(g.proto == kProtoTcp || g.proto == kProtoUdp) ? "port" : "icmp_type"] =
        std::to_string(g.port);
    f.facts["bytes_sent"] = std::to_string(g.sent);
    f.facts["bytes_received"] = std::to_string(g.received);
    if (!names.empty()) f.facts["resolved_names"] = names;
    // A name for the peer that the device did not (validly) resolve does not declare it: say
    // so when it would have.
    if (g.from_device && g.names.empty()) {
      if (auto it = any_names.find(g.peer); it != any_names.end()) {
        MudFlow again = g.flow;
        again.peer_names.assign(it->second.begin(), it->second.end());
        if (auto m = mud.Match(again, opts.env); m && m->action == MudAce::Action::kAccept) {
          std::string seen;
          for (const std::string& n : it->second) seen += (seen.empty() ? "" : ", ") + n;
          f.message += " (" + g.peer + " is named " + seen +
                       " only in a DNS answer the device did not ask for or whose TTL had "
                       "passed: that does not declare it)";
          f.facts["unproven_names"] = seen;
        }
      }
    }
    std::vector<std::string> hard;
    if (undeclared_hosts.contains(g.peer)) hard.push_back(g.peer);
    for (const std::string& n : g.names) {
      if (undeclared_hosts.contains(n)) hard.push_back(n);
    }
    if (!hard.empty()) {
      f.severity = WatchSeverity::kCritical;
      f.message += "; " + hard.front() + " is hard-coded in the image (CB-WATCH-020)";
      f.facts["hard_coded"] = hard.front();
    }
    r.findings.push_back(std::move(f));
  }
}

void Watcher::Impl::AddBeaconFindings(WatchReport& r) {
  const WatchParams& p = opts.params;
  for (const auto& [key, pair] : beacon.pairs()) {
    if (pair.events.size() < p.beacon_min_events) continue;
    auto st = pairs.find(key);
    if (st == pairs.end() || !st->second.undeclared) continue;  // declared: periodic by design
    std::vector<int64_t> starts;
    std::vector<uint64_t> bytes;
    for (const auto& e : pair.events) {
      starts.push_back(e.ts_ns);
      bytes.push_back(e.bytes);
    }
    auto s = internal::ScoreBeacon(starts, bytes, last_ns - first_ns);
    if (!s || s->score < p.beacon_threshold) continue;
    const auto& [ip, proto, port] = key;
    WatchFinding f;
    f.check_id = "CB-WATCH-011";
    f.severity = WatchSeverity::kHigh;
    f.peer = ip.ToString();
    f.flow_count = pair.events.size();
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "beaconing: %zu connections to %s %s%s every %.3f s (median), %llu bytes "
                  "each (median); score %.2f (threshold %.2f)",
                  s->events, f.peer.c_str(), internal::ProtoName(proto).c_str(),
                  (proto == kProtoTcp || proto == kProtoUdp)
                      ? (" port " + std::to_string(port)).c_str()
                      : "",
                  s->median_interval_s, static_cast<unsigned long long>(s->median_bytes),
                  s->score, p.beacon_threshold);
    f.message = buf;
    auto fixed = [](double v) {
      char b[32];
      std::snprintf(b, sizeof b, "%.3f", v);
      return std::string(b);
    };
    f.facts = {{"score", fixed(s->score)},         {"ts_skew_score", fixed(s->ts_skew)},
               {"ts_madm_score", fixed(s->ts_madm)}, {"ts_count_score", fixed(s->ts_count)},
               {"ds_skew_score", fixed(s->ds_skew)}, {"ds_madm_score", fixed(s->ds_madm)},
               {"ds_smallness_score", fixed(s->ds_smallness)},
               {"median_interval_s", fixed(s->median_interval_s)},
               {"median_bytes", std::to_string(s->median_bytes)},
               {"connections", std::to_string(s->events)}};
    std::string names;
    for (const std::string& n : st->second.names) names += (names.empty() ? "" : ", ") + n;
    if (!names.empty()) f.facts["resolved_names"] = names;
    std::string device = device_ips.empty() ? "" : device_ips.begin()->ToString();
    for (size_t i = 0; i < pair.events.size() && f.flows.size() < p.max_evidence; ++i) {
      FlowEvidence e;
      e.first_ns = e.last_ns = pair.events[i].ts_ns;
      e.orig_h = device;
      e.resp_h = f.peer;
      e.orig_p = pair.events[i].device_port;
      e.resp_p = port;
      e.proto = proto;
      e.orig_bytes = pair.events[i].bytes;
      e.packets = {pair.events[i].packet};
      e.note = "connection " + std::to_string(i + 1) + " of " + std::to_string(pair.events.size());
      f.flows.push_back(std::move(e));
    }
    r.findings.push_back(std::move(f));
  }
}

void Watcher::Impl::AddIcmpFindings(WatchReport& r) {
  for (auto& [peer, s] : icmp) {
    WatchFinding f;
    f.check_id = "CB-WATCH-012";
    f.severity = WatchSeverity::kHigh;
    f.peer = peer;
    f.flow_count = s.packets;
    f.message = "data in ICMP echo payloads: " + std::to_string(s.packets) +
                " echo request" + (s.packets == 1 ? "" : "s") + " from the device to " + peer +
                " carry " + std::to_string(s.bytes) + " payload bytes that follow no ping pattern";
    f.facts = {{"packets", std::to_string(s.packets)}, {"payload_bytes", std::to_string(s.bytes)}};
    f.flows = std::move(s.examples);
    r.findings.push_back(std::move(f));
  }
}

void Watcher::Impl::AddAuditFindings(WatchReport& r, std::set<std::string>* undeclared_hosts) {
  std::map<std::string, const AuditEndpoint*> by_host;
  for (const AuditEndpoint& e : opts.audit_endpoints) by_host.emplace(e.host, &e);
  for (const auto& [host, e] : by_host) {
    if (internal::MudDeclaresHost(mud, host)) continue;
    undeclared_hosts->insert(host);
    WatchFinding f;
    f.check_id = "CB-WATCH-020";
    f.peer = host;
    f.image_locations = e->locations;
    if (f.image_locations.size() > opts.params.max_evidence) {
      f.image_locations.resize(opts.params.max_evidence);
    }
    std::string where = e->locations.empty() ? "" : " (" + e->locations.front().uri + ")";
    auto seen = audit_seen.find(host);
    if (seen != audit_seen.end()) {
      f.severity = WatchSeverity::kHigh;
      f.flow_count = seen->second.first;
      f.flows = seen->second.second;
      f.message = "endpoint " + host + " hard-coded in the image" + where +
                  " is not declared by the profile, and the device contacted it (" +
                  std::to_string(f.flow_count) + " flow" + (f.flow_count == 1 ? "" : "s") + ")";
    } else {
      f.severity = e->in_program_strings ? WatchSeverity::kLow : WatchSeverity::kMedium;
      f.message = "endpoint " + host + " hard-coded in the image" + where +
                  " is not declared by the profile (not contacted in this capture)";
    }
    f.facts = {{"audit_rule", e->rule},
               {"seen_on_wire", seen != audit_seen.end() ? "yes" : "no"}};
    r.findings.push_back(std::move(f));
  }
}

}  // namespace clearbox::watch
