// Helpers shared by the tests of the flash and firmware parsers (decompress, uimage, trx,
// jffs2, ubi): a temp directory, running the Debian tools that build test images, files.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <lzma.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "clearbox/core/bytes.h"
#include "clearbox/core/digest.h"
#include "internal/format.h"

namespace clearbox::unpack::testing {

inline const std::string kRealCorpus = std::string(CLEARBOX_SHARED_DIR) + "/corpus/real/";

// A fresh directory under the build tree, removed with everything in it at destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = std::string(CLEARBOX_BINARY_DIR) + "/flash-test-XXXXXX";
    path_ = mkdtemp(tmpl.data()) ? std::filesystem::path(tmpl) : std::filesystem::path();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Runs a shell command (stdout/stderr of the tools go to the test log); true on exit 0.
inline bool RunCommand(const std::string& command) {
  int rc = std::system(command.c_str());
  if (rc != 0) ADD_FAILURE() << "command failed (" << rc << "): " << command;
  return rc == 0;
}

inline Bytes ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void WriteBytes(const std::string& path, ByteView data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

// Deterministic, moderately compressible bytes: words from a small vocabulary mixed with
// pseudo-random bytes, so every codec has work to do and nothing compresses to nothing.
inline Bytes TestData(size_t size, uint32_t seed = 1) {
  static const char* kWords[] = {"firmware ", "kernel ", "rootfs ", "busybox ", "\n",
                                 "passwd ",   "0x8001 ", "uImage ", "lzma ",    "jffs2 "};
  Bytes out;
  out.reserve(size);
  uint32_t x = seed * 2654435761u + 12345;
  while (out.size() < size) {
    x = x * 1103515245u + 12345;
    if ((x >> 16) % 4 == 0) {
      out.push_back(static_cast<uint8_t>(x >> 8));
    } else {
      for (const char* p = kWords[(x >> 20) % 10]; *p && out.size() < size; ++p) out.push_back(*p);
    }
  }
  return out;
}

// A Walker that records what a handler reports, copying every payload and node content,
// so handlers can be tested without the engine. Limits are those of `limits`.
class FakeWalker : public internal::Walker {
 public:
  struct RecordedPayload {
    std::string label;
    uint64_t offset = 0;
    Bytes bytes;
    uint64_t compressed_size = 0;
    std::string format_hint;
  };
  struct RecordedNode {
    Node node;
    bool has_content = false;
    Bytes content;
    std::string read_error;  // a ContentReader error, if reading failed
  };

  explicit FakeWalker(Limits limits = {}) : limits_(limits) {}

  const std::string& provenance() const override { return provenance_; }
  const Limits& limits() const override { return limits_; }
  int threads() const override { return 1; }
  bool WantsContent() const override { return true; }

  Status AddNode(Node node, ContentReader* content) override {
    if (nodes.size() >= limits_.max_entries) return Error::LimitExceeded("entries");
    RecordedNode r;
    r.node = std::move(node);
    if (content) {
      r.has_content = true;
      uint8_t buf[65536];
      while (true) {
        Result<size_t> n = content->Read(buf);
        if (!n.ok()) {
          r.read_error = n.error().message();
          break;
        }
        if (*n == 0) break;
        r.content.insert(r.content.end(), buf, buf + *n);
      }
    }
    nodes.push_back(std::move(r));
    return Status::Ok();
  }

  Status AddPayload(internal::Payload p) override {
    RecordedPayload r{p.label, p.offset, {}, p.compressed_size, std::string(p.format_hint)};
    if (p.blob) {
      ByteView b = p.blob->bytes();
      r.bytes.assign(b.begin(), b.end());
    } else if (p.stream) {
      uint8_t buf[65536];
      while (true) {
        Result<size_t> n = p.stream->Read(buf);
        if (!n.ok() || *n == 0) break;
        r.bytes.insert(r.bytes.end(), buf, buf + *n);
      }
    } else {
      r.bytes.assign(p.view.begin(), p.view.end());
    }
    payloads.push_back(std::move(r));
    return Status::Ok();
  }

  void AddNote(Note::Kind kind, uint64_t offset, std::string message) override {
    notes.push_back(Note{kind, provenance_, offset, std::move(message)});
  }

  uint64_t OutputBudget(uint64_t compressed_bytes) const override {
    uint64_t by_ratio = std::max<uint64_t>(1 << 20, compressed_bytes * limits_.max_ratio);
    return std::min({limits_.max_file_bytes, limits_.max_total_bytes - charged, by_ratio});
  }
  Status Charge(uint64_t bytes) override {
    if (bytes > limits_.max_total_bytes - charged) return Error::LimitExceeded("total bytes");
    charged += bytes;
    return Status::Ok();
  }
  Status CheckContinue() override { return Status::Ok(); }

  std::unique_ptr<internal::SpillBuffer> NewSpillBuffer() override {
    return std::make_unique<MemorySpill>(this);
  }

  // The first note of `kind` whose message contains `text`, or nullptr.
  const Note* FindNote(Note::Kind kind, std::string_view text) const {
    for (const Note& n : notes) {
      if (n.kind == kind && n.message.find(text) != std::string::npos) return &n;
    }
    return nullptr;
  }
  std::string AllNotes() const {
    std::string all;
    for (const Note& n : notes) {
      all += "kind " + std::to_string(static_cast<int>(n.kind)) + " @" + std::to_string(n.offset) +
             ": " + n.message + "\n";
    }
    return all;
  }
  const RecordedNode* FindNode(std::string_view path) const {
    for (const RecordedNode& n : nodes) {
      if (n.node.path == path) return &n;
    }
    return nullptr;
  }

  std::vector<RecordedPayload> payloads;
  std::vector<RecordedNode> nodes;
  std::vector<Note> notes;
  uint64_t charged = 0;

 private:
  class BytesBlob : public internal::Blob {
   public:
    explicit BytesBlob(Bytes b) : bytes_(std::move(b)) {}
    ByteView bytes() const override { return bytes_; }

   private:
    Bytes bytes_;
  };
  class MemorySpill : public internal::SpillBuffer {
   public:
    explicit MemorySpill(FakeWalker* w) : walker_(w) {}
    uint64_t size() const override { return bytes_.size(); }
    Status Append(ByteView data) override { return WriteAt(bytes_.size(), data); }
    Status WriteAt(uint64_t offset, ByteView data) override {
      uint64_t end = offset + data.size();
      if (end > bytes_.size()) {
        if (end > walker_->limits_.max_file_bytes) return Error::LimitExceeded("spill size");
        Status s = walker_->Charge(end - bytes_.size());
        if (!s.ok()) return s;
        bytes_.resize(end);
      }
      std::copy(data.begin(), data.end(), bytes_.begin() + offset);
      return Status::Ok();
    }
    Result<std::shared_ptr<const internal::Blob>> Finish() override {
      return std::shared_ptr<const internal::Blob>(std::make_shared<BytesBlob>(std::move(bytes_)));
    }

   private:
    FakeWalker* walker_;
    Bytes bytes_;
  };

  Limits limits_;
  std::string provenance_ = "test.bin!fmt@0x0";
};

inline std::string Sha256Of(ByteView b) { return Sha256Hex(b); }

// Runs an lzma encoder the caller set up (alone, raw, xz) over `in` to its end.
inline Bytes FinishLzmaEncoder(lzma_stream& s, ByteView in) {
  Bytes out(in.size() + in.size() / 2 + 4096);
  s.next_in = in.data();
  s.avail_in = in.size();
  s.next_out = out.data();
  s.avail_out = out.size();
  EXPECT_EQ(lzma_code(&s, LZMA_FINISH), LZMA_STREAM_END);
  out.resize(s.total_out);
  lzma_end(&s);
  return out;
}

// `in` as a .lzma ("LZMA alone") stream at `preset`, as vendor firmware tools write it.
inline Bytes LzmaAloneEncode(ByteView in, uint32_t preset = 6) {
  lzma_stream s = LZMA_STREAM_INIT;
  lzma_options_lzma opts;
  lzma_lzma_preset(&opts, preset);
  EXPECT_EQ(lzma_alone_encoder(&s, &opts), LZMA_OK);
  return FinishLzmaEncoder(s, in);
}

// What a filesystem parser should report for one path, compared field by field.
struct TreeEntry {
  NodeType type = NodeType::kFile;
  uint32_t mode = 0;  // 07777
  uint32_t uid = 0, gid = 0;
  int64_t mtime = 0;
  std::string link_target;  // symlinks: as stored; hard links: the first path
  std::string sha256;       // files only
  uint32_t dev_major = 0, dev_minor = 0;
};
using Tree = std::map<std::string, TreeEntry>;

// Builds the tree every flash filesystem test packs: nested directories, files of several
// sizes (empty, one byte, many pages, incompressible), setuid and private modes, relative
// and absolute symlinks, a hard link pair, a FIFO and names with spaces and UTF-8.
// Device nodes come from the device table DeviceTable() (mkfs.jffs2 -D, mkfs.ubifs -D).
inline void BuildSampleTree(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  auto file = [&](const std::string& rel, ByteView content, fs::perms mode) {
    WriteBytes((root / rel).string(), content);
    fs::permissions(root / rel, mode);
  };
  using P = fs::perms;
  fs::create_directories(root / "bin");
  fs::create_directories(root / "sbin");
  fs::create_directories(root / "etc/init.d");
  fs::create_directories(root / "lib");
  fs::create_directories(root / "var/empty-dir");
  fs::create_directories(root / "a/b/c/d/e/f");
  fs::create_directories(root / "data");
  file("bin/busybox", TestData(300'000, 31),
       P::owner_all | P::group_read | P::group_exec | P::others_read | P::others_exec | P::set_uid);
  fs::create_symlink("busybox", root / "bin/sh");
  fs::create_symlink("../bin/busybox", root / "sbin/init");
  fs::create_symlink("/tmp/nowhere/../../etc/shadow", root / "etc/dangling");
  file("etc/passwd",
       AsBytes("root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n"),
       P::owner_read | P::owner_write | P::group_read | P::others_read);
  file("etc/shadow", AsBytes("root:$6$salt$hash:19000:0:99999:7:::\n"),
       P::owner_read | P::owner_write);
  file("etc/empty", ByteView(), P::owner_read | P::owner_write);
  file("etc/one", AsBytes("x"), P::owner_read);
  file("etc/init.d/rcS", AsBytes("#!/bin/sh\nmount -a\n/sbin/telnetd -l /bin/sh\n"), P::owner_all);
  Bytes mixed = TestData(20'000, 41);
  mixed.resize(90'000, 0);  // a long run of zeros after the text
  Bytes noise(50'000);
  uint32_t x = 7;
  for (auto& b : noise) b = static_cast<uint8_t>((x = x * 1664525u + 1013904223u) >> 24);
  mixed.insert(mixed.end(), noise.begin(), noise.end());
  file("var/mixed.bin", mixed, P::owner_read | P::owner_write | P::group_read);
  file("lib/libc.so.1", TestData(40'000, 51), P::owner_all | P::group_read | P::others_read);
  fs::create_hard_link(root / "lib/libc.so.1", root / "lib/libc.so.1-hardlink");
  file("a/b/c/d/e/f/deep.txt", AsBytes("deep\n"), P::owner_read | P::owner_write);
  file("data/\xc3\xbc name with spaces.txt", AsBytes("umlaut\n"), P::owner_read | P::owner_write);
  mkfifo((root / "var/fifo").c_str(), 0640);
  // Fixed times, so that the test does not depend on the clock.
  for (auto& e : fs::recursive_directory_iterator(root)) {
    struct timespec times[2] = {{1600000000, 0}, {1600000000, 0}};
    utimensat(AT_FDCWD, e.path().c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
}

// Device nodes for mkfs.jffs2/mkfs.ubifs -D (name type mode uid gid major minor start inc
// count), and what they must unpack to.
inline std::string DeviceTable() {
  return "/dev d 755 0 0 - - - - -\n"
         "/dev/console c 600 0 0 5 1 - - -\n"
         "/dev/mtdblock0 b 640 0 6 31 0 - - -\n";
}
inline void AddDeviceEntries(Tree& tree) {
  tree["/dev/console"] = TreeEntry{NodeType::kCharDevice, 0600, 0, 0, 0, "", "", 5, 1};
  tree["/dev/mtdblock0"] = TreeEntry{NodeType::kBlockDevice, 0640, 0, 6, 0, "", "", 31, 0};
}

// The tree as the host sees it (lstat, never following links), in the order a filesystem
// walk reports it: hard links after the first path of their inode in sorted depth-first
// order.
inline Tree ReadHostTree(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  Tree tree;
  std::map<std::pair<dev_t, ino_t>, std::string> first_path;
  std::vector<std::pair<fs::path, std::string>> stack = {{root, ""}};
  while (!stack.empty()) {
    auto [dir, prefix] = stack.back();
    stack.pop_back();
    std::vector<std::string> names;
    for (auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    std::vector<std::pair<fs::path, std::string>> subdirs;
    for (const std::string& name : names) {
      fs::path p = dir / name;
      std::string path = prefix + "/" + name;
      struct stat st;
      lstat(p.c_str(), &st);
      TreeEntry e;
      e.mode = st.st_mode & 07777;
      e.uid = st.st_uid;
      e.gid = st.st_gid;
      e.mtime = st.st_mtime;
      if (S_ISDIR(st.st_mode)) {
        e.type = NodeType::kDirectory;
        subdirs.push_back({p, path});
      } else if (S_ISLNK(st.st_mode)) {
        e.type = NodeType::kSymlink;
        e.link_target = fs::read_symlink(p).string();
      } else if (S_ISFIFO(st.st_mode)) {
        e.type = NodeType::kFifo;
      } else {
        auto key = std::make_pair(st.st_dev, st.st_ino);
        if (auto it = first_path.find(key); it != first_path.end()) {
          e.type = NodeType::kHardLink;
          e.link_target = it->second;
        } else {
          first_path[key] = path;
          e.sha256 = Sha256Of(ReadBytes(p.string()));
        }
      }
      tree[path] = e;
    }
    // Depth-first, in name order: the first subdirectory is walked first.
    for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) stack.push_back(*it);
  }
  return tree;
}

inline std::string TypeName(NodeType t) { return std::to_string(static_cast<int>(t)); }

// What a parsed file system (jffs2, ubifs, cramfs, erofs, ...: entries() and ReadFile()) holds,
// as a Tree: every field, and each file's content hashed (reading it must succeed).
template <typename Fs>
Tree TreeOf(const Fs& fs) {
  Tree tree;
  for (const auto& e : fs.entries()) {
    TreeEntry t;
    t.type = e.type;
    t.mode = e.mode;
    t.uid = e.uid;
    t.gid = e.gid;
    if constexpr (requires { e.mtime; }) t.mtime = e.mtime;  // cramfs keeps no times
    t.link_target = e.link_target;
    t.dev_major = e.dev_major;
    t.dev_minor = e.dev_minor;
    if (e.type == NodeType::kFile) {
      Result<Bytes> content = fs.ReadFile(e, 1 << 30);
      EXPECT_TRUE(content.ok()) << e.path << ": " << content.error().ToString();
      if (content.ok()) t.sha256 = Sha256Of(*content);
    }
    tree[e.path] = t;
  }
  return tree;
}

// The messages of a parse's notes, one a line, for failure messages and substring checks.
inline std::string NotesOf(const std::vector<Note>& notes) {
  std::string s;
  for (const Note& n : notes) s += n.message + "\n";
  return s;
}
template <typename Fs>
std::string NotesOf(const Fs& fs) {
  return NotesOf(fs.notes());
}

// Compares every field of every path; `check_owner_time` off for formats that squash them.
inline void ExpectSameTree(const Tree& expected, const Tree& actual, bool check_owner_time = true) {
  for (const auto& [path, want] : expected) {
    auto it = actual.find(path);
    if (it == actual.end()) {
      ADD_FAILURE() << "missing: " << path;
      continue;
    }
    const TreeEntry& got = it->second;
    EXPECT_EQ(TypeName(got.type), TypeName(want.type)) << path;
    if (want.type != NodeType::kHardLink) {
      EXPECT_EQ(got.mode, want.mode) << path;
    }
    if (check_owner_time) {
      EXPECT_EQ(got.uid, want.uid) << path;
      EXPECT_EQ(got.gid, want.gid) << path;
      if (want.mtime) {
        EXPECT_EQ(got.mtime, want.mtime) << path;
      }
    }
    EXPECT_EQ(got.link_target, want.link_target) << path;
    EXPECT_EQ(got.sha256, want.sha256) << path;
    EXPECT_EQ(got.dev_major, want.dev_major) << path;
    EXPECT_EQ(got.dev_minor, want.dev_minor) << path;
  }
  for (const auto& [path, got] : actual) {
    if (!expected.contains(path)) ADD_FAILURE() << "unexpected: " << path;
  }
}

}  // namespace clearbox::unpack::testing
