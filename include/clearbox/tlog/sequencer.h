// The sequencer: turns submitted entries into a growing, witnessed, durable tiled log.
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto sequencer,
//                             Sequencer::Start(*storage, config, std::move(signer), &transport));
//   sequencer->Add(entry, [](Result<AddResult> r) { /* r->index, r->Proof() */ });
//   ...
//   sequencer->Stop();
//
// Two threads form a pipeline, so that the disk waits of one batch overlap the next:
//   integrator: takes a batch (up to batch_max_entries, waiting at most batch_max_delay for
//     it to fill), deduplicates it (an entry already in the log gets its existing index back),
//     appends the new entries to the tree and entry bundles (tlog-core's TreeTiler and
//     EntryBundler), indexes them, and starts writing the changed tiles durably
//     (LogStorage::WriteTiles, on a helper thread); while that write waits on the disk it
//     takes and integrates the next batch. A batch is handed to the publisher only once its
//     write has returned, in order, and the next write starts only then.
//   publisher: takes the newest tree head handed over (several batches become one checkpoint
//     when it falls behind), signs a checkpoint, collects witness cosignatures (when witnesses
//     are configured, at least the quorum), publishes it atomically, and answers each covered
//     entry with its index, the checkpoint and an immutable snapshot of the tree's hashes, from
//     which AddResult::Proof() builds the c2sp.org/tlog-proof@v1 on the answering thread (an
//     HTTP loop), not on the publisher's.
// An entry is answered only once it is durable and covered by a published checkpoint. A
// checkpoint is published only when the tree grew, except that with witnesses a quiet log
// asks for fresh cosignatures every republish_interval.
//
// Crash safety: tiles are durable before any checkpoint (or witness request) names them. On
// Start the sequencer verifies the published checkpoint against the tiles and rolls forward
// over entries that are durable but were never published (a crash between the stages):
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
#include <future>
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
class HashSnapshot;
}  // namespace internal

struct AddResult {
  uint64_t index = 0;
  bool duplicate = false;  // the entry was already in the log
  // The published signed checkpoint (with cosignatures) that covers the entry.
  std::shared_ptr<const std::string> checkpoint;
  // The entry's c2sp.org/tlog-proof@v1 text (index, inclusion proof, checkpoint). Built on
  // each call, on the caller's thread, from `hashes`; thread-safe. It may read tiles the
  // snapshot lacks (an old entry's) from the log's storage, which must still be open.
  // Errors: kIo, kNotFound, kInvalidInput (a damaged tile).
  Result<std::string> Proof() const;
  std::shared_ptr<internal::HashSnapshot> hashes;  // the tree of the checkpoint's size
};
using AddCallback = std::function<void(Result<AddResult>)>;

// Settings that are not part of the log's config.
struct SequencerOptions {
  size_t max_queued_entries = 1 << 20;           // beyond: kUnavailable (back-pressure)
  uint64_t max_unpublished_entries = 1 << 20;    // integrator waits for the publisher
  std::chrono::milliseconds publish_retry{500};  // after the witnesses failed us
  std::chrono::seconds partial_grace{60};        // keep superseded partial tiles this long
  std::function<void(const std::string&)> log;   // warnings and notices (may be empty)
};

struct SequencerStats {
  uint64_t tree_size = 0;  // published
  uint64_t batches = 0;    // batches that grew the tree
  uint64_t entries = 0;    // new entries sequenced since start
  uint64_t duplicates = 0;
  uint64_t checkpoints = 0;        // checkpoints published since start
  uint64_t recovered_entries = 0;  // rolled forward at start
  // Where the sequencer thread's time went (for benchmarks and tuning).
  std::chrono::nanoseconds lookup_time{0};     // deduplication lookups
  std::chrono::nanoseconds integrate_time{0};  // tree and bundle building
  std::chrono::nanoseconds write_time{0};      // durable tile writes and indexing
  std::chrono::nanoseconds publish_time{0};    // signing, witnesses, checkpoint write
  std::chrono::nanoseconds answer_time{0};     // proof snapshots and callbacks
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
  // one of the sequencer's threads. Thread-safe.
  void Add(Bytes entry, AddCallback done);
  // As Add, with the leaf hash already computed by the caller (spreads hashing over the
  // callers' threads). `leaf_hash` must be LeafHash(entry).
  void AddHashed(Bytes entry, const Hash& leaf_hash, AddCallback done);

