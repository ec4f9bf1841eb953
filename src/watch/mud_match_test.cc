// Unit tests of MudProfile::Match: the Cisco luminaire profile against the flows it declares
// and near misses (direction, direction-initiated, port, name, protocol, controller, local
// networks), and a hand-written profile with one ACE per match kind and port operator.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "clearbox/core/file.h"
#include "clearbox/watch/mud.h"

namespace clearbox::watch {
namespace {

using json = nlohmann::ordered_json;
using Dir = MudFlow::Direction;
using Who = MudFlow::Initiator;

MudProfile Luminaire() {
  Result<std::string> text =
      ReadTextFile(std::string(CLEARBOX_SHARED_DIR) + "/vectors/mud/cisco-luminaire_150.mud.json");
  EXPECT_TRUE(text.ok());
  Result<MudProfile> p = ParseMud(text.ok() ? *text : "", "luminaire");
  EXPECT_TRUE(p.ok()) << p.error().message();
  return p.ok() ? *p : MudProfile{};
}

MudFlow Flow(Dir dir, const std::string& peer, uint8_t protocol, uint16_t device_port,
             uint16_t peer_port, Who who = Who::kDevice) {
  MudFlow f;
  f.direction = dir;
  f.peer_ip = peer;
  f.protocol = protocol;
  f.device_port = device_port;
  f.peer_port = peer_port;
  f.initiator = who;
  return f;
}

// "acl/ace" of the match, or "none".
std::string Hit(const MudProfile& p, const MudFlow& f, const MudEnv& env = MudEnv{}) {
  std::optional<MudMatch> m = p.Match(f, env);
  return m ? m->acl + "/" + m->ace : "none";
}

TEST(MudMatch, LuminaireFirmwareUpdateByName) {
  MudProfile p = Luminaire();
  MudFlow out = Flow(Dir::kFromDevice, "198.51.100.5", 6, 50000, 443);
  out.peer_names = {"FW-Update.luminaire.example.com."};
  EXPECT_EQ(Hit(p, out), "mud-21966-v4fr/cl0-frdev");
  MudFlow back = Flow(Dir::kToDevice, "198.51.100.5", 6, 50000, 443);
  back.peer_names = out.peer_names;
  EXPECT_EQ(Hit(p, back), "mud-21966-v4to/cl0-todev");

  MudFlow f = out;
  f.initiator = Who::kPeer;  // direction-initiated from-device: the cloud may not open it
  EXPECT_EQ(Hit(p, f), "none");
  f.initiator = Who::kUnknown;  // a capture that began mid-connection proves nothing
  EXPECT_EQ(Hit(p, f), "none");
  f = out;
  f.peer_port = 8443;
  EXPECT_EQ(Hit(p, f), "none");
  f = out;
  f.peer_names = {"evil.example.net", "luminaire.example.com"};
  EXPECT_EQ(Hit(p, f), "none");
  f = out;
  f.protocol = 17;
  EXPECT_EQ(Hit(p, f), "none");
  f = out;
  f.peer_ip = "2001:db8::5";  // an ipv4 ACE does not match an IPv6 flow
  EXPECT_EQ(Hit(p, f), "none");
  f = out;
  f.direction = Dir::kToDevice;  // to-device ACEs want source-port 443, the peer's port
  f.peer_port = 50000;
  f.device_port = 443;
  EXPECT_EQ(Hit(p, f), "none");
}

TEST(MudMatch, LuminaireMyControllerNeedsTheControllerMap) {
  MudProfile p = Luminaire();
  MudFlow f = Flow(Dir::kFromDevice, "203.0.113.10", 17, 40000, 5684);
  EXPECT_EQ(Hit(p, f), "none");
  MudEnv env;
  env.controllers.push_back({"", {"203.0.113.10"}});
  EXPECT_EQ(Hit(p, f, env), "mud-21966-v4fr/myctl0-frdev");
  MudEnv by_name;
  by_name.controllers.push_back({"", {"ctl.site.example"}});
  f.peer_names = {"ctl.site.example"};
  EXPECT_EQ(Hit(p, f, by_name), "mud-21966-v4fr/myctl0-frdev");
  MudEnv other;
  other.controllers.push_back({"urn:example:other", {"203.0.113.10"}});  // not my-controller
  EXPECT_EQ(Hit(p, f, other), "none");
  MudFlow in = Flow(Dir::kToDevice, "203.0.113.10", 17, 40000, 5684, Who::kPeer);
  EXPECT_EQ(Hit(p, in, env), "mud-21966-v4to/myctl0-todev");
}

TEST(MudMatch, LuminaireLocalNetworks) {
  MudProfile p = Luminaire();
  for (const char* local : {"10.1.2.3", "172.31.0.1", "192.168.1.20", "169.254.7.7", "224.0.0.251"}) {
    EXPECT_EQ(Hit(p, Flow(Dir::kFromDevice, local, 17, 5683, 5683)), "mud-21966-v4fr/loc0-frdev")
        << local;
  }
  MudFlow f = Flow(Dir::kFromDevice, "8.8.8.8", 17, 5683, 5683);
  EXPECT_EQ(Hit(p, f), "none");
  f.peer_on_local_network = true;  // the capture knows better (a public /24 on the LAN)
  EXPECT_EQ(Hit(p, f), "mud-21966-v4fr/loc0-frdev");
  f.peer_on_local_network = false;
  MudEnv env;
  env.local_networks = {"8.8.8.0/24"};
  EXPECT_EQ(Hit(p, f, env), "mud-21966-v4fr/loc0-frdev");
  EXPECT_EQ(Hit(p, Flow(Dir::kFromDevice, "172.32.0.1", 17, 5683, 5683)), "none");
}

// One ACE per feature, each on its own destination port so that exactly one can match.
MudProfile Synthetic() {
  json aces = json::array();
  auto add = [&aces](const std::string& name, const char* matches,
                     const std::string& action = "accept") {
    aces.push_back({{"name", name},
                    {"matches", json::parse(matches)},
                    {"actions", {{"forwarding", action}}}});
  };
  add("eq", R"({"udp": {"destination-port": {"operator": "eq", "port": 1001}}})");
  add("range", R"({"tcp": {"destination-port": {"lower-port": 2000, "upper-port": 2010}}})");
  add("lte", R"({"tcp": {"source-port": {"operator": "lte", "port": 1023},
                          "destination-port": {"port": 3000}}})");
  add("gte", R"({"udp": {"source-port": {"operator": "gte", "port": 49152},
                          "destination-port": {"port": 3001}}})");
  add("neq-blocked", R"({"udp": {"source-port": {"port": 9}, "destination-port": {"port": 3002}}})",
      "drop");
  add("neq", R"({"udp": {"source-port": {"operator": "neq", "port": 9},
                          "destination-port": {"port": 3002}}})");
  add("ntp", R"({"ipv6": {"ietf-acldns:dst-dnsname": "*.pool.ntp.org", "protocol": 17},
                 "udp": {"destination-port": {"port": 123}}})");
  add("net", R"({"ipv6": {"destination-ipv6-network": "2001:db8:10::/48"},
                 "tcp": {"destination-port": {"port": 4000}}})");
  add("ping", R"({"ipv6": {"protocol": 58}, "icmp": {"type": 128}})");
  add("vendor", R"({"ietf-mud:mud": {"manufacturer": "vendor.example"},
                    "tcp": {"destination-port": {"port": 5000}}})");
  add("peers", R"({"ietf-mud:mud": {"same-manufacturer": [null]},
                   "tcp": {"destination-port": {"port": 5001}}})");
  add("model", R"({"ietf-mud:mud": {"model": "https://vendor.example/hub"},
                   "tcp": {"destination-port": {"port": 5002}}})");
  add("dns", R"({"ietf-mud:mud": {"controller": "urn:ietf:params:mud:dns"},
                 "udp": {"destination-port": {"port": 53}}})");
  add("lan6", R"({"ietf-mud:mud": {"local-networks": [null]},
                  "udp": {"destination-port": {"port": 5353}}})");
  add("mac", R"({"eth": {"destination-mac-address": "01:00:5e:00:00:00",
                         "destination-mac-address-mask": "ff:ff:ff:80:00:00"},
                 "udp": {"destination-port": {"port": 6000}}})");
  json doc = json::parse(R"({
    "ietf-mud:mud": {"mud-version": 1, "mud-url": "https://devices.acme.example/sensor",
                     "last-update": "2026-01-01T00:00:00Z", "is-supported": true,
                     "from-device-policy": {"access-lists": {"access-list": [{"name": "out"}]}}},
    "ietf-access-control-list:acls": {"acl": [{"name": "out",
                                               "type": "mixed-eth-ipv4-ipv6-acl-type"}]}})");
  doc["ietf-access-control-list:acls"]["acl"][0]["aces"]["ace"] = aces;
  Result<MudProfile> p = ParseMud(doc.dump(), "synthetic");
  EXPECT_TRUE(p.ok()) << p.error().message();
  return p.ok() ? *p : MudProfile{};
}

