#include "clearbox/release/dsse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/crypto/note.h"

namespace clearbox::release {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Str(const Bytes& b) { return std::string(AsChars(b)); }

crypto::Ed25519PrivateKey KeyFromByte(uint8_t fill) {
  Bytes seed(32, fill);
  return crypto::Ed25519PrivateKey::FromSeed(seed).value();
}

TEST(PreAuthEncodingTest, SpecExample) {
  // DSSE protocol.md, "Test cases".
  EXPECT_EQ(Str(PreAuthEncoding("http://example.com/HelloWorld", AsBytes("hello world"))),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
}

TEST(PreAuthEncodingTest, EmptyTypeAndBody) {
  EXPECT_EQ(Str(PreAuthEncoding("", {})), "DSSEv1 0  0 ");
}

TEST(PreAuthEncodingTest, LengthsCountBytesNotCharacters) {
  Bytes body = {0x00, 0xff, 0x20};
  Bytes want = ToBytes("DSSEv1 2 \xc3\xa9 3 ");
  want.insert(want.end(), body.begin(), body.end());
  EXPECT_EQ(PreAuthEncoding("\xc3\xa9", body), want);
}

TEST(PreAuthEncodingTest, InTotoType) {
  EXPECT_EQ(Str(PreAuthEncoding(kInTotoPayloadType, AsBytes("{}"))),
            "DSSEv1 28 application/vnd.in-toto+json 2 {}");
}

TEST(KeyIdTest, SecuresystemslibConvention) {
  crypto::Ed25519PublicKey zero{};
  // sha256('{"keyid_hash_algorithms":["sha256","sha512"],"keytype":"ed25519",
  //   "keyval":{"public":"00...00"},"scheme":"ed25519"}'), computed with python's hashlib.
  EXPECT_EQ(Ed25519KeyId(zero), Sha256Hex(AsBytes(
      R"({"keyid_hash_algorithms":["sha256","sha512"],"keytype":"ed25519","keyval":{"public":")" +
      std::string(64, '0') + R"("},"scheme":"ed25519"})")));
}

class DsseTest : public ::testing::Test {
 protected:
  crypto::Ed25519PrivateKey vendor_ = KeyFromByte(1);
  crypto::Ed25519PrivateKey other_ = KeyFromByte(2);
  std::vector<TrustedKey> trusted_ = {TrustedKey::FromEd25519("vendor", vendor_.public_key())};

  Envelope Signed(std::string_view payload = R"({"a":1})") {
    return SignEnvelope(kInTotoPayloadType, AsBytes(payload), vendor_).value();
  }
  Result<VerifiedPayload> Reparse(const Envelope& env) {
    auto parsed = ParseEnvelope(SerializeEnvelope(env));
    if (!parsed.ok()) return parsed.error();
    return VerifyEnvelope(*parsed, trusted_);
  }
};

TEST_F(DsseTest, RoundTrip) {
  Envelope env = Signed();
  auto v = Reparse(env);
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ(Str(v->payload), R"({"a":1})");
  EXPECT_THAT(v->signed_by, ElementsAre("vendor"));
  EXPECT_EQ(env.signatures[0].keyid, Ed25519KeyId(vendor_.public_key()));
}

TEST_F(DsseTest, TamperedPayloadRefused) {
  Envelope env = Signed();
  env.payload.back() ^= 1;
  auto v = Reparse(env);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::kVerificationFailed);
  EXPECT_THAT(v.error().message(), HasSubstr("a keyid names a trusted key, but its signature"));
}

TEST_F(DsseTest, UnknownPayloadTypeRefused) {
  Envelope env = Signed();
  env.payload_type = "application/json";
  auto v = Reparse(env);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::kUnsupported);
  EXPECT_THAT(v.error().message(), HasSubstr(R"(payloadType "application/json" is not)"));
}

TEST_F(DsseTest, PayloadTypeIsSigned) {
  Envelope env = Signed();
  env.payload_type = "application/json";
  auto v = VerifyEnvelope(env, trusted_, "application/json");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::kVerificationFailed);
}

TEST_F(DsseTest, TamperedSignatureRefused) {
  Envelope env = Signed();
  env.signatures[0].sig[10] ^= 0x80;
  auto v = Reparse(env);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), ErrorCode::kVerificationFailed);
  EXPECT_THAT(v.error().message(), HasSubstr("none of its 1 signature(s) verifies"));
}

