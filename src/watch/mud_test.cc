// Unit tests of the MUD parser and writer: the two public vectors (final RFC 8520 format
// accepted with its content, pre-RFC draft format refused naming the draft member), the
// round trip, the pledge-embedded profile, and each strictness and limit error with its path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "clearbox/core/file.h"
#include "clearbox/watch/mud.h"

namespace clearbox::watch {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::ordered_json;

const std::string kVectors = std::string(CLEARBOX_SHARED_DIR) + "/vectors/mud/";

std::string ReadVector(const std::string& name) {
  Result<std::string> text = ReadTextFile(kVectors + name);
  EXPECT_TRUE(text.ok()) << name;
  return text.ok() ? *text : "";
}

json Luminaire() { return json::parse(ReadVector("cisco-luminaire_150.mud.json")); }

// The error ParseMud gives for `doc` ("" when it parses), with its code checked.
std::string ErrorOf(const std::string& text, ErrorCode code = ErrorCode::kInvalidInput) {
  Result<MudProfile> p = ParseMud(text, "mud.json");
  if (p.ok()) return "";
  EXPECT_EQ(p.error().code(), code) << p.error().message();
  return p.error().message();
}
std::string ErrorOf(const json& doc, ErrorCode code = ErrorCode::kInvalidInput) {
  return ErrorOf(doc.dump(), code);
}

// ACE i of the luminaire's from-device ACL, as JSON.
json& FromAce(json& doc, size_t i) {
  return doc["ietf-access-control-list:acls"]["acl"][1]["aces"]["ace"][i];
}
const std::string kFromAce0 = "mud.json: /ietf-access-control-list:acls/acl/1/aces/ace/0";

TEST(ParseMud, CiscoLuminaireFinalFormat) {
  Result<MudProfile> p = ParseMud(ReadVector("cisco-luminaire_150.mud.json"), "luminaire");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->mud_url, "https://luminaire.example.com/Luminaire_150");
  EXPECT_EQ(p->Authority(), "luminaire.example.com");
  EXPECT_EQ(p->last_update, "2018-06-29T19:50:19+02:00");
  EXPECT_EQ(p->cache_validity, 48);
  EXPECT_TRUE(p->is_supported);
  EXPECT_EQ(p->systeminfo, "MUD-enabled Luminaire");
  EXPECT_THAT(p->from_device_policy, ElementsAre("mud-21966-v4fr"));
  EXPECT_THAT(p->to_device_policy, ElementsAre("mud-21966-v4to"));
  ASSERT_EQ(p->acls.size(), 2u);
  const MudAcl& to = p->acls[0];
  EXPECT_EQ(to.name, "mud-21966-v4to");
  EXPECT_EQ(to.type, "ipv4-acl-type");
  ASSERT_EQ(to.aces.size(), 3u);
  EXPECT_EQ(to.aces[0].name, "cl0-todev");
  ASSERT_TRUE(to.aces[0].ip && to.aces[0].l4);
  EXPECT_EQ(to.aces[0].ip->src_dnsname, "fw-update.luminaire.example.com");
  EXPECT_EQ(to.aces[0].ip->protocol, 6);
  EXPECT_EQ(to.aces[0].l4->kind, MudL4Match::Kind::kTcp);
  EXPECT_EQ(to.aces[0].l4->direction_initiated, MudL4Match::Initiated::kFromDevice);
  ASSERT_TRUE(to.aces[0].l4->src_port);
  EXPECT_EQ(to.aces[0].l4->src_port->op, MudPortMatch::Op::kEq);
  EXPECT_EQ(to.aces[0].l4->src_port->port, 443);
  EXPECT_FALSE(to.aces[0].l4->dst_port);
  ASSERT_TRUE(to.aces[1].mud);
  EXPECT_TRUE(to.aces[1].mud->my_controller);
  EXPECT_FALSE(to.aces[1].mud->local_networks);
  EXPECT_EQ(to.aces[1].l4->kind, MudL4Match::Kind::kUdp);
  EXPECT_EQ(to.aces[1].l4->src_port->port, 5684);
  ASSERT_TRUE(to.aces[2].mud);
  EXPECT_TRUE(to.aces[2].mud->local_networks);
  const MudAcl& from = p->acls[1];
  EXPECT_EQ(from.name, "mud-21966-v4fr");
  ASSERT_EQ(from.aces.size(), 3u);
  EXPECT_EQ(from.aces[0].ip->dst_dnsname, "fw-update.luminaire.example.com");
  EXPECT_EQ(from.aces[0].l4->dst_port->port, 443);
  EXPECT_EQ(from.aces[2].l4->dst_port->port, 5683);
  for (const MudAcl& acl : p->acls) {
    for (const MudAce& ace : acl.aces) EXPECT_EQ(ace.action, MudAce::Action::kAccept);
  }
}

