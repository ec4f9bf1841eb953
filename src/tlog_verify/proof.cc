#include "clearbox/tlog/proof.h"

#include "clearbox/core/encoding.h"
#include "crypto/internal/text.h"

namespace clearbox::tlog {
namespace {

using crypto::internal::Quote;

// Reads the next '\n'-terminated line of `text` from `pos`; nullopt at the end or when the
// line has no newline.
std::optional<std::string_view> NextLine(std::string_view text, size_t& pos) {
  size_t nl = text.find('\n', pos);
  if (nl == std::string_view::npos) return std::nullopt;
  std::string_view line = text.substr(pos, nl - pos);
  pos = nl + 1;
  return line;
}

}  // namespace

std::string FormatTlogProof(const TlogProof& proof) {
  return FormatTlogProof(proof.index, proof.inclusion_proof, proof.checkpoint, proof.extra);
}

std::string FormatTlogProof(uint64_t index, std::span<const Hash> inclusion_proof,
                            std::string_view checkpoint, const std::optional<Bytes>& extra) {
  // One allocation: the log server formats one of these per acknowledged entry.
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(kTlogProofHeader.size() + 32 + inclusion_proof.size() * 45 + checkpoint.size() +
              (extra ? extra->size() * 4 / 3 + 16 : 0));
  out.append(kTlogProofHeader).push_back('\n');
  if (extra) out.append("extra ").append(Base64Encode(*extra)).push_back('\n');
  out.append("index ").append(std::to_string(index)).push_back('\n');
  for (const Hash& h : inclusion_proof) {
    // 32 bytes: ten 3-byte groups and a 2-byte tail with one '='.
    char b64[44];
    size_t o = 0;
    for (size_t i = 0; i + 3 <= h.size(); i += 3) {
      const uint32_t v = (uint32_t(h[i]) << 16) | (uint32_t(h[i + 1]) << 8) | h[i + 2];
      b64[o++] = kAlphabet[v >> 18];
      b64[o++] = kAlphabet[(v >> 12) & 63];
      b64[o++] = kAlphabet[(v >> 6) & 63];
      b64[o++] = kAlphabet[v & 63];
    }
    const uint32_t v = (uint32_t(h[30]) << 16) | (uint32_t(h[31]) << 8);
    b64[o++] = kAlphabet[v >> 18];
    b64[o++] = kAlphabet[(v >> 12) & 63];
    b64[o++] = kAlphabet[(v >> 6) & 63];
    b64[o++] = '=';
    out.append(b64, sizeof b64).push_back('\n');
  }
  out.push_back('\n');
  out.append(checkpoint);
  return out;
}

Result<TlogProof> ParseTlogProof(std::string_view text) {
  if (text.size() > kMaxTlogProofSize) {
    return Error::LimitExceeded("tlog-proof: " + std::to_string(text.size()) + " bytes, limit " +
                                std::to_string(kMaxTlogProofSize));
  }
  size_t pos = 0;
  int line_no = 1;
  auto bad = [&](const std::string& why) {
    return Error::InvalidInput("tlog-proof line " + std::to_string(line_no) + ": " + why);
  };
  auto line = NextLine(text, pos);
  if (!line || *line != kTlogProofHeader) {
    return bad("want the header " + std::string(kTlogProofHeader));
  }
  TlogProof proof;
  ++line_no;
  line = NextLine(text, pos);
  if (line && line->starts_with("extra ")) {
    auto extra = Base64Decode(line->substr(6));
    if (!extra) return bad("extra data is not standard base64");
    proof.extra = std::move(*extra);
    ++line_no;
    line = NextLine(text, pos);
  }
  if (!line || !line->starts_with("index ")) return bad("want \"index <n>\"");
  auto index = crypto::internal::ParseCanonicalDecimal(line->substr(6));
  if (!index) return bad("index " + Quote(line->substr(6)) + " is not a canonical decimal");
  proof.index = *index;
  while (true) {
    ++line_no;
    line = NextLine(text, pos);
    if (!line) return bad("no empty line before the checkpoint");
    if (line->empty()) break;
    if (proof.inclusion_proof.size() == kMaxInclusionProofHashes) {
      return bad("more than 64 inclusion proof hashes");
    }
    auto h = HashFromBase64(*line);
    if (!h) return bad("inclusion proof hash " + Quote(*line) + " is not base64 of 32 bytes");
    proof.inclusion_proof.push_back(*h);
  }
  proof.checkpoint = std::string(text.substr(pos));
  if (proof.checkpoint.empty()) return bad("no checkpoint after the empty line");
  return proof;
}

Result<VerifiedTlogProof> VerifyTlogProof(const TlogProof& proof, const Hash& leaf_hash,
                                          const crypto::NoteVerifier& log_key,
                                          std::span<const crypto::NoteVerifier* const> cosigners,
                                          std::string_view expected_origin) {
  CLEARBOX_ASSIGN_OR_RETURN(VerifiedCheckpoint cp,
                            OpenCheckpoint(proof.checkpoint, log_key, cosigners, expected_origin));
  if (proof.index >= cp.checkpoint.size) {
    return Error::InvalidInput("tlog-proof: index " + std::to_string(proof.index) +
                               " is not below tree size " + std::to_string(cp.checkpoint.size));
  }
  CLEARBOX_RETURN_IF_ERROR(VerifyInclusion(proof.index, cp.checkpoint.size, leaf_hash,
                                           proof.inclusion_proof, cp.checkpoint.root));
  return VerifiedTlogProof{std::move(cp), proof.index};
}

}  // namespace clearbox::tlog
