#include "vxworks_img0.h"

#include <fmt/format.h>

#include <cstring>

namespace clearbox::unpack::img0 {

std::optional<Header> ReadHeader(ByteView data) {
  if (data.size() < kHeaderSize || std::memcmp(data.data(), "IMG0", 4) != 0) return std::nullopt;
  const uint8_t* p = data.data();
  Header h;
  h.length = LoadBE32(p + 0x04);
  h.product = LoadBE16(p + 0x08);
  h.language = LoadBE16(p + 0x0A);
  h.kernel_offset = LoadBE32(p + 0x40);
  h.kernel_size = LoadBE32(p + 0x44);
  h.fs_offset = LoadBE32(p + 0x48);
  h.fs_size = LoadBE32(p + 0x4C);
  h.tail_offset = LoadBE32(p + 0x50);
  h.tail_size = LoadBE32(p + 0x54);
  return h;
}

bool Plausible(const Header& h) {
  return h.length >= kHeaderSize && h.kernel_offset >= kHeaderSize && h.kernel_size > 0 &&
         FitsIn(h.length, h.kernel_offset, h.kernel_size);
}

std::string LanguageName(uint16_t language) {
  switch (language) {
    case 0x1101: return "English";
    case 0x0001: return "Chinese";
    default: return fmt::format("{:#06x}", language);
  }
}

Result<Image> Parse(ByteView data) {
  std::optional<Header> h = ReadHeader(data);
  if (!h) return Error::InvalidInput("not an IMG0 image");
  Image image;
  image.header = *h;
  if (h->length > data.size()) {
    image.notes.push_back({Note::Kind::kCorrupt, "", 4,
                           fmt::format("IMG0 length {} but only {} bytes present", h->length,
                                       data.size())});
  }
  const uint64_t end = std::min<uint64_t>(h->length, data.size());
  struct Field {
    const char* label;
    uint32_t offset, size, at;
  };
  for (const Field& f : {Field{"kernel", h->kernel_offset, h->kernel_size, 0x40},
                         Field{"fs", h->fs_offset, h->fs_size, 0x48},
                         Field{"tail", h->tail_offset, h->tail_size, 0x50}}) {
    if (f.size == 0) continue;
    if (f.offset < kHeaderSize || !FitsIn(h->length, f.offset, f.size)) {
      image.notes.push_back({Note::Kind::kCorrupt, "", f.at,
                             fmt::format("IMG0 {} region {:#x}+{:#x} lies outside the header's "
                                         "{:#x} bytes",
                                         f.label, f.offset, f.size, h->length)});
      if (f.offset < kHeaderSize) continue;
    }
    if (f.offset >= end) {
      image.notes.push_back({Note::Kind::kCorrupt, "", f.offset,
                             fmt::format("IMG0 {} region at {:#x} is missing: the image ends at "
                                         "{:#x}",
                                         f.label, f.offset, end)});
      continue;
    }
    Region r;
    r.label = f.label;
    r.offset = f.offset;
    r.size = f.size;
    r.data = data.subspan(f.offset, std::min<uint64_t>(f.size, end - f.offset));
    if (r.data.size() < r.size) {
      image.notes.push_back({Note::Kind::kCorrupt, "", f.offset,
                             fmt::format("IMG0 {} region truncated: {} of {} bytes", f.label,
                                         r.data.size(), r.size)});
    }
    image.regions.push_back(std::move(r));
  }
  return image;
}

bool LzmaAloneAt(ByteView data) {
  if (data.size() < 14 || data[0] >= 9 * 5 * 5 || data[13] != 0) return false;
  const uint32_t dict = LoadLE32(data.data() + 1);
  if (dict < (1u << 12) || dict > (1u << 27)) return false;
  const uint64_t size = LoadLE64(data.data() + 5);
  return size == UINT64_MAX || (size > 0 && size < (uint64_t{1} << 30));
}

std::optional<uint64_t> NextImg0(ByteView data, uint64_t from) {
  from = (from + 3) & ~uint64_t{3};
  for (uint64_t at = from; at + kHeaderSize <= data.size(); at += 4) {
    if (data[at] != 'I' || std::memcmp(data.data() + at, "IMG0", 4) != 0) continue;
    std::optional<Header> h = ReadHeader(data.subspan(at));
    if (h && Plausible(*h)) return at;
  }
  return std::nullopt;
}

}  // namespace clearbox::unpack::img0
