// A verifying client for C2SP tlog-tiles logs: what `clearbox log get-proof / monitor`, the
// release gate and any auditor use to read a log they do not trust.
//
// Everything a log serves is checked before use: the checkpoint's signature (and origin), each
// hash tile against the checkpoint root (TileHashReader), each entry bundle against its
// verified level-0 tile, and each new checkpoint's consistency with the last one seen. A
// failure is an Error naming what failed (the tile path, the entry, the two sizes).
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto client, LogClient::Open("http://log.example:8080", vkey));
//   CLEARBOX_ASSIGN_OR_RETURN(VerifiedCheckpoint cp, client->FetchCheckpoint());
//   CLEARBOX_ASSIGN_OR_RETURN(TlogProof proof, client->ProveInclusion(42, cp));
//   std::cout << FormatTlogProof(proof);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/crypto/note.h"
#include "clearbox/tlog/checkpoint.h"
#include "clearbox/tlog/merkle.h"
#include "clearbox/tlog/proof.h"
#include "clearbox/tlog/tiles.h"

namespace clearbox::tlog {

inline constexpr size_t kMaxCheckpointSize = crypto::kMaxNoteSize;

struct FetchOptions {
  // Per request, connect and TLS handshake included (each redirect followed is a request).
  std::chrono::milliseconds timeout{30000};
  int attempts = 3;  // tries for transient failures (connect, timeout, 5xx, 429)
  // https: trust only the CA certificates in this PEM file instead of the system store.
  std::string ca_file;
};

// A TileFetcher for a log prefix:
//   http://host[:port]/prefix, https://...   fetched with net::HttpClient (keep-alive; no
//                                            compression: no Accept-Encoding is sent)
//   file:///dir, or a plain directory path    read from the file system
// https checks the server's certificate against the system CA store (or ca_file) and the
// URL's host. Up to 5 redirects are followed, to http:// and https:// URLs only.
// HTTP 404 and 410 and a missing file are kNotFound; other HTTP errors, timeouts and refused
// connections kUnavailable (after `attempts` tries, with a growing pause, for the transient
// ones: connect errors, timeouts, 5xx, 429); a certificate refused kVerificationFailed; a
// body larger than the caller's limit kLimitExceeded; a redirect to another scheme
// kInvalidInput. Paths with "." or ".." elements are refused (kInvalidInput). Not
// thread-safe: one per thread. Errors of Open: kInvalidInput for an unknown URL scheme or a
// malformed URL or CA file, kNotFound for a missing directory.
Result<std::unique_ptr<TileFetcher>> OpenLogFetcher(std::string_view location,
                                                    const FetchOptions& options = {});

// Reads one log. Not thread-safe.
class LogClient {
 public:
  // `log_key` null: checkpoints are parsed but their signatures are NOT checked (only for
  // tools that say so); tiles and entries are still checked against the checkpoint root.
  // `origin` empty: any origin.
  LogClient(std::unique_ptr<TileFetcher> fetcher, std::unique_ptr<crypto::NoteVerifier> log_key,
            std::string origin = {});
  // Errors: OpenLogFetcher's; NewNoteVerifier's for `log_vkey` (may be empty: no key).
  static Result<std::unique_ptr<LogClient>> Open(std::string_view location,
                                                 std::string_view log_vkey,
                                                 std::string_view origin = {},
                                                 const FetchOptions& options = {});

  bool verifies_signatures() const { return log_key_ != nullptr; }

  // Fetches and checks <prefix>/checkpoint. Errors: fetch errors ("checkpoint: ..."),
  // OpenCheckpoint's.
  Result<VerifiedCheckpoint> FetchCheckpoint();
  // Checks a checkpoint obtained elsewhere (a state file, a proof) with this client's key.
  Result<VerifiedCheckpoint> CheckCheckpoint(std::string_view signed_note) const;

  // A tlog-proof for the entry at `index` in the tree of `checkpoint`, from verified tiles.
  // Errors: kInvalidInput if index >= size; tile errors (see TileHashReader).
  Result<TlogProof> ProveInclusion(uint64_t index, const VerifiedCheckpoint& checkpoint);

