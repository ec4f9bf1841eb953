// The engine's outer loop: identification, carving, containers and payloads.
#include "internal/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "clearbox/core/file.h"
#include "clearbox/core/progress.h"
#include "internal/readers.h"
#include "internal/spill.h"
#include "internal/walker.h"

namespace clearbox::unpack::internal {
namespace {

// Carving scans a blob window by window, so that it can jump over what it unpacked. The
// first window is small and the next ones grow to the full size: an image that is one
// container from offset 0 (a squashfs, a tar.gz) is opened after scanning 64 KiB, not 1 MiB
// (a millisecond of a listing).
constexpr uint64_t kFirstCarveWindow = 64 << 10;
constexpr uint64_t kCarveWindow = 1 << 20;
// How far the carving scan gets ahead of the pages it dropped (one madvise per step).
constexpr uint64_t kDropStep = 8 << 20;
// Candidate magics kept per window: random data full of short magics cannot exhaust memory.
constexpr size_t kMaxCandidatesPerWindow = 1 << 18;
constexpr size_t kCopyChunk = 1 << 20;

bool AllZero(ByteView data) {
  return std::all_of(data.begin(), data.end(), [](uint8_t b) { return b == 0; });
}

// The first bytes an identification reads from a stream before deciding to read more: every
// magic but ISO 9660's lies within them (ext's at 0x438 is the deepest).
constexpr size_t kSmallProbeBytes = 1536;

// Whether the start of a stream could be the system area of an ISO 9660 image (zeros, or a
// boot sector ending in 0x55 0xaa).
bool LooksLikeSystemArea(ByteView first) {
  return AllZero(first.first(512)) ||
         (first.size() >= 512 && first[510] == 0x55 && first[511] == 0xaa);
}

}  // namespace

Engine::Engine(const Options& options, Sink& sink)
    : options_(options), sink_(sink), scanner_(AllFormats()) {
  // Two per core by default: an extraction thread spends much of its time in the kernel
  // creating and writing files (blocked on directory and inode locks), and a spare thread
  // per core keeps the core decompressing meanwhile, as unsquashfs's reader, writer and
  // decompressor threads do.
  threads_ = options.threads > 0 ? options.threads
                                 : 2 * std::max(1, int(std::thread::hardware_concurrency()));
  deadline_ = std::chrono::steady_clock::now() +
              std::chrono::seconds(std::min<uint64_t>(options.limits.max_seconds, 1ull << 32));
}

Result<Summary> Engine::Run(ByteView image, const std::string& name) {
  // The total an image may produce, by its size (a bomb of nested archives, each stream
  // under the per-stream ratio, stops here).
  Limits& l = options_.limits;
  if (l.max_total_ratio > 0) {
    const uint64_t by_ratio = image.size() > UINT64_MAX / l.max_total_ratio
                                  ? UINT64_MAX
                                  : image.size() * l.max_total_ratio;
    l.max_total_bytes =
        std::min(l.max_total_bytes, std::max(by_ratio, l.total_ratio_floor_bytes));
  }
  BlobContext ctx;
  ctx.provenance = name;
  ctx.carve = true;
  Status s = ProcessBlob(image, ctx);
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (sink_failed_ && stop_error_) return *stop_error_;
  }
  if (filesystems_.load() == 0 && !stopping()) {
    AddNote(Note::Kind::kInfo, name, 0,
            image.empty() ? "empty input" : "no known container format found");
  }
  Summary summary;
  summary.nodes = entries_.load();
  summary.filesystems = filesystems_.load();
  summary.bytes = bytes_.load();
  summary.partial = partial_.load() || stopping();
  return summary;
}

Error Engine::Stop(Error error) {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (!stop_error_) stop_error_ = std::move(error);
  stopping_.store(true);  // only after stop_error_ is set: CheckContinue reads it
  return *stop_error_;
}

