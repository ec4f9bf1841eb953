// IPv4/IPv6 fragment reassembly with bounded memory (include/clearbox/watch/packet.h).
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "clearbox/watch/packet.h"
#include "watch/packet_internal.h"

namespace clearbox::watch {

using internal::Flag;
using internal::WalkIpv6Chain;

namespace {
struct FragKey {
  IpAddress src, dst;
  uint32_t id;
  uint8_t protocol;
  bool operator==(const FragKey&) const = default;
};
struct FragKeyHash {
  size_t operator()(const FragKey& k) const {
    IpAddressHash h;
    return h(k.src) * 31 + h(k.dst) * 7 + k.id * 0x9E3779B1u + k.protocol;
  }
};
struct Datagram {
  int64_t first_ns = 0;
  Bytes data;
  std::vector<std::pair<uint32_t, uint32_t>> ranges;  // [begin, end), sorted
  uint32_t total = 0;  // known when the last fragment arrived
};
}  // namespace

struct Reassembler::Impl {
  ReassemblyLimits limits;
  std::unordered_map<FragKey, Datagram, FragKeyHash> pending;
  size_t bytes = 0;
  Bytes out;

  void Drop(std::unordered_map<FragKey, Datagram, FragKeyHash>::iterator it) {
    bytes -= it->second.data.size();
    pending.erase(it);
  }
};

Reassembler::Reassembler(ReassemblyLimits limits) : impl_(new Impl) { impl_->limits = limits; }
Reassembler::~Reassembler() { delete impl_; }
size_t Reassembler::pending() const { return impl_->pending.size(); }
size_t Reassembler::bytes_held() const { return impl_->bytes; }

void Reassembler::Expire(int64_t now_ns) {
  for (auto it = impl_->pending.begin(); it != impl_->pending.end();) {
    auto next = std::next(it);
    if (now_ns - it->second.first_ns > impl_->limits.timeout_ns) impl_->Drop(it);
    it = next;
  }
}

bool Reassembler::Add(DecodedPacket* d, int64_t ts_ns) {
  Impl& m = *impl_;
  if (d->fragment != FragmentState::kFragment) return false;
  FragKey key{d->src, d->dst, d->frag_id, d->ip_version == 4 ? d->protocol : uint8_t(0)};
  uint32_t begin = d->frag_offset;
  uint64_t end = uint64_t(begin) + d->payload.size();
  if (end > 65535) {
    Flag(d, Anomaly::kFragmentTooLarge, 0, end, 65535);
    auto it = m.pending.find(key);
    if (it != m.pending.end()) m.Drop(it);
    return false;
  }
  auto it = m.pending.find(key);
  if (it == m.pending.end()) {
    if (m.pending.size() >= m.limits.max_datagrams) {
      // Make room from the oldest; a flood of never-completed datagrams cannot grow memory.
      auto oldest = std::min_element(m.pending.begin(), m.pending.end(), [](auto& a, auto& b) {
        return a.second.first_ns < b.second.first_ns;
      });
      m.Drop(oldest);
      Flag(d, Anomaly::kFragmentLimit, 0, m.limits.max_datagrams + 1, m.limits.max_datagrams);
    }
    it = m.pending.emplace(key, Datagram{}).first;
    it->second.first_ns = ts_ns;
  }
  Datagram& g = it->second;
  if (g.ranges.size() >= m.limits.max_fragments) {
    Flag(d, Anomaly::kFragmentLimit, 0, g.ranges.size() + 1, m.limits.max_fragments);
    m.Drop(it);
    return false;
  }
  if ((g.total && end > g.total) || (!d->more_fragments && g.total && end != g.total) ||
      (!d->more_fragments && !g.ranges.empty() && g.ranges.back().second > end)) {
    Flag(d, Anomaly::kFragmentTooLarge, 0, end, g.total ? g.total : g.ranges.back().second);
    m.Drop(it);
    return false;
  }
  if (end > g.data.size()) {
    size_t grow = end - g.data.size();
    if (m.bytes + grow > m.limits.max_bytes) {
      Flag(d, Anomaly::kFragmentLimit, 0, m.bytes + grow, m.limits.max_bytes);
      m.Drop(it);
      return false;
    }
    g.data.resize(end);
    m.bytes += grow;
  }
  // Overlap with held bytes: accept identical copies, drop the datagram on a difference.
  for (auto [b0, e0] : g.ranges) {
    uint32_t lo = std::max(b0, begin), hi = std::min<uint32_t>(e0, uint32_t(end));
    if (lo < hi && std::memcmp(g.data.data() + lo, d->payload.data() + (lo - begin), hi - lo) != 0) {
      Flag(d, Anomaly::kFragmentOverlap, 0, lo, hi);
      m.Drop(it);
      return false;
    }
  }
  if (!d->payload.empty()) std::memcpy(g.data.data() + begin, d->payload.data(), d->payload.size());
  if (!d->more_fragments) g.total = uint32_t(end);
  // Insert and merge the range.
  g.ranges.emplace_back(begin, uint32_t(end));
  std::sort(g.ranges.begin(), g.ranges.end());
  std::vector<std::pair<uint32_t, uint32_t>> merged;
  for (auto r : g.ranges) {
    if (!merged.empty() && r.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  // Keep the per-fragment count for the limit, but test completeness on the merged ranges.
  bool complete = g.total && merged.size() == 1 && merged[0].first == 0 &&
                  merged[0].second == g.total;
  if (!complete) return false;
  m.bytes -= g.data.size();
  m.out.swap(g.data);
  uint8_t protocol = d->protocol;
  m.pending.erase(it);
  d->fragment = FragmentState::kReassembled;
  d->more_fragments = false;
  d->frag_offset = 0;
  ByteView buf(m.out);
  size_t pos = 0;
  if (d->ip_version == 6) {
    uint8_t nh = protocol;
    if (!WalkIpv6Chain(buf, 0, &nh, &pos, d)) {
      d->fragment = FragmentState::kReassembled;
      return true;
    }
    protocol = nh;
  }
  DecodeTransport(protocol, buf.subspan(pos), uint32_t(buf.size() - pos), 0, d);
  return true;
}

}  // namespace clearbox::watch
