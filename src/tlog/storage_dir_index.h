// The directory backend's deduplication index: leaf hash -> entry index.
//
//   dir/index/leaves   the leaf hash of every indexed entry, 32 bytes each, in index order
//   dir/index/table    an open-addressing hash table over them, memory-mapped: a 4 KiB header
//                      (magic, slot count, synced size), then 16-byte slots
//                      {first 8 bytes of the leaf hash, index + 1}, little-endian
//
// Leaf hashes are uniformly random, so their first bytes pick the slot; one lookup of a new
// entry (the common case) costs about one cache miss. The table only proposes candidates: a
// candidate is confirmed against the full leaf hash in `leaves`, so a slot left stale by a
// crash (its index now holds another entry, or lies beyond what is durable) can never give a
// wrong answer. A B-tree (SQLite, as before) costs a page walk and a record compare per entry
// and rewrites random pages on commit: 2.3 s of CPU per million entries, the sequencer's
// largest cost; this costs about 0.1 s.
//
// Durability: Add writes to the page cache only. A background thread (cb-index) syncs both
// files every 10 s and only then records, in the header, how many entries are durable. After a
// crash the index resumes from that size and the sequencer re-indexes the rest from the
// level-0 tiles, which are the durable truth. (Random inserts dirty every page of the table,
// so each sync rewrites it whole: rarely, and off the sequencer's path.)
//
// Growth: kept at most half full; past that the table is rebuilt at 4x its slots from
// `leaves` (one sequential read), which also drops stale slots. The rebuild holds the index
// (about 0.1 s per million entries); the new table is synced later, by the background sync.
//
// A damaged table (wrong magic or size, a synced size `leaves` does not cover) is discarded:
// the index starts empty and is rebuilt from the tiles. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "clearbox/core/file.h"
#include "clearbox/core/result.h"
#include "clearbox/tlog/storage.h"

namespace clearbox::tlog::internal {

class LeafIndex {
 public:
  // Opens or creates the index in directory `dir` (made if missing). `log` hears why a
  // damaged index was discarded; may be empty. Errors: kIo naming the path.
  static Result<std::unique_ptr<LeafIndex>> Open(const std::string& dir,
                                                 std::function<void(const std::string&)> log);
  ~LeafIndex();  // Syncs what was added.
  LeafIndex(const LeafIndex&) = delete;
  LeafIndex& operator=(const LeafIndex&) = delete;

  // Adds entries, which must be contiguous from size(). Errors: kInvalidInput (not
  // contiguous), kIo (a write or an earlier background sync failed).
  Status Add(std::span<const IndexedEntry> entries);
  Result<std::vector<std::optional<uint64_t>>> Lookup(std::span<const Hash> leaf_hashes);
  // Entries [0, size()) are known.
  uint64_t size();
  // Makes every added entry durable. Errors: kIo.
  Status Sync();
  // Forgets entries >= size. Errors: kIo.
  Status Truncate(uint64_t size);

 private:
  struct Table;  // one mapping of the table file
  LeafIndex(std::string dir, UniqueFd leaves, std::shared_ptr<Table> table, uint64_t size);

  // mu_ held by all of these.
  std::optional<uint64_t> Find(const Hash& leaf_hash) const;
  bool Insert(Table& table, uint64_t tag, uint64_t index) const;  // false: no free slot
  Status Grow(uint64_t entries);  // a new table with room for `entries`, filled from leaves
  Status ReadLeaf(uint64_t index, Hash& out) const;

  void SyncLoop();

  const std::string dir_;
  const UniqueFd leaves_;

  std::mutex mu_;
  std::shared_ptr<Table> table_;  // replaced by Grow; Sync keeps the one it is syncing alive
  uint64_t size_;
  std::optional<Error> sync_error_;

  std::mutex sync_mu_;  // one Sync at a time
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread syncer_;
};

}  // namespace clearbox::tlog::internal
