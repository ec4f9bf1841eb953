// Bare compressed streams as containers: each holds one payload, the decompressed bytes,
// which the engine identifies (a tar, a cpio, a squashfs, a kernel...) and recurses into.
#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "clearbox/core/digest.h"
#include "internal/codecs.h"
#include "internal/format.h"
#include "internal/scanner.h"

namespace clearbox::unpack::internal {
namespace {

Result<uint64_t> OpenCompressed(StreamCodec codec, ByteView container, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(std::unique_ptr<StreamDecoderReader> reader,
                            StreamDecoderReader::Create(codec, container, &walker));
  Payload payload;
  payload.stream = reader.get();
  // compressed_size stays 0: the decoder limits the ratio against the input it consumed.
  CLEARBOX_RETURN_IF_ERROR(walker.AddPayload(std::move(payload)));
  // The exact end is known once the stream was decoded to its end marker.
  return reader->finished() ? reader->consumed() : 0;
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

}  // namespace clearbox::unpack::internal
