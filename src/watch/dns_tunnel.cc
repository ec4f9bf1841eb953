// DNS tunnelling signs, per parent domain of the names the device asks for
// (docs/watch.md#dns-tunnelling).
#include <array>
#include <cmath>
#include <functional>

#include "watch_internal.h"

namespace clearbox::watch::internal {
namespace {

std::vector<std::string_view> Labels(std::string_view name) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    out.push_back(name.substr(start, dot - start));
    start = dot + 1;
  }
  return out;
}

std::string TypeName(uint16_t t) {
  switch (t) {
    case kDnsA: return "A";
    case kDnsAaaa: return "AAAA";
    case kDnsCname: return "CNAME";
    case kDnsTxt: return "TXT";
    case kDnsNull: return "NULL";
    case kDnsPtr: return "PTR";
    case kDnsNs: return "NS";
    default: return "TYPE" + std::to_string(t);
  }
}

}  // namespace

std::string ParentDomain(std::string_view name) {
  std::vector<std::string_view> labels = Labels(name);
  size_t keep = 2;
  // Second-level registries under a country code: example.co.uk, example.com.au.
  static constexpr std::array<std::string_view, 11> kSecondLevel = {
      "co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "mil"};
  if (labels.size() >= 3 && labels.back().size() == 2 &&
      std::find(kSecondLevel.begin(), kSecondLevel.end(), labels[labels.size() - 2]) !=
          kSecondLevel.end()) {
    keep = 3;
  }
  if (labels.size() <= keep) return std::string(name);
  size_t skip = 0;
  for (size_t i = 0; i < labels.size() - keep; ++i) skip += labels[i].size() + 1;
  return std::string(name.substr(skip));
}

double ShannonBits(std::string_view s) {
  if (s.empty()) return 0;
  std::array<size_t, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  double bits = 0, n = static_cast<double>(s.size());
  for (size_t c : counts) {
    if (c == 0) continue;
    double p = static_cast<double>(c) / n;
    bits -= p * std::log2(p);
  }
  return bits;
}

void TunnelTracker::OnQuery(uint64_t number, int64_t ts_ns, const DecodedPacket& d,
                            const DnsMessage& m) {
  if (m.response) return;
  size_t asked = 0;
  for (const DnsQuestion& q : m.questions) {
    if (++asked > 4) break;  // one question is the norm; a flood of them is not read
    std::string parent = ParentDomain(q.name);
    // Reverse lookups: long strings of hex digits by design.
    if (parent == "in-addr.arpa" || parent == "ip6.arpa" || parent.empty()) continue;
    auto it = parents_.find(parent);
    if (it == parents_.end()) {
      if (parents_.size() >= p_.tunnel_max_parents) continue;
      it = parents_.emplace(parent, Parent{}).first;
      it->second.first_ns = ts_ns;
    }
    Parent& s = it->second;
    ++s.queries;
    s.last_ns = ts_ns;
    s.name_bytes += q.name.size();
    if (s.resolvers.size() < 8) s.resolvers.insert(d.dst.ToString());
    const bool txt_null = q.type == kDnsTxt || q.type == kDnsNull;
    if (txt_null) ++s.txt_null;
    if (q.name.size() <= parent.size()) continue;  // the parent itself: no subdomain
    std::string_view sub = std::string_view(q.name).substr(0, q.name.size() - parent.size() - 1);
    if (s.unique.size() < 100'000) s.unique.insert(std::hash<std::string_view>{}(sub));
    size_t longest = 0;
    std::string flat;
    for (std::string_view label : Labels(sub)) {
      longest = std::max(longest, label.size());
      flat += label;
    }
    double bits = flat.size() >= p_.tunnel_entropy_min_length ? ShannonBits(flat) : 0;
    s.longest_label = std::max<uint64_t>(s.longest_label, longest);
    s.max_entropy = std::max(s.max_entropy, bits);
    bool suspicious = longest >= p_.tunnel_long_label || bits >= p_.tunnel_entropy_bits;
    if (!suspicious) continue;
    ++s.suspicious;
    if (s.examples.size() < p_.max_evidence) {
      FlowEvidence e;
      e.first_ns = e.last_ns = ts_ns;
      e.orig_h = d.src.ToString();
      e.resp_h = d.dst.ToString();
      e.orig_p = d.src_port;
      e.resp_p = d.dst_port;
      e.proto = d.protocol;
      e.orig_bytes = d.payload_length;
      e.orig_pkts = 1;
      e.packets = {number};
      e.note = "query " + q.name + " " + TypeName(q.type);
      s.examples.push_back(std::move(e));
    }
  }
}

std::vector<WatchFinding> TunnelTracker::Findings() const {
  std::vector<WatchFinding> out;
  for (const auto& [parent, s] : parents_) {
    if (s.unique.size() < p_.tunnel_min_unique) continue;
    if (s.suspicious < p_.tunnel_min_suspicious && s.txt_null < p_.tunnel_min_txt_null) continue;
    WatchFinding f;
    f.check_id = "CB-WATCH-010";
    f.severity = WatchSeverity::kHigh;
    f.peer = parent;
    char entropy[32];
    std::snprintf(entropy, sizeof entropy, "%.2f", s.max_entropy);
    f.message = "DNS tunnelling signs under " + parent + ": " + std::to_string(s.queries) +
                " queries for " + std::to_string(s.unique.size()) + " unique subdomains, " +
                std::to_string(s.suspicious) + " with a long or high-entropy subdomain (longest " +
                "label " + std::to_string(s.longest_label) + ", up to " + entropy +
                " bits a character), " + std::to_string(s.txt_null) + " TXT/NULL";
    f.flows = s.examples;
    f.flow_count = s.queries;
    f.facts = {{"queries", std::to_string(s.queries)},
               {"unique_subdomains", std::to_string(s.unique.size())},
               {"suspicious_queries", std::to_string(s.suspicious)},
               {"txt_null_queries", std::to_string(s.txt_null)},
               {"longest_label", std::to_string(s.longest_label)},
               {"max_entropy_bits", entropy},
               {"query_name_bytes", std::to_string(s.name_bytes)}};
    std::string resolvers;
    for (const std::string& r : s.resolvers) resolvers += (resolvers.empty() ? "" : " ") + r;
    f.facts["resolvers"] = resolvers;
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace clearbox::watch::internal
