// Fuzzes the TRX parser: header, CRC, partition offsets against the length and the buffer.
#include <cstddef>
#include <cstdint>

#include "unpack/trx.h"

using namespace clearbox;
using namespace clearbox::unpack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView input(data, size);
  (void)trx::Plausible(trx::ReadHeader(input).value_or(trx::Header{}));
  Result<trx::Image> image = trx::Parse(input);
  if (!image.ok()) return 0;
  // Touch every byte a partition claims, so a view past the buffer shows up under ASan.
  volatile uint8_t sum = 0;
  for (const trx::Partition& p : image->partitions) {
    for (uint8_t b : p.data) sum = static_cast<uint8_t>(sum + b);
  }
  return 0;
}
