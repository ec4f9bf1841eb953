// C2SP tlog-checkpoint tests: real sum.golang.org checkpoints, the 16 tessera test-log
// checkpoints (verified and re-signed byte for byte), the C2SP examples, and every rejection.
#include "clearbox/tlog/checkpoint.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"
#include "clearbox/tlog/cosignature.h"

namespace clearbox::tlog {
namespace {

const std::string kVectors = std::string(CLEARBOX_SHARED_DIR) + "/vectors/tlog/";

std::string Text(const std::string& rel) { return ReadTextFile(kVectors + rel).value(); }

TEST(SumdbCheckpoints, AllVerifyUnderTheSumdbKey) {
  auto meta = nlohmann::json::parse(Text("checkpoints/sumdb/sumdb.json"));
  auto key = crypto::Ed25519NoteVerifier::FromVerifierKey(meta["vkey"].get<std::string>());
  ASSERT_TRUE(key.ok());
  ASSERT_EQ(meta["checkpoints"].size(), 5u);
  for (const auto& c : meta["checkpoints"]) {
    std::string file = c["file"];
    auto v = OpenCheckpoint(Text("checkpoints/sumdb/" + file), **key, {}, "go.sum database tree");
    ASSERT_TRUE(v.ok()) << file << ": " << v.error().ToString();
    EXPECT_EQ(v->checkpoint.origin, "go.sum database tree");
    EXPECT_EQ(v->checkpoint.size, c["size"].get<uint64_t>());
    EXPECT_EQ(HashToBase64(v->checkpoint.root), c["root_b64"].get<std::string>());
    EXPECT_TRUE(v->checkpoint.extensions.empty());
    EXPECT_TRUE(v->note.VerifiedBy("sum.golang.org", 0x033de0ae));
    // One flipped character in the root line breaks the signature.
    std::string tampered = v->signed_note;
    size_t root_at = tampered.find('\n', tampered.find('\n') + 1) + 1;
    tampered[root_at] = tampered[root_at] == 'A' ? 'B' : 'A';
    auto bad = OpenCheckpoint(tampered, **key);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code(), ErrorCode::kVerificationFailed);
  }
}

class TesseraCheckpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = nlohmann::json::parse(Text("tessera-testdata-log/log.json"));
    verifier_ =
        crypto::Ed25519NoteVerifier::FromVerifierKey(log_["vkey"].get<std::string>()).value();
    signer_ =
        crypto::Ed25519NoteSigner::FromSignerKey(log_["skey_TEST_ONLY"].get<std::string>()).value();
  }
  nlohmann::json log_;
  std::unique_ptr<crypto::Ed25519NoteVerifier> verifier_;
  std::unique_ptr<crypto::Ed25519NoteSigner> signer_;
};

TEST_F(TesseraCheckpoints, VerifyAndResignByteForByte) {
  EXPECT_EQ(signer_->VerifierKeyText(), log_["vkey"].get<std::string>());
  const crypto::NoteSigner* signers[] = {signer_.get()};
  for (int n = 0; n <= 15; ++n) {
    std::string note = Text("tessera-testdata-log/checkpoint." + std::to_string(n));
    auto v = OpenCheckpoint(note, *verifier_, {}, log_["origin"].get<std::string>());
    ASSERT_TRUE(v.ok()) << n << ": " << v.error().ToString();
    EXPECT_EQ(v->checkpoint.size, static_cast<uint64_t>(n));
    EXPECT_EQ(HashToBase64(v->checkpoint.root), log_["root_b64_by_size"][n].get<std::string>());
    auto resigned = SignCheckpoint(v->checkpoint, signers);
    ASSERT_TRUE(resigned.ok());
    EXPECT_EQ(*resigned, note) << n;
  }
  EXPECT_EQ(Text("tessera-testdata-log/checkpoint"), Text("tessera-testdata-log/checkpoint.15"));
}

