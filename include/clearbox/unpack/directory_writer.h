// DirectoryWriter: the sink behind `clearbox unpack -o DIR`. Writes what the engine finds
// under one directory and records every node in a ManifestWriter.
//
// Layout: one subdirectory per container that holds nodes, named after its provenance
// without the image name ("squashfs@0x0", "uimage@0x0!squashfs", "tar@0x0_boot_initrd!gzip!cpio"),
// the filesystem's tree below it. The manifest's "output" gives each node's path.
//
// Safety: every path is opened relative to a directory fd, component by component, with
// O_NOFOLLOW, so nothing is ever written outside DIR, not even through a symlink the image
// placed earlier (such an entry is recorded, not written, and makes the result partial).
// Symlinks are created as symlinks and never followed; hard links become links to the
// target written earlier in the same filesystem (a copy when linking fails); device nodes,
// fifos and sockets are recorded, not created; setuid/setgid/sticky bits are recorded, not
// applied (files get mode & 0777, plus owner read/write so the tree can be read back).
// A path stored twice is written twice: the later copy as NAME.clearbox-dup-N.
//
// Thread-safe (OnNode runs concurrently).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "clearbox/core/result.h"
#include "clearbox/unpack/manifest.h"
#include "clearbox/unpack/unpack.h"

namespace clearbox::unpack {

class DirectoryWriter : public Sink {
 public:
  // Creates `dir` if needed. Errors: kAlreadyExists if it holds anything and !force;
  // kIo if it cannot be created or opened.
  static Result<std::unique_ptr<DirectoryWriter>> Create(const std::string& dir, bool force,
                                                         ManifestWriter& manifest);
  ~DirectoryWriter() override;

  void OnFilesystem(const FilesystemInfo& fs) override;
  // Errors (they stop the unpack): kIo when the output cannot be written (disk full).
  Status OnNode(const Node& node, ContentReader* content) override;
  void OnNote(const Note& note) override { manifest_.AddNote(note); }

  uint64_t files_written() const { return files_written_.load(); }
  uint64_t bytes_written() const { return bytes_written_.load(); }
  // Nodes that could not be written (a symlink or file in the way, a broken hard link).
  uint64_t not_written() const { return not_written_.load(); }

  struct Fd;  // a shared, refcounted directory fd (private)

 private:
  DirectoryWriter(std::string dir, int root_fd, ManifestWriter& manifest);

  struct Target {
    std::shared_ptr<Fd> parent;  // the directory that holds the entry
    std::string name;            // the last component
    std::string output;          // path relative to the output directory
  };
  // Resolves (creating directories) the parent of `path` inside the filesystem `fs`.
  Result<Target> Resolve(std::string_view fs, std::string_view path);
  Result<std::shared_ptr<Fd>> OpenDirectory(std::string_view fs, std::string_view dir);
  Result<std::shared_ptr<Fd>> FilesystemRoot(std::string_view fs);
  Status WriteFile(const Node& node, ContentReader* content, Target& target, std::string* sha);
  Status WriteDirectory(const Node& node, Target& target);
  Status WriteSymlink(const Node& node, Target& target);
  Status WriteHardLink(const Node& node, std::string_view fs, Target& target);
  void NotWritten(const Node& node, std::string why);

  std::string dir_;
  int root_fd_;
  ManifestWriter& manifest_;
  const uint32_t umask_;  // the process's umask when created (all bits if unknown)
  std::mutex mu_;  // guards the maps below
  std::unordered_map<std::string, std::string> subdir_of_fs_;
  std::unordered_map<std::string, int> subdir_uses_;
  std::unordered_map<std::string, std::shared_ptr<Fd>> dir_cache_;
  std::atomic<uint64_t> files_written_{0}, bytes_written_{0}, not_written_{0};
};

}  // namespace clearbox::unpack
