#include "decompress.h"

#include <bzlib.h>
#include <fmt/format.h>
#include <lz4.h>
#include <lz4frame.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>

#include "lzw.h"

namespace clearbox::unpack {
namespace {

// Codec state limits: a header may ask for any dictionary; these bound what we grant.
constexpr uint64_t kLzmaMemLimit = 256ull << 20;
constexpr int kZstdWindowLogMax = 27;          // 128 MiB, zstd's own default for streaming decoders
constexpr uint32_t kLzopMaxBlock = 64u << 20;  // lzop's MAX_BLOCK_SIZE
constexpr size_t kMaxChunk = 1u << 30;         // zlib/bzip2 take 32-bit lengths

Error Corrupt(Codec codec, uint64_t at, std::string_view what) {
  return Error::InvalidInput(fmt::format("{}: {} at input offset {}", CodecName(codec), what, at));
}
Error Truncated(Codec codec, uint64_t in_size, uint64_t out_size) {
  return Error::InvalidInput(
      fmt::format("{}: truncated: input ended after {} bytes ({} bytes decoded)", CodecName(codec),
                  in_size, out_size));
}
Error OverLimit(Codec codec, uint64_t max_out) {
  return Error::LimitExceeded(
      fmt::format("{}: output exceeds the limit of {} bytes", CodecName(codec), max_out));
}

// Output that grows geometrically up to max_out + 1 bytes: one byte past the cap is how a
// stream that would exceed it is told apart from one that ends exactly at it.
class Output {
 public:
  Output(uint64_t max_out, size_t in_size)
      : max_out_(max_out),
        cap_(std::min<uint64_t>(max_out, std::numeric_limits<size_t>::max() / 2) + 1) {
    initial_ =
        std::min<uint64_t>(cap_, std::clamp<uint64_t>(uint64_t{in_size} * 4, 64 << 10, 16 << 20));
  }

  // Free space after the bytes produced so far; empty once the cap is reached.
  std::span<uint8_t> Space() {
    if (size_ == buf_.size()) {
      if (buf_.size() >= cap_) return {};
      uint64_t next = buf_.empty() ? initial_ : std::min<uint64_t>(cap_, buf_.size() * 2);
      buf_.resize(next);
    }
    return {buf_.data() + size_, buf_.size() - size_};
  }
  // Space() limited to `n` bytes (for APIs with 32-bit lengths).
  std::span<uint8_t> Space(size_t n) {
    auto s = Space();
    return s.first(std::min(s.size(), n));
  }
  void Commit(size_t n) { size_ += n; }
  // Appends bytes, as far as the cap allows.
  void Append(ByteView data) {
    while (!data.empty()) {
      auto s = Space();
      if (s.empty()) return;
      size_t n = std::min(s.size(), data.size());
      std::memcpy(s.data(), data.data(), n);
      Commit(n);
      data = data.subspan(n);
    }
  }
  uint64_t size() const { return size_; }
  uint64_t max_out() const { return max_out_; }
  bool Exceeded() const { return size_ > max_out_; }
  Bytes Take() {
    buf_.resize(size_);
    if (buf_.capacity() - size_ > size_ / 4 + 4096) buf_.shrink_to_fit();
    return std::move(buf_);
  }

