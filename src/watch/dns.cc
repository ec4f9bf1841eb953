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
                           std::vector<std::string>* notes, std::vector<DnsMessage>* keep) {
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
  if (keep) keep->push_back(std::move(*m));
}

static bool IsDnsPort(uint16_t p) { return p == 53 || p == 5353; }

void DnsTracker::OnPacket(uint64_t number, int64_t ts, const DecodedPacket& d,
                          std::vector<std::string>* notes) {
  tcp_messages_.clear();
  tcp_messages_packet_ = number;
  if (!d.has_transport || !(IsDnsPort(d.src_port) || IsDnsPort(d.dst_port))) return;
  if (d.protocol == kProtoUdp) {
    OnMessage(number, ts, d, d.payload, notes);
    return;
  }
  if (d.protocol == kProtoTcp) OnTcpSegment(number, ts, d, notes);
}

void DnsTracker::DropTcp(TcpMap::iterator it) {
  tcp_bytes_ -= it->second.buf.size() + it->second.ahead_bytes;
  tcp_.erase(it);
}

void DnsTracker::OnTcpSegment(uint64_t number, int64_t ts, const DecodedPacket& d,
                              std::vector<std::string>* notes) {
  // Each direction is a stream of (2-byte length, message), reassembled by sequence number.
  auto note = [&](const std::string& what) {
    if (notes) notes->push_back("packet " + std::to_string(number) + ": DNS-over-TCP stream " +
                                d.src.ToString() + ":" + std::to_string(d.src_port) + " -> " +
                                d.dst.ToString() + ":" + std::to_string(d.dst_port) + ": " + what);
  };
  const TcpKey key{d.src, d.src_port, d.dst, d.dst_port};
  auto it = tcp_.find(key);
  if (d.tcp_flags & kTcpRst) {  // its payload is not stream data
    if (it != tcp_.end()) {
      if (!it->second.ahead.empty()) note("reset with a hole; the bytes past it are dropped");
      DropTcp(it);
    }
    return;
  }
  const bool syn = d.tcp_flags & kTcpSyn;
  if (syn && (it == tcp_.end() || it->second.isn != d.seq)) {  // a new stream (not a SYN again)
    if (it != tcp_.end()) DropTcp(it);
    if (tcp_.size() >= kMaxTcpStreams) {
      // Bounded: streams idle past kTcpIdleNs go, else the stalest one.
      for (auto s = tcp_.begin(); s != tcp_.end();) {
        auto next = std::next(s);
        if (ts - s->second.last_ns > kTcpIdleNs) DropTcp(s);
        s = next;
      }
      if (tcp_.size() >= kMaxTcpStreams) {
        DropTcp(std::min_element(tcp_.begin(), tcp_.end(), [](auto& a, auto& b) {
          return a.second.last_ns < b.second.last_ns;
        }));
      }
    }
    it = tcp_.emplace(key, TcpStream{}).first;
    it->second.isn = d.seq;
    it->second.next_seq = d.seq + 1;
  }
  if (it == tcp_.end()) return;  // the stream's start was not seen
  TcpStream& s = it->second;
  s.last_ns = ts;
  if (d.payload.size() < d.payload_length) {
    // Cut by the snap length: the bytes are gone, and the stream cannot be read past them.
    note("segment cut by the snap length (" + std::to_string(d.payload.size()) + " of " +
         std::to_string(d.payload_length) + " bytes); its messages are skipped");
    DropTcp(it);
    return;
  }
  const uint32_t data_seq = d.seq + (syn ? 1 : 0);  // a SYN may carry data (TCP Fast Open)
  // Offsets within a window of +-2 GiB of the next byte: a 32-bit sequence number is read
  // relative to it, so the stream can wrap 2^32.
  const int64_t start = int64_t(s.next_off) + int32_t(data_seq - s.next_seq);
  ByteView data = d.payload;
  int64_t end = start + int64_t(data.size());
  if (d.tcp_flags & kTcpFin) {
    if (end < 0) return;  // a FIN from before the stream began: not this stream's
    if (!s.fin_off) s.fin_off = uint64_t(end);
  }
  if (end > int64_t(s.next_off) && !data.empty()) {
    if (start < int64_t(s.next_off)) {  // partly sent before: keep only the new bytes
      data = data.subspan(size_t(int64_t(s.next_off) - start));
    }
    const uint64_t from = std::max<uint64_t>(uint64_t(std::max<int64_t>(start, 0)), s.next_off);
    if (from == s.next_off) {
      s.buf.insert(s.buf.end(), data.begin(), data.end());
      tcp_bytes_ += data.size();
      s.next_off += data.size();
      s.next_seq += uint32_t(data.size());
    } else {
      // Past a hole: held until the hole is filled, within the caps.
      if (uint64_t(end) - s.next_off > kMaxTcpStreamBytes ||
          s.buf.size() + s.ahead_bytes + data.size() > kMaxTcpStreamBytes) {
        note("more than " + std::to_string(kMaxTcpStreamBytes) +
             " bytes past a hole (per-stream cap); the stream is dropped");
        DropTcp(it);
        return;
      }
      if (tcp_bytes_ + data.size() > kMaxTcpBytes) {
        note("DNS-over-TCP streams hold " + std::to_string(tcp_bytes_) + " bytes (cap " +
             std::to_string(kMaxTcpBytes) + "); the stream is dropped");
        DropTcp(it);
        return;
      }
      Bytes& held = s.ahead[from];
      if (data.size() > held.size()) {  // two copies starting at one offset: keep the longer
        s.ahead_bytes += data.size() - held.size();
        tcp_bytes_ += data.size() - held.size();
        held.assign(data.begin(), data.end());
      }
    }
  }
  DeliverTcp(number, ts, d, s, notes);
  if (s.fin_off && s.next_off >= *s.fin_off) {  // every byte up to the FIN read: done
    if (!s.buf.empty()) {
      note("ends inside a message (" + std::to_string(s.buf.size()) + " bytes left unread)");
    }
    DropTcp(it);
  }
}

void DnsTracker::DeliverTcp(uint64_t number, int64_t ts, const DecodedPacket& d, TcpStream& s,
                            std::vector<std::string>* notes) {
  // Bytes held past the hole that is now filled join the stream in order.
  while (!s.ahead.empty() && s.ahead.begin()->first <= s.next_off) {
    auto first = s.ahead.begin();
    const uint64_t end = first->first + first->second.size();
    if (end > s.next_off) {
      const size_t skip = size_t(s.next_off - first->first);  // bytes already in order
      s.buf.insert(s.buf.end(), first->second.begin() + ptrdiff_t(skip), first->second.end());
      tcp_bytes_ += first->second.size() - skip;
      s.next_seq += uint32_t(end - s.next_off);
      s.next_off = end;
    }
    s.ahead_bytes -= first->second.size();
    tcp_bytes_ -= first->second.size();
    s.ahead.erase(first);
  }
  size_t pos = 0;
  while (s.buf.size() - pos >= 2) {
    const size_t len = LoadBE16(s.buf.data() + pos);
    if (s.buf.size() - pos < 2 + len) break;
    OnMessage(number, ts, d, ByteView(s.buf).subspan(pos + 2, len), notes, &tcp_messages_);
    pos += 2 + len;
  }
  if (pos > 0) {
    s.buf.erase(s.buf.begin(), s.buf.begin() + ptrdiff_t(pos));
    tcp_bytes_ -= pos;
  }
}

}  // namespace clearbox::watch
