// Signed-note tests over the golang.org/x/mod/sumdb/note and C2SP vectors in
// ../shared/vectors/tlog/signed-note and c2sp-examples.
#include "clearbox/crypto/note.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"

namespace clearbox::crypto {
namespace {

const std::string kVectors = std::string(CLEARBOX_SHARED_DIR) + "/vectors/tlog/";

nlohmann::json LoadJson(const std::string& rel) {
  return nlohmann::json::parse(ReadTextFile(kVectors + rel).value());
}

class GoNoteVectors : public ::testing::Test {
 protected:
  void SetUp() override { v_ = LoadJson("signed-note/go-x-mod-note.json"); }
  std::string S(const char* key) { return v_[key].get<std::string>(); }
  std::unique_ptr<Ed25519NoteVerifier> Verifier(const char* key) {
    auto v = Ed25519NoteVerifier::FromVerifierKey(S(key));
    EXPECT_TRUE(v.ok()) << v.error().ToString();
    return std::move(v).value();
  }
  nlohmann::json v_;
};

TEST_F(GoNoteVectors, KeyIdsMatch) {
  auto peter = Verifier("peter_vkey");
  EXPECT_EQ(peter->name(), "PeterNeumann");
  EXPECT_EQ(peter->key_id(), 0xc74f20a3u);
  EXPECT_EQ(peter->VerifierKeyText(), S("peter_vkey"));
  auto enoch = Verifier("enoch_vkey");
  EXPECT_EQ(enoch->key_id(), 0xaf0cfe78u);
}

TEST_F(GoNoteVectors, SigningReproducesPeterNoteByteForByte) {
  auto signer = Ed25519NoteSigner::FromSignerKey(S("peter_skey"));
  ASSERT_TRUE(signer.ok()) << signer.error().ToString();
  EXPECT_EQ((*signer)->VerifierKeyText(), S("peter_vkey"));
  EXPECT_EQ((*signer)->SignerKeyText(), S("peter_skey"));
  const NoteSigner* signers[] = {signer->get()};
  auto note = SignNote(S("text"), signers);
  ASSERT_TRUE(note.ok()) << note.error().ToString();
  EXPECT_EQ(*note, S("peter_signed_note"));
  auto line = SignNoteText(S("text"), **signer);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->Line(), S("peter_signature_line"));
}

TEST_F(GoNoteVectors, ExpectedOutcomes) {
  auto peter = Verifier("peter_vkey");
  auto enoch = Verifier("enoch_vkey");
  const std::string both = S("both_signed_note");
  {
    const NoteVerifier* vs[] = {peter.get()};
    auto opened = OpenNote(both, vs);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    EXPECT_EQ(opened->text, S("text"));
    ASSERT_EQ(opened->verified.size(), 1u);
    EXPECT_EQ(opened->verified[0].name, "PeterNeumann");
    ASSERT_EQ(opened->unverified.size(), 1u);
    EXPECT_EQ(opened->unverified[0].name, "EnochRoot");
  }
  {
    const NoteVerifier* vs[] = {peter.get(), enoch.get()};
    auto opened = OpenNote(both, vs);
    ASSERT_TRUE(opened.ok());
    ASSERT_EQ(opened->verified.size(), 2u);
    EXPECT_EQ(opened->verified[0].name, "PeterNeumann");
    EXPECT_EQ(opened->verified[1].name, "EnochRoot");
    EXPECT_TRUE(opened->unverified.empty());
  }
  {
    auto opened = OpenNote(both, std::span<const NoteVerifier* const>{});
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code(), ErrorCode::kVerificationFailed);
    EXPECT_NE(opened.error().message().find("no verifiable signatures"), std::string::npos);
  }
  {
    // 101 copies of the signature line: over the signature-count limit.
    std::string note = S("text") + "\n";
    for (int i = 0; i < 101; ++i) note += S("peter_signature_line");
    auto opened = OpenNote(note, *peter);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code(), ErrorCode::kLimitExceeded);
    // 100 identical copies are fine and count once.
    note = S("text") + "\n";
    for (int i = 0; i < 100; ++i) note += S("peter_signature_line");
    auto ok = OpenNote(note, *peter);
    ASSERT_TRUE(ok.ok()) << ok.error().ToString();
    EXPECT_EQ(ok->verified.size(), 1u);
  }
  {
    // 'ABCD' inserted at offset 60 of the signature line.
    std::string line = S("peter_signature_line");
    line.insert(60, "ABCD");
    auto opened = OpenNote(S("text") + "\n" + line, *peter);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code(), ErrorCode::kVerificationFailed);
    EXPECT_NE(opened.error().message().find("invalid signature for key PeterNeumann+c74f20a3"),
              std::string::npos);
  }
}

