// Ed25519 (RFC 8032) keys, signatures and verification, via OpenSSL's EVP interface.
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto key, Ed25519PrivateKey::Generate());
//   CLEARBOX_ASSIGN_OR_RETURN(Ed25519Signature sig, key.Sign(AsBytes("hello")));
//   bool ok = Ed25519Verify(key.public_key(), AsBytes("hello"), sig);
//
// Ed25519 is deterministic: the same seed and message always give the same signature, which
// is what lets tests reproduce published signatures byte for byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"

namespace clearbox::crypto {

inline constexpr size_t kEd25519SeedSize = 32;
inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

using Ed25519Seed = std::array<uint8_t, kEd25519SeedSize>;
using Ed25519PublicKey = std::array<uint8_t, kEd25519PublicKeySize>;
using Ed25519Signature = std::array<uint8_t, kEd25519SignatureSize>;

// An Ed25519 private key (its 32-byte seed) with the derived public key.
// Copyable; the seed is wiped from memory when the last copy goes away.
// Thread-safe: Sign() may be called from several threads at once.
class Ed25519PrivateKey {
 public:
  // A fresh key from the OpenSSL CSPRNG. Errors: kInternal if OpenSSL fails.
  static Result<Ed25519PrivateKey> Generate();
  // The key for a given seed (RFC 8032 "private key"). Errors: kInvalidInput if the seed is
  // not 32 bytes, kInternal if OpenSSL fails.
  static Result<Ed25519PrivateKey> FromSeed(ByteView seed);

  const Ed25519PublicKey& public_key() const;
  // The secret seed. Handle with care: only key files need it.
  const Ed25519Seed& seed() const;

  // Signs `message` (pure Ed25519, no prehash). Errors: kInternal if OpenSSL fails.
  Result<Ed25519Signature> Sign(ByteView message) const;

 private:
  struct State;
  explicit Ed25519PrivateKey(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

// True if `signature` is a valid Ed25519 signature of `message` under `public_key`.
// A signature of the wrong length, or a public key that is not a valid curve point, is
// simply invalid (false). Thread-safe.
bool Ed25519Verify(const Ed25519PublicKey& public_key, ByteView message, ByteView signature);

}  // namespace clearbox::crypto
