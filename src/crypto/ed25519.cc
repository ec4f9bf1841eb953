#include "clearbox/crypto/ed25519.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <string>

namespace clearbox::crypto {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

}  // namespace

struct Ed25519PrivateKey::State {
  Ed25519Seed seed{};
  Ed25519PublicKey public_key{};
  PkeyPtr pkey;
  ~State() { OPENSSL_cleanse(seed.data(), seed.size()); }
};

Result<Ed25519PrivateKey> Ed25519PrivateKey::Generate() {
  Ed25519Seed seed;
  if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1) {
    return Error::Internal("ed25519: the OpenSSL random generator failed");
  }
  auto key = FromSeed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return key;
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::FromSeed(ByteView seed) {
  if (seed.size() != kEd25519SeedSize) {
    return Error::InvalidInput("ed25519: seed is " + std::to_string(seed.size()) +
                               " bytes, want 32");
  }
  auto state = std::make_shared<State>();
  std::copy(seed.begin(), seed.end(), state->seed.begin());
  state->pkey.reset(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  size_t len = kEd25519PublicKeySize;
  if (!state->pkey ||
      EVP_PKEY_get_raw_public_key(state->pkey.get(), state->public_key.data(), &len) != 1 ||
      len != kEd25519PublicKeySize) {
    return Error::Internal("ed25519: OpenSSL could not load the private key");
  }
  return Ed25519PrivateKey(std::move(state));
}

const Ed25519PublicKey& Ed25519PrivateKey::public_key() const { return state_->public_key; }
const Ed25519Seed& Ed25519PrivateKey::seed() const { return state_->seed; }

Result<Ed25519Signature> Ed25519PrivateKey::Sign(ByteView message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  Ed25519Signature sig;
  size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, state_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1 ||
      len != sig.size()) {
    return Error::Internal("ed25519: OpenSSL signing failed");
  }
  return sig;
}

bool Ed25519Verify(const Ed25519PublicKey& public_key, ByteView message, ByteView signature) {
  if (signature.size() != kEd25519SignatureSize) return false;
  PkeyPtr pkey(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  if (!pkey) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                          message.size()) == 1;
}

}  // namespace clearbox::crypto