 private:
  uint64_t max_out_;
  uint64_t cap_;
  uint64_t initial_;
  Bytes buf_;
  size_t size_ = 0;
};

// Common ending of every codec: the limit wins over everything, then the failure policy.
Result<Decompressed> Finish(Codec codec, Output& out, std::optional<uint64_t> consumed,
                            std::optional<Error> failure, const DecompressOptions& options) {
  if (out.Exceeded()) return OverLimit(codec, options.max_out);
  if (failure) {
    if (!options.keep_partial) return *std::move(failure);
    return Decompressed{out.Take(), std::nullopt, std::move(failure), consumed};
  }
  return Decompressed{out.Take(), consumed, std::nullopt, std::nullopt};
}

Result<Decompressed> InflateZlib(Codec codec, ByteView in, const DecompressOptions& options) {
  z_stream s{};
  int window_bits = codec == Codec::kZlib ? 15 : codec == Codec::kDeflateRaw ? -15 : 15 + 16;
  if (inflateInit2(&s, window_bits) != Z_OK) return Error::Internal("zlib: inflateInit2 failed");
  struct Guard {
    z_stream* s;
    ~Guard() { inflateEnd(s); }
  } guard{&s};

  Output out(options.max_out, in.size());
  size_t fed = 0;
  std::optional<Error> failure;
  bool ended = false;
  while (true) {
    if (s.avail_in == 0 && fed < in.size()) {
      size_t n = std::min(in.size() - fed, kMaxChunk);
      s.next_in = const_cast<Bytef*>(in.data() + fed);
      s.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    auto space = out.Space(kMaxChunk);
    if (space.empty()) break;  // over the limit
    s.next_out = space.data();
    s.avail_out = static_cast<uInt>(space.size());
    int ret = inflate(&s, Z_NO_FLUSH);
    out.Commit(space.size() - s.avail_out);
    if (ret == Z_STREAM_END) {
      ended = true;
      break;
    }
    if (ret == Z_OK) continue;
    if (ret == Z_BUF_ERROR && s.avail_out == 0) continue;  // needs more room
    if (ret == Z_BUF_ERROR && s.avail_in == 0 && fed == in.size()) {
      failure = Truncated(codec, in.size(), out.size());
    } else {
      failure = Corrupt(codec, s.total_in, s.msg ? s.msg : "inflate failed");
    }
    break;
  }
  if (!ended && !failure && !out.Exceeded()) failure = Truncated(codec, in.size(), out.size());
  return Finish(codec, out, uint64_t{s.total_in}, std::move(failure), options);
}

Result<Decompressed> DecodeLzma(Codec codec, ByteView in, const DecompressOptions& options) {
  lzma_stream s = LZMA_STREAM_INIT;
  struct Guard {
    lzma_stream* s;
    ~Guard() { lzma_end(s); }
  } guard{&s};

  lzma_ret init;
  if (codec == Codec::kXz) {
    init = lzma_stream_decoder(&s, kLzmaMemLimit, 0);
  } else if (codec == Codec::kLzip) {
    // Every member, each checked against its trailer (CRC32, data size, member size).
    init = lzma_lzip_decoder(&s, kLzmaMemLimit, LZMA_CONCATENATED);
  } else if (codec == Codec::kLzmaAlone) {
    init = lzma_alone_decoder(&s, kLzmaMemLimit);
  } else {
    const LzmaRawProps& p = options.lzma;
    if (p.lc > 8 || p.lp > 4 || p.pb > 4) {
      return Corrupt(codec, 0, fmt::format("invalid props lc={} lp={} pb={}", p.lc, p.lp, p.pb));
    }
    if (options.expected_size && *options.expected_size > options.max_out) {
      return OverLimit(codec, options.max_out);
    }
    lzma_options_lzma opts{};
    opts.lc = p.lc;
    opts.lp = p.lp;
    opts.pb = p.pb;
    // A dictionary larger than the output can never be used; do not let a header size it.
    uint64_t useful = options.expected_size.value_or(
        std::max(options.max_out, options.max_out + 1));  // saturating: max_out may be ~0
    opts.dict_size = static_cast<uint32_t>(std::clamp<uint64_t>(
        std::min<uint64_t>(p.dict_size, useful), LZMA_DICT_SIZE_MIN, kLzmaMemLimit));
    opts.ext_flags = LZMA_LZMA1EXT_ALLOW_EOPM;
    uint64_t size = options.expected_size.value_or(UINT64_MAX);
    opts.ext_size_low = static_cast<uint32_t>(size);
    opts.ext_size_high = static_cast<uint32_t>(size >> 32);
    lzma_filter filters[2] = {{LZMA_FILTER_LZMA1EXT, &opts}, {LZMA_VLI_UNKNOWN, nullptr}};
    init = lzma_raw_decoder(&s, filters);
  }
  if (init == LZMA_MEM_ERROR)
    return Error::Internal(fmt::format("{}: out of memory", CodecName(codec)));
  if (init != LZMA_OK)
    return Corrupt(codec, 0, fmt::format("decoder setup failed ({})", int(init)));

  Output out(options.max_out, in.size());
  s.next_in = in.data();
  s.avail_in = in.size();
  std::optional<Error> failure;
  bool ended = false;
  while (true) {
    auto space = out.Space();
    if (space.empty()) break;
    s.next_out = space.data();
    s.avail_out = space.size();
    size_t avail_in_before = s.avail_in;
    lzma_ret ret = lzma_code(&s, LZMA_FINISH);
    size_t produced = space.size() - s.avail_out;
    out.Commit(produced);
    bool progress = produced > 0 || s.avail_in < avail_in_before;
    if (ret == LZMA_STREAM_END) {
      ended = true;
      break;
    }
    if (ret == LZMA_OK) {
      if (progress) continue;
      failure = Truncated(codec, in.size(), out.size());
    } else if (ret == LZMA_BUF_ERROR) {
      failure = Truncated(codec, in.size(), out.size());
    } else if (ret == LZMA_MEMLIMIT_ERROR) {
      return Error::LimitExceeded(fmt::format("{}: needs {} MiB of memory, over the {} MiB limit",
                                              CodecName(codec), lzma_memusage(&s) >> 20,
                                              kLzmaMemLimit >> 20));
    } else if (ret == LZMA_FORMAT_ERROR) {
      failure = Corrupt(codec, s.total_in, "not a valid header");
    } else if (ret == LZMA_OPTIONS_ERROR) {
      failure = Corrupt(codec, s.total_in, "unsupported options");
    } else if (ret == LZMA_DATA_ERROR) {
      failure = Corrupt(codec, s.total_in, "corrupt data");
    } else if (ret == LZMA_UNSUPPORTED_CHECK) {
      continue;  // only reported with LZMA_TELL_UNSUPPORTED_CHECK, never set here
    } else {
      failure = Corrupt(codec, s.total_in, fmt::format("decoder error {}", int(ret)));
    }
    break;
  }
  if (!ended && !failure && !out.Exceeded()) failure = Truncated(codec, in.size(), out.size());
  return Finish(codec, out, uint64_t{s.total_in}, std::move(failure), options);
}

Result<Decompressed> DecodeBzip2(ByteView in, const DecompressOptions& options) {
  constexpr Codec kCodec = Codec::kBzip2;
  bz_stream s{};
  if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK) return Error::Internal("bzip2: init failed");
  struct Guard {
    bz_stream* s;
    ~Guard() { BZ2_bzDecompressEnd(s); }
  } guard{&s};

  Output out(options.max_out, in.size());
  size_t fed = 0;
  std::optional<Error> failure;
  bool ended = false;
  auto total_in = [&] { return uint64_t{s.total_in_hi32} << 32 | s.total_in_lo32; };
  while (true) {
    if (s.avail_in == 0 && fed < in.size()) {
      size_t n = std::min(in.size() - fed, kMaxChunk);
      s.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data() + fed));
      s.avail_in = static_cast<unsigned>(n);
      fed += n;
    }
    auto space = out.Space(kMaxChunk);
    if (space.empty()) break;
    s.next_out = reinterpret_cast<char*>(space.data());
    s.avail_out = static_cast<unsigned>(space.size());
    unsigned avail_in_before = s.avail_in;
    int ret = BZ2_bzDecompress(&s);
    size_t produced = space.size() - s.avail_out;
    out.Commit(produced);
    bool progress = produced > 0 || s.avail_in < avail_in_before;
    if (ret == BZ_STREAM_END) {
      ended = true;
      break;
    }
    if (ret == BZ_OK) {
      if (progress || (s.avail_in == 0 && fed < in.size())) continue;
      failure = Truncated(kCodec, in.size(), out.size());
    } else if (ret == BZ_DATA_ERROR_MAGIC) {
      failure = Corrupt(kCodec, total_in(), "not a bzip2 header");
    } else if (ret == BZ_MEM_ERROR) {
      return Error::Internal("bzip2: out of memory");
    } else {
      failure = Corrupt(kCodec, total_in(), "corrupt data");
    }
    break;
  }
  if (!ended && !failure && !out.Exceeded()) failure = Truncated(kCodec, in.size(), out.size());
  return Finish(kCodec, out, total_in(), std::move(failure), options);
}

