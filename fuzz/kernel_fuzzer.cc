// Fuzzes the Linux kernel parsers: the bzImage setup header and its payload, the zImage header
// and the signature search (also word-swapped), banners and the IKCONFIG block, decompressing
// every payload found within 1 MiB as the handlers do.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "decompress_bounded.h"
#include "unpack/kernel.h"

using namespace clearbox;
using namespace clearbox::unpack;
using namespace clearbox::unpack::internal;

namespace {

// Offsets of `needle` in `d`, at most `max`.
std::vector<size_t> FindAll(ByteView d, std::string_view needle, size_t max) {
  std::vector<size_t> out;
  for (size_t at = 0; at + needle.size() <= d.size() && out.size() < max; ++at) {
    if (std::memcmp(d.data() + at, needle.data(), needle.size()) == 0) out.push_back(at);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  if (std::optional<BzImageHeader> h = ParseBzImage(in); h && h->payload_offset < size) {
    ByteView payload = in.subspan(size_t(h->payload_offset));
    payload = payload.first(std::min<uint64_t>(payload.size(), h->payload_length));
    if (std::optional<Codec> codec = SniffKernelCodec(payload)) {
      fuzz::DecompressBounded(*codec, payload);
    }
  }
  if (std::optional<ZImageHeader> z = ParseZImage(in)) {
    Bytes swapped = SwapWords(in);
    for (ByteView image : {in, ByteView(swapped)}) {
      for (const KernelPayload& p : FindKernelPayloads(image, 0x30, 4)) {
        if (p.offset >= image.size()) __builtin_trap();
        fuzz::DecompressBounded(p.codec, image.subspan(size_t(p.offset)));
      }
    }
  }
  for (size_t at : FindAll(in, "Linux version ", 8)) {
    if (std::optional<std::string> banner = ParseBanner(in.subspan(at))) {
      if (banner->size() > 512) __builtin_trap();
      (void)BannerRelease(*banner);
    }
  }
  for (size_t at : FindAll(in, kIkconfigStart, 2)) {
    DecompressOptions options;
    options.max_out = 1 << 20;
    options.keep_partial = true;
    Result<Decompressed> d = DecompressEx(Codec::kGzip, in.subspan(at + 8), options);
    if (d.ok()) (void)CountConfigOptions(d->data);
  }
  return 0;
}