std::string Out(const MudProfile& p, const std::string& peer, uint8_t proto, uint16_t sport,
                uint16_t dport, std::vector<std::string> names = {}, const MudEnv& env = MudEnv{}) {
  MudFlow f = Flow(Dir::kFromDevice, peer, proto, sport, dport);
  f.peer_names = std::move(names);
  std::optional<MudMatch> m = p.Match(f, env);
  return m ? m->ace : "none";
}

TEST(MudMatch, PortOperatorsAndRanges) {
  MudProfile p = Synthetic();
  EXPECT_EQ(Out(p, "192.0.2.1", 17, 40000, 1001), "eq");
  EXPECT_EQ(Out(p, "192.0.2.1", 17, 40000, 1002), "none");
  EXPECT_EQ(Out(p, "192.0.2.1", 6, 40000, 1001), "none");  // a udp ACE, a tcp flow
  EXPECT_EQ(Out(p, "192.0.2.1", 6, 40000, 2000), "range");
  EXPECT_EQ(Out(p, "192.0.2.1", 6, 40000, 2010), "range");
  EXPECT_EQ(Out(p, "192.0.2.1", 6, 40000, 2011), "none");
  EXPECT_EQ(Out(p, "192.0.2.1", 6, 1023, 3000), "lte");
  EXPECT_EQ(Out(p, "192.0.2.1", 6, 1024, 3000), "none");
  EXPECT_EQ(Out(p, "192.0.2.1", 17, 49152, 3001), "gte");
  EXPECT_EQ(Out(p, "192.0.2.1", 17, 49151, 3001), "none");
  EXPECT_EQ(Out(p, "192.0.2.1", 17, 10, 3002), "neq");
  EXPECT_EQ(Out(p, "192.0.2.1", 17, 9, 3002), "neq-blocked");  // first ACE in order wins
  MudFlow f = Flow(Dir::kFromDevice, "192.0.2.1", 17, 9, 3002);
  EXPECT_EQ(p.Match(f)->action, MudAce::Action::kDrop);
  MudPortMatch m{MudPortMatch::Op::kNeq, 80, 0};
  EXPECT_TRUE(m.Matches(81));
  EXPECT_FALSE(m.Matches(80));
}

