// Fuzzes the Android sparse image parser (chunk table: types, sizes, block counts from the
// input) and the expansion, into a sink that only counts: the declared output is capped
// first, as the engine caps it at the per-file limit.
#include <cstddef>
#include <cstdint>

#include "unpack/android_sparse.h"

using namespace clearbox;
using namespace clearbox::unpack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Result<sparse::Image> image = sparse::Parse(ByteView(data, size));
  if (!image.ok() || image->header.output_size() > (uint64_t{64} << 20)) return 0;
  uint64_t end = 0;
  (void)sparse::Expand(*image, [&](uint64_t offset, ByteView bytes) {
    if (offset + bytes.size() > image->header.output_size()) __builtin_trap();  // out of range
    end = offset + bytes.size();
    return Status::Ok();
  });
  if (!image->chunks.empty() && end != image->header.output_size()) __builtin_trap();
  return 0;
}
