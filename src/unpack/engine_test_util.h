// Helpers for the engine's tests: a scratch directory, the real tools that build the test
// archives, and an unpack that collects everything.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/digest.h"
#include "clearbox/unpack/unpack.h"

namespace clearbox::unpack::enginetest {

// A fresh directory under the build tree, removed at destruction.
class Scratch {
 public:
  Scratch() {
    std::string tmpl = std::string(CLEARBOX_BINARY_DIR) + "/engine-test-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs `command` with sh in `dir`; fails the test (returns false) on a non-zero exit.
inline bool Sh(const std::string& dir, const std::string& command) {
  std::string full = "cd '" + dir + "' && ( " + command + " ) >/dev/null 2>&1";
  int rc = std::system(full.c_str());
  if (rc != 0) ADD_FAILURE() << "command failed (" << rc << "): " << command;
  return rc == 0;
}

inline void WriteText(const std::string& path, std::string_view text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), std::streamsize(text.size()));
}

inline Bytes ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A small root filesystem with the shapes every format must carry: nested directories,
// a setuid binary, a symlink, a hard link, an empty file and a 300 KB file spanning blocks.
inline void MakeRootfs(const std::string& root) {
  WriteText(root + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  WriteText(root + "/etc/init.d/rcS", "#!/bin/sh\nmount -a\n");
  std::string big;
  for (int i = 0; big.size() < 300000; ++i)
    big += "line " + std::to_string(i * 7919 % 10007) + "\n";
  WriteText(root + "/bin/busybox", big);
  WriteText(root + "/empty", "");
  std::filesystem::permissions(root + "/bin/busybox", std::filesystem::perms(04755));
  std::filesystem::create_symlink("busybox", root + "/bin/sh");
  std::filesystem::create_hard_link(root + "/etc/passwd", root + "/etc/passwd.hard");
}

inline std::string Sha(std::string_view text) { return Sha256Hex(AsBytes(text)); }

struct Unpacked {
  Summary summary;
  std::vector<TreeCollector::Entry> entries;
  std::vector<FilesystemInfo> filesystems;
  std::vector<Note> notes;

  const TreeCollector::Entry* Find(std::string_view provenance) const {
    for (const auto& e : entries) {
      if (e.node.provenance == provenance) return &e;
    }
    return nullptr;
  }
  // The first entry whose provenance ends with `suffix`.
  const TreeCollector::Entry* FindSuffix(std::string_view suffix) const {
    for (const auto& e : entries) {
      if (e.node.provenance.ends_with(suffix)) return &e;
    }
    return nullptr;
  }
  bool HasNote(Note::Kind kind, std::string_view text) const {
    for (const Note& n : notes) {
      if (n.kind == kind && n.message.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::string NotesText() const {
    std::string out;
    for (const Note& n : notes) {
      out += std::string(NoteKindName(n.kind)) + " " + n.where + " @" + std::to_string(n.offset) +
             ": " + n.message + "\n";
    }
    return out;
  }
};

inline Unpacked UnpackPath(const std::string& path, const Options& options = {}, bool hash = true) {
  TreeCollector tree(hash);
  Unpacked u;
  Result<Summary> s = UnpackFile(path, options, tree);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().ToString());
  if (s.ok()) u.summary = *s;
  u.entries = tree.TakeEntries();
  u.filesystems = tree.TakeFilesystems();
  u.notes = tree.TakeNotes();
  return u;
}

inline Unpacked UnpackBytes(ByteView data, const Options& options = {}) {
  TreeCollector tree(true);
  Unpacked u;
  Result<Summary> s = UnpackBuffer(data, "buf", options, tree);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().ToString());
  if (s.ok()) u.summary = *s;
  u.entries = tree.TakeEntries();
  u.filesystems = tree.TakeFilesystems();
  u.notes = tree.TakeNotes();
  return u;
}

}  // namespace clearbox::unpack::enginetest
