// YAFFS2 layout detection, packed tags and object headers (yaffs2.h).
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "yaffs2.h"

namespace clearbox::unpack::yaffs2 {
namespace {

constexpr uint32_t kCheckpointSequence = 0x21;
constexpr uint64_t kLayoutTag = uint64_t{1} << 63;
// Chunks after the first that DetectLayout looks at.
constexpr uint64_t kProbeChunks = 15;

// Geometries tried, most common first (ties go to the earlier one).
struct Geometry {
  uint32_t page, spare;
};
constexpr Geometry kGeometries[] = {{2048, 64}, {4096, 128}, {512, 16},
                                    {1024, 32}, {8192, 256}, {4096, 224}};
constexpr uint32_t kTagOffsets[] = {0, 2};

uint32_t Load32(const uint8_t* p, Endian e) {
  return e == Endian::kBig ? LoadBE32(p) : LoadLE32(p);
}
uint16_t Load16(const uint8_t* p, Endian e) {
  return e == Endian::kBig ? LoadBE16(p) : LoadLE16(p);
}

// A string in a fixed field: up to field - 1 bytes, NUL-terminated when shorter
// (mkyaffs2image leaves the field's last byte erased, 0xff; the kernel zeroes it).
// `terminated` is false when the whole field is string bytes, which no writer produces; the
// string is then cut to field - 1 bytes, as yaffs itself cuts it.
std::string FieldString(const uint8_t* p, size_t field, bool& terminated) {
  const auto* c = reinterpret_cast<const char*>(p);
  const void* end = std::memchr(c, 0, field - 1);
  terminated = end != nullptr || p[field - 1] == 0 || p[field - 1] == 0xff;
  return std::string(c, end ? static_cast<const char*>(end) - c : field - 1);
}

// A strict look at a header for detection: a known type, a plausible parent, the unused
// checksum left at 0xffff and a non-empty, terminated name.
bool LooksLikeHeader(ByteView page, Endian e) {
  std::optional<ObjectHeader> h = ReadObjectHeader(page, e);
  return h && h->parent < kObjectSpace && h->parent != 0 && Load16(page.data() + 8, e) == 0xffff &&
         h->name_terminated && !h->name.empty();
}

bool AllBytes(ByteView data, uint8_t v) {
  return std::all_of(data.begin(), data.end(), [v](uint8_t b) { return b == v; });
}

// How well `layout` explains the first chunks: nullopt when chunk 0 is not an object header
// with valid tags, else the number of later chunks that agree (more than a quarter that do
// not: nullopt).
std::optional<int> Score(ByteView data, const Layout& l) {
  const uint64_t stride = l.stride();
  if (data.size() < stride || !LooksLikeHeader(data.first(l.page_size), l.endian)) {
    return std::nullopt;
  }
  Tags t;
  if (ReadTags(data, l.page_size + l.tag_offset, l.endian, t) != TagsState::kValid ||
      t.chunk_id != 0) {
    return std::nullopt;
  }
  if (t.has_extra) {
    std::optional<ObjectHeader> h = ReadObjectHeader(data.first(l.page_size), l.endian);
    if (t.extra_type != h->type || t.extra_parent != h->parent) return std::nullopt;
  }
  int good = 0, bad = 0;
  for (uint64_t i = 1; i <= kProbeChunks && (i + 1) * stride <= data.size(); ++i) {
    const uint64_t at = i * stride;
    switch (ReadTags(data, at + l.page_size + l.tag_offset, l.endian, t)) {
      case TagsState::kErased:
      case TagsState::kCheckpoint:
        break;
      case TagsState::kValid:
        if (t.chunk_id == 0 && !LooksLikeHeader(data.subspan(at, l.page_size), l.endian)) {
          ++bad;
        } else {
          ++good;
        }
        break;
      case TagsState::kInvalid:
        ++bad;
        break;
    }
  }
  if (bad * 4 > good) return std::nullopt;
  return good;
}

}  // namespace

std::optional<ObjectHeader> ReadObjectHeader(ByteView page, Endian e) {
  if (page.size() < kHeaderSize) return std::nullopt;
  const uint8_t* p = page.data();
  ObjectHeader h;
  h.type = Load32(p, e);
  if (h.type < kTypeFile || h.type > kTypeSpecial) return std::nullopt;
  h.parent = Load32(p + 4, e);
  h.name = FieldString(p + kNameOffset, kNameField, h.name_terminated);
  h.mode = Load32(p + kModeOffset, e);
  h.uid = Load32(p + kUidOffset, e);
  h.gid = Load32(p + kGidOffset, e);
  h.mtime = Load32(p + kMtimeOffset, e);
  h.size = Load32(p + kSizeLowOffset, e);
  // The high word is new; older writers leave it erased (0xffffffff).
  const uint32_t high = Load32(p + kSizeHighOffset, e);
  if (high != 0xffffffff) h.size |= uint64_t{high} << 32;
  h.equiv = Load32(p + kEquivOffset, e);
  if (h.type == kTypeSymlink)
    h.alias = FieldString(p + kAliasOffset, kAliasField, h.alias_terminated);
  h.rdev = Load32(p + kRdevOffset, e);
  const uint32_t shadows = Load32(p + kShadowsOffset, e);  // -1 when erased
  if (shadows < kObjectSpace) h.shadows = shadows;
  return h;
}

bool TagsEccAgrees(ByteView data, uint64_t tags_at, Endian e) {
  if (!FitsIn(data, tags_at, kTagsSize + kTagsEccSize)) return false;
  const LineParity parity = TagsLineParity(data.subspan(tags_at, kTagsSize));
  const uint8_t* ecc = data.data() + tags_at + kTagsSize;
  return Load32(ecc + 4, e) == parity.line && Load32(ecc + 8, e) == parity.prime;
}

uint64_t Layout::Encode() const {
  return kLayoutTag | uint64_t{page_size} | uint64_t{spare_size & 0xffff} << 32 |
         uint64_t{tag_offset & 0xff} << 48 | uint64_t{endian == Endian::kBig} << 56 |
         uint64_t{tags_ecc} << 57;
}

std::optional<Layout> Layout::Decode(uint64_t hint) {
  if (!(hint & kLayoutTag)) return std::nullopt;
  Layout l;
  l.page_size = uint32_t(hint);
  l.spare_size = uint32_t(hint >> 32) & 0xffff;
  l.tag_offset = uint32_t(hint >> 48) & 0xff;
  l.endian = (hint >> 56) & 1 ? Endian::kBig : Endian::kLittle;
  l.tags_ecc = (hint >> 57) & 1;
  if (l.page_size < kHeaderSize || l.page_size > (1u << 16) ||
      l.tag_offset + kTagsSize > l.spare_size) {
    return std::nullopt;
  }
  return l;
}

std::string Layout::Describe() const {
  return fmt::format("{}+{} pages, {}, tags at spare offset {}{}", page_size, spare_size,
                     endian == Endian::kBig ? "big-endian" : "little-endian", tag_offset,
                     tags_ecc ? " with ECC" : "");
}

LineParity TagsLineParity(ByteView tags) {
  LineParity p;
  for (size_t i = 0; i < tags.size(); ++i) {
    if (__builtin_parity(tags[i])) {
      p.line ^= uint32_t(i);
      p.prime ^= ~uint32_t(i);
    }
  }
  return p;
}

TagsState ReadTags(ByteView data, uint64_t at, Endian e, Tags& t) {
  if (!FitsIn(data, at, kTagsSize)) return TagsState::kInvalid;
  ByteView raw = data.subspan(at, kTagsSize);
  if (AllBytes(raw, 0xff) || AllBytes(raw, 0)) return TagsState::kErased;
  const uint8_t* p = raw.data();
  t = Tags{};
  t.sequence = Load32(p, e);
  t.object_id = Load32(p + 4, e);
  t.chunk_id = Load32(p + 8, e);
  t.byte_count = Load32(p + 12, e);
  if (t.sequence == kCheckpointSequence) return TagsState::kCheckpoint;
  if (t.sequence < kLowestSequence || t.sequence > kHighestSequence) return TagsState::kInvalid;
  if (t.chunk_id & kExtraHeaderInfoFlag) {
    t.has_extra = true;
    t.extra_parent = t.chunk_id & ~kExtraFlagsMask;
    t.extra_type = t.object_id >> 28;
    t.object_id &= ~kExtraFlagsMask;
    t.chunk_id = 0;
  }
  if (t.object_id == 0 || t.object_id >= kObjectSpace || t.chunk_id > kMaxChunkId) {
    return TagsState::kInvalid;
  }
  return TagsState::kValid;
}

std::optional<Layout> DetectLayout(ByteView data) {
  std::optional<Layout> best;
  int best_score = -1;
  for (Endian e : {Endian::kLittle, Endian::kBig}) {
    if (data.size() < kHeaderSize || !LooksLikeHeader(data.first(kHeaderSize), e)) continue;
    for (const Geometry& g : kGeometries) {
      for (uint32_t tag_offset : kTagOffsets) {
        if (tag_offset + kTagsSize > g.spare) continue;
        Layout l{g.page, g.spare, tag_offset, e, false};
        std::optional<int> score = Score(data, l);
        if (!score || *score <= best_score) continue;
        l.tags_ecc = TagsEccAgrees(data, l.page_size + l.tag_offset, e);
        best = l;
        best_score = *score;
      }
    }
  }
  return best;
}

}  // namespace clearbox::unpack::yaffs2
