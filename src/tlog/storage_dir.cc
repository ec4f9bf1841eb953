// The directory backend of LogStorage (see storage.h for the layout and the contract).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "clearbox/core/file.h"
#include "clearbox/core/thread_name.h"
#include "clearbox/crypto/note.h"
#include "clearbox/tlog/checkpoint.h"
#include "clearbox/tlog/storage.h"
#include "storage_dir_index.h"
#include "storage_dir_journal.h"

namespace clearbox::tlog {

namespace {

namespace fs = std::filesystem;

// Writes tile files on a background thread, so that creating ~35 files per batch (an inode
// allocation can cost a few hundred microseconds on some filesystems) overlaps the next
// batch's journal append instead of following it. One thread, in order, so that a path
// written twice ends with its last data. Find() serves what is still queued (read your
// writes); Drain() waits for everything queued.
class TileFileQueue {
 public:
  explicit TileFileQueue(std::function<Status(const TileData&)> write)
      : write_(std::move(write)), worker_([this] {
          NameThisThread("cb-tilefiles");
          Work();
        }) {}
  ~TileFileQueue() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    worker_.join();
  }

  // Errors: the first failed write so far (kIo); the queue then refuses more work.
  Status Enqueue(std::span<const TileData> tiles) {
    std::lock_guard lock(mu_);
    if (error_) return *error_;
    for (const TileData& t : tiles) {
      auto queued = std::make_shared<const TileData>(t);
      latest_[t.path] = queued;
      queue_.push_back(std::move(queued));
    }
    work_cv_.notify_all();
    return Status::Ok();
  }

  // The newest queued data for `path`, if it is not written yet.
  std::shared_ptr<const TileData> Find(const std::string& path) {
    std::lock_guard lock(mu_);
    auto it = latest_.find(path);
    return it == latest_.end() ? nullptr : it->second;
  }

  // Waits until every queued file is written. Errors: the first failed write (kIo).
  Status Drain() {
    std::unique_lock lock(mu_);
    idle_cv_.wait(lock, [&] { return queue_.empty() && !writing_; });
    return error_ ? Status(*error_) : Status::Ok();
  }

 private:
  void Work() {
    std::unique_lock lock(mu_);
    for (;;) {
      work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, all written
      std::shared_ptr<const TileData> tile = std::move(queue_.front());
      queue_.pop_front();
      writing_ = true;
      lock.unlock();
      Status written = error_ ? Status::Ok() : write_(*tile);
      lock.lock();
      writing_ = false;
      if (!written.ok() && !error_) error_ = written.error();
      auto it = latest_.find(tile->path);
      if (it != latest_.end() && it->second == tile) latest_.erase(it);
      if (queue_.empty()) idle_cv_.notify_all();
    }
  }

  std::function<Status(const TileData&)> write_;
  std::mutex mu_;
  std::condition_variable work_cv_, idle_cv_;
  std::deque<std::shared_ptr<const TileData>> queue_;
  std::unordered_map<std::string, std::shared_ptr<const TileData>> latest_;
  bool writing_ = false;
  std::optional<Error> error_;
  bool stop_ = false;
  std::thread worker_;  // last: it uses the members above
};

// True for the resource paths a log serves; everything else (config, index, journal, temp
// files) is not reachable through Fetch.
bool IsLogResourcePath(std::string_view path) {
  return path == "checkpoint" || ParseTilePath(path).ok();
}

class DirectoryStorage : public LogStorage {
 public:
  DirectoryStorage(std::string dir, UniqueFd lock, std::unique_ptr<internal::LeafIndex> index)
      : dir_(std::move(dir)),
        lock_(std::move(lock)),
        index_(std::move(index)),
        files_([this](const TileData& t) { return WriteTileFile(t); }) {}

  ~DirectoryStorage() override {
    if (!journal_ || !retire_journal_on_close_) return;
    Status closed = files_.Drain();  // the journal's syncfs must find every tile file
    if (closed.ok()) closed = journal_->Close();
    if (!closed.ok() && log_) {
      log_("warning: the journal is kept for the next open to replay: " + closed.error().message());
    }
  }

  // Replays what the journal holds from before a crash and starts a new journal file.
  Status OpenJournal(const DirectoryStorageOptions& options) {
    log_ = options.log;
    retire_journal_on_close_ = options.retire_journal_on_close;
    const auto& log = options.log;
    const uint64_t limit = options.journal_limit;
    internal::JournalReplayTarget target;
    target.write_tile = [this](const TileData& t) -> Status {
      CLEARBOX_RETURN_IF_ERROR(EnsureDirectory(t.path));
      return WriteTileFile(t);
    };
    target.offer_checkpoint = [this](const std::string& note) { return AdoptIfNewer(note); };
    CLEARBOX_ASSIGN_OR_RETURN(journal_, internal::TileJournal::Open(dir_, target, log, limit));
    auto current = ReadCheckpoint();
    if (current.ok()) {
      published_ = *current;
    } else if (current.error().code() != ErrorCode::kNotFound) {
      return current.error();
    }
    return Status::Ok();
  }

