// Key and statement files the log and release commands read.
#pragma once

#include <memory>
#include <string>

#include "clearbox/core/result.h"
#include "clearbox/crypto/ed25519.h"
#include "clearbox/crypto/note.h"
#include "clearbox/release/dsse.h"

namespace clearbox::cli {

// A signer key file of `clearbox key generate` (C2SP signed-note format). Errors name the file.
Result<std::unique_ptr<crypto::Ed25519NoteSigner>> LoadNoteSigner(const std::string& path);
// Its private key.
Result<crypto::Ed25519PrivateKey> LoadSigningKey(const std::string& path);
// The key's name in that file ("vendor.example" of "PRIVATE+KEY+vendor.example+...").
Result<std::string> SigningKeyName(const std::string& path);
// A trust file: a verifier or signer key of `clearbox key`, or a PEM public key.
Result<release::TrustedKey> LoadTrustedKey(const std::string& path);
// The SHA-256 (hex) of a file's bytes.
Result<std::string> FileSha256(const std::string& path);
// A DSSE envelope file (at most release::kMaxEnvelopeBytes), unparsed.
Result<std::string> ReadEnvelopeText(const std::string& path);

}  // namespace clearbox::cli
