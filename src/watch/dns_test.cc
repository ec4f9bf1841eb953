// DNS parser and tracker: real messages from the loopback capture (tests/data/watch/lo.pcap,
// written by dns_peer.py) and hand-made hostile ones.
#include "clearbox/watch/dns.h"

#include <gtest/gtest.h>

#include <deque>

#include "clearbox/watch/capture.h"

namespace clearbox::watch {
namespace {

// The UDP payloads of the capture's DNS packets, with their decoded packets.
struct DnsPacket {
  uint64_t number;
  int64_t ts;
  DecodedPacket d;
  Bytes record;
};
std::vector<DnsPacket> LoPackets() {
  std::vector<DnsPacket> out;
  auto cap = Capture::OpenFile(std::string(CLEARBOX_SOURCE_DIR) + "/tests/data/watch/lo.pcap", {});
  EXPECT_TRUE(cap.ok());
  if (!cap.ok()) return out;
  RawPacket p;
  while ((*cap)->Next(&p).value_or(false)) {
    DnsPacket dp{p.number, p.ts_ns, {}, Bytes(p.data.begin(), p.data.end())};
    out.push_back(std::move(dp));
  }
  for (auto& dp : out) Decode(dp.record, kLinkEthernet, 0, &dp.d);  // views into dp.record
  return out;
}

TEST(DnsTest, ParsesARealCnameChainWithCompression) {
  auto pk = LoPackets();
  ASSERT_GE(pk.size(), 2u);
  auto m = ParseDnsMessage(pk[1].d.payload);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_TRUE(m->response);
  EXPECT_EQ(m->id, 0x1234);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name, "www.example.com");
  ASSERT_EQ(m->answers.size(), 2u);
  EXPECT_EQ(m->answers[0].type, kDnsCname);
  EXPECT_EQ(m->answers[0].target, "edge.cdn.example.net");
  EXPECT_EQ(m->answers[0].ttl, 300u);
  EXPECT_EQ(m->answers[1].name, "edge.cdn.example.net");
  EXPECT_EQ(m->answers[1].address.ToString(), "127.0.0.1");
  auto q = ParseDnsMessage(pk[0].d.payload);
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->response);
}

Bytes Header(uint16_t flags, uint16_t qd, uint16_t an, uint16_t ar = 0) {
  Bytes b(12, 0);
  StoreBE16(b.data() + 2, flags);
  StoreBE16(b.data() + 4, qd);
  StoreBE16(b.data() + 6, an);
  StoreBE16(b.data() + 10, ar);
  return b;
}

TEST(DnsTest, PointerLoopsArePointedAt) {
  Bytes m = Header(0x8180, 1, 0);
  // "a" then a pointer to itself's label: 12 -> 'a', 14 -> ptr 12.
  m.insert(m.end(), {1, 'a', 0xc0, 12, 0, 1, 0, 1});
  auto r = ParseDnsMessage(m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "question 0: DNS compression pointer loop at offset 14 (points to 12)");
  Bytes self = Header(0x8180, 1, 0);
  self.insert(self.end(), {0xc0, 12, 0, 1, 0, 1});
  EXPECT_FALSE(ParseDnsMessage(self).ok());
}

TEST(DnsTest, PointerPastTheEnd) {
  Bytes m = Header(0x8180, 1, 0);
  m.insert(m.end(), {0xc1, 0x00, 0, 1, 0, 1});
  auto r = ParseDnsMessage(m);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("pointer at offset 12 points past the end (to 256, message is 18 bytes)"),
            std::string::npos) << r.error().message();
}

TEST(DnsTest, LabelAndNameLimits) {
  Bytes m = Header(0x0100, 1, 0);
  m.push_back(64);  // label type 01: neither a length (<= 63) nor a pointer
  m.insert(m.end(), 70, 'x');
  auto r = ParseDnsMessage(m);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("label type 1 unsupported at offset 12"), std::string::npos);
  Bytes longname = Header(0x0100, 1, 0);
  for (int i = 0; i < 5; ++i) {
    longname.push_back(63);
    longname.insert(longname.end(), 63, 'a');
  }
  longname.push_back(0);
  longname.insert(longname.end(), {0, 1, 0, 1});
  r = ParseDnsMessage(longname);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("longer than 255"), std::string::npos);
  Bytes cut = Header(0x0100, 1, 0);
  cut.insert(cut.end(), {10, 'a', 'b'});
  EXPECT_NE(ParseDnsMessage(cut).error().message().find("label of 10 bytes runs past the end at offset 12"),
            std::string::npos);
  Bytes counts = Header(0x0100, 0, 0xffff);
  EXPECT_NE(ParseDnsMessage(counts).error().message().find("claims 65535 records"), std::string::npos);
}