void InitLzo() {
  static std::once_flag once;
  std::call_once(once, [] { lzo_init(); });
}

// Decodes one LZO1X block into exactly `capacity` bytes of room. Returns the status and
// sets `written`.
int Lzo1xBlock(ByteView in, uint8_t* dst, size_t capacity, size_t* written) {
  lzo_uint out_len = capacity;
  int ret = lzo1x_decompress_safe(in.data(), in.size(), dst, &out_len, nullptr);
  *written = out_len;
  return ret;
}

std::string_view LzoErrorName(int ret) {
  switch (ret) {
    case LZO_E_INPUT_OVERRUN:
      return "input overrun (truncated block)";
    case LZO_E_LOOKBEHIND_OVERRUN:
      return "match distance before the start of the output";
    case LZO_E_INPUT_NOT_CONSUMED:
      return "trailing bytes after the end of the block";
    case LZO_E_OUTPUT_OVERRUN:
      return "output overrun";
    default:
      return "corrupt block";
  }
}

// One attempt at a bare block: how much it wrote, and whether more room might help.
struct BlockAttempt {
  bool ok = false;
  size_t written = 0;
  bool overrun = false;  // the output filled the room: a larger room may succeed
  std::string why;       // when neither ok nor overrun
};

// A bare block codec cannot say how big its output is: try a room that grows to the cap,
// and never past `max_ratio` times the input (no valid block expands further).
template <typename DecodeFn>
Result<Decompressed> DecodeBlock(Codec codec, ByteView in, const DecompressOptions& options,
                                 uint64_t max_ratio, DecodeFn decode) {
  uint64_t cap = std::min<uint64_t>(options.max_out, std::numeric_limits<size_t>::max() / 2) + 1;
  uint64_t plausible = uint64_t{in.size()} * max_ratio + 64;
  uint64_t most = std::min(cap, plausible);
  uint64_t room = std::min<uint64_t>(most, std::max<uint64_t>(64 << 10, in.size() * 4));
  Bytes buf;
  while (true) {
    buf.resize(room);
    BlockAttempt a = decode(buf.data(), buf.size());
    if (a.ok) {
      if (a.written > options.max_out) return OverLimit(codec, options.max_out);
      buf.resize(a.written);
      buf.shrink_to_fit();
      return Decompressed{std::move(buf), uint64_t{in.size()}, std::nullopt, std::nullopt};
    }
    if (a.overrun && room < most) {
      room = std::min(most, room * 2);
      continue;
    }
    if (a.overrun && room == cap) return OverLimit(codec, options.max_out);
    Error err = Corrupt(codec, 0, a.overrun ? "output larger than any valid block" : a.why);
    if (!options.keep_partial) return err;
    buf.resize(std::min(a.written, buf.size()));
    return Decompressed{std::move(buf), std::nullopt, std::move(err), std::nullopt};
  }
}

