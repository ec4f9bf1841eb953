#include "internal/codecs.h"

#include <bzlib.h>
#include <fmt/format.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

namespace clearbox::unpack::internal {
namespace {

// Memory a single xz/lzma/zstd decoder may use: enough for xz -9 and zstd -19, and two of
// them side by side (parallel extraction) stay far below the 256 MiB RSS budget.
constexpr uint64_t kDecoderMemLimit = 96ull << 20;
constexpr int kZstdWindowLogMax = 26;  // 64 MiB windows

struct Step {
  size_t in = 0;     // input consumed
  size_t out = 0;    // output produced
  bool end = false;  // the stream's end marker was decoded
};

}  // namespace

bool IsGzipMemberHeader(ByteView d) {
  // RFC 1952: ID1 ID2 CM=8 FLG MTIME(4) XFL OS; reserved flag bits must be zero. Room for
  // the header and an empty deflate block with the trailer (18 bytes).
  if (d.size() < 18 || d[0] != 0x1f || d[1] != 0x8b || d[2] != 8) return false;
  if ((d[3] & 0xe0) != 0) return false;
  if (d[8] != 0 && d[8] != 2 && d[8] != 4) return false;
  return d[9] <= 13 || d[9] == 255;
}

class StreamDecoderReader::Codec {
 public:
  virtual ~Codec() = default;
  // Decodes from `in` into `out`. Errors: a message (the caller adds codec and offset).
  virtual Result<Step> Decode(ByteView in, std::span<uint8_t> out) = 0;
  // Bytes of `in` the failing Decode call had read before it found the error, when known.
  virtual size_t consumed_before_error() const { return 0; }
};

namespace {

// zlib's avail_in/avail_out are 32-bit: feed at most this much per call.
constexpr size_t kMaxChunk = 1u << 30;

// zlib's default allocator is calloc; inflate never reads memory it has not written, and a
// root filesystem has thousands of .gz files, each needing a 32 KiB window: skip the zeroing.
voidpf ZlibAlloc(voidpf, uInt items, uInt size) { return std::malloc(size_t(items) * size); }
void ZlibFree(voidpf, voidpf address) { std::free(address); }

class GzipCodec : public StreamDecoderReader::Codec {
 public:
  GzipCodec() {
    zs_ = {};
    zs_.zalloc = ZlibAlloc;
    zs_.zfree = ZlibFree;
    ok_ = inflateInit2(&zs_, 16 + MAX_WBITS) == Z_OK;  // gzip wrapper only
  }
  ~GzipCodec() override {
    if (ok_) inflateEnd(&zs_);
  }
  Result<Step> Decode(ByteView in, std::span<uint8_t> out) override {
    if (!ok_) return Error::Internal("inflateInit2 failed");
    zs_.next_in = const_cast<Bytef*>(in.data());
    zs_.avail_in = uInt(std::min(in.size(), kMaxChunk));
    zs_.next_out = out.data();
    zs_.avail_out = uInt(std::min(out.size(), kMaxChunk));
    uInt in0 = zs_.avail_in, out0 = zs_.avail_out;
    int rc = inflate(&zs_, Z_NO_FLUSH);
    Step s{in0 - zs_.avail_in, out0 - zs_.avail_out, rc == Z_STREAM_END};
    if (rc == Z_STREAM_END && IsGzipMemberHeader(in.subspan(s.in))) {
      // Concatenated members are one stream, as gzip -d decodes them: go on with the next.
      if (inflateReset(&zs_) != Z_OK) return Error::Internal("inflateReset failed");
      s.end = false;
    }
    if (rc == Z_OK || rc == Z_STREAM_END || (rc == Z_BUF_ERROR && (s.in || s.out))) return s;
    if (rc == Z_BUF_ERROR) return s;  // needs more input: the caller sees no progress
    // inflate stops at the byte holding the bits it could not decode: the last one it read.
    consumed_before_error_ = s.in > 0 ? s.in - 1 : 0;
    return Error::InvalidInput(zs_.msg != nullptr ? zs_.msg : fmt::format("inflate error {}", rc));
  }
  size_t consumed_before_error() const override { return consumed_before_error_; }