TEST_F(DsseTest, KeyIdIsNeverTrusted) {
  // An untrusted key claims the vendor's keyid: refused.
  Envelope forged = SignEnvelope(kInTotoPayloadType, AsBytes("x"), other_).value();
  forged.signatures[0].keyid = Ed25519KeyId(vendor_.public_key());
  EXPECT_EQ(Reparse(forged).error().code(), ErrorCode::kVerificationFailed);
  // The vendor's signature under a wrong or missing keyid still verifies.
  Envelope env = Signed();
  env.signatures[0].keyid = "nonsense";
  EXPECT_TRUE(Reparse(env).ok());
  env.signatures[0].keyid.clear();
  EXPECT_TRUE(Reparse(env).ok());
}

TEST_F(DsseTest, SignedByCountsDistinctKeysOnce) {
  Envelope env = Signed();
  ASSERT_TRUE(AddSignature(env, other_).ok());
  ASSERT_TRUE(AddSignature(env, vendor_).ok());  // the vendor twice
  trusted_.push_back(TrustedKey::FromEd25519("other", other_.public_key()));
  trusted_.push_back(TrustedKey::FromEd25519("vendor-again", vendor_.public_key()));
  auto v = Reparse(env);
  ASSERT_TRUE(v.ok());
  EXPECT_THAT(v->signed_by, ElementsAre("vendor", "other"));
  auto checks = CheckSignatures(env, trusted_);
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_EQ(checks[1].verified_by, "other");
}

TEST_F(DsseTest, UrlSafeUnpaddedBase64Accepted) {
  std::string payload = "\xfb\xff";  // "+/8=" in standard base64
  Envelope env = Signed(payload);
  std::string json = SerializeEnvelope(env);
  auto pos = json.find("+/8=");
  ASSERT_NE(pos, std::string::npos);
  json.replace(pos, 4, "-_8");
  auto parsed = ParseEnvelope(json);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(Str(parsed->payload), payload);
  EXPECT_TRUE(VerifyEnvelope(*parsed, trusted_).ok());
}

TEST(ParseEnvelopeTest, ErrorsNameThePath) {
  struct Case {
    std::string json;
    ErrorCode code;
    std::string message;
  };
  std::string ok_sig = R"({"keyid":"k","sig":"AAAA"})";
  std::vector<Case> cases = {
      {"[]", ErrorCode::kInvalidInput, "envelope: expected a JSON object"},
      {"{", ErrorCode::kInvalidInput, "envelope: not JSON"},
      {R"({"payloadType":"t","signatures":[)" + ok_sig + "]}", ErrorCode::kInvalidInput,
       "envelope: /payload: missing (required)"},
      {R"({"payload":"!!","payloadType":"t","signatures":[)" + ok_sig + "]}",
       ErrorCode::kInvalidInput, "envelope: /payload: not valid base64"},
      {R"({"payload":"","payloadType":"","signatures":[)" + ok_sig + "]}",
       ErrorCode::kInvalidInput, "envelope: /payloadType: empty"},
      {R"({"payload":"","payloadType":"t","signatures":[]})", ErrorCode::kInvalidInput,
       "envelope: /signatures: no signatures"},
      {R"({"payload":"","payloadType":"t","signatures":[{"sig":"A"}]})",
       ErrorCode::kInvalidInput, "envelope: /signatures/0/sig: not valid base64"},
      {R"({"payload":"","payloadType":"t","signatures":[{"keyid":7,"sig":"AAAA"}]})",
       ErrorCode::kInvalidInput, "envelope: /signatures/0/keyid: expected a string, got an integer"},
      {R"({"payload":"","payload":"","payloadType":"t","signatures":[]})",
       ErrorCode::kInvalidInput, R"(envelope: key "payload" appears twice in one object)"},
      {std::string(100, '[') + std::string(100, ']'), ErrorCode::kLimitExceeded,
       "envelope: nested deeper than 64 levels"},
      {R"({"payload":"","payloadType":"t","signatures":[{"sig":")" + std::string(1000, 'A') +
           R"("}]})",
       ErrorCode::kLimitExceeded, "envelope: /signatures/0/sig: 1000 base64 characters"},
  };
  for (const auto& c : cases) {
    auto env = ParseEnvelope(c.json);
    ASSERT_FALSE(env.ok()) << c.json;
    EXPECT_EQ(env.error().code(), c.code) << c.json;
    EXPECT_THAT(env.error().message(), HasSubstr(c.message)) << c.json;
  }
}

