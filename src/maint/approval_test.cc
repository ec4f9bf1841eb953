// Requests, reviews and the decision judged from log entries: one test per refusal reason.
#include "clearbox/maint/approval.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "maint/approval_test_util.h"

namespace clearbox::maint {
namespace {

using ::testing::HasSubstr;
using testing::ApprovalWorld;
using testing::kT0;

constexpr uint64_t kNow = kT0 + 120;

class ApprovalTest : public ::testing::Test {
 protected:
  Evaluation Eval(const std::string& sha, uint64_t now = kNow) {
    auto e = Evaluate(policy_, sha, entries_ = w_.Entries(), now);
    EXPECT_TRUE(e.ok()) << e.error().ToString();
    return e.ok() ? *e : Evaluation{};
  }
  ApprovalWorld w_;
  Policy policy_ = w_.MakePolicy();
  std::vector<LogEntry> entries_;
};

TEST_F(ApprovalTest, RequestStatementRoundTrips) {
  MaintRequest r = w_.Request();
  auto s = MakeRequestStatement(r);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->subjects[0].name.rfind("SHA256:", 0), 0u);
  auto text = release::SerializeStatement(*s);
  auto parsed = release::ParseStatement(text);
  ASSERT_TRUE(parsed.ok());
  auto back = RequestOf(*parsed);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->ticket, "CHG-1");
  EXPECT_EQ(back->principals, r.principals);
  EXPECT_EQ(back->window_start, r.window_start);
  EXPECT_EQ(back->window_end, r.window_end);
  EXPECT_EQ(back->engineer_key, r.engineer_key);
}

TEST_F(ApprovalTest, RequestOfNamesTheBadField) {
  auto s = MakeRequestStatement(w_.Request()).value();
  s.predicate["window"]["end"] = "2026-13-01T00:00:00Z";
  auto r = RequestOf(s);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("/predicate/window/end"));
  s = MakeRequestStatement(w_.Request()).value();
  s.subjects[0].sha256 = std::string(64, 'a');
  r = RequestOf(s);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("/subject/0/digest/sha256"));
  s = MakeRequestStatement(w_.Request()).value();
  s.predicate["principals"] = nlohmann::json::array();
  for (int i = 0; i < 100000; ++i) s.predicate["principals"].push_back("p" + std::to_string(i));
  r = RequestOf(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_THAT(r.error().message(), HasSubstr("/predicate/principals: 100000 items, at most 256"));
}

TEST_F(ApprovalTest, TwoOfThreeApproves) {
  std::string sha = w_.AppendRequest(w_.Request());
  w_.AppendReview(sha, "alice", true);
  Evaluation e = Eval(sha);
  EXPECT_EQ(e.state, Evaluation::State::kPending);
  w_.AppendReview(sha, "bob", true);
  e = Eval(sha);
  EXPECT_EQ(e.state, Evaluation::State::kApproved);
  EXPECT_EQ(e.decided_by, "officers");
  EXPECT_EQ(e.decided_at_index, 2u);
  EXPECT_EQ(e.requester, "noc");
  EXPECT_TRUE(e.blocked.empty());
  EXPECT_THAT(DescribeEvaluation(e), HasSubstr("APPROVED"));
}

TEST_F(ApprovalTest, SelfApprovalIsRefused) {
  MaintRequest r = w_.Request();
  std::string sha = w_.AppendRequest(r, "eve");
  w_.AppendReview(sha, "eve", true);
  w_.AppendReview(sha, "alice", true);
  Evaluation e = Eval(sha);
  EXPECT_EQ(e.state, Evaluation::State::kPending);
  ASSERT_EQ(e.reviews.size(), 2u);
  EXPECT_FALSE(e.reviews[0].counted);
  EXPECT_THAT(e.reviews[0].refused, HasSubstr("self-approval: eve filed this request"));
  EXPECT_TRUE(e.reviews[1].counted);
}

TEST_F(ApprovalTest, OneApproverCountsOnce) {
  std::string sha = w_.AppendRequest(w_.Request());
  w_.AppendReview(sha, "alice", true);
  w_.AppendReview(sha, "alice", true, kT0 + 90);
  w_.AppendReview(sha, "alice", true, kT0 + 100);
  Evaluation e = Eval(sha);
  EXPECT_EQ(e.state, Evaluation::State::kPending);
  ASSERT_EQ(e.reviews.size(), 3u);
  EXPECT_THAT(e.reviews[2].refused, HasSubstr("counted once: alice already reviewed at log entry 1"));
}

