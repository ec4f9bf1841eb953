#include "storage_dir_index.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "clearbox/core/thread_name.h"

namespace clearbox::tlog::internal {

namespace {

// Prepared statement with automatic finalize.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return stmt_; }
  bool ok() const { return stmt_ != nullptr; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

Error SqliteError(sqlite3* db, std::string_view what) {
  return Error::Io("index.sqlite: " + std::string(what) + ": " + sqlite3_errmsg(db));
}

Status Exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return Error::Io("index.sqlite: " + std::string(sql) + ": " + text);
  }
  return Status::Ok();
}

constexpr int kBloomProbes = 7;
constexpr uint64_t kMinBloomCapacity = 1 << 21;
constexpr size_t kCommitEntries = 1 << 18;
constexpr std::chrono::seconds kCommitDelay{2};

}  // namespace

LeafBloomFilter::LeafBloomFilter(uint64_t capacity) : capacity_(capacity) {
  uint64_t bits = 64;
  while (bits < capacity * 10) bits <<= 1;
  mask_ = bits - 1;
  words_.assign(bits / 64, 0);
}

void LeafBloomFilter::Insert(const Hash& h) {
  const uint64_t a = LoadLE64(h.data()), b = LoadLE64(h.data() + 8) | 1;
  for (int i = 0; i < kBloomProbes; ++i) {
    const uint64_t bit = (a + uint64_t(i) * b) & mask_;
    words_[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
}

bool LeafBloomFilter::MayContain(const Hash& h) const {
  const uint64_t a = LoadLE64(h.data()), b = LoadLE64(h.data() + 8) | 1;
  for (int i = 0; i < kBloomProbes; ++i) {
    const uint64_t bit = (a + uint64_t(i) * b) & mask_;
    if (!(words_[bit >> 6] & (uint64_t{1} << (bit & 63)))) return false;
  }
  return true;
}

Result<std::unique_ptr<SqliteEntryIndex>> SqliteEntryIndex::Open(const std::string& path) {
  auto open = [&](int flags) -> Result<sqlite3*> {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
      sqlite3_close(db);
      return Error::Io("open " + path + ": " + message);
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
  };
  CLEARBOX_ASSIGN_OR_RETURN(sqlite3 * db, open(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  // The schema first, so that the read-only connection finds it.
  auto setup = [&]() -> Status {
    CLEARBOX_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode=WAL"));
    CLEARBOX_RETURN_IF_ERROR(Exec(db, "PRAGMA synchronous=NORMAL"));
    CLEARBOX_RETURN_IF_ERROR(Exec(db, "PRAGMA cache_size=-65536"));  // 64 MiB of pages
    CLEARBOX_RETURN_IF_ERROR(Exec(db,
                                  "CREATE TABLE IF NOT EXISTS entries ("
                                  " leaf_hash BLOB PRIMARY KEY, idx INTEGER NOT NULL"
                                  ") WITHOUT ROWID"));
    return Exec(db,
                "CREATE TABLE IF NOT EXISTS meta ("
                " key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
  };
  if (Status s = setup(); !s.ok()) {
    sqlite3_close(db);
    return s.error();
  }
  auto reader = open(SQLITE_OPEN_READONLY);
  if (!reader.ok()) {
    sqlite3_close(db);
    return reader.error();
  }
  std::unique_ptr<SqliteEntryIndex> index(new SqliteEntryIndex(db, *reader));
  CLEARBOX_RETURN_IF_ERROR(Exec(index->reader_, "PRAGMA cache_size=-16384"));
  {
    std::lock_guard db_lock(index->db_mu_);
    CLEARBOX_ASSIGN_OR_RETURN(index->size_, index->ReadStoredSize());
  }
  index->writer_ = std::thread([raw = index.get()] {
    NameThisThread("cb-index");
    raw->WriterLoop();
  });
  {
    std::unique_lock lock(index->mu_);
    CLEARBOX_RETURN_IF_ERROR(index->RebuildFilter(lock, index->size_));
  }
  return index;
}

SqliteEntryIndex::~SqliteEntryIndex() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  sqlite3_close(reader_);
  sqlite3_close(db_);
}

Result<uint64_t> SqliteEntryIndex::ReadStoredSize() {
  Statement select(db_, "SELECT value FROM meta WHERE key = 'indexed_size'");
  if (!select.ok()) return SqliteError(db_, "read indexed_size");
  int rc = sqlite3_step(select.get());
  if (rc == SQLITE_DONE) return uint64_t{0};
  if (rc != SQLITE_ROW) return SqliteError(db_, "read indexed_size");
  sqlite3_int64 value = sqlite3_column_int64(select.get(), 0);
  if (value < 0) return Error::Io("index.sqlite: negative indexed_size");
  return static_cast<uint64_t>(value);
}

Status SqliteEntryIndex::Add(std::span<const IndexedEntry> entries) {
  if (entries.empty()) return Status::Ok();
  std::unique_lock lock(mu_);
  if (write_error_) return *write_error_;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].index != size_ + i) {
      return Error::InvalidInput("index: entry " + std::to_string(entries[i].index) +
                                 " is not the next one (" + std::to_string(size_ + i) + ")");
    }
  }
  for (const auto& e : entries) {
    pending_.emplace(e.leaf_hash, e.index);
    filter_.Insert(e.leaf_hash);
  }
  if (queue_.empty()) queued_since_ = std::chrono::steady_clock::now();
  queue_.emplace_back(entries.begin(), entries.end());
  queued_entries_ += entries.size();
  size_ += entries.size();
  cv_.notify_all();
  // Kept under half its capacity, where false positives stay rare: size it up when it gets
  // there (x4 each time, so rebuilds are rare).
  if (2 * size_ > filter_.capacity()) return RebuildFilter(lock, size_);
  return Status::Ok();
}

Status SqliteEntryIndex::RebuildFilter(std::unique_lock<std::mutex>& lock, uint64_t entries) {
  ++flush_waiters_;
  cv_.notify_all();
  cv_.wait(lock, [&] { return (queue_.empty() && !writing_) || write_error_.has_value(); });
  --flush_waiters_;
  if (write_error_) return *write_error_;
  LeafBloomFilter filter(std::max(kMinBloomCapacity, 4 * entries));
  {
    std::lock_guard reader_lock(reader_mu_);
    Statement scan(reader_, "SELECT leaf_hash FROM entries");
    if (!scan.ok()) return SqliteError(reader_, "scan");
    int rc;
    while ((rc = sqlite3_step(scan.get())) == SQLITE_ROW) {
      if (sqlite3_column_bytes(scan.get(), 0) != int(kHashSize)) continue;
      Hash h;
      std::memcpy(h.data(), sqlite3_column_blob(scan.get(), 0), kHashSize);
      filter.Insert(h);
    }
    if (rc != SQLITE_DONE) return SqliteError(reader_, "scan");
  }
  for (const auto& [h, unused] : pending_) filter.Insert(h);
  for (const auto& [h, unused] : committing_) filter.Insert(h);
  filter_ = std::move(filter);
  return Status::Ok();
}

uint64_t SqliteEntryIndex::size() {
  std::lock_guard lock(mu_);
  return size_;
}

Result<std::vector<std::optional<uint64_t>>> SqliteEntryIndex::Lookup(
    std::span<const Hash> leaf_hashes) {
  std::vector<std::optional<uint64_t>> out(leaf_hashes.size());
  std::vector<size_t> misses;
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < leaf_hashes.size(); ++i) {
      if (!filter_.MayContain(leaf_hashes[i])) continue;  // certainly new: the common case
      if (auto it = pending_.find(leaf_hashes[i]); it != pending_.end()) {
        out[i] = it->second;
      } else if (auto c = committing_.find(leaf_hashes[i]); c != committing_.end()) {
        out[i] = c->second;
      } else {
        misses.push_back(i);
      }
    }
  }
  if (misses.empty()) return out;
  // Looking keys up in sorted order walks the B-tree pages in order: fewer cache misses.
  std::sort(misses.begin(), misses.end(),
            [&](size_t a, size_t b) { return leaf_hashes[a] < leaf_hashes[b]; });
  std::lock_guard reader_lock(reader_mu_);
  Statement select(reader_, "SELECT idx FROM entries WHERE leaf_hash = ?");
  if (!select.ok()) return SqliteError(reader_, "prepare lookup");
  for (size_t i : misses) {
    sqlite3_reset(select.get());
    sqlite3_bind_blob(select.get(), 1, leaf_hashes[i].data(), kHashSize, SQLITE_STATIC);
    int rc = sqlite3_step(select.get());
    if (rc == SQLITE_ROW) {
      out[i] = static_cast<uint64_t>(sqlite3_column_int64(select.get(), 0));
    } else if (rc != SQLITE_DONE) {
      return SqliteError(reader_, "lookup");
    }
  }
  return out;
}

