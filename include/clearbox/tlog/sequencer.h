// The sequencer: turns submitted entries into a growing, witnessed, durable tiled log.
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto sequencer,
//                             Sequencer::Start(*storage, config, std::move(signer), &transport));
//   sequencer->Add(entry, [](Result<AddResult> r) { /* r->index, r->proof */ });
//   ...
//   sequencer->Stop();
//
// One thread integrates batches (up to batch_max_entries, waiting at most batch_max_delay for
// a batch to fill):
//   1. deduplicate (an entry already in the log gets its existing index back),
//   2. append the new entries to the tree and entry bundles (tlog-core's TreeTiler and
//      EntryBundler) and write the changed tiles durably (LogStorage::WriteTiles),
//   3. sign a checkpoint for the new size, collect witness cosignatures (when witnesses are
//      configured, at least the quorum of them), publish it atomically,
//   4. answer each entry with a c2sp.org/tlog-proof@v1 (index, inclusion proof, checkpoint).
// An entry is answered only once it is durable and covered by a published checkpoint. A
// checkpoint is published only when the tree grew, except that with witnesses a quiet log
// asks for fresh cosignatures every republish_interval.
//
// Crash safety: tiles are durable before any checkpoint (or witness request) names them. On
// Start the sequencer verifies the published checkpoint against the tiles and rolls forward
// over entries that are durable but were never published (a crash between steps 2 and 3):
// it re-derives their tiles, re-indexes them and publishes. Since every checkpoint the log
// ever signed covers only durable entries, and recovery keeps every durable entry, the log
// can never sign two different trees of one size or an inconsistent pair.
//
// Errors reported to Add callbacks: kLimitExceeded (entry larger than max_entry_size),
// kUnavailable (queue full, shutting down, or the witnesses did not cosign in time; retrying
// later is safe: identical entries are deduplicated), kIo (storage failed; the sequencer then
// refuses further work until restarted, which recovers).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/crypto/note.h"
#include "clearbox/tlog/log_config.h"
#include "clearbox/tlog/storage.h"
#include "clearbox/tlog/witness.h"

namespace clearbox::tlog {

namespace internal {
class TileHashCache;
}

struct AddResult {
  uint64_t index = 0;
  bool duplicate = false;  // the entry was already in the log
  std::string proof;       // c2sp.org/tlog-proof@v1 text
};
using AddCallback = std::function<void(Result<AddResult>)>;

// Settings that are not part of the log's config.
struct SequencerOptions {
  size_t max_queued_entries = 1 << 20;           // beyond: kUnavailable (back-pressure)
  std::chrono::milliseconds publish_retry{500};  // after the witnesses failed us
  std::chrono::seconds partial_grace{60};        // keep superseded partial tiles this long
  bool compute_proofs = true;                    // false: AddResult::proof stays empty
  std::function<void(const std::string&)> log;   // warnings and notices (may be empty)
};

struct SequencerStats {
  uint64_t tree_size = 0;  // published
  uint64_t batches = 0;    // batches that grew the tree
  uint64_t entries = 0;    // new entries sequenced since start
  uint64_t duplicates = 0;
  uint64_t checkpoints = 0;        // checkpoints published since start
  uint64_t recovered_entries = 0;  // rolled forward at start
};

class Sequencer {
 public:
  // Recovers the log in `storage` (see above) and starts sequencing. `signer` must be the key
  // of config.log_key. `transport` reaches the witnesses (may be null if config lists none)
  // and must outlive the sequencer, as must `storage`.
  // Errors: kInvalidInput (signer does not match log_key, invalid config), kVerificationFailed
  // (the published checkpoint does not verify or does not match the tiles: the directory
  // was tampered with or damaged; the error names what), kIo.
  static Result<std::unique_ptr<Sequencer>> Start(LogStorage& storage, const LogConfig& config,
                                                  std::unique_ptr<crypto::NoteSigner> signer,
                                                  WitnessTransport* transport,
                                                  SequencerOptions options = {});
  ~Sequencer();  // Stop()
  Sequencer(const Sequencer&) = delete;
  Sequencer& operator=(const Sequencer&) = delete;

  // Submits an entry. `done` is called exactly once: inline for an immediate refusal, else on
  // the sequencer thread. Thread-safe.
  void Add(Bytes entry, AddCallback done);
  // As Add, with the leaf hash already computed by the caller (spreads hashing over the
  // callers' threads). `leaf_hash` must be LeafHash(entry).
  void AddHashed(Bytes entry, const Hash& leaf_hash, AddCallback done);

  // Finishes the batch in progress, then fails queued and unpublished entries with
  // kUnavailable. Idempotent.
  void Stop();

  // The latest published checkpoint (signed note with cosignatures). Thread-safe.
  std::shared_ptr<const std::string> checkpoint() const;
  SequencerStats stats() const;

 private:
  struct Pending {
    Bytes entry;
    Hash leaf_hash;
    AddCallback done;
  };
  struct Waiter {
    uint64_t index;
    bool duplicate;
    AddCallback done;
  };

  Sequencer(LogStorage& storage, LogConfig config, std::unique_ptr<crypto::NoteSigner> signer,
            SequencerOptions options);
  Status Recover();
  void Run();
  void ProcessBatch(std::vector<Pending> batch);
  Status Publish(bool republish);
  void AnswerWaiters();
  void FailAll(const Error& error, std::vector<Pending> queued);
  void Log(const std::string& message) const;

  LogStorage& storage_;
  const LogConfig config_;
  std::unique_ptr<crypto::NoteSigner> signer_;
  SequencerOptions options_;
  std::unique_ptr<WitnessCosigner> cosigner_;
  std::unique_ptr<internal::TileHashCache> hashes_;

  // Sequencer-thread state.
  TreeTiler tiler_;
  EntryBundler bundler_;
  uint64_t published_size_ = 0;
  std::string published_note_;
  std::chrono::steady_clock::time_point last_publish_;
  std::chrono::steady_clock::time_point retry_at_;
  std::deque<Waiter> waiters_;  // ascending index order is not required
  // Full tiles (path only) written since the last publish, and those published, whose
  // partial versions may be deleted once the grace period is over.
  std::vector<TileData> unpublished_full_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::vector<TileData>>> superseded_;
  std::optional<Error> broken_;

  // Shared with submitters.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  std::chrono::steady_clock::time_point first_queued_;
  bool stop_ = false;
  bool stopped_ = false;
  std::shared_ptr<const std::string> checkpoint_;
  SequencerStats stats_;
  std::thread thread_;
};

}  // namespace clearbox::tlog
