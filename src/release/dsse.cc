#include "clearbox/release/dsse.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <set>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/crypto/note.h"
#include "strict_json.h"

namespace clearbox::release {
namespace {

using internal::FieldReader;
using internal::Json;
using internal::Pointer;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// envelope.md allows the standard or the URL-safe alphabet, with or without padding.
// Normalise to standard padded form, then decode strictly (core's decoder refuses the rest).
std::optional<Bytes> DecodeDsseBase64(std::string_view text) {
  std::string normal(text);
  for (char& c : normal) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
  }
  if (normal.size() % 4 == 1) return std::nullopt;
  if (normal.size() % 4 != 0 && normal.find('=') == std::string::npos) {
    normal.append(4 - normal.size() % 4, '=');
  }
  return Base64Decode(normal);
}

std::string Sha256HexOf(std::string_view text) { return Sha256Hex(AsBytes(text)); }

// securesystemslib's keyid: SHA-256 of the canonical JSON of the public key dict. Canonical
// JSON escapes only '"' and '\\', which neither a hex key nor a PEM block contains.
std::string SslibKeyId(std::string_view keytype, std::string_view scheme, std::string_view pub) {
  return Sha256HexOf(std::string(R"({"keyid_hash_algorithms":["sha256","sha512"],"keytype":")") +
                     std::string(keytype) + R"(","keyval":{"public":")" + std::string(pub) +
                     R"("},"scheme":")" + std::string(scheme) + R"("})");
}

Bytes SpkiDer(EVP_PKEY* pkey) {
  int len = i2d_PUBKEY(pkey, nullptr);
  if (len <= 0) return {};
  Bytes der(static_cast<size_t>(len));
  uint8_t* out = der.data();
  if (i2d_PUBKEY(pkey, &out) != len) return {};
  return der;
}

std::string PemOf(EVP_PKEY* pkey) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey) != 1) return {};
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

Result<EnvelopeSignature> ParseSignature(const Json& entry, const std::string& path) {
  if (!entry.is_object()) return Error::InvalidInput("envelope: " + path + ": expected an object");
  FieldReader fields(entry, "envelope", path);
  EnvelopeSignature sig;
  if (fields.Has("keyid")) {  // optional, unauthenticated
    CLEARBOX_ASSIGN_OR_RETURN(const Json* keyid, fields.Member("keyid", Json::value_t::string));
    sig.keyid = keyid->get<std::string>();
    if (sig.keyid.size() > kMaxKeyIdBytes) {
      return Error::LimitExceeded("envelope: " + Pointer(path, "keyid") + ": " +
                                  std::to_string(sig.keyid.size()) + " bytes, more than " +
                                  std::to_string(kMaxKeyIdBytes));
    }
  }
  CLEARBOX_ASSIGN_OR_RETURN(const Json* b64, fields.Member("sig", Json::value_t::string));
  const auto& text = b64->get_ref<const std::string&>();
  if (text.size() > (kMaxSignatureBytes + 2) / 3 * 4) {
    return Error::LimitExceeded("envelope: " + Pointer(path, "sig") + ": " +
                                std::to_string(text.size()) +
                                " base64 characters; no supported signature is longer than " +
                                std::to_string(kMaxSignatureBytes) + " bytes");
  }
  auto decoded = DecodeDsseBase64(text);
  if (!decoded) return fields.Invalid("sig", "not valid base64");
  if (decoded->empty()) return fields.Invalid("sig", "empty signature");
  sig.sig = std::move(*decoded);
  return sig;
}

}  // namespace

Bytes PreAuthEncoding(std::string_view payload_type, ByteView payload) {
  std::string head = "DSSEv1 " + std::to_string(payload_type.size()) + " " +
                     std::string(payload_type) + " " + std::to_string(payload.size()) + " ";
  Bytes pae(head.begin(), head.end());
  pae.insert(pae.end(), payload.begin(), payload.end());
  return pae;
}

