// DNS parser and tracker: real messages from the loopback capture (tests/data/watch/lo.pcap,
// written by dns_peer.py) and hand-made hostile ones.
#include "clearbox/watch/dns.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace clearbox::watch