Status SqliteEntryIndex::Commit(std::vector<IndexedEntry>& entries) {
  const uint64_t indexed_size = entries.back().index + 1;
  // In key order, the inserts walk the B-tree from left to right instead of jumping to a
  // random page each time: a third of the CPU, and every page is touched once.
  std::sort(entries.begin(), entries.end(), [](const IndexedEntry& a, const IndexedEntry& b) {
    return a.leaf_hash < b.leaf_hash;
  });
  CLEARBOX_RETURN_IF_ERROR(Exec(db_, "BEGIN"));
  Statement insert(db_, "INSERT OR IGNORE INTO entries (leaf_hash, idx) VALUES (?, ?)");
  Statement meta(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES ('indexed_size', ?)");
  Status status;
  if (!insert.ok() || !meta.ok()) status = SqliteError(db_, "prepare insert");
  for (size_t i = 0; status.ok() && i < entries.size(); ++i) {
    sqlite3_reset(insert.get());
    sqlite3_bind_blob(insert.get(), 1, entries[i].leaf_hash.data(), kHashSize, SQLITE_STATIC);
    sqlite3_bind_int64(insert.get(), 2, static_cast<sqlite3_int64>(entries[i].index));
    if (sqlite3_step(insert.get()) != SQLITE_DONE) status = SqliteError(db_, "insert");
  }
  if (status.ok()) {
    sqlite3_bind_int64(meta.get(), 1, static_cast<sqlite3_int64>(indexed_size));
    if (sqlite3_step(meta.get()) != SQLITE_DONE) status = SqliteError(db_, "update indexed_size");
  }
  if (!status.ok()) {
    (void)Exec(db_, "ROLLBACK");
    return status;
  }
  return Exec(db_, "COMMIT");
}

void SqliteEntryIndex::WriterLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    // Commits are large and rare: a leaf hash lands on a random page of the B-tree, so a
    // commit of n entries rewrites up to n pages (into the WAL, later into the database); one
    // commit of 256k entries costs about what one of 4k does once the index is large. Lookups
    // meanwhile see the queued entries through pending_.
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    const auto due = queued_since_ + kCommitDelay;
    cv_.wait_until(lock, due, [&] {
      return stop_ || flush_waiters_ > 0 || queued_entries_ >= kCommitEntries;
    });
    if (queue_.empty()) {
      if (stop_) return;
      continue;
    }
    std::vector<IndexedEntry> batch;
    batch.reserve(queued_entries_);
    for (auto& q : queue_) batch.insert(batch.end(), q.begin(), q.end());
    queue_.clear();
    queued_entries_ = 0;
    // Lookups find these in committing_ until the commit is done (a swap, not n erases under
    // the lock that every lookup takes).
    committing_ = std::move(pending_);
    pending_ = {};
    writing_ = true;
    lock.unlock();
    Status status;
    {
      std::lock_guard db_lock(db_mu_);
      status = Commit(batch);
    }
    lock.lock();
    writing_ = false;
    if (!status.ok() && !write_error_) write_error_ = status.error();
    // After a failed commit the index is read-only (write_error_): keep answering from memory.
    auto committed = std::move(committing_);
    committing_ = {};
    if (!status.ok()) pending_.merge(committed);
    cv_.notify_all();
    lock.unlock();
    committed = {};  // freed outside the lock
    lock.lock();
  }
}

