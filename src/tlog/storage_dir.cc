// The directory backend of LogStorage (see storage.h for the layout and the contract).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "clearbox/core/file.h"
#include "clearbox/tlog/storage.h"
#include "storage_dir_index.h"

namespace clearbox::tlog {

namespace {

namespace fs = std::filesystem;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Runs independent blocking tasks (file writes, fsyncs) on a few threads at once. Concurrent
// fsyncs on one filesystem share journal commits, so a batch of tiles costs about as much as
// a few fsyncs, not one per file. The caller's thread works too.
class ParallelRunner {
 public:
  explicit ParallelRunner(int threads) {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  }
  ~ParallelRunner() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  // Runs every task; returns the first error (all tasks run regardless).
  Status RunAll(const std::vector<std::function<Status()>>& tasks) {
    if (tasks.empty()) return Status::Ok();
    Job job;
    job.tasks = &tasks;
    {
      std::lock_guard lock(mu_);
      job_ = &job;
    }
    cv_.notify_all();
    RunTasks(job);
    std::unique_lock lock(mu_);
    // Also wait for workers still inside RunTasks: `job` lives on this stack.
    done_cv_.wait(lock, [&] { return job.finished == tasks.size() && job.active == 0; });
    job_ = nullptr;
    return job.first_error ? Status(*job.first_error) : Status::Ok();
  }

 private:
  struct Job {
    const std::vector<std::function<Status()>>* tasks = nullptr;
    std::atomic<size_t> next{0};
    size_t finished = 0;  // guarded by mu_
    int active = 0;       // workers inside RunTasks; guarded by mu_
    std::optional<Error> first_error;
  };

  void RunTasks(Job& job) {
    for (;;) {
      size_t i = job.next.fetch_add(1);
      if (i >= job.tasks->size()) return;
      Status status = (*job.tasks)[i]();
      std::lock_guard lock(mu_);
      if (!status.ok() && !job.first_error) job.first_error = status.error();
      if (++job.finished == job.tasks->size()) done_cv_.notify_all();
    }
  }

