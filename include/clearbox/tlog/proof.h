// C2SP tlog-proof (c2sp.org/tlog-proof): an offline-verifiable proof that an entry is in a log:
//
//   c2sp.org/tlog-proof@v1
//   [extra <base64>]
//   index <decimal>
//   <base64 inclusion proof hash, leaf side first>...
//   <empty line>
//   <signed checkpoint, verbatim>
//
//   CLEARBOX_ASSIGN_OR_RETURN(TlogProof proof, ParseTlogProof(text));
//   CLEARBOX_ASSIGN_OR_RETURN(auto ok, VerifyTlogProof(proof, entry_bytes, *log_verifier));
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/crypto/note.h"
#include "clearbox/tlog/checkpoint.h"
#include "clearbox/tlog/merkle.h"

namespace clearbox::tlog {

inline constexpr std::string_view kTlogProofHeader = "c2sp.org/tlog-proof@v1";
// An inclusion proof in a tree of at most 2^64 - 1 leaves has at most 64 hashes.
inline constexpr size_t kMaxInclusionProofHashes = 64;
inline constexpr size_t kMaxTlogProofSize = crypto::kMaxNoteSize + 8192;

struct TlogProof {
  std::optional<Bytes> extra;  // opaque, unauthenticated
  uint64_t index = 0;
  std::vector<Hash> inclusion_proof;
  std::string checkpoint;  // the signed checkpoint note, verbatim
  bool operator==(const TlogProof&) const = default;
};

// The proof file text. The caller keeps `checkpoint` a signed note (ending in '\n').
std::string FormatTlogProof(const TlogProof& proof);
// The same, from the parts (spares copying the checkpoint into a TlogProof).
std::string FormatTlogProof(uint64_t index, std::span<const Hash> inclusion_proof,
                            std::string_view checkpoint,
                            const std::optional<Bytes>& extra = std::nullopt);

// Parses the proof lines; the checkpoint is kept verbatim and checked only by
// VerifyTlogProof. Errors: kInvalidInput naming the line (wrong header, bad extra base64,
// missing or non-canonical index, a hash line that is not base64 of 32 bytes, more than 64
// hashes, no empty line before the checkpoint); kLimitExceeded above kMaxTlogProofSize.
Result<TlogProof> ParseTlogProof(std::string_view text);

struct VerifiedTlogProof {
  VerifiedCheckpoint checkpoint;  // its note lists the verified cosignatures too
  uint64_t index = 0;
};

// Verifies a proof for `leaf_hash` (= LeafHash(entry)): the checkpoint under `log_key` (and
// the optional `cosigners`, whose invalid signatures fail it too; counting a witness quorum
// is the caller's policy), and the inclusion proof of `index` against its root.
// Errors: OpenCheckpoint's; kInvalidInput "index <i> is not below tree size <s>";
// kVerificationFailed "inclusion proof for leaf <i> in tree <s> does not lead to the root".
Result<VerifiedTlogProof> VerifyTlogProof(
    const TlogProof& proof, const Hash& leaf_hash, const crypto::NoteVerifier& log_key,
    std::span<const crypto::NoteVerifier* const> cosigners = {},
    std::string_view expected_origin = {});

}  // namespace clearbox::tlog
