// Fuzzes the legacy stream decoders: lzip (liblzma, every member and trailer), Unix compress
// (the LZW decoder in src/unpack/lzw.cc), lzop (header and block checksums), LZ4 legacy
// frames and zlib. The first byte picks the codec; the rest is the stream.
#include <cstddef>
#include <cstdint>

#include "unpack/decompress.h"

using namespace clearbox;
using namespace clearbox::unpack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static constexpr Codec kCodecs[] = {Codec::kLzip, Codec::kCompress, Codec::kLzop,
                                      Codec::kLz4Legacy, Codec::kZlib};
  Codec codec = kCodecs[data[0] % 5];
  DecompressOptions options;
  options.max_out = 1 << 20;
  options.keep_partial = true;
  Result<Decompressed> d = DecompressEx(codec, ByteView(data + 1, size - 1), options);
  if (d.ok() && d->data.size() > options.max_out) __builtin_trap();
  if (d.ok() && d->consumed && *d->consumed > size - 1) __builtin_trap();
  return 0;
}
