// The watch checks: each piece alone on made inputs, and the whole on the real capture of
// tests/watch_netns_test.sh (tests/data/watch/netns.pcap: its planted behaviours and decoys
// are listed in tests/data/watch/netns_device.py).
#include "clearbox/watch/watch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "clearbox/core/file.h"
#include "watch_internal.h"

namespace clearbox::watch {
namespace {

using internal::ScoreBeacon;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Data(const std::string& name) {
  return std::string(CLEARBOX_SOURCE_DIR) + "/tests/data/watch/" + name;
}

MudProfile TestMud() {
  auto text = ReadTextFile(Data("netns.mud.json"));
  EXPECT_TRUE(text.ok());
  auto mud = ParseMud(*text, "netns.mud.json");
  EXPECT_TRUE(mud.ok()) << mud.error().message();
  return *mud;
}

WatchReport WatchFile(const MudProfile& mud, const std::string& device,
                      std::vector<AuditEndpoint> audit = {}) {
  auto cap = Capture::OpenFile(Data("netns.pcap"), {});
  EXPECT_TRUE(cap.ok());
  WatchOptions o;
  o.device = *DeviceSelector::Parse(device);
  o.audit_endpoints = std::move(audit);
  auto r = WatchCapture(**cap, "netns.pcap", mud, o);
  EXPECT_TRUE(r.ok());
  return *r;
}

std::set<std::pair<std::string, std::string>> Found(const WatchReport& r) {
  std::set<std::pair<std::string, std::string>> out;
  for (const WatchFinding& f : r.findings) out.emplace(f.check_id, f.peer);
  return out;
}

// ---- beaconing -------------------------------------------------------------------------------

TEST(ScoreBeacon, PeriodicConstantSizeScoresNearOne) {
  std::vector<int64_t> starts;
  for (int i = 0; i < 20; ++i) starts.push_back(i * 2'000'000'000LL + (i % 2) * 3'000'000);
  auto s = ScoreBeacon(starts, std::vector<uint64_t>(20, 96), 40'000'000'000LL);
  ASSERT_TRUE(s.has_value());
  EXPECT_NEAR(s->median_interval_s, 2.0, 0.01);
  EXPECT_EQ(s->median_bytes, 96u);
  EXPECT_GT(s->score, 0.95);
  EXPECT_DOUBLE_EQ(s->ds_madm, 1.0);
}

TEST(ScoreBeacon, RandomIntervalsAndSizesScoreBelowThreshold) {
  std::mt19937_64 rng(7);
  std::exponential_distribution<double> gap(0.5);  // a person clicking: mean 2 s
  std::uniform_int_distribution<uint64_t> size(200, 60000);
  std::vector<int64_t> starts;
  std::vector<uint64_t> sizes;
  double t = 0;
  for (int i = 0; i < 40; ++i) {
    starts.push_back(static_cast<int64_t>(t * 1e9));
    sizes.push_back(size(rng));
    t += gap(rng);
  }
  auto s = ScoreBeacon(starts, sizes, static_cast<int64_t>(t * 1e9));
  ASSERT_TRUE(s.has_value());
  EXPECT_LT(s->score, 0.8) << s->ts_skew << " " << s->ts_madm << " " << s->ts_count;
}

TEST(ScoreBeacon, FewConnectionsInALongCaptureLoseTheCountScore) {
  std::vector<int64_t> starts = {0, 1'000'000'000, 2'000'000'000, 3'000'000'000};
  auto s = ScoreBeacon(starts, {64, 64, 64, 64}, 3600'000'000'000LL);
  ASSERT_TRUE(s.has_value());
  EXPECT_LT(s->ts_count, 0.01);
  EXPECT_FALSE(ScoreBeacon({0, 1}, {1, 1}, 10).has_value());
  EXPECT_FALSE(ScoreBeacon({5, 5, 5}, {1, 1, 1}, 10).has_value());  // no interval
}

// ---- DNS tunnelling --------------------------------------------------------------------------

TEST(DnsTunnel, ParentDomainAndEntropy) {
  EXPECT_EQ(internal::ParentDomain("a.b.tunnel.example"), "tunnel.example");
  EXPECT_EQ(internal::ParentDomain("x.y.example.co.uk"), "example.co.uk");
  EXPECT_EQ(internal::ParentDomain("example.com"), "example.com");
  EXPECT_EQ(internal::ParentDomain("com"), "com");
  EXPECT_DOUBLE_EQ(internal::ShannonBits("aaaa"), 0.0);
  EXPECT_DOUBLE_EQ(internal::ShannonBits("abcd"), 2.0);
}

DnsMessage Query(const std::string& name, uint16_t type) {
  DnsMessage m;
  m.questions.push_back({name, type, 1});
  return m;
}

TEST(DnsTunnel, LongRandomLabelsUnderOneParentAreAFinding) {
  WatchParams p;
  internal::TunnelTracker t(p);
  DecodedPacket d;
  d.src = *IpAddress::Parse("192.0.2.10");
  d.dst = *IpAddress::Parse("192.0.2.1");
  d.protocol = kProtoUdp;
  d.dst_port = 53;
  std::mt19937 rng(1);
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  for (int i = 0; i < 12; ++i) {
    std::string label;
    for (int k = 0; k < 45; ++k) label += alphabet[rng() % alphabet.size()];
    t.OnQuery(static_cast<uint64_t>(i + 1), i, d, Query(label + ".exfil.example.net", kDnsTxt));
  }
  auto f = t.Findings();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].peer, "example.net");
  EXPECT_EQ(f[0].facts.at("unique_subdomains"), "12");
  EXPECT_EQ(f[0].flows.size(), p.max_evidence);
  EXPECT_THAT(f[0].flows[0].packets, ElementsAre(1u));
  EXPECT_THAT(f[0].flows[0].note, HasSubstr(".exfil.example.net TXT"));
}

TEST(DnsTunnel, PlainNamesCdnNamesAndReverseLookupsAreNot) {
  internal::TunnelTracker t(WatchParams{});
  DecodedPacket d;
  for (int i = 0; i < 50; ++i) {
    t.OnQuery(1, i, d, Query("node-" + std::to_string(i) + ".pool.vendor.example", kDnsA));
    t.OnQuery(1, i, d, Query("e" + std::to_string(1000 + i) + ".a.akamaiedge.net", kDnsA));
    // 32 hex nibbles: long and varied by design, never a tunnel.
    t.OnQuery(1, i, d,
              Query("b.a.9.8.7.6.5.4.3.2.1.0.f.e.d.c.b.a." + std::to_string(i % 10) +
                        ".8.7.6.5.4.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
                    kDnsPtr));
  }
  EXPECT_THAT(t.Findings(), IsEmpty());
}

// ---- ICMP and volume -------------------------------------------------------------------------

TEST(Icmp, PingPatternsAreNotData) {
  std::vector<uint8_t> iputils(16, 0xa5);  // a timestamp, then 0x10, 0x11, ...
  for (int i = 16; i < 56; ++i) iputils.push_back(static_cast<uint8_t>(i));
  EXPECT_TRUE(internal::IcmpPayloadPatterned(iputils, 16));
  std::string windows = "abcdefghijklmnopqrstuvwabcdefghi";
  EXPECT_TRUE(internal::IcmpPayloadPatterned(
      ByteView(reinterpret_cast<const uint8_t*>(windows.data()), windows.size()), 16));
  std::vector<uint8_t> zeros(1400, 0);
  EXPECT_TRUE(internal::IcmpPayloadPatterned(zeros, 16));
  std::string text = "user=admin;pass=hunter2;host=core-router-1;";
  EXPECT_FALSE(internal::IcmpPayloadPatterned(
      ByteView(reinterpret_cast<const uint8_t*>(text.data()), text.size()), 16));
  iputils[40] ^= 0xff;  // one byte of data in the pattern
  EXPECT_FALSE(internal::IcmpPayloadPatterned(iputils, 16));
}

TEST(Volume, AnOutlierAgainstTheDevicesOwnFlows) {
  WatchParams p;
  internal::VolumeTracker v(p);
  for (int i = 0; i < 30; ++i) v.OnFlow(80 + i, "192.0.2.1", FlowEvidence{});
  v.OnFlow(200'000, "192.0.2.9", FlowEvidence{});
  auto f = v.Findings();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].peer, "192.0.2.9");
  EXPECT_EQ(f[0].facts.at("sent_bytes"), "200000");

  internal::VolumeTracker bulk(p);  // a device that always uploads a lot: its normal
  for (int i = 0; i < 30; ++i) bulk.OnFlow(150'000 + i * 1000, "192.0.2.1", FlowEvidence{});
  bulk.OnFlow(200'000, "192.0.2.9", FlowEvidence{});
  EXPECT_THAT(bulk.Findings(), IsEmpty());

  internal::VolumeTracker few(p);  // no baseline yet
  for (int i = 0; i < 5; ++i) few.OnFlow(80, "192.0.2.1", FlowEvidence{});
  few.OnFlow(500'000, "192.0.2.9", FlowEvidence{});
  EXPECT_THAT(few.Findings(), IsEmpty());
}

// ---- the profile -----------------------------------------------------------------------------

TEST(MudDeclaresHost, NamesNetworksAndWildcards) {
  MudProfile mud = TestMud();
  EXPECT_TRUE(internal::MudDeclaresHost(mud, "api.vendor.example"));
  EXPECT_TRUE(internal::MudDeclaresHost(mud, "API.Vendor.Example."));
  EXPECT_TRUE(internal::MudDeclaresHost(mud, "192.0.2.50"));   // a /32
  EXPECT_TRUE(internal::MudDeclaresHost(mud, "192.0.2.77"));   // the ping ACE's /24
  EXPECT_FALSE(internal::MudDeclaresHost(mud, "c2.beacon.net"));
  EXPECT_FALSE(internal::MudDeclaresHost(mud, "x.api.vendor.example"));
  EXPECT_FALSE(internal::MudDeclaresHost(mud, "203.0.113.9"));
}

TEST(Housekeeping, IcmpErrorsAndLinkTrafficAreNotJudged) {
  Flow f;
  f.proto = kProtoIcmp;
  f.orig_p = 3;  // port unreachable, answering a packet
  EXPECT_TRUE(internal::IsHousekeeping(f));
  f.orig_p = 8;  // echo request: the device reaching out
  EXPECT_FALSE(internal::IsHousekeeping(f));
  f.proto = kProtoIcmpv6;
  f.orig_p = 135;  // neighbour solicitation
  EXPECT_TRUE(internal::IsHousekeeping(f));
  f.orig_p = 128;
  EXPECT_FALSE(internal::IsHousekeeping(f));
  f.proto = kProtoUdp;
  f.orig_p = 68;
  f.resp_p = 67;
  EXPECT_TRUE(internal::IsHousekeeping(f));
  f.resp_p = 53;
  EXPECT_FALSE(internal::IsHousekeeping(f));
}

// ---- the whole, on the real capture ----------------------------------------------------------

TEST(WatchCapture, FindsThePlantedBehavioursAndNoDecoy) {
  WatchReport r = WatchFile(TestMud(), "192.0.2.10");
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(Found(r), (std::set<P>{{"CB-WATCH-001", "192.0.2.21"},
                                   {"CB-WATCH-001", "192.0.2.22"},
                                   {"CB-WATCH-001", "192.0.2.30"},
                                   {"CB-WATCH-001", "192.0.2.40"},
                                   {"CB-WATCH-002", "192.0.2.53"},
                                   {"CB-WATCH-010", "tunnel.example"},
                                   {"CB-WATCH-011", "192.0.2.40"},
                                   {"CB-WATCH-012", "192.0.2.60"},
                                   {"CB-WATCH-013", "192.0.2.20"}}));
  EXPECT_EQ(r.findings.size(), 9u);  // one finding per (check, peer)
  EXPECT_THAT(r.device_ips, ElementsAre("192.0.2.10"));
  EXPECT_TRUE(std::is_sorted(r.findings.begin(), r.findings.end(), WatchFindingBefore));
  for (const WatchFinding& f : r.findings) {
    ASSERT_FALSE(f.flows.empty()) << f.message;
    EXPECT_GT(f.flows[0].first_ns, 1'500'000'000'000'000'000LL) << f.message;
    EXPECT_FALSE(f.flows[0].packets.empty()) << f.message;
  }
}

TEST(WatchCapture, ByMacTheSameAsByAddress) {
  MudProfile mud = TestMud();
  WatchReport a = WatchFile(mud, "192.0.2.10"), b = WatchFile(mud, "02:00:00:00:00:10");
  EXPECT_EQ(Found(a), Found(b));
  EXPECT_EQ(a.declared_flows, b.declared_flows);
}

TEST(WatchCapture, AuditEndpointsJudgedAndWatched) {
  std::vector<AuditEndpoint> audit = {
      {"c2.beacon.net", "CB-NET-001", {{"fw.bin!squashfs:/etc/init.d/agent", 40}}, false},
      {"203.0.113.9", "CB-NET-001", {{"fw.bin!squashfs:/usr/bin/agent", 7}}, true},
      {"api.vendor.example", "CB-NET-001", {}, false}};  // declared: no finding
  WatchReport r = WatchFile(TestMud(), "192.0.2.10", audit);
  std::map<std::string, const WatchFinding*> f020;
  for (const WatchFinding& f : r.findings) {
    if (f.check_id == "CB-WATCH-020") f020[f.peer] = &f;
    if (f.check_id == "CB-WATCH-001" && f.peer == "192.0.2.40") {
      EXPECT_EQ(f.severity, WatchSeverity::kCritical);
      EXPECT_THAT(f.message, HasSubstr("c2.beacon.net is hard-coded in the image"));
    }
  }
  ASSERT_EQ(f020.size(), 2u);
  EXPECT_EQ(f020["c2.beacon.net"]->severity, WatchSeverity::kHigh);
  EXPECT_EQ(f020["c2.beacon.net"]->flow_count, 12u);
  EXPECT_EQ(f020["203.0.113.9"]->severity, WatchSeverity::kLow);  // only a program's strings
  EXPECT_TRUE(f020["203.0.113.9"]->flows.empty());
}

TEST(WatchCapture, WithoutAProfileEveryFlowIsUndeclaredAndTheDraftDeclaresThem) {
  WatchReport r = WatchFile(MudProfile{}, "192.0.2.10");
  EXPECT_EQ(r.declared_flows, 0u);
  MudProfile draft = DraftMud(r, "https://vendor.example/draft.json");
  std::string text = SerializeMud(draft);
  auto again = ParseMud(text, "draft");
  ASSERT_TRUE(again.ok()) << again.error().message() << "\n" << text;
  EXPECT_EQ(*again, draft);
  EXPECT_TRUE(internal::MudDeclaresHost(draft, "api.vendor.example"));  // by the asked name
  EXPECT_FALSE(internal::MudDeclaresHost(draft, "edge.cdn.example.net"));
  WatchReport judged = WatchFile(draft, "192.0.2.10");
  for (const WatchFinding& f : judged.findings) {
    EXPECT_NE(f.check_id, "CB-WATCH-001") << f.message;
    EXPECT_NE(f.check_id, "CB-WATCH-011") << f.message;
  }
}

TEST(WatchCapture, NoDeviceIsAnError) {
  auto cap = Capture::OpenFile(Data("netns.pcap"), {});
  ASSERT_TRUE(cap.ok());
  auto r = WatchCapture(**cap, "x", MudProfile{}, WatchOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("--device"));
}

// ---- --from-audit ----------------------------------------------------------------------------

TEST(ParseAuditEndpoints, ReadsHostsAndLocations) {
  std::string sarif = R"json({"version":"2.1.0","runs":[{"results":[
    {"ruleId":"CB-NET-001","message":{"text":"script /etc/init.d/agent has the hard-coded endpoint c2.beacon.net (2 times)"},
     "locations":[{"physicalLocation":{"artifactLocation":{"uri":"fw.img!squashfs%3A/etc/init.d/agent"},"region":{"byteOffset":41}}}]},
    {"ruleId":"CB-NET-001","message":{"text":"program /bin/ls has the hard-coded endpoint www.gnu.org (in a message text)"}},
    {"ruleId":"CB-NET-001","message":{"text":"program /usr/bin/agent has the hard-coded endpoint 203.0.113.9"}},
    {"ruleId":"CB-PLEDGE-004","message":{"text":"pledge broken: undeclared endpoint C2.Beacon.NET in /etc/init.d/agent"},
     "properties":{"severity":"medium"}},
    {"ruleId":"CB-ACCT-001","message":{"text":"whatever"}}]}]})json";
  auto e = ParseAuditEndpoints(sarif, "a.sarif");
  ASSERT_TRUE(e.ok()) << e.error().message();
  ASSERT_EQ(e->size(), 2u);
  EXPECT_EQ((*e)[0].host, "203.0.113.9");
  EXPECT_TRUE((*e)[0].in_program_strings);
  EXPECT_EQ((*e)[1].host, "c2.beacon.net");
  EXPECT_FALSE((*e)[1].in_program_strings);
  ASSERT_EQ((*e)[1].locations.size(), 1u);
  EXPECT_EQ((*e)[1].locations[0].uri, "fw.img!squashfs:/etc/init.d/agent");
  EXPECT_EQ((*e)[1].locations[0].byte_offset, 41u);
}

// Reports that name the endpoint in properties.endpoint (audit::Finding::endpoint): the
// host comes from there, not from the message, which may say anything.
TEST(ParseAuditEndpoints, ThePropertyIsUsedBeforeTheMessage) {
  std::string sarif = R"json({"version":"2.1.0","runs":[{"results":[
    {"ruleId":"CB-NET-001","message":{"text":"worded in some other way about not.this.host"},
     "properties":{"severity":"info","endpoint":"C2.Beacon.NET.","endpointSeen":"file"},
     "locations":[{"physicalLocation":{"artifactLocation":{"uri":"fw.img!squashfs%3A/etc/init.d/agent"},"region":{"byteOffset":41}}}]},
    {"ruleId":"CB-NET-001","message":{"text":"no host here"},
     "properties":{"endpoint":"www.gnu.org","endpointSeen":"message-text"}},
    {"ruleId":"CB-NET-001","message":{"text":"no host here either"},
     "properties":{"endpoint":"203.0.113.9","endpointSeen":"program-strings"}},
    {"ruleId":"CB-PLEDGE-004","message":{"text":"pledge broken"},
     "properties":{"severity":"medium","endpoint":"203.0.113.9","endpointSeen":"file"}},
    {"ruleId":"CB-PLEDGE-004","message":{"text":"pledge broken"},
     "properties":{"severity":"medium","endpoint":"telemetry.example"}}]}]})json";
  auto e = ParseAuditEndpoints(sarif, "a.sarif");
  ASSERT_TRUE(e.ok()) << e.error().message();
  ASSERT_EQ(e->size(), 3u);
  EXPECT_EQ((*e)[0].host, "203.0.113.9");
  EXPECT_FALSE((*e)[0].in_program_strings);  // also in a file (the pledge finding)
  EXPECT_EQ((*e)[0].rule, "CB-NET-001");
  EXPECT_EQ((*e)[1].host, "c2.beacon.net");
  ASSERT_EQ((*e)[1].locations.size(), 1u);
  EXPECT_EQ((*e)[1].locations[0].uri, "fw.img!squashfs:/etc/init.d/agent");
  EXPECT_EQ((*e)[2].host, "telemetry.example");  // no endpointSeen: a file
  EXPECT_FALSE((*e)[2].in_program_strings);

  // Only in programs' strings everywhere: low.
  e = ParseAuditEndpoints(R"json({"version":"2.1.0","runs":[{"results":[
    {"ruleId":"CB-NET-001","message":{"text":"x"},
     "properties":{"endpoint":"203.0.113.9","endpointSeen":"program-strings"}}]}]})json",
                          "a.sarif");
  ASSERT_TRUE(e.ok()) << e.error().message();
  ASSERT_EQ(e->size(), 1u);
  EXPECT_TRUE((*e)[0].in_program_strings);
}

