// Helpers shared by the tests of the flash and firmware parsers (decompress, uimage, trx,
// jffs2, ubi): a temp directory, running the Debian tools that build test images, files.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
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

}  // namespace clearbox::unpack::testing