TEST(ParseMud, OsmudDraftFormatIsRefusedNamingTheDraftMember) {
  std::string error = ErrorOf(ReadVector("osmud-lightbulb2000.draft-format.mud.json"));
  EXPECT_THAT(error, HasSubstr("mud.json: /ietf-access-control-list:access-lists: unknown member"));
  EXPECT_THAT(error, HasSubstr("pre-RFC draft name"));
  EXPECT_THAT(error, HasSubstr("ietf-access-control-list:acls"));
}

TEST(ParseMud, DraftMembersInsideAnAclAreNamed) {
  json doc = Luminaire();
  json& acl = doc["ietf-access-control-list:acls"]["acl"][1];
  acl["acl-type"] = acl["type"];
  acl.erase("type");
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/acl/1/acl-type: unknown member: \"acl-type\" is a pre-RFC"));
  doc = Luminaire();
  FromAce(doc, 0)["matches"]["ipv6-acl"] = json::object();
  EXPECT_THAT(ErrorOf(doc), HasSubstr(kFromAce0 + "/matches/ipv6-acl: unknown member"));
  doc = Luminaire();
  FromAce(doc, 0)["rule-name"] = "x";
  EXPECT_THAT(ErrorOf(doc), HasSubstr(kFromAce0 + "/rule-name: unknown member: \"rule-name\""));
}

TEST(ParseMud, RoundTripIsExact) {
  Result<MudProfile> p = ParseMud(ReadVector("cisco-luminaire_150.mud.json"), "luminaire");
  ASSERT_TRUE(p.ok());
  std::string text = SerializeMud(*p);
  Result<MudProfile> again = ParseMud(text, "serialized");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(*again, *p);
  EXPECT_EQ(SerializeMud(*again), text);
  EXPECT_EQ(json::parse(text)["ietf-access-control-list:acls"]["acl"][0]["aces"]["ace"][1]
                ["matches"]["ietf-mud:mud"]["my-controller"],
            json::array({nullptr}));
}

TEST(ParseMud, RoundTripOfEveryMatchKind) {
  json doc = Luminaire();
  FromAce(doc, 0)["matches"] = json::parse(R"({
    "eth": {"destination-mac-address": "AA:bb:cc:dd:ee:ff",
            "destination-mac-address-mask": "ff:ff:ff:00:00:00", "ethertype": "ipv4"},
    "ipv4": {"destination-ipv4-network": "192.0.2.0/24", "source-ipv4-network": "10.0.0.1/32",
             "protocol": 17},
    "udp": {"destination-port": {"lower-port": 1000, "upper-port": 2000},
            "source-port": {"operator": "gte", "port": 1024}},
    "ietf-mud:mud": {"manufacturer": "Vendor.Example", "same-manufacturer": [null],
                     "model": "https://vendor.example/m1", "controller": "urn:ietf:params:mud:dns",
                     "my-controller": [null], "local-networks": [null]}})");
  FromAce(doc, 1)["matches"] = json::parse(R"({"ipv6": {"protocol": 58}, "icmp": {"type": 128, "code": 0}})");
  doc["ietf-access-control-list:acls"]["acl"][1]["type"] = "mixed-eth-ipv4-ipv6-acl-type";
  FromAce(doc, 2)["actions"] = {{"forwarding", "ietf-access-control-list:drop"}, {"logging", "log-syslog"}};
  doc["ietf-mud:mud"]["extensions"] = {"ext-one"};
  doc["ietf-mud:mud"]["mfg-name"] = "Example";
  Result<MudProfile> p = ParseMud(doc.dump(), "all");
  ASSERT_TRUE(p.ok()) << p.error().message();
  const MudAce& ace = p->acls[1].aces[0];
  EXPECT_EQ(ace.eth->dst_mac, "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(ace.eth->ethertype, 0x0800);
  EXPECT_EQ(ace.l4->dst_port->op, MudPortMatch::Op::kRange);
  EXPECT_EQ(ace.l4->src_port->op, MudPortMatch::Op::kGte);
  EXPECT_EQ(ace.mud->manufacturer, "vendor.example");
  EXPECT_EQ(p->acls[1].aces[1].l4->icmp_type, 128);
  EXPECT_EQ(p->acls[1].aces[2].action, MudAce::Action::kDrop);
  EXPECT_EQ(p->acls[1].aces[2].logging, "log-syslog");
  Result<MudProfile> again = ParseMud(SerializeMud(*p), "again");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(*again, *p);
}

