// Files: read-only memory maps of inputs, whole-file reads, and durable atomic writes.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"

namespace clearbox {

// Owns a file descriptor: closes it when destroyed. Movable, not copyable.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = other.Release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void Reset();

 private:
  int fd_;
};

// A read-only, private memory map of a whole file. Thread-safe to read from.
// An empty file maps to an empty view. Errors: kNotFound, kIo (naming the path).
class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  ByteView bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const uint8_t* data_;
  size_t size_;
};

// Reads a whole file. Refuses files larger than max_size (kLimitExceeded).
Result<Bytes> ReadFile(const std::string& path, uint64_t max_size = uint64_t(1) << 32);
Result<std::string> ReadTextFile(const std::string& path, uint64_t max_size = uint64_t(1) << 30);

// Writes data to path durably and atomically: a temp file in the same directory, fsync,
// rename over path, fsync of the directory. A crash leaves either the old or the new file.
Status WriteFileAtomic(const std::string& path, ByteView data, unsigned mode = 0644);

// Creates a file that must not exist yet (O_EXCL), with the given mode, and fsyncs it.
// kAlreadyExists if it does.
Status WriteNewFile(const std::string& path, ByteView data, unsigned mode);

// write() of all of `data` to `fd`, retrying short writes and EINTR. Errors: kIo naming
// `path`.
Status WriteAll(int fd, ByteView data, const std::string& path);

// pwrite()/pread() of all of `data` at `offset`, retrying short transfers and EINTR. Errors:
// kIo naming `path` (ReadAllAt also when the file ends first).
Status WriteAllAt(int fd, ByteView data, uint64_t offset, const std::string& path);
Status ReadAllAt(int fd, std::span<uint8_t> out, uint64_t offset, const std::string& path);

// fsync of a directory, so that a rename or create inside it is durable.
Status SyncDirectory(const std::string& dir);

// mkdir -p.
Status MakeDirectories(const std::string& dir, unsigned mode = 0755);

}  // namespace clearbox