TEST(MudMatch, NamesNetworksAndIcmp) {
  MudProfile p = Synthetic();
  EXPECT_EQ(Out(p, "2001:db8::1", 17, 123, 123, {"0.pool.ntp.org"}), "ntp");
  EXPECT_EQ(Out(p, "2001:db8::1", 17, 123, 123, {"pool.ntp.org"}), "none");  // "*." is strictly under
  EXPECT_EQ(Out(p, "192.0.2.1", 17, 123, 123, {"0.pool.ntp.org"}), "none");  // an ipv6 ACE
  EXPECT_EQ(Out(p, "2001:db8:10:ffff::1", 6, 40000, 4000), "net");
  EXPECT_EQ(Out(p, "2001:db8:11::1", 6, 40000, 4000), "none");
  MudFlow ping = Flow(Dir::kFromDevice, "2001:db8::1", 58, 0, 0);
  ping.icmp_type = 128;
  EXPECT_EQ(Hit(p, ping), "out/ping");
  ping.icmp_type = 129;
  EXPECT_EQ(Hit(p, ping), "none");
}

TEST(MudMatch, ManufacturerModelAndController) {
  MudProfile p = Synthetic();
  EXPECT_EQ(Out(p, "192.0.2.1", 6, 40000, 5000, {"api.vendor.example"}), "vendor");
  EXPECT_EQ(Out(p, "192.0.2.1", 6, 40000, 5000, {"vendor.example.evil.net"}), "none");
  // A known MUD URL of the peer beats the name heuristic.
  MudEnv env;
  env.peer_mud_urls.push_back({"192.0.2.1", "https://other.example/x"});
  EXPECT_EQ(Out(p, "192.0.2.1", 6, 40000, 5000, {"api.vendor.example"}, env), "none");
  env.peer_mud_urls[0].mud_url = "https://Vendor.Example/hub";
  EXPECT_EQ(Out(p, "192.0.2.1", 6, 40000, 5000, {}, env), "vendor");
  EXPECT_EQ(Out(p, "192.0.2.1", 6, 40000, 5002, {}, env), "none");  // model compares the URL
  env.peer_mud_urls[0].mud_url = "https://vendor.example/hub";
  EXPECT_EQ(Out(p, "192.0.2.1", 6, 40000, 5002, {}, env), "model");
  // same-manufacturer: the authority of this profile's own URL.
  EXPECT_EQ(Out(p, "192.0.2.9", 6, 40000, 5001, {"hub.devices.acme.example"}), "peers");
  EXPECT_EQ(Out(p, "192.0.2.9", 6, 40000, 5001, {"acme.example"}), "none");
  MudEnv dns;
  dns.controllers.push_back({"urn:ietf:params:mud:dns", {"192.0.2.53", "resolver.lan"}});
  EXPECT_EQ(Out(p, "192.0.2.53", 17, 40000, 53, {}, dns), "dns");
  EXPECT_EQ(Out(p, "192.0.2.54", 17, 40000, 53, {"Resolver.LAN."}, dns), "dns");
  EXPECT_EQ(Out(p, "192.0.2.54", 17, 40000, 53, {}, dns), "none");
}

