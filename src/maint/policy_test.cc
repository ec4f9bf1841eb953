// The maintenance policy: the documented example parses; each malformed field is named; the
// pledge's maintenance section is checked against it.
#include "clearbox/maint/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "maint/approval_test_util.h"

namespace clearbox::maint {
namespace {

using ::testing::HasSubstr;
using testing::ApprovalWorld;

std::string ReadSource(const std::string& rel) {
  std::ifstream in(std::string(CLEARBOX_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(PolicyTest, DocumentedExampleParses) {
  std::string text = ReadSource("docs/examples/maint-policy.json");
  ASSERT_FALSE(text.empty());
  auto p = ParsePolicy(text, "maint-policy.json");
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->approvers.size(), 3u);
  EXPECT_EQ(p->thresholds.size(), 1u);
  EXPECT_EQ(p->thresholds[0].approve, 2u);
  EXPECT_EQ(p->max_window_seconds, 4u * 3600);
  EXPECT_TRUE(p->observer_required);
  EXPECT_FALSE(p->log.origin.empty());
  EXPECT_TRUE(CheckPolicyAgainstPledge(*p, {"operator-approved", 2, 3}).empty());
}

class PolicyErrorTest : public ::testing::Test {
 protected:
  // The world's policy with `from` replaced by `to` (the first occurrence).
  Result<Policy> ParseEdited(const std::string& from, const std::string& to) {
    std::string text = w_.PolicyJson();
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return ParsePolicy(text, "p.json");
  }
  void ExpectError(const std::string& from, const std::string& to, const std::string& message) {
    auto p = ParseEdited(from, to);
    ASSERT_FALSE(p.ok()) << from << " -> " << to;
    EXPECT_THAT(p.error().message(), HasSubstr(message));
  }
  ApprovalWorld w_;
};

TEST_F(PolicyErrorTest, WorldPolicyParses) {
  auto p = ParsePolicy(w_.PolicyJson(), "p.json");
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_TRUE(p->approvers[3].revoked);
  EXPECT_EQ(p->log.origin, "log.example");
}

TEST_F(PolicyErrorTest, EachFieldNamed) {
  ExpectError("\"version\": 1", "\"version\": 2", "p.json: /version: 2 is out of range 1-1");
  ExpectError("\"max-window\": \"4h\"", "\"max-window\": \"3650d\"",
              "p.json: /max-window: 3650d is out of range 1s-7d");
  ExpectError("\"max-window\": \"4h\"", "\"max-window\": \"4 hours\"", "/max-window: \"4 hours\"");
  ExpectError("\"observer-required\"", "\"observer_required\"",
              "/observer_required: unknown field");
  ExpectError("\"source-address\": \"192.0.2.10/32\"", "\"source-address\": \"jump.example\"",
              "p.json: /source-address:");
  ExpectError("\"approve\": 2", "\"approve\": 5",
              "/thresholds/0/approve: needs 5 approvers but only 4 unrevoked");
  ExpectError("\"approve\": 2", "\"approve\": \"2\"",
              "/thresholds/0/approve: expected a non-negative integer, got string");
  ExpectError("\"name\": \"bob\"", "\"name\": \"alice\"",
              "/approvers/1/name: \"alice\" is listed twice");
  ExpectError("\"principals\": [\"maint-olt1\",", "\"principals\": [\"maint-olt2\",",
              "/principals/1: \"maint-olt2\" is listed twice");
  ExpectError("\"ca-key\": \"ssh-ed25519 ", "\"ca-key\": \"ssh-ed25519 AAAA", "p.json: /ca-key:");
  ExpectError("\"log\": {", "\"log\": {\"extra\": 1, ", "/log/extra: unknown field");
}

TEST(PolicyParseTest, HostileDocuments) {
  EXPECT_EQ(ParsePolicy("[", "p").error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(ParsePolicy(std::string(1000, '[') + std::string(1000, ']'), "p").error().code(),
            ErrorCode::kLimitExceeded);
  EXPECT_EQ(ParsePolicy(std::string(PolicyLimits::kMaxPolicyBytes + 1, ' '), "p").error().code(),
            ErrorCode::kLimitExceeded);
  auto dup = ParsePolicy("{\"version\": 1, \"version\": 1}", "p");
  EXPECT_THAT(dup.error().message(), HasSubstr("twice"));
}

TEST(PledgeCheckTest, PolicyAllowingMoreThanThePledgeIsAFinding) {
  ApprovalWorld w;
  Policy one = ParsePolicy(w.PolicyJson(1, 2), "p").value();
  auto f = CheckPolicyAgainstPledge(one, {"operator-approved", 2, 3});
  ASSERT_FALSE(f.empty());
  EXPECT_THAT(f[0], HasSubstr("threshold \"officers\" approves with 1 approval(s); the pledge declares 2 of 3"));
  // 4 unrevoked officers can count, the pledge names 3.
  Policy two = ParsePolicy(w.PolicyJson(2, 2), "p").value();
  f = CheckPolicyAgainstPledge(two, {"operator-approved", 2, 3});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_THAT(f[0], HasSubstr("4 approvers can count toward a threshold"));
  EXPECT_TRUE(CheckPolicyAgainstPledge(two, {"operator-approved", 2, 4}).empty());
  f = CheckPolicyAgainstPledge(two, {"none", 0, 0});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_THAT(f[0], HasSubstr("declares maintenance \"none\""));
}

TEST(DurationTest, Units) {
  EXPECT_EQ(ParseDuration("90m").value(), 5400u);
  EXPECT_EQ(ParseDuration("2d").value(), 172800u);
  EXPECT_FALSE(ParseDuration("4").ok());
  EXPECT_FALSE(ParseDuration("-4h").ok());
  EXPECT_FALSE(ParseDuration("1234567h").ok());
  EXPECT_EQ(FormatDuration(5400), "90m");
  EXPECT_EQ(FormatDuration(14400), "4h");
}

}  // namespace
}  // namespace clearbox::maint