TEST_F(GoNoteVectors, MalformedNotesAreRejected) {
  auto peter = Verifier("peter_vkey");
  for (const auto& m : v_["malformed_notes"]) {
    std::string why = m["why"];
    auto opened = OpenNote(m["note"].get<std::string>(), *peter);
    ASSERT_FALSE(opened.ok()) << why;
    EXPECT_EQ(opened.error().code(), ErrorCode::kInvalidInput) << why;
    EXPECT_FALSE(ParseNote(m["note"].get<std::string>()).ok()) << why;
  }
  Bytes invalid_utf8 = HexDecode(S("malformed_note_invalid_utf8_hex")).value();
  auto opened = OpenNote(AsChars(invalid_utf8), *peter);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(opened.error().message().find("invalid UTF-8"), std::string::npos);
}

TEST_F(GoNoteVectors, BadVerifierKeysAreRejected) {
  for (const auto& b : v_["bad_vkeys"]) {
    std::string why = b["why"];
    auto v = Ed25519NoteVerifier::FromVerifierKey(b["vkey"].get<std::string>());
    EXPECT_FALSE(v.ok()) << why;
  }
  // The wrong-length key parses generically (its key id is right) but is no Ed25519 key.
  auto wrong_len =
      Ed25519NoteVerifier::FromVerifierKey(v_["bad_vkeys"][0]["vkey"].get<std::string>());
  EXPECT_EQ(wrong_len.error().code(), ErrorCode::kInvalidInput);
  auto wrong_alg =
      Ed25519NoteVerifier::FromVerifierKey(v_["bad_vkeys"][1]["vkey"].get<std::string>());
  EXPECT_EQ(wrong_alg.error().code(), ErrorCode::kUnsupported);
}

TEST(NoteKeys, OneRejectionPerReason) {
  const std::string good = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  ASSERT_TRUE(ParseVerifierKey(good).ok());
  struct Case {
    const char* vkey;
    const char* want;
  } cases[] = {
      {"", "invalid key name"},
      {"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "invalid key name"},
      {"PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits"},
      {"PeterNeumann+c74f20ag+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits"},
      {"PeterNeumann+c74f20a3+", "base64"},
      {"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "base64"},
      {"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"},
      {"PeterNeumann", "8 hex digits"},
  };
  for (const Case& c : cases) {
    auto k = ParseVerifierKey(c.vkey);
    ASSERT_FALSE(k.ok()) << c.vkey;
    EXPECT_EQ(k.error().code(), ErrorCode::kInvalidInput);
    EXPECT_NE(k.error().message().find(c.want), std::string::npos) << k.error().message();
  }
}

TEST(NoteKeys, SignerKeyRejections) {
  const std::string good =
      "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
  ASSERT_TRUE(ParseSignerKey(good).ok());
  // Wrong prefix, wrong key id, truncated seed.
  EXPECT_FALSE(ParseSignerKey(good.substr(8)).ok());
  std::string wrong_id = good;
  wrong_id.replace(wrong_id.find("c74f20a3"), 8, "c74f20a4");
  auto k = ParseSignerKey(wrong_id);
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.error().message().find("does not match"), std::string::npos);
  EXPECT_EQ(k.error().message().find("AYEKFALV"), std::string::npos) << "secret in message";
  auto short_seed = ParseSignerKey("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr");
  ASSERT_FALSE(short_seed.ok());
  EXPECT_NE(short_seed.error().message().find("want 32"), std::string::npos);
}

TEST(NoteKeys, GeneratedKeysRoundTrip) {
  auto key = GenerateNoteKey("example.com/log");
  ASSERT_TRUE(key.ok());
  auto signer = Ed25519NoteSigner::FromSignerKey(key->signer_key);
  ASSERT_TRUE(signer.ok());
  auto verifier = Ed25519NoteVerifier::FromVerifierKey(key->verifier_key);
  ASSERT_TRUE(verifier.ok());
  const NoteSigner* signers[] = {signer->get()};
  auto note = SignNote("hello\n", signers).value();
  auto opened = OpenNote(note, **verifier);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->text, "hello\n");
  EXPECT_FALSE(GenerateNoteKey("bad name").ok());
  EXPECT_FALSE(GenerateNoteKey("a+b").ok());
}

TEST(Notes, C2spSpecExampleVerifies) {
  auto v = LoadJson("signed-note/c2sp-signed-note-example.json");
  auto verifier = Ed25519NoteVerifier::FromVerifierKey(v["vkey"].get<std::string>());
  ASSERT_TRUE(verifier.ok());
  std::string note = ReadTextFile(kVectors + "signed-note/c2sp-signed-note-example.note").value();
  EXPECT_EQ(note, v["signed_note"].get<std::string>());
  auto opened = OpenNote(note, **verifier);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  EXPECT_EQ(opened->text, v["text"].get<std::string>());
}

