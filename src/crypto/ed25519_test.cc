#include "clearbox/crypto/ed25519.h"

#include <gtest/gtest.h>

#include "clearbox/core/encoding.h"

namespace clearbox::crypto {
namespace {

Bytes Hex(std::string_view h) { return HexDecode(h).value(); }

// RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one byte).
TEST(Ed25519, Rfc8032Vectors) {
  struct Case {
    const char *seed, *pub, *msg, *sig;
  } cases[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
       "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
       "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
  };
  for (const Case& c : cases) {
    auto key = Ed25519PrivateKey::FromSeed(Hex(c.seed));
    ASSERT_TRUE(key.ok()) << key.error().ToString();
    EXPECT_EQ(HexEncode(key->public_key()), c.pub);
    auto sig = key->Sign(Hex(c.msg));
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(HexEncode(*sig), c.sig);
    EXPECT_TRUE(Ed25519Verify(key->public_key(), Hex(c.msg), *sig));
  }
}

TEST(Ed25519, RejectsTamperedMessageSignatureAndKey) {
  auto key = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  auto other = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_NE(key->public_key(), other->public_key());
  Bytes msg = ToBytes("release 1.2.3");
  auto sig = key->Sign(msg).value();
  EXPECT_TRUE(Ed25519Verify(key->public_key(), msg, sig));
  Bytes tampered = msg;
  tampered[0] ^= 1;
  EXPECT_FALSE(Ed25519Verify(key->public_key(), tampered, sig));
  auto bad_sig = sig;
  bad_sig[10] ^= 0x40;
  EXPECT_FALSE(Ed25519Verify(key->public_key(), msg, bad_sig));
  EXPECT_FALSE(Ed25519Verify(other->public_key(), msg, sig));
  EXPECT_FALSE(Ed25519Verify(key->public_key(), msg, ByteView(sig).first(63)));
}

TEST(Ed25519, FromSeedRejectsWrongLength) {
  Bytes seed(31, 7);
  auto key = Ed25519PrivateKey::FromSeed(seed);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code(), ErrorCode::kInvalidInput);
}

TEST(Ed25519, SameSeedSameKeyAndSignature) {
  Bytes seed(32, 0x42);
  auto a = Ed25519PrivateKey::FromSeed(seed).value();
  auto b = Ed25519PrivateKey::FromSeed(seed).value();
  EXPECT_EQ(a.public_key(), b.public_key());
  EXPECT_EQ(a.Sign(ToBytes("x")).value(), b.Sign(ToBytes("x")).value());
  EXPECT_EQ(Bytes(a.seed().begin(), a.seed().end()), seed);
}

}  // namespace
}  // namespace clearbox::crypto
