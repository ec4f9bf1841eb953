#include "clearbox/crypto/note.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <tuple>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "crypto/internal/text.h"

namespace clearbox::crypto {
namespace {

using internal::Quote;

constexpr std::string_view kSigPrefix = "\xe2\x80\x94 ";  // em dash U+2014, space
constexpr std::string_view kPrivateKeyPrefix = "PRIVATE+KEY+";

std::string Hex8(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

// Splits s at the first `sep`: (before, after); after is empty if there is none.
std::pair<std::string_view, std::string_view> Chop(std::string_view s, char sep) {
  size_t i = s.find(sep);
  if (i == std::string_view::npos) return {s, {}};
  return {s.substr(0, i), s.substr(i + 1)};
}

std::optional<uint32_t> ParseHex8(std::string_view s) {
  if (s.size() != 8) return std::nullopt;
  auto bytes = HexDecode(s);
  if (!bytes) return std::nullopt;
  return LoadBE32(bytes->data());
}

// The name+hash+base64 triple shared by vkeys and skeys; `what` names the key kind.
struct KeyTriple {
  std::string_view name;
  uint32_t key_id;
  Bytes key;  // type byte || material
};
Result<KeyTriple> ParseKeyTriple(std::string_view text, std::string_view what) {
  auto [name, rest] = Chop(text, '+');
  auto [hash16, key64] = Chop(rest, '+');
  if (!IsValidKeyName(name)) {
    return Error::InvalidInput(std::string(what) + ": invalid key name " + Quote(name));
  }
  auto key_id = ParseHex8(hash16);
  if (!key_id) {
    return Error::InvalidInput(std::string(what) + " " + std::string(name) +
                               ": key id is not 8 hex digits");
  }
  auto key = Base64Decode(key64);
  if (!key || key->empty()) {
    return Error::InvalidInput(std::string(what) + " " + std::string(name) +
                               ": key is not non-empty standard base64");
  }
  return KeyTriple{name, *key_id, std::move(*key)};
}

}  // namespace

bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size();) {
    uint32_t r;
    size_t n = internal::DecodeUtf8(name, i, &r);
    if (n == 0 || r == '+' || internal::IsUnicodeSpace(r)) return false;
    i += n;
  }
  return true;
}

uint32_t NoteKeyId(std::string_view name, uint8_t type, ByteView public_key) {
  Sha256Hasher h;
  h.Update(AsBytes(name));
  const uint8_t sep_type[2] = {'\n', type};
  h.Update(sep_type);
  h.Update(public_key);
  Sha256Digest d = h.Finish();
  return LoadBE32(d.data());
}

Result<VerifierKey> ParseVerifierKey(std::string_view vkey) {
  CLEARBOX_ASSIGN_OR_RETURN(KeyTriple t, ParseKeyTriple(vkey, "verifier key"));
  VerifierKey out;
  out.name = std::string(t.name);
  out.key_id = t.key_id;
  out.type = t.key[0];
  if (NoteKeyId(out.name, out.type, ByteView(t.key).subspan(1)) != t.key_id) {
    return Error::InvalidInput("verifier key " + out.name + ": key id " + Hex8(t.key_id) +
                               " does not match the key");
  }
  out.public_key.assign(t.key.begin() + 1, t.key.end());
  return out;
}

std::string FormatVerifierKey(std::string_view name, uint8_t type, ByteView public_key) {
  Bytes key;
  key.reserve(public_key.size() + 1);
  key.push_back(type);
  key.insert(key.end(), public_key.begin(), public_key.end());
  return std::string(name) + "+" + Hex8(NoteKeyId(name, type, public_key)) + "+" +
         Base64Encode(key);
}

SignerKey::~SignerKey() {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
}