Result<Envelope> ParseEnvelope(std::string_view json) {
  if (json.size() > kMaxEnvelopeBytes) {
    return Error::LimitExceeded("envelope: " + std::to_string(json.size()) +
                                " bytes, more than the limit of " +
                                std::to_string(kMaxEnvelopeBytes >> 20) + " MiB");
  }
  CLEARBOX_ASSIGN_OR_RETURN(Json doc, internal::ParseStrictJson(json, "envelope"));
  if (!doc.is_object()) return Error::InvalidInput("envelope: expected a JSON object");
  FieldReader fields(doc, "envelope", "");
  Envelope env;
  CLEARBOX_ASSIGN_OR_RETURN(env.payload_type, fields.String("payloadType", kMaxPayloadTypeBytes));
  CLEARBOX_ASSIGN_OR_RETURN(const Json* payload, fields.Member("payload", Json::value_t::string));
  auto decoded = DecodeDsseBase64(payload->get_ref<const std::string&>());
  if (!decoded) return fields.Invalid("payload", "not valid base64");
  env.payload = std::move(*decoded);
  CLEARBOX_ASSIGN_OR_RETURN(const Json* sigs, fields.Member("signatures", Json::value_t::array));
  if (sigs->empty()) return fields.Invalid("signatures", "no signatures");
  if (sigs->size() > kMaxEnvelopeSignatures) {
    return Error::LimitExceeded("envelope: /signatures: " + std::to_string(sigs->size()) +
                                " signatures, more than the limit of " +
                                std::to_string(kMaxEnvelopeSignatures));
  }
  for (size_t i = 0; i < sigs->size(); ++i) {
    CLEARBOX_ASSIGN_OR_RETURN(EnvelopeSignature sig,
                              ParseSignature((*sigs)[i], Pointer("/signatures", i)));
    env.signatures.push_back(std::move(sig));
  }
  return env;
}

std::string SerializeEnvelope(const Envelope& envelope) {
  Json sigs = Json::array();
  for (const auto& s : envelope.signatures) {
    sigs.push_back({{"keyid", s.keyid}, {"sig", Base64Encode(s.sig)}});
  }
  Json doc = {{"payload", Base64Encode(envelope.payload)},
              {"payloadType", envelope.payload_type},
              {"signatures", std::move(sigs)}};
  return doc.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace) + "\n";
}

std::string Ed25519KeyId(const crypto::Ed25519PublicKey& public_key) {
  return SslibKeyId("ed25519", "ed25519", HexEncode(public_key));
}

Result<Envelope> SignEnvelope(std::string_view payload_type, ByteView payload,
                              const crypto::Ed25519PrivateKey& key) {
  Envelope env;
  env.payload_type = std::string(payload_type);
  env.payload.assign(payload.begin(), payload.end());
  CLEARBOX_RETURN_IF_ERROR(AddSignature(env, key));
  return env;
}

Status AddSignature(Envelope& envelope, const crypto::Ed25519PrivateKey& key) {
  if (envelope.payload_type.empty() || envelope.payload_type.size() > kMaxPayloadTypeBytes) {
    return Error::InvalidInput("dsse: the payload type must be 1 to " +
                               std::to_string(kMaxPayloadTypeBytes) + " bytes");
  }
  if (envelope.signatures.size() >= kMaxEnvelopeSignatures) {
    return Error::LimitExceeded("dsse: an envelope holds at most " +
                                std::to_string(kMaxEnvelopeSignatures) + " signatures");
  }
  CLEARBOX_ASSIGN_OR_RETURN(crypto::Ed25519Signature sig,
                            key.Sign(PreAuthEncoding(envelope.payload_type, envelope.payload)));
  envelope.signatures.push_back({Ed25519KeyId(key.public_key()), Bytes(sig.begin(), sig.end())});
  return Status::Ok();
}

TrustedKey TrustedKey::FromEd25519(std::string name, const crypto::Ed25519PublicKey& key) {
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
  return TrustedKey(std::move(name), Algorithm::kEd25519, pkey ? SpkiDer(pkey.get()) : Bytes(),
                    Ed25519KeyId(key));
}

Result<TrustedKey> TrustedKey::FromPem(std::string name, std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr pkey(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey) return Error::InvalidInput(name + ": not a PEM public key (BEGIN PUBLIC KEY)");
  if (EVP_PKEY_get_base_id(pkey.get()) == EVP_PKEY_ED25519) {
    crypto::Ed25519PublicKey raw;
    size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(pkey.get(), raw.data(), &len) != 1 || len != raw.size()) {
      return Error::InvalidInput(name + ": unreadable Ed25519 public key");
    }
    return FromEd25519(std::move(name), raw);
  }
  char group[64] = {};
  size_t group_len = 0;
  if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_EC ||
      EVP_PKEY_get_group_name(pkey.get(), group, sizeof group, &group_len) != 1 ||
      std::string_view(group, group_len) != "prime256v1") {
    return Error::Unsupported(name + ": only Ed25519 and ECDSA P-256 public keys are supported");
  }
  Bytes der = SpkiDer(pkey.get());
  std::string keyid = SslibKeyId("ecdsa", "ecdsa-sha2-nistp256", PemOf(pkey.get()));
  if (der.empty()) return Error::Internal(name + ": OpenSSL could not encode the key");
  return TrustedKey(std::move(name), Algorithm::kEcdsaP256Sha256, std::move(der),
                    std::move(keyid));
}

