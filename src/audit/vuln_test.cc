// Unit tests of CB-VULN-001: the inventory's vulnerability matches as findings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "clearbox/audit/check.h"

namespace clearbox::audit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kFs[] = "fw.bin!squashfs:";

inventory::Rating Cvss(std::string method, double score, std::string word = "") {
  inventory::Rating r;
  r.source = "nvd@nist.gov";
  r.method = std::move(method);
  r.score = score;
  r.severity = std::move(word);
  return r;
}

inventory::VulnerabilityMatch Match(size_t component, std::string id,
                                    std::vector<inventory::Rating> ratings,
                                    std::vector<std::string> aliases = {}) {
  inventory::VulnerabilityMatch m;
  m.component_index = component;
  m.vulnerability.id = std::move(id);
  m.vulnerability.aliases = std::move(aliases);
  m.vulnerability.summary = "A flaw.\nSecond line.";
  m.vulnerability.ratings = std::move(ratings);
  m.affected_range = "<9.9";
  m.fixed_version = "9.9";
  return m;
}

// busybox 1.30.1 (one binary) and openssl 1.0.1f (two copies: a library and a static binary).
inventory::Inventory MakeInventory() {
  inventory::Inventory inv;
  inv.image = "fw.bin";
  for (const char* path : {"/bin/busybox", "/sbin/static-tool", "/usr/lib/libssl.so.1.0.0"}) {
    inventory::FileRecord f;
    f.node.path = path;
    f.node.provenance = std::string(kFs) + path;
    f.kind = inventory::FileKind::kElf;
    inv.files.push_back(f);
  }
  inventory::Component busybox;
  busybox.name = "busybox";
  busybox.version = "1.30.1";
  busybox.evidence = {{"signature:busybox", std::string(kFs) + "/bin/busybox", 0x1234,
                       "BusyBox v1.30.1 ("}};
  inventory::Component openssl;
  openssl.name = "openssl";
  openssl.version = "1.0.1f";
  openssl.evidence = {
      {"signature:openssl", std::string(kFs) + "/usr/lib/libssl.so.1.0.0", 0x40,
       "OpenSSL 1.0.1f 6 Jan 2014"},
      {"signature:openssl", std::string(kFs) + "/sbin/static-tool", 0x80,
       "OpenSSL 1.0.1f 6 Jan 2014"}};
  inv.components = {busybox, openssl};
  return inv;
}

std::vector<Finding> RunVulnCheck(const inventory::Inventory& inv, AuditReport* out = nullptr) {
  AuditOptions options;
  options.only = {"CB-VULN-001"};
  Result<AuditReport> report = RunAudit(inv, options);
  EXPECT_TRUE(report.ok());
  if (!report.ok()) return {};
  if (out != nullptr) *out = *report;
  return report->findings;
}

TEST(VulnCheck, IsRegisteredWithClauseAndRemediation) {
  const Check* c = FindCheck("CB-VULN-001");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->ts33117_clause, "4.4.3");
  EXPECT_FALSE(c->remediation.empty());
  EXPECT_FALSE(c->rationale.empty());
}

TEST(VulnCheck, NoMatchesNoFindings) { EXPECT_THAT(RunVulnCheck(MakeInventory()), SizeIs(0)); }

TEST(VulnCheck, OneFindingPerCveAndComponentWithTheVersionEvidence) {
  inventory::Inventory inv = MakeInventory();
  inv.vulnerabilities = {
      Match(0, "CVE-2022-48174", {Cvss("CVSSv31", 9.8, "CRITICAL")}),
      Match(1, "CVE-2014-0160", {Cvss("CVSSv31", 7.5, "HIGH"), Cvss("CVSSv2", 5.0, "MEDIUM")}),
      // The same flaw from a distribution's advisory: folded into the CVE's finding.
      Match(1, "DSA-2896-1", {}, {"CVE-2014-0160"}),
  };
  std::vector<Finding> findings = RunVulnCheck(inv);
  ASSERT_THAT(findings, SizeIs(2));
  const Finding& bb = findings[0];  // critical first
  EXPECT_EQ(bb.check_id, "CB-VULN-001");
  EXPECT_EQ(bb.severity, Severity::kCritical);
  EXPECT_THAT(bb.message, HasSubstr("busybox 1.30.1 is affected by CVE-2022-48174"));
  EXPECT_THAT(bb.message, HasSubstr("fixed in 9.9"));
  EXPECT_THAT(bb.message, HasSubstr("A flaw. Second line."));  // one line
  ASSERT_THAT(bb.evidence, SizeIs(1));
  EXPECT_EQ(bb.evidence[0].provenance, "fw.bin!squashfs:/bin/busybox");
  EXPECT_EQ(bb.evidence[0].path, "/bin/busybox");
  EXPECT_EQ(bb.evidence[0].offset, 0x1234u);
  EXPECT_EQ(bb.evidence[0].excerpt, "CVE-2022-48174: BusyBox v1.30.1 (");

  const Finding& ssl = findings[1];
  EXPECT_EQ(ssl.severity, Severity::kHigh);  // CVSS v3 7.5 rather than v2 5.0
  EXPECT_THAT(ssl.message, HasSubstr("CVE-2014-0160"));
  EXPECT_THAT(ssl.message, HasSubstr("also DSA-2896-1"));
  ASSERT_THAT(ssl.evidence, SizeIs(2));  // both copies of the library
  EXPECT_EQ(ssl.evidence[1].path, "/sbin/static-tool");
}

