// The release bundle (docs/bundle.md, docs/schemas/bundle.schema.json): everything a device
// needs to decide offline whether to install an image. One JSON document:
//
//   {"mediaType": "application/vnd.clearbox.bundle.v1+json",
//    "checkpoint": "<the log's signed checkpoint with the witnesses' cosignatures, verbatim>",
//    "statements": [{"envelope": "<DSSE envelope JSON, byte for byte as logged>",
//                    "logIndex": 12, "inclusionProof": ["<base64 hash>", ...]}, ...],
//    "consistencyProofs": [{"fromSize": 10, "hashes": ["<base64 hash>", ...]}]}
//
// Each envelope is kept as a JSON string so that its bytes (the log entry, whose leaf hash the
// inclusion proof is for) survive any JSON tool. The statements are the vendor's pledge and
// release and one or more evaluators' verdicts; their kind comes from the signed predicateType,
// never from the bundle. Consistency proofs (optional) lead from an earlier tree size a device
// may hold (its --state) to the checkpoint's.
//
//   CLEARBOX_ASSIGN_OR_RETURN(Bundle b, ParseBundle(text));
//   std::string json = SerializeBundle(b);
//
// Thread-safety: pure functions over plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/tlog/merkle.h"

namespace clearbox::gate {

inline constexpr std::string_view kBundleMediaType = "application/vnd.clearbox.bundle.v1+json";
// Limits on an untrusted bundle: each failure names the limit.
inline constexpr size_t kMaxBundleBytes = size_t{32} << 20;
inline constexpr size_t kMaxBundleStatements = 64;
inline constexpr size_t kMaxConsistencyProofs = 16;
inline constexpr size_t kMaxProofHashes = 64;

struct BundleStatement {
  std::string envelope;  // the DSSE envelope JSON, exactly the bytes that were logged
  uint64_t log_index = 0;
  std::vector<tlog::Hash> inclusion_proof;  // for log_index in the checkpoint's tree
};

struct ConsistencyProof {
  uint64_t from_size = 0;  // an earlier tree size; the proof leads to the checkpoint's size
  std::vector<tlog::Hash> hashes;
};

struct Bundle {
  std::string checkpoint;  // signed note, verbatim, cosignatures included
  std::vector<BundleStatement> statements;
  std::vector<ConsistencyProof> consistency_proofs;
};

// Errors: kLimitExceeded (above kMaxBundleBytes, too many statements, proofs or hashes, JSON
// nested too deep); kInvalidInput naming the JSON path ("bundle: /statements/2/logIndex: ...")
// for anything missing, mistyped, repeated or of the wrong media type. Structure only: no
// signature or proof is checked here.
Result<Bundle> ParseBundle(std::string_view json);
// Compact JSON, keys sorted, ending in a newline.
std::string SerializeBundle(const Bundle& bundle);

}  // namespace clearbox::gate
