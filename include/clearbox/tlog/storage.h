// Where a transparency log keeps its state: the published checkpoint, the C2SP tlog-tiles hash
// tiles and entry bundles, the deduplication index and the log's configuration.
//
// One interface, several backends: the directory backend below is the embedded default (its
// files are the static tlog-tiles layout, servable as is by any web server or CDN); a shared
// database backend (PostgreSQL) implements the same calls later.
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto storage, OpenDirectoryStorage("/srv/log"));
//   CLEARBOX_ASSIGN_OR_RETURN(LogConfig config, storage->ReadConfig());
//   // the sequencer: WriteTiles(batch) -> IndexEntries(batch) -> PublishCheckpoint(note)
//
// Durability contract (what makes "a crash at any instant loses no acknowledged entry" hold):
// WriteTiles returns only once every tile and bundle it was given survives a crash;
// PublishCheckpoint replaces the checkpoint atomically (a reader sees the old one or the new
// one, never a mix). The sequencer calls them in that order, so a published checkpoint never
// covers a tile that could be lost. After a crash ReadCheckpoint returns an intact checkpoint
// the log published, at most one batch older than the last one published: a backend may let
// the checkpoint's own durability wait for the next WriteTiles, since the sequencer's recovery
// rolls forward over the durable tiles beyond it to the same tree. The index may lag behind the
// tiles after a crash (IndexedSize says how far it got); the sequencer re-indexes the rest.
//
// Thread-safety: Fetch/ReadCheckpoint/LookupEntries may be called from any thread at any
// time. The sequencer calls WriteTiles (its integrator's writers), IndexEntries/LookupEntries
// (its integrator) and PublishCheckpoint/DeleteSupersededPartials (its publisher): those three
// groups may run at once. Each group is called from one thread at a time, except WriteTiles:
// the sequencer keeps up to two calls in flight, so that one batch's sync overlaps the next
// one's write. Overlapping calls may be applied and become durable in either order (the
// sequencer hands batches over in order, each only once its own call has returned); they
// never write one path with different data, since a tile's or bundle's path names its content.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/tlog/log_config.h"
#include "clearbox/tlog/merkle.h"
#include "clearbox/tlog/tiles.h"

namespace clearbox::tlog {

// An entry of the deduplication index: the entry's RFC 6962 leaf hash and its index.
struct IndexedEntry {
  Hash leaf_hash;
  uint64_t index = 0;
};

class LogStorage : public TileFetcher {
 public:
  ~LogStorage() override = default;

  // TileFetcher: reads "checkpoint", "tile/<L>/<N>[.p/<W>]" and "tile/entries/<N>[.p/<W>]".
  // Errors: kNotFound, kIo, kLimitExceeded (larger than max_size), kInvalidInput for a path
  // that is not one of those.
  // Result<Bytes> Fetch(const std::string& path, size_t max_size) override;

  // The log's configuration. Errors: kNotFound (not a log: run `clearbox log init`), kIo,
  // kInvalidInput (a broken config).
  virtual Result<LogConfig> ReadConfig() = 0;
  // Replaces the configuration durably. Errors: kIo, kInvalidInput (it does not validate).
  virtual Status WriteConfig(const LogConfig& config) = 0;

  // The published signed checkpoint. Errors: kNotFound (never published), kIo.
  virtual Result<std::string> ReadCheckpoint() = 0;
  // Replaces the published checkpoint atomically (see the durability contract). Errors: kIo.
  virtual Status PublishCheckpoint(std::string_view signed_note) = 0;

  // Makes hash tiles and entry bundles durable (TileData::path says which); Fetch returns them
  // from then on. A resource
  // written again replaces the old one atomically (recovery rewrites the unpublished right
  // edge). Errors: kIo naming the path; after an error some of the batch may be durable.
  virtual Status WriteTiles(std::span<const TileData> tiles) = 0;

  // For each leaf hash, the index of the entry if the index knows it. Errors: kIo.
  virtual Result<std::vector<std::optional<uint64_t>>> LookupEntries(
      std::span<const Hash> leaf_hashes) = 0;
  // Records entries, which must be the next ones after IndexedSize() (indexes contiguous and
  // ascending); the index then covers [0, last + 1). Need not be durable at once: after a
  // crash IndexedSize() tells where to resume. Errors: kIo, kInvalidInput (not contiguous).
  virtual Status IndexEntries(std::span<const IndexedEntry> entries) = 0;
  // The index covers entries [0, IndexedSize()). Errors: kIo.
  virtual Result<uint64_t> IndexedSize() = 0;
  // Forgets entries with index >= size (used by recovery when the durable tree is shorter
  // than the index, which the write order prevents but a damaged disk might not). Errors: kIo.
  virtual Status TruncateIndex(uint64_t size) = 0;

  // Removes partial tiles and bundles that `full` (now published, full tiles) supersedes.
  // Best effort: the tiles spec lets a log delete them once the full tile is available.
  // Errors: kIo.
  virtual Status DeleteSupersededPartials(std::span<const TileData> full) = 0;

  // A short description for messages ("directory /srv/log").
  virtual std::string Describe() const = 0;
};

struct DirectoryStorageOptions {
  // Notices (a journal replayed after a crash, a torn last record dropped). May be empty.
  std::function<void(const std::string&)> log;
  // A journal file is retired (syncfs, then deleted) once it holds this many bytes. Larger:
  // fewer syncfs rounds (each one flushes the whole filesystem); smaller: less to replay
  // after a crash (about 1 s per 256 MiB here).
  uint64_t journal_limit = uint64_t(256) << 20;
  // On a clean close the tile files are made durable (syncfs) and the journal emptied, so the
  // next open replays nothing. Off: close leaves the journal as a crash would (for tests).
  bool retire_journal_on_close = true;
};

// Opens the directory backend rooted at `dir`:
//   dir/config.json          LogConfig (JSON)
//   dir/checkpoint           the published checkpoint (replaced with WriteFileAtomic)
//   dir/tile/<L>/<N>[.p/<W>], dir/tile/entries/<N>[.p/<W>]   C2SP tlog-tiles, as served
//   dir/journal/<seq>        write-ahead journal of recent tile batches (storage_dir_journal.h)
//   dir/index/leaves, dir/index/table   deduplication index (storage_dir_index.h; rebuilt
//                            from the level-0 tiles when lost)
//   dir/lock                 held (flock) while open: one writer per log
// WriteTiles appends the batch to the journal and fdatasyncs it once (the durability point),
// then writes each tile file (temporary name, rename) without fsync; a journal file is
// deleted only after syncfs() has made the tiles it covers durable, and on open whatever a
// crash left in the journal is written again. The checkpoint and config are written with
// WriteFileAtomic (fsync, rename, directory fsync).
// `create` makes the directory (mode 0755) if needed and allows a missing config.
// Errors: kNotFound (no such dir and !create), kConflict (another process has the log open),
// kIo.
Result<std::unique_ptr<LogStorage>> OpenDirectoryStorage(
    const std::string& dir, bool create = false, const DirectoryStorageOptions& options = {});

}  // namespace clearbox::tlog
