// The directory backend's write-ahead journal: how a batch of tiles becomes durable with one
// fdatasync instead of several per file, and a checkpoint is published with none.
//
// Each batch (its hash tiles and entry bundles, ~35 files for 4096 entries) is appended to
// DIR/journal/<seq> as one checksummed record and the journal file is fdatasynced: that is the
// durability point. The tile files themselves are then written to the page cache (temp name,
// rename) without any fsync, and so is the checkpoint when it is published. Each record also
// carries the checkpoint published last before it, so the journal always holds a signed
// checkpoint at most one batch older than the published one. When a journal file grows past
// its limit a new one is started and the old one is retired on a background thread: syncfs()
// makes every file written so far durable (the checkpoint included), then the old journal is
// deleted. On open, every journal file left over is replayed in order (a record's tiles are
// written again, which is idempotent), the newest checkpoint it holds replaces the published
// one if that one is older or was torn by the crash, all is made durable with syncfs(), and
// the journal is deleted. A torn last record (a batch whose WriteTiles never returned, so
// nothing acknowledged it) is ignored and reported.
//
// Why this is safe: an entry is acknowledged only once its record is durable and a checkpoint
// covering it was published; after a crash the sequencer starts from the journal's checkpoint
// (or a newer intact one) and rolls forward over the durable bundles beyond it, re-deriving
// the same tree, so it can only re-publish the same roots. Why: the tlog-tiles layout makes
// every tile and bundle a file of its own, and making ~35 new files and a checkpoint durable
// costs many dependent disk writes and cache flushes, while one append of the same bytes costs
// one. See bench/README.md (tlog) for the figures.
//
// Record (all integers big-endian):
//   "CBJ2" | u32 tile count | u64 payload length | u32 CRC-32 of the payload | payload
//   payload: u32 checkpoint length | checkpoint (signed note, may be empty)
//            then per tile: u16 path length | path | u32 data length | data
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/file.h"
#include "clearbox/core/result.h"
#include "clearbox/tlog/tiles.h"

namespace clearbox::tlog::internal {

struct JournalRecord {
  std::string checkpoint;  // published before the batch ("" if none yet)
  std::vector<TileData> tiles;
};

// Appends the record for a batch to `out`.
void EncodeJournalRecord(std::string_view checkpoint, std::span<const TileData> tiles, Bytes& out);

// Calls `visit` for each intact record of a journal file, in order, and stops at the first
// damaged one (a torn tail) or at the first error `visit` returns (which it returns). Every
// path must be a canonical tile or bundle path (ParseTilePath): a record naming anything else
// is damage, so a damaged journal can never make the replay write outside the tile tree.
struct JournalScan {
  uint64_t valid_bytes = 0;  // the bytes up to the end of the last intact record
  std::string damage;        // empty, or what stopped the scan and where
};
Result<JournalScan> ScanJournal(ByteView file, const std::function<Status(JournalRecord)>& visit);

// What a journal file holds: its complete, intact records in order, and where they end.
struct ParsedJournal {
  std::vector<JournalRecord> records;
  uint64_t valid_bytes = 0;  // the bytes up to the end of the last intact record
  std::string damage;        // empty, or what stopped the parse and where (a torn tail)
};
// ScanJournal collecting every record (for tests and fuzzing). Never fails: damage ends it.
ParsedJournal ParseJournal(ByteView file);

// What the journal asks of its storage when it replays: write one tile file (temp name,
// rename into place, directories created, no fsync), and adopt the newest checkpoint the
// journal holds if the published one is older or unreadable (also without fsync: the replay's
// syncfs follows).
struct JournalReplayTarget {
  std::function<Status(const TileData&)> write_tile;
  std::function<Status(const std::string&)> offer_checkpoint;
};

class TileJournal {
 public:
  // Opens DIR/journal, replays what a crash left there through `write` (then syncfs and
  // deletes it) and starts a new journal file. `log` receives notices (may be empty).
  // Errors: kIo naming the file.
  static Result<std::unique_ptr<TileJournal>> Open(const std::string& log_dir,
                                                   const JournalReplayTarget& target,
                                                   std::function<void(const std::string&)> log,
                                                   uint64_t limit);
  ~TileJournal();  // waits for a retirement in progress
  TileJournal(const TileJournal&) = delete;
  TileJournal& operator=(const TileJournal&) = delete;

  // Appends the batch, with the checkpoint published last, and fdatasyncs the journal: once
  // this returns, the batch survives a crash. Errors: kIo.
  Status Append(std::string_view checkpoint, std::span<const TileData> tiles);
  // Append in two steps, so that one batch's fdatasync can overlap the next batch's write:
  // Write appends the record (page cache only); Sync makes every record written before it
  // durable. Write and Rotate must be serialized by the caller; Sync may run at the same time
  // as a Write, but not as a Rotate. Errors: kIo.
  Status Write(std::string_view checkpoint, std::span<const TileData> tiles);
  Status Sync();

  // True once a record of this journal (since Open) is durable.
  bool has_records() const { return appended_.load() > 0; }

  // True once the current file holds `limit` bytes or more.
  bool NeedsRotation() const { return size_ >= limit_; }
  // Starts a new journal file, whose first record carries `checkpoint` (the one published
  // last), and retires the current one in the background (syncfs, then delete). The caller
  // must have written the tile files of every batch appended so far: syncfs makes durable
  // only what is in the page cache. Errors: kIo (also reports a failed earlier retirement:
  // the tiles it covered may not be durable, so its journal file is kept for the next open to
  // replay).
  Status Rotate(std::string_view checkpoint);

  // A clean close: waits for a retirement in progress, makes the tile files durable (syncfs,
  // skipped when nothing was appended since open) and deletes the current file, so that the
  // next open has nothing to replay. The caller must have written the tile files of every
  // batch appended. The journal is closed afterwards, whatever the outcome. Errors: kIo (the
  // file is then kept, for the next open to replay).
  Status Close();

  // Records replayed by Open (for tests and the start-up message).
  uint64_t replayed_records() const { return replayed_records_; }

 private:
  TileJournal(std::string dir, uint64_t limit) : dir_(std::move(dir)), limit_(limit) {}
  Status StartFile();

  std::string dir_;  // DIR/journal
  uint64_t limit_;
  uint64_t seq_ = 0;
  UniqueFd fd_;
  uint64_t size_ = 0;
  Bytes buffer_;                  // reused record buffer
  std::future<Status> retiring_;  // syncfs + unlink of the previous journal file
  uint64_t replayed_records_ = 0;
  std::atomic<uint64_t> appended_{0};  // records synced; read by the publisher's thread
};

}  // namespace clearbox::tlog::internal
