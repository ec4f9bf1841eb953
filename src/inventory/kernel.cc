#include "internal/kernel.h"

#include <array>
#include <cstring>
#include <string_view>

#include "unpack/decompress.h"

namespace clearbox::inventory::internal {
namespace {

struct StreamMagic {
  std::string_view bytes;
  unpack::Codec codec;
  bool strong;  // a magic long enough that a chance match is rare
};
// The codecs Linux's boot wrappers use (CONFIG_KERNEL_GZIP, _XZ, _LZMA, _BZIP2, _ZSTD, _LZO).
constexpr std::array<StreamMagic, 6> kMagics{{
    {"\x1f\x8b\x08", unpack::Codec::kGzip, true},
    {"\xfd"
     "7zXZ\x00",
     unpack::Codec::kXz, true},
    {"\x28\xb5\x2f\xfd", unpack::Codec::kZstd, true},
    {"\x89LZO\x00", unpack::Codec::kLzop, true},
    {"\x5d\x00\x00", unpack::Codec::kLzmaAlone, false},
    {"BZh", unpack::Codec::kBzip2, false},
}};
constexpr int kMaxCandidates = 16;
constexpr uint64_t kSearchWindow = 64ull << 20;
constexpr std::string_view kBanner = "Linux version ";

bool HasBanner(ByteView data) { return AsChars(data).find(kBanner) != std::string_view::npos; }

const StreamMagic* MagicAt(ByteView data, size_t pos, bool strong) {
  for (const StreamMagic& m : kMagics) {
    if (m.strong == strong && FitsIn(data, pos, m.bytes.size()) &&
        std::memcmp(data.data() + pos, m.bytes.data(), m.bytes.size()) == 0) {
      return &m;
    }
  }
  return nullptr;
}

std::optional<KernelPayload> TryAt(ByteView image, size_t pos, const StreamMagic& m,
                                   uint64_t max_bytes) {
  unpack::DecompressOptions options;
  options.max_out = max_bytes;
  options.keep_partial = true;
  Result<unpack::Decompressed> d = unpack::DecompressEx(m.codec, image.subspan(pos), options);
  if (!d.ok() || !HasBanner(d->data)) return std::nullopt;
  KernelPayload out;
  out.codec = std::string(unpack::CodecName(m.codec));
  out.offset = pos;
  out.data = std::move(d->data);
  return out;
}

// x86 boot protocol 2.08+: the compressed payload's offset, relative to the protected-mode
// code that follows the (setup_sects + 1) sectors of real-mode setup.
std::optional<size_t> BzImagePayload(ByteView image) {
  if (!FitsIn(image, 0x24c, 4) || std::memcmp(image.data() + 0x202, "HdrS", 4) != 0) {
    return std::nullopt;
  }
  uint32_t setup_sects = image[0x1f1] == 0 ? 4 : image[0x1f1];
  uint64_t pos = uint64_t(setup_sects + 1) * 512 + LoadLE32(image.data() + 0x248);
  if (pos >= image.size()) return std::nullopt;
  return size_t(pos);
}

}  // namespace

std::optional<KernelPayload> DecompressKernel(ByteView image, uint64_t max_bytes) {
  if (std::optional<size_t> pos = BzImagePayload(image)) {
    for (bool strong : {true, false}) {
      if (const StreamMagic* m = MagicAt(image, *pos, strong)) {
        if (auto found = TryAt(image, *pos, *m, max_bytes)) return found;
      }
    }
  }
  // Otherwise every candidate in order, the strong magics first: short ones (lzma's 5d 00 00)
  // are common in machine code.
  ByteView window = image.first(std::min<uint64_t>(image.size(), kSearchWindow));
  for (bool strong : {true, false}) {
    int tried = 0;
    for (size_t pos = 0; pos + 3 <= window.size() && tried < kMaxCandidates; ++pos) {
      const StreamMagic* m = MagicAt(window, pos, strong);
      if (m == nullptr) continue;
      ++tried;
      if (auto found = TryAt(image, pos, *m, max_bytes)) return found;
    }
  }
  return std::nullopt;
}

}  // namespace clearbox::inventory::internal
