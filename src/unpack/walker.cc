// Nodes and payloads: what handlers report, normalised, limited and passed to the sink.
#include "internal/walker.h"

#include <fmt/format.h>

#include <algorithm>

#include "clearbox/core/progress.h"
#include "internal/path.h"
#include "internal/readers.h"
#include "internal/spill.h"

namespace clearbox::unpack::internal {
namespace {

// A name for a note: the first bytes of a hostile name, printable.
std::string Excerpt(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (name.size() > 64) out += "...";
  return out;
}

}  // namespace

int ContainerWalker::threads() const {
  if (ctx_.in_parallel) return 1;
  int n = engine_.threads();
  if (n > 1) ctx_.in_parallel = true;
  return n;
}

void ContainerWalker::DoneWith(ByteView bytes) { DropPages(bytes); }

void ContainerWalker::AddNote(Note::Kind kind, uint64_t offset, std::string message) {
  engine_.AddNote(kind, ctx_.provenance, offset, std::move(message));
}

uint64_t ContainerWalker::OutputBudget(uint64_t compressed_bytes) const {
  const Limits& l = engine_.limits();
  uint64_t budget = l.max_file_bytes;
  uint64_t used = engine_.bytes_.load();
  budget = std::min(budget, used >= l.max_total_bytes ? 0 : l.max_total_bytes - used);
  if (l.max_ratio > 0) {
    uint64_t by_ratio =
        compressed_bytes > UINT64_MAX / l.max_ratio ? UINT64_MAX : compressed_bytes * l.max_ratio;
    budget = std::min(budget, std::max<uint64_t>(by_ratio, 1 << 20));
  }
  return budget;
}

std::unique_ptr<SpillBuffer> ContainerWalker::NewSpillBuffer() {
  auto used = std::make_shared<uint64_t>(0);
  return internal::NewSpillBuffer(
      engine_.limits().max_in_memory_bytes, [this, used](uint64_t bytes) -> Status {
        *used += bytes;
        if (*used > engine_.limits().max_file_bytes) {
          Error e =
              Error::LimitExceeded(fmt::format("a payload grew past the per-file limit of {} bytes",
                                               engine_.limits().max_file_bytes));
          AddNote(Note::Kind::kLimit, 0, e.message());
          return e;
        }
        return engine_.ChargeTotal(bytes);
      });
}

void ContainerWalker::Announce() {
  if (announced_.load(std::memory_order_acquire)) return;
  if (parent_ != nullptr) parent_->Announce();
  std::lock_guard<std::mutex> lock(engine_.sink_mu_);
  if (announced_.load(std::memory_order_relaxed)) return;
  engine_.filesystems_.fetch_add(1);
  engine_.sink_.OnFilesystem(info_);
  announced_.store(true, std::memory_order_release);
}

Status ContainerWalker::AddNode(Node node, ContentReader* content) {
  Announce();
  return engine_.DeliverNode(std::move(node), content, ctx_);
}

Status ContainerWalker::AddPayload(Payload payload) {
  CLEARBOX_RETURN_IF_ERROR(engine_.CheckContinue());
  BlobContext child = ctx_;
  if (!payload.label.empty()) child.provenance += ":" + payload.label;
  child.carve = ctx_.carve && payload.carve;
  child.listed_as_file = payload.listed_as_file;
  child.plain_at_zero = true;
  child.base = 0;
  const FormatHandler* hint = nullptr;
  if (!payload.format_hint.empty()) {
    hint = FindFormat(payload.format_hint);
    if (hint == nullptr) {
      AddNote(Note::Kind::kWarning, payload.offset,
              fmt::format("payload names an unknown format \"{}\"", payload.format_hint));
    }
  }
  if (payload.stream != nullptr) {
    return engine_.ProcessStream(*payload.stream, payload.compressed_size, hint, child);
  }
  ByteView data = payload.blob ? payload.blob->bytes() : payload.view;
  if (hint != nullptr) {
    Match match;
    if (hint->probe != nullptr) {
      if (std::optional<Match> m = hint->probe(data)) match = std::move(*m);
    }
    return engine_.OpenContainer(*hint, data, 0, match, child).status();
  }
  return engine_.ProcessBlob(data, child);
}

Status Engine::DeliverToSink(const Node& node, ContentReader* content) {
  Status s = sink_.OnNode(node, content);
  if (s.ok()) return s;
  if (stopping()) return CheckContinue();  // the sink passed a stop on
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    sink_failed_ = !stop_error_.has_value();
  }
  return Stop(s.error().WithContext(node.provenance));
}

