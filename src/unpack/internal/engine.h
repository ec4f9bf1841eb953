// The unpack engine: identifies and carves containers, opens them with their handlers,
// recurses into payloads and files, and enforces the Limits. Private to the module.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/unpack.h"
#include "unpack/internal/format.h"
#include "unpack/internal/scanner.h"

namespace clearbox::unpack::internal {

class ContainerWalker;

// Where a blob sits and how to treat it.
struct BlobContext {
  std::string provenance;      // of the blob: "fw.bin", "fw.bin!uimage@0x0", "...:/boot/x.gz"
  int depth = 0;               // containers above this blob
  bool carve = true;           // carve at every offset (else identify at offset 0 only)
  bool plain_at_zero = false;  // a container at offset 0 is named "!fmt" (payloads, files)
  bool in_parallel = false;    // an enclosing container already extracts in parallel
  uint64_t base = 0;           // offset of this blob's first byte in what provenance names
  // Inside a file of an unpacked filesystem: containers found here are announced to the
  // sink only once they produce something (a .gz man page holding text is not listed).
  bool from_file = false;
  ContainerWalker* container = nullptr;  // the container this blob belongs to, if any
  // The blob's bytes are already listed as a file node (a uImage kernel payload): its
  // unclaimed regions are not reported again (Sink::OnUnclaimed).
  bool listed_as_file = false;
};

// A container identified by its magic and a validated header.
struct Identified {
  const FormatHandler* handler = nullptr;
  Match match;
};

class Engine {
 public:
  Engine(const Options& options, Sink& sink);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Unpacks `image` named `name` (the root of every provenance).
  Result<Summary> Run(ByteView image, const std::string& name);

  const Options& options() const { return options_; }
  const Limits& limits() const { return options_.limits; }
  Sink& sink() { return sink_; }
  int threads() const { return threads_; }

  // Identifies (or carves) `data` and opens what it finds. Errors only when the unpack is
  // stopping (a global limit or a sink error); everything else becomes a note.
  Status ProcessBlob(ByteView data, const BlobContext& ctx);
  // The same for a sequential stream (a decompressed payload). `compressed` is the size of
  // its source for the ratio limit (0: unknown); `hint` forces a format.
  Status ProcessStream(ContentReader& stream, uint64_t compressed, const FormatHandler* hint,
                       const BlobContext& ctx);
  // Normalises and delivers one node of the container `ctx` to the sink, looking inside
  // files that are containers themselves.
  Status DeliverNode(Node node, ContentReader* content, const BlobContext& ctx);

  void AddNote(Note::Kind kind, const std::string& where, uint64_t offset, std::string message);
  // Charges produced bytes against the total. kLimitExceeded past the limit: the bytes are
  // not counted and the caller stops its stream or file, but the unpack goes on.
  Status ChargeTotal(uint64_t bytes);
  // kLimitExceeded once the unpack is stopping (time budget, a global limit, a sink error).
  Status CheckContinue();
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }

 private:
  std::optional<Identified> IdentifyAt0(ByteView data) const;
  Result<uint64_t> OpenContainer(const FormatHandler& handler, ByteView data, uint64_t start,
                                 const Match& match, const BlobContext& ctx);
  Result<uint64_t> OpenContainerStream(const FormatHandler& handler, ContentReader& stream,
                                       const Match& match, const BlobContext& ctx);
  std::string ContainerProvenance(const FormatHandler& handler, uint64_t start,
                                  const BlobContext& ctx) const;
  Status ReportOpenFailure(const FormatHandler& handler, const std::string& provenance,
                           const BlobContext& ctx, uint64_t start, const Error& error);
  Status StreamToBlob(ContentReader& stream, ByteView prefix, std::shared_ptr<const Blob>* out);
  Status DeliverToSink(const Node& node, ContentReader* content);
  Status DeliverFile(Node& node, ContentReader& content, const BlobContext& ctx);
  // Stops the unpack with `error`; the first stop wins. Returns the stop error.
  Error Stop(Error error);

  Options options_;
  Sink& sink_;
  int threads_;
  MagicScanner scanner_;
  std::chrono::steady_clock::time_point deadline_;

  std::atomic<bool> stopping_{false};
  std::mutex stop_mu_;
  std::optional<Error> stop_error_;  // guarded by stop_mu_
  bool sink_failed_ = false;         // guarded by stop_mu_

  std::mutex sink_mu_;  // serialises OnNote / OnFilesystem
  std::atomic<uint64_t> entries_{0}, bytes_{0}, filesystems_{0}, clock_checks_{0};
  std::atomic<bool> partial_{false};
  std::atomic<bool> entry_limit_noted_{false}, bytes_limit_noted_{false}, time_limit_noted_{false};

  friend class ContainerWalker;
};

}  // namespace clearbox::unpack::internal