Status Engine::CheckContinue() {
  if (stopping()) {
    std::lock_guard<std::mutex> lock(stop_mu_);
    return *stop_error_;  // set before stopping_ (see Stop)
  }
  // Reading the clock on every call shows in a listing of tens of thousands of nodes.
  if (clock_checks_.fetch_add(1, std::memory_order_relaxed) % 64 != 0) return Status::Ok();
  if (std::chrono::steady_clock::now() > deadline_) {
    Error e = Error::LimitExceeded(
        fmt::format("time limit of {} s reached: unpack stopped", limits().max_seconds));
    if (!time_limit_noted_.exchange(true)) AddNote(Note::Kind::kLimit, "", 0, e.message());
    return Stop(std::move(e));
  }
  return Status::Ok();
}

Status Engine::ChargeTotal(uint64_t bytes) {
  // A read that would reach the total is refused without being counted, and the unpack goes
  // on: the nodes after a bomb are still recorded (metadata), and small contents that fit in
  // what is left are still read. Only the stream or file that hit the limit stops. Reaching
  // (not only passing) the limit refuses, so that a bomb read in chunks that divide the
  // limit does not take the last byte.
  uint64_t total = bytes_.load(std::memory_order_relaxed);
  while (true) {
    if (bytes >= limits().max_total_bytes || total >= limits().max_total_bytes - bytes) {
      Error e = Error::LimitExceeded(
          fmt::format("total limit of {} unpacked bytes reached (--max-bytes, and at most "
                      "{}x the image's size: --max-total-ratio): contents past it are not read",
                      limits().max_total_bytes, limits().max_total_ratio));
      if (!bytes_limit_noted_.exchange(true)) AddNote(Note::Kind::kLimit, "", 0, e.message());
      partial_.store(true);
      return e;
    }
    if (bytes_.compare_exchange_weak(total, total + bytes, std::memory_order_relaxed)) break;
  }
  if (options_.progress != nullptr) options_.progress->Add(0, bytes);
  return Status::Ok();
}

void Engine::AddNote(Note::Kind kind, const std::string& where, uint64_t offset,
                     std::string message) {
  // Something was not read (corrupt, unsupported, a limit): the tree is partial. Info and
  // warnings describe what was read.
  if (kind == Note::Kind::kCorrupt || kind == Note::Kind::kUnsupported ||
      kind == Note::Kind::kLimit) {
    partial_.store(true);
  }
  Note note;
  note.kind = kind;
  note.where = where;
  note.offset = offset;
  note.message = std::move(message);
  std::lock_guard<std::mutex> lock(sink_mu_);
  sink_.OnNote(note);
}

std::optional<Identified> Engine::IdentifyAt0(ByteView data) const {
  const auto& formats = AllFormats();
  for (uint32_t index : scanner_.MatchAt(data, 0)) {
    const FormatHandler* handler = formats[index];
    if (handler->probe == nullptr) continue;
    if (std::optional<Match> m = handler->probe(data)) return Identified{handler, std::move(*m)};
  }
  return std::nullopt;
}

