#include "internal/spill.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "clearbox/core/file.h"

namespace clearbox::unpack::internal {
namespace {

class MemoryBlob : public Blob {
 public:
  explicit MemoryBlob(Bytes data) : data_(std::move(data)) {}
  ByteView bytes() const override { return data_; }

 private:
  Bytes data_;
};

class MappedBlob : public Blob {
 public:
  MappedBlob(void* base, size_t size) : base_(base), size_(size) { RegisterDroppable(bytes()); }
  ~MappedBlob() override {
    UnregisterDroppable(bytes());
    if (base_ != nullptr) munmap(base_, size_);
  }
  ByteView bytes() const override { return {static_cast<const uint8_t*>(base_), size_}; }

 private:
  void* base_;
  size_t size_;
};

class ViewOnlyBlob : public Blob {
 public:
  ViewOnlyBlob(ByteView bytes, std::shared_ptr<const void> owner)
      : bytes_(bytes), owner_(std::move(owner)) {}
  ByteView bytes() const override { return bytes_; }

 private:
  ByteView bytes_;
  std::shared_ptr<const void> owner_;
};

std::string TempDir() {
  const char* dir = std::getenv("TMPDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp";
}

class SpillBufferImpl : public SpillBuffer {
 public:
  SpillBufferImpl(uint64_t in_memory_max, ChargeFn charge)
      : in_memory_max_(in_memory_max), charge_(std::move(charge)) {}
  ~SpillBufferImpl() override {
    if (fd_ >= 0) close(fd_);
  }

  uint64_t size() const override { return size_; }

  Status Append(ByteView data) override { return WriteAt(size_, data); }

  Status WriteAt(uint64_t offset, ByteView data) override {
    if (offset > kMaxSize || data.size() > kMaxSize - offset) {
      return Error::LimitExceeded("spill buffer: write past 2^48 bytes");
    }
    uint64_t end = offset + data.size();
    if (end > size_ && charge_) CLEARBOX_RETURN_IF_ERROR(charge_(end - size_));
    if (fd_ < 0 && end > in_memory_max_) CLEARBOX_RETURN_IF_ERROR(MoveToFile());
    if (fd_ < 0) {
      if (end > memory_.size()) memory_.resize(end);
      if (!data.empty()) std::memcpy(memory_.data() + offset, data.data(), data.size());
    } else {
      CLEARBOX_RETURN_IF_ERROR(WriteAllAt(fd_, data, offset, "spill file in " + TempDir()));
      if (end > size_ && ftruncate(fd_, off_t(end)) != 0) {
        return Error::FromErrno("grow spill file", TempDir(), errno);
      }
    }
    if (end > size_) size_ = end;
    return Status::Ok();
  }

  Result<std::shared_ptr<const Blob>> Finish() override {
    if (fd_ < 0) {
      memory_.resize(size_);
      return std::shared_ptr<const Blob>(std::make_shared<MemoryBlob>(std::move(memory_)));
    }
    if (size_ == 0) return std::shared_ptr<const Blob>(std::make_shared<MemoryBlob>(Bytes{}));
    void* base = mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd_, 0);
    if (base == MAP_FAILED) return Error::FromErrno("map spill file", TempDir(), errno);
    close(fd_);  // the mapping keeps the unlinked file alive
    fd_ = -1;
    return std::shared_ptr<const Blob>(std::make_shared<MappedBlob>(base, size_t(size_)));
  }

 private:
  static constexpr uint64_t kMaxSize = uint64_t(1) << 48;

  Status MoveToFile() {
    std::string dir = TempDir();
    int fd = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {  // filesystems without O_TMPFILE: create and unlink at once
      std::string tmpl = dir + "/clearbox-spill-XXXXXX";
      fd = mkostemp(tmpl.data(), O_CLOEXEC);
      if (fd < 0) return Error::FromErrno("create spill file in", dir, errno);
      unlink(tmpl.c_str());
    }
    fd_ = fd;
    CLEARBOX_RETURN_IF_ERROR(
        WriteAllAt(fd_, ByteView(memory_.data(), size_t(size_)), 0, "spill file in " + dir));
    Bytes().swap(memory_);
    return Status::Ok();
  }

  uint64_t in_memory_max_;
  ChargeFn charge_;
  Bytes memory_;
  uint64_t size_ = 0;
  int fd_ = -1;
};

struct DroppableRegistry {
  std::mutex mu;
  std::vector<ByteView> mappings;
};

DroppableRegistry& Droppable() {
  static DroppableRegistry* registry = new DroppableRegistry;  // never destroyed
  return *registry;
}

}  // namespace

void RegisterDroppable(ByteView mapping) {
  if (mapping.empty()) return;
  std::lock_guard<std::mutex> lock(Droppable().mu);
  Droppable().mappings.push_back(mapping);
}

void UnregisterDroppable(ByteView mapping) {
  std::lock_guard<std::mutex> lock(Droppable().mu);
  auto& m = Droppable().mappings;
  for (auto it = m.begin(); it != m.end(); ++it) {
    if (it->data() == mapping.data() && it->size() == mapping.size()) {
      m.erase(it);
      return;
    }
  }
}

void DropPages(ByteView bytes) {
  static const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
  uintptr_t begin = (reinterpret_cast<uintptr_t>(bytes.data()) + page - 1) & ~(page - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(bytes.data()) + bytes.size()) & ~(page - 1);
  if (end <= begin) return;
  {
    std::lock_guard<std::mutex> lock(Droppable().mu);
    bool inside = false;
    for (ByteView m : Droppable().mappings) {
      uintptr_t mb = reinterpret_cast<uintptr_t>(m.data());
      inside |= begin >= mb && end <= mb + m.size();
    }
    if (!inside) return;  // heap memory: MADV_DONTNEED would zero it
  }
  madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

std::unique_ptr<SpillBuffer> NewSpillBuffer(uint64_t in_memory_max, ChargeFn charge) {
  return std::make_unique<SpillBufferImpl>(in_memory_max, std::move(charge));
}

std::shared_ptr<const Blob> ViewBlob(ByteView bytes, std::shared_ptr<const void> owner) {
  return std::make_shared<ViewOnlyBlob>(bytes, std::move(owner));
}

}  // namespace clearbox::unpack::internal