 private:
  z_stream zs_;
  bool ok_;
  size_t consumed_before_error_ = 0;
};

class LzmaCodec : public StreamDecoderReader::Codec {
 public:
  explicit LzmaCodec(bool alone) {
    ls_ = LZMA_STREAM_INIT;
    lzma_ret rc = alone ? lzma_alone_decoder(&ls_, kDecoderMemLimit)
                        : lzma_stream_decoder(&ls_, kDecoderMemLimit, 0);
    ok_ = rc == LZMA_OK;
  }
  ~LzmaCodec() override { lzma_end(&ls_); }
  Result<Step> Decode(ByteView in, std::span<uint8_t> out) override {
    if (!ok_) return Error::Internal("lzma decoder init failed");
    ls_.next_in = in.data();
    ls_.avail_in = in.size();
    ls_.next_out = out.data();
    ls_.avail_out = out.size();
    // Without LZMA_CONCATENATED the decoder ends at the stream's end; LZMA_FINISH once the
    // input is exhausted lets it report a truncated stream instead of waiting.
    lzma_ret rc = lzma_code(&ls_, in.empty() ? LZMA_FINISH : LZMA_RUN);
    Step s{in.size() - ls_.avail_in, out.size() - ls_.avail_out, rc == LZMA_STREAM_END};
    switch (rc) {
      case LZMA_OK:
      case LZMA_STREAM_END:
        return s;
      case LZMA_BUF_ERROR:
        return Error::InvalidInput("truncated stream");
      case LZMA_MEMLIMIT_ERROR:
        return Error::Unsupported(
            fmt::format("needs more than {} MiB of decoder memory", kDecoderMemLimit >> 20));
      case LZMA_FORMAT_ERROR:
        return Error::InvalidInput("not a valid header");
      case LZMA_OPTIONS_ERROR:
        return Error::Unsupported("unsupported options");
      case LZMA_DATA_ERROR:
        return Error::InvalidInput("corrupt data");
      default:
        return Error::InvalidInput(fmt::format("decoder error {}", int(rc)));
    }
  }

 private:
  lzma_stream ls_;
  bool ok_;
};

class Bzip2Codec : public StreamDecoderReader::Codec {
 public:
  Bzip2Codec() {
    bs_ = {};
    ok_ = BZ2_bzDecompressInit(&bs_, 0, 0) == BZ_OK;
  }
  ~Bzip2Codec() override {
    if (ok_) BZ2_bzDecompressEnd(&bs_);
  }
  Result<Step> Decode(ByteView in, std::span<uint8_t> out) override {
    if (!ok_) return Error::Internal("BZ2_bzDecompressInit failed");
    bs_.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
    bs_.avail_in = unsigned(std::min(in.size(), kMaxChunk));
    bs_.next_out = reinterpret_cast<char*>(out.data());
    bs_.avail_out = unsigned(std::min(out.size(), kMaxChunk));
    unsigned in0 = bs_.avail_in, out0 = bs_.avail_out;
    int rc = BZ2_bzDecompress(&bs_);
    Step s{in0 - bs_.avail_in, out0 - bs_.avail_out, rc == BZ_STREAM_END};
    if (rc == BZ_OK || rc == BZ_STREAM_END) return s;
    return Error::InvalidInput(fmt::format("corrupt data (bzip2 error {})", rc));
  }

 private:
  bz_stream bs_;
  bool ok_;
};

class ZstdCodec : public StreamDecoderReader::Codec {
 public:
  ZstdCodec() : dctx_(ZSTD_createDCtx()) {
    if (dctx_ != nullptr) ZSTD_DCtx_setParameter(dctx_, ZSTD_d_windowLogMax, kZstdWindowLogMax);
  }
  ~ZstdCodec() override { ZSTD_freeDCtx(dctx_); }
  Result<Step> Decode(ByteView in, std::span<uint8_t> out) override {
    if (dctx_ == nullptr) return Error::Internal("ZSTD_createDCtx failed");
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    ZSTD_outBuffer ob{out.data(), out.size(), 0};
    size_t rc = ZSTD_decompressStream(dctx_, &ob, &ib);
    if (ZSTD_isError(rc)) return Error::InvalidInput(ZSTD_getErrorName(rc));
    return Step{ib.pos, ob.pos, rc == 0};
  }

 private:
  ZSTD_DCtx* dctx_;
};

class Lz4FrameCodec : public StreamDecoderReader::Codec {
 public:
  Lz4FrameCodec() {
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx_, LZ4F_VERSION))) dctx_ = nullptr;
  }
  ~Lz4FrameCodec() override {
    if (dctx_ != nullptr) LZ4F_freeDecompressionContext(dctx_);
  }
  Result<Step> Decode(ByteView in, std::span<uint8_t> out) override {
    if (dctx_ == nullptr) return Error::Internal("LZ4F_createDecompressionContext failed");
    size_t in_size = in.size(), out_size = out.size();
    size_t rc = LZ4F_decompress(dctx_, out.data(), &out_size, in.data(), &in_size, nullptr);
    if (LZ4F_isError(rc)) return Error::InvalidInput(LZ4F_getErrorName(rc));
    return Step{in_size, out_size, rc == 0};
  }

 private:
  LZ4F_dctx* dctx_ = nullptr;
};

std::unique_ptr<StreamDecoderReader::Codec> MakeCodec(StreamCodec codec) {
  switch (codec) {
    case StreamCodec::kGzip:
      return std::make_unique<GzipCodec>();
    case StreamCodec::kXz:
      return std::make_unique<LzmaCodec>(false);
    case StreamCodec::kLzmaAlone:
      return std::make_unique<LzmaCodec>(true);
    case StreamCodec::kBzip2:
      return std::make_unique<Bzip2Codec>();
    case StreamCodec::kZstd:
      return std::make_unique<ZstdCodec>();
    case StreamCodec::kLz4Frame:
      return std::make_unique<Lz4FrameCodec>();
  }
  return nullptr;
}

}  // namespace