Status Engine::ProcessBlob(ByteView data, const BlobContext& ctx) {
  CLEARBOX_RETURN_IF_ERROR(CheckContinue());
  if (data.empty()) return Status::Ok();
  if (!ctx.carve) {
    std::optional<Identified> id = IdentifyAt0(data);
    if (!id) return Status::Ok();
    return OpenContainer(*id->handler, data, 0, id->match, ctx).status();
  }
  const auto& formats = AllFormats();
  uint64_t covered = 0;  // carving never looks inside what it unpacked
  // Regions no container claims go to a sink that wants them, unless the sink has seen the
  // blob as a file already.
  const bool report_unclaimed = sink_.WantsUnclaimed() && !ctx.listed_as_file;
  uint64_t unclaimed_from = 0;
  auto claim = [&](uint64_t start, uint64_t end) {
    if (report_unclaimed && start > unclaimed_from) {
      sink_.OnUnclaimed(ctx.provenance, ctx.base + unclaimed_from,
                        data.subspan(size_t(unclaimed_from), size_t(start - unclaimed_from)));
    }
    unclaimed_from = std::max(unclaimed_from, std::min<uint64_t>(end, data.size()));
  };
  // A container at offset 0 (an image that is one squashfs or one tar.gz) is opened before
  // any window is scanned: when it spans the blob, nothing is left to scan. The same
  // container the scan would have opened first (candidates at one offset go in format
  // order, as IdentifyAt0 tries them).
  if (std::optional<Identified> id = IdentifyAt0(data)) {
    CLEARBOX_ASSIGN_OR_RETURN(uint64_t span, OpenContainer(*id->handler, data, 0, id->match, ctx));
    covered = std::max<uint64_t>(span, 1);
    claim(0, covered);
  }
  uint64_t window = kFirstCarveWindow;
  uint64_t released = 0;  // the pages below were scanned and dropped (mapped images only)
  for (uint64_t from = covered; from < data.size(); window = std::min(window * 2, kCarveWindow)) {
    uint64_t to = std::min<uint64_t>(data.size(), from + window);
    bool truncated = false;
    std::vector<Candidate> candidates =
        scanner_.Scan(data, from, to, kMaxCandidatesPerWindow, &truncated);
    if (truncated) {
      AddNote(Note::Kind::kWarning, ctx.provenance, ctx.base + from,
              fmt::format("more than {} candidate magics in 0x{:x}..0x{:x}: carved only the "
                          "first ones",
                          kMaxCandidatesPerWindow, ctx.base + from, ctx.base + to));
    }
    for (const Candidate& c : candidates) {
      if (c.start < covered) continue;
      const FormatHandler& handler = *formats[c.format];
      if ((handler.flags & kFormatOnlyAtStart) && c.start != 0) continue;
      if (handler.probe == nullptr) continue;
      std::optional<Match> match = handler.probe(data.subspan(c.start));
      if (!match) continue;
      CLEARBOX_ASSIGN_OR_RETURN(uint64_t span, OpenContainer(handler, data, c.start, *match, ctx));
      covered = c.start + std::max<uint64_t>(span, 1);
      claim(c.start, covered);
    }
    from = std::max(to, covered);
    // A blob carved window by window (a flash dump, a 1 GB random file) would otherwise
    // stay resident as a whole: what is behind the scan is dropped (read again from the
    // page cache if a later container reaches back; DropPages leaves heap memory alone).
    // (`from` may pass the end: a container that did not open spans what its header claims.)
    const uint64_t scanned = std::min<uint64_t>(from, data.size());
    if (scanned >= released + kDropStep) {
      DropPages(data.subspan(size_t(released), size_t(scanned - released)));
      released = scanned;
    }
  }
  claim(data.size(), data.size());
  return Status::Ok();
}

std::string Engine::ContainerProvenance(const FormatHandler& handler, uint64_t start,
                                        const BlobContext& ctx) const {
  if (start == 0 && ctx.plain_at_zero) return fmt::format("{}!{}", ctx.provenance, handler.name);
  return fmt::format("{}!{}@0x{:x}", ctx.provenance, handler.name, ctx.base + start);
}

Status Engine::ReportOpenFailure(const FormatHandler& handler, const std::string& provenance,
                                 const BlobContext& ctx, uint64_t start, const Error& error) {
  if (stopping()) return CheckContinue();
  switch (error.code()) {
    case ErrorCode::kUnsupported:
      AddNote(Note::Kind::kUnsupported, ctx.provenance, ctx.base + start,
              fmt::format("not unpacked: {} at 0x{:x}: {}", handler.name, ctx.base + start,
                          error.message()));
      break;
    case ErrorCode::kLimitExceeded:
      AddNote(Note::Kind::kLimit, provenance, 0, error.message());
      break;
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      AddNote(Note::Kind::kWarning, provenance, 0, error.message());
      break;
    default:
      AddNote(Note::Kind::kCorrupt, provenance, 0, error.message());
      break;
  }
  return Status::Ok();
}

