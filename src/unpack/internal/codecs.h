// Streaming decoders for the bare compressed streams the engine carves (gzip, xz, lzma,
// bzip2, zstd, lz4): output produced on demand, bounded memory, and the exact input length
// of the stream, so that carving resumes right after it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "clearbox/core/bytes.h"
#include "clearbox/unpack/unpack.h"
#include "unpack/internal/format.h"

namespace clearbox::unpack::internal {

enum class StreamCodec { kGzip, kXz, kLzmaAlone, kBzip2, kZstd, kLz4Frame };

std::string_view StreamCodecName(StreamCodec codec);

// Decodes one stream of `codec` from `input` (which may run past the stream's end); for gzip,
// every concatenated member, as gzip -d does.
// Read() fails with kInvalidInput naming the codec and input offset on corrupt data, and with
// kLimitExceeded once the output passes max(max_ratio * input consumed, 1 MiB) when
// `walker` is given (the walker records the note). Not thread-safe.
class StreamDecoderReader : public ContentReader {
 public:
  static Result<std::unique_ptr<StreamDecoderReader>> Create(StreamCodec codec, ByteView input,
                                                             Walker* walker);
  ~StreamDecoderReader() override;

  // Unknown for streams: reports 0.
  uint64_t size() const override { return 0; }
  Result<size_t> Read(std::span<uint8_t> out) override;

  // True once the end of the stream was decoded.
  bool finished() const { return finished_; }
  // Input bytes the stream occupies (valid once finished()).
  uint64_t consumed() const { return in_pos_; }
  uint64_t produced() const { return produced_; }

  class Codec;  // one per StreamCodec, in codecs.cc

 private:
  StreamDecoderReader(StreamCodec codec, ByteView input, Walker* walker,
                      std::unique_ptr<Codec> impl);

  StreamCodec codec_;
  ByteView input_;
  Walker* walker_;
  std::unique_ptr<Codec> impl_;
  uint64_t in_pos_ = 0;
  uint64_t produced_ = 0;
  uint64_t released_ = 0;  // input below this was handed to Walker::DoneWith
  bool finished_ = false;
  std::optional<Error> failed_;
};

// Whether `d` starts with a gzip member header (RFC 1952: magic, method 8, valid flags, XFL
// and OS): how a concatenated member is told from trailing data.
bool IsGzipMemberHeader(ByteView d);

// Whether the first bytes of `input` decode without error (a probe's trial decode).
bool TrialDecode(StreamCodec codec, ByteView input);

}  // namespace clearbox::unpack::internal
