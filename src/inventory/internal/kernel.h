// The Linux kernel inside a compressed kernel image (bzImage, ARM zImage, a raw blob): its
// banner ("Linux version 5.4.72 ...") lives in the compressed part, so the version signatures
// need it decompressed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "clearbox/core/bytes.h"

namespace clearbox::inventory::internal {

struct KernelPayload {
  std::string codec;    // "gzip", "xz", "lzma", ...
  uint64_t offset = 0;  // where the stream starts in the image
  Bytes data;           // decompressed (possibly only its start, when corrupt or over the cap)
};

// Looks for the compressed kernel inside `image`: each gzip, xz, lzma, bzip2, zstd or lzop
// stream magic in the first 64 MiB (at most a few candidates) is decompressed, within
// `max_bytes`, until one yields a Linux banner. nullopt when none does. Never more than
// max_bytes of output at a time; thread-safe.
std::optional<KernelPayload> DecompressKernel(ByteView image, uint64_t max_bytes);

}  // namespace clearbox::inventory::internal
