#include "trx.h"

#include <fmt/format.h>

#include "clearbox/core/digest.h"

namespace clearbox::unpack::trx {

uint32_t TrxCrc(ByteView bytes) { return ~Crc32(bytes); }

std::optional<Header> ReadHeader(ByteView data) {
  if (data.size() < kHeaderSizeV1) return std::nullopt;
  ByteReader r(data);
  Header h;
  auto magic = r.ReadLE32();
  if (*magic != kMagic) return std::nullopt;
  auto length = r.ReadLE32();
  auto crc = r.ReadLE32();
  auto flags = r.ReadLE16();
  auto version = r.ReadLE16();
  if (*version != 1 && *version != 2) return std::nullopt;
  h.length = *length;
  h.stored_crc = *crc;
  h.flags = *flags;
  h.version = *version;
  const int slots = h.version == 2 ? 4 : 3;
  for (int i = 0; i < slots; ++i) {
    auto offset = r.ReadLE32();
    if (!offset) return std::nullopt;
    h.offsets.push_back(*offset);
  }
  return h;
}

bool Plausible(const Header& h) {
  if (h.length < h.header_size()) return false;
  for (uint32_t offset : h.offsets) {
    if (offset >= h.header_size() && offset < h.length) return true;
  }
  return false;
}

Result<Image> Parse(ByteView data) {
  std::optional<Header> header = ReadHeader(data);
  if (!header) return Error::InvalidInput("trx: no HDR0 header of version 1 or 2 at offset 0");
  Image image;
  image.header = *header;
  const Header& h = image.header;
  auto note = [&](uint64_t offset, std::string message) {
    image.notes.push_back({Note::Kind::kCorrupt, "", offset, std::move(message)});
  };

  if (h.length < h.header_size()) {
    note(4, fmt::format("length {} is shorter than the {}-byte header", h.length, h.header_size()));
    return image;
  }
  if (h.length > data.size()) {
    note(data.size(),
         fmt::format("truncated: the header says {} bytes, {} are present ({} missing)", h.length,
                     data.size(), h.length - data.size()));
  } else {
    image.computed_crc = TrxCrc(data.subspan(kCrcStart, h.length - kCrcStart));
    if (*image.computed_crc != h.stored_crc) {
      note(8, fmt::format("CRC mismatch: stored {:#010x}, computed {:#010x}", h.stored_crc,
                          *image.computed_crc));
    }
  }

  // Keep the offsets that can be placed: inside [header, length) and after the previous one.
  struct Slot {
    size_t index;
    uint32_t offset;
  };
  std::vector<Slot> slots;
  uint64_t previous_end = h.header_size();
  for (size_t i = 0; i < h.offsets.size(); ++i) {
    uint32_t offset = h.offsets[i];
    if (offset == 0) continue;
    const uint64_t field = 16 + 4 * i;
    if (offset < previous_end || offset >= h.length) {
      note(field, fmt::format("partition {} offset {:#x} lies outside [{:#x}, {:#x}): ignored", i,
                              offset, previous_end, h.length));
      continue;
    }
    slots.push_back({i, offset});
    previous_end = uint64_t{offset} + 1;
  }
  for (size_t k = 0; k < slots.size(); ++k) {
    Partition p;
    p.label = fmt::format("part{}", slots[k].index);
    p.offset = slots[k].offset;
    uint64_t end = k + 1 < slots.size() ? slots[k + 1].offset : h.length;
    p.size = end - p.offset;
    if (p.offset < data.size()) {
      p.data = data.subspan(p.offset, std::min<uint64_t>(p.size, data.size() - p.offset));
    }
    image.partitions.push_back(std::move(p));
  }
  if (slots.empty()) note(16, "no usable partition offset");
  return image;
}

}  // namespace clearbox::unpack::trx