TEST_F(ApprovalTest, ReviewOfAnotherRequestDoesNotCount) {
  std::string first = w_.AppendRequest(w_.Request());
  w_.AppendReview(first, "alice", true);
  w_.AppendReview(first, "bob", true);
  MaintRequest wider = w_.Request();
  wider.principals = {"maint-olt1", "maint-olt2"};
  std::string second = w_.AppendRequest(wider);
  Evaluation e = Eval(second);
  EXPECT_EQ(e.state, Evaluation::State::kPending);
  ASSERT_EQ(e.reviews.size(), 2u);
  EXPECT_THAT(e.reviews[0].refused, HasSubstr("bound to another request"));
  EXPECT_EQ(Eval(first).state, Evaluation::State::kApproved);
}

TEST_F(ApprovalTest, ExpiredRequest) {
  std::string sha = w_.AppendRequest(w_.Request());
  w_.AppendReview(sha, "alice", true);
  w_.AppendReview(sha, "bob", true, kT0 + 4 * 3600);  // after the window
  Evaluation e = Eval(sha, kT0 + 5 * 3600);
  EXPECT_EQ(e.state, Evaluation::State::kPending);
  EXPECT_THAT(e.reviews[1].refused, HasSubstr("after the request expired"));
  EXPECT_THAT(e.blocked, HasSubstr("the request expired: its window ended at 2026-12-07T03:00:00Z"));
  Status s = CheckRequest(policy_, w_.Request(), kT0 + 5 * 3600);
  EXPECT_EQ(s.error().code(), ErrorCode::kPermissionDenied);
}

TEST_F(ApprovalTest, UnknownAndRevokedApprovers) {
  std::string sha = w_.AppendRequest(w_.Request());
  w_.AppendReview(sha, "mallory", true);
  w_.AppendReview(sha, "dave", true);
  w_.AppendReview(sha, "alice", true);
  Evaluation e = Eval(sha);
  EXPECT_EQ(e.state, Evaluation::State::kPending);
  ASSERT_EQ(e.reviews.size(), 3u);
  EXPECT_EQ(e.reviews[0].refused, "signed by no approver in the policy");
  EXPECT_EQ(e.reviews[1].refused, "approver dave's key is revoked in the policy");
  EXPECT_TRUE(e.reviews[2].counted);
}

TEST_F(ApprovalTest, ReviewWithTwoSignaturesIsRefused) {
  std::string sha = w_.AppendRequest(w_.Request());
  MaintReview v;
  v.request_sha256 = sha;
  v.ticket = "CHG-1";
  v.approve = true;
  v.reviewed_at = kT0 + 60;
  std::string payload = release::SerializeStatement(MakeReviewStatement(v));
  auto env = release::SignEnvelope(release::kInTotoPayloadType, AsBytes(payload), w_.Key("alice"));
  ASSERT_TRUE(env.ok());
  ASSERT_TRUE(release::AddSignature(*env, w_.Key("bob")).ok());
  w_.AppendRaw(release::SerializeEnvelope(*env));
  Evaluation e = Eval(sha);
  EXPECT_EQ(e.state, Evaluation::State::kPending);
  ASSERT_EQ(e.reviews.size(), 1u);
  EXPECT_THAT(e.reviews[0].refused, HasSubstr("signed 2 times; a review has one signature"));
}

TEST_F(ApprovalTest, DenyReachedFirstDecides) {
  std::string sha = w_.AppendRequest(w_.Request());
  w_.AppendReview(sha, "alice", false);
  w_.AppendReview(sha, "bob", true);
  w_.AppendReview(sha, "carol", false);
  w_.AppendReview(sha, "eve", true);  // would make 2 approvals, too late
  Evaluation e = Eval(sha);
  EXPECT_EQ(e.state, Evaluation::State::kDenied);
  EXPECT_EQ(e.decided_at_index, 3u);
}

TEST_F(ApprovalTest, ClockTenMinutesAheadIsRefused) {
  std::string sha = w_.AppendRequest(w_.Request());
  w_.AppendReview(sha, "alice", true, kNow + 600);
  Evaluation e = Eval(sha);
  ASSERT_EQ(e.reviews.size(), 1u);
  EXPECT_THAT(e.reviews[0].refused, HasSubstr("reviewed-at: 2026-12-07T00:12:00Z is 600 s ahead"));
  MaintRequest r = w_.Request();
  r.requested_at = kNow + 600;
  std::string ahead = w_.AppendRequest(r);
  auto bad = Evaluate(policy_, ahead, entries_ = w_.Entries(), kNow);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(), HasSubstr("requested-at: 2026-12-07T00:12:00Z is 600 s ahead"));
}

