// Flow table: conn_state and counts over the real loopback capture, JSON lines, timeouts and
// the memory bound.
#include "clearbox/watch/flow.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "clearbox/watch/capture.h"

namespace clearbox::watch {
namespace {

std::vector<nlohmann::json> LoFlows(DeviceSelector sel = {}, const char* file = "lo.pcap") {
  std::vector<nlohmann::json> out;
  auto cap = Capture::OpenFile(std::string(CLEARBOX_SOURCE_DIR) + "/tests/data/watch/" + file, {});
  EXPECT_TRUE(cap.ok());
  if (!cap.ok()) return out;
  FlowTable* t = nullptr;
  FlowTable flows({}, [&](const Flow& f) { out.push_back(nlohmann::json::parse(FlowToJson(f, *t))); });
  t = &flows;
  DnsTracker dns;
  PacketPipeline pipe(&flows, &dns, sel);
  RawPacket p;
  while ((*cap)->Next(&p).value_or(false)) pipe.Process(p);
  flows.Flush();
  return out;
}

const nlohmann::json* ByPort(const std::vector<nlohmann::json>& flows, const std::string& proto,
                             int resp_p) {
  for (auto& f : flows) {
    if (f["proto"] == proto && f["id.resp_p"] == resp_p) return &f;
  }
  return nullptr;
}

TEST(FlowTest, ConnStatesOfTheLoopbackCapture) {
  auto flows = LoFlows();
  // DNS/UDP, DNS/TCP, HTTP, refused, UDP 9999 (v4, v6), ICMP unreachable (v4, v6), echo (v4, v6)
  ASSERT_EQ(flows.size(), 10u);
  const auto* dns = ByPort(flows, "udp", 53);
  ASSERT_TRUE(dns);
  EXPECT_EQ((*dns)["conn_state"], "SF");
  EXPECT_EQ((*dns)["orig_pkts"], 1);
  EXPECT_EQ((*dns)["first_packets"], nlohmann::json::parse("[1,2]"));
  const auto* tcpdns = ByPort(flows, "tcp", 53);
  ASSERT_TRUE(tcpdns);
  EXPECT_EQ((*tcpdns)["conn_state"], "SF");
  EXPECT_EQ((*tcpdns)["orig_bytes"], 35);  // 2-byte length + 33-byte query
  EXPECT_EQ((*tcpdns)["orig_pkts"], 5);
  EXPECT_EQ((*tcpdns)["resp_pkts"], 5);
  const auto* http = ByPort(flows, "tcp", 8080);
  ASSERT_TRUE(http);
  EXPECT_EQ((*http)["conn_state"], "SF");
  EXPECT_EQ((*http)["orig_bytes"], 18);
  EXPECT_EQ((*http)["resp_bytes"], 43);
  // The app connection went to 127.0.0.1, which www.example.com resolved to via a CNAME.
  EXPECT_EQ((*http)["resp_names"], nlohmann::json::parse(R"(["www.example.com"])"));
  const auto* refused = ByPort(flows, "tcp", 9);
  ASSERT_TRUE(refused);
  EXPECT_EQ((*refused)["conn_state"], "REJ");
  const auto* big = ByPort(flows, "udp", 9999);
  ASSERT_TRUE(big);
  EXPECT_EQ((*big)["orig_bytes"], 3072);  // reassembled from three fragments
  EXPECT_EQ((*big)["conn_state"], "S0");
  const auto* echo = ByPort(flows, "icmp", 0);
  ASSERT_TRUE(echo);
  EXPECT_EQ((*echo)["id.orig_p"], 8);
  EXPECT_EQ((*echo)["conn_state"], "SF");
  for (auto& f : flows) {
    for (const char* k : {"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto",
                          "duration", "orig_bytes", "resp_bytes", "conn_state", "orig_pkts", "resp_pkts"}) {
      EXPECT_TRUE(f.contains(k)) << k;
    }
    EXPECT_EQ(f["uid"].get<std::string>().size(), 12u);
  }
}

TEST(FlowTest, DeviceSelection) {
  auto none = LoFlows(*DeviceSelector::Parse("192.0.2.1"));
  EXPECT_TRUE(none.empty());
  auto v6 = LoFlows(*DeviceSelector::Parse("::1"));
  EXPECT_EQ(v6.size(), 3u);
  auto mac = LoFlows(*DeviceSelector::Parse("00:00:00:00:00:00"));  // loopback's MAC
  EXPECT_EQ(mac.size(), 10u);
  EXPECT_FALSE(DeviceSelector::Parse("not-a-device").ok());
}

DecodedPacket Udp(uint32_t src, uint16_t sport) {
  DecodedPacket d;
  uint8_t a[4] = {10, uint8_t(src >> 16), uint8_t(src >> 8), uint8_t(src)};
  uint8_t b[4] = {192, 0, 2, 1};
  d.ip_version = 4;
  d.src = IpAddress::V4(a);
  d.dst = IpAddress::V4(b);
  d.protocol = kProtoUdp;
  d.has_transport = true;
  d.src_port = sport;
  d.dst_port = 53;
  d.ip_length = 60;
  d.payload_length = 32;
  return d;
}

TEST(FlowTest, IdleTimeoutAndMaxFlowsBoundTheTable) {
  FlowLimits lim;
  lim.max_flows = 100;
  std::vector<std::string> out;
  FlowTable t(lim, [&](const Flow& f) { out.push_back(f.orig_h.ToString()); });
  for (uint32_t i = 0; i < 1000; ++i) {
    t.Add(i + 1, 1000 + i, Udp(i, 1000), nullptr);
    ASSERT_LE(t.size(), 100u);
  }
  EXPECT_EQ(t.evicted_early(), 900u);
  EXPECT_EQ(out.size(), 900u);
  EXPECT_EQ(out[0], "10.0.0.0");
  // The reply direction of a live flow finds it (no new flow).
  DecodedPacket back = Udp(999, 1000);
  std::swap(back.src, back.dst);
  std::swap(back.src_port, back.dst_port);
  t.Add(2000, 2000, back, nullptr);
  EXPECT_EQ(t.size(), 100u);
  // 60 s idle: all but the one just answered leave; within two timeouts that one too.
  t.Expire(1000 + 61'000'000'000);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(out.size(), 1000u);
}

TEST(FlowTest, ManyFlowsGrowAndShrink) {
  size_t emitted = 0;
  FlowTable t({}, [&](const Flow&) { ++emitted; });
  for (uint32_t i = 0; i < 200000; ++i) t.Add(i + 1, 0, Udp(i, uint16_t(i)), nullptr);
  EXPECT_EQ(t.size(), 200000u);
  for (uint32_t i = 0; i < 200000; i += 2) {  // every other flow answered much later
    DecodedPacket d = Udp(i, uint16_t(i));
    std::swap(d.src, d.dst);
    std::swap(d.src_port, d.dst_port);
    t.Add(i + 1, 50'000'000'000, d, nullptr);
  }
  EXPECT_EQ(t.size(), 200000u);
  t.Expire(70'000'000'000);  // the unanswered half are idle past 60 s
  EXPECT_EQ(t.size(), 100000u);
  t.Flush();
  EXPECT_EQ(emitted, 200000u);
}

// A real connection with retransmissions (tests/data/watch/capture_retrans.sh: kernel TCP
// through a router whose queue drops bursts, captured before the drop): the sender sent
// 200000 bytes and the receiver answered 10000. Zeek reports exactly these, from sequence
// numbers; summing payloads would count every retransmitted segment twice.
TEST(FlowTest, TcpBytesFromSequenceNumbersCountRetransmissionsOnce) {
  auto flows = LoFlows({}, "retrans.pcap");
  ASSERT_EQ(flows.size(), 1u);
  const auto& f = flows[0];
  EXPECT_EQ(f["id.orig_h"], "10.77.1.1");
  EXPECT_EQ(f["id.resp_p"], 5001);
  EXPECT_EQ(f["conn_state"], "SF");
  EXPECT_EQ(f["orig_bytes"], 200000);
  EXPECT_EQ(f["resp_bytes"], 10000);
  // The payload the capture holds, summed per direction, is more than was sent by exactly
  // the retransmitted bytes.
  uint64_t sent[2] = {0, 0};
  auto cap = Capture::OpenFile(std::string(CLEARBOX_SOURCE_DIR) + "/tests/data/watch/retrans.pcap", {});
  ASSERT_TRUE(cap.ok());
  RawPacket p;
  DecodedPacket d;
  while ((*cap)->Next(&p).value_or(false)) {
    if (Decode(p.data, p.linktype, p.len, &d) && d.protocol == kProtoTcp) {
      sent[d.src_port == 5001] += d.payload_length;
    }
  }
  ASSERT_GT(sent[0], 200000u);  // the capture does hold retransmissions
  ASSERT_TRUE(f.contains("retrans_bytes"));
  EXPECT_EQ(f["retrans_bytes"][0], sent[0] - 200000);
  EXPECT_EQ(f["retrans_bytes"][1], sent[1] - 10000);
}

struct Seg {
  bool from_orig;
  uint8_t flags;
  uint32_t seq, ack, len;
};
// Runs TCP segments between 10.0.0.1:40000 and 192.0.2.1:80 through a table; the one flow.
Flow RunTcp(const std::vector<Seg>& segs) {
  Flow out;
  int emitted = 0;
  FlowTable t({}, [&](const Flow& f) {
    out = f;
    ++emitted;
  });
  uint8_t a[4] = {10, 0, 0, 1}, b[4] = {192, 0, 2, 1};
  uint64_t n = 0;
  for (const Seg& s : segs) {
    DecodedPacket d;
    d.ip_version = 4;
    d.src = IpAddress::V4(s.from_orig ? a : b);
    d.dst = IpAddress::V4(s.from_orig ? b : a);
    d.protocol = kProtoTcp;
    d.has_transport = true;
    d.src_port = s.from_orig ? 40000 : 80;
    d.dst_port = s.from_orig ? 80 : 40000;
    d.tcp_flags = s.flags;
    d.seq = s.seq;
    d.ack = s.ack;
    d.payload_length = s.len;
    d.ip_length = 40 + s.len;
    ++n;
    t.Add(n, int64_t(n) * 1000, d, nullptr);
  }
  t.Flush();
  EXPECT_EQ(emitted, 1);
  return out;
}

TEST(FlowTest, TcpBytesFollowSequenceWrapAround) {
  const uint32_t c = 0xffffff00, s = 7000;  // the client's numbers wrap after 255 bytes
  const uint8_t A = kTcpAck, PA = kTcpAck | kTcpPsh;
  Flow f = RunTcp({
      {true, kTcpSyn, c, 0, 0},
      {false, kTcpSyn | kTcpAck, s, c + 1, 0},
      {true, A, c + 1, s + 1, 0},
      {true, PA, c + 1, s + 1, 400},
      {true, PA, c + 401, s + 1, 400},  // crosses 2^32
      {false, A, s + 1, c + 801, 0},
      {true, PA, c + 401, s + 1, 400},  // sent again
      {true, PA, c + 801, s + 1, 200},
      {false, PA, s + 1, c + 1001, 50},
      {true, kTcpFin | kTcpAck, c + 1001, s + 51, 0},
      {false, kTcpFin | kTcpAck, s + 51, c + 1002, 0},
      {true, A, c + 1002, s + 52, 0},
  });
  EXPECT_EQ(f.ConnState(), "SF");
  EXPECT_EQ(f.orig_bytes, 1000u);
  EXPECT_EQ(f.resp_bytes, 50u);
  EXPECT_EQ(f.orig_retrans_bytes, 400u);
  EXPECT_EQ(f.resp_retrans_bytes, 0u);
}

TEST(FlowTest, TcpBytesAsZeekForPartialGapsAndResets) {
  // No handshake seen: counted from the first byte seen; a partial overlap counts its new
  // bytes only.
  Flow partial = RunTcp({
      {true, kTcpAck, 5000, 9000, 100},
      {true, kTcpAck, 5050, 9000, 100},  // 50 bytes again, 50 new
      {false, kTcpAck, 9000, 5150, 0},
  });
  EXPECT_EQ(partial.ConnState(), "OTH");
  EXPECT_EQ(partial.orig_bytes, 150u);
  EXPECT_EQ(partial.orig_retrans_bytes, 50u);
  EXPECT_EQ(partial.resp_bytes, 0u);
  // A segment the capture missed but the peer acknowledged is counted (Zeek: data acked
  // but not seen); a later segment past the hole is not a retransmission.
  Flow gap = RunTcp({
      {true, kTcpSyn, 100, 0, 0},
      {false, kTcpSyn | kTcpAck, 900, 101, 0},
      {true, kTcpAck, 101, 901, 100},
      {true, kTcpAck, 301, 901, 100},  // 201..300 never captured
      {false, kTcpAck, 901, 401, 0},
  });
  EXPECT_EQ(gap.orig_bytes, 300u);
  EXPECT_EQ(gap.orig_retrans_bytes, 0u);
  // A RST's payload is not stream data.
  Flow rst = RunTcp({
      {true, kTcpSyn, 100, 0, 0},
      {false, kTcpSyn | kTcpAck, 900, 101, 0},
      {true, kTcpAck, 101, 901, 10},
      {false, kTcpAck, 901, 111, 20},
      {false, kTcpRst | kTcpAck, 921, 111, 30},
  });
  EXPECT_EQ(rst.ConnState(), "RSTR");
  EXPECT_EQ(rst.orig_bytes, 10u);
  EXPECT_EQ(rst.resp_bytes, 20u);
  // Nor is a RST far off the sequence space trusted (a forged one).
  Flow forged = RunTcp({
      {true, kTcpSyn, 100, 0, 0},
      {false, kTcpSyn | kTcpAck, 900, 101, 0},
      {true, kTcpAck, 101, 901, 10},
      {false, kTcpRst, 50'000'000, 0, 0},
  });
  EXPECT_EQ(forged.ConnState(), "RSTR");
  EXPECT_EQ(forged.resp_bytes, 0u);
  EXPECT_EQ(forged.orig_bytes, 10u);
}

}  // namespace
}  // namespace clearbox::watch