  void Work() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] {
        return stop_ || (job_ != nullptr && job_->next.load() < job_->tasks->size());
      });
      if (stop_) return;
      Job* job = job_;
      ++job->active;
      lock.unlock();
      RunTasks(*job);
      lock.lock();
      if (--job->active == 0) done_cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  Job* job_ = nullptr;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

Status WriteAllTo(int fd, ByteView data, const std::string& path) {
  const uint8_t* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno("write", path, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status SyncDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Error::FromErrno("open", dir, errno);
  if (::fsync(fd.get()) != 0) return Error::FromErrno("fsync", dir, errno);
  return Status::Ok();
}

// True for the resource paths a log serves; everything else (config, index, temp files) is
// not reachable through Fetch.
bool IsLogResourcePath(std::string_view path) {
  return path == "checkpoint" || ParseTilePath(path).ok();
}

// Enough threads that every file of a batch of 4096 entries (about 35: 16 bundles, 16 level-0
// tiles, the right edge) has its fdatasync in flight at once: they wait on the disk, not the
// CPU, and a small-file fdatasync is several dependent writes (data, then inode).
constexpr int kIoThreads = 40;

class DirectoryStorage : public LogStorage {
 public:
  DirectoryStorage(std::string dir, Fd lock, std::unique_ptr<internal::SqliteEntryIndex> index)
      : dir_(std::move(dir)), lock_(std::move(lock)), index_(std::move(index)), io_(kIoThreads) {}

  Result<Bytes> Fetch(const std::string& path, size_t max_size) override {
    if (!IsLogResourcePath(path)) {
      return Error::InvalidInput("'" + path + "' is not a checkpoint, tile or entry bundle path");
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
    return WriteFileAtomic(dir_ + "/checkpoint", AsBytes(signed_note));
  }

  Status WriteTiles(std::span<const TileData> tiles) override {
    // 1. Directories: create what is missing; a new directory's entry in its parent must be
    //    made durable too.
    std::set<std::string> dirs_to_sync;
    for (const TileData& t : tiles) {
      CLEARBOX_RETURN_IF_ERROR(
          EnsureDirectory(fs::path(t.path).parent_path().string(), dirs_to_sync));
    }
    // 2. Each file is written under a temporary name and renamed into place at once, so a
    //    reader (or the HTTP server's cache) never sees a half-written tile, then the batch is
    //    made durable in one round: every file's fdatasync in parallel (they share journal
    //    commits), then the directories. Renaming before the data is durable is safe because
    //    nothing refers to these tiles until a checkpoint covers them, and the checkpoint is
    //    published only after WriteTiles returns. After a crash, recovery re-derives or ignores
    //    whatever lies beyond the published checkpoint (a torn bundle is not rolled forward).
    std::vector<std::function<Status()>> writes;
    writes.reserve(tiles.size());
    for (const TileData& t : tiles) {
      writes.push_back([this, &t]() -> Status {
        const std::string final_path = dir_ + "/" + t.path;
        const std::string tmp = final_path + ".tmp";
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (fd.get() < 0) return Error::FromErrno("create", tmp, errno);
        CLEARBOX_RETURN_IF_ERROR(WriteAllTo(fd.get(), t.data, tmp));
        if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
          return Error::FromErrno("rename to", final_path, errno);
        }
        if (::fdatasync(fd.get()) != 0) return Error::FromErrno("fdatasync", final_path, errno);
        return Status::Ok();
      });
      dirs_to_sync.insert(fs::path(dir_ + "/" + t.path).parent_path().string());
    }
    CLEARBOX_RETURN_IF_ERROR(io_.RunAll(writes));
    // 3. The renames: on ext4 the file syncs above already committed them, so this round is
    //    cheap there; POSIX asks for it.
    std::vector<std::function<Status()>> syncs;
    for (const std::string& d : dirs_to_sync) syncs.push_back([&d] { return SyncDir(d); });
    return io_.RunAll(syncs);
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
  // mkdir -p of dir_/relative, remembering which parents gained an entry.
  Status EnsureDirectory(const std::string& relative, std::set<std::string>& dirs_to_sync) {
    if (relative.empty()) return Status::Ok();
    {
      std::lock_guard lock(known_dirs_mu_);
      if (known_dirs_.count(relative)) return Status::Ok();
    }
    fs::path parent = fs::path(relative).parent_path();
    CLEARBOX_RETURN_IF_ERROR(EnsureDirectory(parent.string(), dirs_to_sync));
    const std::string full = dir_ + "/" + relative;
    if (::mkdir(full.c_str(), 0755) == 0) {
      dirs_to_sync.insert(parent.empty() ? dir_ : dir_ + "/" + parent.string());
    } else if (errno != EEXIST) {
      return Error::FromErrno("mkdir", full, errno);
    }
    std::lock_guard lock(known_dirs_mu_);
    known_dirs_.insert(relative);
    return Status::Ok();
  }

  std::string dir_;
  Fd lock_;
  std::unique_ptr<internal::SqliteEntryIndex> index_;
  ParallelRunner io_;
  std::mutex known_dirs_mu_;
  std::set<std::string> known_dirs_;
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

Result<std::unique_ptr<LogStorage>> OpenDirectoryStorage(const std::string& dir, bool create) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT || !create) return Error::FromErrno("open log directory", dir, errno);
    CLEARBOX_RETURN_IF_ERROR(MakeDirectories(dir));
  } else if (!S_ISDIR(st.st_mode)) {
    return Error::InvalidInput(dir + ": not a directory");
  }
  const std::string lock_path = dir + "/lock";
  Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
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
  CLEARBOX_ASSIGN_OR_RETURN(auto index, internal::SqliteEntryIndex::Open(dir + "/index.sqlite"));
  return std::unique_ptr<LogStorage>(new DirectoryStorage(dir, std::move(lock), std::move(index)));
}

}  // namespace clearbox::tlog
