// Android sparse images (AOSP libsparse, system/core/libsparse/sparse_format.h): a raw
// partition image (usually ext4) stored as chunks of blocks: raw data, a 4-byte fill
// pattern, "don't care" (left as zeros) and CRC-32 markers.
//
//   Result<sparse::Image> image = sparse::Parse(bytes);   // header and chunk table, checked
//   sparse::Expand(*image, write);                        // writes the raw image by ranges
//
// Header (28 bytes, little-endian): magic 0xed26ff3a, major 1, minor, file header size (28),
// chunk header size (12), block size (a multiple of 4), total blocks, total chunks, image
// checksum. Chunk header: type (0xcac1 raw, 0xcac2 fill, 0xcac3 don't care, 0xcac4 crc32),
// reserved, output blocks, input bytes including the header.
//
// Parse never fails on what follows the header: a truncated or malformed chunk, chunks that
// cover fewer or more blocks than the header says, are Notes; the chunks before it are kept.
// Pure functions of their input; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"

namespace clearbox::unpack::sparse {

inline constexpr uint32_t kMagic = 0xed26ff3a;
inline constexpr size_t kFileHeaderSize = 28;
inline constexpr size_t kChunkHeaderSize = 12;

enum ChunkType : uint16_t { kRaw = 0xcac1, kFill = 0xcac2, kDontCare = 0xcac3, kCrc32 = 0xcac4 };

struct Header {
  uint16_t major = 0;
  uint16_t minor = 0;
  uint16_t file_header_size = 0;
  uint16_t chunk_header_size = 0;
  uint32_t block_size = 0;
  uint32_t total_blocks = 0;
  uint32_t total_chunks = 0;
  uint32_t checksum = 0;
  uint64_t output_size() const { return uint64_t{block_size} * total_blocks; }
};

struct Chunk {
  ChunkType type = kRaw;
  uint64_t input_offset = 0;  // of the chunk's header, from the start of the image
  uint64_t first_block = 0;   // where its output starts, in blocks
  uint32_t blocks = 0;        // output blocks (0 for crc32)
  ByteView raw;               // kRaw: blocks * block_size bytes of the image
  uint32_t fill = 0;          // kFill: the pattern, as stored (little-endian in the output)
};

struct Image {
  Header header;
  std::vector<Chunk> chunks;
  uint64_t input_size = 0;  // bytes of the image the chunks span
  std::vector<Note> notes;  // offsets from the start of the image
};

// The header at the start of `data`, if it is one libsparse would accept.
std::optional<Header> ReadHeader(ByteView data);

// Errors: kInvalidInput (no sparse header at the start of `data`).
Result<Image> Parse(ByteView data);

// Writes the raw image through `write(offset, bytes)` in ascending ranges: raw chunks as
// views of the image, fill chunks in pieces of at most 64 KiB, a zero fill and don't-care
// blocks not at all (the receiver starts from zeros). When the last range written ends short
// of header.output_size(), a zero byte is written at its end, so the receiver ends there.
// Stops at the first error `write` returns (which it returns).
Status Expand(const Image& image, const std::function<Status(uint64_t, ByteView)>& write);

}  // namespace clearbox::unpack::sparse