  // Calls `visit` for the entries [begin, end) of the tree of `checkpoint`, in order, each one
  // checked against its leaf hash in a verified level-0 tile. Stops at the first error from
  // `visit`. Errors: kInvalidInput if end > size; bundle fetch errors; ParseEntryBundle's
  // (with the path); kVerificationFailed "tile/entries/001: entry 300 does not match its
  // hash in tile/0/001".
  using EntryVisitor = std::function<Status(uint64_t index, ByteView entry)>;
  Status ForEachEntry(uint64_t begin, uint64_t end, const VerifiedCheckpoint& checkpoint,
                      const EntryVisitor& visit);
  Result<Bytes> ReadEntry(uint64_t index, const VerifiedCheckpoint& checkpoint);

  // Proves from the larger tree's tiles that the smaller checkpoint is a prefix of the larger
  // (either argument may be the larger) and checks the proof; returns the proof. On an
  // inconsistency the error is kVerificationFailed and `*failed_proof` (if given) receives the
  // proof that did not verify (empty for two trees of one size with different roots).
  // The larger checkpoint's tiles must verify against its root (else the tile error).
  Result<std::vector<Hash>> CheckConsistency(const VerifiedCheckpoint& a,
                                             const VerifiedCheckpoint& b,
                                             std::vector<Hash>* failed_proof = nullptr);

 private:
  TileHashReader& ReaderFor(const Checkpoint& checkpoint);

  std::unique_ptr<TileFetcher> fetcher_;
  std::unique_ptr<crypto::NoteVerifier> log_key_;
  std::string origin_;
  std::unique_ptr<TileHashReader> reader_;  // for the last checkpoint used
  uint64_t reader_size_ = 0;
  Hash reader_root_{};
};

// What `clearbox log monitor` keeps between runs: the last verified checkpoint and how many
// of its entries were reported.
struct MonitorState {
  std::string checkpoint;   // signed note; empty before the first poll
  uint64_t next_index = 0;  // entries [0, next_index) were reported
};
// Text form: "clearbox-log-monitor-state v1\nnext-index <n>\n\n<checkpoint note>".
std::string FormatMonitorState(const MonitorState& state);
// Errors: kInvalidInput naming the line.
Result<MonitorState> ParseMonitorState(std::string_view text);

// Evidence of a log misbehaving, for a person to show others: both checkpoints (signed, as
// served) and the consistency proof that failed.
struct ConsistencyEvidence {
  std::string reason;
  std::string older_checkpoint;  // the one seen first
  std::string newer_checkpoint;
  std::vector<Hash> proof;
  // A self-contained text document (checkpoints verbatim, proof hashes in base64).
  std::string ToText() const;
};

// Follows a log: each Poll fetches the checkpoint, checks its signature and its consistency
// with the last one seen, then reports the new entries. Not thread-safe.
class LogMonitor {
 public:
  LogMonitor(LogClient& client, MonitorState state) : client_(client), state_(std::move(state)) {}

  struct PollResult {
    uint64_t previous_size = 0;
    uint64_t size = 0;
    uint64_t entries_reported = 0;
    bool stale = false;  // the log served an older (consistent) checkpoint; state unchanged
  };
  // One round. Entries [state.next_index, size) go to `on_entry` (at most `max_entries`
  // this round); the state advances as they are reported, so an error part way keeps what
  // was done. Errors: fetch and verification errors (state unchanged); on an inconsistent
  // checkpoint kVerificationFailed and evidence() is set (state unchanged); a state
  // checkpoint that does not verify under the client's key: kVerificationFailed.
  Result<PollResult> Poll(const LogClient::EntryVisitor& on_entry,
                          uint64_t max_entries = UINT64_MAX);

  const MonitorState& state() const { return state_; }
  const std::optional<ConsistencyEvidence>& evidence() const { return evidence_; }

 private:
  LogClient& client_;
  MonitorState state_;
  std::optional<ConsistencyEvidence> evidence_;
};

}  // namespace clearbox::tlog
