// `--baseline OLD.sarif`: reading the accepted fingerprints back from a SARIF log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "clearbox/report/sarif.h"

namespace clearbox::report {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string ParseError(std::string_view text) {
  Result<std::set<std::string>> r = ParseSarifBaseline(text, "old.sarif");
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error().message();
}

TEST(SarifBaseline, RoundTripsTheWritersFingerprints) {
  audit::AuditReport report;
  report.image = "fw.bin";
  report.checks_run = {"CB-ACCT-003"};
  report.findings = {
      {"CB-ACCT-003", audit::Severity::kCritical, "empty password", {{"p", "/etc/shadow", 0, "a::"}}},
      {"CB-ACCT-003", audit::Severity::kCritical, "empty password", {{"p", "/etc/shadow", 9, "b::"}}}};
  Result<std::set<std::string>> accepted =
      ParseSarifBaseline(SarifJson(report, audit::AllChecks()), "old.sarif");
  ASSERT_TRUE(accepted.ok()) << accepted.error().message();
  EXPECT_EQ(*accepted, (std::set<std::string>{audit::FindingFingerprint(report.findings[0]),
                                              audit::FindingFingerprint(report.findings[1])}));
  report.findings.clear();
  accepted = ParseSarifBaseline(SarifJson(report, audit::AllChecks()), "old.sarif");
  ASSERT_TRUE(accepted.ok());
  EXPECT_THAT(*accepted, IsEmpty());
}

TEST(SarifBaseline, OtherToolsResultsAreSkipped) {
  std::string fp(64, 'b');
  Result<std::set<std::string>> r = ParseSarifBaseline(
      R"({"version":"2.1.0","runs":[{"results":[{"ruleId":"X"},
         {"partialFingerprints":{"primaryLocationLineHash":"1"}},
         {"partialFingerprints":{"clearbox/v1":")" + fp + R"("}}]},{"results":null},{}]})",
      "old.sarif");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_THAT(*r, ElementsAre(fp));
}

TEST(SarifBaseline, MalformedLogsNameTheFileAndThePath) {
  EXPECT_THAT(ParseError("{"), HasSubstr("old.sarif: not JSON"));
  EXPECT_THAT(ParseError(""), HasSubstr("old.sarif: not JSON"));
  EXPECT_THAT(ParseError("[]"), HasSubstr("old.sarif: not a SARIF 2.1.0 log"));
  EXPECT_THAT(ParseError(R"({"version":"2.0.0","runs":[]})"), HasSubstr("not a SARIF 2.1.0"));
  EXPECT_THAT(ParseError(R"({"version":"2.1.0"})"), HasSubstr("old.sarif: runs: expected an array"));
  EXPECT_THAT(ParseError(R"({"version":"2.1.0","runs":[1]})"), HasSubstr("runs[0]: expected"));
  EXPECT_THAT(ParseError(R"({"version":"2.1.0","runs":[{"results":{}}]})"),
              HasSubstr("runs[0].results: expected an array"));
  EXPECT_THAT(ParseError(R"({"version":"2.1.0","runs":[{"results":[{"partialFingerprints":[]}]}]})"),
              HasSubstr("runs[0].results[0].partialFingerprints: expected an object"));
  EXPECT_THAT(
      ParseError(
          R"({"version":"2.1.0","runs":[{},{"results":[{},{"partialFingerprints":{"clearbox/v1":"XYZ"}}]}]})"),
      HasSubstr("runs[1].results[1].partialFingerprints[\"clearbox/v1\"]: expected 64"));
  EXPECT_THAT(
      ParseError(R"({"version":"2.1.0","runs":[{"results":[{"partialFingerprints":{"clearbox/v1":7}}]}]})"),
      HasSubstr("expected 64 lower-case hex digits"));
}

}  // namespace
}  // namespace clearbox::report