TEST(ParseAuditEndpoints, ABadPropertyIsAnErrorNamingItsPath) {
  auto msg = [](std::string_view props) {
    std::string text = R"({"version":"2.1.0","runs":[{"results":[{"ruleId":"CB-NET-001",)"
                       R"("message":{"text":"has the hard-coded endpoint ok.example"},"properties":)" +
                       std::string(props) + "}]}]}";
    auto r = ParseAuditEndpoints(text, "a.sarif");
    return r.ok() ? std::string("ok") : r.error().message();
  };
  EXPECT_THAT(msg(R"({"endpoint":7})"),
              HasSubstr("a.sarif: /runs/0/results/0/properties/endpoint: expected a string"));
  EXPECT_THAT(msg(R"({"endpoint":"<script>"})"),
              HasSubstr("/runs/0/results/0/properties/endpoint: not a host"));
  EXPECT_THAT(msg(R"({"endpoint":""})"), HasSubstr("/properties/endpoint"));
  EXPECT_THAT(msg(R"({"endpoint":"a.example","endpointSeen":"somewhere"})"),
              HasSubstr("/runs/0/results/0/properties/endpointSeen: expected"));
  EXPECT_THAT(msg(R"({"endpoint":"a.example","endpointSeen":false})"),
              HasSubstr("/properties/endpointSeen: expected a string"));
  // Without the property (an older report), the message is read.
  EXPECT_EQ(msg(R"({"severity":"info"})"), "ok");
}

