// `clearbox audit --capture`'s glue: the audit's endpoints handed to the watch checks as they
// are, the same as `watch --from-audit` reads from the audit's SARIF (through
// properties.endpoint, not the message), and the audit's JSON with the watch report in it.
#include "clearbox/report/audit_watch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "clearbox/report/sarif.h"

namespace clearbox::report {
namespace {

using audit::EndpointSeen;
using audit::Finding;
using audit::Severity;

Finding Endpoint(std::string id, Severity sev, std::string host, EndpointSeen seen,
                 std::string provenance, uint64_t offset) {
  // Messages that name no host: what is read must come from Finding::endpoint.
  Finding f{std::move(id), sev, "worded differently", {{provenance, "/x", offset, "..."}}};
  f.endpoint = std::move(host);
  f.endpoint_seen = seen;
  return f;
}

audit::AuditReport Sample() {
  audit::AuditReport r;
  r.image = "fw.img";
  r.sha256 = std::string(64, '0');
  for (const auto& c : audit::AllChecks()) r.checks_run.push_back(c.id);
  r.findings = {
      Endpoint("CB-PLEDGE-004", Severity::kMedium, "C2.beacon.net", EndpointSeen::kFile,
               "fw.img!squashfs:/etc/init.d/agent", 41),
      Endpoint("CB-NET-001", Severity::kInfo, "c2.beacon.net", EndpointSeen::kFile,
               "fw.img!squashfs:/etc/init.d/agent", 41),  // the same place: listed once
      Endpoint("CB-NET-001", Severity::kInfo, "c2.beacon.net", EndpointSeen::kProgramStrings,
               "fw.img!squashfs:/usr/bin/agent", 7),
      Endpoint("CB-NET-001", Severity::kInfo, "203.0.113.9", EndpointSeen::kProgramStrings,
               "fw.img!squashfs:/usr/bin/agent", 99),
      Endpoint("CB-NET-001", Severity::kInfo, "www.gnu.org", EndpointSeen::kMessageText,
               "fw.img!squashfs:/bin/ls", 5),
      {"CB-ACCT-003", Severity::kCritical, "account 'root' has an empty password",
       {{"fw.img!squashfs:/etc/shadow", "/etc/shadow", 0, "root::"}}}};
  return r;
}

TEST(AuditEndpoints, OnePerHostWithItsPlacesAndNotTheMessageTextOnes) {
  std::vector<watch::AuditEndpoint> e = AuditEndpoints(Sample());
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].host, "203.0.113.9");
  EXPECT_TRUE(e[0].in_program_strings);
  EXPECT_EQ(e[1].host, "c2.beacon.net");
  EXPECT_EQ(e[1].rule, "CB-PLEDGE-004");
  EXPECT_FALSE(e[1].in_program_strings);  // also in a script
  ASSERT_EQ(e[1].locations.size(), 2u);
  EXPECT_EQ(e[1].locations[0].uri, "fw.img!squashfs:/etc/init.d/agent");
  EXPECT_EQ(e[1].locations[0].byte_offset, 41u);
  EXPECT_EQ(e[1].locations[1].uri, "fw.img!squashfs:/usr/bin/agent");
}

// `watch --from-audit REPORT.sarif` and `audit --capture` see the same endpoints, and the
// SARIF route reads them from properties.endpoint (the messages here name none).
TEST(AuditEndpoints, TheSameAsWatchReadsFromTheSarif) {
  audit::AuditReport r = Sample();
  auto parsed = watch::ParseAuditEndpoints(SarifJson(r, audit::AllChecks()), "report.sarif");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  std::vector<watch::AuditEndpoint> direct = AuditEndpoints(r);
  ASSERT_EQ(parsed->size(), direct.size());
  for (size_t i = 0; i < direct.size(); ++i) {
    EXPECT_EQ((*parsed)[i].host, direct[i].host);
    EXPECT_EQ((*parsed)[i].rule, direct[i].rule);
    EXPECT_EQ((*parsed)[i].in_program_strings, direct[i].in_program_strings);
    EXPECT_EQ((*parsed)[i].locations, direct[i].locations);
  }
  // Without the property the message would be read, and these messages name no host.
  r.findings[0].endpoint.clear();
  auto old = watch::ParseAuditEndpoints(SarifJson(r, audit::AllChecks()), "report.sarif");
  ASSERT_FALSE(old.ok());
  EXPECT_THAT(old.error().message(), ::testing::HasSubstr("no endpoint host"));
}

TEST(AuditJson, TheAuditsMembersAndTheWatchReport) {
  audit::AuditReport r = Sample();
  EXPECT_EQ(AuditJson(r, nullptr), audit::AuditReportJson(r));
  watch::WatchReport w;
  w.capture = "dump.pcap";
  w.device = "192.0.2.10";
  watch::WatchFinding f;
  f.check_id = "CB-WATCH-020";
  f.severity = watch::WatchSeverity::kMedium;
  f.peer = "c2.beacon.net";
  f.message = "endpoint c2.beacon.net hard-coded in the image is not declared";
  w.findings = {f};
  auto doc = nlohmann::ordered_json::parse(AuditJson(r, &w));
  auto alone = nlohmann::ordered_json::parse(audit::AuditReportJson(r));
  EXPECT_EQ(doc["findings"], alone["findings"]);
  EXPECT_EQ(doc["findings"].size(), r.findings.size());
  ASSERT_TRUE(doc.contains("watch"));
  EXPECT_EQ(doc["watch"], nlohmann::ordered_json::parse(watch::WatchReportJson(w)));
  EXPECT_EQ(doc["watch"]["findings"][0]["check_id"], "CB-WATCH-020");
  // The audit's members first, in their order; "watch" last.
  std::vector<std::string> keys;
  for (auto it = doc.begin(); it != doc.end(); ++it) keys.push_back(it.key());
  std::vector<std::string> want;
  for (auto it = alone.begin(); it != alone.end(); ++it) want.push_back(it.key());
  want.push_back("watch");
  EXPECT_EQ(keys, want);
}

}  // namespace
}  // namespace clearbox::report