  // Finishes the batch in progress and tries once to publish what is durable, then fails
  // queued and unpublished entries with kUnavailable. Idempotent.
  void Stop();

  // The latest published checkpoint (signed note with cosignatures). Thread-safe.
  std::shared_ptr<const std::string> checkpoint() const;
  SequencerStats stats() const;

 private:
  struct Pending {
    Bytes entry;
    Hash leaf_hash;
    AddCallback done;
    std::chrono::steady_clock::time_point queued_at;
  };
  struct Waiter {
    uint64_t index;
    bool duplicate;
    AddCallback done;
  };
  // What the integrator hands the publisher after a batch.
  struct Staged {
    uint64_t size = 0;  // the tree after the batch
    Hash root{};
    std::vector<TileData> hash_tiles;  // written by the batch (for the publisher's cache)
    std::vector<TileData> full_tiles;  // paths of tiles that became full
    std::vector<Waiter> waiters;
  };

  Sequencer(LogStorage& storage, LogConfig config, std::unique_ptr<crypto::NoteSigner> signer,
            SequencerOptions options);
  Status Recover();
  void IntegratorLoop();
  void Integrate(std::vector<Pending> batch);
  // Waits for the oldest batch being written, then hands it to the publisher (or fails its
  // waiters). FinishWrites does so for every batch in flight.
  void FinishWrite();
  void FinishWrites();
  void PublisherLoop();
  void TakeStaged(std::deque<Staged> staged);
  Status Publish(bool republish);
  void AnswerWaiters();
  void Log(const std::string& message) const;

  LogStorage& storage_;
  const LogConfig config_;
  std::unique_ptr<crypto::NoteSigner> signer_;
  SequencerOptions options_;

  // Integrator thread.
  TreeTiler tiler_;
  EntryBundler bundler_;
  std::optional<Error> broken_;
  // Batches whose tiles are being written, oldest first: up to kWritesInFlight, so that one
  // batch's fsync overlaps the next one's write.
  static constexpr size_t kWritesInFlight = 2;
  struct InFlight {
    std::vector<TileData> tiles;  // hash tiles first, then entry bundles
    size_t hash_tiles = 0;
    uint64_t entries = 0;
    Staged staged;
    std::chrono::steady_clock::time_point started, finished;
    std::future<Status> written;
    bool done = false;  // written is ready; guarded by mu_
  };
  std::deque<std::unique_ptr<InFlight>> in_flight_;

  // Publisher thread.
  std::unique_ptr<WitnessCosigner> cosigner_;
  std::unique_ptr<internal::TileHashCache> hashes_;
  uint64_t target_size_ = 0;  // the newest durable tree handed over
  Hash target_root_{};
  std::string published_note_;
  std::chrono::steady_clock::time_point last_publish_;
  std::chrono::steady_clock::time_point retry_at_;
  std::deque<Waiter> waiters_;
  // Full tiles (path only) not yet covered by a checkpoint, and those covered, whose partial
  // versions may be deleted once the grace period is over.
  std::vector<TileData> unpublished_full_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::vector<TileData>>> superseded_;

  // Shared, guarded by mu_.
  mutable std::mutex mu_;
  std::condition_variable integrator_cv_, publisher_cv_;
  std::deque<Pending> queue_;
  std::chrono::steady_clock::time_point first_queued_;  // queued_at of queue_.front()
  std::deque<Staged> staged_;
  uint64_t published_size_ = 0;  // written by the publisher (and Start)
  bool stop_integrator_ = false;
  bool stop_publisher_ = false;
  bool stopped_ = false;  // Add refuses from now on
  std::shared_ptr<const std::string> checkpoint_;
  SequencerStats stats_;
  std::thread integrator_, publisher_;
};

}  // namespace clearbox::tlog
