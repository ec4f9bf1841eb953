// Content readers the engine wraps around what handlers give it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "clearbox/core/bytes.h"
#include "clearbox/unpack/unpack.h"

namespace clearbox::unpack::internal {

class Engine;

// Enforces the limits on one stream of content: at most `max_bytes` (the per-file limit, or
// ratio * compressed size for a decompressed stream), every byte charged against the total,
// the time budget. Records a note the first time a limit or a read error stops it, naming
// `where`. Not thread-safe (one reader, one thread).
class LimitedReader : public ContentReader {
 public:
  // `compressed` > 0 applies Limits::max_ratio to it.
  LimitedReader(Engine& engine, ContentReader& inner, std::string where, uint64_t compressed);

  uint64_t size() const override { return inner_.size(); }
  Result<size_t> Read(std::span<uint8_t> out) override;
  std::optional<ByteView> Contiguous() override;
  uint64_t produced() const { return produced_; }

 private:
  Error Fail(Note::Kind kind, Error error);

  Engine& engine_;
  ContentReader& inner_;
  std::string where_;
  uint64_t cap_;
  std::string cap_reason_;
  uint64_t produced_ = 0;
  std::optional<Error> failed_;
};

// Replays `prefix` (bytes already read from `rest` to identify the content), then continues
// with `rest` (nullptr: the prefix is everything).
class PrefixReader : public ContentReader {
 public:
  PrefixReader(uint64_t size, ByteView prefix, ContentReader* rest)
      : size_(size), prefix_(prefix), rest_(rest) {}
  uint64_t size() const override { return size_; }
  Result<size_t> Read(std::span<uint8_t> out) override;
  std::optional<ByteView> Contiguous() override;
  uint64_t position() const { return position_; }

 private:
  uint64_t size_;
  ByteView prefix_;
  ContentReader* rest_;
  uint64_t position_ = 0;
};

// Reads `inner` ahead on a thread of its own, a few chunks at a time, so that decompressing
// a stream (gzip of a tar) overlaps with what the consumer does with it (parsing, writing
// files). Memory: depth * chunk bytes. The consumer side is not thread-safe (one reader);
// `inner` is only touched by the read-ahead thread until this reader is destroyed.
class ReadAheadReader : public ContentReader {
 public:
  explicit ReadAheadReader(ContentReader& inner, size_t chunk = 1 << 20, size_t depth = 4);
  ~ReadAheadReader() override;  // stops the thread
  ReadAheadReader(const ReadAheadReader&) = delete;
  ReadAheadReader& operator=(const ReadAheadReader&) = delete;

  uint64_t size() const override { return size_; }
  Result<size_t> Read(std::span<uint8_t> out) override;
  uint64_t position() const { return position_; }

 private:
  struct Shared;
  uint64_t size_;
  uint64_t position_ = 0;
  std::unique_ptr<Shared> shared_;
};

// Reads until `out` is full or the stream ends. Returns the bytes read.
Result<size_t> ReadFully(ContentReader& reader, std::span<uint8_t> out);

}  // namespace clearbox::unpack::internal
