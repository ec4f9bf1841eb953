// DNS message parser and the per-device name tracker (include/clearbox/watch/dns.h).
#include "clearbox/watch/dns.h"

#include <algorithm>
#include <limits>

namespace clearbox::watch {

namespace {

std::string At(size_t offset) { return " at offset " + std::to_string(offset); }

void AppendLabel(std::string* out, const uint8_t* p, size_t n) {
  static const char kHex[] = "0123456789";
  for (size_t i = 0; i < n; ++i) {
    uint8_t c = p[i];
    if (c >= 'A' && c <= 'Z') c = uint8_t(c - 'A' + 'a');
    if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
      out->push_back(char(c));
    } else {  // RFC 4343 \DDD, so that a label holding '.' cannot pose as two labels
      out->push_back('\\');
      out->push_back(kHex[c / 100]);
      out->push_back(kHex[c / 10 % 10]);
      out->push_back(kHex[c % 10]);
    }
  }
}

}  // namespace

Result<std::string> ReadDnsName(ByteView msg, size_t* offset) {
  std::string name;
  size_t pos = *offset;
  size_t segment_start = pos;  // where reading began after the last jump
  size_t after = 0;            // the offset after the name in the original place
  bool jumped = false;
  int jumps = 0;
  size_t wire_len = 0;
  for (;;) {
    if (pos >= msg.size()) return Error::InvalidInput("DNS name runs past the end" + At(pos));
    uint8_t len = msg[pos];
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= msg.size())
        return Error::InvalidInput("DNS compression pointer cut by the end" + At(pos));
      size_t target = size_t(len & 0x3f) << 8 | msg[pos + 1];
      if (target >= msg.size()) {
        return Error::InvalidInput("DNS compression pointer" + At(pos) + " points past the end (to " +
                                   std::to_string(target) + ", message is " +
                                   std::to_string(msg.size()) + " bytes)");
      }
      // Each jump must go strictly before where the previous one landed: no loop can form.
      if (target >= segment_start || ++jumps > kMaxDnsPointers) {
        return Error::InvalidInput("DNS compression pointer loop" + At(pos) + " (points to " +
                                   std::to_string(target) + ")");
      }
      if (!jumped) after = pos + 2;
      jumped = true;
      pos = target;
      segment_start = target;
      continue;
    }
    if ((len & 0xc0) != 0)
      return Error::InvalidInput("DNS label type " + std::to_string(len >> 6) + " unsupported" + At(pos));
    if (len == 0) {
      if (!jumped) after = pos + 1;
      break;
    }
    if (!FitsIn(msg, pos + 1, len))
      return Error::InvalidInput("DNS label of " + std::to_string(len) + " bytes runs past the end" + At(pos));
    wire_len += 1 + size_t(len);
    if (wire_len + 1 > 255) return Error::InvalidInput("DNS name longer than 255 bytes" + At(*offset));
    if (!name.empty()) name.push_back('.');
    AppendLabel(&name, msg.data() + pos + 1, len);
    pos += 1 + size_t(len);
  }
  *offset = after;
  return name;
}

namespace {

Status ReadRecords(ByteView msg, size_t* pos, size_t count, const char* section,
                   std::vector<DnsRecord>* out, DnsMessage* m) {
  for (size_t i = 0; i < count; ++i) {
    size_t start = *pos;
    auto name = ReadDnsName(msg, pos);
    if (!name.ok()) return name.error().WithContext(std::string(section) + " record " + std::to_string(i));
    if (!FitsIn(msg, *pos, 10))
      return Error::InvalidInput(std::string(section) + " record " + std::to_string(i) + " header cut" + At(*pos));
    const uint8_t* p = msg.data() + *pos;
    DnsRecord r;
    r.name = std::move(*name);
    r.type = LoadBE16(p);
    r.klass = LoadBE16(p + 2);
    r.ttl = LoadBE32(p + 4);
    size_t rdlen = LoadBE16(p + 8);
    size_t rd = *pos + 10;
    if (!FitsIn(msg, rd, rdlen)) {
      return Error::InvalidInput(std::string(section) + " record " + std::to_string(i) + " RDATA of " +
                                 std::to_string(rdlen) + " bytes runs past the end" + At(rd));
    }
    *pos = rd + rdlen;
    ByteView rdata = msg.subspan(rd, rdlen);
    auto bad = [&](const std::string& what) {
      return Error::InvalidInput(std::string(section) + " record " + std::to_string(i) + ": " + what + At(rd));
    };
    switch (r.type) {
      case kDnsA:
        if (rdlen != 4) return bad("A RDATA is " + std::to_string(rdlen) + " bytes, not 4");
        r.address = IpAddress::V4(rdata.data());
        break;
      case kDnsAaaa:
        if (rdlen != 16) return bad("AAAA RDATA is " + std::to_string(rdlen) + " bytes, not 16");
        r.address = IpAddress::V6(rdata.data());
        break;
      case kDnsCname:
      case kDnsNs:
      case kDnsPtr: {
        size_t o = rd;
        auto target = ReadDnsName(msg.first(rd + rdlen), &o);
        if (!target.ok()) return target.error().WithContext(std::string(section) + " record " + std::to_string(i));
        r.target = std::move(*target);
        break;
      }
      case kDnsTxt:
        for (size_t o = 0; o < rdlen;) {
          size_t n = rdata[o];
          if (!FitsIn(rdlen, o + 1, n)) return bad("TXT string runs past the RDATA");
          r.txt.emplace_back(reinterpret_cast<const char*>(rdata.data() + o + 1), n);
          o += 1 + n;
        }
        break;
      case kDnsOpt:
        if (out == &m->additional) {
          m->edns_udp_size = r.klass;
          m->rcode = uint8_t(m->rcode | ((r.ttl >> 24) << 4));
          m->edns_version = uint8_t(r.ttl >> 16);
          m->edns_do = r.ttl & 0x8000;
          continue;
        }
        r.rdata.assign(rdata.begin(), rdata.end());
        break;
      default:
        r.rdata.assign(rdata.begin(), rdata.end());
    }
    (void)start;
    out->push_back(std::move(r));
  }
  return Status::Ok();
}

}  // namespace