TEST(MudMatch, Ipv6LocalNetworksAndMac) {
  MudProfile p = Synthetic();
  EXPECT_EQ(Out(p, "fe80::1", 17, 5353, 5353), "lan6");
  EXPECT_EQ(Out(p, "fd12:3456::1", 17, 5353, 5353), "lan6");
  EXPECT_EQ(Out(p, "ff02::fb", 17, 5353, 5353), "lan6");
  EXPECT_EQ(Out(p, "2001:db8::1", 17, 5353, 5353), "none");
  MudFlow f = Flow(Dir::kFromDevice, "239.1.2.3", 17, 40000, 6000);
  EXPECT_EQ(Hit(p, f), "none");  // the MAC is not known
  f.peer_mac = "01:00:5E:01:02:03";
  EXPECT_EQ(Hit(p, f), "out/mac");
  f.peer_mac = "01:00:5e:81:02:03";  // outside the mask's 25 bits
  EXPECT_EQ(Hit(p, f), "none");
}

TEST(MudMatch, ToDeviceHasNoPolicyHere) {
  MudProfile p = Synthetic();
  MudFlow f = Flow(Dir::kToDevice, "192.0.2.1", 17, 1001, 40000, Who::kPeer);
  EXPECT_EQ(Hit(p, f), "none");
}

}  // namespace
}  // namespace clearbox::watch
