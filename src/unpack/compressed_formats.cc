// Bare compressed streams as containers: each holds one payload, the decompressed bytes,
// which the engine identifies (a tar, a cpio, a squashfs, a kernel...) and recurses into.
//
// gzip, xz, lzma, bzip2, zstd and lz4 frames stream through StreamDecoderReader. The legacy
// formats below (lzip, compress, lzop, LZ4 legacy, bare zlib) are decoded in one go within
// the walker's output budget (decompress.h) and, when no format recognises what they hold,
// listed as one file named after the stream ("data", or the name lzop stored).
#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <utility>

#include "clearbox/core/digest.h"
#include "decompress.h"
#include "decompress_payload.h"
#include "internal/codecs.h"
#include "internal/format.h"
#include "internal/scanner.h"
#include "lzw.h"

namespace clearbox::unpack::internal {
namespace {

Result<uint64_t> OpenCompressed(StreamCodec codec, ByteView container, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(std::unique_ptr<StreamDecoderReader> reader,
                            StreamDecoderReader::Create(codec, container, &walker));
  Payload payload;
  payload.stream = reader.get();
  // compressed_size stays 0: the decoder limits the ratio against its input itself.
  CLEARBOX_RETURN_IF_ERROR(walker.AddPayload(std::move(payload)));
  // The exact end is known once the stream was decoded to its end marker; a stream stopped
  // by a limit or a fault spans at least the input its decoder consumed (carving resumes
  // after it, and what follows is reported as not understood).
  return reader->consumed();
}

std::optional<Match> ProbeGzip(ByteView d) {
  // The header is strong enough (no trial decode: a root filesystem holds thousands of .gz
  // files, each probed). A member whose deflate data is bad from its first block is still a
  // gzip member: opened, its corruption is noted instead of passing for unknown bytes.
  if (!IsGzipMemberHeader(d)) return std::nullopt;
  return Match{};
}

// The bytes at the start of `rest` before the first container the carver would open there
// (rest.size() when there is none), and that container's format.
Result<std::pair<uint64_t, const FormatHandler*>> BeforeNextContainer(ByteView rest,
                                                                      Walker& walker) {
  static const MagicScanner scanner(AllFormats());
  const auto& formats = AllFormats();
  constexpr uint64_t kWindow = 4 << 20;
  for (uint64_t from = 0; from < rest.size(); from += kWindow) {
    CLEARBOX_RETURN_IF_ERROR(walker.CheckContinue());
    uint64_t to = std::min<uint64_t>(rest.size(), from + kWindow);
    bool truncated = false;
    for (const Candidate& c : scanner.Scan(rest, from, to, 4096, &truncated)) {
      const FormatHandler& handler = *formats[c.format];
      if (handler.probe == nullptr || (handler.flags & kFormatOnlyAtStart)) continue;
      if (handler.probe(rest.subspan(size_t(c.start)))) return std::pair{c.start, &handler};
    }
  }
  return std::pair<uint64_t, const FormatHandler*>{rest.size(), nullptr};
}

Result<uint64_t> OpenGzip(ByteView c, const Match&, Walker& w) {
  CLEARBOX_ASSIGN_OR_RETURN(uint64_t end, OpenCompressed(StreamCodec::kGzip, c, w));
  if (end == 0 || end >= c.size()) return end;
  // What follows the last member is not gzip (gzip -d warns "trailing garbage ignored"): the
  // carver opens a container there as before, and unknown bytes up to it are noted, as they
  // may hide what the image's gzip does not show. Padding (zeros, erased flash) is not.
  ByteView rest = c.subspan(size_t(end));
  CLEARBOX_ASSIGN_OR_RETURN(auto next, BeforeNextContainer(rest, w));
  ByteView trailing = rest.first(size_t(next.first));
  bool padding = std::all_of(trailing.begin(), trailing.end(),
                             [](uint8_t b) { return b == 0x00 || b == 0xff; });
  if (!trailing.empty() && !padding) {
    std::string before = next.second != nullptr ? fmt::format(", before the {} at 0x{:x}",
                                                              next.second->name, end + next.first)
                                                : "";
    w.AddNote(Note::Kind::kInfo, end,
              fmt::format("gzip: {} bytes of trailing data after the last member at 0x{:x}{}",
                          trailing.size(), end, before));
  }
  return end;
}

std::optional<Match> ProbeXz(ByteView d) {
  // Stream header: magic(6) flags(2: 0x00, check type) CRC32 of the flags.
  if (d.size() < 32 || d[6] != 0) return std::nullopt;
  if (d[7] != 0x00 && d[7] != 0x01 && d[7] != 0x04 && d[7] != 0x0a) return std::nullopt;
  if (Crc32(d.subspan(6, 2)) != LoadLE32(d.data() + 8)) return std::nullopt;
  return Match{};
}
Result<uint64_t> OpenXz(ByteView c, const Match&, Walker& w) {
  return OpenCompressed(StreamCodec::kXz, c, w);
}

std::optional<Match> ProbeLzma(ByteView d) {
  // .lzma: props(1) dict size(LE32) uncompressed size(LE64, all ones = unknown).
  if (d.size() < 32 || d[0] >= 9 * 5 * 5) return std::nullopt;
  uint32_t dict = LoadLE32(d.data() + 1);
  if (dict < (1u << 12) || dict > (1u << 30)) return std::nullopt;
  uint64_t size = LoadLE64(d.data() + 5);
  if (size != UINT64_MAX && size > (uint64_t(1) << 40)) return std::nullopt;
  // Three bytes of magic are weak: only a stream that decodes is an lzma stream.
  if (!TrialDecode(StreamCodec::kLzmaAlone, d)) return std::nullopt;
  Match m;
  m.detail = size == UINT64_MAX ? "size unknown" : fmt::format("{} bytes", size);
  return m;
}
Result<uint64_t> OpenLzma(ByteView c, const Match&, Walker& w) {
  return OpenCompressed(StreamCodec::kLzmaAlone, c, w);
}

std::optional<Match> ProbeBzip2(ByteView d) {
  // "BZh" level('1'..'9') then a block magic (pi) or the end-of-stream magic (sqrt(pi)).
  static constexpr uint8_t kBlock[] = {0x31, 0x41, 0x59, 0x26, 0x53, 0x59};
  static constexpr uint8_t kEnd[] = {0x17, 0x72, 0x45, 0x38, 0x50, 0x90};
  if (d.size() < 14 || d[3] < '1' || d[3] > '9') return std::nullopt;
  if (std::memcmp(d.data() + 4, kBlock, 6) != 0 && std::memcmp(d.data() + 4, kEnd, 6) != 0) {
    return std::nullopt;
  }
  return Match{};
}
Result<uint64_t> OpenBzip2(ByteView c, const Match&, Walker& w) {
  return OpenCompressed(StreamCodec::kBzip2, c, w);
}

std::optional<Match> ProbeZstd(ByteView d) {
  // Frame header descriptor: bit 3 is reserved and must be zero.
  if (d.size() < 9 || (d[4] & 0x08) != 0) return std::nullopt;
  if (!TrialDecode(StreamCodec::kZstd, d)) return std::nullopt;
  return Match{};
}
Result<uint64_t> OpenZstd(ByteView c, const Match&, Walker& w) {
  return OpenCompressed(StreamCodec::kZstd, c, w);
}

std::optional<Match> ProbeLz4(ByteView d) {
  // LZ4 frame: FLG version 01 and reserved bit clear; BD reserved bits clear, size 4..7.
  if (d.size() < 11) return std::nullopt;
  if ((d[4] >> 6) != 1 || (d[4] & 0x02) != 0) return std::nullopt;
  if ((d[5] & 0x8f) != 0 || ((d[5] >> 4) & 7) < 4) return std::nullopt;
  if (!TrialDecode(StreamCodec::kLz4Frame, d)) return std::nullopt;
  return Match{};
}
Result<uint64_t> OpenLz4(ByteView c, const Match&, Walker& w) {
  return OpenCompressed(StreamCodec::kLz4Frame, c, w);
}

// The file a legacy stream's bytes are listed as when nothing inside is recognised.
const PayloadFile kDataFile{.name = "data"};

// lzip (https://www.nongnu.org/lzip/manual/lzip_manual.html, "File format"): "LZIP",
// version 1, a coded dictionary size (bits 0-4: log2 of the base, 12..29; bits 5-7: sixteenths
// of the base to subtract), LZMA data, then a 20-byte trailer (CRC32, data size, member size).
std::optional<Match> ProbeLzip(ByteView d) {
  if (d.size() < 6 + 20 || (d[4] != 0 && d[4] != 1)) return std::nullopt;
  uint8_t log2 = d[5] & 0x1f;
  if (log2 < 12 || log2 > 29 || (d[4] == 0 && (d[5] >> 5) != 0)) return std::nullopt;
  Match m;
  uint32_t dict = (1u << log2) - ((1u << log2) / 16) * (d[5] >> 5);
  m.detail = fmt::format("v{}, dictionary {} KiB", d[4], dict >> 10);
  return m;
}
Result<uint64_t> OpenLzip(ByteView c, const Match&, Walker& w) {
  return OpenStreamContainer(w, Codec::kLzip, c, kDataFile);
}

// Unix compress (.Z): see lzw.h. Three bytes of header are weak: the first codes must
// decode (a literal first, no code past the table).
std::optional<Match> ProbeCompress(ByteView d) {
  if (!IsCompressHeader(d) || d.size() < 4) return std::nullopt;
  DecompressOptions o;
  o.max_out = 1 << 20;
  Result<Decompressed> r = DecodeCompress(d.first(std::min<size_t>(d.size(), 1024)), o);
  if (!r.ok() || r->data.empty()) return std::nullopt;
  Match m;
  m.detail = fmt::format("{} bits{}", d[2] & 0x1f, (d[2] & 0x80) ? ", block mode" : "");
  return m;
}
Result<uint64_t> OpenCompress(ByteView c, const Match&, Walker& w) {
  // No end marker: the stream runs to the end of the blob (match.length 0).
  CLEARBOX_RETURN_IF_ERROR(OpenStreamContainer(w, Codec::kCompress, c, kDataFile).status());
  return 0;
}

// lzop (lzop.c, lzop 1.04): magic, version, library version, [version needed], method,
// [level], flags, [filter], mode, mtime, name length, name, header checksum, then blocks.
std::optional<Match> ProbeLzop(ByteView d) {
  if (d.size() < 9 + 25) return std::nullopt;
  uint16_t version = LoadBE16(d.data() + 9);
  if (version < 0x0900 || version > 0x2000) return std::nullopt;
  size_t method_at = version >= 0x0940 ? 15 : 13;
  uint8_t method = d[method_at];
  if (method < 1 || method > 3) return std::nullopt;
  Match m;
  m.detail = fmt::format("lzop {:x}.{:03x}, LZO1X-{}", version >> 12, version & 0xfff,
                         method == 3 ? "999" : "1");
  return m;
}
// The file name lzop stored (its last component, printable), else "data".
PayloadFile LzopFile(ByteView c) {
  uint16_t version = LoadBE16(c.data() + 9);
  size_t flags_at = version >= 0x0940 ? 17 : 14;
  if (!FitsIn(c, flags_at, 4)) return kDataFile;
  uint32_t flags = LoadBE32(c.data() + flags_at);
  size_t name_len_at = flags_at + 4 + ((flags & 0x800) ? 4 : 0) + 8 + (version >= 0x0940 ? 4 : 0);
  if (!FitsIn(c, name_len_at, 1) || !FitsIn(c, name_len_at + 1, c[name_len_at])) return kDataFile;
  std::string name(reinterpret_cast<const char*>(c.data() + name_len_at + 1), c[name_len_at]);
  if (size_t slash = name.find_last_of('/'); slash != std::string::npos) name.erase(0, slash + 1);
  bool printable = std::all_of(name.begin(), name.end(), [](char ch) { return ch >= 0x20; });
  if (name.empty() || name == "." || name == ".." || !printable) return kDataFile;
  return PayloadFile{.name = name};
}
Result<uint64_t> OpenLzop(ByteView c, const Match&, Walker& w) {
  return OpenStreamContainer(w, Codec::kLzop, c, LzopFile(c));
}

// LZ4 legacy frame: the magic, then (LE32 size, block) pairs; the first block must decode.
std::optional<Match> ProbeLz4Legacy(ByteView d) {
  if (d.size() < 9) return std::nullopt;
  uint32_t first = LoadLE32(d.data() + 4);
  if (first == 0 || !FitsIn(d, 8, first)) return std::nullopt;
  DecompressOptions o;
  o.max_out = 8 << 20;
  Result<Decompressed> r = DecompressEx(Codec::kLz4Legacy, d.first(8 + size_t(first)), o);
  if (!r.ok() || r->data.empty()) return std::nullopt;
  return Match{};
}
Result<uint64_t> OpenLz4Legacy(ByteView c, const Match&, Walker& w) {
  return OpenStreamContainer(w, Codec::kLz4Legacy, c, kDataFile);
}

// A bare zlib stream (RFC 1950) carved from anywhere. Two bytes of header are about as weak
// as a magic gets, so only a stream that inflates to its end with a matching Adler-32 and
// yields a plausible amount of data counts; random bytes fail within a few bytes of inflate.
constexpr uint64_t kZlibMinOutput = 32;
// A probe runs at every candidate of a window, and a hostile blob can hold one every few bytes
// (a chain of stored blocks each holding the next header): past this much clean inflation the
// stream is taken as real and Open decodes the rest. Random bytes survive a kilobyte of
// inflate with odds far below one in a million.
constexpr uint64_t kZlibProbeOutput = 16 << 10;
constexpr uint64_t kZlibProbeInput = 1 << 10;
std::optional<Match> ProbeZlib(ByteView d) {
  if (d.size() < 8 || (uint32_t(d[0]) << 8 | d[1]) % 31 != 0 || (d[1] & 0x20)) return std::nullopt;
  // Inflate into a scratch buffer that is overwritten (zlib keeps its own window): a probe
  // runs at every look-alike header of a large image, so it allocates nothing per call but
  // zlib's state, and most candidates fail within their first bytes.
  z_stream s{};
  if (inflateInit(&s) != Z_OK) return std::nullopt;
  uint8_t scratch[4096];
  s.next_in = const_cast<Bytef*>(d.data());
  s.avail_in = uInt(std::min<size_t>(d.size(), UINT32_MAX));
  int ret = Z_OK;
  while (ret == Z_OK && s.total_out <= kZlibProbeOutput && s.total_in <= kZlibProbeInput) {
    s.next_out = scratch;
    s.avail_out = sizeof(scratch);
    ret = inflate(&s, Z_NO_FLUSH);
    if (ret == Z_BUF_ERROR && s.avail_out == 0) ret = Z_OK;
  }
  uint64_t consumed = s.total_in, produced = s.total_out;
  inflateEnd(&s);
  // A stream that inflates that far without a fault is no accident; Open checks the rest
  // (and its Adler-32), and notes a fault as corruption.
  if (ret == Z_OK) return Match{};
  if (ret != Z_STREAM_END || produced < kZlibMinOutput) return std::nullopt;  // Adler-32 included
  Match m;
  m.length = consumed;
  m.detail = fmt::format("{} bytes inflating to {}", consumed, produced);
  return m;
}
// Decodes the stream and hands on what it holds. A stream that fails is noted and spans the
// bytes up to its fault, so carving resumes after it; its bytes are never handed on as
// stored: they are not known to be anything.
Result<uint64_t> OpenZlib(ByteView c, const Match&, Walker& w) {
  DecompressOptions o;
  o.max_out = w.OutputBudget(c.size());
  o.keep_partial = true;
  Result<Decompressed> d = DecompressEx(Codec::kZlib, c, o);
  if (!d.ok()) {
    if (d.error().code() != ErrorCode::kLimitExceeded) return d.error();
    w.AddNote(Note::Kind::kLimit, 0, d.error().message());
    return 0;
  }
  uint64_t end = d->consumed.value_or(d->failed_at.value_or(0));
  if (d->failure) {
    w.AddNote(Note::Kind::kCorrupt, end,
              fmt::format("{}; {} bytes decoded", d->failure->message(), d->data.size()));
  }
  if (!d->data.empty()) {
    CLEARBOX_RETURN_IF_ERROR(w.Charge(d->data.size()));
    CLEARBOX_RETURN_IF_ERROR(HandOn(w, d->data, "", 0, kDataFile, end));
  }
  return std::max<uint64_t>(end, 2);
}

}  // namespace

extern const FormatHandler kGzipFormat = {
    .name = "gzip", .magics = {{"\x1f\x8b\x08", 0}}, .probe = ProbeGzip, .open = OpenGzip};
extern const FormatHandler kXzFormat = {
    .name = "xz",
    .magics = {{std::string_view("\xfd\x37\x7a\x58\x5a\x00", 6), 0}},
    .probe = ProbeXz,
    .open = OpenXz};
extern const FormatHandler kLzmaFormat = {.name = "lzma",
                                          .magics = {{std::string_view("\x5d\x00\x00", 3), 0}},
                                          .probe = ProbeLzma,
                                          .open = OpenLzma};
extern const FormatHandler kBzip2Format = {
    .name = "bzip2", .magics = {{"BZh", 0}}, .probe = ProbeBzip2, .open = OpenBzip2};
extern const FormatHandler kZstdFormat = {
    .name = "zstd", .magics = {{"\x28\xb5\x2f\xfd", 0}}, .probe = ProbeZstd, .open = OpenZstd};
extern const FormatHandler kLz4Format = {
    .name = "lz4", .magics = {{"\x04\x22\x4d\x18", 0}}, .probe = ProbeLz4, .open = OpenLz4};

extern const FormatHandler kLzipFormat = {
    .name = "lzip", .magics = {{"LZIP", 0}}, .probe = ProbeLzip, .open = OpenLzip};
extern const FormatHandler kCompressFormat = {
    .name = "compress", .magics = {{"\x1f\x9d", 0}}, .probe = ProbeCompress, .open = OpenCompress};
extern const FormatHandler kLzopFormat = {
    .name = "lzop",
    .magics = {{std::string_view("\x89LZO\x00\x0d\x0a\x1a\x0a", 9), 0}},
    .probe = ProbeLzop,
    .open = OpenLzop};
extern const FormatHandler kLz4LegacyFormat = {.name = "lz4-legacy",
                                               .magics = {{"\x02\x21\x4c\x18", 0}},
                                               .probe = ProbeLz4Legacy,
                                               .open = OpenLz4Legacy};
extern const FormatHandler kZlibFormat = {
    .name = "zlib",
    .magics = {{"\x78\x01", 0}, {"\x78\x5e", 0}, {"\x78\x9c", 0}, {"\x78\xda", 0}},
    .probe = ProbeZlib,
    .open = OpenZlib};

}  // namespace clearbox::unpack::internal
