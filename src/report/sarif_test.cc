// SARIF writer tests: structure, determinism, fingerprints, and Microsoft's validator.
#include "clearbox/report/sarif.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include <fstream>
#include <nlohmann/json.hpp>

#include "sarif_validator.h"

namespace clearbox::report {
namespace {

using json = nlohmann::json;
using audit::Evidence;
using audit::Finding;
using audit::Severity;

audit::AuditReport SampleReport(std::string provenance_prefix = "fw.bin!uimage@0x40!squashfs:") {
  audit::AuditReport r;
  r.image = "fw.bin";
  r.sha256 = std::string(64, 'a');
  for (const auto& c : audit::AllChecks()) r.checks_run.push_back(c.id);
  r.findings.push_back(
      {"CB-ACCT-004",
       Severity::kCritical,
       "account 'admin' (UID 0) has the well-known default password 'admin'",
       {{provenance_prefix + "/etc/shadow", "/etc/shadow", 27,
         "admin:$1$abcdefgh$\u2026:19675:0:99999:7:::"},
        {provenance_prefix + "/etc/passwd", "/etc/passwd", 30, "admin:x:0:0::/:/bin/sh"}}});
  r.findings.push_back({"CB-ACCT-006",
                        Severity::kLow,
                        "system account 'ftp' has a shell",
                        {{provenance_prefix + "/etc/passwd", "/etc/passwd", 52,
                          "ftp:x:21:21::/:/bin/sh \xff\xfe"}}});  // not UTF-8
  return r;
}

TEST(Sarif, RulesAndResults) {
  json doc = json::parse(SarifJson(SampleReport(), audit::AllChecks()));
  EXPECT_EQ(doc["version"], "2.1.0");
  const json& run = doc["runs"][0];
  const json& driver = run["tool"]["driver"];
  EXPECT_EQ(driver["name"], "clearbox");
  ASSERT_EQ(driver["rules"].size(), audit::AllChecks().size());
  size_t rule_index = 0;
  while (rule_index < driver["rules"].size() && driver["rules"][rule_index]["id"] != "CB-ACCT-004") {
    ++rule_index;
  }
  ASSERT_LT(rule_index, driver["rules"].size());
  const json& rule = driver["rules"][rule_index];
  EXPECT_EQ(rule["defaultConfiguration"]["level"], "error");
  EXPECT_EQ(rule["properties"]["ts33117"], "3GPP TS 33.117 4.2.3.4.2.3");
  EXPECT_FALSE(rule["help"]["text"].get<std::string>().empty());
  // Every rule's help page is a page of docs/ in this repository.
  for (const json& r : driver["rules"]) {
    std::string uri = r["helpUri"];
    const std::string base = "https://clearbox.invalid/docs/";
    ASSERT_EQ(uri.rfind(base, 0), 0u) << uri;
    EXPECT_TRUE(std::filesystem::exists(std::string(CLEARBOX_SOURCE_DIR) + "/docs/" +
                                        uri.substr(base.size())))
        << uri;
  }

  ASSERT_EQ(run["results"].size(), 2u);
  const json& r0 = run["results"][0];
  EXPECT_EQ(r0["ruleId"], "CB-ACCT-004");
  EXPECT_EQ(r0["ruleIndex"], rule_index);
  EXPECT_EQ(r0["level"], "error");
  ASSERT_EQ(r0["locations"].size(), 2u);
  const json& loc = r0["locations"][0]["physicalLocation"];
  EXPECT_EQ(loc["artifactLocation"]["uri"], "fw.bin!uimage@0x40!squashfs%3A/etc/shadow");
  EXPECT_EQ(loc["region"]["byteOffset"], 27);
  EXPECT_EQ(r0["locations"][0]["message"]["text"], "fw.bin!uimage@0x40!squashfs:/etc/shadow");
  EXPECT_EQ(run["results"][1]["level"], "note");
  EXPECT_EQ(r0["partialFingerprints"]["clearbox/v1"].get<std::string>().size(), 64u);
}

TEST(Sarif, DeterministicAndFingerprintsSurviveRepacking) {
  std::string a = SarifJson(SampleReport(), audit::AllChecks());
  EXPECT_EQ(a, SarifJson(SampleReport(), audit::AllChecks()));
  json x = json::parse(a);
  json y = json::parse(SarifJson(SampleReport("fw.tar!tar:/rootfs.img!ext4:"), audit::AllChecks()));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(x["runs"][0]["results"][i]["partialFingerprints"],
              y["runs"][0]["results"][i]["partialFingerprints"]);
  }
  EXPECT_NE(x["runs"][0]["results"][0]["partialFingerprints"],
            x["runs"][0]["results"][1]["partialFingerprints"]);
}

TEST(Sarif, UriEncoding) {
  EXPECT_EQ(ProvenanceUri("a b:%#?\xc3\xa9/x!y@0x1"), "a%20b%3A%25%23%3F%C3%A9/x!y@0x1");
}

TEST(Sarif, EndpointFindingsNameTheirEndpoint) {
  audit::AuditReport report = SampleReport();
  Finding f{"CB-NET-001", Severity::kInfo, "program /bin/agent has the hard-coded endpoint x",
            {{"fw.bin!squashfs:/bin/agent", "/bin/agent", 9, "x"}}};
  f.endpoint = "c2.beacon.net";
  f.endpoint_seen = audit::EndpointSeen::kProgramStrings;
  report.findings.push_back(f);
  json doc = json::parse(SarifJson(report, audit::AllChecks()));
  const json& results = doc["runs"][0]["results"];
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[2]["properties"]["endpoint"], "c2.beacon.net");
  EXPECT_EQ(results[2]["properties"]["endpointSeen"], "program-strings");
  EXPECT_FALSE(results[0]["properties"].contains("endpoint"));  // not an endpoint finding
  EXPECT_FALSE(results[0]["properties"].contains("endpointSeen"));
}