Result<DnsMessage> ParseDnsMessage(ByteView msg) {
  if (msg.size() < 12)
    return Error::InvalidInput("DNS message of " + std::to_string(msg.size()) + " bytes, header needs 12");
  DnsMessage m;
  const uint8_t* p = msg.data();
  m.id = LoadBE16(p);
  m.response = p[2] & 0x80;
  m.opcode = (p[2] >> 3) & 0x0f;
  m.truncated = p[2] & 0x02;
  m.rcode = p[3] & 0x0f;
  size_t qd = LoadBE16(p + 4), an = LoadBE16(p + 6), ns = LoadBE16(p + 8), ar = LoadBE16(p + 10);
  for (size_t c : {qd, an, ns, ar}) {
    if (c > kMaxDnsRecords)
      return Error::InvalidInput("DNS header claims " + std::to_string(c) + " records in a section (cap " +
                                 std::to_string(kMaxDnsRecords) + ")");
  }
  size_t pos = 12;
  for (size_t i = 0; i < qd; ++i) {
    auto name = ReadDnsName(msg, &pos);
    if (!name.ok()) return name.error().WithContext("question " + std::to_string(i));
    if (!FitsIn(msg, pos, 4)) return Error::InvalidInput("question " + std::to_string(i) + " cut" + At(pos));
    m.questions.push_back({std::move(*name), LoadBE16(p + pos), LoadBE16(p + pos + 2)});
    pos += 4;
  }
  CLEARBOX_RETURN_IF_ERROR(ReadRecords(msg, &pos, an, "answer", &m.answers, &m));
  CLEARBOX_RETURN_IF_ERROR(ReadRecords(msg, &pos, ns, "authority", &m.authority, &m));
  CLEARBOX_RETURN_IF_ERROR(ReadRecords(msg, &pos, ar, "additional", &m.additional, &m));
  return m;
}

// ---- DnsTracker ---------------------------------------------------------------------------