Result<Decompressed> DecodeLzo1x(ByteView in, const DecompressOptions& options) {
  InitLzo();
  // LZO1X extends a match length by 255 per zero byte: about 255:1 at most.
  return DecodeBlock(Codec::kLzo1x, in, options, 256, [&](uint8_t* dst, size_t room) {
    BlockAttempt a;
    int ret = Lzo1xBlock(in, dst, room, &a.written);
    a.ok = ret == LZO_E_OK;
    a.overrun = ret == LZO_E_OUTPUT_OVERRUN;
    a.why = LzoErrorName(ret);
    return a;
  });
}

Result<Decompressed> DecodeLz4Block(ByteView in, const DecompressOptions& options) {
  if (in.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) {
    return Corrupt(Codec::kLz4Block, 0, "block larger than LZ4_MAX_INPUT_SIZE");
  }
  // LZ4's best ratio is about 255:1.
  return DecodeBlock(Codec::kLz4Block, in, options, 256, [&](uint8_t* dst, size_t room) {
    BlockAttempt a;
    const char* src = reinterpret_cast<const char*>(in.data());
    int src_size = static_cast<int>(in.size());
    int capacity = static_cast<int>(std::min<size_t>(room, INT32_MAX));
    int ret = LZ4_decompress_safe(src, reinterpret_cast<char*>(dst), src_size, capacity);
    if (ret >= 0) {
      a.ok = true;
      a.written = static_cast<size_t>(ret);
      return a;
    }
    // LZ4_decompress_safe does not tell a full room from corruption; decoding only as far as
    // the room does: filling it means more room may help.
    int partial = LZ4_decompress_safe_partial(src, reinterpret_cast<char*>(dst), src_size, capacity,
                                              capacity);
    a.written = partial > 0 ? static_cast<size_t>(partial) : 0;
    a.overrun = partial == capacity;
    a.why = fmt::format("corrupt block (error at input byte {})", -ret - 1);
    return a;
  });
}