Status Engine::DeliverNode(Node node, ContentReader* content, const BlobContext& ctx) {
  CLEARBOX_RETURN_IF_ERROR(CheckContinue());
  if (entries_.fetch_add(1) + 1 > limits().max_entries) {
    entries_.fetch_sub(1);
    Error e = Error::LimitExceeded(
        fmt::format("entry limit of {} reached: unpack stopped", limits().max_entries));
    if (!entry_limit_noted_.exchange(true))
      AddNote(Note::Kind::kLimit, ctx.provenance, 0, e.message());
    return Stop(std::move(e));
  }
  if (node.path.size() > limits().max_path_length) {
    AddNote(Note::Kind::kCorrupt, ctx.provenance, 0,
            fmt::format("entry name of {} bytes is longer than the limit of {}: skipped: {}",
                        node.path.size(), limits().max_path_length, Excerpt(node.path)));
    return Status::Ok();
  }
  node.raw_path.clear();
  NormalisePathInPlace(node.path, node.raw_path);
  if (node.type == NodeType::kHardLink) {
    node.link_target = NormalisePath(node.link_target).path;
  } else if (node.type == NodeType::kSymlink) {
    if (node.link_target.size() > limits().max_symlink_target) {
      AddNote(Note::Kind::kCorrupt, ctx.provenance, 0,
              fmt::format("symlink {} has a target of {} bytes: cut at {}", node.path,
                          node.link_target.size(), limits().max_symlink_target));
      node.link_target.resize(limits().max_symlink_target);
    }
    node.size = node.link_target.size();
  }
  node.provenance.reserve(ctx.provenance.size() + 1 + node.path.size());
  node.provenance = ctx.provenance;
  node.provenance += ':';
  node.provenance += node.path;
  if (options_.progress != nullptr) options_.progress->Add(1, 0);
  if (node.type != NodeType::kFile || content == nullptr) return DeliverToSink(node, nullptr);
  return DeliverFile(node, *content, ctx);
}

Status Engine::DeliverFile(Node& node, ContentReader& content, const BlobContext& ctx) {
  LimitedReader limited(*this, content, node.provenance, 0);
  BlobContext file_ctx = ctx;
  file_ctx.provenance = node.provenance;
  file_ctx.carve = options_.carve_files;
  file_ctx.plain_at_zero = true;
  file_ctx.base = 0;
  file_ctx.from_file = true;

  if (std::optional<ByteView> view = content.Contiguous()) {
    // Zero-copy: the sink writes the bytes where they lie, the engine looks inside them.
    CLEARBOX_RETURN_IF_ERROR(DeliverToSink(node, &limited));
    return ProcessBlob(*view, file_ctx);
  }

  // Read the first bytes to identify a container, then replay them to the sink.
  const size_t want = size_t(std::clamp<uint64_t>(node.size, 1, uint64_t(kMaxProbeBytes)));
  // Not zero-filled: every file passes here, and the bytes are overwritten by the read.
  std::unique_ptr<uint8_t[]> buffer = std::make_unique_for_overwrite<uint8_t[]>(want);
  std::span<uint8_t> prefix(buffer.get(), want);
  size_t got = 0;
  bool failed = false;
  while (got < want) {
    Result<size_t> n = limited.Read(prefix.subspan(got));
    if (!n.ok()) {
      CLEARBOX_RETURN_IF_ERROR(CheckContinue());
      failed = true;  // noted by the reader; deliver what was read
      break;
    }
    if (*n == 0) break;
    got += *n;
  }
  prefix = prefix.first(got);
  const bool complete = failed || got < want;

  std::optional<Identified> id;
  if (!options_.carve_files) id = IdentifyAt0(prefix);
  if (id && ctx.depth + 1 > limits().max_depth) {
    CLEARBOX_RETURN_IF_ERROR(OpenContainer(*id->handler, prefix, 0, id->match, file_ctx).status());
    id.reset();
  }
  if (!id && !options_.carve_files) {
    PrefixReader replay(node.size, prefix, complete ? nullptr : &limited);
    return DeliverToSink(node, sink_.WantsContent() ? &replay : nullptr);
  }
  if (id && !sink_.WantsContent() && id->handler->open_stream != nullptr &&
      id->handler->open != nullptr) {
    // Listing only: stream the nested container instead of keeping a copy.
    CLEARBOX_RETURN_IF_ERROR(DeliverToSink(node, nullptr));
    PrefixReader replay(node.size, prefix, complete ? nullptr : &limited);
    return OpenContainerStream(*id->handler, replay, id->match, file_ctx).status();
  }
  std::shared_ptr<const Blob> blob;
  if (complete) {
    blob = ViewBlob(prefix);
  } else {
    CLEARBOX_RETURN_IF_ERROR(StreamToBlob(limited, prefix, &blob));
  }
  ViewReader whole(blob->bytes());
  CLEARBOX_RETURN_IF_ERROR(DeliverToSink(node, sink_.WantsContent() ? &whole : nullptr));
  return ProcessBlob(blob->bytes(), file_ctx);
}

}  // namespace clearbox::unpack::internal
