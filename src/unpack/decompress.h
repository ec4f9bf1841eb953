// Bounded one-shot decompressors for the codecs firmware containers use.
//
//   CLEARBOX_ASSIGN_OR_RETURN(Bytes kernel, Decompress(Codec::kGzip, payload, 64 << 20));
//
//   DecompressOptions o;
//   o.max_out = limits.max_file_bytes;
//   o.keep_partial = true;                      // a truncated image still yields its start
//   CLEARBOX_ASSIGN_OR_RETURN(Decompressed d, DecompressEx(Codec::kXz, blob, o));
//   if (d.consumed) carve_length = *d.consumed; // where the stream ended inside `blob`
//   if (d.failure) ReportNote(d.failure->message());
//
// Every call holds at most max_out + 1 bytes of output (plus the codec's own state, which
// liblzma and zstd bound by their memory limits below), whatever the input claims: a header
// field never sizes an allocation. Streams are decoded up to their end marker; bytes after it
// are ignored and `consumed` says where the stream ended. For concatenated gzip members, xz
// streams, bzip2 streams or zstd frames only the first is decoded; lzip members are all
// decoded (as lzip -d does). Checksums the format carries (zlib's Adler-32, lzip's CRC32,
// lzop's Adler-32/CRC32) are verified: a mismatch is corruption.
//
// Thread-safe: no shared state (liblzo2 is initialised once, under std::call_once).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"

namespace clearbox::unpack {

enum class Codec {
  kZlib,        // RFC 1950 (zlib header + deflate + adler32)
  kDeflateRaw,  // RFC 1951, no header
  kGzip,        // RFC 1952, one member
  kLzmaAlone,   // .lzma: 13-byte header (props, dict size, size or -1) + LZMA1 stream
  kXz,          // .xz container, one stream
  kLzmaRaw,     // bare LZMA1 data with props given by the caller (DecompressOptions::lzma)
  kBzip2,       // "BZh" stream
  kLzo1x,       // bare LZO1X block (JFFS2, UBIFS): the whole input is one block
  kLzop,        // lzop file format with LZO1X blocks (U-Boot's IH_COMP_LZO)
  kLz4Block,    // bare LZ4 block: the whole input is one block
  kLz4Frame,    // LZ4 frame format (U-Boot's IH_COMP_LZ4)
  kZstd,        // one zstd frame
  kLzip,        // .lz: members of "LZIP" header + LZMA1 + CRC32/size trailer, all decoded
  kCompress,    // Unix compress (.Z): LZW, 9 to 16 bits, block mode (lzw.cc)
  kLz4Legacy,   // LZ4 legacy frames (magic 0x184C2102, lz4 -l, Linux kernels): 8 MiB blocks
};

// "gzip", "lzma", "lzo1x", ...: used in every error message.
std::string_view CodecName(Codec codec);

// LZMA1 parameters for Codec::kLzmaRaw (the 5 property bytes of an .lzma header, split).
struct LzmaRawProps {
  uint32_t lc = 3;  // literal context bits, 0..8
  uint32_t lp = 0;  // literal position bits, 0..4 (lc + lp <= 4)
  uint32_t pb = 2;  // position bits, 0..4
  uint32_t dict_size = 1u << 23;
};

struct DecompressOptions {
  // Hard cap on the output. Output that would pass it fails with kLimitExceeded.
  uint64_t max_out = 0;
  LzmaRawProps lzma;  // Codec::kLzmaRaw only
  // Codec::kLzmaRaw only: the exact uncompressed size when the stream has no end marker.
  std::optional<uint64_t> expected_size;
  // On a truncated or corrupt stream, return what decoded before the failure with
  // Decompressed::failure set, instead of an error. A limit is still an error.
  bool keep_partial = false;
};

struct Decompressed {
  Bytes data;
  // Bytes of the input the stream occupies, end marker and trailer included; nullopt when
  // the stream failed or the format cannot tell (block codecs consume all of their input).
  std::optional<uint64_t> consumed;
  // With keep_partial only: why decoding stopped early (kInvalidInput naming the codec and
  // the input offset). `data` holds everything decoded before that point.
  std::optional<Error> failure;
  // With a failure: the input offset decoding had reached when it stopped.
  std::optional<uint64_t> failed_at;
};

// Decompresses `in` with `codec`.
// Errors:
//   kLimitExceeded  the output would pass options.max_out (nothing is returned)
//   kInvalidInput   corrupt or truncated stream, bad header or props: "<codec>: <what> at
//                   input offset N" (unless keep_partial)
//   kInternal       a codec library failed to initialise (out of memory)
Result<Decompressed> DecompressEx(Codec codec, ByteView in, const DecompressOptions& options);

// The common case: the whole output, or an error (kLimitExceeded / kInvalidInput).
Result<Bytes> Decompress(Codec codec, ByteView in, uint64_t max_out);

}  // namespace clearbox::unpack