Result<SignerKey> ParseSignerKey(std::string_view skey) {
  if (skey.substr(0, kPrivateKeyPrefix.size()) != kPrivateKeyPrefix) {
    return Error::InvalidInput("signer key: does not start with PRIVATE+KEY+");
  }
  CLEARBOX_ASSIGN_OR_RETURN(KeyTriple t,
                            ParseKeyTriple(skey.substr(kPrivateKeyPrefix.size()), "signer key"));
  SignerKey out;
  out.name = std::string(t.name);
  out.key_id = t.key_id;
  out.type = t.key[0];
  out.secret.assign(t.key.begin() + 1, t.key.end());
  OPENSSL_cleanse(t.key.data(), t.key.size());
  if (out.type == kNoteTypeEd25519 || out.type == kNoteTypeCosignatureV1) {
    if (out.secret.size() != kEd25519SeedSize) {
      return Error::InvalidInput("signer key " + out.name + ": Ed25519 seed is " +
                                 std::to_string(out.secret.size()) + " bytes, want 32");
    }
    CLEARBOX_ASSIGN_OR_RETURN(auto priv, Ed25519PrivateKey::FromSeed(out.secret));
    if (NoteKeyId(out.name, out.type, priv.public_key()) != out.key_id) {
      return Error::InvalidInput("signer key " + out.name + ": key id " + Hex8(out.key_id) +
                                 " does not match the key");
    }
  }
  return out;
}

std::string FormatSignerKey(std::string_view name, uint32_t key_id, uint8_t type, ByteView secret) {
  Bytes key;
  key.reserve(secret.size() + 1);
  key.push_back(type);
  key.insert(key.end(), secret.begin(), secret.end());
  std::string out = std::string(kPrivateKeyPrefix) + std::string(name) + "+" + Hex8(key_id) + "+" +
                    Base64Encode(key);
  OPENSSL_cleanse(key.data(), key.size());
  return out;
}

// --- Ed25519 verifier and signer ---

Ed25519NoteVerifier::Ed25519NoteVerifier(std::string name, const Ed25519PublicKey& key)
    : name_(std::move(name)), key_(key), key_id_(NoteKeyId(name_, kNoteTypeEd25519, key_)) {}

Result<std::unique_ptr<Ed25519NoteVerifier>> Ed25519NoteVerifier::FromVerifierKey(
    std::string_view vkey) {
  CLEARBOX_ASSIGN_OR_RETURN(VerifierKey k, ParseVerifierKey(vkey));
  if (k.type != kNoteTypeEd25519) {
    return Error::Unsupported("verifier key " + k.name + ": signature type 0x" +
                              HexEncode(ByteView(&k.type, 1)) + " is not Ed25519 (0x01)");
  }
  if (k.public_key.size() != kEd25519PublicKeySize) {
    return Error::InvalidInput("verifier key " + k.name + ": Ed25519 key is " +
                               std::to_string(k.public_key.size()) + " bytes, want 32");
  }
  Ed25519PublicKey pub;
  std::copy(k.public_key.begin(), k.public_key.end(), pub.begin());
  return std::unique_ptr<Ed25519NoteVerifier>(new Ed25519NoteVerifier(std::move(k.name), pub));
}

Result<std::unique_ptr<Ed25519NoteVerifier>> Ed25519NoteVerifier::Create(
    std::string name, const Ed25519PublicKey& key) {
  if (!IsValidKeyName(name)) return Error::InvalidInput("invalid key name " + Quote(name));
  return std::unique_ptr<Ed25519NoteVerifier>(new Ed25519NoteVerifier(std::move(name), key));
}

bool Ed25519NoteVerifier::Verify(ByteView text, ByteView signature) const {
  return Ed25519Verify(key_, text, signature);
}

std::string Ed25519NoteVerifier::VerifierKeyText() const {
  return FormatVerifierKey(name_, kNoteTypeEd25519, key_);
}

Ed25519NoteSigner::Ed25519NoteSigner(std::string name, Ed25519PrivateKey key)
    : name_(std::move(name)),
      key_(std::move(key)),
      key_id_(NoteKeyId(name_, kNoteTypeEd25519, key_.public_key())) {}

Result<std::unique_ptr<Ed25519NoteSigner>> Ed25519NoteSigner::FromSignerKey(std::string_view skey) {
  CLEARBOX_ASSIGN_OR_RETURN(SignerKey k, ParseSignerKey(skey));
  if (k.type != kNoteTypeEd25519) {
    return Error::Unsupported("signer key " + k.name + ": signature type 0x" +
                              HexEncode(ByteView(&k.type, 1)) + " is not Ed25519 (0x01)");
  }
  CLEARBOX_ASSIGN_OR_RETURN(auto priv, Ed25519PrivateKey::FromSeed(k.secret));
  return std::unique_ptr<Ed25519NoteSigner>(new Ed25519NoteSigner(k.name, std::move(priv)));
}