Result<uint64_t> Engine::OpenContainer(const FormatHandler& handler, ByteView data, uint64_t start,
                                       const Match& match, const BlobContext& ctx) {
  CLEARBOX_RETURN_IF_ERROR(CheckContinue());
  const uint64_t offset = ctx.base + start;
  if (ctx.depth + 1 > limits().max_depth) {
    AddNote(Note::Kind::kLimit, ctx.provenance, offset,
            fmt::format("not unpacked: {} at 0x{:x}: depth limit of {} reached", handler.name,
                        offset, limits().max_depth));
    return match.length;
  }
  if (handler.open == nullptr || match.unsupported) {
    std::string detail = match.detail.empty() ? "" : " (" + match.detail + ")";
    AddNote(Note::Kind::kUnsupported, ctx.provenance, offset,
            fmt::format("not unpacked: {} at 0x{:x}{}", handler.name, offset, detail));
    return match.length;
  }
  std::string provenance = ContainerProvenance(handler, start, ctx);
  uint64_t available = data.size() - start;
  uint64_t length = match.length == 0 ? available : match.length;
  if (length > available) {
    AddNote(Note::Kind::kCorrupt, provenance, 0,
            fmt::format("truncated: the header claims {} bytes, only {} are present", match.length,
                        available));
    length = available;
  }
  BlobContext inner = ctx;
  inner.provenance = provenance;
  inner.depth = ctx.depth + 1;
  ContainerWalker walker(*this, std::move(inner),
                         {provenance, std::string(handler.name), offset, length});
  if (!ctx.from_file) walker.Announce();
  Result<uint64_t> spanned = handler.open(data.subspan(start, length), match, walker);
  if (!spanned.ok()) {
    CLEARBOX_RETURN_IF_ERROR(ReportOpenFailure(handler, provenance, ctx, start, spanned.error()));
    return match.length;
  }
  return *spanned != 0 ? std::min(*spanned, available) : match.length;
}

Result<uint64_t> Engine::OpenContainerStream(const FormatHandler& handler, ContentReader& stream,
                                             const Match& match, const BlobContext& ctx) {
  CLEARBOX_RETURN_IF_ERROR(CheckContinue());
  std::string provenance = ContainerProvenance(handler, 0, ctx);
  BlobContext inner = ctx;
  inner.provenance = provenance;
  inner.depth = ctx.depth + 1;
  ContainerWalker walker(*this, std::move(inner),
                         {provenance, std::string(handler.name), ctx.base, match.length});
  if (!ctx.from_file) walker.Announce();
  Result<uint64_t> spanned = handler.open_stream(stream, match, walker);
  if (!spanned.ok()) {
    CLEARBOX_RETURN_IF_ERROR(ReportOpenFailure(handler, provenance, ctx, 0, spanned.error()));
    return uint64_t{0};
  }
  return *spanned;
}

Status Engine::StreamToBlob(ContentReader& stream, ByteView prefix,
                            std::shared_ptr<const Blob>* out) {
  // The bytes were charged as they came through the LimitedReader: no second charge.
  std::unique_ptr<SpillBuffer> spill = NewSpillBuffer(limits().max_in_memory_bytes, nullptr);
  CLEARBOX_RETURN_IF_ERROR(spill->Append(prefix));
  std::unique_ptr<uint8_t[]> buffer = std::make_unique_for_overwrite<uint8_t[]>(kCopyChunk);
  std::span<uint8_t> chunk(buffer.get(), kCopyChunk);
  while (true) {
    Result<size_t> n = stream.Read(chunk);
    if (!n.ok()) {
      CLEARBOX_RETURN_IF_ERROR(CheckContinue());
      break;  // a limit or corruption (noted by the reader): keep what was read
    }
    if (*n == 0) break;
    CLEARBOX_RETURN_IF_ERROR(spill->Append(chunk.first(*n)));
  }
  CLEARBOX_ASSIGN_OR_RETURN(*out, spill->Finish());
  return Status::Ok();
}