Result<Decompressed> DecodeLz4Frame(ByteView in, const DecompressOptions& options) {
  constexpr Codec kCodec = Codec::kLz4Frame;
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
    return Error::Internal("lz4: cannot create a decompression context");
  }
  struct Guard {
    LZ4F_dctx* c;
    ~Guard() { LZ4F_freeDecompressionContext(c); }
  } guard{ctx};

  Output out(options.max_out, in.size());
  size_t pos = 0;
  std::optional<Error> failure;
  bool ended = false;
  while (true) {
    auto space = out.Space();
    if (space.empty()) break;
    size_t dst_size = space.size();
    size_t src_size = in.size() - pos;
    size_t hint =
        LZ4F_decompress(ctx, space.data(), &dst_size, in.data() + pos, &src_size, nullptr);
    pos += src_size;
    out.Commit(dst_size);
    if (LZ4F_isError(hint)) {
      failure = Corrupt(kCodec, pos, LZ4F_getErrorName(hint));
      break;
    }
    if (hint == 0) {
      ended = true;
      break;
    }
    if (dst_size == 0 && src_size == 0) {
      failure = Truncated(kCodec, in.size(), out.size());
      break;
    }
  }
  if (!ended && !failure && !out.Exceeded()) failure = Truncated(kCodec, in.size(), out.size());
  return Finish(kCodec, out, uint64_t{pos}, std::move(failure), options);
}

Result<Decompressed> DecodeZstd(ByteView in, const DecompressOptions& options) {
  constexpr Codec kCodec = Codec::kZstd;
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  if (ctx == nullptr) return Error::Internal("zstd: cannot create a context");
  struct Guard {
    ZSTD_DCtx* c;
    ~Guard() { ZSTD_freeDCtx(c); }
  } guard{ctx};
  ZSTD_DCtx_setParameter(ctx, ZSTD_d_windowLogMax, kZstdWindowLogMax);

  Output out(options.max_out, in.size());
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  std::optional<Error> failure;
  bool ended = false;
  while (true) {
    auto space = out.Space();
    if (space.empty()) break;
    ZSTD_outBuffer dst{space.data(), space.size(), 0};
    size_t pos_before = src.pos;
    size_t ret = ZSTD_decompressStream(ctx, &dst, &src);
    out.Commit(dst.pos);
    if (ZSTD_isError(ret)) {
      if (ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge) {
        return Error::LimitExceeded(fmt::format("zstd: frame window over the {} MiB limit",
                                                (1u << kZstdWindowLogMax) >> 20));
      }
      failure = Corrupt(kCodec, src.pos, ZSTD_getErrorName(ret));
      break;
    }
    if (ret == 0) {
      ended = true;
      break;
    }
    if (dst.pos < dst.size && (src.pos == src.size || (dst.pos == 0 && src.pos == pos_before))) {
      failure = Truncated(kCodec, in.size(), out.size());
      break;
    }
  }
  if (!ended && !failure && !out.Exceeded()) failure = Truncated(kCodec, in.size(), out.size());
  return Finish(kCodec, out, uint64_t{src.pos}, std::move(failure), options);
}

