#include "clearbox/tlog/checkpoint.h"

#include <algorithm>
#include <cstdio>

#include "clearbox/core/encoding.h"
#include "crypto/internal/text.h"

namespace clearbox::tlog {
namespace {

using crypto::internal::Quote;

bool IsPlainLine(std::string_view line) {
  return !line.empty() && !crypto::internal::FindBadNoteCharacter(line) &&
         line.find('\n') == std::string_view::npos;
}

std::string Hex8(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

}  // namespace

Result<std::string> FormatCheckpoint(const Checkpoint& checkpoint) {
  if (!IsPlainLine(checkpoint.origin)) {
    return Error::InvalidInput("checkpoint origin " + Quote(checkpoint.origin) +
                               " is empty or has a newline or control character");
  }
  std::string out = checkpoint.origin + "\n" + std::to_string(checkpoint.size) + "\n" +
                    HashToBase64(checkpoint.root) + "\n";
  for (size_t i = 0; i < checkpoint.extensions.size(); ++i) {
    if (!IsPlainLine(checkpoint.extensions[i])) {
      return Error::InvalidInput("checkpoint extension line " + std::to_string(i + 1) +
                                 " is empty or has a newline or control character");
    }
    out += checkpoint.extensions[i] + "\n";
  }
  return out;
}

Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return Error::InvalidInput("checkpoint: text does not end in a newline");
  }
  if (text.size() > crypto::kMaxNoteSize) {
    return Error::LimitExceeded("checkpoint: text is larger than the note limit");
  }
  if (auto bad = crypto::internal::FindBadNoteCharacter(text)) {
    return Error::InvalidInput("checkpoint: " + *bad);
  }
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < text.size();) {
    size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  if (lines.size() < 3) {
    return Error::InvalidInput("checkpoint: " + std::to_string(lines.size()) +
                               " lines, want origin, size and root hash");
  }
  Checkpoint cp;
  if (lines[0].empty()) return Error::InvalidInput("checkpoint line 1: empty origin");
  cp.origin = std::string(lines[0]);
  auto size = crypto::internal::ParseCanonicalDecimal(lines[1]);
  if (!size) {
    return Error::InvalidInput("checkpoint line 2: tree size " + Quote(lines[1]) +
                               " is not a decimal number without leading zeros that fits "
                               "in 64 bits");
  }
  cp.size = *size;
  auto root = HashFromBase64(lines[2]);
  if (!root) {
    return Error::InvalidInput("checkpoint line 3: root hash " + Quote(lines[2]) +
                               " is not base64 of 32 bytes");
  }
  cp.root = *root;
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) {
      return Error::InvalidInput("checkpoint line " + std::to_string(i + 1) +
                                 ": empty extension line");
    }
    cp.extensions.emplace_back(lines[i]);
  }
  return cp;
}

Result<std::string> SignCheckpoint(const Checkpoint& checkpoint,
                                   std::span<const crypto::NoteSigner* const> signers) {
  CLEARBOX_ASSIGN_OR_RETURN(std::string text, FormatCheckpoint(checkpoint));
  return crypto::SignNote(text, signers);
}

Result<VerifiedCheckpoint> OpenCheckpoint(std::string_view signed_note,
                                          const crypto::NoteVerifier& log_key,
                                          std::span<const crypto::NoteVerifier* const> others,
                                          std::string_view expected_origin) {
  std::vector<const crypto::NoteVerifier*> verifiers{&log_key};
  verifiers.insert(verifiers.end(), others.begin(), others.end());
  auto opened = crypto::OpenNote(signed_note, verifiers);
  if (!opened.ok()) return opened.error().WithContext("checkpoint");
  if (!opened->VerifiedBy(log_key.name(), log_key.key_id())) {
    return Error::VerificationFailed("checkpoint is not signed by the log key " + log_key.name() +
                                     "+" + Hex8(log_key.key_id()));
  }
  CLEARBOX_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpoint(opened->text));
  if (!expected_origin.empty() && cp.origin != expected_origin) {
    return Error::VerificationFailed("checkpoint origin " + Quote(cp.origin) + ", want " +
                                     Quote(expected_origin));
  }
  return VerifiedCheckpoint{std::move(cp), std::move(*opened), std::string(signed_note)};
}

}  // namespace clearbox::tlog
