#include "storage_dir_index.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "clearbox/core/encoding.h"
#include "clearbox/core/thread_name.h"

namespace clearbox::tlog::internal {

namespace {

constexpr char kMagic[8] = {'C', 'B', 'L', 'E', 'A', 'F', 'I', '1'};
constexpr size_t kHeaderSize = 4096;  // a page: the slots stay page-aligned
constexpr size_t kSlotSize = 16;
constexpr uint64_t kMinSlots = uint64_t{1} << 12;
constexpr uint64_t kMaxSlots = uint64_t{1} << 36;  // a 1 TiB table
constexpr std::chrono::seconds kSyncInterval{10};
constexpr uint64_t kRebuildChunk = 1 << 16;  // leaves read per pread while rebuilding

uint64_t TagOf(const Hash& h) { return LoadLE64(h.data()); }

// The smallest power of two >= 4 * entries (and >= kMinSlots): a new table starts at most a
// quarter full and grows again at half.
uint64_t SlotsFor(uint64_t entries) {
  uint64_t slots = kMinSlots;
  while (slots < 4 * entries && slots < kMaxSlots) slots <<= 1;
  return slots;
}

}  // namespace

struct LeafIndex::Table {
  UniqueFd fd;
  uint8_t* base = nullptr;
  size_t length = 0;
  uint64_t slots = 0;  // a power of two

  ~Table() {
    if (base) ::munmap(base, length);
  }
  uint8_t* slot(uint64_t i) const { return base + kHeaderSize + kSlotSize * i; }
  uint64_t synced_size() const { return LoadLE64(base + 16); }
  void set_synced_size(uint64_t size) { StoreLE64(base + 16, size); }

  Status SyncAll(const std::string& path) const {
    if (::msync(base, length, MS_SYNC) != 0) return Error::FromErrno("sync", path, errno);
    return Status::Ok();
  }
  Status SyncHeader(const std::string& path) const {
    if (::msync(base, kHeaderSize, MS_SYNC) != 0) return Error::FromErrno("sync", path, errno);
    return Status::Ok();
  }

  // Maps `fd` (already sized) read-write.
  static Result<std::shared_ptr<Table>> Map(UniqueFd fd, uint64_t slots, const std::string& path) {
    auto t = std::make_shared<Table>();
    t->length = kHeaderSize + kSlotSize * slots;
    void* p = ::mmap(nullptr, t->length, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (p == MAP_FAILED) return Error::FromErrno("map", path, errno);
    t->base = static_cast<uint8_t*>(p);
    t->fd = std::move(fd);
    t->slots = slots;
    return t;
  }

  // A new, empty table file at `path` (replacing any).
  static Result<std::shared_ptr<Table>> Create(const std::string& path, uint64_t slots) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) return Error::FromErrno("create", path, errno);
    if (::ftruncate(fd.get(), static_cast<off_t>(kHeaderSize + kSlotSize * slots)) != 0) {
      return Error::FromErrno("size", path, errno);
    }
    CLEARBOX_ASSIGN_OR_RETURN(auto t, Map(std::move(fd), slots, path));
    std::memcpy(t->base, kMagic, sizeof kMagic);
    StoreLE64(t->base + 8, slots);
    t->set_synced_size(0);
    return t;
  }

  // The table at `path` if it is whole and consistent with a leaves file of `leaves_bytes`;
  // otherwise an error saying what is wrong (the caller starts afresh).
  static Result<std::shared_ptr<Table>> Open(const std::string& path, uint64_t leaves_bytes) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd.valid()) return Error::FromErrno("open", path, errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return Error::FromErrno("stat", path, errno);
    uint8_t header[24];
    if (Status s = ReadAllAt(fd.get(), header, 0, path); !s.ok()) return s.error();
    if (std::memcmp(header, kMagic, sizeof kMagic) != 0) {
      return Error::InvalidInput(path + ": not a leaf index table (bad magic)");
    }
    const uint64_t slots = LoadLE64(header + 8), synced = LoadLE64(header + 16);
    if (slots < kMinSlots || slots > kMaxSlots || (slots & (slots - 1)) != 0) {
      return Error::InvalidInput(path + ": bad slot count " + std::to_string(slots));
    }
    if (uint64_t(st.st_size) != kHeaderSize + kSlotSize * slots) {
      return Error::InvalidInput(path + ": " + std::to_string(st.st_size) + " bytes for " +
                                 std::to_string(slots) + " slots");
    }
    if (synced > slots / 2 || synced > leaves_bytes / kHashSize) {
      return Error::InvalidInput(path + ": synced size " + std::to_string(synced) +
                                 " is more than the table or the leaves file holds");
    }
    return Map(std::move(fd), slots, path);
  }
};

