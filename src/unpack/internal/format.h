// The private interface between the unpack engine and its format handlers.
//
// A format handler is a table of plain functions (no state) that the registry lists:
//
//   const FormatHandler kTrxFormat = {
//       .name = "trx",
//       .magics = {{"HDR0", 0}},
//       .probe = ProbeTrx,       // validates the header, says how long the container is
//       .open = OpenTrx,         // reports nodes, payloads and notes to a Walker
//   };
//
// and registry.cc adds one line: X(kTrxFormat).
//
// How the engine uses a handler
//   1. Carving: the engine scans a blob once for every registered magic. A magic found at
//      blob offset P with Magic::offset O is a candidate container at start S = P - O.
//      Candidates are tried in order of S; a candidate inside a container already unpacked
//      is skipped (no carving inside unpacked data), the rest after its end is still carved.
//      Files of unpacked filesystems and payloads derived from them are only identified at
//      offset 0 (unless Options::carve_files).
//   2. Probe(data) with data = blob[S, end of blob) (or the first bytes of a stream, see
//      FormatHandler::probe) validates the header and returns a Match, or nullopt.
//   3. Open(container, match, walker) with container = blob[S, S + match.length) (clamped to
//      the blob, with a kCorrupt note when the header claims more than the blob holds; the
//      rest of the blob when match.length is 0) walks the container and reports to the
//      Walker. Open returns the bytes the container really spans when it learnt them (a
//      gzip member's end), so that carving resumes right after it; 0 keeps match.length.
//
// Provenance (formed by the engine, never by a handler)
//   container in the input image or carved at offset X of a blob:  parent + "!fmt@0xX"
//   container at offset 0 of a payload or of a file:                parent + "!fmt"
//   a payload with a label:                                          container + ":" + label
//   a node:                                                          container + ":" + path
//   e.g. "fw.bin!uimage@0x0!squashfs:/etc/passwd",
//        "fw.bin!trx@0x0:part1!squashfs:/bin/busybox",
//        "fw.bin!tar@0x0:/boot/initrd.gz!gzip!cpio:/init".
//
// Ownership
//   `container` (and every ByteView inside it) stays valid until Open returns. A handler may
//   hand views of it to the engine (ViewReader contents, Payload::view) without copying.
//   Bytes a handler produces itself (decompressed, reassembled) live either in memory the
//   handler owns for the duration of one Walker call, or in a SpillBuffer from the walker
//   (memory up to Limits::max_in_memory_bytes, then a temp file) that becomes a Blob.
//
// Thread-safety
//   Probe must be pure (it is called concurrently on different data). Open may run
//   concurrently for different containers. Every Walker method is thread-safe: a handler may
//   run up to walker.threads() threads of its own and call AddNode/AddPayload/AddNote from
//   each (squashfs extracts in parallel); it must join them before Open returns, and no
//   Walker call may happen after Open returns.
//
// Errors
//   Corruption is a fact, not a failure: report a kCorrupt note with the offset (inside the
//   container) and keep walking what can still be read. Return an error from Open only when
//   nothing more can be read (the engine turns it into a note naming the container: a
//   kInvalidInput error becomes kCorrupt, kLimitExceeded becomes kLimit, kUnsupported becomes
//   kUnsupported). When a Walker call returns an error (a limit, the time budget, a sink
//   failure), stop walking and return that error unchanged.
//
// Limits
//   The engine counts nodes and every byte read through a ContentReader (node contents and
//   stream payloads), and charges every byte written to a SpillBuffer. A handler that
//   decompresses into memory of its own must size its output with OutputBudget() and call
//   Charge() for what it kept, so that a bomb stops before it is allocated.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/limits.h"
#include "clearbox/unpack/node.h"
#include "clearbox/unpack/unpack.h"