TEST(VulnCheck, SeverityFromTheScoreThenTheWord) {
  inventory::Inventory inv = MakeInventory();
  inv.components.resize(1);
  inv.vulnerabilities = {
      Match(0, "CVE-2000-0001", {Cvss("CVSSv31", 9.0)}),
      Match(0, "CVE-2000-0002", {Cvss("CVSSv4", 6.9)}),
      Match(0, "CVE-2000-0003", {Cvss("CVSSv30", 3.1)}),
      Match(0, "CVE-2000-0004", {Cvss("CVSSv2", 7.2)}),        // only v2: still a score
      Match(0, "CVE-2000-0005", {Cvss("other", 0, "HIGH")}),  // a word, no score
      Match(0, "CVE-2000-0006", {}),                          // nothing: medium, said so
  };
  std::map<std::string, Finding> by_cve;
  for (const Finding& f : RunVulnCheck(inv)) by_cve[f.evidence.at(0).excerpt.substr(0, 13)] = f;
  ASSERT_THAT(by_cve, SizeIs(6));
  EXPECT_EQ(by_cve["CVE-2000-0001"].severity, Severity::kCritical);
  EXPECT_EQ(by_cve["CVE-2000-0002"].severity, Severity::kMedium);
  EXPECT_EQ(by_cve["CVE-2000-0003"].severity, Severity::kLow);
  EXPECT_EQ(by_cve["CVE-2000-0004"].severity, Severity::kHigh);
  EXPECT_EQ(by_cve["CVE-2000-0005"].severity, Severity::kHigh);
  EXPECT_EQ(by_cve["CVE-2000-0006"].severity, Severity::kMedium);
  EXPECT_THAT(by_cve["CVE-2000-0006"].message, HasSubstr("severity unknown"));
}

// Accepting one CVE (a baseline) must not accept the next one published for the component.
TEST(VulnCheck, EachCveOfAComponentHasItsOwnFingerprint) {
  inventory::Inventory inv = MakeInventory();
  inv.vulnerabilities = {Match(0, "CVE-2022-48174", {Cvss("CVSSv31", 9.8)}),
                         Match(0, "CVE-2023-42366", {Cvss("CVSSv31", 5.5)})};
  AuditReport first;
  std::vector<Finding> findings = RunVulnCheck(inv, &first);
  ASSERT_THAT(findings, SizeIs(2));
  EXPECT_NE(FindingFingerprint(findings[0]), FindingFingerprint(findings[1]));

  AuditOptions options;
  options.only = {"CB-VULN-001"};
  options.baseline = {FindingFingerprint(findings[0])};
  inv.vulnerabilities.push_back(Match(0, "CVE-2024-9999", {Cvss("CVSSv31", 8.0)}));
  Result<AuditReport> again = RunAudit(inv, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->suppressed, 1u);
  ASSERT_THAT(again->findings, SizeIs(2));
  for (const Finding& f : again->findings) {
    EXPECT_THAT(f.message, Not(HasSubstr("CVE-2022-48174")));
  }
}

TEST(VulnCheck, AMatchNamingNoComponentIsANote) {
  inventory::Inventory inv = MakeInventory();
  inv.vulnerabilities = {Match(7, "CVE-2022-48174", {Cvss("CVSSv31", 9.8)})};
  AuditReport report;
  EXPECT_THAT(RunVulnCheck(inv, &report), SizeIs(0));
  ASSERT_THAT(report.notes, SizeIs(1));
  EXPECT_THAT(report.notes[0].message, HasSubstr("component 7 of 2"));
}

TEST(VulnCheck, LongSummariesAreCutOnACharacterBoundary) {
  inventory::Inventory inv = MakeInventory();
  inventory::VulnerabilityMatch m = Match(0, "CVE-2022-48174", {Cvss("CVSSv31", 9.8)});
  m.vulnerability.summary.clear();
  for (int i = 0; i < 300; ++i) m.vulnerability.summary += "\xc3\xa9";  // é
  inv.vulnerabilities = {m};
  std::vector<Finding> findings = RunVulnCheck(inv);
  ASSERT_THAT(findings, SizeIs(1));
  const std::string& msg = findings[0].message;
  EXPECT_THAT(msg, HasSubstr("\xc3\xa9…"));
  EXPECT_LT(msg.size(), 400u);
}

}  // namespace
}  // namespace clearbox::audit
