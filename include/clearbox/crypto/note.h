// C2SP signed notes (c2sp.org/signed-note), compatible with golang.org/x/mod/sumdb/note.
//
// A signed note is a UTF-8 text ending in a newline, a blank line, and one or more signature
// lines "— <key name> base64(4-byte key id || signature)\n". Keys travel as text:
//
//   verifier key  <name>+<hex8 key id>+base64(<type byte> || public key)
//   signer key    PRIVATE+KEY+<name>+<hex8 key id>+base64(<type byte> || secret)
//
// with key id = first 4 bytes (big endian) of SHA-256(name || 0x0A || type || public key).
// This header handles the note format and the Ed25519 type (0x01); other signature types
// (the tlog cosignature type 0x04 in clearbox/tlog/cosignature.h) plug in as NoteVerifier /
// NoteSigner implementations.
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto signer, Ed25519NoteSigner::FromSignerKey(skey_text));
//   CLEARBOX_ASSIGN_OR_RETURN(std::string note, SignNote("hello\n", {signer.get()}));
//   CLEARBOX_ASSIGN_OR_RETURN(auto verifier, Ed25519NoteVerifier::FromVerifierKey(vkey_text));
//   CLEARBOX_ASSIGN_OR_RETURN(OpenedNote opened, OpenNote(note, {verifier.get()}));
//   Use(opened.text);  // only now is the text trustworthy
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/crypto/ed25519.h"

namespace clearbox::crypto {

// Signature type bytes assigned by c2sp.org/signed-note.
inline constexpr uint8_t kNoteTypeEd25519 = 0x01;
inline constexpr uint8_t kNoteTypeCosignatureV1 = 0x04;  // c2sp.org/tlog-cosignature

// Limits for untrusted notes. The spec requires accepting at least 16 signatures; Go's
// x/mod rejects more than 100, and so do we. 1 MiB leaves room for large post-quantum
// signatures and any checkpoint or proof this project produces.
inline constexpr size_t kMaxNoteSize = size_t(1) << 20;
inline constexpr size_t kMaxNoteSignatures = 100;

// A key name is non-empty valid UTF-8 without Unicode white space and without '+'.
bool IsValidKeyName(std::string_view name);

// SHA-256(name || 0x0A || type || public_key)[:4] as a big-endian uint32.
uint32_t NoteKeyId(std::string_view name, uint8_t type, ByteView public_key);

// A parsed verifier key of any signature type. ParseVerifierKey checks the syntax and that
// the key id matches the name, type and key; it does not check that the type is known.
struct VerifierKey {
  std::string name;
  uint32_t key_id = 0;
  uint8_t type = 0;
  Bytes public_key;  // without the type byte
};
// Errors: kInvalidInput (malformed: "verifier key: <what>"; key id that does not match).
Result<VerifierKey> ParseVerifierKey(std::string_view vkey);
// "<name>+<hex8>+base64(type || public_key)", with the key id computed.
std::string FormatVerifierKey(std::string_view name, uint8_t type, ByteView public_key);

// A parsed signer key. For the Ed25519 type the key id is checked against the public key
// derived from the seed (as x/mod does); for other types only the syntax is checked.
// The secret is wiped when the object is destroyed.
struct SignerKey {
  SignerKey() = default;
  SignerKey(const SignerKey&) = default;
  SignerKey& operator=(const SignerKey&) = default;
  ~SignerKey();
  std::string name;
  uint32_t key_id = 0;
  uint8_t type = 0;
  Bytes secret;  // without the type byte; an Ed25519 seed for type 0x01
};
// Errors: kInvalidInput (malformed, or a key id that does not match the derived public key).
// Error messages never contain the secret.
Result<SignerKey> ParseSignerKey(std::string_view skey);
// "PRIVATE+KEY+<name>+<hex8 key_id>+base64(type || secret)".
std::string FormatSignerKey(std::string_view name, uint32_t key_id, uint8_t type, ByteView secret);

// Verifies signatures of one key. Implementations are immutable and thread-safe.
class NoteVerifier {
 public:
  virtual ~NoteVerifier() = default;
  virtual const std::string& name() const = 0;
  virtual uint32_t key_id() const = 0;
  // `signature` is the decoded signature without its 4-byte key id; `text` is the note text
  // (including its final newline). A malformed signature is simply invalid (false).
  virtual bool Verify(ByteView text, ByteView signature) const = 0;
};

// Signs note texts with one key. Implementations are thread-safe.
class NoteSigner {
 public:
  virtual ~NoteSigner() = default;
  virtual const std::string& name() const = 0;
  virtual uint32_t key_id() const = 0;
  // The signature bytes (without the key id) over `text`. Errors: kInternal.
  virtual Result<Bytes> Sign(ByteView text) const = 0;
};

// The Ed25519 (type 0x01) note verifier, as x/mod's note.NewVerifier.
class Ed25519NoteVerifier : public NoteVerifier {
 public:
  // Errors: kInvalidInput (malformed vkey, bad key id, wrong key length),
  // kUnsupported (a well-formed key of another signature type).
  static Result<std::unique_ptr<Ed25519NoteVerifier>> FromVerifierKey(std::string_view vkey);
  // Errors: kInvalidInput if `name` is not a valid key name.
  static Result<std::unique_ptr<Ed25519NoteVerifier>> Create(std::string name,
                                                             const Ed25519PublicKey& key);