namespace clearbox::unpack::internal {

// A magic number: `bytes` (at least 2) found `offset` bytes after the container's start.
struct Magic {
  std::string_view bytes;
  uint32_t offset = 0;
};

// A header that validated.
struct Match {
  // Bytes the container spans from its start, as its header says; 0 when the header does
  // not tell (the container runs to the end of the blob, or Open finds its end).
  uint64_t length = 0;
  uint64_t hint = 0;   // handler-private (endianness, variant), passed back to Open
  std::string detail;  // for notes and logs: "big-endian", "v1, 3 partitions"
  // A recognised variant the handler cannot read (squashfs 3): the engine reports
  // "not unpacked: NAME at 0xOFF (detail)" without calling Open, and carving skips `length`.
  bool unsupported = false;
};

// Bytes with random access that outlive a Walker call: a region of the mapped input, a
// buffer in memory, or a mapped temp file. Thread-safe to read.
class Blob {
 public:
  virtual ~Blob() = default;
  virtual ByteView bytes() const = 0;
};

// Builds a Blob from bytes a handler produces (a volume reassembled from erase blocks, a
// decompressed kernel): in memory up to Limits::max_in_memory_bytes, then in an unlinked
// temp file that Finish() maps. Every byte written is charged against the limits (total
// and per-file bytes). Not thread-safe: one writer.
class SpillBuffer {
 public:
  virtual ~SpillBuffer() = default;
  virtual uint64_t size() const = 0;
  // Appends at the end. Errors: kLimitExceeded (a kLimit note is recorded), kIo.
  virtual Status Append(ByteView data) = 0;
  // Writes at `offset`, growing the buffer (with zeros) when it lies past the end.
  // Errors: as Append.
  virtual Status WriteAt(uint64_t offset, ByteView data) = 0;
  // Seals the buffer into a Blob. The SpillBuffer must not be used afterwards. Errors: kIo.
  virtual Result<std::shared_ptr<const Blob>> Finish() = 0;
};

// A blob the engine identifies and recurses into: a decompressed stream, a partition,
// a volume. Set exactly one of view, blob, stream.
struct Payload {
  // Names one payload among several ("part1", "rootfs", "kernel"); "" for a container's
  // only payload. Becomes part of the provenance: container + ":" + label.
  std::string label;
  // Where the payload starts inside the container (0 for decompressed data); for the
  // FilesystemInfo of what is found inside and for notes.
  uint64_t offset = 0;
  ByteView view;                     // bytes inside the container's blob (zero-copy)
  std::shared_ptr<const Blob> blob;  // bytes the handler produced (from a SpillBuffer)
  ContentReader* stream = nullptr;   // sequential bytes, read only during AddPayload
  // Bytes of input behind a stream (for the ratio limit); 0 if unknown.
  uint64_t compressed_size = 0;
  // Names the format of the payload when its header has no magic to identify it by (a
  // uImage that says "lzma"): the engine opens it as that format at offset 0, with the
  // Match of its probe when the probe accepts it, else with an empty Match{} (Open must
  // cope). Empty: identify by magic.
  std::string_view format_hint;
  // Also carve the payload at every offset, not only identify it at 0. Handlers of
  // firmware containers (uImage, TRX, UBI) leave it true; the engine overrides it to false
  // for payloads of files inside filesystems unless Options::carve_files.
  bool carve = true;
  // The payload's bytes were just listed as a file node (AddPayloadFile): the sink has seen
  // them, so what carving leaves unclaimed is not handed to it again.
  bool listed_as_file = false;
};

// What a handler reports to. See the file comment for the contract.
class Walker {
 public:
  virtual ~Walker() = default;

  // The container's provenance, e.g. "fw.bin!uimage@0x0".
  virtual const std::string& provenance() const = 0;
  virtual const Limits& limits() const = 0;
  // Threads this container may use for parallel extraction (>= 1).
  virtual int threads() const = 0;
  // Whether file contents are wanted. When false, a handler may pass a null content reader
  // for files it would have to decompress; the engine then does not look inside them.
  virtual bool WantsContent() const = 0;

  // Reports one entry. `node.path` is the name exactly as the container stores it (the
  // engine normalises it, keeps the raw name in raw_path when they differ, and sets
  // provenance); for hard links `link_target` is the stored target name. `content` is the
  // file's data for kFile (nullptr for other types, or when the content is not available);
  // it is read at most once, only during this call. Errors: kLimitExceeded (entries, bytes,
  // time: a kLimit note is recorded), or a sink error: stop and return it.
  virtual Status AddNode(Node node, ContentReader* content) = 0;