Result<TrustedKey> TrustedKey::FromKeyText(std::string_view text, std::string pem_name) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  size_t end = text.find_last_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return Error::InvalidInput(pem_name + ": empty key file");
  std::string_view key = text.substr(begin, end - begin + 1);
  if (key.starts_with("-----BEGIN")) return FromPem(std::move(pem_name), key);
  if (key.starts_with("PRIVATE+KEY+")) {
    CLEARBOX_ASSIGN_OR_RETURN(auto signer, crypto::Ed25519NoteSigner::FromSignerKey(key));
    return FromEd25519(signer->name(), signer->private_key().public_key());
  }
  CLEARBOX_ASSIGN_OR_RETURN(auto verifier, crypto::Ed25519NoteVerifier::FromVerifierKey(key));
  return FromEd25519(verifier->name(), verifier->public_key());
}

bool TrustedKey::Verify(ByteView message, ByteView signature) const {
  const uint8_t* der = spki_der_.data();
  PkeyPtr pkey(d2i_PUBKEY(nullptr, &der, static_cast<long>(spki_der_.size())));
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!pkey || !ctx) return false;
  // Ed25519 hashes internally (no digest); ECDSA signs SHA-256(message), DER-encoded (r, s).
  const EVP_MD* md = algorithm_ == Algorithm::kEcdsaP256Sha256 ? EVP_sha256() : nullptr;
  if (algorithm_ == Algorithm::kEd25519 && signature.size() != crypto::kEd25519SignatureSize) {
    return false;
  }
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                          message.size()) == 1;
}

std::vector<SignatureCheck> CheckSignatures(const Envelope& envelope,
                                            std::span<const TrustedKey> trusted) {
  Bytes pae = PreAuthEncoding(envelope.payload_type, envelope.payload);
  std::vector<SignatureCheck> checks;
  for (const auto& sig : envelope.signatures) {
    SignatureCheck check{sig.keyid, std::nullopt};
    // Every trusted key is tried: the keyid is a hint an attacker controls.
    for (const auto& key : trusted) {
      if (key.Verify(pae, sig.sig)) {
        check.verified_by = key.name();
        break;
      }
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

Result<VerifiedPayload> VerifyEnvelope(const Envelope& envelope, std::span<const TrustedKey> trusted,
                                       std::string_view expected_payload_type) {
  if (envelope.payload_type != expected_payload_type) {
    return Error::Unsupported("envelope: payloadType " + internal::Quoted(envelope.payload_type) +
                              " is not " + internal::Quoted(std::string(expected_payload_type)));
  }
  Bytes pae = PreAuthEncoding(envelope.payload_type, envelope.payload);
  VerifiedPayload out{envelope.payload_type, envelope.payload, {}};
  std::set<std::string> counted;  // by key material (keyid computed here), not by name
  for (const auto& key : trusted) {
    bool signed_by_key = std::any_of(envelope.signatures.begin(), envelope.signatures.end(),
                                     [&](const EnvelopeSignature& s) { return key.Verify(pae, s.sig); });
    if (signed_by_key && counted.insert(key.keyid()).second) out.signed_by.push_back(key.name());
  }
  if (out.signed_by.empty()) {
    bool named_trusted = std::any_of(envelope.signatures.begin(), envelope.signatures.end(),
                                     [&](const EnvelopeSignature& s) {
                                       return std::any_of(trusted.begin(), trusted.end(),
                                                          [&](const TrustedKey& k) {
                                                            return k.keyid() == s.keyid;
                                                          });
                                     });
    return Error::VerificationFailed(
        "envelope: none of its " + std::to_string(envelope.signatures.size()) +
        " signature(s) verifies with the " + std::to_string(trusted.size()) + " trusted key(s)" +
        (named_trusted ? " (a keyid names a trusted key, but its signature does not verify: "
                         "the payload, its type or the signature was altered)"
                       : ""));
  }
  return out;
}

}  // namespace clearbox::release