  const std::string& name() const override { return name_; }
  uint32_t key_id() const override { return key_id_; }
  bool Verify(ByteView text, ByteView signature) const override;
  const Ed25519PublicKey& public_key() const { return key_; }
  // The vkey text for this verifier.
  std::string VerifierKeyText() const;

 private:
  Ed25519NoteVerifier(std::string name, const Ed25519PublicKey& key);
  std::string name_;
  Ed25519PublicKey key_;
  uint32_t key_id_;
};

// The Ed25519 (type 0x01) note signer, as x/mod's note.NewSigner.
class Ed25519NoteSigner : public NoteSigner {
 public:
  // Errors: kInvalidInput (malformed skey, bad key id, wrong seed length),
  // kUnsupported (another signature type).
  static Result<std::unique_ptr<Ed25519NoteSigner>> FromSignerKey(std::string_view skey);
  // Errors: kInvalidInput if `name` is not a valid key name.
  static Result<std::unique_ptr<Ed25519NoteSigner>> Create(std::string name, Ed25519PrivateKey key);

  const std::string& name() const override { return name_; }
  uint32_t key_id() const override { return key_id_; }
  Result<Bytes> Sign(ByteView text) const override;
  const Ed25519PrivateKey& private_key() const { return key_; }
  std::string VerifierKeyText() const;
  std::string SignerKeyText() const;  // secret: for key files only

 private:
  Ed25519NoteSigner(std::string name, Ed25519PrivateKey key);
  std::string name_;
  Ed25519PrivateKey key_;
  uint32_t key_id_;
};

// A new random Ed25519 key pair in text form. Errors: kInvalidInput (bad name), kInternal.
struct GeneratedNoteKey {
  std::string signer_key;    // PRIVATE+KEY+...
  std::string verifier_key;  // name+hash+base64
};
Result<GeneratedNoteKey> GenerateNoteKey(std::string_view name);

// One signature line of a note.
struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  Bytes signature;  // decoded, without the key id
  // "— <name> base64(key_id || signature)\n"
  std::string Line() const;
  bool operator==(const NoteSignature&) const = default;
};

// A note split into text and signatures, NOT verified.
struct Note {
  std::string text;  // ends in '\n'
  std::vector<NoteSignature> signatures;
};

// Splits a signed note into its text and signature lines without verifying anything.
// Enforces the format: size <= kMaxNoteSize, valid UTF-8, no control characters but '\n',
// text ending in newline, separated by the last blank line from 1..kMaxNoteSignatures
// signature lines, each "— name base64\n" with a valid key name and >= 5 decoded bytes.
// Errors: kInvalidInput naming the line and what was wrong; kLimitExceeded for the limits.
Result<Note> ParseNote(std::string_view msg);
// text + "\n" + each signature line. The caller keeps `note` well-formed.
std::string FormatNote(const Note& note);

// One signature over `text` (which must end in '\n'). Errors: kInvalidInput, kInternal.
Result<NoteSignature> SignNoteText(std::string_view text, const NoteSigner& signer);
// A signed note: text, blank line, one signature line per signer, in order.
// Errors: kInvalidInput (text not ending in newline or not a valid note text, no signers,
// invalid signer name), kInternal.
Result<std::string> SignNote(std::string_view text, std::span<const NoteSigner* const> signers);

// The outcome of OpenNote: the text and which signatures verified.
struct OpenedNote {
  std::string text;
  std::vector<NoteSignature> verified;    // by a given verifier, in note order, deduplicated
  std::vector<NoteSignature> unverified;  // by unknown keys (ignored), deduplicated
  bool VerifiedBy(std::string_view name, uint32_t key_id) const;
};

// Parses and verifies a signed note against a set of known keys, by the spec's rules:
// a signature whose (name, key id) matches no verifier is ignored; every signature by a known
// key must verify; at least one must. Repeated identical signature lines count once.
// Errors: everything ParseNote returns; kInvalidInput if two verifiers share a name and key
// id (ambiguous); kVerificationFailed "invalid signature for key <name>+<hex8>" or
// "no verifiable signatures (signed by <names>)".
Result<OpenedNote> OpenNote(std::string_view msg, std::span<const NoteVerifier* const> verifiers);
inline Result<OpenedNote> OpenNote(std::string_view msg, const NoteVerifier& verifier) {
  const NoteVerifier* one[] = {&verifier};
  return OpenNote(msg, one);
}

}  // namespace clearbox::crypto
