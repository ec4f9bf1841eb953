// Flow table (include/clearbox/watch/flow.h): open addressing over flows kept in fixed-size
// chunks (no reallocation of the flows themselves, so the peak is not twice the table), and
// three timeout lists in queue order. A packet does not move its flow in the list: when the
// head's queue time is past the timeout but the flow was active since, it is queued again at
// the tail. A flow thus leaves between one and two timeouts after its last packet, and the hot
// path touches only the flow itself.
#include "clearbox/watch/flow.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace clearbox::watch {

namespace {

uint64_t Mix(uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t EndpointHash(const IpAddress& a, uint16_t port) {
  return Mix(LoadLE64(a.bytes.data()) ^ Mix(LoadLE64(a.bytes.data() + 8) + a.family) ^
             (uint64_t(port) << 48));
}

// Symmetric: the same for both directions.
uint64_t FlowHash(const IpAddress& a, uint16_t pa, const IpAddress& b, uint16_t pb, uint8_t proto) {
  return Mix(EndpointHash(a, pa) + EndpointHash(b, pb) + proto);
}

// ICMP request/reply pairs share a flow; the responder "port" is the counterpart type (Zeek).
int IcmpCounterpart(uint8_t proto, uint8_t type, bool* is_request) {
  static const uint8_t v4[][2] = {{8, 0}, {13, 14}, {15, 16}, {17, 18}, {10, 9}};
  static const uint8_t v6[][2] = {{128, 129}, {130, 131}, {133, 134}, {135, 136}};
  auto look = [&](auto& table) {
    for (auto& p : table) {
      if (p[0] == type) { *is_request = true; return int(p[1]); }
      if (p[1] == type) { *is_request = false; return int(p[0]); }
    }
    return -1;
  };
  return proto == kProtoIcmp ? look(v4) : look(v6);
}

bool PortsOf(const DecodedPacket& d, uint16_t* sport, uint16_t* dport) {
  switch (d.protocol) {
    case kProtoTcp:
    case kProtoUdp:
      if (!d.has_transport) return false;
      *sport = d.src_port;
      *dport = d.dst_port;
      return true;
    case kProtoIcmp:
    case kProtoIcmpv6: {
      if (!d.has_transport) return false;
      bool request = false;
      int other = IcmpCounterpart(d.protocol, d.icmp_type, &request);
      if (other < 0) {
        *sport = d.icmp_type;
        *dport = d.icmp_code;
      } else {
        *sport = d.icmp_type;
        *dport = uint16_t(other);
      }
      return true;
    }
    default:
      *sport = *dport = 0;
      return true;
  }
}

// Zeek's TOO_LARGE_SEQ_DELTA: a SYN or RST this far from what was seen is not trusted.
constexpr int32_t kTooLargeSeqDelta = 1 << 20;

// One side's sequence space (Zeek's TCP_Endpoint: start_seq, and the larger of last_seq and
// ack_seq, kept as one 64-bit offset from the start).
struct SeqSide {
  uint32_t& isn;
  uint64_t& high;
  uint64_t& retrans;
  uint64_t& bytes;
  bool known;
  bool fin;   // a FIN seen from this side (after this packet)
  bool rst;   // a RST seen from this side before this packet
  uint32_t Now() const { return isn + uint32_t(high); }
  void Advance(uint32_t to) {
    int32_t delta = int32_t(to - Now());
    if (delta > 0) high += uint64_t(delta);
  }
  // Zeek's TCP_Endpoint::Size: the SYN and a FIN take one sequence number each.
  void UpdateBytes() {
    uint64_t n = high;
    if (n != 0) --n;
    if (fin && n != 0) --n;
    bytes = n;
  }
};

// Sequence-number accounting for one TCP segment from `self` (Zeek's TCPSessionAdapter::
// Process: init_endpoint, update_last_seq, update_ack_seq, init_peer).
void TrackSequence(const DecodedPacket& d, SeqSide& self, SeqSide& peer, uint16_t* known_bits,
                   uint16_t self_bit, uint16_t peer_bit) {
  const bool syn = d.tcp_flags & kTcpSyn, fin = d.tcp_flags & kTcpFin,
             rst = d.tcp_flags & kTcpRst, ack = d.tcp_flags & kTcpAck;
  // A RST's payload is not part of the stream; SYN and FIN take a sequence number each.
  const uint32_t len = rst ? 0 : d.payload_length;
  const uint32_t end = d.seq + len + (syn ? 1 : 0) + (fin ? 1 : 0);
  if (!self.known || (syn && d.seq != self.isn && !self.rst)) {
    // First packet of this side, or a SYN starting the connection over. Without a SYN, count
    // from one before the first byte, as though a SYN had been seen.
    self.isn = syn ? d.seq : d.seq - 1;
    self.high = uint32_t(end - self.isn);
    self.known = true;
    *known_bits |= self_bit;
  } else {
    const int32_t delta = int32_t(end - self.Now());
    if (len > 0) {
      // Payload at or below the highest sequence number already covered: sent again.
      const uint32_t data_seq = d.seq + (syn ? 1 : 0);
      const int32_t below = int32_t(self.Now() - data_seq);
      if (below > 0) self.retrans += std::min<uint64_t>(len, uint32_t(below));
    }
    if ((syn || rst) && (delta > kTooLargeSeqDelta || delta < -kTooLargeSeqDelta)) {
      // Not trusted (Zeek: a SYN or RST far off is more likely forged than real).
    } else if (fin && self.high == 1) {
      // Only the SYN seen so far: take the FIN's number even if it looks behind (a > 2 GiB
      // connection seen only by its SYN and FIN).
      self.high = uint32_t(end - self.isn);
    } else if (!self.rst && delta > 0) {
      self.high += uint64_t(delta);  // after a RST from this side, its numbers are not trusted
    }
  }
  if (ack) {
    if (!peer.known) {
      // The peer's start, from what it has had acknowledged (Zeek's init_peer).
      peer.isn = d.ack - 1;
      peer.high = 0;
      peer.known = true;
      *known_bits |= peer_bit;
    } else if (!rst) {  // a RST's acknowledgement number is not trusted
      const int32_t delta = int32_t(d.ack - peer.Now());
      // An ack of 0 far ahead is more likely broken than a connection landing on 0 (Zeek).
      if (!(d.ack == 0 && delta > kTooLargeSeqDelta) && delta > 0) peer.high += uint64_t(delta);
    }
  }
  self.UpdateBytes();
  peer.UpdateBytes();
}

}  // namespace

std::string_view Flow::ConnState() const {
  if (proto != kProtoTcp) return resp_pkts ? "SF" : "S0";
  bool osyn = tcp & kSeenOrigSyn, rsynack = tcp & kSeenRespSynAck;
  bool ofin = tcp & kSeenOrigFin, rfin = tcp & kSeenRespFin;
  bool orst = tcp & kSeenOrigRst, rrst = tcp & kSeenRespRst;
  if (osyn && rsynack) {
    if (orst) return "RSTO";
    if (rrst) return "RSTR";
    if (ofin && rfin) return "SF";
    if (ofin) return "S2";
    if (rfin) return "S3";
    return "S1";
  }
  if (osyn) {
    if (rrst) return "REJ";
    if (orst) return "RSTOS0";
    if (ofin) return "SH";
    return "S0";
  }
  if (rsynack) {
    if (rrst) return "RSTRH";
    if (rfin) return "SHR";
  }
  return "OTH";
}

std::string Flow::Uid() const {
  static const char kB62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string s = "C";
  uint64_t v = uid;
  for (int i = 0; i < 11; ++i) {
    s.push_back(kB62[v % 62]);
    v /= 62;
  }
  return s;
}

FlowTable::FlowTable(FlowLimits limits, Sink sink)
    : limits_(limits), sink_(std::move(sink)), slots_(1024, 0) {}
FlowTable::~FlowTable() = default;

const std::vector<std::string>& FlowTable::ResponderNames(const Flow& f) const {
  return name_sets_[f.names < name_sets_.size() ? f.names : 0];
}

uint64_t FlowTable::HashOf(const Flow& f) const {
  return FlowHash(f.orig_h, f.orig_p, f.resp_h, f.resp_p, f.proto);
}

uint32_t FlowTable::Find(const DecodedPacket& d, uint16_t sport, uint16_t dport,
                         uint64_t hash) const {
  size_t mask = slots_.size() - 1;
  for (size_t s = hash & mask;; s = (s + 1) & mask) {
    uint32_t i = slots_[s];
    if (i == 0) return 0;
    const Flow& f = chunks_[i >> kChunkBits][i & kChunkMask];
    if (f.proto == d.protocol &&
        ((f.orig_p == sport && f.resp_p == dport && f.orig_h == d.src && f.resp_h == d.dst) ||
         (f.orig_p == dport && f.resp_p == sport && f.orig_h == d.dst && f.resp_h == d.src))) {
      return i;
    }
  }
}

void FlowTable::Grow() {
  std::vector<uint32_t> old;
  old.swap(slots_);
  slots_.assign(old.size() * 2, 0);
  size_t mask = slots_.size() - 1;
  for (uint32_t i : old) {
    if (i == 0) continue;
    size_t s = HashOf(At(i)) & mask;
    while (slots_[s] != 0) s = (s + 1) & mask;
    slots_[s] = i;
  }
}

uint32_t FlowTable::NewFlow() {
  uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
  } else {
    i = allocated_++;
    if ((i >> kChunkBits) >= chunks_.size()) chunks_.push_back(std::make_unique<Flow[]>(kChunkMask + 1));
  }
  At(i) = Flow();
  return i;
}