// lzop's checksums: zlib's Adler-32 (seed 1) or CRC32 (seed 0), over at most 64 MiB.
uint32_t LzopChecksum(bool crc, ByteView data) {
  if (crc) return static_cast<uint32_t>(crc32(0, data.data(), static_cast<uInt>(data.size())));
  return static_cast<uint32_t>(adler32(1, data.data(), static_cast<uInt>(data.size())));
}

// LZ4's legacy frame (lz4 -l, the Linux kernel's CONFIG_KERNEL_LZ4): the magic, then blocks
// of (LE32 compressed size, data) that each decode to at most 8 MiB. There is no end marker:
// the stream ends with its input, at another magic, or at a size no block can have (the
// kernel build appends the decompressed size after the last block).
Result<Decompressed> DecodeLz4Legacy(ByteView in, const DecompressOptions& options) {
  constexpr Codec kCodec = Codec::kLz4Legacy;
  constexpr uint32_t kMagic = 0x184C2102;
  constexpr int kMaxBlockOut = 8 << 20;
  const int max_block_in = LZ4_compressBound(kMaxBlockOut);
  if (in.size() < 4 || LoadLE32(in.data()) != kMagic) return Corrupt(kCodec, 0, "missing magic");
  Output out(options.max_out, in.size());
  std::optional<Error> failure;
  size_t pos = 4;
  Bytes block;  // grown to what the blocks can yield (about 255:1 at most), up to 8 MiB
  while (pos + 4 <= in.size()) {
    uint32_t size = LoadLE32(in.data() + pos);
    if (size == kMagic) {  // a concatenated frame
      pos += 4;
      continue;
    }
    if (size == 0 || size > uint32_t(max_block_in) || size > in.size() - pos - 4) break;
    size_t room = std::min<size_t>(kMaxBlockOut, size_t(size) * 256 + 64);
    if (block.size() < room) block.resize(room);
    int n = LZ4_decompress_safe(reinterpret_cast<const char*>(in.data() + pos + 4),
                                reinterpret_cast<char*>(block.data()), int(size), int(room));
    if (n < 0) {
      failure = Corrupt(kCodec, pos, "corrupt block");
      break;
    }
    if (out.size() + uint64_t(n) > options.max_out) return OverLimit(kCodec, options.max_out);
    out.Append(ByteView(block).first(size_t(n)));
    pos += 4 + size;
  }
  if (!failure && out.size() == 0) failure = Truncated(kCodec, in.size(), 0);
  return Finish(kCodec, out, uint64_t{pos}, std::move(failure), options);
}

