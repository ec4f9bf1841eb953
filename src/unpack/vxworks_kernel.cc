#include "vxworks_kernel.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace clearbox::unpack::vxworks {
namespace {

bool IsDigit(uint8_t c) { return c >= '0' && c <= '9'; }
bool IsNameChar(uint8_t c) { return c > 0x20 && c < 0x7f; }

// ---- banner ----------------------------------------------------------------------------

// "5.5.1" at `at` (digits and dots, at least one dot, not ending with a dot), or "".
std::string VersionAt(ByteView image, size_t at) {
  size_t end = at;
  while (end < image.size() && end - at < 16 && (IsDigit(image[end]) || image[end] == '.')) {
    ++end;
  }
  std::string_view v(reinterpret_cast<const char*>(image.data() + at), end - at);
  while (!v.empty() && v.back() == '.') v.remove_suffix(1);
  if (v.size() < 3 || !IsDigit(static_cast<uint8_t>(v[0])) ||
      v.find('.') == std::string_view::npos) {
    return "";
  }
  return std::string(v);
}

// A creationDate "Mmm dd yyyy, hh:mm:ss" starting within [from, from + 128).
std::string BuildDateNear(ByteView image, size_t from) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan ", "Feb ", "Mar ", "Apr ", "May ", "Jun ", "Jul ", "Aug ", "Sep ", "Oct ", "Nov ", "Dec "};
  const size_t end = std::min(image.size(), from + 128);
  for (size_t i = from; i + 11 <= end; ++i) {
    for (std::string_view m : kMonths) {
      if (std::memcmp(image.data() + i, m.data(), m.size()) != 0) continue;
      // "Aug 24 2011" or "Aug  4 2011": a day, a space, a four-digit year.
      const uint8_t* d = image.data() + i + 4;
      if (!(IsDigit(d[1]) && (IsDigit(d[0]) || d[0] == ' ') && d[2] == ' ' && IsDigit(d[3]) &&
            IsDigit(d[4]) && IsDigit(d[5]) && IsDigit(d[6]))) {
        continue;
      }
      size_t j = i;
      while (j < image.size() && j - i < 32 && image[j] >= 0x20 && image[j] < 0x7f) ++j;
      return std::string(reinterpret_cast<const char*>(image.data() + i), j - i);
    }
  }
  return "";
}

// ---- symbol table ------------------------------------------------------------------------

struct Layout {
  uint32_t size;  // 16 or 20
  bool big_endian;
};

uint32_t Load32(const uint8_t* p, bool be) { return be ? LoadBE32(p) : LoadLE32(p); }
uint16_t Load16(const uint8_t* p, bool be) { return be ? LoadBE16(p) : LoadLE16(p); }

bool ValidType(uint8_t type) {
  switch (type & ~1u) {
    case 0x02: case 0x04: case 0x08: case 0x10: case 0x12: case 0x20: case 0x40: case 0x80:
      return true;
    default:
      return false;
  }
}

// One SYMBOL as makeSymTbl initialises it: no hash link, a name, a group of 0, a known type.
bool LooksLikeEntry(const uint8_t* p, Layout l) {
  return Load32(p, l.big_endian) == 0 && Load32(p + 4, l.big_endian) != 0 &&
         Load16(p + l.size - 4, l.big_endian) == 0 && ValidType(p[l.size - 2]) &&
         p[l.size - 1] == 0;
}

struct Run {
  uint64_t offset = 0;
  uint64_t count = 0;
  Layout layout{16, true};
};

// Runs of at least kMinSymbols consecutive entries, longest first (at most 8 of them).
std::vector<Run> FindRuns(ByteView image) {
  std::vector<Run> runs;
  for (Layout l : {Layout{16, true}, Layout{16, false}, Layout{20, true}, Layout{20, false}}) {
    if (image.size() < l.size) continue;
    for (uint32_t phase = 0; phase < l.size; phase += 4) {
      uint64_t start = 0, count = 0;
      for (uint64_t at = phase; at + l.size <= image.size(); at += l.size) {
        if (LooksLikeEntry(image.data() + at, l)) {
          if (count++ == 0) start = at;
          if (count < kMaxSymbols) continue;
        }
        if (count >= kMinSymbols) runs.push_back({start, std::min<uint64_t>(count, kMaxSymbols), l});
        count = 0;
      }
      if (count >= kMinSymbols) runs.push_back({start, count, l});
    }
  }
  std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.count > b.count; });
  if (runs.size() > 8) runs.resize(8);
  return runs;
}

// Whether a name starts at `off`: a NUL (or the image start) before it, a name byte at it.
bool NameStartsAt(ByteView image, uint64_t off) {
  return off < image.size() && IsNameChar(image[off]) && (off == 0 || image[off - 1] == 0);
}

// The NUL-terminated name at `off`, or "" when it is not one.
std::string_view NameAt(ByteView image, uint64_t off) {
  if (!NameStartsAt(image, off)) return {};
  const size_t limit = std::min<uint64_t>(image.size() - off, kMaxNameLength + 1);
  const uint8_t* p = image.data() + off;
  const void* nul = std::memchr(p, 0, limit);
  if (nul == nullptr) return {};
  std::string_view name(reinterpret_cast<const char*>(p), static_cast<const uint8_t*>(nul) - p);
  for (char c : name) {
    if (!IsNameChar(static_cast<uint8_t>(c))) return {};
  }
  return name;
}

