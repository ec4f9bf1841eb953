// DSSE envelopes (github.com/secure-systems-lab/dsse, envelope.md and protocol.md): a payload
// and its type, signed over the pre-authentication encoding
//
//   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
//
// (LEN: ASCII decimal byte count). clearbox signs with Ed25519 and verifies Ed25519 and ECDSA
// P-256 (SHA-256, DER signature). The keyid in a signature is an unauthenticated hint: it is
// never used to decide trust; every signature is tried against every trusted key.
//
//   CLEARBOX_ASSIGN_OR_RETURN(Envelope env, SignEnvelope(kInTotoPayloadType, payload, key));
//   std::string json = SerializeEnvelope(env);
//   ...
//   CLEARBOX_ASSIGN_OR_RETURN(Envelope parsed, ParseEnvelope(json));
//   CLEARBOX_ASSIGN_OR_RETURN(VerifiedPayload v, VerifyEnvelope(parsed, trusted_keys));
//   Use(v.payload);  // only now is the payload trustworthy; v.signed_by names the signers
//
// Thread-safety: free functions are pure; TrustedKey is immutable and safe to share.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/crypto/ed25519.h"

namespace clearbox::release {

// The payload type of in-toto statements, the only one VerifyEnvelope accepts by default.
inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";

// Limits for untrusted envelopes (docs/statements.md).
inline constexpr size_t kMaxEnvelopeBytes = size_t{16} << 20;
inline constexpr size_t kMaxEnvelopeSignatures = 64;
inline constexpr size_t kMaxSignatureBytes = 512;   // Ed25519: 64, P-256 DER: at most 72
inline constexpr size_t kMaxKeyIdBytes = 256;
inline constexpr size_t kMaxPayloadTypeBytes = 256;
inline constexpr int kMaxJsonDepth = 64;

// The bytes that are signed: PAE(payload_type, payload).
Bytes PreAuthEncoding(std::string_view payload_type, ByteView payload);

struct EnvelopeSignature {
  std::string keyid;  // hint only; "" when the envelope has none
  Bytes sig;          // decoded
};

struct Envelope {
  std::string payload_type;
  Bytes payload;  // decoded
  std::vector<EnvelopeSignature> signatures;
};

// Parses the JSON envelope {"payload", "payloadType", "signatures": [{"keyid", "sig"}]}.
// Checks structure only, not signatures. Base64 is accepted in the standard or URL-safe
// alphabet, padded or not (envelope.md allows both); anything else is refused.
// Errors: kLimitExceeded (more than kMaxEnvelopeBytes, kMaxEnvelopeSignatures, a signature
// or keyid too long, nesting deeper than kMaxJsonDepth); kInvalidInput (not JSON, a key
// repeated in an object, a missing or mistyped field, bad base64, no signatures), each
// naming the JSON path: "envelope: /signatures/1/sig: not valid base64".
Result<Envelope> ParseEnvelope(std::string_view json);

// The JSON envelope, standard base64 with padding, keys in sorted order, one line.
std::string SerializeEnvelope(const Envelope& envelope);

// The keyid clearbox writes for an Ed25519 key: securesystemslib's convention, the hex
// SHA-256 of the canonical JSON
//   {"keyid_hash_algorithms":["sha256","sha512"],"keytype":"ed25519",
//    "keyval":{"public":"<hex public key>"},"scheme":"ed25519"}
// so that TUF/in-toto tools show the same id.
std::string Ed25519KeyId(const crypto::Ed25519PublicKey& public_key);

// A signed envelope with one Ed25519 signature. Errors: kInvalidInput (payload type empty
// or longer than kMaxPayloadTypeBytes), kInternal (OpenSSL).
Result<Envelope> SignEnvelope(std::string_view payload_type, ByteView payload,
                              const crypto::Ed25519PrivateKey& key);
// Adds one more Ed25519 signature over the same payload. Errors: as SignEnvelope, and
// kLimitExceeded at kMaxEnvelopeSignatures.
Status AddSignature(Envelope& envelope, const crypto::Ed25519PrivateKey& key);

// A public key the caller trusts, with a name to report.
class TrustedKey {
 public:
  enum class Algorithm { kEd25519, kEcdsaP256Sha256 };

  static TrustedKey FromEd25519(std::string name, const crypto::Ed25519PublicKey& key);
  // A PEM "PUBLIC KEY" (SubjectPublicKeyInfo) of an Ed25519 or a P-256 key.
  // Errors: kInvalidInput (not such a PEM), kUnsupported (another algorithm or curve).
  static Result<TrustedKey> FromPem(std::string name, std::string_view pem);
  // A key file's text: a C2SP verifier key (`clearbox key public`), a C2SP signer key
  // (`clearbox key generate`; its public half is used) or a PEM public key. Note keys carry
  // their own name; a PEM key gets `pem_name`. Errors: as FromPem or the note key parsers.
  static Result<TrustedKey> FromKeyText(std::string_view text, std::string pem_name);

  const std::string& name() const { return name_; }
  Algorithm algorithm() const { return algorithm_; }
  // The keyid this key signs under (securesystemslib's convention; for P-256 the
  // "ecdsa-sha2-nistp256" key dict with the PEM). Used for display and de-duplication only.
  const std::string& keyid() const { return keyid_; }
  // True if `signature` over `message` verifies. Malformed input is simply false.
  bool Verify(ByteView message, ByteView signature) const;

 private:
  TrustedKey(std::string name, Algorithm algorithm, Bytes spki_der, std::string keyid)
      : name_(std::move(name)), algorithm_(algorithm), spki_der_(std::move(spki_der)),
        keyid_(std::move(keyid)) {}
  std::string name_;
  Algorithm algorithm_;
  Bytes spki_der_;  // SubjectPublicKeyInfo, for OpenSSL
  std::string keyid_;
};

// What happened to each signature of an envelope (for `release show`).
struct SignatureCheck {
  std::string keyid;                        // as the envelope states it (unauthenticated)
  std::optional<std::string> verified_by;   // the trusted key's name, if one verified it
};
std::vector<SignatureCheck> CheckSignatures(const Envelope& envelope,
                                            std::span<const TrustedKey> trusted);

struct VerifiedPayload {
  std::string payload_type;
  Bytes payload;
  // Names of the distinct trusted keys with a valid signature, in trusted-list order. A key
  // that signs twice, or is listed twice under two names, counts once (for thresholds).
  std::vector<std::string> signed_by;
};

// Verifies `envelope` against `trusted`. Errors: kUnsupported (payloadType is not
// `expected_payload_type`), kVerificationFailed (no signature verifies with a trusted key;
// the message says how many signatures were tried and whether any keyid named a trusted key).
Result<VerifiedPayload> VerifyEnvelope(const Envelope& envelope, std::span<const TrustedKey> trusted,
                                       std::string_view expected_payload_type = kInTotoPayloadType);

}  // namespace clearbox::release
