// The directory backend's deduplication index: leaf hash -> entry index, in SQLite.
//
// Writes go to a background thread (Add returns at once), so indexing never holds up the
// sequencer; lookups see pending writes too. The writer commits every 256k entries or 2 s
// (random keys make small commits rewrite most of the B-tree's pages each time). SQLite runs
// in WAL mode with synchronous=NORMAL: a commit is atomic but not fsynced, so after a power
// cut the index may lack the last batches. That is by design: `indexed_size` (stored in the
// same transactions) tells the sequencer where to resume re-indexing from the entry bundles,
// which are the durable truth.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/tlog/storage.h"

struct sqlite3;

namespace clearbox::tlog::internal {

// A Bloom filter over leaf hashes (already uniformly random, so their bytes are the hash
// functions): 10 bits per entry of capacity and 7 probes; the index keeps it under half full
// (20+ bits per entry, about 0.02% false positives). Lets the index answer
// "not in the log" for a new entry, the common case, without touching SQLite.
class LeafBloomFilter {
 public:
  explicit LeafBloomFilter(uint64_t capacity);
  void Insert(const Hash& h);
  bool MayContain(const Hash& h) const;
  uint64_t capacity() const { return capacity_; }

 private:
  uint64_t capacity_;
  uint64_t mask_;
  std::vector<uint64_t> words_;
};

class SqliteEntryIndex {
 public:
  // Opens or creates the database at `path`. Errors: kIo naming the path and SQLite's message.
  static Result<std::unique_ptr<SqliteEntryIndex>> Open(const std::string& path);
  ~SqliteEntryIndex();  // Flushes pending writes.

  // Queues entries (contiguous, starting at size()). Errors: kInvalidInput (not contiguous),
  // kIo (an earlier background write failed; the index is then read-only).
  Status Add(std::span<const IndexedEntry> entries);
  Result<std::vector<std::optional<uint64_t>>> Lookup(std::span<const Hash> leaf_hashes);
  // Entries [0, size()) are known (queued or written).
  uint64_t size();
  // Waits until queued writes are committed. Errors: kIo.
  Status Flush();
  // Drops entries >= size. Errors: kIo.
  Status Truncate(uint64_t size);

 private:
  SqliteEntryIndex(sqlite3* db, sqlite3* reader) : db_(db), reader_(reader) {}
  void WriterLoop();
  // On the writer thread, db_mu_ held. Sorts `entries`.
  Status Commit(std::vector<IndexedEntry>& entries);
  Result<uint64_t> ReadStoredSize();                        // db_mu_ held
  // Sizes the filter for at least `entries` and fills it from the database and pending_.
  // mu_ held; waits for the writer to be idle.
  Status RebuildFilter(std::unique_lock<std::mutex>& lock, uint64_t entries);

  struct HashHasher {
    size_t operator()(const Hash& h) const {
      size_t v;
      std::memcpy(&v, h.data(), sizeof v);  // already uniformly distributed
      return v;
    }
  };

  // Two connections: WAL lets the reader look entries up while the writer commits, so a
  // lookup never waits for a large background transaction.
  sqlite3* db_;       // writes (the writer thread, Truncate)
  std::mutex db_mu_;  // serializes use of db_
  sqlite3* reader_;   // lookups and filter rebuilds
  std::mutex reader_mu_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<IndexedEntry>> queue_;             // batches not yet committed
  size_t queued_entries_ = 0;                               // in queue_
  std::chrono::steady_clock::time_point queued_since_;      // when queue_ last became non-empty
  int flush_waiters_ = 0;                                   // Flush/RebuildFilter calls waiting
  std::unordered_map<Hash, uint64_t, HashHasher> pending_;  // the same, for lookups
  std::unordered_map<Hash, uint64_t, HashHasher> committing_;  // being committed
  LeafBloomFilter filter_{0};  // every entry queued or stored; guarded by mu_
  uint64_t size_ = 0;          // queued up to here
  bool writing_ = false;       // the writer holds a batch it took from queue_
  bool stop_ = false;
  std::optional<Error> write_error_;
  std::thread writer_;
};

}  // namespace clearbox::tlog::internal