  // Identifies the payload and recurses into it before returning.
  // Errors: as AddNode. A payload that holds nothing known is not an error.
  virtual Status AddPayload(Payload payload) = 0;

  // Records a fact about this container; `offset` is inside the container.
  virtual void AddNote(Note::Kind kind, uint64_t offset, std::string message) = 0;

  // Bytes a stream of `compressed_bytes` may decompress to: the smallest of the per-file
  // limit, the total bytes left and max_ratio * compressed_bytes (at least 1 MiB, so small
  // inputs of highly compressible data are not refused).
  virtual uint64_t OutputBudget(uint64_t compressed_bytes) const = 0;
  // Charges bytes a handler produced in memory of its own against the total byte limit.
  // Errors: kLimitExceeded (a kLimit note is recorded).
  virtual Status Charge(uint64_t bytes) = 0;
  // kLimitExceeded once the time budget is spent or the unpack is stopping; handlers with
  // long loops that report nothing call it now and then.
  virtual Status CheckContinue() = 0;

  // A buffer that spills to a temp file, for payloads a handler assembles.
  virtual std::unique_ptr<SpillBuffer> NewSpillBuffer() = 0;

  // A hint that the handler will not read `bytes` (inside its container) again, such as the
  // input a stream decoder has consumed: when they are pages of a mapped file the engine
  // drops them from memory, which keeps the resident size flat however large the image.
  // Reading them again stays valid (they are read back from the file). Thread-safe.
  virtual void DoneWith(ByteView bytes) {}
};

// A content reader over bytes already in memory (a region of the container, a buffer the
// handler owns for the duration of the AddNode call). Contiguous() gives the view, so a sink
// can write it without copying.
class ViewReader : public ContentReader {
 public:
  explicit ViewReader(ByteView data) : data_(data) {}
  uint64_t size() const override { return data_.size(); }
  Result<size_t> Read(std::span<uint8_t> out) override {
    size_t n = std::min(out.size(), data_.size() - pos_);
    if (n) std::memcpy(out.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  std::optional<ByteView> Contiguous() override { return data_; }

 private:
  ByteView data_;
  size_t pos_ = 0;
};

enum FormatFlags : uint32_t {
  // Produces nodes (a filesystem or an archive): announced to the sink as a filesystem.
  kFormatFilesystem = 1u << 0,
  // Never found by carving at offsets other than 0 (magics too weak to trust mid-blob).
  kFormatOnlyAtStart = 1u << 1,
};

struct FormatHandler {
  // Lower-case name used in provenance and notes: "squashfs", "uimage", "jffs2".
  std::string_view name;
  std::vector<Magic> magics;  // empty: only reachable through Payload::format_hint
  uint32_t flags = 0;

  // Validates a header at the start of `data` (which runs to the end of the blob, or is the
  // first bytes of a stream: then it holds at least min(stream size, kMaxProbeBytes)).
  // Reads only inside `data`; never trusts a length beyond checking it. Pure, thread-safe.
  std::optional<Match> (*probe)(ByteView data) = nullptr;

  // Walks the container. nullptr: recognised but not supported, which the engine reports
  // as "not unpacked: NAME at 0xOFF" (and skips match.length bytes when carving).
  // Returns the bytes the container spans when known (0: use match.length).
  Result<uint64_t> (*open)(ByteView container, const Match& match, Walker& walker) = nullptr;

  // Optional: walks the container from a sequential stream (libarchive formats, gzip), so a
  // tar.gz never sits in memory whole. `stream` starts at the container's first byte.
  // Without it the engine first copies a stream into a SpillBuffer and calls open.
  Result<uint64_t> (*open_stream)(ContentReader& stream, const Match& match,
                                  Walker& walker) = nullptr;
};

// The first bytes of a stream that the engine buffers to identify it: every magic must lie
// within them (ISO 9660's "CD001" sits at 0x8001).
inline constexpr size_t kMaxProbeBytes = 64 * 1024;

// Every registered format, in registry.cc. The order breaks ties when two formats match at
// the same offset (the first listed wins).
const std::vector<const FormatHandler*>& AllFormats();
// The handler named `name`, or nullptr.
const FormatHandler* FindFormat(std::string_view name);

}  // namespace clearbox::unpack::internal
