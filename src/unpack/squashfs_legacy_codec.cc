// Block framings of old and vendor squashfs images: see squashfs_legacy_codec.h.
#include "squashfs_legacy_codec.h"

#include <fmt/format.h>

#include <vector>

#include "decompress.h"

namespace clearbox::unpack::squashfs_legacy {
namespace {

constexpr uint32_t kMaxDictionary = 1u << 30;

// The property byte of an LZMA header: (pb * 5 + lp) * 9 + lc; liblzma's LZMA1 decoder
// takes lc + lp <= 4.
std::optional<LzmaRawProps> SplitProps(uint8_t b) {
  if (b >= 9 * 5 * 5) return std::nullopt;
  LzmaRawProps p;
  p.lc = b % 9;
  p.lp = (b / 9) % 5;
  p.pb = b / 45;
  if (p.lc + p.lp > 4) return std::nullopt;
  return p;
}

// Decodes a bare LZMA stream. The first byte of a range-coded stream is always 0, which
// rejects most wrong framings without decoding anything.
Result<Bytes> DecodeRaw(ByteView in, LzmaRawProps props, std::optional<uint32_t> expected,
                        uint32_t max_out, bool lenient) {
  if (in.size() < 5 || in[0] != 0) return Error::InvalidInput("not an LZMA range-coder stream");
  DecompressOptions o;
  o.max_out = expected.value_or(max_out);
  o.lzma = props;
  o.lzma.dict_size = std::max<uint32_t>(props.dict_size, 4096);
  if (expected) o.expected_size = *expected;
  // Without a size or an end marker the stream just stops: what decoded before the input
  // ran out is the block.
  o.keep_partial = lenient && !expected;
  CLEARBOX_ASSIGN_OR_RETURN(Decompressed d, DecompressEx(Codec::kLzmaRaw, in, o));
  if (d.failure && d.data.empty()) return *std::move(d.failure);
  if (expected && d.data.size() != *expected) {
    return Error::InvalidInput(fmt::format("{} bytes, not {}", d.data.size(), *expected));
  }
  return std::move(d.data);
}

Result<Bytes> DecodeWith(Codec codec, ByteView in, std::optional<uint32_t> expected,
                         uint32_t max_out) {
  CLEARBOX_ASSIGN_OR_RETURN(Bytes out, Decompress(codec, in, expected.value_or(max_out)));
  if (expected && out.size() != *expected) {
    return Error::InvalidInput(fmt::format("{} bytes, not {}", out.size(), *expected));
  }
  return out;
}

const char* FramingName(int f) {
  switch (f) {
    case BlockDecoder::kZlib:
      return "zlib";
    case BlockDecoder::kLzmaAlone:
      return "lzma-alone";
    case BlockDecoder::kLzmaProps:
      return "lzma-props";
    case BlockDecoder::kLzmaDdwrt:
      return "lzma-ddwrt";
    case BlockDecoder::kLzmaRaw:
      return "lzma-raw";
    case BlockDecoder::kLzmaRawFound:
      return "lzma-raw";
    case BlockDecoder::kXz:
      return "xz";
    case BlockDecoder::kLzo:
      return "lzo";
    case BlockDecoder::kLz4:
      return "lz4";
    case BlockDecoder::kZstd:
      return "zstd";
    default:
      return "";
  }
}

}  // namespace

BlockDecoder::BlockDecoder(Compression compression, bool prefer_lzma)
    : compression_(compression), prefer_lzma_(prefer_lzma) {}

BlockDecoder::BlockDecoder(const BlockDecoder& other)
    : compression_(other.compression_), prefer_lzma_(other.prefer_lzma_) {
  locked_ = other.locked_.load();
  first_ = other.first_.load();
  brute_forced_ = other.brute_forced_.load();
  found_props_ = other.found_props_.load();
}

std::string BlockDecoder::framing() const {
  int f = first_.load();
  std::string name = FramingName(f);
  if (f == kLzmaRawFound) {
    uint32_t p = found_props_.load();
    name += fmt::format(" lc={} lp={} pb={}", p & 0xff, (p >> 8) & 0xff, p >> 16);
  }
  return name;
}

std::string BlockDecoder::DescribeFraming() const {
  std::string name = framing();
  switch (first_.load()) {
    case kNone:
      return "none decompressed";
    case kLzmaAlone:
      return name + " (13-byte .lzma header with size: sqlzma / squashfs-lzma)";
    case kLzmaProps:
      return name + " (5 property bytes, no size: Broadcom)";
    case kLzmaDdwrt:
      return name + " (per-block pb/lc/lp header: DD-WRT)";
    case kLzmaRaw:
      return name + " (bare stream, lc=3 lp=0 pb=2: AVM and others)";
    case kLzmaRawFound:
      return name + " (bare stream, properties found by trying them)";
    default:
      return name;
  }
}

Result<Bytes> BlockDecoder::Try(Framing f, ByteView in, std::optional<uint32_t> expected,
                                uint32_t max_out, bool lenient) const {
  switch (f) {
    case kZlib:
      // A zlib header: deflate, and the check bits (RFC 1950).
      if (in.size() < 2 || (in[0] & 0x0f) != 8 || (in[0] << 8 | in[1]) % 31 != 0) {
        return Error::InvalidInput("no zlib header");
      }
      return DecodeWith(Codec::kZlib, in, expected, max_out);
    case kLzmaAlone: {
      // Decoded as a bare stream with the header's properties, so that the dictionary is
      // sized by the block, never by what the header claims.
      std::optional<LzmaRawProps> props = in.size() >= 14 ? SplitProps(in[0]) : std::nullopt;
      if (!props || in[13] != 0) return Error::InvalidInput("no .lzma header");
      props->dict_size = LoadLE32(in.data() + 1);
      const uint64_t size = LoadLE64(in.data() + 5);
      std::optional<uint32_t> want = expected;
      if (size != UINT64_MAX) {
        if (size > max_out || (expected && size != *expected)) {
          return Error::InvalidInput("implausible .lzma size");
        }
        want = uint32_t(size);
      }
      return DecodeRaw(in.subspan(13), *props, want, max_out, false);
    }
    case kLzmaProps: {
      std::optional<LzmaRawProps> props = in.size() >= 6 ? SplitProps(in[0]) : std::nullopt;
      if (!props) return Error::InvalidInput("no LZMA properties");
      props->dict_size = LoadLE32(in.data() + 1);
      if (props->dict_size > kMaxDictionary) return Error::InvalidInput("implausible dictionary");
      return DecodeRaw(in.subspan(5), *props, expected, max_out, lenient);
    }
    case kLzmaDdwrt: {
      // pb, lc, lp, fast bytes (an encoder setting); the dictionary is 8 MiB.
      if (in.size() < 6 || in[0] > 4 || in[1] > 4 || in[2] > 4 || in[1] + in[2] > 4) {
        return Error::InvalidInput("no DD-WRT LZMA header");
      }
      LzmaRawProps props{in[1], in[2], in[0], 1u << 23};
      return DecodeRaw(in.subspan(4), props, expected, max_out, lenient);
    }
    case kLzmaRaw:
      return DecodeRaw(in, LzmaRawProps{}, expected, max_out, lenient);
    case kLzmaRawFound: {
      if (!brute_forced_.load() || found_props_.load() == UINT32_MAX) {
        return Error::InvalidInput("no properties found");
      }
      uint32_t p = found_props_.load();
      LzmaRawProps props{p & 0xff, (p >> 8) & 0xff, p >> 16, 1u << 23};
      return DecodeRaw(in, props, expected, max_out, lenient);
    }
    case kXz:
      return DecodeWith(Codec::kXz, in, expected, max_out);
    case kLzo:
      return DecodeWith(Codec::kLzo1x, in, expected, max_out);
    case kLz4:
      return DecodeWith(Codec::kLz4Block, in, expected, max_out);
    case kZstd:
      return DecodeWith(Codec::kZstd, in, expected, max_out);
    default:
      return Error::InvalidInput("no framing");
  }
}

// Every lc/lp/pb liblzma takes, on a bare stream of known size (or one that ends with an end
// marker exactly at the end of the block): vendors patched their own properties into their
// mksquashfs. Done once per image (it costs up to 125 decodes).
bool BlockDecoder::BruteForce(ByteView in, std::optional<uint32_t> expected, uint32_t max_out,
                              Bytes& out) const {
  if (brute_forced_.exchange(true)) return false;
  found_props_ = UINT32_MAX;
  for (uint32_t pb = 0; pb <= 4; ++pb) {
    for (uint32_t lc = 0; lc <= 4; ++lc) {
      for (uint32_t lp = 0; lc + lp <= 4; ++lp) {
        Result<Bytes> r = DecodeRaw(in, {lc, lp, pb, 1u << 23}, expected, max_out, false);
        if (r.ok()) {
          found_props_ = lc | lp << 8 | pb << 16;
          out = *std::move(r);
          return true;
        }
      }
    }
  }
  return false;
}

Result<Bytes> BlockDecoder::Decode(ByteView in, std::optional<uint32_t> expected,
                                   uint32_t max_out) const {
  std::vector<Framing> order;
  switch (compression_) {
    case Compression::kGzip:
      order = {kZlib};
      break;
    case Compression::kXz:
      order = {kXz};
      break;
    case Compression::kLzo:
      order = {kLzo};
      break;
    case Compression::kLz4:
      order = {kLz4};
      break;
    case Compression::kZstd:
      order = {kZstd};
      break;
    case Compression::kLzma:
      order = {kLzmaAlone, kLzmaProps, kLzmaDdwrt, kLzmaRaw, kLzmaRawFound};
      break;
    case Compression::kGuess:
      if (prefer_lzma_) {
        order = {kLzmaAlone, kLzmaProps, kLzmaDdwrt, kLzmaRaw, kLzmaRawFound, kZlib};
      } else {
        order = {kZlib, kLzmaAlone, kLzmaProps, kLzmaDdwrt, kLzmaRaw, kLzmaRawFound};
      }
      break;
  }
  const int locked = locked_.load();
  if (locked != kNone) {
    for (size_t i = 0; i < order.size(); ++i) {
      if (order[i] == locked) std::swap(order[0], order[i]);
    }
  }
  auto accept = [&](Framing f) {
    int none = kNone;
    first_.compare_exchange_strong(none, f);
    locked_ = f;
  };
  // Strict first (a stream that ends where it should), then lenient for the LZMA framings
  // that record no size: their blocks have no end marker when the size is not known.
  for (bool lenient : {false, true}) {
    for (Framing f : order) {
      // With a known size the lenient pass would only repeat the strict one.
      if (lenient && (expected || f == kZlib || f == kLzmaAlone || f >= kXz)) continue;
      Result<Bytes> r = Try(f, in, expected, max_out, lenient);
      if (r.ok()) {
        accept(f);
        return r;
      }
    }
  }
  const bool lzma = compression_ == Compression::kGuess || compression_ == Compression::kLzma;
  Bytes out;
  if (lzma && BruteForce(in, expected, max_out, out)) {
    accept(kLzmaRawFound);
    return out;
  }
  return Error::InvalidInput(
      fmt::format("a block of {} bytes decodes with no known framing", in.size()));
}

}  // namespace clearbox::unpack::squashfs_legacy
