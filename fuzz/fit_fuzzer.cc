// Fuzzes the FIT and device-tree readers (libfdt's full check, then our walk of /images: data
// positions and sizes from the tree, hash checks) and the bounded decompressors behind them.
#include <cstddef>
#include <cstdint>

#include "decompress_bounded.h"
#include "unpack/fit.h"

using namespace clearbox;
using namespace clearbox::unpack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView input(data, size);
  (void)fit::ReadDeviceTree(input);
  (void)fit::LooksLikeFit(input);
  Result<fit::Image> image = fit::Parse(input);
  if (!image.ok()) return 0;
  for (const fit::Part& part : image->parts) {
    std::optional<Codec> codec = fit::CodecFor(part.compression);
    if (codec) fuzz::DecompressBounded(*codec, part.data);
  }
  return 0;
}
