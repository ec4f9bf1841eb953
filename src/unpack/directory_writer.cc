#include "clearbox/unpack/directory_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"

namespace clearbox::unpack {

struct DirectoryWriter::Fd {
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  int fd;
};

namespace {

// Directory fds kept open: enough for the directories a filesystem writes to in turn.
constexpr size_t kMaxCachedDirs = 512;
constexpr size_t kCopyBuffer = 1 << 20;
constexpr int kMaxDuplicates = 1000;

std::string SubdirName(std::string_view provenance) {
  // Drop the image name: "fw.bin!uimage@0x0!squashfs" -> "uimage@0x0!squashfs".
  size_t bang = provenance.find('!');
  std::string_view rest = bang == std::string_view::npos ? provenance : provenance.substr(bang + 1);
  std::string out;
  for (char c : rest) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@' || c == '!' || c == '+';
    out += ok ? c : '_';
  }
  if (out.empty() || out[0] == '.') out.insert(0, "_");
  if (out.size() > 160) out = out.substr(0, 120) + "~" + Sha256Hex(AsBytes(rest)).substr(0, 16);
  return out;
}

std::pair<std::string_view, std::string_view> SplitParent(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {"/", path};
  std::string_view parent = slash == 0 ? std::string_view("/") : path.substr(0, slash);
  return {parent, path.substr(slash + 1)};
}

// The process's umask, read without setting it (umask(2) would change it for a moment, for
// every thread): from /proc/self/status. All bits when unknown: every file then gets its
// fchmod.
mode_t CurrentUmask() {
  std::FILE* f = std::fopen("/proc/self/status", "re");
  if (f == nullptr) return 07777;
  mode_t mask = 07777;
  char line[256];
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    unsigned value = 0;
    if (std::sscanf(line, "Umask: %o", &value) == 1) {
      mask = mode_t(value) & 07777;
      break;
    }
  }
  std::fclose(f);
  return mask;
}

bool DirectoryIsEmpty(int fd) {
  int dup_fd = dup(fd);
  if (dup_fd < 0) return false;
  DIR* d = fdopendir(dup_fd);
  if (d == nullptr) {
    close(dup_fd);
    return false;
  }
  bool empty = true;
  while (dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  closedir(d);
  return empty;
}

}  // namespace

Result<std::unique_ptr<DirectoryWriter>> DirectoryWriter::Create(const std::string& dir, bool force,
                                                                 ManifestWriter& manifest) {
  CLEARBOX_RETURN_IF_ERROR(MakeDirectories(dir));
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error::FromErrno("open output directory", dir, errno);
  if (!force && !DirectoryIsEmpty(fd)) {
    close(fd);
    return Error::AlreadyExists(
        fmt::format("output directory {} is not empty (use --force to write into it anyway)", dir));
  }
  return std::unique_ptr<DirectoryWriter>(new DirectoryWriter(dir, fd, manifest));
}

DirectoryWriter::DirectoryWriter(std::string dir, int root_fd, ManifestWriter& manifest)
    : dir_(std::move(dir)), root_fd_(root_fd), manifest_(manifest), umask_(CurrentUmask()) {}

DirectoryWriter::~DirectoryWriter() {
  dir_cache_.clear();
  close(root_fd_);
}

void DirectoryWriter::OnFilesystem(const FilesystemInfo& fs) {
  manifest_.AddFilesystem(fs);
  std::lock_guard<std::mutex> lock(mu_);
  if (subdir_of_fs_.count(fs.provenance)) return;
  std::string name = SubdirName(fs.provenance);
  int uses = subdir_uses_[name]++;
  if (uses > 0) name += fmt::format("-{}", uses);
  subdir_of_fs_.emplace(fs.provenance, std::move(name));
}