// lzop's container (lzop.c): a header, then blocks of (dst_len, src_len, checksums, data)
// until dst_len == 0. The header's and every block's checksums are verified.
Result<Decompressed> DecodeLzop(ByteView in, const DecompressOptions& options) {
  constexpr Codec kCodec = Codec::kLzop;
  constexpr uint8_t kMagic[9] = {0x89, 'L', 'Z', 'O', 0x00, 0x0d, 0x0a, 0x1a, 0x0a};
  constexpr uint32_t kAdler32D = 0x1, kAdler32C = 0x2, kExtraField = 0x40, kFilter = 0x800,
                     kCrc32D = 0x100, kCrc32C = 0x200, kHeaderCrc32 = 0x1000;
  InitLzo();
  ByteReader r(in);
  auto magic = r.Read(sizeof(kMagic));
  if (!magic || !std::equal(magic->begin(), magic->end(), kMagic)) {
    return Corrupt(kCodec, 0, "missing lzop magic");
  }
  auto header_error = [&] { return Truncated(kCodec, in.size(), 0); };
  auto version = r.ReadBE16();
  if (!version || !r.Skip(2)) return header_error();  // lib_version
  if (*version < 0x0900) return Corrupt(kCodec, 9, fmt::format("version {:#x} too old", *version));
  if (*version >= 0x0940 && !r.Skip(2)) return header_error();  // version needed
  auto method = r.ReadU8();
  if (!method) return header_error();
  if (*method < 1 || *method > 3) {
    return Corrupt(kCodec, r.absolute_offset() - 1, fmt::format("unsupported method {}", *method));
  }
  if (*version >= 0x0940 && !r.Skip(1)) return header_error();  // level
  auto flags = r.ReadBE32();
  if (!flags) return header_error();
  if ((*flags & kFilter) && !r.Skip(4)) return header_error();
  if (!r.Skip(8)) return header_error();                        // mode, mtime_low
  if (*version >= 0x0940 && !r.Skip(4)) return header_error();  // mtime_high
  auto name_len = r.ReadU8();
  if (!name_len || !r.Skip(*name_len)) return header_error();
  // The header checksum covers everything from the version to the name.
  const bool header_crc = (*flags & kHeaderCrc32) != 0;
  ByteView header = in.subspan(sizeof(kMagic), r.position() - sizeof(kMagic));
  auto header_sum = r.ReadBE32();
  if (!header_sum) return header_error();
  if (*header_sum != LzopChecksum(header_crc, header)) {
    return Corrupt(kCodec, r.position() - 4, "header checksum mismatch");
  }
  if (*flags & kExtraField) {
    auto extra_len = r.ReadBE32();
    if (!extra_len || !r.Skip(*extra_len) || !r.Skip(4)) return header_error();
  }

  Output out(options.max_out, in.size());
  std::optional<Error> failure;
  bool ended = false;
  Bytes block;
  while (!failure) {
    uint64_t block_at = r.absolute_offset();
    auto dst_len = r.ReadBE32();
    if (!dst_len) break;
    if (*dst_len == 0) {
      ended = true;
      break;
    }
    if (*dst_len > kLzopMaxBlock) {
      failure = Corrupt(kCodec, block_at, fmt::format("block size {} over 64 MiB", *dst_len));
      break;
    }
    auto src_len = r.ReadBE32();
    if (!src_len) break;
    if (*src_len == 0 || *src_len > *dst_len) {
      failure = Corrupt(kCodec, block_at,
                        fmt::format("compressed size {} for {} bytes", *src_len, *dst_len));
      break;
    }
    // Checksums of the decompressed data, then (for a compressed block) of the compressed
    // data, each Adler-32 and/or CRC32 as the flags say (lzop.c, write_block).
    std::optional<uint32_t> d_adler, d_crc, c_adler, c_crc;
    auto read_sum = [&](uint32_t flag, std::optional<uint32_t>& sum) {
      if (!(*flags & flag)) return true;
      sum = r.ReadBE32();
      return sum.has_value();
    };
    if (!read_sum(kAdler32D, d_adler) || !read_sum(kCrc32D, d_crc)) break;
    if (*src_len < *dst_len && (!read_sum(kAdler32C, c_adler) || !read_sum(kCrc32C, c_crc))) break;
    auto data = r.Read(*src_len);
    if (!data) break;
    if (out.size() + *dst_len > options.max_out) return OverLimit(kCodec, options.max_out);
    if ((c_adler && *c_adler != LzopChecksum(false, *data)) ||
        (c_crc && *c_crc != LzopChecksum(true, *data))) {
      failure = Corrupt(kCodec, block_at, "compressed block checksum mismatch");
      break;
    }
    ByteView decoded = *data;  // stored uncompressed when the sizes are equal
    if (*src_len < *dst_len) {
      block.resize(*dst_len);
      size_t written = 0;
      int ret = Lzo1xBlock(*data, block.data(), block.size(), &written);
      decoded = ByteView(block).first(std::min(written, block.size()));
      if (ret != LZO_E_OK || written != *dst_len) {
        out.Append(decoded);
        failure = Corrupt(kCodec, block_at, fmt::format("block: {}", LzoErrorName(ret)));
        break;
      }
    }
    if ((d_adler && *d_adler != LzopChecksum(false, decoded)) ||
        (d_crc && *d_crc != LzopChecksum(true, decoded))) {
      failure = Corrupt(kCodec, block_at, "block checksum mismatch");
      break;
    }
    out.Append(decoded);
  }
  if (!ended && !failure) failure = Truncated(kCodec, in.size(), out.size());
  return Finish(kCodec, out, uint64_t{r.position()}, std::move(failure), options);
}

}  // namespace

