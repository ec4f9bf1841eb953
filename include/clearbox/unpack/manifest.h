// The manifest of an unpack (DIR/manifest.json, `clearbox ls --json`) and the listing sinks.
//
//   {"image": NAME, "sha256": HEX ("" from ls without --hash), "partial": BOOL,
//    "filesystems": [{"provenance", "format", "offset", "length"}],
//    "nodes": [{"provenance", "filesystem", "path", "raw_path"?, "type", "mode": "0755",
//               "uid", "gid", "mtime", "size", "link_target"?,
//               "device": {"major", "minor"}?, "sha256"? (files), "output"? (relative to DIR)}],
//    "notes": [{"kind", "where", "offset", "message"}],
//    "unclaimed": [{"provenance", "offset", "length", "entropy", "description"}]}
//
// "filesystem" is the provenance of the container that holds the node. Names that are not
// valid UTF-8 are written with U+FFFD in place of the bad bytes (raw_path keeps what can be
// kept). Nodes are kept in memory as JSON text up to a bound (16 MiB by default, tens of
// thousands of nodes), and past it streamed to a temp file, so memory stays flat however
// many there are; they appear in arrival order.
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto manifest, ManifestWriter::Create());
//   ManifestSink sink(*manifest, /*hash_contents=*/false);
//   CLEARBOX_ASSIGN_OR_RETURN(Summary s, UnpackFile(path, options, sink));
//   CLEARBOX_RETURN_IF_ERROR(manifest->WriteTo(stdout, name, sha256, s.partial));
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"
#include "clearbox/unpack/unclaimed.h"
#include "clearbox/unpack/unpack.h"

namespace clearbox::unpack {

// Thread-safe. Notes beyond 100000 are counted, not kept (a note says how many were dropped).
class ManifestWriter {
 public:
  static constexpr size_t kDefaultMemoryBytes = 16 << 20;
  // `memory_bytes`: the node text kept in memory before it goes to a temp file (created only
  // then; a failure to create or write it makes WriteTo fail with kIo).
  static Result<std::unique_ptr<ManifestWriter>> Create(size_t memory_bytes = kDefaultMemoryBytes);
  ~ManifestWriter();

  void AddFilesystem(const FilesystemInfo& fs);
  // `sha256` (hex) and `output` (path relative to the output directory) may be empty.
  void AddNode(const Node& node, std::string_view sha256, std::string_view output);
  void AddNote(const Note& note);
  uint64_t nodes() const;
  // The notes kept so far (for a summary line).
  std::vector<Note> notes() const;
  // The regions no container claimed (UnclaimedRecorder::Regions), for "unclaimed", padding
  // included (its description says so). The first 10000 are kept: a note counts the rest.
  void SetUnclaimed(std::vector<UnclaimedRegion> regions);

  // Writes the whole manifest. Errors: kIo.
  Status WriteTo(std::FILE* out, const std::string& image, const std::string& sha256, bool partial);
  // Writes it to `path` atomically (temp file, fsync, rename). Errors: kIo.
  Status WriteFile(const std::string& path, const std::string& image, const std::string& sha256,
                   bool partial);

 private:
  explicit ManifestWriter(size_t memory_bytes);
  // Caller holds mu_. Moves `pending_` to the temp file, creating it.
  void SpillPending();

  const size_t memory_bytes_;
  mutable std::mutex mu_;
  // The nodes' JSON, each preceded by "\n" (the first) or ",\n": the text between the
  // brackets of "nodes", in chunks of about 1 MiB (a single string would copy itself as it
  // grows). What does not fit in memory is in `spill_` (earlier nodes first).
  std::vector<std::string> pending_;
  size_t pending_bytes_ = 0;
  std::FILE* spill_ = nullptr;
  uint64_t node_count_ = 0;
  bool write_failed_ = false;
  std::vector<FilesystemInfo> filesystems_;
  std::vector<Note> notes_;
  uint64_t dropped_notes_ = 0;
  std::vector<UnclaimedRegion> unclaimed_;
  uint64_t dropped_unclaimed_ = 0;
};

// A sink that records every node into a ManifestWriter (the fast `ls --json`), optionally
// hashing file contents.
class ManifestSink : public Sink {
 public:
  ManifestSink(ManifestWriter& manifest, bool hash_contents)
      : manifest_(manifest), hash_contents_(hash_contents) {}
  void OnFilesystem(const FilesystemInfo& fs) override { manifest_.AddFilesystem(fs); }
  Status OnNode(const Node& node, ContentReader* content) override;
  void OnNote(const Note& note) override { manifest_.AddNote(note); }
  bool WantsContent() const override { return hash_contents_; }

 private:
  ManifestWriter& manifest_;
  bool hash_contents_;
};

// The provenance of the container holding `node` (its provenance without ":" + path).
std::string_view NodeFilesystem(const Node& node);

// One line per node for people: "drwxr-xr-x 0/0 1234 2024-01-01 PROVENANCE -> TARGET".
std::string FormatNodeLine(const Node& node);
// The same line appended to `out` (no newline).
void AppendNodeLine(std::string& out, const Node& node);
// "0755"-style mode (setuid/setgid/sticky included).
std::string FormatMode(uint32_t mode);

// Prints a line per container ("# PROVENANCE: FORMAT at 0xOFF, N bytes") and FormatNodeLine
// of every node to `out` (thread-safe), and keeps the notes for a summary. Lines are
// gathered in a buffer written out every 64 KiB, by Flush() and on destruction (one
// fwrite a line cost as much as formatting it).
class TextListingSink : public Sink {
 public:
  explicit TextListingSink(std::FILE* out) : out_(out) {}
  ~TextListingSink() override;
  void OnFilesystem(const FilesystemInfo& fs) override;
  Status OnNode(const Node& node, ContentReader* content) override;
  void OnNote(const Note& note) override;
  bool WantsContent() const override { return false; }
  // Writes the buffered lines to `out` (not fflush: the caller owns the FILE).
  void Flush();
  std::vector<Note> TakeNotes();

 private:
  static constexpr size_t kBufferBytes = 64 << 10;
  void FlushLocked();

  std::FILE* out_;
  std::mutex mu_;
  std::string buffer_;  // guarded by mu_
  std::vector<Note> notes_;
};

// Computes the SHA-256 (hex) of a file's content, reading it once. A read error ends the
// hash early (the engine has noted it).
std::string HashContent(ContentReader& content);

}  // namespace clearbox::unpack
