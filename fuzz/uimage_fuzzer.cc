// Fuzzes the uImage parser and the bounded decompressors behind it: every part of the image
// is decompressed with the codec the header names, keeping what decodes.
#include <cstddef>
#include <cstdint>

#include "decompress_bounded.h"
#include "unpack/uimage.h"

using namespace clearbox;
using namespace clearbox::unpack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView input(data, size);
  Result<uimage::Image> image = uimage::Parse(input);
  if (!image.ok()) return 0;
  (void)uimage::Describe(image->header);
  (void)uimage::Plausible(image->header);
  std::optional<Codec> codec = uimage::CodecFor(image->header.comp);
  for (const uimage::Part& part : image->parts) {
    if (codec) fuzz::DecompressBounded(*codec, part.data);
  }
  return 0;
}