  Result<Bytes> Fetch(const std::string& path, size_t max_size) override {
    if (!IsLogResourcePath(path)) {
      return Error::InvalidInput("'" + path + "' is not a checkpoint, tile or entry bundle path");
    }
    if (auto queued = files_.Find(path)) {  // written moments ago, not on disk yet
      if (queued->data.size() > max_size) {
        return Error::LimitExceeded(path + ": larger than " + std::to_string(max_size) + " bytes");
      }
      return queued->data;
    }
    return ReadFile(dir_ + "/" + path, max_size);
  }

  Result<LogConfig> ReadConfig() override {
    auto text = ReadTextFile(dir_ + "/config.json", 1 << 20);
    if (!text.ok()) {
      if (text.error().code() == ErrorCode::kNotFound) {
        return Error::NotFound(dir_ + " is not a log (no config.json): run `clearbox log init`");
      }
      return text.error();
    }
    auto config = ParseLogConfig(*text);
    if (!config.ok()) return config.error().WithContext(dir_ + "/config.json");
    return config;
  }

  Status WriteConfig(const LogConfig& config) override {
    return WriteFileAtomic(dir_ + "/config.json", AsBytes(FormatLogConfig(config)));
  }

  Result<std::string> ReadCheckpoint() override {
    return ReadTextFile(dir_ + "/checkpoint", 1 << 20);
  }

  Status PublishCheckpoint(std::string_view signed_note) override {
    // Readers must find every tile the checkpoint covers.
    CLEARBOX_RETURN_IF_ERROR(files_.Drain());
    {
      std::lock_guard lock(published_mu_);
      published_ = signed_note;
    }
    // Once a batch is in the journal, the checkpoint needs no fsync of its own: the next
    // record carries it, or the journal's retirement (syncfs) or replay makes it durable, and
    // recovery re-derives the same tree from the durable entries in any case (see
    // storage_dir_journal.h). Before that (a new log, a quiet log re-publishing), it is made
    // durable here.
    if (!journal_->has_records()) {
      return WriteFileAtomic(dir_ + "/checkpoint", AsBytes(signed_note));
    }
    return ReplaceFile("checkpoint", AsBytes(signed_note));
  }

  Status WriteTiles(std::span<const TileData> tiles) override {
    // The journal append is the durability point: one fdatasync for the whole batch. The
    // files are then written to the page cache only, in the background; PublishCheckpoint
    // waits for them, so nothing refers to a tile before it is in place. The journal's
    // retirement (syncfs) or, after a crash, its replay makes them durable.
    std::string checkpoint;
    {
      std::lock_guard lock(published_mu_);
      checkpoint = published_;
    }
    //
    // Calls may overlap (see storage.h): the record is written under append_mu_, the
    // fdatasync runs outside it, so the next batch's write proceeds during this one's sync.
    {
      std::unique_lock lock(append_mu_);
      if (journal_->NeedsRotation()) {
        // syncfs must find the files of every batch in the old journal in the page cache:
        // wait for the batches still syncing to queue theirs, then for the queue.
        unsynced_cv_.wait(lock, [&] { return unsynced_ == 0; });
        CLEARBOX_RETURN_IF_ERROR(files_.Drain());
        CLEARBOX_RETURN_IF_ERROR(journal_->Rotate(checkpoint));
      }
      CLEARBOX_RETURN_IF_ERROR(journal_->Write(checkpoint, tiles));
      for (const TileData& t : tiles) CLEARBOX_RETURN_IF_ERROR(EnsureDirectory(t.path));
      ++unsynced_;
    }
    Status done = journal_->Sync();
    if (done.ok()) done = files_.Enqueue(tiles);
    {
      std::lock_guard lock(append_mu_);
      --unsynced_;
    }
    unsynced_cv_.notify_all();
    return done;
  }

  Result<std::vector<std::optional<uint64_t>>> LookupEntries(
      std::span<const Hash> leaf_hashes) override {
    return index_->Lookup(leaf_hashes);
  }
  Status IndexEntries(std::span<const IndexedEntry> entries) override {
    return index_->Add(entries);
  }
  Result<uint64_t> IndexedSize() override { return index_->size(); }
  Status TruncateIndex(uint64_t size) override { return index_->Truncate(size); }

  Status DeleteSupersededPartials(std::span<const TileData> full) override {
    CLEARBOX_RETURN_IF_ERROR(files_.Drain());  // a queued partial must not come back after
    Status first;
    for (const TileData& t : full) {
      std::error_code ec;
      const std::string partials = dir_ + "/" + t.path + ".p";
      fs::remove_all(partials, ec);
      if (ec && first.ok()) first = Error::Io("remove " + partials + ": " + ec.message());
    }
    return first;
  }

  std::string Describe() const override { return "directory " + dir_; }

 private:
  // Writes one tile file. The directory must exist (EnsureDirectory). Called by one thread
  // at a time (the file queue's, or Open's replay before that thread has work).
  Status WriteTileFile(const TileData& t) const { return ReplaceFile(t.path, t.data); }