TEST(ParseMud, ProfileEmbeddedInThePledge) {
  Result<std::string> text = ReadTextFile(std::string(CLEARBOX_SOURCE_DIR) + "/docs/examples/pledge.json");
  ASSERT_TRUE(text.ok());
  Result<MudProfile> p = ParseMudFromPledge(*text, "pledge.json");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_FALSE(p->from_device_policy.empty());
  EXPECT_FALSE(p->acls.empty());
  json doc = json::parse(*text);
  doc["outbound"]["mud"]["ietf-mud:mud"]["mud-vers"] = 1;
  Result<MudProfile> bad = ParseMudFromPledge(doc.dump(), "pledge.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(),
              HasSubstr("pledge.json: /outbound/mud/ietf-mud:mud/mud-vers: unknown member"));
  doc["outbound"] = {{"mud_url", "https://x.example/m.json"}};
  bad = ParseMudFromPledge(doc.dump(), "pledge.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kUnsupported);
  EXPECT_THAT(bad.error().message(), HasSubstr("--mud FILE"));
}

TEST(ParseMud, UnknownMembersAreNamedByPath) {
  json doc = Luminaire();
  FromAce(doc, 0)["matches"]["tcp"]["dport"] = 443;
  EXPECT_THAT(ErrorOf(doc), HasSubstr(kFromAce0 + "/matches/tcp/dport: unknown member (expected"));
  doc = Luminaire();
  doc["ietf-mud:mud"]["colour"] = "red";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("mud.json: /ietf-mud:mud/colour: unknown member"));
  doc = Luminaire();
  doc["extra"] = 1;
  EXPECT_THAT(ErrorOf(doc), HasSubstr("mud.json: /extra: unknown member"));
  doc = Luminaire();
  FromAce(doc, 0)["matches"]["udp"] = {{"ietf-mud:direction-initiated", "from-device"}};
  FromAce(doc, 0)["matches"].erase("tcp");
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/matches/udp/ietf-mud:direction-initiated: direction-initiated applies to tcp only"));
}

TEST(ParseMud, WrongTypesAndValues) {
  struct Case {
    std::string pointer;
    json value;
    std::string want;
  };
  const std::string to0 = "/ietf-access-control-list:acls/acl/0/aces/ace/0";
  const std::string to1 = "/ietf-access-control-list:acls/acl/0/aces/ace/1";
  for (const Case& c : std::vector<Case>{
           {"/ietf-mud:mud/mud-version", 2, "version 2 is not RFC 8520"},
           {"/ietf-mud:mud/mud-version", "1", "expected a number, got string"},
           {"/ietf-mud:mud/mud-url", "http://luminaire.example.com/x", "is not an https:// URL"},
           {"/ietf-mud:mud/last-update", "yesterday", "is not a date-and-time"},
           {"/ietf-mud:mud/cache-validity", 169, "169 is out of range (1-168)"},
           {"/ietf-mud:mud/is-supported", "yes", "expected true or false"},
           {"/ietf-mud:mud/systeminfo", std::string(61, 'x'), "longer than the 60 characters"},
           {to0 + "/matches/tcp/source-port/operator", "lt", "\"lt\" is not an RFC 8519 operator"},
           {to0 + "/matches/tcp/source-port/port", 65536, "65536 is out of range (0-65535)"},
           {to0 + "/matches/tcp/source-port/port", -1, "a negative number"},
           {to0 + "/matches/tcp/source-port/port", 1.5, "got a fraction"},
           {to0 + "/matches/tcp/ietf-mud:direction-initiated", "sideways", "not from-device or to-device"},
           {to0 + "/matches/ipv4/protocol", 17, "protocol 17 contradicts the tcp match"},
           {to0 + "/matches/ipv4/ietf-acldns:src-dnsname", "bad name!", "is not a host name"},
           {to0 + "/actions/forwarding", "allow", "\"allow\" is not one of accept, drop or reject"},
           {to1 + "/matches/ietf-mud:mud/my-controller", true, "an empty leaf is written [null]"},
           {to1 + "/matches/ietf-mud:mud/my-controller", json::array(), "an empty leaf is written [null]"},
           {to1 + "/matches/ietf-mud:mud/my-controller", nullptr, "an empty leaf is written [null]"},
           {to1 + "/matches/ietf-mud:mud/controller", json::array({nullptr}), "expected a string, got array"},
           {"/ietf-access-control-list:acls/acl/0/type", "ipv5-acl-type", "is not one of ipv4-acl-type"},
           {"/ietf-access-control-list:acls/acl/0/name", "", "an empty string"},
       }) {
    json doc = Luminaire();
    doc[json::json_pointer(c.pointer)] = c.value;
    std::string error = ErrorOf(doc);
    EXPECT_THAT(error, HasSubstr("mud.json: " + c.pointer + ": ")) << c.pointer;
    EXPECT_THAT(error, HasSubstr(c.want)) << c.pointer;
  }
}