Result<std::shared_ptr<DirectoryWriter::Fd>> DirectoryWriter::FilesystemRoot(std::string_view fs) {
  // Caller holds mu_.
  std::string key(fs);
  key += '\0';
  if (auto it = dir_cache_.find(key); it != dir_cache_.end()) return it->second;
  auto sub = subdir_of_fs_.find(std::string(fs));
  if (sub == subdir_of_fs_.end()) {
    // A node whose container was never announced: name the directory after it anyway.
    sub = subdir_of_fs_.emplace(std::string(fs), SubdirName(fs)).first;
  }
  if (mkdirat(root_fd_, sub->second.c_str(), 0755) != 0 && errno != EEXIST) {
    return Error::FromErrno("create", dir_ + "/" + sub->second, errno);
  }
  int fd = openat(root_fd_, sub->second.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Error::FromErrno("open", dir_ + "/" + sub->second, errno);
  auto holder = std::make_shared<Fd>(fd);
  dir_cache_.emplace(std::move(key), holder);
  return holder;
}

Result<std::shared_ptr<DirectoryWriter::Fd>> DirectoryWriter::OpenDirectory(std::string_view fs,
                                                                            std::string_view dir) {
  // Caller holds mu_. `dir` is a normalised absolute path ("/" or "/a/b").
  CLEARBOX_ASSIGN_OR_RETURN(std::shared_ptr<Fd> current, FilesystemRoot(fs));
  if (dir == "/") return current;
  std::string key(fs);
  key += '\0';
  // Start from the deepest directory already open.
  size_t done = 0;  // bytes of `dir` resolved
  for (size_t end = dir.size(); end > 0; end = dir.rfind('/', end - 1)) {
    auto it = dir_cache_.find(key + std::string(dir.substr(0, end)));
    if (it != dir_cache_.end()) {
      current = it->second;
      done = end;
      break;
    }
    if (end == 0) break;
  }
  if (dir_cache_.size() > kMaxCachedDirs) {
    // Holders in use stay alive through their shared_ptr.
    for (auto it = dir_cache_.begin(); it != dir_cache_.end();) {
      it = it->first.back() == '\0' ? std::next(it) : dir_cache_.erase(it);
    }
  }
  while (done < dir.size()) {
    size_t next = dir.find('/', done + 1);
    if (next == std::string_view::npos) next = dir.size();
    std::string name(dir.substr(done + 1, next - done - 1));
    if (mkdirat(current->fd, name.c_str(), 0755) != 0 && errno != EEXIST) {
      return Error::FromErrno("create directory", std::string(dir.substr(0, next)), errno);
    }
    // O_NOFOLLOW: a symlink the image placed here is never traversed.
    int fd = openat(current->fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == ELOOP || err == ENOTDIR) {
        return Error::InvalidInput(fmt::format(
            "{} is a symlink or a file in the output, not a directory: not written through",
            dir.substr(0, next)));
      }
      return Error::FromErrno("open directory", std::string(dir.substr(0, next)), err);
    }
    current = std::make_shared<Fd>(fd);
    dir_cache_.emplace(key + std::string(dir.substr(0, next)), current);
    done = next;
  }
  return current;
}

Result<DirectoryWriter::Target> DirectoryWriter::Resolve(std::string_view fs,
                                                         std::string_view path) {
  auto [parent, name] = SplitParent(path);
  std::lock_guard<std::mutex> lock(mu_);
  CLEARBOX_ASSIGN_OR_RETURN(std::shared_ptr<Fd> fd, OpenDirectory(fs, parent));
  Target t;
  t.parent = std::move(fd);
  t.name = std::string(name);
  t.output = subdir_of_fs_[std::string(fs)];
  t.output += path;
  return t;
}

void DirectoryWriter::NotWritten(const Node& node, std::string why) {
  not_written_.fetch_add(1);
  Note note;
  note.kind = Note::Kind::kWarning;
  note.where = node.provenance;
  note.message = "not written: " + why;
  manifest_.AddNote(note);
}

Status DirectoryWriter::OnNode(const Node& node, ContentReader* content) {
  std::string_view fs = NodeFilesystem(node);
  std::string sha;
  std::string output;
  bool writable = node.type != NodeType::kCharDevice && node.type != NodeType::kBlockDevice &&
                  node.type != NodeType::kFifo && node.type != NodeType::kSocket;
  if (writable && node.path == "/") {
    // The filesystem's root is its subdirectory.
    std::lock_guard<std::mutex> lock(mu_);
    CLEARBOX_ASSIGN_OR_RETURN(std::shared_ptr<Fd> root, FilesystemRoot(fs));
    fchmod(root->fd, (node.mode & 0777) | 0700);
    output = subdir_of_fs_[std::string(fs)];
  } else if (writable) {
    Result<Target> target = Resolve(fs, node.path);
    if (!target.ok()) {
      if (target.error().code() != ErrorCode::kInvalidInput) return target.error();
      NotWritten(node, target.error().message());
    } else {
      Status s;
      switch (node.type) {
        case NodeType::kFile:
          s = WriteFile(node, content, *target, &sha);
          break;
        case NodeType::kDirectory:
          s = WriteDirectory(node, *target);
          break;
        case NodeType::kSymlink:
          s = WriteSymlink(node, *target);
          break;
        default:
          s = WriteHardLink(node, fs, *target);
          break;
      }
      if (s.ok()) {
        output = std::move(target->output);
      } else if (s.error().code() == ErrorCode::kInvalidInput) {
        NotWritten(node, s.error().message());
      } else {
        return s;
      }
    }
  }
  // Content the writer could not place is still hashed for the manifest.
  if (node.type == NodeType::kFile && sha.empty() && content != nullptr)
    sha = HashContent(*content);
  manifest_.AddNode(node, sha, output);
  return Status::Ok();
}