std::string_view StreamCodecName(StreamCodec codec) {
  switch (codec) {
    case StreamCodec::kGzip:
      return "gzip";
    case StreamCodec::kXz:
      return "xz";
    case StreamCodec::kLzmaAlone:
      return "lzma";
    case StreamCodec::kBzip2:
      return "bzip2";
    case StreamCodec::kZstd:
      return "zstd";
    case StreamCodec::kLz4Frame:
      return "lz4";
  }
  return "?";
}

StreamDecoderReader::StreamDecoderReader(StreamCodec codec, ByteView input, Walker* walker,
                                         std::unique_ptr<Codec> impl)
    : codec_(codec), input_(input), walker_(walker), impl_(std::move(impl)) {}
StreamDecoderReader::~StreamDecoderReader() = default;

Result<std::unique_ptr<StreamDecoderReader>> StreamDecoderReader::Create(StreamCodec codec,
                                                                         ByteView input,
                                                                         Walker* walker) {
  std::unique_ptr<Codec> impl = MakeCodec(codec);
  if (impl == nullptr) return Error::Internal("unknown codec");
  return std::unique_ptr<StreamDecoderReader>(
      new StreamDecoderReader(codec, input, walker, std::move(impl)));
}

Result<size_t> StreamDecoderReader::Read(std::span<uint8_t> out) {
  if (failed_) return *failed_;
  if (finished_ || out.empty()) return size_t{0};
  if (walker_ != nullptr) {
    // The ratio is measured against the input the stream can span (to the end of its blob),
    // not the input consumed so far: a disk image's runs of zeros expand 10000:1 locally
    // (83 KB of xz holding an 8 MiB partitioned disk stopped at 1 MiB), while the whole
    // stream stays near 100:1. A bomb still stops at ratio x its blob, and the image-wide
    // limits (max_total_ratio, max_total_bytes) bound what many streams add up to.
    const Limits& l = walker_->limits();
    if (l.max_ratio > 0) {
      const uint64_t input = input_.size();
      uint64_t allowed = std::max<uint64_t>(
          input > UINT64_MAX / l.max_ratio ? UINT64_MAX : input * l.max_ratio, 1 << 20);
      if (produced_ >= allowed) {
        failed_ = Error::LimitExceeded(
            fmt::format("{} stream stopped at {} bytes: expands beyond {}:1 ({} bytes of input)",
                        StreamCodecName(codec_), produced_, l.max_ratio, input));
        walker_->AddNote(Note::Kind::kLimit, in_pos_, failed_->message());
        return *failed_;
      }
      out = out.first(size_t(std::min<uint64_t>(out.size(), allowed - produced_)));
    }
  }
  size_t total = 0;
  // Loop until some output appears: a decoder may consume header bytes without output.
  for (int idle = 0; total == 0 && !finished_; ++idle) {
    ByteView in = input_.subspan(size_t(in_pos_));
    Result<Step> step = impl_->Decode(in, out);
    if (!step.ok()) {
      failed_ =
          Error(step.error().code(),
                fmt::format("{} stream: {} at input offset {}", StreamCodecName(codec_),
                            step.error().message(), in_pos_ + impl_->consumed_before_error()));
      return *failed_;
    }
    in_pos_ += step->in;
    produced_ += step->out;
    // Input behind the decoder is not read again: let the engine drop it from memory.
    constexpr uint64_t kReleaseStep = 8 << 20;
    if (walker_ != nullptr && in_pos_ - released_ >= kReleaseStep) {
      walker_->DoneWith(input_.subspan(size_t(released_), size_t(in_pos_ - released_)));
      released_ = in_pos_;
    }
    total += step->out;
    finished_ = step->end;
    if (step->in == 0 && step->out == 0 && !step->end) {
      if (in.empty() || idle > 4) {
        failed_ = Error::InvalidInput(fmt::format("{} stream: truncated at input offset {}",
                                                  StreamCodecName(codec_), in_pos_));
        return *failed_;
      }
    }
  }
  return total;
}

bool TrialDecode(StreamCodec codec, ByteView input) {
  // Enough input for a deflate/LZMA block header and some symbols; cheap enough to run on
  // every candidate (and on every .gz file of a root filesystem).
  constexpr size_t kTrialInput = 2048;
  Result<std::unique_ptr<StreamDecoderReader>> reader =
      StreamDecoderReader::Create(codec, input.first(std::min(input.size(), kTrialInput)), nullptr);
  if (!reader.ok()) return false;
  uint8_t out[16384];
  for (int i = 0; i < 2; ++i) {
    Result<size_t> n = (*reader)->Read(out);
    if (!n.ok()) {
      // Running out of the trial input is fine; anything else is not this format.
      return (*reader)->consumed() >= std::min(input.size(), kTrialInput) - 16 &&
             n.error().code() == ErrorCode::kInvalidInput &&
             n.error().message().find("truncated") != std::string::npos;
    }
    if (*n == 0 || (*reader)->finished()) return true;
  }
  return true;
}

}  // namespace clearbox::unpack::internal