Status SqliteEntryIndex::Flush() {
  std::unique_lock lock(mu_);
  ++flush_waiters_;
  cv_.notify_all();
  cv_.wait(lock, [&] { return (queue_.empty() && !writing_) || write_error_.has_value(); });
  --flush_waiters_;
  if (write_error_) return *write_error_;
  return Status::Ok();
}

Status SqliteEntryIndex::Truncate(uint64_t size) {
  CLEARBOX_RETURN_IF_ERROR(Flush());
  std::lock_guard lock(mu_);
  std::lock_guard db_lock(db_mu_);
  Statement del(db_, "DELETE FROM entries WHERE idx >= ?");
  Statement meta(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES ('indexed_size', ?)");
  if (!del.ok() || !meta.ok()) return SqliteError(db_, "prepare truncate");
  CLEARBOX_RETURN_IF_ERROR(Exec(db_, "BEGIN"));
  sqlite3_bind_int64(del.get(), 1, static_cast<sqlite3_int64>(size));
  sqlite3_bind_int64(meta.get(), 1, static_cast<sqlite3_int64>(std::min(size, size_)));
  if (sqlite3_step(del.get()) != SQLITE_DONE || sqlite3_step(meta.get()) != SQLITE_DONE) {
    Status status = SqliteError(db_, "truncate");
    (void)Exec(db_, "ROLLBACK");
    return status;
  }
  CLEARBOX_RETURN_IF_ERROR(Exec(db_, "COMMIT"));
  size_ = std::min(size, size_);
  return Status::Ok();
}

}  // namespace clearbox::tlog::internal
