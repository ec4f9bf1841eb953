// C2SP tlog-cosignature (c2sp.org/tlog-cosignature), Ed25519 type 0x04: a witness's
// timestamped statement that a checkpoint is the largest consistent tree it has seen.
//
//   signature line   — <name> base64(key id[4] || timestamp u64 big-endian || Ed25519 sig[64])
//   key id           SHA-256(<name> || "\n" || 0x04 || 32-byte public key)[:4]
//   signed message   "cosignature/v1\ntime <timestamp>\n" || checkpoint note text
//
// Cosigners plug into the signed-note code as NoteSigner / NoteVerifier:
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto w, CosignatureV1Signer::FromSignerKey(witness_skey));
//   CLEARBOX_ASSIGN_OR_RETURN(crypto::NoteSignature sig, crypto::SignNoteText(body, *w));
//   response += sig.Line();
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/crypto/ed25519.h"
#include "clearbox/crypto/note.h"

namespace clearbox::tlog {

// "cosignature/v1\ntime <timestamp>\n" + checkpoint_text.
std::string CosignatureV1Message(std::string_view checkpoint_text, uint64_t timestamp);

// The decoded signature bytes of a type-0x04 cosignature (after the key id).
struct CosignatureV1 {
  uint64_t timestamp = 0;  // POSIX seconds, <= 2^63 - 1
  crypto::Ed25519Signature signature{};
};
// Errors: kInvalidInput unless exactly 72 bytes with a timestamp <= 2^63 - 1.
Result<CosignatureV1> DecodeCosignatureV1(ByteView signature);
Bytes EncodeCosignatureV1(const CosignatureV1& cosignature);

// Verifies Ed25519 cosignatures of one cosigner. Immutable, thread-safe.
class CosignatureV1Verifier : public crypto::NoteVerifier {
 public:
  // From a type-0x04 vkey. Errors: kInvalidInput (malformed, bad key id, key length),
  // kUnsupported (another type).
  static Result<std::unique_ptr<CosignatureV1Verifier>> FromVerifierKey(std::string_view vkey);
  // Errors: kInvalidInput (bad name).
  static Result<std::unique_ptr<CosignatureV1Verifier>> Create(std::string name,
                                                               const crypto::Ed25519PublicKey& key);

  const std::string& name() const override { return name_; }
  uint32_t key_id() const override { return key_id_; }
  // `text` is the checkpoint note text; `signature` the 72 bytes after the key id.
  bool Verify(ByteView text, ByteView signature) const override;
  std::string VerifierKeyText() const;

 private:
  CosignatureV1Verifier(std::string name, const crypto::Ed25519PublicKey& key);
  std::string name_;
  crypto::Ed25519PublicKey key_;
  uint32_t key_id_;
};

// Produces Ed25519 cosignatures. Thread-safe.
class CosignatureV1Signer : public crypto::NoteSigner {
 public:
  // Seconds since the epoch; the default reads the system clock.
  using Clock = std::function<uint64_t()>;

  // From a signer key of type 0x04 or 0x01 (an Ed25519 note key reused as a cosigner key;
  // its key id is recomputed for type 0x04). Errors: ParseSignerKey's; kUnsupported for
  // other types.
  static Result<std::unique_ptr<CosignatureV1Signer>> FromSignerKey(std::string_view skey,
                                                                    Clock clock = {});
  // Errors: kInvalidInput (bad name).
  static Result<std::unique_ptr<CosignatureV1Signer>> Create(std::string name,
                                                             crypto::Ed25519PrivateKey key,
                                                             Clock clock = {});

  const std::string& name() const override { return name_; }
  uint32_t key_id() const override { return key_id_; }
  // Cosigns `text` (a checkpoint note text) at the clock's current time.
  Result<Bytes> Sign(ByteView text) const override;
  // Cosigns at a given time. Errors: kInvalidInput if timestamp > 2^63 - 1; kInternal.
  Result<Bytes> SignAt(ByteView text, uint64_t timestamp) const;
  const crypto::Ed25519PublicKey& public_key() const { return key_.public_key(); }
  // The type-0x04 vkey, and the type-0x04 skey (secret).
  std::string VerifierKeyText() const;
  std::string SignerKeyText() const;

 private:
  CosignatureV1Signer(std::string name, crypto::Ed25519PrivateKey key, Clock clock);
  std::string name_;
  crypto::Ed25519PrivateKey key_;
  uint32_t key_id_;
  Clock clock_;
};

// A verifier for any vkey type clearbox knows: Ed25519 note keys (0x01) and Ed25519
// cosignature keys (0x04). Errors: kInvalidInput (malformed), kUnsupported (other types).
Result<std::unique_ptr<crypto::NoteVerifier>> NewNoteVerifier(std::string_view vkey);

// A cosignature that verified, with its timestamp.
struct VerifiedCosignature {
  std::string name;
  uint32_t key_id = 0;
  uint64_t timestamp = 0;
};
// The cosignatures on a signed checkpoint that verify under `cosigners`, in note order, one
// per cosigner. Signatures by other keys are ignored; none verifying is not an error (the
// caller counts its quorum). Errors: ParseNote's; kVerificationFailed "invalid cosignature
// by <name>+<hex8>" when a known cosigner's signature does not verify.
Result<std::vector<VerifiedCosignature>> VerifyCosignatures(
    std::string_view signed_checkpoint, std::span<const CosignatureV1Verifier* const> cosigners);

}  // namespace clearbox::tlog