LeafIndex::LeafIndex(std::string dir, UniqueFd leaves, std::shared_ptr<Table> table, uint64_t size)
    : dir_(std::move(dir)), leaves_(std::move(leaves)), table_(std::move(table)), size_(size) {}

Result<std::unique_ptr<LeafIndex>> LeafIndex::Open(const std::string& dir,
                                                   std::function<void(const std::string&)> log) {
  CLEARBOX_RETURN_IF_ERROR(MakeDirectories(dir));
  const std::string leaves_path = dir + "/leaves", table_path = dir + "/table";
  UniqueFd leaves(::open(leaves_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!leaves.valid()) return Error::FromErrno("open", leaves_path, errno);
  struct stat st;
  if (::fstat(leaves.get(), &st) != 0) return Error::FromErrno("stat", leaves_path, errno);

  std::shared_ptr<Table> table;
  if (::access(table_path.c_str(), F_OK) == 0) {
    auto opened = Table::Open(table_path, uint64_t(st.st_size));
    if (opened.ok()) {
      table = std::move(*opened);
    } else if (log) {
      log("index: discarding " + opened.error().message() +
          "; the deduplication index is rebuilt from the tiles");
    }
  }
  if (!table) {
    CLEARBOX_ASSIGN_OR_RETURN(table, Table::Create(table_path, kMinSlots));
    CLEARBOX_RETURN_IF_ERROR(table->SyncAll(table_path));
    CLEARBOX_RETURN_IF_ERROR(SyncDirectory(dir));
  }
  const uint64_t size = table->synced_size();
  std::unique_ptr<LeafIndex> index(new LeafIndex(dir, std::move(leaves), std::move(table), size));
  index->syncer_ = std::thread([raw = index.get()] {
    NameThisThread("cb-index");
    raw->SyncLoop();
  });
  return index;
}

LeafIndex::~LeafIndex() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  (void)Sync();  // best effort: an unsynced tail is re-indexed from the tiles on open
}

void LeafIndex::SyncLoop() {
  std::unique_lock lock(mu_);
  while (!stop_cv_.wait_for(lock, kSyncInterval, [&] { return stop_; })) {
    lock.unlock();
    Status s = Sync();
    lock.lock();
    if (!s.ok() && !sync_error_) sync_error_ = s.error();
  }
}

Status LeafIndex::ReadLeaf(uint64_t index, Hash& out) const {
  return ReadAllAt(leaves_.get(), out, index * kHashSize, dir_ + "/leaves");
}

std::optional<uint64_t> LeafIndex::Find(const Hash& leaf_hash) const {
  const Table& t = *table_;
  const uint64_t tag = TagOf(leaf_hash), mask = t.slots - 1;
  for (uint64_t probe = 0, i = tag & mask; probe < t.slots; ++probe, i = (i + 1) & mask) {
    const uint8_t* s = t.slot(i);
    const uint64_t value = LoadLE64(s + 8);
    if (value == 0) return std::nullopt;
    const uint64_t index = value - 1;
    if (LoadLE64(s) != tag || index >= size_) continue;  // another entry, or stale
    Hash stored;
    if (ReadLeaf(index, stored).ok() && stored == leaf_hash) return index;
  }
  return std::nullopt;
}

bool LeafIndex::Insert(Table& t, uint64_t tag, uint64_t index) const {
  const uint64_t mask = t.slots - 1;
  for (uint64_t probe = 0, i = tag & mask; probe < t.slots; ++probe, i = (i + 1) & mask) {
    uint8_t* s = t.slot(i);
    const uint64_t value = LoadLE64(s + 8);
    // Entries are added in index order, so a slot naming this index or a later one was left
    // by a crash before the index was synced: it is free.
    if (value == 0 || value - 1 >= index) {
      StoreLE64(s, tag);
      StoreLE64(s + 8, index + 1);
      return true;
    }
  }
  return false;
}