TEST_F(ApprovalTest, RequestNotInLogOrByStranger) {
  w_.AppendRaw("not a statement");
  auto missing = Evaluate(policy_, std::string(64, '0'), entries_ = w_.Entries(), kNow);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  std::string sha = w_.AppendRequest(w_.Request(), "mallory");
  auto stranger = Evaluate(policy_, sha, entries_ = w_.Entries(), kNow);
  ASSERT_FALSE(stranger.ok());
  EXPECT_EQ(stranger.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(stranger.error().message(), HasSubstr("log entry 1: the request is signed by no requester"));
}

TEST_F(ApprovalTest, CheckRequestRefusals) {
  MaintRequest r = w_.Request();
  r.window_end = r.window_start + 10ull * 365 * 86400;
  Status s = CheckRequest(policy_, r, kNow);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("3650d long, longer than the policy's max-window 4h"));
  r = w_.Request();
  r.principals = {"root"};
  s = CheckRequest(policy_, r, kNow);
  EXPECT_THAT(s.error().message(), HasSubstr("principals/0: \"root\" is not an account the policy allows"));
  r.principals.clear();
  for (int i = 0; i < 100000; ++i) r.principals.push_back("p" + std::to_string(i));
  s = CheckRequest(policy_, r, kNow);
  EXPECT_EQ(s.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_THAT(s.error().message(), HasSubstr("principals: 100000 names, at most 256"));
  EXPECT_TRUE(CheckRequest(policy_, w_.Request(), kNow).ok());
}

TEST_F(ApprovalTest, CertificateRecordsAreCollected) {
  std::string sha = w_.AppendRequest(w_.Request());
  CertificateRecord c;
  c.certificate_sha256 = std::string(64, 'c');
  c.request_sha256 = sha;
  c.key_id = "CHG-1";
  c.serial = 18446744073709551615ull;
  c.principals = {"maint-olt1"};
  c.valid_after = kT0;
  c.valid_before = kT0 + 60;
  c.issued_at = kT0;
  c.ca_fingerprint = "SHA256:x";
  w_.Append(MakeCertificateStatement(c), "issuer");
  c.serial = 7;
  w_.Append(MakeCertificateStatement(c), "mallory");  // not an issuer: only its serial counts
  Evaluation e = Eval(sha);
  ASSERT_EQ(e.issued.size(), 1u);
  EXPECT_EQ(e.issued[0].second, 18446744073709551615ull);
  EXPECT_EQ(e.serials_in_log.size(), 2u);
}

TEST_F(ApprovalTest, ForceCommandPlaceholders) {
  MaintRequest r = w_.Request();
  EXPECT_EQ(ExpandForceCommand("rec --ticket {ticket} --serial {serial} --device {device}", r, 77)
                .value(),
            "rec --ticket CHG-1 --serial 77 --device olt1");
  r.devices = {"olt1", "olt2"};
  EXPECT_FALSE(ExpandForceCommand("rec {device}", r, 1).ok());
  EXPECT_FALSE(ExpandForceCommand("rec {user}", r, 1).ok());
  r.ticket = "CHG-1; rm -rf /";
  EXPECT_THAT(CheckRequest(policy_, r, kNow).error().message(), HasSubstr("ticket:"));
}

TEST_F(ApprovalTest, EscapedPredicateTypeIsStillRead) {
  // The fast skip of non-maint entries must not hide a statement whose JSON spells its type
  // with escapes.
  std::string text = release::SerializeStatement(MakeRequestStatement(w_.Request()).value());
  for (size_t at = text.find("maint-"); at != std::string::npos; at = text.find("maint-", at)) {
    text.replace(at, 1, "\\u006d");
  }
  ASSERT_EQ(text.find("maint-"), std::string::npos);
  auto env = release::SignEnvelope(release::kInTotoPayloadType, AsBytes(text), w_.Key("noc"));
  ASSERT_TRUE(env.ok());
  std::string entry = release::SerializeEnvelope(*env);
  w_.AppendRaw("{\"payload\":\"bm90IG1haW50\",\"payloadType\":\"x\",\"signatures\":[]}");
  w_.AppendRaw(entry);
  Evaluation e = Eval(Sha256Hex(AsBytes(entry)));
  EXPECT_EQ(e.request_index, 1u);
  EXPECT_EQ(e.request.ticket, "CHG-1");
}

TEST(UtcTimeTest, ParsesOnlyUtc) {
  EXPECT_EQ(ParseUtcTime("2026-12-07T00:00:00Z").value(), kT0);
  EXPECT_EQ(FormatUtcTime(kT0), "2026-12-07T00:00:00Z");
  EXPECT_FALSE(ParseUtcTime("2026-12-07T00:00:00+01:00").ok());
  EXPECT_FALSE(ParseUtcTime("2025-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseUtcTime("2026-12-07 00:00:00Z").ok());
}

}  // namespace
}  // namespace clearbox::maint