std::string_view CodecName(Codec codec) {
  switch (codec) {
    case Codec::kZlib:
      return "zlib";
    case Codec::kDeflateRaw:
      return "deflate";
    case Codec::kGzip:
      return "gzip";
    case Codec::kLzmaAlone:
      return "lzma";
    case Codec::kXz:
      return "xz";
    case Codec::kLzmaRaw:
      return "lzma-raw";
    case Codec::kBzip2:
      return "bzip2";
    case Codec::kLzo1x:
      return "lzo1x";
    case Codec::kLzop:
      return "lzop";
    case Codec::kLz4Block:
      return "lz4-block";
    case Codec::kLz4Frame:
      return "lz4";
    case Codec::kZstd:
      return "zstd";
    case Codec::kLzip:
      return "lzip";
    case Codec::kCompress:
      return "compress";
    case Codec::kLz4Legacy:
      return "lz4-legacy";
  }
  return "unknown-codec";
}

Result<Decompressed> DecompressEx(Codec codec, ByteView in, const DecompressOptions& options) {
  try {
    switch (codec) {
      case Codec::kZlib:
      case Codec::kDeflateRaw:
      case Codec::kGzip:
        return InflateZlib(codec, in, options);
      case Codec::kLzmaAlone:
      case Codec::kXz:
      case Codec::kLzmaRaw:
      case Codec::kLzip:
        return DecodeLzma(codec, in, options);
      case Codec::kCompress:
        return DecodeCompress(in, options);
      case Codec::kLz4Legacy:
        return DecodeLz4Legacy(in, options);
      case Codec::kBzip2:
        return DecodeBzip2(in, options);
      case Codec::kLzo1x:
        return DecodeLzo1x(in, options);
      case Codec::kLzop:
        return DecodeLzop(in, options);
      case Codec::kLz4Block:
        return DecodeLz4Block(in, options);
      case Codec::kLz4Frame:
        return DecodeLz4Frame(in, options);
      case Codec::kZstd:
        return DecodeZstd(in, options);
    }
  } catch (const std::bad_alloc&) {
    // The output is capped by max_out, so this is the host running out, not the input lying.
    return Error::LimitExceeded(
        fmt::format("{}: out of memory for {} bytes of output", CodecName(codec), options.max_out));
  }
  return Error::Internal("unknown codec");
}

Result<Bytes> Decompress(Codec codec, ByteView in, uint64_t max_out) {
  DecompressOptions options;
  options.max_out = max_out;
  CLEARBOX_ASSIGN_OR_RETURN(Decompressed d, DecompressEx(codec, in, options));
  return std::move(d.data);
}

}  // namespace clearbox::unpack
