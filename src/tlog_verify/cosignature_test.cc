// C2SP tlog-cosignature tests over the sunlight/skylight cosignatures (reproduced byte for
// byte from their seeds), the C2SP examples, and the rejection cases.
#include "clearbox/tlog/cosignature.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"
#include "clearbox/tlog/checkpoint.h"

namespace clearbox::tlog {
namespace {

const std::string kVectors = std::string(CLEARBOX_SHARED_DIR) + "/vectors/tlog/";
const std::string kSkylight = kVectors + "cosignatures/sunlight-skylight/";

std::string Text(const std::string& path) { return ReadTextFile(path).value(); }

class Skylight : public ::testing::Test {
 protected:
  void SetUp() override { meta_ = nlohmann::json::parse(Text(kSkylight + "cosignatures.json")); }
  nlohmann::json meta_;
};

TEST_F(Skylight, KeysDeriveFromSeedsAndCosignaturesReproduce) {
  const uint64_t ts = meta_["timestamp"];
  ASSERT_EQ(meta_["cosigners"].size(), 3u);
  for (const auto& c : meta_["cosigners"]) {
    std::string name = c["name"];
    Sha256Digest seed = Sha256(AsBytes(c["seed_string"].get<std::string>()));
    EXPECT_EQ(HexEncode(seed), c["seed_hex"].get<std::string>());
    auto signer =
        CosignatureV1Signer::Create(name, crypto::Ed25519PrivateKey::FromSeed(seed).value(), [ts] {
          return ts;
        }).value();
    EXPECT_EQ(signer->VerifierKeyText(), c["vkey"].get<std::string>()) << name;

    auto verifier = CosignatureV1Verifier::FromVerifierKey(c["vkey"].get<std::string>());
    ASSERT_TRUE(verifier.ok()) << verifier.error().ToString();
    std::string note = Text(kSkylight + c["cosigned"].get<std::string>());
    const CosignatureV1Verifier* cosigners[] = {verifier->get()};
    auto verified = VerifyCosignatures(note, cosigners);
    ASSERT_TRUE(verified.ok()) << verified.error().ToString();
    ASSERT_EQ(verified->size(), 1u) << name;
    EXPECT_EQ((*verified)[0].name, name);
    EXPECT_EQ((*verified)[0].timestamp, ts);

    // The same note through the generic signed-note path.
    const crypto::NoteVerifier* as_note[] = {verifier->get()};
    auto opened = crypto::OpenNote(note, as_note);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();

    // Ed25519 is deterministic: re-cosigning the body reproduces the stored line.
    auto parsed = crypto::ParseNote(note).value();
    auto line = crypto::SignNoteText(parsed.text, *signer);
    ASSERT_TRUE(line.ok());
    EXPECT_NE(note.find(line->Line()), std::string::npos) << name << ": " << line->Line();
  }
}

TEST_F(Skylight, WrongKeyIsRejected) {
  const auto& neg = meta_["negative"][0];
  std::string note = Text(kSkylight + neg["note"].get<std::string>());
  auto wrong = CosignatureV1Verifier::FromVerifierKey(neg["vkeys"][0].get<std::string>()).value();
  const crypto::NoteVerifier* vs[] = {wrong.get()};
  auto opened = crypto::OpenNote(note, vs);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message().find("no verifiable signatures"), std::string::npos);
  const CosignatureV1Verifier* cs[] = {wrong.get()};
  auto none = VerifyCosignatures(note, cs);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(Skylight, LogEcdsaSignatureIsIgnoredAsUnknown) {
  std::string note = Text(kSkylight + "witness/checkpoint-rome2026h1");
  auto w = CosignatureV1Verifier::FromVerifierKey(meta_["cosigners"][0]["vkey"].get<std::string>())
               .value();
  const crypto::NoteVerifier* vs[] = {w.get()};
  auto opened = crypto::OpenNote(note, vs);
  ASSERT_TRUE(opened.ok());
  ASSERT_EQ(opened->unverified.size(), 1u);
  EXPECT_EQ(opened->unverified[0].name, "rome2026h1.example.org");
  EXPECT_EQ(opened->unverified[0].key_id, 0x91507526u);
}

TEST_F(Skylight, TamperedCosignatureFails) {
  std::string note = Text(kSkylight + "witness2/checkpoint-milan2026h1");
  auto w = CosignatureV1Verifier::FromVerifierKey(meta_["cosigners"][1]["vkey"].get<std::string>())
               .value();
  auto parsed = crypto::ParseNote(note).value();
  // A later timestamp over the same signature: the signed message changes.
  parsed.signatures[0].signature[7] ^= 1;
  const CosignatureV1Verifier* cs[] = {w.get()};
  auto r = VerifyCosignatures(crypto::FormatNote(parsed), cs);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("invalid cosignature by witness2.example.org+2e55b896"),
            std::string::npos);
  // Another checkpoint body under the original signature.
  parsed = crypto::ParseNote(note).value();
  parsed.text.replace(0, 5, "paris");
  EXPECT_FALSE(VerifyCosignatures(crypto::FormatNote(parsed), cs).ok());
}

TEST(CosignatureFormat, C2spSignedMessageExample) {
  std::string want = Text(kVectors + "c2sp-examples/cosignature-v1-signed-message.txt");
  auto cp =
      crypto::ParseNote(Text(kVectors + "c2sp-examples/checkpoint-cosigned-behind-the-sofa.note"));
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(CosignatureV1Message(cp->text, 1679315147), want);
  // The example's witness signature line: key id, then the timestamp in the message above.
  ASSERT_EQ(cp->signatures.size(), 2u);
  EXPECT_EQ(cp->signatures[1].name, "witness.example.com/w1");
  auto decoded = DecodeCosignatureV1(cp->signatures[1].signature);
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  EXPECT_EQ(decoded->timestamp, 1679315147u);
  EXPECT_EQ(EncodeCosignatureV1(*decoded), cp->signatures[1].signature);
}

TEST(CosignatureFormat, WitnessResponseLinesParse) {
  std::string response = Text(kVectors + "c2sp-examples/witness-add-checkpoint-response.txt");
  auto note = crypto::ParseNote("x\n\n" + response);
  ASSERT_TRUE(note.ok()) << note.error().ToString();
  ASSERT_EQ(note->signatures.size(), 3u);
  std::string lines;
  for (const auto& s : note->signatures) {
    // Key id + timestamp + Ed25519 signature. (The spec's example bytes are made up: their
    // "timestamps" are random, so they are not decoded here.)
    EXPECT_EQ(s.signature.size(), 72u) << s.name;
    lines += s.Line();
  }
  EXPECT_EQ(lines, response);
}

TEST(CosignatureFormat, DecodeRejections) {
  Bytes short_sig(71, 0);
  EXPECT_EQ(DecodeCosignatureV1(short_sig).error().code(), ErrorCode::kInvalidInput);
  Bytes big_ts(72, 0);
  big_ts[0] = 0x80;
  auto r = DecodeCosignatureV1(big_ts);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("2^63"), std::string::npos);
}

