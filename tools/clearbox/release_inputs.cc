#include "release_inputs.h"

#include <memory>

#include "clearbox/core/digest.h"
#include "clearbox/core/file.h"
#include "clearbox/crypto/note.h"

namespace clearbox::cli {
namespace {

constexpr uint64_t kMaxKeyFileBytes = 64 * 1024;

}  // namespace

Result<std::unique_ptr<crypto::Ed25519NoteSigner>> LoadNoteSigner(const std::string& path) {
  CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, kMaxKeyFileBytes));
  size_t begin = text.find_first_not_of(" \t\r\n");
  size_t end = text.find_last_not_of(" \t\r\n");
  if (begin == std::string::npos) return Error::InvalidInput(path + ": empty key file");
  auto signer = crypto::Ed25519NoteSigner::FromSignerKey(text.substr(begin, end - begin + 1));
  if (!signer.ok()) return signer.error().WithContext(path);
  return signer;
}

Result<crypto::Ed25519PrivateKey> LoadSigningKey(const std::string& path) {
  CLEARBOX_ASSIGN_OR_RETURN(auto signer, LoadNoteSigner(path));
  return signer->private_key();
}

Result<std::string> SigningKeyName(const std::string& path) {
  CLEARBOX_ASSIGN_OR_RETURN(auto signer, LoadNoteSigner(path));
  return signer->name();
}

Result<release::TrustedKey> LoadTrustedKey(const std::string& path) {
  CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, kMaxKeyFileBytes));
  auto key = release::TrustedKey::FromKeyText(text, path);
  if (!key.ok()) return key.error().WithContext(path);
  return key;
}

Result<std::string> FileSha256(const std::string& path) {
  CLEARBOX_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  return Sha256Hex(file->bytes());
}

Result<std::string> ReadEnvelopeText(const std::string& path) {
  auto text = ReadTextFile(path, release::kMaxEnvelopeBytes);
  if (!text.ok() && text.error().code() == ErrorCode::kLimitExceeded) {
    return Error::LimitExceeded(path + ": larger than the 16 MiB envelope limit");
  }
  return text;
}

}  // namespace clearbox::cli