TEST(ParseMud, StructuralRules) {
  json doc = Luminaire();
  doc["ietf-mud:mud"]["from-device-policy"]["access-lists"]["access-list"][0]["name"] = "nope";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/ietf-mud:mud/from-device-policy/access-lists/access-list/0/"
                                      "name: ACL \"nope\" is not in ietf-access-control-list:acls"));
  doc = Luminaire();
  doc["ietf-access-control-list:acls"]["acl"][1]["name"] = "mud-21966-v4to";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/acl/1/name: ACL \"mud-21966-v4to\" appears twice"));
  doc = Luminaire();
  FromAce(doc, 1)["name"] = "cl0-frdev";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/ace/1/name: ACE \"cl0-frdev\" appears twice"));
  doc = Luminaire();
  doc["ietf-mud:mud"].erase("is-supported");
  EXPECT_THAT(ErrorOf(doc), HasSubstr("mud.json: /ietf-mud:mud: missing required member \"is-supported\""));
  doc = Luminaire();
  FromAce(doc, 0)["matches"]["ipv4"]["destination-ipv4-network"] = "192.0.2.0/24";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/matches/ipv4/ietf-acldns:dst-dnsname: a network and a DNS name"));
  doc = Luminaire();
  FromAce(doc, 0)["matches"]["ipv6"] = json::object();
  EXPECT_THAT(ErrorOf(doc), HasSubstr("ipv4 and ipv6 are alternatives"));
  doc = Luminaire();
  FromAce(doc, 0)["matches"]["udp"] = json::object();
  EXPECT_THAT(ErrorOf(doc), HasSubstr("tcp, udp and icmp are alternatives"));
  doc = Luminaire();
  FromAce(doc, 0)["matches"]["ipv4"].erase("ietf-acldns:dst-dnsname");
  FromAce(doc, 0)["matches"]["ipv4"]["destination-ipv4-network"] = "2001:db8::/32";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/destination-ipv4-network: \"2001:db8::/32\" is not an ipv4 prefix"));
  doc = Luminaire();
  FromAce(doc, 0)["matches"]["tcp"]["destination-port"] = {{"lower-port", 20}, {"upper-port", 10}};
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/destination-port/upper-port: upper-port 10 is below lower-port 20"));
  FromAce(doc, 0)["matches"]["tcp"]["destination-port"] = {{"lower-port", 20}, {"port", 30}};
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/destination-port: either operator/port or lower-port/upper-port"));
  doc = Luminaire();
  FromAce(doc, 0)["matches"]["ipv4"] = {{"protocol", 6}};
  FromAce(doc, 0)["matches"].erase("tcp");
  FromAce(doc, 0)["matches"]["ipv6"] = FromAce(doc, 0)["matches"]["ipv4"];
  FromAce(doc, 0)["matches"].erase("ipv4");
  EXPECT_THAT(ErrorOf(doc), HasSubstr(kFromAce0 + "/matches/ipv6: an ipv6 match in an ACL of type ipv4-acl-type"));
}

TEST(ParseMud, ValidMatchesClearboxCannotJudgeAreUnsupported) {
  json doc = Luminaire();
  FromAce(doc, 0)["matches"]["ipv4"]["ttl"] = 64;
  EXPECT_THAT(ErrorOf(doc, ErrorCode::kUnsupported), HasSubstr(kFromAce0 + "/matches/ipv4/ttl: a valid RFC 8519 match"));
  doc = Luminaire();
  FromAce(doc, 0)["matches"]["tcp"]["flags"] = "syn";
  EXPECT_THAT(ErrorOf(doc, ErrorCode::kUnsupported), HasSubstr("/matches/tcp/flags"));
}

