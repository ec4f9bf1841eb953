// Unix compress (.Z) decoding: LZW with 9 to 16-bit codes, as ncompress writes it.
//
// Format (ncompress's compress42.c is the reference; there is no other spec): 0x1F 0x9D, a
// flags byte (bits 0-4: the largest code width, 9..16; bit 7: block mode, where code 256
// clears the table), then LSB-first codes. The encoder emits codes in groups of eight: when
// the code width grows or the table is cleared, the rest of the current group is padding.
#pragma once

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "decompress.h"

namespace clearbox::unpack {

// Whether `d` starts with a compress header whose flags are valid (no trial decode).
bool IsCompressHeader(ByteView d);

// Decodes a whole .Z stream (the format has no end marker: it ends with its input), into at
// most options.max_out bytes. Errors as DecompressEx; `consumed` is the whole input.
Result<Decompressed> DecodeCompress(ByteView in, const DecompressOptions& options);

}  // namespace clearbox::unpack