TEST(Notes, QuasimodoTextWithBlankLineParses) {
  std::string note = ReadTextFile(kVectors + "c2sp-examples/signed-note-quasimodo.note").value();
  auto parsed = ParseNote(note);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->text,
            "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \xc3\xa8 "
            "subito sera.\n");
  ASSERT_EQ(parsed->signatures.size(), 1u);
  EXPECT_EQ(parsed->signatures[0].name, "quasimodo.example/salvatore");
  EXPECT_EQ(parsed->signatures[0].signature.size(), 64u);
  EXPECT_EQ(FormatNote(*parsed), note);
}

TEST(Notes, WrongKeyWithSameNameAndIdFailsVerification) {
  // A verifier with the right name but another key gets a different key id, so the
  // signature is merely unknown; the note then has no verifiable signature.
  auto a = Ed25519NoteSigner::Create("log", Ed25519PrivateKey::Generate().value()).value();
  auto b = Ed25519NoteVerifier::Create("log", Ed25519PrivateKey::Generate().value().public_key())
               .value();
  const NoteSigner* signers[] = {a.get()};
  auto note = SignNote("x\n", signers).value();
  auto opened = OpenNote(note, *b);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message().find("no verifiable signatures (signed by log)"),
            std::string::npos);
}

TEST(Notes, SecondDifferentSignatureByKnownKeyMustVerifyToo) {
  auto signer = Ed25519NoteSigner::Create("log", Ed25519PrivateKey::Generate().value()).value();
  auto verifier = Ed25519NoteVerifier::Create("log", signer->private_key().public_key()).value();
  auto sig = SignNoteText("x\n", *signer).value();
  NoteSignature forged = sig;
  forged.signature[0] ^= 1;
  Note note{"x\n", {sig, forged}};
  auto opened = OpenNote(FormatNote(note), *verifier);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code(), ErrorCode::kVerificationFailed);
}

TEST(Notes, AmbiguousVerifiersAreRejected) {
  auto key = Ed25519PrivateKey::Generate().value();
  auto v1 = Ed25519NoteVerifier::Create("log", key.public_key()).value();
  auto v2 = Ed25519NoteVerifier::Create("log", key.public_key()).value();
  const NoteVerifier* vs[] = {v1.get(), v2.get()};
  auto opened = OpenNote("x\n\n\xe2\x80\x94 log AAAAAAE=\n", vs);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message().find("ambiguous"), std::string::npos);
}

TEST(Notes, ParseRejectionsNameTheLine) {
  struct Case {
    std::string note;
    const char* want;
  } cases[] = {
      {"text\n", "no blank line"},
      {"text\n\n", "no signature lines"},
      {"text\n\n\xe2\x80\x94 a AAAAAAE=", "does not end in a newline"},
      {"text\n\n- a AAAAAAE=\n", "note line 3: not a signature line"},
      {"text\n\n\xe2\x80\x94 a+b AAAAAAE=\n", "invalid key name"},
      {"text\n\n\xe2\x80\x94 a\n", "signature of a is not standard base64"},
      {"text\n\n\xe2\x80\x94 a AAAA\n", "want a key id and more"},
      {"text\n\n\xe2\x80\x94 a AAAAAAE\n", "not standard base64"},
      {"text\n\n\xe2\x80\x94 a AAAAAAE= \n", "not standard base64"},
      {"te\rxt\n\n\xe2\x80\x94 a AAAAAAE=\n", "control character 0x0d at byte 2"},
      {"text\n\n\xe2\x80\x94 a\xc2\xa0 AAAAAAE=\n", "invalid key name"},  // NBSP is a space
  };
  for (const Case& c : cases) {
    auto n = ParseNote(c.note);
    ASSERT_FALSE(n.ok()) << c.want;
    EXPECT_NE(n.error().message().find(c.want), std::string::npos) << n.error().message();
  }
  std::string huge(kMaxNoteSize + 1, 'a');
  EXPECT_EQ(ParseNote(huge).error().code(), ErrorCode::kLimitExceeded);
}

TEST(Notes, SignNoteRejectsBadText) {
  auto signer = Ed25519NoteSigner::Create("log", Ed25519PrivateKey::Generate().value()).value();
  const NoteSigner* signers[] = {signer.get()};
  EXPECT_FALSE(SignNote("no newline", signers).ok());
  EXPECT_FALSE(SignNote("tab\there\n", signers).ok());
  EXPECT_FALSE(SignNote("x\n", std::span<const NoteSigner* const>{}).ok());
}

TEST(Notes, KeyNames) {
  EXPECT_TRUE(IsValidKeyName("example.com/log42"));
  EXPECT_TRUE(IsValidKeyName("quasimodo.example/salvatore"));
  EXPECT_TRUE(IsValidKeyName("\xc3\xa8"));
  EXPECT_FALSE(IsValidKeyName(""));
  EXPECT_FALSE(IsValidKeyName("a b"));
  EXPECT_FALSE(IsValidKeyName("a+b"));
  EXPECT_FALSE(IsValidKeyName("a\xe3\x80\x80"));  // U+3000 ideographic space
  EXPECT_FALSE(IsValidKeyName("a\xff"));
}

}  // namespace
}  // namespace clearbox::crypto
