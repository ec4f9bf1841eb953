// The carving pass: the multi-pattern magic scan and every format's header probe at every
// candidate offset, on arbitrary bytes.
#include <cstddef>
#include <cstdint>

#include "clearbox/unpack/unpack.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto found = clearbox::unpack::ScanContainers({data, size}, 1000);
  uint64_t last = 0;
  for (const auto& f : found) {
    if (f.offset >= size || f.offset < last || f.format.empty()) __builtin_trap();
    last = f.offset;
  }
  return 0;
}