// How many entries of `run` name a string when the image is loaded at `base`.
uint64_t CountResolved(ByteView image, const Run& run, uint32_t base) {
  uint64_t resolved = 0;
  for (uint64_t i = 0; i < run.count; ++i) {
    const uint32_t ptr = Load32(image.data() + run.offset + i * run.layout.size + 4,
                                run.layout.big_endian);
    resolved += ptr >= base && !NameAt(image, uint64_t{ptr} - base).empty();
  }
  return resolved;
}

// The load address that makes the name pointers land on names. Sampled pointers pick the
// candidates; a base shifted by a few names also fits every sample when names are evenly
// spaced, so the candidate that resolves the most entries wins.
std::optional<uint32_t> InferLoadAddress(ByteView image, const Run& run) {
  constexpr size_t kSamples = 16;
  constexpr size_t kMaxTried = 1 << 16;  // bases that passed the first check
  constexpr size_t kMaxCounted = 16;     // bases that passed every sample
  std::vector<uint32_t> ptrs;
  for (size_t k = 0; k < kSamples; ++k) {
    const uint64_t at = run.offset + (run.count * k / kSamples) * run.layout.size;
    ptrs.push_back(Load32(image.data() + at + 4, run.layout.big_endian));
  }
  const uint32_t p0 = ptrs[0];
  std::optional<uint32_t> best;
  uint64_t best_resolved = 0;
  size_t tried = 0, counted = 0;
  for (uint64_t s = 0; s < image.size() && s <= p0; ++s) {
    const uint32_t base = p0 - static_cast<uint32_t>(s);
    if (base % 4 != 0 || !NameStartsAt(image, s)) continue;
    if (++tried > kMaxTried) break;
    bool all = true;
    for (size_t k = 1; k < ptrs.size() && all; ++k) {
      all = ptrs[k] >= base && NameStartsAt(image, uint64_t{ptrs[k]} - base);
    }
    if (!all) continue;
    const uint64_t resolved = CountResolved(image, run, base);
    if (resolved > best_resolved) {
      best = base;
      best_resolved = resolved;
    }
    if (resolved == run.count || ++counted >= kMaxCounted) break;
  }
  return best;
}

}  // namespace

std::optional<Banner> FindBanner(ByteView image) {
  static constexpr std::string_view kName = "VxWorks";
  size_t hits = 0;
  const uint8_t* begin = image.data();
  const uint8_t* end = begin + image.size();
  for (const uint8_t* p = begin; p < end && hits < kMaxBannerHits; ++p) {
    p = std::search(p, end, kName.begin(), kName.end());
    if (p == end) break;
    ++hits;
    size_t at = (p - begin) + kName.size();
    // "VxWorks5.5.1", "VxWorks 6.9", or runtimeName "VxWorks\0" padded before "5.5.1".
    for (size_t skip = 0; skip < 8 && at < image.size() && (image[at] == ' ' || image[at] == 0);
         ++skip) {
      ++at;
    }
    std::string version = VersionAt(image, at);
    if (version.empty()) continue;
    Banner b;
    b.version = std::move(version);
    b.offset = at;
    b.built = BuildDateNear(image, at);
    return b;
  }
  return std::nullopt;
}

std::optional<SymbolTable> FindSymbolTable(ByteView image) {
  for (const Run& run : FindRuns(image)) {
    std::optional<uint32_t> base = InferLoadAddress(image, run);
    if (!base) continue;
    SymbolTable t;
    t.offset = run.offset;
    t.entry_size = run.layout.size;
    t.big_endian = run.layout.big_endian;
    t.entries = run.count;
    t.load_address = *base;
    for (uint64_t i = 0; i < run.count; ++i) {
      const uint8_t* e = image.data() + run.offset + i * run.layout.size;
      const uint32_t ptr = Load32(e + 4, t.big_endian);
      std::string_view name = ptr >= *base ? NameAt(image, uint64_t{ptr} - *base) : "";
      if (name.empty()) {
        ++t.unresolved;
        continue;
      }
      t.symbols.push_back({Load32(e + 8, t.big_endian), e[run.layout.size - 2], std::string(name)});
    }
    // Most names must resolve: a run of look-alike words resolves a few by chance.
    if (t.symbols.size() >= kMinSymbols && t.symbols.size() * 10 >= run.count * 9) return t;
  }
  return std::nullopt;
}

char TypeLetter(uint8_t type) {
  char c = '?';
  switch (type & ~1u) {
    case 0x02: c = 'a'; break;
    case 0x04: c = 't'; break;
    case 0x08: c = 'd'; break;
    case 0x10: c = 'b'; break;
    case 0x12: case 0x20: c = 'c'; break;
    case 0x40: case 0x80: c = 's'; break;
    default: return '?';
  }
  return (type & 1) ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string FormatSymbols(const SymbolTable& table) {
  std::string out;
  out.reserve(table.symbols.size() * 32);
  for (const Symbol& s : table.symbols) {
    fmt::format_to(std::back_inserter(out), "{:#010x} {} {}\n", s.value, TypeLetter(s.type), s.name);
  }
  return out;
}

}  // namespace clearbox::unpack::vxworks