watch::WatchReport SampleTraffic() {
  watch::WatchReport w;
  w.capture = "/tmp/x/dump.pcap";
  w.device = "192.0.2.10";
  w.mud_url = "https://vendor.example/d.json";
  w.stats.packets = 40;
  watch::WatchFinding f;
  f.check_id = "CB-WATCH-020";
  f.severity = watch::WatchSeverity::kHigh;
  f.peer = "c2.beacon.net";
  f.message = "endpoint c2.beacon.net hard-coded in the image is not declared by the profile";
  f.image_locations = {{"fw.bin!squashfs:/etc/init.d/agent", 41}};
  watch::FlowEvidence e;
  e.orig_h = "192.0.2.10";
  e.resp_h = "192.0.2.40";
  e.proto = 6;
  e.resp_p = 8443;
  e.packets = {5};
  f.flows = {e};
  f.flow_count = 1;
  w.findings = {f};
  return w;
}

TEST(Sarif, TrafficIsASecondRunWithTheWatchRules) {
  audit::AuditReport report = SampleReport();
  watch::WatchReport traffic = SampleTraffic();
  std::string text = SarifJson(report, audit::AllChecks(), traffic);
  EXPECT_EQ(text, SarifJson(report, audit::AllChecks(), traffic));
  json doc = json::parse(text);
  ASSERT_EQ(doc["runs"].size(), 2u);
  // The first run is the audit's alone, byte for byte.
  EXPECT_EQ(doc["runs"][0], json::parse(SarifJson(report, audit::AllChecks()))["runs"][0]);
  const json& run = doc["runs"][1];
  EXPECT_EQ(run["automationDetails"]["id"], "clearbox-watch/192.0.2.10/");
  ASSERT_EQ(run["results"].size(), 1u);
  EXPECT_EQ(run["results"][0]["ruleId"], "CB-WATCH-020");
  size_t index = run["results"][0]["ruleIndex"];
  EXPECT_EQ(run["tool"]["driver"]["rules"][index]["id"], "CB-WATCH-020");
  EXPECT_EQ(run["properties"]["capture"], "dump.pcap");
  // A baseline made of it accepts the audit's findings only (the watch's have their own
  // fingerprints).
  auto accepted = ParseSarifBaseline(text, "both.sarif");
  ASSERT_TRUE(accepted.ok()) << accepted.error().message();
  EXPECT_EQ(accepted->size(), report.findings.size());
}

TEST(Sarif, MicrosoftValidatorAcceptsIt) {
  std::string validator = testing::SarifValidator(CLEARBOX_SOURCE_DIR);
  if (validator.empty()) {
    std::string why = "SARIF validator not installed: npm install --prefix " +
                      testing::NpmPrefix(CLEARBOX_SOURCE_DIR) + " @microsoft/sarif-multitool";
    if (testing::ValidatorsRequired()) FAIL() << why;
    GTEST_SKIP() << why;
  }
  for (bool empty : {false, true}) {
    audit::AuditReport report = SampleReport();
    if (empty) report.findings.clear();
    std::string path =
        std::string(CLEARBOX_BINARY_DIR) + "/sarif_test_" + (empty ? "empty" : "sample") + ".sarif";
    std::ofstream(path) << SarifJson(report, audit::AllChecks());
    EXPECT_EQ(testing::ValidateSarif(validator, path), "") << path;
  }
  // With an endpoint finding and the traffic as a second run.
  audit::AuditReport report = SampleReport();
  Finding f{"CB-NET-001", Severity::kInfo, "script /etc/init.d/agent has the hard-coded "
            "endpoint c2.beacon.net", {{"fw.bin!squashfs:/etc/init.d/agent", "/etc/init.d/agent",
            41, "wget http://c2.beacon.net:8443/ping"}}};
  f.endpoint = "c2.beacon.net";
  report.findings.push_back(f);
  std::string path = ::testing::TempDir() + "/sarif_test_traffic.sarif";
  std::ofstream(path) << SarifJson(report, audit::AllChecks(), SampleTraffic());
  EXPECT_EQ(testing::ValidateSarif(validator, path), "") << path;
}

}  // namespace
}  // namespace clearbox::report
