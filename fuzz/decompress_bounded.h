// What the engine does with a container's payload, for the parser fuzzers: decompress it
// with the codec its header names, within 1 MiB of output, keeping what decodes.
#pragma once

#include "unpack/decompress.h"

namespace clearbox::fuzz {

inline void DecompressBounded(unpack::Codec codec, ByteView data) {
  unpack::DecompressOptions options;
  options.max_out = 1 << 20;
  options.keep_partial = true;
  (void)unpack::DecompressEx(codec, data, options);
}

}  // namespace clearbox::fuzz
