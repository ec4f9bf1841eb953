#include "clearbox/release/statement.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "clearbox/core/digest.h"
#include "clearbox/core/file.h"

namespace clearbox::release {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kA(64, 'a');
const std::string kB(64, 'b');
const std::string kC(64, 'c');

ReleasePredicate SampleRelease() {
  ReleasePredicate r;
  r.vendor = "Example Networks";
  r.product = "EX-1000";
  r.version = "2.4.1";
  r.security_version = 18446744073709551615u;  // uint64 max survives the round trip
  r.pledge_sha256 = kA;
  r.sbom_sha256 = kB;
  r.source_revision = "git:1f2e3d";
  r.build_provenance = ReleasePredicate::BuildProvenance{"https://ci.example/prov/1", kC};
  return r;
}

TEST(StatementTest, ReleaseRoundTripThroughSignedEnvelope) {
  auto key = crypto::Ed25519PrivateKey::FromSeed(Bytes(32, 7)).value();
  std::vector<TrustedKey> trusted = {TrustedKey::FromEd25519("vendor", key.public_key())};
  Statement s = MakeReleaseStatement("fw.bin", kC, SampleRelease());
  auto json = SignStatement(s, key);
  ASSERT_TRUE(json.ok());
  auto opened = OpenStatement(*json, trusted);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  EXPECT_THAT(opened->signed_by, ElementsAre("vendor"));
  ASSERT_EQ(opened->statement.subjects.size(), 1u);
  EXPECT_EQ(opened->statement.subjects[0].name, "fw.bin");
  auto r = ReleaseOf(opened->statement);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->security_version, 18446744073709551615u);
  EXPECT_EQ(r->sbom_sha256, kB);
  ASSERT_TRUE(r->build_provenance);
  EXPECT_EQ(r->build_provenance->sha256, kC);
  EXPECT_EQ(ToJson(*r), ToJson(SampleRelease()));
}

TEST(StatementTest, PledgeSubjectMustMatchItsDigest) {
  PledgePredicate p{"Example Networks", "EX-1000", kA, ""};
  Statement s = MakePledgeStatement("pledge.json", p);
  auto parsed = ParseStatement(SerializeStatement(s));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(PledgeOf(*parsed).ok());
  parsed->subjects[0].sha256 = kB;
  auto mismatch = PledgeOf(*parsed);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(mismatch.error().message(),
              HasSubstr("/predicate/pledgeDigest/sha256: differs from the subject's digest"));
  EXPECT_THAT(ReleaseOf(*parsed).error().message(),
              HasSubstr("/predicateType: \"https://clearbox.dev/pledge/v1\" is not"));
}

TEST(StatementTest, VerdictRules) {
  VerdictPredicate v{kA, kB, "0.1.0", kC, true, {}, "lab.example"};
  auto ok = VerdictPredicateFromJson(ToJson(v));
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_TRUE(ok->pass);
  v.blocking_findings = {"CB-PLEDGE-001"};
  EXPECT_THAT(VerdictPredicateFromJson(ToJson(v)).error().message(),
              HasSubstr("/predicate/blockingFindings: a \"pass\" verdict lists blocking findings"));
  v.pass = false;
  EXPECT_TRUE(VerdictPredicateFromJson(ToJson(v)).ok());
  nlohmann::json j = ToJson(v);
  j["result"] = "maybe";
  EXPECT_THAT(VerdictPredicateFromJson(j).error().message(),
              HasSubstr("/predicate/result: \"maybe\" is neither"));
}

TEST(StatementTest, ErrorsNameThePath) {
  struct Case {
    std::string json;
    std::string message;
  };
  std::string subject = R"([{"name":"fw.bin","digest":{"sha256":")" + kA + R"("}}])";
  std::vector<Case> cases = {
      {R"({"_type":"https://in-toto.io/Statement/v0.1","subject":)" + subject +
           R"(,"predicateType":"x"})",
       "statement: /_type: \"https://in-toto.io/Statement/v0.1\" is not"},
      {R"({"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x"})",
       "statement: /subject: no subjects"},
      {R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"ABC"}}],"predicateType":"x"})",
       "statement: /subject/0/digest/sha256: not a SHA-256 digest"},
      {R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha512":"00"}}],"predicateType":"x"})",
       "statement: /subject/0/digest/sha256: missing (required)"},
      {R"({"_type":"https://in-toto.io/Statement/v1","subject":)" + subject +
           R"(,"predicateType":"x","predicate":[]})",
       "statement: /predicate: expected an object, got an array"},
  };
  for (const auto& c : cases) {
    auto s = ParseStatement(c.json);
    ASSERT_FALSE(s.ok()) << c.json;
    EXPECT_THAT(s.error().message(), HasSubstr(c.message)) << c.json;
  }
}

TEST(StatementTest, ReleaseFieldChecks) {
  nlohmann::json j = ToJson(SampleRelease());
  j["securityVersion"] = -1;
  EXPECT_THAT(ReleasePredicateFromJson(j).error().message(),
              HasSubstr("/predicate/securityVersion: expected an unsigned integer, got a negative"));
  j = ToJson(SampleRelease());
  j["securityVersion"] = 1.5;
  EXPECT_FALSE(ReleasePredicateFromJson(j).ok());
  j = ToJson(SampleRelease());
  j.erase("vendor");
  EXPECT_THAT(ReleasePredicateFromJson(j).error().message(),
              HasSubstr("/predicate/vendor: missing (required)"));
  j = ToJson(SampleRelease());
  j["unknownField"] = {{"allowed", true}};
  EXPECT_TRUE(ReleasePredicateFromJson(j).ok());
}

// docs/examples/*.statement.json, which docs/statements.md shows, parse as their type.
TEST(StatementTest, DocumentedExamplesParse) {
  std::string dir = std::string(CLEARBOX_SOURCE_DIR) + "/docs/examples/";
  auto read = [&](const char* name) {
    auto text = ReadTextFile(dir + name);
    EXPECT_TRUE(text.ok()) << name;
    auto s = ParseStatement(text.ok() ? *text : "");
    EXPECT_TRUE(s.ok()) << name << ": " << (s.ok() ? "" : s.error().ToString());
    return s.ok() ? *s : Statement{};
  };
  EXPECT_TRUE(PledgeOf(read("pledge.statement.json")).ok());
  EXPECT_TRUE(ReleaseOf(read("release.statement.json")).ok());
  auto verdict = VerdictOf(read("verdict.statement.json"));
  ASSERT_TRUE(verdict.ok());
  EXPECT_THAT(verdict->blocking_findings, ElementsAre("CB-PLEDGE-002"));
}

TEST(PledgeDocument, TravelsInThePredicateAndMustMatchItsDigest) {
  PledgePredicate p{"Example Networks", "EX-1000", Sha256Hex(AsBytes(std::string("{}\n"))),
                    "{}\n"};
  Result<Statement> parsed = ParseStatement(SerializeStatement(MakePledgeStatement("p.json", p)));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  Result<PledgePredicate> back = PledgeOf(*parsed);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->document, "{}\n");

  p.document = "{} \n";  // not the document whose digest is signed
  parsed = ParseStatement(SerializeStatement(MakePledgeStatement("p.json", p)));
  ASSERT_TRUE(parsed.ok());
  Result<PledgePredicate> tampered = PledgeOf(*parsed);
  ASSERT_FALSE(tampered.ok());
  EXPECT_THAT(tampered.error().message(), HasSubstr("/predicate/document"));
}

}  // namespace
}  // namespace clearbox::release