TEST(DnsTest, EdnsAndTxt) {
  Bytes m = Header(0x8180, 0, 1, 1);
  // TXT for the root: two strings.
  m.insert(m.end(), {0, 0, 16, 0, 1, 0, 0, 0, 10, 0, 7, 2, 'h', 'i', 3, 'y', 'o', 'u'});
  // OPT: udp size 1232, DO bit.
  m.insert(m.end(), {0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0});
  auto r = ParseDnsMessage(m);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].txt, (std::vector<std::string>{"hi", "you"}));
  EXPECT_EQ(r->answers[0].ttl, 10u);
  EXPECT_EQ(r->edns_udp_size, 1232);
  EXPECT_TRUE(r->edns_do);
  EXPECT_TRUE(r->additional.empty());
}

TEST(DnsTest, TrackerFollowsCnameOverUdpAndTcpDnsWithTtl) {
  DnsTracker dns;
  std::vector<std::string> notes;
  auto pk = LoPackets();
  for (auto& p : pk) dns.OnPacket(p.number, p.ts, p.d, &notes);
  EXPECT_TRUE(notes.empty()) << notes[0];
  auto lo = *IpAddress::Parse("127.0.0.1");
  int64_t t = pk[1].ts;
  // A peer reached through the CNAME counts for the name first asked.
  EXPECT_EQ(dns.NamesFor(lo, lo, t), std::vector<std::string>{"www.example.com"});
  // Over TCP (packets 3-12: length-prefixed).
  EXPECT_EQ(dns.NamesFor(lo, *IpAddress::Parse("127.0.0.2"), t),
            std::vector<std::string>{"tcp.example.org"});
  // The A record's TTL is 60 s (the CNAME's 300 s does not extend it).
  EXPECT_TRUE(dns.NamesFor(lo, lo, t + 61'000'000'000).empty());
  EXPECT_EQ(dns.NamesFor(lo, *IpAddress::Parse("127.0.0.2"), t + 61'000'000'000).size(), 1u);
  EXPECT_TRUE(dns.NamesFor(*IpAddress::Parse("10.0.0.1"), lo, t).empty());
  EXPECT_EQ(dns.pending(), 0u);
}

TEST(DnsTest, TrackerIgnoresUnsolicitedAnswers) {
  auto pk = LoPackets();
  auto lo = *IpAddress::Parse("127.0.0.1");
  DnsTracker dns;
  dns.OnPacket(2, pk[1].ts, pk[1].d, nullptr);  // the answer without its query
  EXPECT_TRUE(dns.NamesFor(lo, lo, pk[1].ts).empty());
  // A query with another id does not make the answer match.
  auto q = ParseDnsMessage(pk[0].d.payload);
  ASSERT_TRUE(q.ok());
  q->id ^= 1;
  dns.OnQuery(lo, pk[0].d.src_port, *q, pk[0].ts);
  dns.OnPacket(2, pk[1].ts, pk[1].d, nullptr);
  EXPECT_TRUE(dns.NamesFor(lo, lo, pk[1].ts).empty());
  EXPECT_EQ(dns.entries(), 0u);
}

// ---- DNS over TCP: reassembly ------------------------------------------------------------

Bytes Question(const std::string& name) {
  Bytes q;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(uint8_t(dot - start));
    q.insert(q.end(), name.begin() + ptrdiff_t(start), name.begin() + ptrdiff_t(dot));
    start = dot + 1;
  }
  q.push_back(0);
  q.insert(q.end(), {0, 1, 0, 1});  // A, IN
  return q;
}
// A query, or (with `answer`) its response with one A record (TTL 600); length-prefixed.
Bytes TcpMessage(uint16_t id, const std::string& name, const uint8_t* answer = nullptr) {
  Bytes m = Header(answer ? 0x8180 : 0x0100, 1, answer ? 1 : 0);
  StoreBE16(m.data(), id);
  Bytes q = Question(name);
  m.insert(m.end(), q.begin(), q.end());
  if (answer) {
    m.insert(m.end(), {0xc0, 12, 0, 1, 0, 1, 0, 0, 0x02, 0x58, 0, 4});
    m.insert(m.end(), answer, answer + 4);
  }
  Bytes out(2);
  StoreBE16(out.data(), uint16_t(m.size()));
  out.insert(out.end(), m.begin(), m.end());
  return out;
}

// One direction of a TCP connection between 10.0.0.7:40000 (the device) and 192.0.2.53:53.
struct TcpSide {
  TcpSide(bool device, uint32_t first) : from_device(device), isn(first) {}
  bool from_device;
  uint32_t isn;
  std::deque<Bytes> keep;  // payloads the decoded packets point into (a deque: no moves)
  DecodedPacket Segment(uint8_t flags, uint32_t offset, ByteView data) {
    static const uint8_t dev[4] = {10, 0, 0, 7}, srv[4] = {192, 0, 2, 53};
    DecodedPacket d;
    d.ip_version = 4;
    d.src = IpAddress::V4(from_device ? dev : srv);
    d.dst = IpAddress::V4(from_device ? srv : dev);
    d.protocol = kProtoTcp;
    d.has_transport = true;
    d.src_port = from_device ? 40000 : 53;
    d.dst_port = from_device ? 53 : 40000;
    d.tcp_flags = flags;
    d.seq = isn + 1 + offset;
    if (flags & kTcpSyn) d.seq = isn;
    keep.emplace_back(data.begin(), data.end());
    d.payload = keep.back();
    d.payload_length = uint32_t(data.size());
    return d;
  }
};

struct TcpRun {
  DnsTracker dns;
  std::vector<std::string> notes;
  uint64_t number = 0;
  size_t messages = 0;
  std::vector<uint16_t> ids;  // of the messages completed, in order
  void Feed(const DecodedPacket& d) {
    ++number;
    dns.OnPacket(number, 1'000'000'000 + int64_t(number), d, &notes);
    EXPECT_EQ(dns.tcp_messages_packet(), number);
    for (const DnsMessage& m : dns.tcp_messages()) ids.push_back(m.id);
  }
};

TEST(DnsTcpTest, MessagesSplitAnywhereIncludingTheLengthPrefix) {
  Bytes stream = TcpMessage(1, "a.example");
  Bytes two = TcpMessage(2, "bb.example");
  stream.insert(stream.end(), two.begin(), two.end());
  // Every split point of the two-message stream into two segments, and 1-byte segments.
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    TcpRun r;
    TcpSide dev{true, 0xfffffff0};  // the sequence numbers wrap inside the stream
    r.Feed(dev.Segment(kTcpSyn, 0, {}));
    r.Feed(dev.Segment(kTcpAck, 0, ByteView(stream).first(cut)));
    r.Feed(dev.Segment(kTcpAck, uint32_t(cut), ByteView(stream).subspan(cut)));
    EXPECT_EQ(r.ids, (std::vector<uint16_t>{1, 2})) << "cut at " << cut;
    EXPECT_EQ(r.dns.pending(), 2u);
    EXPECT_TRUE(r.notes.empty()) << r.notes[0];
    EXPECT_EQ(r.dns.tcp_bytes(), 0u);
  }
  TcpRun r;
  TcpSide dev{true, 77};
  r.Feed(dev.Segment(kTcpSyn, 0, {}));
  for (size_t i = 0; i < stream.size(); ++i) {
    r.Feed(dev.Segment(kTcpAck, uint32_t(i), ByteView(stream).subspan(i, 1)));
    // The first message completes with its last byte, not before.
    EXPECT_EQ(r.ids.size(), i + 1 < stream.size() - two.size() ? 0u
                            : i + 1 < stream.size()             ? 1u
                                                                : 2u);
  }
  r.Feed(dev.Segment(kTcpFin | kTcpAck, uint32_t(stream.size()), {}));
  EXPECT_EQ(r.dns.tcp_streams(), 0u);  // read to its FIN: gone
}

TEST(DnsTcpTest, OutOfOrderAndRetransmittedSegments) {
  Bytes stream;
  for (uint16_t id = 1; id <= 4; ++id) {
    Bytes m = TcpMessage(id, "host" + std::to_string(id) + ".example");
    stream.insert(stream.end(), m.begin(), m.end());
  }
  const size_t n = stream.size();
  auto seg = [&](size_t from, size_t to) { return ByteView(stream).subspan(from, to - from); };
  TcpRun r;
  TcpSide dev{true, 0x7ffffff0};
  r.Feed(dev.Segment(kTcpSyn, 0, {}));
  // In reverse order, in 5 pieces with cuts inside messages; nothing completes until the
  // first piece comes, then everything does, in stream order.
  const size_t cuts[] = {0, 7, 40, 41, 90, n};
  for (int i = 4; i >= 1; --i) {
    r.Feed(dev.Segment(kTcpAck, uint32_t(cuts[i]), seg(cuts[i], cuts[i + 1])));
    EXPECT_TRUE(r.ids.empty());
  }
  EXPECT_EQ(r.dns.tcp_bytes(), n - cuts[1]);
  r.Feed(dev.Segment(kTcpAck, 0, seg(0, cuts[1])));
  EXPECT_EQ(r.ids, (std::vector<uint16_t>{1, 2, 3, 4}));
  EXPECT_EQ(r.dns.tcp_bytes(), 0u);
  // Sent again: whole, and overlapping the end with new bytes after it. Nothing twice.
  Bytes more = TcpMessage(5, "five.example");
  Bytes tail(stream.end() - 10, stream.end());
  tail.insert(tail.end(), more.begin(), more.end());
  r.Feed(dev.Segment(kTcpAck, 0, seg(0, n)));
  r.Feed(dev.Segment(kTcpAck, uint32_t(n - 10), tail));
  r.Feed(dev.Segment(kTcpAck, uint32_t(n - 10), tail));
  EXPECT_EQ(r.ids, (std::vector<uint16_t>{1, 2, 3, 4, 5}));
  // A byte held past a hole, then a segment filling the hole that carries it too with
  // another value: the bytes in order are read, the copy held is trimmed.
  Bytes six = TcpMessage(6, "six.example");
  Bytes forged = six;
  forged[1] ^= 0xff;  // another length: would misframe the stream
  const uint32_t at = uint32_t(n + more.size());
  r.Feed(dev.Segment(kTcpAck, at + 2, ByteView(six).subspan(2)));
  r.Feed(dev.Segment(kTcpAck, at + 1, ByteView(forged).subspan(1, 1)));
  r.Feed(dev.Segment(kTcpAck, at, ByteView(six).first(2)));
  EXPECT_EQ(r.ids, (std::vector<uint16_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(r.notes.empty()) << r.notes[0];
  // A SYN sent again does not restart the stream.
  r.Feed(dev.Segment(kTcpSyn, 0, {}));
  Bytes seven = TcpMessage(7, "seven.example");
  r.Feed(dev.Segment(kTcpAck, at + uint32_t(six.size()), seven));
  EXPECT_EQ(r.ids.back(), 7);
}

TEST(DnsTcpTest, TrackerLearnsNamesFromReorderedQueryAndAnswer) {
  const uint8_t addr[4] = {198, 51, 100, 9};
  Bytes q = TcpMessage(0x4242, "split.example");
  Bytes a = TcpMessage(0x4242, "split.example", addr);
  TcpRun r;
  TcpSide dev{true, 1000}, srv{false, 5000};
  r.Feed(dev.Segment(kTcpSyn, 0, {}));
  r.Feed(srv.Segment(kTcpSyn | kTcpAck, 0, {}));
  r.Feed(dev.Segment(kTcpAck, 3, ByteView(q).subspan(3)));
  r.Feed(dev.Segment(kTcpAck, 0, ByteView(q).first(3)));
  r.Feed(srv.Segment(kTcpAck, 20, ByteView(a).subspan(20)));
  r.Feed(srv.Segment(kTcpAck, 1, ByteView(a).subspan(1, 19)));
  EXPECT_EQ(r.dns.NamesFor(*IpAddress::Parse("10.0.0.7"), IpAddress::V4(addr), 2'000'000'000),
            std::vector<std::string>{});  // not complete yet
  r.Feed(srv.Segment(kTcpAck, 0, ByteView(a).first(1)));
  EXPECT_EQ(r.dns.NamesFor(*IpAddress::Parse("10.0.0.7"), IpAddress::V4(addr), 2'000'000'000),
            std::vector<std::string>{"split.example"});
  EXPECT_EQ(r.dns.pending(), 0u);
}

TEST(DnsTcpTest, CapsDropStreamsWithANote) {
  // Per stream: a hole, then more than kMaxTcpStreamBytes past it.
  {
    TcpRun r;
    TcpSide dev{true, 1};
    r.Feed(dev.Segment(kTcpSyn, 0, {}));
    Bytes chunk(60000, 0x41);
    for (uint32_t off = 10; r.dns.tcp_streams() == 1 && off < 400000; off += 60000) {
      r.Feed(dev.Segment(kTcpAck, off, chunk));
      EXPECT_LE(r.dns.tcp_bytes(), DnsTracker::kMaxTcpStreamBytes);
    }
    EXPECT_EQ(r.dns.tcp_streams(), 0u);
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_NE(r.notes[0].find("per-stream cap"), std::string::npos) << r.notes[0];
    EXPECT_EQ(r.notes[0].rfind("packet 4: DNS-over-TCP stream 10.0.0.7:40000 -> 192.0.2.53:53", 0), 0u)
        << r.notes[0];
    EXPECT_EQ(r.dns.tcp_bytes(), 0u);
  }
  // In all: many streams each holding bytes past a hole.
  {
    TcpRun r;
    Bytes chunk(60000, 0x41);
    std::vector<TcpSide> sides;
    for (int i = 0; i < 100; ++i) sides.push_back({true, uint32_t(i) * 1000000});
    for (int i = 0; i < 100; ++i) {
      DecodedPacket syn = sides[size_t(i)].Segment(kTcpSyn, 0, {});
      syn.src_port = uint16_t(30000 + i);
      r.Feed(syn);
      for (uint32_t k = 0; k < 2; ++k) {
        DecodedPacket d = sides[size_t(i)].Segment(kTcpAck, 5 + k * 60000, chunk);
        d.src_port = uint16_t(30000 + i);
        r.Feed(d);
        EXPECT_LE(r.dns.tcp_bytes(), DnsTracker::kMaxTcpBytes);
      }
    }
    bool capped = false;
    for (const std::string& n : r.notes) capped |= n.find("cap 8388608") != std::string::npos;
    EXPECT_TRUE(capped);
    EXPECT_GT(r.dns.tcp_bytes(), DnsTracker::kMaxTcpBytes - 2 * chunk.size());
  }
  // A segment cut by the snap length, and a reset with a hole: noted, the stream dropped.
  {
    TcpRun r;
    TcpSide dev{true, 1};
    r.Feed(dev.Segment(kTcpSyn, 0, {}));
    Bytes q = TcpMessage(9, "cut.example");
    DecodedPacket d = dev.Segment(kTcpAck, 0, q);
    d.payload_length += 100;
    r.Feed(d);
    EXPECT_EQ(r.dns.tcp_streams(), 0u);
    r.Feed(dev.Segment(kTcpSyn, 0, {}));
    r.Feed(dev.Segment(kTcpAck, 4, ByteView(q).subspan(4)));
    r.Feed(dev.Segment(kTcpRst, 0, {}));
    ASSERT_EQ(r.notes.size(), 2u);
    EXPECT_NE(r.notes[0].find("cut by the snap length"), std::string::npos) << r.notes[0];
    EXPECT_NE(r.notes[1].find("reset with a hole"), std::string::npos) << r.notes[1];
    EXPECT_EQ(r.dns.tcp_streams(), 0u);
    EXPECT_EQ(r.dns.tcp_bytes(), 0u);
  }
}

}  // namespace
}  // namespace clearbox::watch
