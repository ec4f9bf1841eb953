#include "android_sparse.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace clearbox::unpack::sparse {
namespace {

Note Corrupt(uint64_t offset, std::string message) {
  return Note{Note::Kind::kCorrupt, "", offset, std::move(message)};
}

}  // namespace

std::optional<Header> ReadHeader(ByteView data) {
  if (data.size() < kFileHeaderSize || LoadLE32(data.data()) != kMagic) return std::nullopt;
  Header h;
  h.major = LoadLE16(data.data() + 4);
  h.minor = LoadLE16(data.data() + 6);
  h.file_header_size = LoadLE16(data.data() + 8);
  h.chunk_header_size = LoadLE16(data.data() + 10);
  h.block_size = LoadLE32(data.data() + 12);
  h.total_blocks = LoadLE32(data.data() + 16);
  h.total_chunks = LoadLE32(data.data() + 20);
  h.checksum = LoadLE32(data.data() + 24);
  // As libsparse checks them: version 1, headers at least as large as version 1's (larger
  // ones carry fields we skip), a block size that is a non-zero multiple of 4.
  if (h.major != 1 || h.file_header_size < kFileHeaderSize ||
      h.chunk_header_size < kChunkHeaderSize || h.block_size == 0 || h.block_size % 4 != 0 ||
      h.block_size > (1u << 24)) {
    return std::nullopt;
  }
  return h;
}

Result<Image> Parse(ByteView data) {
  std::optional<Header> header = ReadHeader(data);
  if (!header) return Error::InvalidInput("no Android sparse header (magic 0xed26ff3a, v1)");
  Image image;
  image.header = *header;
  const Header& h = image.header;
  if (h.file_header_size > data.size()) {
    image.notes.push_back(Corrupt(0, fmt::format("file header of {} bytes, {} in the image",
                                                 h.file_header_size, data.size())));
    return image;
  }
  uint64_t at = h.file_header_size;
  uint64_t block = 0;
  std::optional<uint64_t> first_crc;  // where the first CRC-32 chunk is
  for (uint32_t i = 0; i < h.total_chunks; ++i) {
    if (data.size() - at < h.chunk_header_size) {
      image.notes.push_back(
          Corrupt(at, fmt::format("chunk {} of {}: header truncated", i + 1, h.total_chunks)));
      break;
    }
    const uint8_t* p = data.data() + at;
    Chunk chunk;
    chunk.input_offset = at;
    chunk.first_block = block;
    const uint16_t type = LoadLE16(p);
    chunk.blocks = LoadLE32(p + 4);
    const uint32_t total_size = LoadLE32(p + 8);
    const uint64_t body =
        uint64_t{total_size} - std::min<uint64_t>(total_size, h.chunk_header_size);
    std::string where = fmt::format("chunk {} of {} at {:#x}", i + 1, h.total_chunks, at);
    uint64_t want_body = 0;
    switch (type) {
      case kRaw:
        want_body = uint64_t{chunk.blocks} * h.block_size;
        break;
      case kFill:
      case kCrc32:
        want_body = 4;
        break;
      case kDontCare:
        want_body = 0;
        break;
      default:
        image.notes.push_back(Corrupt(at, fmt::format("{}: unknown type {:#06x}", where, type)));
        return image;
    }
    chunk.type = static_cast<ChunkType>(type);
    if (total_size < h.chunk_header_size || body != want_body) {
      image.notes.push_back(
          Corrupt(at, fmt::format("{}: {} bytes, {} expected for its type and {} blocks", where,
                                  total_size, want_body + h.chunk_header_size, chunk.blocks)));
      break;
    }
    if (body > data.size() - at - h.chunk_header_size) {
      image.notes.push_back(
          Corrupt(at, fmt::format("{}: {} data bytes, {} in the image (truncated)", where, body,
                                  data.size() - at - h.chunk_header_size)));
      break;
    }
    if (chunk.type == kCrc32) {
      chunk.blocks = 0;  // a marker: no output
      if (!first_crc) first_crc = at;
    }
    if (block + chunk.blocks > h.total_blocks) {
      image.notes.push_back(Corrupt(at, fmt::format("{}: ends at block {}, past the {} blocks "
                                                    "the header declares",
                                                    where, block + chunk.blocks, h.total_blocks)));
      break;
    }
    const uint8_t* payload = p + h.chunk_header_size;
    if (chunk.type == kRaw) chunk.raw = ByteView(payload, static_cast<size_t>(body));
    if (chunk.type == kFill) chunk.fill = LoadLE32(payload);
    at += h.chunk_header_size + body;
    block += chunk.blocks;
    image.chunks.push_back(chunk);
  }
  image.input_size = at;
  if (block < h.total_blocks && image.notes.empty()) {
    image.notes.push_back(Corrupt(at, fmt::format("the chunks cover {} of the {} blocks the header "
                                                  "declares",
                                                  block, h.total_blocks)));
  }
  if (first_crc) {
    image.notes.push_back({Note::Kind::kInfo, "", *first_crc,
                           "CRC-32 chunk: not checked (it covers the expanded image so far)"});
  }
  return image;
}

Status Expand(const Image& image, const std::function<Status(uint64_t, ByteView)>& write) {
  const uint64_t block_size = image.header.block_size;
  Bytes pattern;
  uint64_t written = 0;  // the end of the last range written
  for (const Chunk& c : image.chunks) {
    const uint64_t start = c.first_block * block_size;
    if (c.type == kRaw) {
      CLEARBOX_RETURN_IF_ERROR(write(start, c.raw));
      written = start + c.raw.size();
    } else if (c.type == kFill && c.fill != 0) {
      if (pattern.empty()) pattern.resize(64 * 1024);
      for (size_t i = 0; i < pattern.size(); i += 4) StoreLE32(pattern.data() + i, c.fill);
      const uint64_t length = uint64_t{c.blocks} * block_size;
      for (uint64_t done = 0; done < length;) {
        const uint64_t n = std::min<uint64_t>(pattern.size(), length - done);
        CLEARBOX_RETURN_IF_ERROR(write(start + done, ByteView(pattern.data(), size_t(n))));
        done += n;
      }
      written = start + length;
    }
  }
  // Trailing zeros nobody wrote (a zero fill, don't-care blocks, chunks missing): one zero
  // byte at the end, so that the output ends where the header says.
  const uint64_t size = image.header.output_size();
  if (written >= size) return Status::Ok();
  static constexpr uint8_t kZero = 0;
  return write(size - 1, ByteView(&kZero, 1));
}

}  // namespace clearbox::unpack::sparse