TEST(ParseMud, LimitsNameTheField) {
  // A 10 MB string: refused by the scan, naming its path, before any tree is built.
  json doc = Luminaire();
  doc["ietf-mud:mud"]["systeminfo"] = std::string(10 << 20, 'a');
  std::string error = ErrorOf(doc, ErrorCode::kLimitExceeded);
  EXPECT_THAT(error, HasSubstr("mud.json: /ietf-mud:mud/systeminfo: a string of 10485760 bytes (at most 4096)"));
  // A 5 KB member name.
  doc = Luminaire();
  FromAce(doc, 2)["matches"][std::string(5000, 'k')] = 1;
  EXPECT_THAT(ErrorOf(doc, ErrorCode::kLimitExceeded),
              HasSubstr("/acl/1/aces/ace/2/matches: a member name of 5000 bytes"));
  // Deep nesting.
  std::string deep = "{\"ietf-mud:mud\":" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_THAT(ErrorOf(deep, ErrorCode::kLimitExceeded),
              AllOf(HasSubstr("mud.json: /ietf-mud:mud/0/0/0/0/"), HasSubstr(": nested deeper than 32")));
  // Whole document size (strings each within their limit).
  doc = Luminaire();
  json many = json::array();
  for (int i = 0; i < 1200; ++i) many.push_back(std::string(4000, 'x'));
  doc["ietf-mud:mud"]["extensions"] = many;
  EXPECT_THAT(ErrorOf(doc, ErrorCode::kLimitExceeded), HasSubstr("a MUD profile is at most 4194304 bytes"));
  // Counts.
  doc = Luminaire();
  json aces = json::array();
  for (size_t i = 0; i <= kMaxMudAcesPerAcl; ++i) {
    aces.push_back({{"name", "a" + std::to_string(i)}, {"actions", {{"forwarding", "accept"}}}});
  }
  doc["ietf-access-control-list:acls"]["acl"][1]["aces"]["ace"] = aces;
  EXPECT_THAT(ErrorOf(doc, ErrorCode::kLimitExceeded),
              HasSubstr("/acl/1/aces/ace: 1025 ACEs in one ACL (at most 1024)"));
  doc = Luminaire();
  json acls = json::array();
  for (size_t i = 0; i <= kMaxMudAcls; ++i) acls.push_back({{"name", "acl" + std::to_string(i)}});
  doc["ietf-access-control-list:acls"]["acl"] = acls;
  EXPECT_THAT(ErrorOf(doc, ErrorCode::kLimitExceeded),
              HasSubstr("mud.json: /ietf-access-control-list:acls/acl: 257 ACLs (at most 256)"));
  doc = Luminaire();
  doc["ietf-access-control-list:acls"]["acl"] = json::array();
  for (int a = 0; a < 5; ++a) {
    json list = json::array();
    for (int i = 0; i < 1000; ++i) {
      list.push_back({{"name", "a" + std::to_string(i)}, {"actions", {{"forwarding", "accept"}}}});
    }
    doc["ietf-access-control-list:acls"]["acl"].push_back(
        {{"name", "acl" + std::to_string(a)}, {"aces", {{"ace", list}}}});
  }
  EXPECT_THAT(ErrorOf(doc, ErrorCode::kLimitExceeded),
              HasSubstr("/acl/4/aces/ace: more than 4096 ACEs in the profile"));
}

TEST(ParseMud, NotJsonAndRepeatedKeys) {
  EXPECT_THAT(ErrorOf(std::string("{\"ietf-mud:mud\": ")), HasSubstr("mud.json: not JSON"));
  EXPECT_THAT(ErrorOf(std::string("[1]")), HasSubstr("mud.json: (top level): expected an object, got array"));
  EXPECT_THAT(ErrorOf(std::string("{\"ietf-mud:mud\": {}, \"ietf-mud:mud\": {}}")),
              HasSubstr("appears twice in one object"));
}

TEST(ParseMud, DnsNamesAreNormalised) {
  json doc = Luminaire();
  FromAce(doc, 0)["matches"]["ipv4"]["ietf-acldns:dst-dnsname"] = "FW-Update.Luminaire.Example.COM.";
  Result<MudProfile> p = ParseMud(doc.dump(), "mud.json");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->acls[1].aces[0].ip->dst_dnsname, "fw-update.luminaire.example.com");
  EXPECT_EQ(NormalizeDnsName("A.B."), "a.b");
}

}  // namespace
}  // namespace clearbox::watch
