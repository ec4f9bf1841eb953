#include "clearbox/tlog/cosignature.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "crypto/internal/text.h"

namespace clearbox::tlog {
namespace {

constexpr uint64_t kMaxTimestamp = (uint64_t(1) << 63) - 1;
constexpr size_t kCosignatureV1Size = 8 + crypto::kEd25519SignatureSize;

uint64_t SystemClock() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

std::string Hex8(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

}  // namespace

std::string CosignatureV1Message(std::string_view checkpoint_text, uint64_t timestamp) {
  std::string msg = "cosignature/v1\ntime " + std::to_string(timestamp) + "\n";
  msg += checkpoint_text;
  return msg;
}

Result<CosignatureV1> DecodeCosignatureV1(ByteView signature) {
  if (signature.size() != kCosignatureV1Size) {
    return Error::InvalidInput("cosignature: " + std::to_string(signature.size()) +
                               " bytes after the key id, want 72 (timestamp and Ed25519)");
  }
  CosignatureV1 out;
  out.timestamp = LoadBE64(signature.data());
  if (out.timestamp > kMaxTimestamp) {
    return Error::InvalidInput("cosignature: timestamp exceeds 2^63 - 1");
  }
  std::copy_n(signature.data() + 8, crypto::kEd25519SignatureSize, out.signature.begin());
  return out;
}

Bytes EncodeCosignatureV1(const CosignatureV1& cosignature) {
  Bytes out(kCosignatureV1Size);
  StoreBE64(out.data(), cosignature.timestamp);
  std::copy(cosignature.signature.begin(), cosignature.signature.end(), out.begin() + 8);
  return out;
}

// --- verifier ---

CosignatureV1Verifier::CosignatureV1Verifier(std::string name, const crypto::Ed25519PublicKey& key)
    : name_(std::move(name)),
      key_(key),
      key_id_(crypto::NoteKeyId(name_, crypto::kNoteTypeCosignatureV1, key_)) {}

Result<std::unique_ptr<CosignatureV1Verifier>> CosignatureV1Verifier::FromVerifierKey(
    std::string_view vkey) {
  CLEARBOX_ASSIGN_OR_RETURN(crypto::VerifierKey k, crypto::ParseVerifierKey(vkey));
  if (k.type != crypto::kNoteTypeCosignatureV1) {
    return Error::Unsupported("verifier key " + k.name +
                              ": not an Ed25519 cosignature key (type 0x04)");
  }
  if (k.public_key.size() != crypto::kEd25519PublicKeySize) {
    return Error::InvalidInput("verifier key " + k.name + ": Ed25519 key is " +
                               std::to_string(k.public_key.size()) + " bytes, want 32");
  }
  crypto::Ed25519PublicKey pub;
  std::copy(k.public_key.begin(), k.public_key.end(), pub.begin());
  return std::unique_ptr<CosignatureV1Verifier>(new CosignatureV1Verifier(std::move(k.name), pub));
}

Result<std::unique_ptr<CosignatureV1Verifier>> CosignatureV1Verifier::Create(
    std::string name, const crypto::Ed25519PublicKey& key) {
  if (!crypto::IsValidKeyName(name)) {
    return Error::InvalidInput("invalid cosigner name " + crypto::internal::Quote(name));
  }
  return std::unique_ptr<CosignatureV1Verifier>(new CosignatureV1Verifier(std::move(name), key));
}

bool CosignatureV1Verifier::Verify(ByteView text, ByteView signature) const {
  auto cosig = DecodeCosignatureV1(signature);
  if (!cosig.ok()) return false;
  std::string msg = CosignatureV1Message(AsChars(text), cosig->timestamp);
  return crypto::Ed25519Verify(key_, AsBytes(msg), cosig->signature);
}

std::string CosignatureV1Verifier::VerifierKeyText() const {
  return crypto::FormatVerifierKey(name_, crypto::kNoteTypeCosignatureV1, key_);
}

// --- signer ---

CosignatureV1Signer::CosignatureV1Signer(std::string name, crypto::Ed25519PrivateKey key,
                                         Clock clock)
    : name_(std::move(name)),
      key_(std::move(key)),
      key_id_(crypto::NoteKeyId(name_, crypto::kNoteTypeCosignatureV1, key_.public_key())),
      clock_(clock ? std::move(clock) : Clock(SystemClock)) {}

Result<std::unique_ptr<CosignatureV1Signer>> CosignatureV1Signer::FromSignerKey(
    std::string_view skey, Clock clock) {
  CLEARBOX_ASSIGN_OR_RETURN(crypto::SignerKey k, crypto::ParseSignerKey(skey));
  if (k.type != crypto::kNoteTypeCosignatureV1 && k.type != crypto::kNoteTypeEd25519) {
    return Error::Unsupported("signer key " + k.name + ": not an Ed25519 key (type 0x01 or 0x04)");
  }
  CLEARBOX_ASSIGN_OR_RETURN(auto priv, crypto::Ed25519PrivateKey::FromSeed(k.secret));
  return Create(k.name, std::move(priv), std::move(clock));
}

Result<std::unique_ptr<CosignatureV1Signer>> CosignatureV1Signer::Create(
    std::string name, crypto::Ed25519PrivateKey key, Clock clock) {
  if (!crypto::IsValidKeyName(name)) {
    return Error::InvalidInput("invalid cosigner name " + crypto::internal::Quote(name));
  }
  return std::unique_ptr<CosignatureV1Signer>(
      new CosignatureV1Signer(std::move(name), std::move(key), std::move(clock)));
}

Result<Bytes> CosignatureV1Signer::Sign(ByteView text) const { return SignAt(text, clock_()); }

Result<Bytes> CosignatureV1Signer::SignAt(ByteView text, uint64_t timestamp) const {
  if (timestamp > kMaxTimestamp) {
    return Error::InvalidInput("cosignature timestamp exceeds 2^63 - 1");
  }
  std::string msg = CosignatureV1Message(AsChars(text), timestamp);
  CLEARBOX_ASSIGN_OR_RETURN(crypto::Ed25519Signature sig, key_.Sign(AsBytes(msg)));
  return EncodeCosignatureV1({timestamp, sig});
}

std::string CosignatureV1Signer::VerifierKeyText() const {
  return crypto::FormatVerifierKey(name_, crypto::kNoteTypeCosignatureV1, key_.public_key());
}

std::string CosignatureV1Signer::SignerKeyText() const {
  return crypto::FormatSignerKey(name_, key_id_, crypto::kNoteTypeCosignatureV1, key_.seed());
}

Result<std::unique_ptr<crypto::NoteVerifier>> NewNoteVerifier(std::string_view vkey) {
  CLEARBOX_ASSIGN_OR_RETURN(crypto::VerifierKey k, crypto::ParseVerifierKey(vkey));
  if (k.type == crypto::kNoteTypeEd25519) {
    CLEARBOX_ASSIGN_OR_RETURN(auto v, crypto::Ed25519NoteVerifier::FromVerifierKey(vkey));
    return std::unique_ptr<crypto::NoteVerifier>(std::move(v));
  }
  if (k.type == crypto::kNoteTypeCosignatureV1) {
    CLEARBOX_ASSIGN_OR_RETURN(auto v, CosignatureV1Verifier::FromVerifierKey(vkey));
    return std::unique_ptr<crypto::NoteVerifier>(std::move(v));
  }
  char type[8];
  std::snprintf(type, sizeof type, "0x%02x", k.type);
  return Error::Unsupported("verifier key " + k.name + ": signature type " + type +
                            " is not supported (Ed25519 0x01 and cosignature 0x04 are)");
}

Result<std::vector<VerifiedCosignature>> VerifyCosignatures(
    std::string_view signed_checkpoint, std::span<const CosignatureV1Verifier* const> cosigners) {
  CLEARBOX_ASSIGN_OR_RETURN(crypto::Note note, crypto::ParseNote(signed_checkpoint));
  std::vector<VerifiedCosignature> out;
  for (const auto& sig : note.signatures) {
    auto it = std::find_if(cosigners.begin(), cosigners.end(), [&](const auto* c) {
      return c->name() == sig.name && c->key_id() == sig.key_id;
    });
    if (it == cosigners.end()) continue;
    if (!(*it)->Verify(AsBytes(note.text), sig.signature)) {
      return Error::VerificationFailed("invalid cosignature by " + sig.name + "+" +
                                       Hex8(sig.key_id));
    }
    bool seen = std::any_of(out.begin(), out.end(), [&](const VerifiedCosignature& v) {
      return v.name == sig.name && v.key_id == sig.key_id;
    });
    if (!seen) {
      auto decoded = DecodeCosignatureV1(sig.signature);  // valid: it verified
      out.push_back({sig.name, sig.key_id, decoded->timestamp});
    }
  }
  return out;
}

}  // namespace clearbox::tlog