TEST(CosignatureKeys, NoteKeyReusedAsCosignerKeyGetsType4KeyId) {
  auto note_key = crypto::GenerateNoteKey("witness.example").value();
  auto signer = CosignatureV1Signer::FromSignerKey(note_key.signer_key, [] { return uint64_t(5); });
  ASSERT_TRUE(signer.ok()) << signer.error().ToString();
  auto vkey = crypto::ParseVerifierKey((*signer)->VerifierKeyText()).value();
  EXPECT_EQ(vkey.type, crypto::kNoteTypeCosignatureV1);
  EXPECT_EQ(vkey.key_id, (*signer)->key_id());
  EXPECT_NE(vkey.key_id, crypto::ParseVerifierKey(note_key.verifier_key).value().key_id);
  // The type-0x04 skey round-trips.
  auto again = CosignatureV1Signer::FromSignerKey((*signer)->SignerKeyText());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->key_id(), (*signer)->key_id());
  // Its cosignature verifies under NewNoteVerifier of that vkey, and carries the clock's time.
  auto v = NewNoteVerifier((*signer)->VerifierKeyText());
  ASSERT_TRUE(v.ok());
  auto sig = crypto::SignNoteText("o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", **signer);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(DecodeCosignatureV1(sig->signature)->timestamp, 5u);
  EXPECT_TRUE((*v)->Verify(AsBytes("o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"),
                           sig->signature));
}

TEST(CosignatureKeys, VerifierDispatchAndRejections) {
  auto note_key = crypto::GenerateNoteKey("log.example").value();
  auto v1 = NewNoteVerifier(note_key.verifier_key);
  ASSERT_TRUE(v1.ok());
  EXPECT_NE(dynamic_cast<crypto::Ed25519NoteVerifier*>(v1->get()), nullptr);
  // A type-0x02 (ECDSA) key is well formed but unsupported.
  std::string ecdsa = crypto::FormatVerifierKey("log.example", 0x02, Bytes(65, 4));
  EXPECT_EQ(NewNoteVerifier(ecdsa).error().code(), ErrorCode::kUnsupported);
  // A type-0x01 key is not a cosigner key, and vice versa.
  EXPECT_EQ(CosignatureV1Verifier::FromVerifierKey(note_key.verifier_key).error().code(),
            ErrorCode::kUnsupported);
  std::string short_key =
      crypto::FormatVerifierKey("w", crypto::kNoteTypeCosignatureV1, Bytes(31, 1));
  EXPECT_EQ(CosignatureV1Verifier::FromVerifierKey(short_key).error().code(),
            ErrorCode::kInvalidInput);
  auto signer = CosignatureV1Signer::FromSignerKey(note_key.signer_key).value();
  EXPECT_EQ(signer->SignAt(AsBytes("x\n"), uint64_t(1) << 63).error().code(),
            ErrorCode::kInvalidInput);
}

}  // namespace
}  // namespace clearbox::tlog