TEST(ParseAuditEndpoints, ErrorsNameTheFileAndPath) {
  auto msg = [](std::string_view text) {
    auto r = ParseAuditEndpoints(text, "a.sarif");
    return r.ok() ? std::string("ok") : r.error().message();
  };
  EXPECT_THAT(msg("not json"), HasSubstr("a.sarif"));
  EXPECT_THAT(msg(R"({"version":"2.0.0","runs":[]})"), HasSubstr("/version: not SARIF 2.1.0"));
  EXPECT_THAT(msg(R"({"version":"2.1.0","runs":{}})"), HasSubstr("/runs: expected an array"));
  EXPECT_THAT(msg(R"({"version":"2.1.0","runs":[{"results":[{"ruleId":"CB-NET-001"}]}]})"),
              HasSubstr("/runs/0/results/0/message/text"));
  EXPECT_THAT(msg(R"({"version":"2.1.0","runs":[{"results":[{"ruleId":"CB-NET-001",
                     "message":{"text":"nothing here"}}]}]})"),
              HasSubstr("no endpoint host"));
  EXPECT_THAT(msg(std::string(100, '[') + std::string(100, ']')), HasSubstr("a.sarif"));
  EXPECT_EQ(msg(R"({"version":"2.1.0","runs":[]})"), "ok");
}

}  // namespace
}  // namespace clearbox::watch
