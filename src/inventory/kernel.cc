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
};
// The codecs Linux's boot wrappers use (CONFIG_KERNEL_GZIP, _XZ, _LZMA, _BZIP2, _ZSTD, _LZO).
constexpr std::array<StreamMagic, 6> kMagics{{
    {"\x1f\x8b\x08", unpack::Codec::kGzip},
    {"\xfd" "7zXZ\x00", unpack::Codec::kXz},
    {"\x5d\x00\x00", unpack::Codec::kLzmaAlone},
    {"BZh", unpack::Codec::kBzip2},
    {"\x28\xb5\x2f\xfd", unpack::Codec::kZstd},
    {"\x89LZO\x00", unpack::Codec::kLzop},
}};
constexpr int kMaxCandidates = 16;
constexpr uint64_t kSearchWindow = 64ull << 20;
constexpr std::string_view kBanner = "Linux version ";

bool HasBanner(ByteView data) {
  return AsChars(data).find(kBanner) != std::string_view::npos;
}

}  // namespace

std::optional<KernelPayload> DecompressKernel(ByteView image, uint64_t max_bytes) {
  ByteView window = image.first(std::min<uint64_t>(image.size(), kSearchWindow));
  int tried = 0;
  for (size_t pos = 0; pos + 3 <= window.size() && tried < kMaxCandidates; ++pos) {
    const StreamMagic* found = nullptr;
    for (const StreamMagic& m : kMagics) {
      if (FitsIn(window, pos, m.bytes.size()) &&
          std::memcmp(window.data() + pos, m.bytes.data(), m.bytes.size()) == 0) {
        found = &m;
        break;
      }
    }
    if (found == nullptr) continue;
    ++tried;
    unpack::DecompressOptions options;
    options.max_out = max_bytes;
    options.keep_partial = true;
    Result<unpack::Decompressed> d = unpack::DecompressEx(found->codec, image.subspan(pos), options);
    if (!d.ok() || !HasBanner(d->data)) continue;
    KernelPayload out;
    out.codec = std::string(unpack::CodecName(found->codec));
    out.offset = pos;
    out.data = std::move(d->data);
    return out;
  }
  return std::nullopt;
}

}  // namespace clearbox::inventory::internal
