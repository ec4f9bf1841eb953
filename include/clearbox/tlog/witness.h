// Both ends of the C2SP tlog-witness protocol (c2sp.org/tlog-witness), `add-checkpoint`:
//
//   POST <prefix>/add-checkpoint
//   old <size>\n  <consistency proof hashes, base64, one a line, at most 63>  \n  <checkpoint>
//
// Witness: verifies the log's signature and the consistency of the new checkpoint with the
// latest one it cosigned for that log (from size 0 an empty proof is valid), stores it
// durably, and answers with a timestamped c2sp.org/tlog-cosignature line. Its answers follow
// the spec: 200 cosignature; 400 malformed request or old size above the checkpoint size;
// 403 no valid signature by a key it trusts for the origin; 404 unknown origin; 409 (body: its
// size, Content-Type text/x.tlog.size) old size that is not its latest, or the same size with
// another root; 422 consistency proof that does not verify.
//
// Log side: WitnessCosigner asks every configured witness for a cosignature, handling a 409
// by retrying once with a proof from the size the witness reports.
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto witness, Witness::Open(state_dir, std::move(signer), logs));
//   WitnessAnswer answer = witness->AddCheckpoint(request_body);  // from any thread
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/crypto/note.h"
#include "clearbox/tlog/checkpoint.h"
#include "clearbox/tlog/cosignature.h"
#include "clearbox/tlog/log_config.h"
#include "clearbox/tlog/merkle.h"

namespace clearbox::tlog {

// The most proof lines a request may carry (the spec's limit).
inline constexpr size_t kMaxWitnessProofLines = 63;
inline constexpr size_t kMaxWitnessRequestSize = 64 * 1024;
inline constexpr std::string_view kTlogSizeContentType = "text/x.tlog.size";

// A log the witness follows: its origin and the verifier keys it accepts for it.
struct WitnessedLog {
  std::string origin;
  std::vector<std::string> keys;  // Ed25519 note vkeys (type 0x01)
};

// Parses the witness's --logs file: one log per line,
//   log <vkey> [<origin>]        the origin defaults to the key's name
// blank lines and lines starting with '#' ignored; several lines with one origin give that log
// several keys. Errors: kInvalidInput "line <n>: ..." (unknown keyword, bad vkey).
Result<std::vector<WitnessedLog>> ParseWitnessedLogs(std::string_view text);

// An HTTP answer, transport-neutral.
struct WitnessAnswer {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// The parsed add-checkpoint request (syntax only).
struct AddCheckpointRequest {
  uint64_t old_size = 0;
  std::vector<Hash> proof;
  std::string checkpoint;  // the signed note, verbatim
};
// Errors: kInvalidInput naming the line (missing "old" line, non-canonical size, a proof line
// that is not base64 of 32 bytes, more than 63 of them, no empty line before the checkpoint);
// kLimitExceeded above kMaxWitnessRequestSize.
Result<AddCheckpointRequest> ParseAddCheckpointRequest(std::string_view body);
std::string FormatAddCheckpointRequest(const AddCheckpointRequest& request);

class Witness {
 public:
  // `state_dir` holds one file per log (the latest cosigned checkpoint), created if missing.
  // Errors: kInvalidInput (bad vkey, the same origin twice), kIo.
  static Result<std::unique_ptr<Witness>> Open(std::string state_dir,
                                               std::unique_ptr<CosignatureV1Signer> signer,
                                               const std::vector<WitnessedLog>& logs);

  // Handles one add-checkpoint request body. Thread-safe: checks and updates for one log are
  // atomic (the race the spec describes cannot roll a log back). The state is persisted
  // before a cosignature is returned. A 500 answer means the state could not be written.
  WitnessAnswer AddCheckpoint(std::string_view request_body);

  // The latest cosigned size for `origin`, 0 if none. Errors: kNotFound (unknown origin), kIo.
  Result<uint64_t> CosignedSize(std::string_view origin);
  // The witness's cosigner vkey (type 0x04) to put in a log's config.
  std::string VerifierKey() const { return signer_->VerifierKeyText(); }

 private:
  struct LogState {
    std::vector<std::unique_ptr<crypto::NoteVerifier>> verifiers;
    std::mutex mu;
    bool loaded = false;
    uint64_t size = 0;
    Hash root{};
  };
  Witness(std::string state_dir, std::unique_ptr<CosignatureV1Signer> signer)
      : state_dir_(std::move(state_dir)), signer_(std::move(signer)) {}
  std::string StatePath(std::string_view origin) const;
  Status LoadState(std::string_view origin, LogState& state);  // state.mu held

  std::string state_dir_;
  std::unique_ptr<CosignatureV1Signer> signer_;
  std::map<std::string, std::unique_ptr<LogState>, std::less<>> logs_;
};

// How a log reaches its witnesses: POST <url>/add-checkpoint. Implementations are
// thread-safe (the cosigner calls several witnesses at once).
class WitnessTransport {
 public:
  virtual ~WitnessTransport() = default;
  // Errors: kUnavailable (no answer in time, connection failed). An HTTP error status is an
  // answer, not an error.
  virtual Result<WitnessAnswer> AddCheckpoint(const std::string& witness_url,
                                              const std::string& body) = 0;
};

// The outcome of asking one witness.
struct WitnessOutcome {
  std::string witness;                               // key name
  std::optional<crypto::NoteSignature> cosignature;  // verified
  std::optional<Error> error;                        // why there is none
};

// Collects cosignatures for a log's checkpoints. Remembers each witness's latest size so that
// it sends the right consistency proof. Not thread-safe (one sequencer uses it).
class WitnessCosigner {
 public:
  // `hint_size` is the log's published size: the first guess of what each witness has.
  // Errors: kInvalidInput (bad witness key).
  static Result<std::unique_ptr<WitnessCosigner>> Create(
      const std::vector<WitnessEndpoint>& witnesses, WitnessTransport& transport,
      uint64_t hint_size);

  // Asks every witness, in parallel, to cosign `signed_checkpoint` (the log-signed note of
  // `checkpoint`); `proofs` serves the tree's hashes (consistency proofs are computed on this
  // thread). Returns one outcome per witness, in config order. Never fails as a whole: the
  // caller counts verified cosignatures against its quorum.
  std::vector<WitnessOutcome> Cosign(const std::string& signed_checkpoint,
                                     const Checkpoint& checkpoint, HashReader& proofs);

 private:
  struct Peer {
    WitnessEndpoint endpoint;
    std::unique_ptr<CosignatureV1Verifier> verifier;
    uint64_t known_size = 0;
  };
  explicit WitnessCosigner(WitnessTransport& transport) : transport_(transport) {}
  WitnessTransport& transport_;
  std::vector<Peer> peers_;
};

}  // namespace clearbox::tlog