void DnsTracker::ExpirePending(int64_t now_ns) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now_ns - it->second.ts_ns > kQueryTimeoutNs) {
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

void DnsTracker::OnQuery(const IpAddress& client, uint16_t port, const DnsMessage& m, int64_t ts) {
  if (m.response || m.questions.size() != 1) return;
  if (pending_.size() >= kMaxPending) ExpirePending(ts);
  if (pending_.size() >= kMaxPending) pending_.erase(pending_.begin());
  pending_[PendingKey{client, port, m.id}] = Pending{m.questions[0], ts};
}

void DnsTracker::AddEntry(const IpAddress& device, const IpAddress& peer, const std::string& name,
                          int64_t expiry) {
  if (entries_ >= kMaxEntries) {  // bounded: a flood of answers cannot grow memory
    auto d = names_.find(device);
    if (d == names_.end()) return;
    auto p = d->second.find(peer);
    if (p == d->second.end()) return;
    auto it = p->second.find(name);
    if (it != p->second.end()) it->second = std::max(it->second, expiry);
    return;
  }
  auto& names = names_[device][peer];
  auto it = names.find(name);
  if (it != names.end()) {
    it->second = std::max(it->second, expiry);
    return;
  }
  names.emplace(name, expiry);
  ++entries_;
}

void DnsTracker::OnResponse(const IpAddress& client, uint16_t port, const DnsMessage& m,
                            int64_t ts) {
  if (!m.response || m.questions.size() != 1) return;
  auto it = pending_.find(PendingKey{client, port, m.id});
  if (it == pending_.end() || !(it->second.question == m.questions[0])) return;  // unsolicited
  pending_.erase(it);
  const std::string& asked = m.questions[0].name;
  // The chain of names from the one asked, through CNAMEs, each with the smallest TTL so far.
  std::vector<std::pair<std::string, uint32_t>> chain{{asked, std::numeric_limits<uint32_t>::max()}};
  for (int hop = 0; hop < kMaxCnameChain; ++hop) {
    const std::string cur = chain.back().first;  // copies: emplace_back below reallocates
    const uint32_t ttl = chain.back().second;
    auto c = std::find_if(m.answers.begin(), m.answers.end(), [&](const DnsRecord& r) {
      return r.type == kDnsCname && r.name == cur;
    });
    if (c == m.answers.end()) break;
    bool seen = std::any_of(chain.begin(), chain.end(), [&](auto& e) { return e.first == c->target; });
    if (seen) break;  // a CNAME loop in the answer
    chain.emplace_back(c->target, std::min(ttl, c->ttl));
  }
  if (entries_ >= kMaxEntries && ts - last_purge_ns_ > 10'000'000'000) Purge(ts);
  for (const DnsRecord& r : m.answers) {
    if (r.type != kDnsA && r.type != kDnsAaaa) continue;
    for (const auto& [name, ttl] : chain) {
      if (r.name != name) continue;
      AddEntry(client, r.address, asked, ts + int64_t(std::min(ttl, r.ttl)) * 1'000'000'000);
      break;
    }
  }
}

void DnsTracker::Purge(int64_t now_ns) {
  last_purge_ns_ = now_ns;
  for (auto& [device, peers] : names_) {
    for (auto pit = peers.begin(); pit != peers.end();) {
      for (auto n = pit->second.begin(); n != pit->second.end();) {
        if (n->second <= now_ns) {
          n = pit->second.erase(n);
          --entries_;
        } else {
          ++n;
        }
      }
      pit = pit->second.empty() ? peers.erase(pit) : std::next(pit);
    }
  }
}

std::vector<std::string> DnsTracker::NamesFor(const IpAddress& device, const IpAddress& peer,
                                              int64_t now_ns) const {
  std::vector<std::string> out;
  auto d = names_.find(device);
  if (d == names_.end()) return out;
  auto p = d->second.find(peer);
  if (p == d->second.end()) return out;
  for (const auto& [name, expiry] : p->second) {
    if (expiry > now_ns) out.push_back(name);
  }
  return out;
}

void DnsTracker::OnMessage(uint64_t number, int64_t ts, const DecodedPacket& d, ByteView payload,
                           std::vector<std::string>* notes) {
  auto m = ParseDnsMessage(payload);
  if (!m.ok()) {
    if (notes) notes->push_back("packet " + std::to_string(number) + ": " + m.error().message());
    return;
  }
  if (m->response) {
    OnResponse(d.dst, d.dst_port, *m, ts);
  } else {
    OnQuery(d.src, d.src_port, *m, ts);
  }
}

static bool IsDnsPort(uint16_t p) { return p == 53 || p == 5353; }

void DnsTracker::OnPacket(uint64_t number, int64_t ts, const DecodedPacket& d,
                          std::vector<std::string>* notes) {
  if (!d.has_transport || !(IsDnsPort(d.src_port) || IsDnsPort(d.dst_port))) return;
  if (d.protocol == kProtoUdp) {
    OnMessage(number, ts, d, d.payload, notes);
    return;
  }
  if (d.protocol != kProtoTcp) return;
  // DNS over TCP: each direction is a stream of (2-byte length, message). Reassembled in
  // order only; a gap drops what the stream held (a note), a retransmission is ignored.
  auto key = std::make_tuple(d.src, d.src_port, d.dst, d.dst_port);
  if (d.tcp_flags & (kTcpRst | kTcpFin)) {
    tcp_.erase(key);
    if (d.payload.empty()) return;
  }
  if (d.tcp_flags & kTcpSyn) {
    if (tcp_.size() >= kMaxTcpStreams) {  // bounded: drop the stalest stream
      auto stale = std::min_element(tcp_.begin(), tcp_.end(), [](auto& a, auto& b) {
        return a.second.last_ns < b.second.last_ns;
      });
      tcp_.erase(stale);
    }
    TcpStream& s = tcp_[key];
    s = TcpStream{};
    s.next_seq = d.seq + 1;
    s.last_ns = ts;
    return;
  }
  if (d.payload.empty()) return;
  auto it = tcp_.find(key);
  if (it == tcp_.end()) return;  // the stream's start was not seen
  TcpStream& s = it->second;
  s.last_ns = ts;
  if (d.seq != s.next_seq) {
    if (int32_t(d.seq - s.next_seq) < 0) return;  // retransmission
    if (notes) notes->push_back("packet " + std::to_string(number) + ": gap in a DNS-over-TCP stream; its messages are skipped");
    tcp_.erase(it);
    return;
  }
  s.next_seq += uint32_t(d.payload.size());
  if (s.buf.size() + d.payload.size() > kMaxTcpMessage) {
    if (notes) notes->push_back("packet " + std::to_string(number) + ": DNS-over-TCP message larger than 64 KiB");
    tcp_.erase(it);
    return;
  }
  s.buf.insert(s.buf.end(), d.payload.begin(), d.payload.end());
  while (s.buf.size() >= 2) {
    size_t len = LoadBE16(s.buf.data());
    if (s.buf.size() < 2 + len) break;
    OnMessage(number, ts, d, ByteView(s.buf).subspan(2, len), notes);
    s.buf.erase(s.buf.begin(), s.buf.begin() + 2 + ptrdiff_t(len));
  }
}

}  // namespace clearbox::watch