TEST_F(TesseraCheckpoints, OpenRejections) {
  std::string note = Text("tessera-testdata-log/checkpoint.15");
  // Wrong origin.
  auto origin = OpenCheckpoint(note, *verifier_, {}, "example.com/other");
  ASSERT_FALSE(origin.ok());
  EXPECT_NE(origin.error().message().find("checkpoint origin"), std::string::npos);
  // Another log's key: nothing verifies.
  auto other =
      crypto::Ed25519NoteVerifier::Create(
          "example.com/log/testdata", crypto::Ed25519PrivateKey::Generate().value().public_key())
          .value();
  auto unknown = OpenCheckpoint(note, *other);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("no verifiable signatures"), std::string::npos);
  // A note signed by a witness the caller trusts, but not by the log, is not a checkpoint.
  auto witness =
      CosignatureV1Signer::Create("witness.example", crypto::Ed25519PrivateKey::Generate().value(),
                                  [] { return uint64_t(1700000000); })
          .value();
  auto witness_v = CosignatureV1Verifier::Create("witness.example", witness->public_key()).value();
  auto body = crypto::ParseNote(note).value().text;
  const crypto::NoteSigner* only_witness[] = {witness.get()};
  std::string witnessed = crypto::SignNote(body, only_witness).value();
  const crypto::NoteVerifier* others[] = {witness_v.get()};
  auto not_log = OpenCheckpoint(witnessed, *verifier_, others);
  ASSERT_FALSE(not_log.ok());
  EXPECT_NE(
      not_log.error().message().find("not signed by the log key example.com/log/testdata+33d7b496"),
      std::string::npos)
      << not_log.error().message();
  // With both signatures it opens, and both count as verified.
  auto cosig = crypto::SignNoteText(body, *witness).value();
  auto log_only = OpenCheckpoint(note, *verifier_, others);
  ASSERT_TRUE(log_only.ok());
  EXPECT_EQ(log_only->note.verified.size(), 1u);
  std::string cosigned = note + cosig.Line();
  auto with_witness = OpenCheckpoint(cosigned, *verifier_, others);
  ASSERT_TRUE(with_witness.ok()) << with_witness.error().ToString();
  EXPECT_EQ(with_witness->note.verified.size(), 2u);
  // A signed note whose text is not a checkpoint.
  const crypto::NoteSigner* signers[] = {signer_.get()};
  auto not_cp = OpenCheckpoint(crypto::SignNote("hello\n", signers).value(), *verifier_);
  ASSERT_FALSE(not_cp.ok());
  EXPECT_EQ(not_cp.error().code(), ErrorCode::kInvalidInput);
}

TEST(CheckpointText, ParseRejectionsOnePerReason) {
  const std::string root = "rKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=";
  struct Case {
    std::string text;
    const char* want;
  } cases[] = {
      {"origin\n15\n" + root, "does not end in a newline"},
      {"origin\n15\n", "2 lines"},
      {"\n15\n" + root + "\n", "line 1: empty origin"},
      {"o\n015\n" + root + "\n", "line 2: tree size \"015\""},
      {"o\n-1\n" + root + "\n", "line 2"},
      {"o\n18446744073709551616\n" + root + "\n", "line 2"},
      {"o\n1 \n" + root + "\n", "line 2"},
      {"o\n1\n" + root.substr(4) + "\n", "line 3: root hash"},
      {"o\n1\nAAAA\n", "not base64 of 32 bytes"},
      {"o\n1\n" + root + "\next\n\n", "line 5: empty extension line"},
      {"o\t\n1\n" + root + "\n", "control character"},
  };
  for (const Case& c : cases) {
    auto cp = ParseCheckpoint(c.text);
    ASSERT_FALSE(cp.ok()) << c.want;
    EXPECT_EQ(cp.error().code(), ErrorCode::kInvalidInput);
    EXPECT_NE(cp.error().message().find(c.want), std::string::npos) << cp.error().message();
  }
  auto max = ParseCheckpoint("o\n18446744073709551615\n" + root + "\n");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->size, UINT64_MAX);
}

TEST(CheckpointText, FormatRoundTripsWithExtensions) {
  Checkpoint cp{"example.com/log", 42, LeafHash(ToBytes("x")), {"ext one", "\xe2\x80\x94 two"}};
  auto text = FormatCheckpoint(cp);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "example.com/log\n42\n" + HashToBase64(cp.root) + "\next one\n\xe2\x80\x94 two\n");
  EXPECT_EQ(ParseCheckpoint(*text).value(), cp);
  cp.extensions.push_back("");
  EXPECT_FALSE(FormatCheckpoint(cp).ok());
  cp.extensions.back() = "a\nb";
  EXPECT_FALSE(FormatCheckpoint(cp).ok());
  cp.extensions.clear();
  cp.origin = "";
  EXPECT_FALSE(FormatCheckpoint(cp).ok());
}

TEST(C2spExamples, CheckpointFormats) {
  auto note = crypto::ParseNote(Text("c2sp-examples/checkpoint-behind-the-sofa.note"));
  ASSERT_TRUE(note.ok()) << note.error().ToString();
  auto cp = ParseCheckpoint(note->text);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(cp->size, 20852163u);
  EXPECT_EQ(HashToBase64(cp->root), "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
  ASSERT_EQ(note->signatures.size(), 1u);
  EXPECT_EQ(note->signatures[0].signature.size(), 64u);  // Ed25519 after a 4-byte key id
  EXPECT_EQ(FormatCheckpoint(*cp).value(), note->text);
  EXPECT_EQ(crypto::FormatNote(*note), Text("c2sp-examples/checkpoint-behind-the-sofa.note"));
}

}  // namespace
}  // namespace clearbox::tlog