TEST(ParseEnvelopeTest, SizeCap) {
  std::string big = R"({"payload":")" + std::string(kMaxEnvelopeBytes, 'A') + "\"}";
  auto env = ParseEnvelope(big);
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_THAT(env.error().message(), HasSubstr("more than the limit of 16 MiB"));
}

TEST(ParseEnvelopeTest, SignatureCountCap) {
  std::string sigs;
  for (int i = 0; i < 65; ++i) sigs += std::string(i ? "," : "") + R"({"sig":"AAAA"})";
  auto env = ParseEnvelope(R"({"payload":"","payloadType":"t","signatures":[)" + sigs + "]}");
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_THAT(env.error().message(),
              HasSubstr("/signatures: 65 signatures, more than the limit of 64"));
  Envelope full;
  full.payload_type = "t";
  full.signatures.resize(kMaxEnvelopeSignatures);
  EXPECT_EQ(AddSignature(full, KeyFromByte(3)).error().code(), ErrorCode::kLimitExceeded);
}

// ECDSA P-256 (SHA-256, DER): what cosign and securesystemslib "ecdsa-sha2-nistp256" sign.
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

TEST(EcdsaTest, P256VerifiesAndRefusesTampering) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
  ASSERT_TRUE(key);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio, key.get()), 1);
  char* pem_data = nullptr;
  long pem_len = BIO_get_mem_data(bio, &pem_data);
  std::string pem(pem_data, static_cast<size_t>(pem_len));
  BIO_free(bio);
  auto trusted = TrustedKey::FromPem("ec", pem);
  ASSERT_TRUE(trusted.ok()) << trusted.error().ToString();
  EXPECT_EQ(trusted->algorithm(), TrustedKey::Algorithm::kEcdsaP256Sha256);
  EXPECT_EQ(trusted->keyid().size(), 64u);

  Envelope env{std::string(kInTotoPayloadType), ToBytes("{}"), {}};
  Bytes pae = PreAuthEncoding(env.payload_type, env.payload);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t sig_len = 0;
  ASSERT_EQ(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key.get()), 1);
  ASSERT_EQ(EVP_DigestSign(ctx, nullptr, &sig_len, pae.data(), pae.size()), 1);
  Bytes sig(sig_len);
  ASSERT_EQ(EVP_DigestSign(ctx, sig.data(), &sig_len, pae.data(), pae.size()), 1);
  sig.resize(sig_len);
  EVP_MD_CTX_free(ctx);
  env.signatures.push_back({"", sig});

  std::vector<TrustedKey> keys = {*trusted};
  auto parsed = ParseEnvelope(SerializeEnvelope(env));
  ASSERT_TRUE(parsed.ok());
  auto v = VerifyEnvelope(*parsed, keys);
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_THAT(v->signed_by, ElementsAre("ec"));

  env.payload = ToBytes("{ }");
  EXPECT_EQ(VerifyEnvelope(env, keys).error().code(), ErrorCode::kVerificationFailed);
}

TEST(TrustedKeyTest, ReadsNoteKeysAndRefusesOtherCurves) {
  auto note_key = crypto::GenerateNoteKey("vendor.example").value();
  auto from_signer = TrustedKey::FromKeyText(note_key.signer_key + "\n", "unused");
  auto from_verifier = TrustedKey::FromKeyText(note_key.verifier_key, "unused");
  ASSERT_TRUE(from_signer.ok() && from_verifier.ok());
  EXPECT_EQ(from_signer->name(), "vendor.example");
  EXPECT_EQ(from_signer->keyid(), from_verifier->keyid());

  std::unique_ptr<EVP_PKEY, PkeyFree> p384(EVP_EC_gen("P-384"));
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio, p384.get()), 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  auto refused = TrustedKey::FromKeyText(std::string(data, static_cast<size_t>(len)), "p384.pem");
  BIO_free(bio);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnsupported);
  EXPECT_THAT(refused.error().message(), HasSubstr("p384.pem: only Ed25519 and ECDSA P-256"));
  EXPECT_EQ(TrustedKey::FromKeyText("garbage", "x").error().code(), ErrorCode::kInvalidInput);
}

}  // namespace
}  // namespace clearbox::release
