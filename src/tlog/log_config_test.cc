// The log's config file and the submitter authentication scheme.
#include "clearbox/tlog/log_config.h"

#include <gtest/gtest.h>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/tlog/submission.h"
#include "log_test_util.h"

namespace clearbox::tlog {
namespace {

class LogConfigTest : public ::testing::Test {
 protected:
  LogConfigTest()
      : log_(testing::NewLogKeys("log.example/releases")),
        submitter_(testing::NewLogKeys("vendor.example")),
        witness_(testing::NewLogKeys("witness.example/w1")) {}

  LogConfig Full() {
    LogConfig config = testing::NewConfig(log_, 512, std::chrono::milliseconds(30));
    config.submitters = {submitter_.vkey};
    config.witnesses = {{CosignerVerifierKey(witness_.vkey).value(), "http://127.0.0.1:9000/w"}};
    config.witness_quorum = 1;
    return config;
  }

  testing::LogKeys log_, submitter_, witness_;
};

TEST_F(LogConfigTest, RoundTripsThroughJson) {
  LogConfig config = Full();
  auto parsed = ParseLogConfig(FormatLogConfig(config));
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, config);
}

TEST_F(LogConfigTest, RejectsEachBadField) {
  struct Case {
    const char* field;
    std::function<void(LogConfig&)> spoil;
  };
  std::vector<Case> cases = {
      {"origin", [](LogConfig& c) { c.origin = ""; }},
      {"origin", [](LogConfig& c) { c.origin = "a\nb"; }},
      {"log_key", [](LogConfig& c) { c.log_key = "nonsense"; }},
      {"submitters[0]", [](LogConfig& c) { c.submitters[0] += "x"; }},
      {"submitters[1]", [](LogConfig& c) { c.submitters.push_back(c.submitters[0]); }},
      {"witnesses[0].key", [this](LogConfig& c) { c.witnesses[0].key = witness_.vkey; }},
      {"witnesses[0].url", [](LogConfig& c) { c.witnesses[0].url = "https://w.example"; }},
      {"witness_quorum", [](LogConfig& c) { c.witness_quorum = 2; }},
      {"batch_max_entries", [](LogConfig& c) { c.batch_max_entries = 0; }},
      {"batch_max_entries", [](LogConfig& c) { c.batch_max_entries = kMaxBatchEntries + 1; }},
      {"batch_max_delay_ms", [](LogConfig& c) { c.batch_max_delay = std::chrono::hours(1); }},
      {"republish_interval_s",
       [](LogConfig& c) { c.republish_interval = std::chrono::seconds(0); }},
      {"max_entry_size", [](LogConfig& c) { c.max_entry_size = 70000; }},
  };
  for (const Case& c : cases) {
    LogConfig config = Full();
    c.spoil(config);
    Status s = ValidateLogConfig(config);
    ASSERT_FALSE(s.ok()) << c.field;
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidInput) << c.field;
    EXPECT_NE(s.error().message().find(c.field), std::string::npos) << s.error().message();
  }
}

TEST_F(LogConfigTest, RejectsUnknownSettingsAndBadJson) {
  std::string json = FormatLogConfig(Full());
  json.insert(1, "\"batch_max_entrys\": 5,");
  auto typo = ParseLogConfig(json);
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message().find("batch_max_entrys"), std::string::npos);
  for (const char* bad : {"", "[]", "{\"origin\": 5}", "{\"witnesses\": [{\"key\": \"x\"}]}"}) {
    auto r = ParseLogConfig(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput) << bad;
  }
}

TEST_F(LogConfigTest, WitnessFlagTakesANoteKeyOrACosignerKey) {
  const std::string cosigner = CosignerVerifierKey(witness_.vkey).value();
  EXPECT_NE(cosigner, witness_.vkey);  // type 0x04, another key id
  for (const std::string& key : {witness_.vkey, cosigner}) {
    auto endpoint = ParseWitnessEndpoint(key + "=http://w.example:8081/");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().ToString();
    EXPECT_EQ(endpoint->key, cosigner);
    EXPECT_EQ(endpoint->url, "http://w.example:8081");
  }
  for (const std::string& bad :
       std::vector<std::string>{"no-equals", witness_.vkey + "=", "=http://x",
                                witness_.vkey + "=ftp://x", "garbage=http://x"}) {
    EXPECT_FALSE(ParseWitnessEndpoint(bad).ok()) << bad;
  }
}

// ---- submissions ----

class SubmissionTest : public LogConfigTest {
 protected:
  Result<std::string> Check(std::string_view origin, std::string_view body,
                            std::string_view header) {
    auto verifier = crypto::Ed25519NoteVerifier::FromVerifierKey(submitter_.vkey).value();
    const crypto::NoteVerifier* allowed[] = {verifier.get()};
    return VerifySubmission(origin, AsBytes(body), header, allowed);
  }
  std::string Sign(std::string_view origin, std::string_view body) {
    return SignSubmission(origin, AsBytes(body), *submitter_.signer).value();
  }
};

TEST_F(SubmissionTest, TheSignedTextIsDomainSeparatedAndBoundToTheLog) {
  EXPECT_EQ(SubmissionText("log.example/releases", AsBytes("hi")),
            "clearbox.dev/log-add/v1\nlog.example/releases\n" +
                Base64Encode(Sha256(AsBytes("hi"))) + "\n");
}

TEST_F(SubmissionTest, AcceptsASignatureByAListedSubmitter) {
  auto who = Check("log.example/releases", "entry", Sign("log.example/releases", "entry"));
  ASSERT_TRUE(who.ok()) << who.error().ToString();
  EXPECT_EQ(*who, "vendor.example");
}

TEST_F(SubmissionTest, RejectsAMissingHeader) {
  auto r = Check("log.example/releases", "entry", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(r.error().message().find("missing"), std::string::npos);
}

TEST_F(SubmissionTest, RejectsAMalformedHeader) {
  for (const char* header :
       {"vendor.example", "vendor.example !!!", " abc", "vendor.example QUJD"}) {
    auto r = Check("log.example/releases", "entry", header);
    ASSERT_FALSE(r.ok()) << header;
    EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied);
    EXPECT_NE(r.error().message().find("malformed"), std::string::npos) << r.error().message();
  }
}

TEST_F(SubmissionTest, RejectsAnUnknownKey) {
  auto stranger = testing::NewLogKeys("vendor.example");  // same name, other key
  std::string header =
      SignSubmission("log.example/releases", AsBytes("entry"), *stranger.signer).value();
  auto r = Check("log.example/releases", "entry", header);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(r.error().message().find("unknown submitter key vendor.example+"), std::string::npos)
      << r.error().message();
}

TEST_F(SubmissionTest, RejectsASignatureForAnotherBodyOrLog) {
  auto other_body = Check("log.example/releases", "entry", Sign("log.example/releases", "other"));
  ASSERT_FALSE(other_body.ok());
  EXPECT_NE(other_body.error().message().find("bad submitter signature"), std::string::npos);
  auto other_log = Check("log.example/releases", "entry", Sign("elsewhere.example/log", "entry"));
  ASSERT_FALSE(other_log.ok());
  EXPECT_EQ(other_log.error().code(), ErrorCode::kPermissionDenied);
}

}  // namespace
}  // namespace clearbox::tlog