void FlowTable::Unlink(uint32_t i) {
  Flow& f = At(i);
  if (f.prev) At(f.prev).next = f.next; else head_[f.list] = f.next;
  if (f.next) At(f.next).prev = f.prev; else tail_[f.list] = f.prev;
  f.prev = f.next = 0;
}

void FlowTable::PushBack(uint32_t i, uint8_t list, int64_t now) {
  Flow& f = At(i);
  f.list = list;
  f.queued_ns = now;
  f.prev = tail_[list];
  f.next = 0;
  if (tail_[list]) At(tail_[list]).next = i; else head_[list] = i;
  tail_[list] = i;
}

void FlowTable::EraseSlot(size_t s) {
  // Backward-shift deletion keeps every probe chain unbroken without tombstones.
  size_t mask = slots_.size() - 1;
  size_t i = s;
  for (size_t j = (i + 1) & mask; slots_[j] != 0; j = (j + 1) & mask) {
    size_t home = HashOf(At(slots_[j])) & mask;
    bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
    if (movable) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = 0;
}

void FlowTable::Emit(uint32_t i) {
  Unlink(i);
  size_t mask = slots_.size() - 1;
  for (size_t s = HashOf(At(i)) & mask;; s = (s + 1) & mask) {
    if (slots_[s] == i) {
      EraseSlot(s);
      break;
    }
  }
  if (sink_) sink_(At(i));
  free_.push_back(i);
  --count_;
}

void FlowTable::Expire(int64_t now) {
  const int64_t timeout[3] = {limits_.closed_timeout_ns, limits_.idle_timeout_ns,
                              limits_.established_timeout_ns};
  for (int l = 0; l < 3; ++l) {
    while (head_[l]) {
      uint32_t i = head_[l];
      Flow& f = At(i);
      if (f.queued_ns + timeout[l] > now) break;
      if (f.last_ns + timeout[l] <= now) {
        Emit(i);
      } else {
        Unlink(i);
        PushBack(i, uint8_t(l), now);
      }
    }
  }
}

void FlowTable::Flush() {
  std::vector<uint32_t> live;
  live.reserve(count_);
  for (int l = 0; l < 3; ++l) {
    for (uint32_t i = head_[l]; i; i = At(i).next) live.push_back(i);
  }
  std::sort(live.begin(), live.end(), [&](uint32_t a, uint32_t b) {
    return At(a).first_ns != At(b).first_ns ? At(a).first_ns < At(b).first_ns : a < b;
  });
  for (uint32_t i : live) Emit(i);
}

void FlowTable::Add(uint64_t number, int64_t ts, const DecodedPacket& d, const NamesFn* names) {
  if (d.ip_version == 0 || d.fragment == FragmentState::kFragment) return;
  uint16_t sport = 0, dport = 0;
  if (!PortsOf(d, &sport, &dport)) return;
  Expire(ts);
  uint64_t hash = FlowHash(d.src, sport, d.dst, dport, d.protocol);
  uint32_t i = Find(d, sport, dport, hash);
  if (i == 0) {
    if (count_ >= limits_.max_flows) {
      // Full: push out the flow queued longest ago, whichever list it is on.
      int best = -1;
      for (int l = 0; l < 3; ++l) {
        if (head_[l] && (best < 0 || At(head_[l]).queued_ns < At(head_[best]).queued_ns)) best = l;
      }
      if (best >= 0) {
        Emit(head_[best]);
        ++evicted_early_;
      }
    }
    if ((count_ + 1) * 2 > slots_.size()) Grow();
    i = NewFlow();
    Flow& f = At(i);
    bool turn = d.protocol == kProtoTcp && (d.tcp_flags & (kTcpSyn | kTcpAck)) == (kTcpSyn | kTcpAck);
    if (d.protocol == kProtoIcmp || d.protocol == kProtoIcmpv6) {
      bool request = true;
      turn = IcmpCounterpart(d.protocol, d.icmp_type, &request) >= 0 && !request;
    }
    f.orig_h = turn ? d.dst : d.src;
    f.resp_h = turn ? d.src : d.dst;
    f.orig_p = turn ? dport : sport;
    f.resp_p = turn ? sport : dport;
    f.proto = d.protocol;
    f.first_ns = f.last_ns = ts;
    f.uid = Mix(next_uid_++ ^ 0x636c656172626f78ull);
    if (names && *names) {
      std::vector<std::string> n = (*names)(f.orig_h, f.resp_h);
      if (!n.empty()) {
        std::string joined;
        for (auto& s : n) joined += s + '\n';
        auto it = name_set_index_.find(joined);
        if (it != name_set_index_.end()) {
          f.names = it->second;
        } else if (name_sets_.size() < 65536) {  // bounded; past it a flow carries no names
          f.names = uint32_t(name_sets_.size());
          name_set_index_.emplace(std::move(joined), f.names);
          name_sets_.push_back(std::move(n));
        }
      }
    }
    size_t mask = slots_.size() - 1;
    size_t s = hash & mask;
    while (slots_[s] != 0) s = (s + 1) & mask;
    slots_[s] = i;
    ++count_;
    PushBack(i, 1, ts);
  }
  Flow& f = At(i);
  bool from_orig = f.orig_p == sport && f.orig_h == d.src && (f.resp_h == d.dst && f.resp_p == dport);
  if (from_orig) {
    ++f.orig_pkts;
    if (d.protocol != kProtoTcp) f.orig_bytes += d.payload_length;
    f.orig_ip_bytes += d.ip_length;
  } else {
    ++f.resp_pkts;
    if (d.protocol != kProtoTcp) f.resp_bytes += d.payload_length;
    f.resp_ip_bytes += d.ip_length;
  }
  if (d.protocol == kProtoTcp) {
    // Before this packet's flags are recorded: "a RST seen before" means an earlier one.
    SeqSide orig{f.orig_isn, f.orig_seq_high, f.orig_retrans_bytes, f.orig_bytes,
                 bool(f.tcp & kOrigSeqKnown), bool((f.tcp & kSeenOrigFin) || (from_orig && (d.tcp_flags & kTcpFin))),
                 bool(f.tcp & kSeenOrigRst)};
    SeqSide resp{f.resp_isn, f.resp_seq_high, f.resp_retrans_bytes, f.resp_bytes,
                 bool(f.tcp & kRespSeqKnown), bool((f.tcp & kSeenRespFin) || (!from_orig && (d.tcp_flags & kTcpFin))),
                 bool(f.tcp & kSeenRespRst)};
    if (from_orig) {
      TrackSequence(d, orig, resp, &f.tcp, kOrigSeqKnown, kRespSeqKnown);
    } else {
      TrackSequence(d, resp, orig, &f.tcp, kRespSeqKnown, kOrigSeqKnown);
    }
  }
  uint64_t n = uint64_t(f.orig_pkts) + f.resp_pkts;
  if (n <= 3) f.first_packets[n - 1] = number;
  if (ts > f.last_ns) f.last_ns = ts;
  if (d.protocol == kProtoTcp) {
    uint8_t fl = d.tcp_flags;
    bool syn = fl & kTcpSyn, ack = fl & kTcpAck;
    if (from_orig) {
      if (syn) f.tcp |= ack ? kSeenOrigSynAck : kSeenOrigSyn;
      if (fl & kTcpFin) f.tcp |= kSeenOrigFin;
      if (fl & kTcpRst) f.tcp |= kSeenOrigRst;
    } else {
      if (syn) f.tcp |= ack ? kSeenRespSynAck : kSeenRespSyn;
      if (fl & kTcpFin) f.tcp |= kSeenRespFin;
      if (fl & kTcpRst) f.tcp |= kSeenRespRst;
    }
    uint8_t list = 1;
    if ((f.tcp & (kSeenOrigRst | kSeenRespRst)) ||
        ((f.tcp & kSeenOrigFin) && (f.tcp & kSeenRespFin))) {
      list = 0;
    } else if ((f.tcp & kSeenOrigSyn) && (f.tcp & kSeenRespSynAck)) {
      list = 2;
    }
    if (list != f.list) {
      Unlink(i);
      PushBack(i, list, ts);
    }
  }
}

std::string FlowToJson(const Flow& f, const FlowTable& table) {
  // Written by hand: one line per flow at up to a million flows, and nlohmann's ordered_json
  // (an allocation per field) took a third of the benchmark's time (bench/README.md, watch).
  // Every value but the DNS names is a number or an address: only the names need escaping.
  const char* proto = f.proto == kProtoTcp   ? "tcp"
                      : f.proto == kProtoUdp ? "udp"
                      : (f.proto == kProtoIcmp || f.proto == kProtoIcmpv6) ? "icmp"
                                                                           : nullptr;
  std::string proto_num = proto ? "" : std::to_string(f.proto);
  auto u = [](uint64_t v) { return (unsigned long long)v; };
  char buf[640];
  int n = std::snprintf(
      buf, sizeof buf,
      "{\"ts\":%lld.%06lld,\"uid\":\"%s\",\"id.orig_h\":\"%s\",\"id.orig_p\":%u,"
      "\"id.resp_h\":\"%s\",\"id.resp_p\":%u,\"proto\":\"%s\",\"duration\":%lld.%06lld,"
      "\"orig_bytes\":%llu,\"resp_bytes\":%llu,\"conn_state\":\"%.*s\",\"orig_pkts\":%llu,"
      "\"orig_ip_bytes\":%llu,\"resp_pkts\":%llu,\"resp_ip_bytes\":%llu,\"first_packets\":[",
      (long long)(f.first_ns / 1'000'000'000), (long long)(f.first_ns % 1'000'000'000 / 1000),
      f.Uid().c_str(), f.orig_h.ToString().c_str(), f.orig_p, f.resp_h.ToString().c_str(), f.resp_p,
      proto ? proto : proto_num.c_str(), (long long)((f.last_ns - f.first_ns) / 1'000'000'000),
      (long long)((f.last_ns - f.first_ns) % 1'000'000'000 / 1000), u(f.orig_bytes), u(f.resp_bytes),
      int(f.ConnState().size()), f.ConnState().data(), u(f.orig_pkts), u(f.orig_ip_bytes),
      u(f.resp_pkts), u(f.resp_ip_bytes));
  std::string out(buf, size_t(std::min<int>(n, int(sizeof buf) - 1)));
  bool first = true;
  for (uint64_t p : f.first_packets) {
    if (!p) continue;
    if (!first) out.push_back(',');
    out += std::to_string(p);
    first = false;
  }
  out.push_back(']');
  if (f.orig_retrans_bytes || f.resp_retrans_bytes) {
    out += ",\"retrans_bytes\":[" + std::to_string(f.orig_retrans_bytes) + ',' +
           std::to_string(f.resp_retrans_bytes) + ']';
  }
  const auto& names = table.ResponderNames(f);
  if (!names.empty()) out += ",\"resp_names\":" + nlohmann::json(names).dump();
  out.push_back('}');
  return out;
}

Result<DeviceSelector> DeviceSelector::Parse(std::string_view text) {
  DeviceSelector s;
  if (auto mac = ParseMac(text); mac.ok()) {
    s.mac = *mac;
    return s;
  }
  auto ip = IpAddress::Parse(text);
  if (!ip.ok()) {
    return Error::InvalidInput("device '" + std::string(text) +
                               "' is neither a MAC (aa:bb:cc:dd:ee:ff) nor an IP address");
  }
  s.ip = *ip;
  return s;
}

bool DeviceSelector::Matches(const DecodedPacket& d) const {
  if (mac && !(d.has_mac && (d.src_mac == *mac || d.dst_mac == *mac))) return false;
  if (ip && !(d.ip_version && (d.src == *ip || d.dst == *ip))) return false;
  return true;
}

}  // namespace clearbox::watch
