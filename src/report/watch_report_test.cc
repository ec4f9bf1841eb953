// The reports of `clearbox watch` on the real capture of tests/watch_netns_test.sh: SARIF
// (validated by Microsoft's multitool when installed), HTML, and --from-audit reading what
// report::SarifJson writes for an audit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "clearbox/core/file.h"
#include "clearbox/report/watch.h"
#include "sarif_validator.h"

namespace clearbox::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Data(const std::string& name) {
  return std::string(CLEARBOX_SOURCE_DIR) + "/tests/data/watch/" + name;
}

watch::WatchReport Report(const std::string& device) {
  auto text = ReadTextFile(Data("netns.mud.json"));
  auto mud = watch::ParseMud(*text, "netns.mud.json");
  EXPECT_TRUE(mud.ok());
  auto cap = watch::Capture::OpenFile(Data("netns.pcap"), {});
  EXPECT_TRUE(cap.ok());
  watch::WatchOptions o;
  o.device = *watch::DeviceSelector::Parse(device);
  o.audit_endpoints = {{"c2.beacon.net", "CB-NET-001", {{"fw.img!squashfs:/etc/init.d/agent", 41}}, false}};
  auto r = watch::WatchCapture(**cap, Data("netns.pcap"), *mud, o);
  EXPECT_TRUE(r.ok());
  r->device = device;
  return *r;
}

TEST(WatchSarif, RulesResultsFingerprintsAndValidation) {
  watch::WatchReport r = Report("192.0.2.10");
  std::string sarif = WatchSarifJson(r);
  auto doc = nlohmann::json::parse(sarif);
  const auto& run = doc["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["rules"].size(), watch::WatchChecks().size());
  ASSERT_EQ(run["results"].size(), r.findings.size());
  for (size_t i = 0; i < r.findings.size(); ++i) {
    const auto& res = run["results"][i];
    EXPECT_EQ(res["ruleId"], r.findings[i].check_id);
    EXPECT_EQ(run["tool"]["driver"]["rules"][res["ruleIndex"].get<size_t>()]["id"], res["ruleId"]);
    EXPECT_EQ(res["level"], SarifLevel(ToAuditSeverity(r.findings[i].severity)));
    // No absolute path of the machine that ran it.
    EXPECT_THAT(res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].get<std::string>(),
                Not(HasSubstr("/work")));
    if (!r.findings[i].flows.empty()) {
      EXPECT_THAT(res["message"]["text"].get<std::string>(), HasSubstr("[packet"));
    }
  }
  EXPECT_EQ(run["properties"]["capture"], "netns.pcap");
  // The same behaviour seen by MAC: the same fingerprints (they hold no times or counts).
  auto other = nlohmann::json::parse(WatchSarifJson(Report("02:00:00:00:00:10")));
  std::set<std::string> a, b;
  for (const auto& res : run["results"]) a.insert(res["partialFingerprints"]["clearbox-watch/v1"]);
  for (const auto& res : other["runs"][0]["results"]) {
    b.insert(res["partialFingerprints"]["clearbox-watch/v1"]);
  }
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), r.findings.size());

  std::string validator = testing::SarifValidator(CLEARBOX_SOURCE_DIR);
  if (validator.empty()) {
    if (testing::ValidatorsRequired()) FAIL() << "no SARIF validator";
    GTEST_SKIP() << "no SARIF validator (scripts/install-deps.sh)";
  }
  std::string path = ::testing::TempDir() + "/watch.sarif";
  std::ofstream(path) << sarif;
  EXPECT_EQ(testing::ValidateSarif(validator, path), "");
}

TEST(WatchHtml, VerdictCountsAndEscaping) {
  watch::WatchReport r = Report("192.0.2.10");
  std::string page = WatchHtml(r, audit::Severity::kHigh);
  EXPECT_THAT(page, HasSubstr("data-verdict=\"fail\" data-findings=\"" +
                              std::to_string(r.findings.size()) + "\""));
  EXPECT_THAT(page, HasSubstr("Content-Security-Policy"));
  EXPECT_THAT(WatchHtml(r, audit::Severity::kCritical), HasSubstr("data-verdict=\"fail\""));

  watch::WatchReport hostile;
  hostile.device = "<img src=x onerror=alert(1)>";
  watch::WatchFinding f;
  f.check_id = "CB-WATCH-010";
  f.severity = watch::WatchSeverity::kHigh;
  f.peer = "<script>.example";
  f.message = "DNS tunnelling signs under <script>alert(1)</script>.example";
  hostile.findings.push_back(f);
  page = WatchHtml(hostile, audit::Severity::kCritical);
  EXPECT_THAT(page, Not(HasSubstr("<script>")));
  EXPECT_THAT(page, Not(HasSubstr("<img src=x")));
  EXPECT_THAT(page, HasSubstr("data-verdict=\"pass\""));
}

TEST(WatchFromAudit, ReadsWhatTheAuditSarifWriterWrites) {
  audit::AuditReport a;
  a.image = "fw.img";
  a.sha256 = std::string(64, '0');
  a.checks_run = {"CB-NET-001"};
  // The messages as src/audit/endpoints.cc words them.
  a.findings.push_back({"CB-NET-001", audit::Severity::kInfo,
                        "script /etc/init.d/agent has the hard-coded endpoint c2.beacon.net (2 times)",
                        {{"fw.img!squashfs@0x0:/etc/init.d/agent", "/etc/init.d/agent", 41,
                          "wget http://c2.beacon.net:8443/ping"}}});
  a.findings.push_back({"CB-NET-001", audit::Severity::kInfo,
                        "program /bin/busybox has the hard-coded endpoint busybox.net (in a message "
                        "text)",
                        {{"fw.img!squashfs@0x0:/bin/busybox", "/bin/busybox", 9, "busybox.net"}}});
  std::string sarif = SarifJson(a, audit::AllChecks());
  auto e = watch::ParseAuditEndpoints(sarif, "audit.sarif");
  ASSERT_TRUE(e.ok()) << e.error().message();
  ASSERT_EQ(e->size(), 1u);
  EXPECT_EQ((*e)[0].host, "c2.beacon.net");
  ASSERT_EQ((*e)[0].locations.size(), 1u);
  EXPECT_EQ((*e)[0].locations[0].uri, "fw.img!squashfs@0x0:/etc/init.d/agent");
  EXPECT_EQ((*e)[0].locations[0].byte_offset, 41u);
}

}  // namespace
}  // namespace clearbox::report