  // Writes dir_/relative under a temporary name and renames it into place, so that a reader
  // (or the HTTP server's cache) never sees a half-written file. No fsync (see WriteTiles).
  Status ReplaceFile(const std::string& relative, ByteView data) const {
    const std::string final_path = dir_ + "/" + relative;
    const std::string tmp = final_path + ".tmp";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return Error::FromErrno("create", tmp, errno);
    CLEARBOX_RETURN_IF_ERROR(WriteAll(fd.get(), data, tmp));
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
      return Error::FromErrno("rename to", final_path, errno);
    }
    return Status::Ok();
  }

  // Journal replay: the newest checkpoint the journal holds replaces the published one if that
  // one is older (a crash lost the newer file) or unreadable (torn by the crash).
  Status AdoptIfNewer(const std::string& journaled) {
    auto size_of = [](std::string_view note) -> std::optional<uint64_t> {
      auto parsed = crypto::ParseNote(note);
      if (!parsed.ok()) return std::nullopt;
      auto checkpoint = ParseCheckpoint(parsed->text);
      if (!checkpoint.ok()) return std::nullopt;
      return checkpoint->size;
    };
    const std::optional<uint64_t> from_journal = size_of(journaled);
    if (!from_journal) return Status::Ok();  // not a checkpoint: keep what is published
    auto current = ReadTextFile(dir_ + "/checkpoint", crypto::kMaxNoteSize + 1);
    if (current.ok()) {
      if (std::optional<uint64_t> size = size_of(*current); size && *size >= *from_journal) {
        return Status::Ok();
      }
    } else if (current.error().code() != ErrorCode::kNotFound &&
               current.error().code() != ErrorCode::kLimitExceeded) {
      return current.error();
    }
    return ReplaceFile("checkpoint", AsBytes(journaled));
  }

  // mkdir -p of the directory of dir_/path (durable with the tiles: the journal replays
  // them). Only the writer's thread calls it.
  Status EnsureDirectory(const std::string& path) {
    return MakeParents(fs::path(path).parent_path().string());
  }
  Status MakeParents(const std::string& relative) {
    if (relative.empty() || known_dirs_.count(relative)) return Status::Ok();
    CLEARBOX_RETURN_IF_ERROR(MakeParents(fs::path(relative).parent_path().string()));
    const std::string full = dir_ + "/" + relative;
    if (::mkdir(full.c_str(), 0755) != 0 && errno != EEXIST) {
      return Error::FromErrno("mkdir", full, errno);
    }
    known_dirs_.insert(relative);
    return Status::Ok();
  }

  std::string dir_;
  UniqueFd lock_;
  std::unique_ptr<internal::LeafIndex> index_;
  std::unique_ptr<internal::TileJournal> journal_;
  std::function<void(const std::string&)> log_;
  bool retire_journal_on_close_ = true;
  std::set<std::string> known_dirs_;  // WriteTiles (under append_mu_) and journal replay
  std::mutex append_mu_;              // serializes journal writes and rotation
  std::condition_variable unsynced_cv_;
  int unsynced_ = 0;  // WriteTiles calls between their journal write and queueing their files
  std::mutex published_mu_;
  std::string published_;  // the checkpoint published last: each journal record carries it
  TileFileQueue files_;    // last: its threads use the members above
};

// Temporary files a crash may have left behind next to the checkpoint and the config
// ("checkpoint.tmp.<n>"). A stale "<tile>.tmp" is harmless (not a servable path) and is
// truncated when that tile is written again, so the tile tree is not scanned.
void RemoveStaleTemporaries(const std::string& dir) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find(".tmp.") != std::string::npos && it->is_regular_file(ec)) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
}

}  // namespace

Result<std::unique_ptr<LogStorage>> OpenDirectoryStorage(const std::string& dir, bool create,
                                                         const DirectoryStorageOptions& options) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT || !create) return Error::FromErrno("open log directory", dir, errno);
    CLEARBOX_RETURN_IF_ERROR(MakeDirectories(dir));
  } else if (!S_ISDIR(st.st_mode)) {
    return Error::InvalidInput(dir + ": not a directory");
  }
  const std::string lock_path = dir + "/lock";
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (lock.get() < 0) return Error::FromErrno("open", lock_path, errno);
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Error::Conflict(dir + ": the log is open in another process (" + lock_path +
                             " is locked); one writer per log");
    }
    return Error::FromErrno("lock", lock_path, errno);
  }
  if (!create && ::access((dir + "/config.json").c_str(), F_OK) != 0) {
    return Error::NotFound(dir + " is not a log (no config.json): run `clearbox log init`");
  }
  RemoveStaleTemporaries(dir);
  CLEARBOX_ASSIGN_OR_RETURN(auto index, internal::LeafIndex::Open(dir + "/index", options.log));
  auto storage = std::make_unique<DirectoryStorage>(dir, std::move(lock), std::move(index));
  CLEARBOX_RETURN_IF_ERROR(storage->OpenJournal(options));
  return std::unique_ptr<LogStorage>(std::move(storage));
}

}  // namespace clearbox::tlog
