#include "kernel.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "clearbox/core/digest.h"
#include "internal/codecs.h"

namespace clearbox::unpack::internal {
namespace {

constexpr size_t kSetupHeaderEnd = 0x250;  // through payload_length (protocol 2.08)
constexpr uint32_t kZImageMagic = 0x016F2818;
constexpr size_t kMaxBanner = 512;

bool StartsWith(ByteView d, std::string_view s) {
  return d.size() >= s.size() && std::memcmp(d.data(), s.data(), s.size()) == 0;
}

}  // namespace

std::optional<BzImageHeader> ParseBzImage(ByteView d) {
  if (d.size() < kSetupHeaderEnd || LoadLE16(d.data() + 0x1fe) != 0xAA55 ||
      !StartsWith(d.subspan(0x202), "HdrS")) {
    return std::nullopt;
  }
  BzImageHeader h;
  h.protocol = LoadLE16(d.data() + 0x206);
  if (h.protocol < 0x0208 || h.protocol > 0x02ff) return std::nullopt;
  uint8_t setup_sects = d[0x1f1];
  h.setup_bytes = (uint64_t(setup_sects == 0 ? 4 : setup_sects) + 1) * 512;
  h.image_bytes = h.setup_bytes + uint64_t(LoadLE32(d.data() + 0x1f4)) * 16;
  h.payload_offset = h.setup_bytes + LoadLE32(d.data() + 0x248);
  h.payload_length = LoadLE32(d.data() + 0x24c);
  // kernel_version: a pointer into the setup code, 0x200 bytes before the header.
  uint16_t version_ptr = LoadLE16(d.data() + 0x20e);
  uint64_t at = uint64_t(version_ptr) + 0x200;
  if (version_ptr != 0 && at < h.setup_bytes && at < d.size()) {
    ByteView s = d.subspan(at, std::min<uint64_t>(d.size() - at, 256));
    size_t n = 0;
    while (n < s.size() && s[n] >= 0x20 && s[n] < 0x7f) ++n;
    if (n < s.size() && s[n] == 0) h.version.assign(reinterpret_cast<const char*>(s.data()), n);
  }
  return h;
}

std::optional<ZImageHeader> ParseZImage(ByteView d) {
  if (d.size() < 0x30) return std::nullopt;
  ZImageHeader h;
  if (LoadLE32(d.data() + 0x24) == kZImageMagic) {
    h.big_endian = false;
  } else if (LoadBE32(d.data() + 0x24) == kZImageMagic) {
    h.big_endian = true;
  } else {
    return std::nullopt;
  }
  auto load = [&](size_t at) {
    return h.big_endian ? LoadBE32(d.data() + at) : LoadLE32(d.data() + at);
  };
  h.start = load(0x28);
  h.end = load(0x2c);
  if (h.end <= h.start || h.end - h.start < 0x30) return std::nullopt;
  return h;
}

std::optional<Codec> SniffKernelCodec(ByteView d) {
  if (d.size() < 16) return std::nullopt;
  if (IsGzipMemberHeader(d)) return Codec::kGzip;
  if (StartsWith(d, std::string_view("\xfd"
                                     "7zXZ\0",
                                     6)) &&
      d[6] == 0 && Crc32(d.subspan(6, 2)) == LoadLE32(d.data() + 8)) {
    return Codec::kXz;
  }
  if (StartsWith(d, std::string_view("\x89LZO\0\r\n\x1a\n", 9))) return Codec::kLzop;
  if (LoadLE32(d.data()) == 0x184C2102) return Codec::kLz4Legacy;
  if (LoadLE32(d.data()) == 0xFD2FB528 && (d[4] & 0x08) == 0) return Codec::kZstd;
  if (StartsWith(d, "BZh") && d[3] >= '1' && d[3] <= '9' &&
      StartsWith(d.subspan(4), "\x31\x41\x59\x26\x53\x59")) {
    return Codec::kBzip2;
  }
  // .lzma as the kernel's build writes it: lc=3 lp=0 pb=2, a power-of-two dictionary, and the
  // size field (all ones or a plausible size).
  if (d[0] == 0x5d) {
    uint32_t dict = LoadLE32(d.data() + 1);
    uint64_t size = LoadLE64(d.data() + 5);
    bool pow2 = dict >= (1u << 12) && (dict & (dict - 1)) == 0;
    if (pow2 && dict <= (1u << 30) && (size == UINT64_MAX || size < (uint64_t(1) << 32))) {
      return Codec::kLzmaAlone;
    }
  }
  return std::nullopt;
}

std::vector<KernelPayload> FindKernelPayloads(ByteView d, uint64_t from, size_t max_count) {
  // The first byte of every signature SniffKernelCodec knows.
  static constexpr uint8_t kFirst[] = {0x1f, 0xfd, 0x89, 0x02, 0x28, 'B', 0x5d};
  std::vector<KernelPayload> found;
  for (uint64_t at = from; at + 16 <= d.size() && found.size() < max_count; ++at) {
    if (std::find(std::begin(kFirst), std::end(kFirst), d[at]) == std::end(kFirst)) continue;
    if (std::optional<Codec> codec = SniffKernelCodec(d.subspan(at))) {
      found.push_back({at, *codec});
    }
  }
  return found;
}

Bytes SwapWords(ByteView d) {
  Bytes out(d.begin(), d.end());
  for (size_t i = 0; i + 4 <= out.size(); i += 4) {
    std::swap(out[i], out[i + 3]);
    std::swap(out[i + 1], out[i + 2]);
  }
  return out;
}

std::optional<std::string> ParseBanner(ByteView d) {
  constexpr std::string_view kPrefix = "Linux version ";
  if (!StartsWith(d, kPrefix)) return std::nullopt;
  // The release: at least one character of those a version string uses, then a space.
  size_t n = kPrefix.size();
  size_t release = n;
  while (n < d.size() && n - release < 64 &&
         (std::isalnum(d[n]) || std::strchr("._+~-", d[n]) != nullptr) && d[n] != 0) {
    ++n;
  }
  if (n == release || n >= d.size() || d[n] != ' ') return std::nullopt;
  while (n < d.size() && n < kMaxBanner && d[n] >= 0x20 && d[n] < 0x7f) ++n;
  if (n >= d.size() || (d[n] != '\n' && d[n] != 0)) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(d.data()), n);
}

std::string BannerRelease(const std::string& banner) {
  constexpr std::string_view kPrefix = "Linux version ";
  if (banner.size() <= kPrefix.size()) return "";
  size_t end = banner.find(' ', kPrefix.size());
  return banner.substr(kPrefix.size(), end == std::string::npos ? end : end - kPrefix.size());
}

size_t CountConfigOptions(ByteView config) {
  std::string_view text(reinterpret_cast<const char*>(config.data()), config.size());
  size_t count = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (line.starts_with("CONFIG_") && line.find('=') != std::string_view::npos) ++count;
    pos = eol + 1;
  }
  return count;
}

}  // namespace clearbox::unpack::internal
