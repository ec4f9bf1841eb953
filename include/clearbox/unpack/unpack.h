// unpack: turns a firmware image into a tree of filesystems.
//
//   clearbox::unpack::Options opts;          // limits, threads
//   clearbox::unpack::TreeCollector tree;    // or DirectoryWriter, or your own Sink
//   auto summary = clearbox::unpack::UnpackFile("fw.bin", opts, tree);
//   if (!summary.ok()) ...;                  // only for unreadable input / usage errors
//   for (const auto& n : tree.nodes()) ...   // corrupt parts are Notes, not errors
//
// The engine maps the input, identifies containers by magic at offset 0 and by carving at
// any offset (each header validated before it is trusted; bytes inside an unpacked
// container are not carved again), opens each with its format handler, and recurses into
// payloads and into files that are themselves containers, within the Limits. It never
// writes anything itself: every node goes to a Sink, with its content readable once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/limits.h"
#include "clearbox/unpack/node.h"

namespace clearbox {
class Progress;
}

namespace clearbox::unpack {

// Sequential reader over one file's content, valid only during Sink::OnNode.
class ContentReader {
 public:
  virtual ~ContentReader() = default;
  // The size the container declares (the content may end earlier if it is corrupt).
  virtual uint64_t size() const = 0;
  // Reads up to out.size() bytes; 0 at the end. Errors name the node and what failed: a
  // corrupt block (kInvalidInput) or a limit (kLimitExceeded). The engine has already
  // recorded a Note for it; a sink keeps what it read and returns Ok from OnNode (returning
  // the error stops the whole unpack).
  virtual Result<size_t> Read(std::span<uint8_t> out) = 0;
  // The whole content when it already sits contiguous in memory (a mapped image region or a
  // decompressed buffer), so a sink can write it without copying; nullopt otherwise.
  virtual std::optional<ByteView> Contiguous() { return std::nullopt; }
};

// Receives what the engine finds. OnNode may be called concurrently from several threads
// (formats with random access are extracted in parallel): implementations must be
// thread-safe. OnFilesystem and OnNote are called one at a time (from any thread).
// A container is announced by OnFilesystem before any of its nodes; a node's parent
// directories may come after it (parallel extraction) or not at all (archives that do not
// store them). Returning an error from OnNode stops the unpack (the error is returned).
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void OnFilesystem(const FilesystemInfo& fs) {}
  virtual Status OnNode(const Node& node, ContentReader* content) = 0;
  virtual void OnNote(const Note& note) {}
  // Whether OnNode will read file contents; when false the engine may skip decompressing
  // files that are not containers (the fast `ls`).
  virtual bool WantsContent() const { return true; }
  // Bytes of a carved blob that no container claimed and no node lists: a flash dump's boot
  // loader, the data of a bare compressed stream that holds no container (a kernel), the
  // gaps between partitions. Called only when WantsUnclaimed(), from any thread, with
  // `provenance` of the blob and the region's offset in it; `bytes` is valid during the call.
  virtual bool WantsUnclaimed() const { return false; }
  virtual void OnUnclaimed(const std::string& provenance, uint64_t offset, ByteView bytes) {}
};

struct Options {
  Limits limits;
  int threads = 0;           // 0: two per core (parallel extraction of squashfs)
  bool carve_files = false;  // also carve inside files of unpacked filesystems (slow)
  // UnpackFile: SHA-256 of the whole input into Summary::image_sha256. A listing skips it
  // (hashing a large image costs more than reading its directory tables).
  bool hash_image = true;
  Progress* progress = nullptr;
};

struct Summary {
  uint64_t nodes = 0;
  uint64_t filesystems = 0;
  uint64_t bytes = 0;        // content bytes produced
  bool partial = false;      // a limit, a corrupt part or an unsupported container: see notes
  std::string image_sha256;  // UnpackFile with hash_image: SHA-256 (hex) of the input file
};

// Unpacks the file at `path`. The image name in provenance is its base name.
// Errors: kNotFound/kIo if the input cannot be read; a sink error. Everything else
// (corrupt parts, limits, unsupported formats) is a Note and sets Summary::partial.
Result<Summary> UnpackFile(const std::string& path, const Options& options, Sink& sink);
// The same over a buffer (the fuzz entry point, tests).
Result<Summary> UnpackBuffer(ByteView data, const std::string& name, const Options& options,
                             Sink& sink);

// A container found by its magic and a validated header, not opened.
struct FoundContainer {
  std::string format;     // "squashfs", "gzip", ...
  uint64_t offset = 0;    // where it starts in the scanned bytes
  uint64_t length = 0;    // what its header claims; 0 if it does not say
  std::string detail;     // "version 2.0, big-endian"
  bool supported = true;  // false: recognised, but the engine cannot unpack it
};

// The carving pass alone: every registered magic at every offset of `data`, each header
// validated. Unlike UnpackBuffer it does not skip the inside of what it finds, so nested
// and overlapping finds are all listed, in order of offset. At most `max_results`.
std::vector<FoundContainer> ScanContainers(ByteView data, size_t max_results = 100000);

// Collects nodes and notes in memory (thread-safe). With hash_contents, also the SHA-256
// of every file (hex), for tests and the SBOM.
class TreeCollector : public Sink {
 public:
  explicit TreeCollector(bool hash_contents = false);
  ~TreeCollector() override;
  void OnFilesystem(const FilesystemInfo& fs) override;
  Status OnNode(const Node& node, ContentReader* content) override;
  void OnNote(const Note& note) override;
  bool WantsContent() const override { return hash_contents_; }

  struct Entry {
    Node node;
    std::string sha256;  // empty unless hashed
  };
  // Sorted by provenance once the unpack is done.
  std::vector<Entry> TakeEntries();
  std::vector<FilesystemInfo> TakeFilesystems();
  std::vector<Note> TakeNotes();

 private:
  struct State;
  bool hash_contents_;
  std::unique_ptr<State> state_;
};

}  // namespace clearbox::unpack
