#include "internal/readers.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "internal/engine.h"

namespace clearbox::unpack::internal {

LimitedReader::LimitedReader(Engine& engine, ContentReader& inner, std::string where,
                             uint64_t compressed)
    : engine_(engine), inner_(inner), where_(std::move(where)) {
  const Limits& l = engine.limits();
  cap_ = l.max_file_bytes;
  cap_reason_ = fmt::format("larger than the per-file limit of {} bytes", l.max_file_bytes);
  if (compressed > 0 && l.max_ratio > 0) {
    // A small stream may expand a lot legitimately (a page of zeros): allow 1 MiB at least.
    uint64_t by_ratio =
        compressed > UINT64_MAX / l.max_ratio ? UINT64_MAX : compressed * l.max_ratio;
    by_ratio = std::max<uint64_t>(by_ratio, 1 << 20);
    if (by_ratio < cap_) {
      cap_ = by_ratio;
      cap_reason_ =
          fmt::format("expands beyond {}:1 ({} compressed bytes)", l.max_ratio, compressed);
    }
  }
}

Error LimitedReader::Fail(Note::Kind kind, Error error) {
  if (!failed_) {
    engine_.AddNote(kind, where_, produced_, error.message());
    failed_ = error;
  }
  return *failed_;
}

Result<size_t> LimitedReader::Read(std::span<uint8_t> out) {
  if (failed_) return *failed_;
  if (out.empty()) return size_t{0};
  CLEARBOX_RETURN_IF_ERROR(engine_.CheckContinue());
  uint64_t room = cap_ - produced_;
  if (room == 0) {
    // At the cap: one more byte means the content is over it.
    uint8_t probe;
    Result<size_t> more = inner_.Read({&probe, 1});
    if (!more.ok() || *more == 0) return size_t{0};
    return Fail(Note::Kind::kLimit, Error::LimitExceeded(fmt::format("stopped at {} bytes: {}",
                                                                     produced_, cap_reason_)));
  }
  if (out.size() > room) out = out.first(size_t(room));
  Result<size_t> n = inner_.Read(out);
  if (!n.ok()) {
    if (n.error().code() == ErrorCode::kLimitExceeded) return n.error();  // noted already
    return Fail(Note::Kind::kCorrupt,
                Error(n.error().code(), fmt::format("read failed after {} bytes: {}", produced_,
                                                    n.error().message())));
  }
  produced_ += *n;
  if (*n > 0) {
    Status charged = engine_.ChargeTotal(*n);
    if (!charged.ok()) {
      failed_ = charged.error();
      return charged.error();
    }
  }
  return *n;
}

std::optional<ByteView> LimitedReader::Contiguous() {
  if (failed_ || produced_ > 0) return std::nullopt;
  std::optional<ByteView> view = inner_.Contiguous();
  if (!view) return std::nullopt;
  // Over a limit: fall back to Read, which stops at the cap and records why.
  if (view->size() > cap_) return std::nullopt;
  if (!engine_.CheckContinue().ok()) return std::nullopt;
  Status charged = engine_.ChargeTotal(view->size());
  if (!charged.ok()) {
    failed_ = charged.error();
    return std::nullopt;
  }
  produced_ = view->size();
  return view;
}

Result<size_t> PrefixReader::Read(std::span<uint8_t> out) {
  if (position_ < prefix_.size()) {
    size_t n = std::min<size_t>(out.size(), prefix_.size() - position_);
    std::memcpy(out.data(), prefix_.data() + position_, n);
    position_ += n;
    return n;
  }
  if (rest_ == nullptr) return size_t{0};
  CLEARBOX_ASSIGN_OR_RETURN(size_t n, rest_->Read(out));
  position_ += n;
  return n;
}

std::optional<ByteView> PrefixReader::Contiguous() {
  if (rest_ == nullptr && position_ == 0) return prefix_;
  return std::nullopt;
}

struct ReadAheadReader::Shared {
  struct Chunk {
    Bytes data;
    size_t used = 0;
    size_t read = 0;  // consumer position
  };
  std::mutex mu;
  std::condition_variable changed;
  std::deque<Chunk> filled;  // produced, not yet consumed
  std::vector<Bytes> free;   // buffers to reuse
  std::optional<Error> error;
  bool done = false;      // producer finished (end of stream or error)
  bool stopping = false;  // consumer is gone
  std::thread producer;
};

ReadAheadReader::ReadAheadReader(ContentReader& inner, size_t chunk, size_t depth)
    : size_(inner.size()), shared_(std::make_unique<Shared>()) {
  for (size_t i = 0; i < depth; ++i) shared_->free.emplace_back();
  Shared* s = shared_.get();
  s->producer = std::thread([s, &inner, chunk] {
    while (true) {
      Bytes buffer;
      {
        std::unique_lock<std::mutex> lock(s->mu);
        s->changed.wait(lock, [s] { return s->stopping || !s->free.empty(); });
        if (s->stopping) break;
        buffer = std::move(s->free.back());
        s->free.pop_back();
      }
      if (buffer.size() != chunk) buffer.resize(chunk);
      size_t used = 0;
      std::optional<Error> error;
      while (used < chunk) {  // fill the chunk: fewer hand-offs
        Result<size_t> n = inner.Read(std::span<uint8_t>(buffer).subspan(used));
        if (!n.ok()) {
          error = n.error();
          break;
        }
        if (*n == 0) break;
        used += *n;
      }
      std::lock_guard<std::mutex> lock(s->mu);
      if (used > 0) s->filled.push_back({std::move(buffer), used, 0});
      if (error || used < chunk) {
        s->error = std::move(error);
        s->done = true;
        s->changed.notify_all();
        break;
      }
      s->changed.notify_all();
    }
  });
}

ReadAheadReader::~ReadAheadReader() {
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->stopping = true;
  }
  shared_->changed.notify_all();
  shared_->producer.join();
}

Result<size_t> ReadAheadReader::Read(std::span<uint8_t> out) {
  if (out.empty()) return size_t{0};
  Shared& s = *shared_;
  std::unique_lock<std::mutex> lock(s.mu);
  s.changed.wait(lock, [&s] { return !s.filled.empty() || s.done; });
  if (s.filled.empty()) {
    if (s.error) return *s.error;
    return size_t{0};
  }
  Shared::Chunk& front = s.filled.front();
  size_t n = std::min(out.size(), front.used - front.read);
  std::memcpy(out.data(), front.data.data() + front.read, n);
  front.read += n;
  if (front.read == front.used) {
    s.free.push_back(std::move(front.data));
    s.filled.pop_front();
    s.changed.notify_all();
  }
  position_ += n;
  return n;
}

Result<size_t> ReadFully(ContentReader& reader, std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    CLEARBOX_ASSIGN_OR_RETURN(size_t n, reader.Read(out.subspan(done)));
    if (n == 0) break;
    done += n;
  }
  return done;
}

}  // namespace clearbox::unpack::internal
