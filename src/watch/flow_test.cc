// Flow table: conn_state and counts over the real loopback capture, JSON lines, timeouts and
// the memory bound.
#include "clearbox/watch/flow.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "clearbox/watch/capture.h"

namespace clearbox::watch {
namespace {

std::vector<nlohmann::json> LoFlows(DeviceSelector sel = {}) {
  std::vector<nlohmann::json> out;
  auto cap = Capture::OpenFile(std::string(CLEARBOX_SOURCE_DIR) + "/tests/data/watch/lo.pcap", {});
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

}  // namespace
}  // namespace clearbox::watch