Result<std::unique_ptr<Ed25519NoteSigner>> Ed25519NoteSigner::Create(std::string name,
                                                                     Ed25519PrivateKey key) {
  if (!IsValidKeyName(name)) return Error::InvalidInput("invalid key name " + Quote(name));
  return std::unique_ptr<Ed25519NoteSigner>(new Ed25519NoteSigner(std::move(name), key));
}

Result<Bytes> Ed25519NoteSigner::Sign(ByteView text) const {
  CLEARBOX_ASSIGN_OR_RETURN(Ed25519Signature sig, key_.Sign(text));
  return Bytes(sig.begin(), sig.end());
}

std::string Ed25519NoteSigner::VerifierKeyText() const {
  return FormatVerifierKey(name_, kNoteTypeEd25519, key_.public_key());
}

std::string Ed25519NoteSigner::SignerKeyText() const {
  return FormatSignerKey(name_, key_id_, kNoteTypeEd25519, key_.seed());
}

Result<GeneratedNoteKey> GenerateNoteKey(std::string_view name) {
  CLEARBOX_ASSIGN_OR_RETURN(auto priv, Ed25519PrivateKey::Generate());
  CLEARBOX_ASSIGN_OR_RETURN(auto signer, Ed25519NoteSigner::Create(std::string(name), priv));
  return GeneratedNoteKey{signer->SignerKeyText(), signer->VerifierKeyText()};
}

// --- Notes ---

std::string NoteSignature::Line() const {
  Bytes raw(4);
  StoreBE32(raw.data(), key_id);
  raw.insert(raw.end(), signature.begin(), signature.end());
  return std::string(kSigPrefix) + name + " " + Base64Encode(raw) + "\n";
}

Result<Note> ParseNote(std::string_view msg) {
  if (msg.size() > kMaxNoteSize) {
    return Error::LimitExceeded("note: " + std::to_string(msg.size()) + " bytes, limit " +
                                std::to_string(kMaxNoteSize));
  }
  if (auto bad = internal::FindBadNoteCharacter(msg)) {
    return Error::InvalidInput("note: " + *bad);
  }
  size_t split = msg.rfind("\n\n");
  if (split == std::string_view::npos) {
    return Error::InvalidInput("note: no blank line before the signatures");
  }
  Note note;
  note.text = std::string(msg.substr(0, split + 1));
  std::string_view sigs = msg.substr(split + 2);
  if (sigs.empty()) return Error::InvalidInput("note: no signature lines after the blank line");
  if (sigs.back() != '\n') {
    return Error::InvalidInput("note: the last signature line does not end in a newline");
  }
  // Line numbers for messages count from the start of the note (1-based).
  size_t line_no = static_cast<size_t>(std::count(note.text.begin(), note.text.end(), '\n')) + 2;
  while (!sigs.empty()) {
    size_t nl = sigs.find('\n');
    std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    std::string where = "note line " + std::to_string(line_no++);
    if (note.signatures.size() == kMaxNoteSignatures) {
      return Error::LimitExceeded("note: more than " + std::to_string(kMaxNoteSignatures) +
                                  " signature lines");
    }
    if (line.substr(0, kSigPrefix.size()) != kSigPrefix) {
      return Error::InvalidInput(where +
                                 ": not a signature line (\"— name signature\"): " + Quote(line));
    }
    line.remove_prefix(kSigPrefix.size());
    auto [name, b64] = Chop(line, ' ');
    if (!IsValidKeyName(name)) {
      return Error::InvalidInput(where + ": invalid key name " + Quote(name));
    }
    auto raw = Base64Decode(b64);
    if (b64.empty() || !raw) {
      return Error::InvalidInput(where + ": signature of " + std::string(name) +
                                 " is not standard base64");
    }
    if (raw->size() < 5) {
      return Error::InvalidInput(where + ": signature of " + std::string(name) + " is " +
                                 std::to_string(raw->size()) + " bytes, want a key id and more");
    }
    NoteSignature sig;
    sig.name = std::string(name);
    sig.key_id = LoadBE32(raw->data());
    sig.signature.assign(raw->begin() + 4, raw->end());
    note.signatures.push_back(std::move(sig));
  }
  return note;
}

