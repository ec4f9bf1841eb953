#include "clearbox/tlog/submission.h"

#include <cstdio>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"

namespace clearbox::tlog {

namespace {

std::string KeyIdHex(uint32_t key_id) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", key_id);
  return buf;
}

}  // namespace

std::string SubmissionText(std::string_view origin, ByteView body) {
  Sha256Digest digest = Sha256(body);
  std::string text;
  text.reserve(kSubmissionContext.size() + origin.size() + 48);
  text.append(kSubmissionContext).append("\n");
  text.append(origin).append("\n");
  text.append(Base64Encode(digest)).append("\n");
  return text;
}

Result<std::string> SignSubmission(std::string_view origin, ByteView body,
                                   const crypto::NoteSigner& signer) {
  CLEARBOX_ASSIGN_OR_RETURN(crypto::NoteSignature signature,
                            crypto::SignNoteText(SubmissionText(origin, body), signer));
  Bytes blob(4 + signature.signature.size());
  StoreBE32(blob.data(), signature.key_id);
  std::copy(signature.signature.begin(), signature.signature.end(), blob.begin() + 4);
  return signature.name + " " + Base64Encode(blob);
}

Result<std::string> VerifySubmission(std::string_view origin, ByteView body,
                                     std::string_view header_value,
                                     std::span<const crypto::NoteVerifier* const> submitters) {
  if (header_value.empty()) {
    return Error::PermissionDenied(
        "missing Clearbox-Submitter header: this log accepts entries only from its listed "
        "submitters (use `clearbox log add --submitter-key FILE`)");
  }
  size_t space = header_value.find(' ');
  if (space == std::string_view::npos || space == 0) {
    return Error::PermissionDenied(
        "malformed Clearbox-Submitter header: want '<key name> <base64 signature>'");
  }
  std::string_view name = header_value.substr(0, space);
  auto blob = Base64Decode(header_value.substr(space + 1));
  if (!blob || blob->size() < 5) {
    return Error::PermissionDenied(
        "malformed Clearbox-Submitter header: the signature is not base64 of a key id and a "
        "signature");
  }
  const uint32_t key_id = LoadBE32(blob->data());
  for (const crypto::NoteVerifier* verifier : submitters) {
    if (verifier->name() != name || verifier->key_id() != key_id) continue;
    const std::string text = SubmissionText(origin, body);
    if (!verifier->Verify(AsBytes(text), ByteView(*blob).subspan(4))) {
      return Error::PermissionDenied("bad submitter signature by " + std::string(name) +
                                     " (signed for another body or another log?)");
    }
    return std::string(name);
  }
  return Error::PermissionDenied("unknown submitter key " + std::string(name) + "+" +
                                 KeyIdHex(key_id) + ": not listed in this log's config");
}

}  // namespace clearbox::tlog
