// c2sp.org/tlog-proof tests: the spec example (format), proofs over the tessera test log
// (verified under its real key), and one rejection per reason.
#include "clearbox/tlog/proof.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"

namespace clearbox::tlog {
namespace {

const std::string kVectors = std::string(CLEARBOX_SHARED_DIR) + "/vectors/tlog/";
const std::string kTessera = kVectors + "tessera-testdata-log/";

std::string Text(const std::string& path) { return ReadTextFile(path).value(); }

TEST(TlogProofFormat, SpecExampleParsesAndRoundTrips) {
  std::string text = Text(kVectors + "c2sp-examples/tlog-proof-example.tlog-proof");
  auto proof = ParseTlogProof(text);
  ASSERT_TRUE(proof.ok()) << proof.error().ToString();
  EXPECT_EQ(proof->index, 73894u);
  ASSERT_EQ(proof->inclusion_proof.size(), 5u);
  EXPECT_EQ(HashToBase64(proof->inclusion_proof[0]),
            "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=");
  ASSERT_TRUE(proof->extra.has_value());
  EXPECT_EQ(Base64Encode(*proof->extra), "YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ");
  EXPECT_TRUE(proof->checkpoint.starts_with("example.com/fancylog\n109482\n"));
  EXPECT_EQ(FormatTlogProof(*proof), text);
  // The checkpoint body parses; its signatures are elided with "[...]" in the spec, so the
  // note itself does not.
  std::string body = proof->checkpoint.substr(0, proof->checkpoint.find("\n\n") + 1);
  auto cp = ParseCheckpoint(body);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->size, 109482u);
  EXPECT_FALSE(crypto::ParseNote(proof->checkpoint).ok());
}

class TesseraProofs : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = nlohmann::json::parse(Text(kTessera + "log.json"));
    for (const auto& l : log["leaves_ascii"]) {
      leaves_.push_back(l.get<std::string>());
      store_.Append(LeafHash(AsBytes(leaves_.back())));
    }
    key_ = crypto::Ed25519NoteVerifier::FromVerifierKey(log["vkey"].get<std::string>()).value();
    checkpoint_ = Text(kTessera + "checkpoint");
  }
  TlogProof Make(uint64_t index) {
    TlogProof p;
    p.index = index;
    p.inclusion_proof = ProveInclusion(index, 15, store_).value();
    p.checkpoint = checkpoint_;
    return p;
  }
  std::vector<std::string> leaves_;
  MemoryHashStore store_;
  std::unique_ptr<crypto::Ed25519NoteVerifier> key_;
  std::string checkpoint_;
};

TEST_F(TesseraProofs, EveryEntryVerifiesThroughTheTextFormat) {
  for (uint64_t i = 0; i < 15; ++i) {
    TlogProof p = Make(i);
    if (i == 3) p.extra = ToBytes("context");
    auto parsed = ParseTlogProof(FormatTlogProof(p));
    ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
    EXPECT_EQ(*parsed, p);
    auto v = VerifyTlogProof(*parsed, LeafHash(AsBytes(leaves_[i])), *key_, {},
                             "example.com/log/testdata");
    ASSERT_TRUE(v.ok()) << i << ": " << v.error().ToString();
    EXPECT_EQ(v->index, i);
    EXPECT_EQ(v->checkpoint.checkpoint.size, 15u);
  }
}

