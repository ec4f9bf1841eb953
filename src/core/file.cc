#include "clearbox/core/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <random>

namespace clearbox {
namespace {

std::string DirName(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status WriteAll(int fd, ByteView data, const std::string& path) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Error::FromErrno("write", path, w < 0 ? errno : EIO);
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

Status WriteAllAt(int fd, ByteView data, uint64_t offset, const std::string& path) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Error::FromErrno("write", path, w < 0 ? errno : EIO);
    p += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return {};
}

Status ReadAllAt(int fd, std::span<uint8_t> out, uint64_t offset, const std::string& path) {
  uint8_t* p = out.data();
  size_t n = out.size();
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Error::FromErrno("read", path, errno);
    if (r == 0) return Error::Io(path + ": ends before offset " + std::to_string(offset));
    p += r;
    n -= static_cast<size_t>(r);
    offset += static_cast<uint64_t>(r);
  }
  return {};
}

Result<std::unique_ptr<MappedFile>> MappedFile::Open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error::FromErrno("open", path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Error::FromErrno("stat", path, errno);
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
    return Error::InvalidInput(path + ": not a regular file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) return std::unique_ptr<MappedFile>(new MappedFile(path, nullptr, 0));
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (p == MAP_FAILED) return Error::FromErrno("mmap", path, errno);
  return std::unique_ptr<MappedFile>(new MappedFile(path, static_cast<const uint8_t*>(p), size));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

Result<Bytes> ReadFile(const std::string& path, uint64_t max_size) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error::FromErrno("open", path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Error::FromErrno("stat", path, errno);
  if (static_cast<uint64_t>(st.st_size) > max_size) {
    return Error::LimitExceeded(path + ": file is " + std::to_string(st.st_size) +
                                " bytes, more than the limit of " + std::to_string(max_size));
  }
  Bytes out;
  out.reserve(static_cast<size_t>(st.st_size));
  uint8_t buf[65536];
  for (;;) {
    ssize_t r = ::read(fd.get(), buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno("read", path, errno);
    }
    if (r == 0) break;
    if (out.size() + static_cast<size_t>(r) > max_size) {
      return Error::LimitExceeded(path + ": file grew past the limit of " +
                                  std::to_string(max_size) + " bytes");
    }
    out.insert(out.end(), buf, buf + r);
  }
  return out;
}

Result<std::string> ReadTextFile(const std::string& path, uint64_t max_size) {
  CLEARBOX_ASSIGN_OR_RETURN(Bytes b, ReadFile(path, max_size));
  return std::string(b.begin(), b.end());
}

Status SyncDirectory(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Error::FromErrno("open", dir, errno);
  if (::fsync(fd.get()) != 0) return Error::FromErrno("fsync", dir, errno);
  return {};
}

Status WriteFileAtomic(const std::string& path, ByteView data, unsigned mode) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string tmp = path + ".tmp." + std::to_string(rng());
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (fd.get() < 0) return Error::FromErrno("create", tmp, errno);
    Status s = WriteAll(fd.get(), data, tmp);
    if (s.ok() && ::fsync(fd.get()) != 0) s = Error::FromErrno("fsync", tmp, errno);
    if (!s.ok()) {
      ::unlink(tmp.c_str());
      return s;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Error::FromErrno("rename to", path, err);
  }
  return SyncDirectory(DirName(path));
}

Status WriteNewFile(const std::string& path, ByteView data, unsigned mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (fd.get() < 0) return Error::FromErrno("create", path, errno);
  CLEARBOX_RETURN_IF_ERROR(WriteAll(fd.get(), data, path));
  if (::fsync(fd.get()) != 0) return Error::FromErrno("fsync", path, errno);
  return SyncDirectory(DirName(path));
}

Status MakeDirectories(const std::string& dir, unsigned mode) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error::Io("mkdir " + dir + ": " + ec.message());
  return {};
}

}  // namespace clearbox