Status LeafIndex::Grow(uint64_t entries) {
  const std::string path = dir_ + "/table", fresh_path = dir_ + "/table.new";
  CLEARBOX_ASSIGN_OR_RETURN(auto fresh, Table::Create(fresh_path, SlotsFor(entries)));
  std::vector<Hash> chunk;
  for (uint64_t first = 0; first < entries; first += chunk.size()) {
    chunk.resize(std::min(kRebuildChunk, entries - first));
    CLEARBOX_RETURN_IF_ERROR(ReadAllAt(leaves_.get(), {chunk[0].data(), chunk.size() * kHashSize},
                                       first * kHashSize, dir_ + "/leaves"));
    for (uint64_t k = 0; k < chunk.size(); ++k) {
      if (!Insert(*fresh, TagOf(chunk[k]), first + k)) {
        return Error::Internal(fresh_path + ": no free slot while rebuilding");
      }
    }
  }
  // Not synced here (that would stall the sequencer for a write of the whole table): its
  // header says nothing is synced until the background Sync has written it all. A crash
  // before that re-indexes from the tiles; one before the rename keeps the old table.
  if (::rename(fresh_path.c_str(), path.c_str()) != 0) {
    return Error::FromErrno("rename to", path, errno);
  }
  table_ = std::move(fresh);
  return Status::Ok();
}

Status LeafIndex::Add(std::span<const IndexedEntry> entries) {
  if (entries.empty()) return Status::Ok();
  std::lock_guard lock(mu_);
  if (sync_error_) return *sync_error_;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].index != size_ + i) {
      return Error::InvalidInput("index: entry " + std::to_string(entries[i].index) +
                                 " is not the next one (" + std::to_string(size_ + i) + ")");
    }
  }
  const uint64_t total = size_ + entries.size();
  if (2 * total > table_->slots) {
    if (table_->slots >= kMaxSlots) {
      return Error::LimitExceeded("index: the table is at its largest (" +
                                  std::to_string(kMaxSlots) + " slots)");
    }
    CLEARBOX_RETURN_IF_ERROR(Grow(size_));
  }
  std::vector<uint8_t> leaves(entries.size() * kHashSize);
  for (size_t i = 0; i < entries.size(); ++i) {
    std::memcpy(leaves.data() + i * kHashSize, entries[i].leaf_hash.data(), kHashSize);
  }
  CLEARBOX_RETURN_IF_ERROR(WriteAllAt(leaves_.get(), leaves, size_ * kHashSize, dir_ + "/leaves"));
  for (const IndexedEntry& e : entries) {
    if (!Insert(*table_, TagOf(e.leaf_hash), e.index)) {
      // Only stale slots left by many crashes can fill a table kept half empty: a rebuild
      // from the leaves (which hold this batch already) drops them.
      CLEARBOX_RETURN_IF_ERROR(Grow(total));
      break;
    }
  }
  size_ = total;
  return Status::Ok();
}

Result<std::vector<std::optional<uint64_t>>> LeafIndex::Lookup(std::span<const Hash> leaf_hashes) {
  std::vector<std::optional<uint64_t>> out(leaf_hashes.size());
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < leaf_hashes.size(); ++i) out[i] = Find(leaf_hashes[i]);
  return out;
}

uint64_t LeafIndex::size() {
  std::lock_guard lock(mu_);
  return size_;
}

Status LeafIndex::Sync() {
  std::lock_guard sync_lock(sync_mu_);
  std::shared_ptr<Table> table;
  uint64_t size;
  {
    std::lock_guard lock(mu_);
    table = table_;
    size = size_;
    if (size == table->synced_size()) return Status::Ok();
  }
  // Every leaf and slot of [0, size) was written before `size` was read: sync them, then say so.
  if (::fdatasync(leaves_.get()) != 0) return Error::FromErrno("sync", dir_ + "/leaves", errno);
  CLEARBOX_RETURN_IF_ERROR(table->SyncAll(dir_ + "/table"));
  {
    std::lock_guard lock(mu_);
    if (table != table_) return Status::Ok();       // Grow replaced it, synced
    table->set_synced_size(std::min(size, size_));  // Truncate may have run meanwhile
  }
  return table->SyncHeader(dir_ + "/table");
}

Status LeafIndex::Truncate(uint64_t size) {
  std::lock_guard sync_lock(sync_mu_);
  std::lock_guard lock(mu_);
  // Slots of later entries stay behind, harmless: lookups confirm against the leaves file
  // below size_, and inserts reuse them.
  size_ = std::min(size_, size);
  if (table_->synced_size() <= size_) return Status::Ok();
  table_->set_synced_size(size_);
  return table_->SyncHeader(dir_ + "/table");
}

}  // namespace clearbox::tlog::internal