std::string FormatNote(const Note& note) {
  std::string out = note.text + "\n";
  for (const auto& s : note.signatures) out += s.Line();
  return out;
}

namespace {
Status CheckNoteText(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return Error::InvalidInput("note text does not end in a newline");
  }
  if (auto bad = internal::FindBadNoteCharacter(text)) {
    return Error::InvalidInput("note text: " + *bad);
  }
  return Status::Ok();
}
}  // namespace

Result<NoteSignature> SignNoteText(std::string_view text, const NoteSigner& signer) {
  CLEARBOX_RETURN_IF_ERROR(CheckNoteText(text));
  if (!IsValidKeyName(signer.name())) {
    return Error::InvalidInput("invalid signer name " + Quote(signer.name()));
  }
  CLEARBOX_ASSIGN_OR_RETURN(Bytes sig, signer.Sign(AsBytes(text)));
  return NoteSignature{signer.name(), signer.key_id(), std::move(sig)};
}

Result<std::string> SignNote(std::string_view text, std::span<const NoteSigner* const> signers) {
  if (signers.empty()) return Error::InvalidInput("signing a note needs at least one signer");
  if (signers.size() > kMaxNoteSignatures) {
    return Error::LimitExceeded("more than " + std::to_string(kMaxNoteSignatures) + " signers");
  }
  Note note;
  note.text = std::string(text);
  for (const NoteSigner* s : signers) {
    CLEARBOX_ASSIGN_OR_RETURN(NoteSignature sig, SignNoteText(text, *s));
    note.signatures.push_back(std::move(sig));
  }
  return FormatNote(note);
}

bool OpenedNote::VerifiedBy(std::string_view name, uint32_t key_id) const {
  return std::any_of(verified.begin(), verified.end(),
                     [&](const NoteSignature& s) { return s.name == name && s.key_id == key_id; });
}

Result<OpenedNote> OpenNote(std::string_view msg, std::span<const NoteVerifier* const> verifiers) {
  for (size_t i = 0; i < verifiers.size(); ++i) {
    for (size_t j = i + 1; j < verifiers.size(); ++j) {
      if (verifiers[i]->name() == verifiers[j]->name() &&
          verifiers[i]->key_id() == verifiers[j]->key_id()) {
        return Error::InvalidInput("ambiguous verifier keys: two keys " + verifiers[i]->name() +
                                   "+" + Hex8(verifiers[i]->key_id()));
      }
    }
  }
  CLEARBOX_ASSIGN_OR_RETURN(Note note, ParseNote(msg));
  OpenedNote out;
  out.text = std::move(note.text);
  ByteView text = AsBytes(out.text);
  std::set<std::tuple<std::string, uint32_t, Bytes>> seen;
  for (auto& sig : note.signatures) {
    if (!seen.emplace(sig.name, sig.key_id, sig.signature).second) continue;  // repeated line
    auto it = std::find_if(verifiers.begin(), verifiers.end(), [&](const NoteVerifier* v) {
      return v->name() == sig.name && v->key_id() == sig.key_id;
    });
    if (it == verifiers.end()) {
      out.unverified.push_back(std::move(sig));
      continue;
    }
    // Every signature by a known key must verify, not just the first (spec: SHOULD reject).
    if (!(*it)->Verify(text, sig.signature)) {
      return Error::VerificationFailed("invalid signature for key " + sig.name + "+" +
                                       Hex8(sig.key_id));
    }
    if (!out.VerifiedBy(sig.name, sig.key_id)) out.verified.push_back(std::move(sig));
  }
  if (out.verified.empty()) {
    std::string names;
    for (const auto& s : out.unverified) names += (names.empty() ? "" : ", ") + s.name;
    return Error::VerificationFailed("no verifiable signatures (signed by " + names + ")");
  }
  return out;
}

}  // namespace clearbox::crypto