TEST_F(TesseraProofs, VerificationRejections) {
  TlogProof p = Make(7);
  Hash leaf = LeafHash(AsBytes(leaves_[7]));
  // Another entry.
  auto wrong_entry = VerifyTlogProof(p, LeafHash(AsBytes(leaves_[6])), *key_);
  EXPECT_NE(wrong_entry.error().message().find("does not lead to the root"), std::string::npos);
  // Another index.
  TlogProof moved = p;
  moved.index = 6;
  EXPECT_EQ(VerifyTlogProof(moved, leaf, *key_).error().code(), ErrorCode::kVerificationFailed);
  // Index beyond the tree.
  moved.index = 15;
  auto beyond = VerifyTlogProof(moved, leaf, *key_);
  EXPECT_NE(beyond.error().message().find("index 15 is not below tree size 15"), std::string::npos);
  // Tampered proof hash.
  TlogProof tampered = p;
  tampered.inclusion_proof[1][0] ^= 1;
  EXPECT_EQ(VerifyTlogProof(tampered, leaf, *key_).error().code(), ErrorCode::kVerificationFailed);
  // A proof hash dropped.
  tampered = p;
  tampered.inclusion_proof.pop_back();
  EXPECT_NE(VerifyTlogProof(tampered, leaf, *key_).error().message().find("too short"),
            std::string::npos);
  // Another log's key.
  auto other =
      crypto::Ed25519NoteVerifier::Create(
          "example.com/log/testdata", crypto::Ed25519PrivateKey::Generate().value().public_key())
          .value();
  EXPECT_EQ(VerifyTlogProof(p, leaf, *other).error().code(), ErrorCode::kVerificationFailed);
  // A checkpoint from the same log at another size: the proof is for size 15.
  TlogProof older = p;
  older.checkpoint = Text(kTessera + "checkpoint.14");
  EXPECT_FALSE(VerifyTlogProof(older, leaf, *key_).ok());
  // Origin pinning.
  EXPECT_NE(VerifyTlogProof(p, leaf, *key_, {}, "example.com/x").error().message().find("origin"),
            std::string::npos);
}

TEST(TlogProofFormat, ParseRejectionsOnePerReason) {
  const std::string h = "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=";
  const std::string cp = "o\n1\n" + h + "\n\n\xe2\x80\x94 o AAAAAAE=\n";
  struct Case {
    std::string text;
    const char* want;
  } cases[] = {
      {"c2sp.org/tlog-proof@v2\nindex 1\n\n" + cp, "line 1: want the header"},
      {"c2sp.org/tlog-proof@v1\nextra !!!!\nindex 1\n\n" + cp, "line 2: extra data"},
      {"c2sp.org/tlog-proof@v1\nindex 01\n\n" + cp, "line 2: index \"01\""},
      {"c2sp.org/tlog-proof@v1\nindex -1\n\n" + cp, "line 2: index"},
      {"c2sp.org/tlog-proof@v1\nidx 1\n\n" + cp, "line 2: want \"index <n>\""},
      {"c2sp.org/tlog-proof@v1\nextra AAAA\n\n" + cp, "line 3: want \"index <n>\""},
      {"c2sp.org/tlog-proof@v1\nindex 1\n" + h.substr(1) + "\n\n" + cp, "line 3: inclusion"},
      {"c2sp.org/tlog-proof@v1\nindex 1\n" + h, "line 3: no empty line"},
      {"c2sp.org/tlog-proof@v1\nindex 1\n\n", "line 3: no checkpoint"},
      {"", "line 1"},
  };
  for (const Case& c : cases) {
    auto p = ParseTlogProof(c.text);
    ASSERT_FALSE(p.ok()) << c.want;
    EXPECT_EQ(p.error().code(), ErrorCode::kInvalidInput);
    EXPECT_NE(p.error().message().find(c.want), std::string::npos) << p.error().message();
  }
  std::string many = "c2sp.org/tlog-proof@v1\nindex 1\n";
  for (int i = 0; i < 65; ++i) many += h + "\n";
  auto too_many = ParseTlogProof(many + "\n" + cp);
  EXPECT_NE(too_many.error().message().find("more than 64"), std::string::npos);
  std::string huge(kMaxTlogProofSize + 1, 'a');
  EXPECT_EQ(ParseTlogProof(huge).error().code(), ErrorCode::kLimitExceeded);
}

}  // namespace
}  // namespace clearbox::tlog