Status DirectoryWriter::WriteFile(const Node& node, ContentReader* content, Target& target,
                                  std::string* sha) {
  const mode_t mode = (node.mode & 0777) | 0600;
  int fd = -1;
  std::string name = target.name;
  for (int dup = 0; fd < 0 && dup <= kMaxDuplicates; ++dup) {
    if (dup > 0) name = fmt::format("{}.clearbox-dup-{}", target.name, dup);
    fd = openat(target.parent->fd, name.c_str(),
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0 && errno != EEXIST) {
      return Error::FromErrno("create", dir_ + "/" + target.output, errno);
    }
  }
  if (fd < 0) return Error::InvalidInput("too many entries with the same path");
  if (name != target.name) target.output += name.substr(target.name.size());
  Fd closer(fd);
  // Exact bits, whatever the umask. The file is new (O_EXCL): it has `mode` less the umask's
  // bits, so the call is needed only when the umask clears some of them (a syscall per file).
  if ((mode & umask_) != 0) fchmod(fd, mode);

  Sha256Hasher hasher;
  uint64_t written = 0;
  if (content != nullptr) {
    if (std::optional<ByteView> view = content->Contiguous()) {
      // Zero-copy from the mapped image (or the decompressed buffer) into the file.
      hasher.Update(*view);
      CLEARBOX_RETURN_IF_ERROR(WriteAll(fd, *view, dir_ + "/" + target.output));
      written = view->size();
    } else {
      thread_local Bytes buffer;
      if (buffer.size() != kCopyBuffer) buffer.resize(kCopyBuffer);
      while (true) {
        Result<size_t> n = content->Read(buffer);
        if (!n.ok() || *n == 0) break;  // a read error is a note already: keep what was read
        ByteView chunk = ByteView(buffer).first(*n);
        hasher.Update(chunk);
        CLEARBOX_RETURN_IF_ERROR(WriteAll(fd, chunk, dir_ + "/" + target.output));
        written += *n;
      }
    }
  }
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = time_t(node.mtime);
  times[0].tv_nsec = times[1].tv_nsec = 0;
  futimens(fd, times);
  Sha256Digest d = hasher.Finish();
  *sha = HexEncode(d);
  files_written_.fetch_add(1);
  bytes_written_.fetch_add(written);
  return Status::Ok();
}

Status DirectoryWriter::WriteDirectory(const Node& node, Target& target) {
  std::shared_ptr<Fd> dir;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Result<std::shared_ptr<Fd>> opened = OpenDirectory(NodeFilesystem(node), node.path);
    if (!opened.ok()) return opened.error();
    dir = *opened;
  }
  fchmod(dir->fd, (node.mode & 0777) | 0700);
  return Status::Ok();
}

Status DirectoryWriter::WriteSymlink(const Node& node, Target& target) {
  if (node.link_target.empty() || node.link_target.find('\0') != std::string::npos) {
    return Error::InvalidInput("symlink with an empty or NUL-containing target");
  }
  std::string name = target.name;
  for (int dup = 0; dup <= kMaxDuplicates; ++dup) {
    if (dup > 0) name = fmt::format("{}.clearbox-dup-{}", target.name, dup);
    if (symlinkat(node.link_target.c_str(), target.parent->fd, name.c_str()) == 0) {
      if (name != target.name) target.output += name.substr(target.name.size());
      return Status::Ok();
    }
    if (errno != EEXIST)
      return Error::FromErrno("create symlink", dir_ + "/" + target.output, errno);
  }
  return Error::InvalidInput("too many entries with the same path");
}

Status DirectoryWriter::WriteHardLink(const Node& node, std::string_view fs, Target& target) {
  Result<Target> source = Resolve(fs, node.link_target);
  if (!source.ok()) {
    if (source.error().code() != ErrorCode::kInvalidInput) return source.error();
    return Error::InvalidInput("hard link target " + node.link_target + ": " +
                               source.error().message());
  }
  std::string name = target.name;
  for (int dup = 0; dup <= kMaxDuplicates; ++dup) {
    if (dup > 0) name = fmt::format("{}.clearbox-dup-{}", target.name, dup);
    if (linkat(source->parent->fd, source->name.c_str(), target.parent->fd, name.c_str(), 0) == 0) {
      if (name != target.name) target.output += name.substr(target.name.size());
      return Status::Ok();
    }
    if (errno == EEXIST) continue;
    if (errno == ENOENT) {
      return Error::InvalidInput("hard link to " + node.link_target +
                                 ", which was not written before it (a loop or a dangling link)");
    }
    if (errno == EPERM || errno == EXDEV || errno == EMLINK) break;  // copy instead
    return Error::FromErrno("link", dir_ + "/" + target.output, errno);
  }
  // Linking is refused (a directory target, a filesystem without links): copy a file.
  int in = openat(source->parent->fd, source->name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (in < 0 || fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (in >= 0) close(in);
    return Error::InvalidInput("hard link to " + node.link_target + ", which is not a file");
  }
  Fd in_closer(in);
  int out = openat(target.parent->fd, name.c_str(),
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 0777);
  if (out < 0) return Error::FromErrno("create", dir_ + "/" + target.output, errno);
  Fd out_closer(out);
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = copy_file_range(in, nullptr, out, nullptr, size_t(left), 0);
    if (n <= 0) return Error::FromErrno("copy", dir_ + "/" + target.output, errno);
    left -= n;
  }
  if (name != target.name) target.output += name.substr(target.name.size());
  return Status::Ok();
}

}  // namespace clearbox::unpack
