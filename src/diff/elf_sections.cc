#include "elf_sections.h"

#include <algorithm>
#include <vector>

namespace clearbox::diff {
namespace {

constexpr uint32_t kShtNote = 7, kShtNobits = 8;
constexpr uint32_t kPtNote = 4;
constexpr uint32_t kNtGnuBuildId = 3;
// A hostile header may claim millions of sections; more than this is not a real binary.
constexpr uint64_t kMaxSections = 1 << 16;

struct Section {
  std::string name;
  uint64_t name_offset = 0;  // in the section-name string table
  uint32_t type = 0;
  uint64_t offset = 0, size = 0;
};

struct Header {
  bool is64 = false, big = false;
  uint64_t phoff = 0, shoff = 0;
  uint16_t phentsize = 0, phnum = 0, shentsize = 0, shnum = 0, shstrndx = 0, ehsize = 0;
};

uint64_t Get(ByteView d, uint64_t off, int width, bool big) {
  if (!FitsIn(d, off, width)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) {
    uint64_t byte = d[off + (big ? i : width - 1 - i)];
    v = (v << 8) | byte;
  }
  return v;
}

bool ReadHeader(ByteView d, Header& h) {
  if (d.size() < 52 || d[0] != 0x7f || d[1] != 'E' || d[2] != 'L' || d[3] != 'F') return false;
  if (d[4] != 1 && d[4] != 2) return false;
  if (d[5] != 1 && d[5] != 2) return false;
  h.is64 = d[4] == 2;
  h.big = d[5] == 2;
  if (h.is64 && d.size() < 64) return false;
  int w = h.is64 ? 8 : 4;
  uint64_t base = 24 + w;  // after e_entry
  h.phoff = Get(d, base, w, h.big);
  h.shoff = Get(d, base + w, w, h.big);
  uint64_t rest = base + 2 * w + 4;  // after e_flags
  h.ehsize = Get(d, rest, 2, h.big);
  h.phentsize = Get(d, rest + 2, 2, h.big);
  h.phnum = Get(d, rest + 4, 2, h.big);
  h.shentsize = Get(d, rest + 6, 2, h.big);
  h.shnum = Get(d, rest + 8, 2, h.big);
  h.shstrndx = Get(d, rest + 10, 2, h.big);
  return true;
}

std::vector<Section> ReadSections(ByteView d, const Header& h) {
  std::vector<Section> out;
  uint64_t want = h.is64 ? 64 : 40;
  if (h.shoff == 0 || h.shnum == 0 || h.shentsize < want || h.shnum > kMaxSections) return out;
  if (!FitsIn(d, h.shoff, uint64_t{h.shnum} * h.shentsize)) return out;
  int w = h.is64 ? 8 : 4;
  for (uint64_t i = 0; i < h.shnum; ++i) {
    uint64_t at = h.shoff + i * h.shentsize;
    Section s;
    s.name_offset = Get(d, at, 4, h.big);
    s.type = Get(d, at + 4, 4, h.big);
    uint64_t after_flags = at + 8 + w;  // sh_addr follows sh_flags
    s.offset = Get(d, after_flags + w, w, h.big);
    s.size = Get(d, after_flags + 2 * w, w, h.big);
    out.push_back(std::move(s));
  }
  ByteView strtab;
  if (h.shstrndx < out.size() && FitsIn(d, out[h.shstrndx].offset, out[h.shstrndx].size)) {
    strtab = d.subspan(out[h.shstrndx].offset, out[h.shstrndx].size);
  }
  for (Section& s : out) {
    for (uint64_t i = s.name_offset; i < strtab.size() && strtab[i] != 0 && s.name.size() < 256; ++i) {
      s.name.push_back(static_cast<char>(strtab[i]));
    }
  }
  return out;
}

// Walks the notes in [off, off+size) and zeroes each GNU build id's descriptor.
int MaskNotes(Bytes& d, uint64_t off, uint64_t size, bool big) {
  int masked = 0;
  if (!FitsIn(d, off, size)) return 0;
  uint64_t end = off + size, at = off;
  auto align4 = [](uint64_t v) { return (v + 3) & ~uint64_t{3}; };
  while (at + 12 <= end) {
    uint64_t namesz = Get(d, at, 4, big), descsz = Get(d, at + 4, 4, big);
    uint64_t type = Get(d, at + 8, 4, big);
    uint64_t name_at = at + 12, desc_at = name_at + align4(namesz);
    if (desc_at > end || descsz > end - desc_at) break;
    if (type == kNtGnuBuildId && namesz == 4 && std::equal(d.begin() + name_at,
                                                           d.begin() + name_at + 4, "GNU")) {
      std::fill(d.begin() + desc_at, d.begin() + desc_at + descsz, 0);
      ++masked;
    }
    at = desc_at + align4(descsz);
  }
  return masked;
}

}  // namespace

std::string ElfSectionAt(ByteView elf, uint64_t offset) {
  Header h;
  if (!ReadHeader(elf, h)) return "";
  std::string best;
  uint64_t best_size = UINT64_MAX;
  for (const Section& s : ReadSections(elf, h)) {
    if (s.type == kShtNobits || s.size == 0) continue;
    // The smallest section that holds it (sections of a relocatable object do not overlap, but
    // a hostile table may).
    if (offset >= s.offset && offset - s.offset < s.size && s.size < best_size) {
      best = s.name.empty() ? "(unnamed section)" : s.name;
      best_size = s.size;
    }
  }
  if (!best.empty()) return best;
  if (offset < h.ehsize) return "ELF header";
  if (offset >= h.phoff && offset - h.phoff < uint64_t{h.phnum} * h.phentsize) {
    return "program headers";
  }
  if (offset >= h.shoff && offset - h.shoff < uint64_t{h.shnum} * h.shentsize) {
    return "section headers";
  }
  return "(outside any section)";
}

int MaskBuildId(Bytes& elf) {
  Header h;
  if (!ReadHeader(elf, h)) return 0;
  int masked = 0;
  std::vector<Section> sections = ReadSections(elf, h);
  for (const Section& s : sections) {
    if (s.type == kShtNote) masked += MaskNotes(elf, s.offset, s.size, h.big);
    if (s.name == ".gnu_debuglink" && s.size >= 4 && FitsIn(elf, s.offset, s.size)) {
      std::fill(elf.begin() + s.offset + s.size - 4, elf.begin() + s.offset + s.size, 0);
    }
  }
  if (!sections.empty()) return masked;
  // No section headers (sstrip'd): the notes through the program headers.
  uint64_t want = h.is64 ? 56 : 32;
  if (h.phentsize < want || !FitsIn(elf, h.phoff, uint64_t{h.phnum} * h.phentsize)) return 0;
  for (uint64_t i = 0; i < h.phnum; ++i) {
    uint64_t at = h.phoff + i * h.phentsize;
    if (Get(elf, at, 4, h.big) != kPtNote) continue;
    uint64_t off = h.is64 ? Get(elf, at + 8, 8, h.big) : Get(elf, at + 4, 4, h.big);
    uint64_t size = h.is64 ? Get(elf, at + 32, 8, h.big) : Get(elf, at + 16, 4, h.big);
    masked += MaskNotes(elf, off, size, h.big);
  }
  return masked;
}

uint64_t FirstDifference(ByteView a, ByteView b) {
  size_t n = std::min(a.size(), b.size());
  auto [ia, ib] = std::mismatch(a.begin(), a.begin() + n, b.begin());
  return static_cast<uint64_t>(ia - a.begin());
}

}  // namespace clearbox::diff