Status Engine::ProcessStream(ContentReader& stream, uint64_t compressed, const FormatHandler* hint,
                             const BlobContext& ctx) {
  CLEARBOX_RETURN_IF_ERROR(CheckContinue());
  LimitedReader limited(*this, stream, ctx.provenance, compressed);
  std::unique_ptr<uint8_t[]> buffer = std::make_unique_for_overwrite<uint8_t[]>(kMaxProbeBytes);
  // Decompress only what identification needs: the first bytes hold every magic but ISO
  // 9660's, whose first 32 KiB are a system area (zeros or a boot record). A compressed text
  // file (a man page) is not decompressed any further; a header that might be a container
  // gets enough bytes for its probe.
  Result<size_t> got = ReadFully(limited, {buffer.get(), kSmallProbeBytes});
  if (got.ok() && *got == kSmallProbeBytes &&
      (ctx.carve || hint != nullptr ||
       !scanner_.MatchAt({buffer.get(), kSmallProbeBytes}, 0).empty() ||
       LooksLikeSystemArea({buffer.get(), kSmallProbeBytes}))) {
    Result<size_t> more =
        ReadFully(limited, {buffer.get() + kSmallProbeBytes, kMaxProbeBytes - kSmallProbeBytes});
    got = more.ok() ? Result<size_t>(kSmallProbeBytes + *more) : more;
  }
  if (!got.ok()) {
    CLEARBOX_RETURN_IF_ERROR(CheckContinue());
    return Status::Ok();  // noted by the reader
  }
  std::span<uint8_t> prefix(buffer.get(), *got);
  const bool complete =
      *got < kSmallProbeBytes || (*got > kSmallProbeBytes && *got < kMaxProbeBytes);

  std::optional<Identified> id;
  if (hint != nullptr) {
    id = Identified{hint, Match{}};
  } else {
    id = IdentifyAt0(prefix);
  }
  if (id && ctx.depth + 1 > limits().max_depth) {
    return OpenContainer(*id->handler, prefix, 0, id->match, ctx).status();  // notes the limit
  }
  if (id && id->handler->open_stream != nullptr && id->handler->open != nullptr) {
    PrefixReader replay(stream.size(), prefix, complete ? nullptr : &limited);
    // On a second core, decompress ahead of the container's walk (tar.gz: gunzip || untar).
    std::optional<ReadAheadReader> ahead;
    if (!complete && threads_ > 1 && !ctx.in_parallel) ahead.emplace(replay);
    ContentReader& input = ahead ? static_cast<ContentReader&>(*ahead) : replay;
    CLEARBOX_RETURN_IF_ERROR(OpenContainerStream(*id->handler, input, id->match, ctx).status());
    if (!ctx.carve) return Status::Ok();
    // Whatever follows the container in the stream may hold more: carve it, unless it is
    // padding.
    uint64_t resume = ahead ? ahead->position() : replay.position();
    std::shared_ptr<const Blob> rest;
    CLEARBOX_RETURN_IF_ERROR(StreamToBlob(input, {}, &rest));
    if (rest->bytes().empty() || AllZero(rest->bytes())) return Status::Ok();
    BlobContext after = ctx;
    after.base = ctx.base + resume;
    after.plain_at_zero = false;
    return ProcessBlob(rest->bytes(), after);
  }
  if (!id && !ctx.carve) return Status::Ok();  // nothing to open and no carving wanted
  std::shared_ptr<const Blob> blob;
  if (complete) {
    blob = ViewBlob(prefix);
  } else {
    CLEARBOX_RETURN_IF_ERROR(StreamToBlob(limited, prefix, &blob));
  }
  if (hint != nullptr) {
    return OpenContainer(*hint, blob->bytes(), 0, Match{}, ctx).status();
  }
  return ProcessBlob(blob->bytes(), ctx);
}

}  // namespace clearbox::unpack::internal
