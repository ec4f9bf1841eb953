#include "ecos.h"

#include <cstring>
#include <string_view>

namespace clearbox::unpack::ecos {
namespace {

constexpr size_t kMaxBanner = 120;

struct Pattern {
  std::string_view magic;  // mfc0 k0,Cause; [nop;] andi k0,k0,0x7F
  bool big_endian;
};

constexpr Pattern kPatterns[] = {
    {std::string_view("\x40\x1a\x68\x00\x00\x00\x00\x00\x33\x5a\x00\x7f", 12), true},
    {std::string_view("\x40\x1a\x68\x00\x33\x5a\x00\x7f", 8), true},
    {std::string_view("\x00\x68\x1a\x40\x00\x00\x00\x00\x7f\x00\x5a\x33", 12), false},
    {std::string_view("\x00\x68\x1a\x40\x7f\x00\x5a\x33", 8), false},
};

bool StartsWith(ByteView data, std::string_view prefix) {
  return data.size() >= prefix.size() && std::memcmp(data.data(), prefix.data(), prefix.size()) == 0;
}

}  // namespace

std::optional<ExceptionHandler> ReadExceptionHandler(ByteView data) {
  for (const Pattern& p : kPatterns) {
    const size_t at = p.magic.size();  // lui k1,HI then addiu k1,k1,LO
    if (!StartsWith(data, p.magic) || !FitsIn(data, at, 8)) continue;
    const uint32_t lui = p.big_endian ? LoadBE32(data.data() + at) : LoadLE32(data.data() + at);
    const uint32_t addiu =
        p.big_endian ? LoadBE32(data.data() + at + 4) : LoadLE32(data.data() + at + 4);
    if ((lui >> 16) != 0x3c1b || (addiu >> 16) != 0x277b) continue;
    ExceptionHandler h;
    h.big_endian = p.big_endian;
    // addiu sign-extends its immediate.
    h.vector_table = ((lui & 0xffff) << 16) + static_cast<uint32_t>(static_cast<int16_t>(addiu));
    h.length = at + 8;
    return h;
  }
  return std::nullopt;
}

std::optional<Banner> ReadBanner(ByteView data) {
  static constexpr std::string_view kStarts[] = {"eCos Release", "RedBoot(tm) bootstrap"};
  bool known = false;
  for (std::string_view s : kStarts) known |= StartsWith(data, s);
  if (!known) return std::nullopt;
  size_t n = 0;
  while (n < data.size() && n < kMaxBanner && data[n] >= 0x20 && data[n] < 0x7f) ++n;
  Banner b;
  b.text.assign(reinterpret_cast<const char*>(data.data()), n);
  b.length = n;
  // "eCos Release: 3.0.1" or RedBoot's "... version v2_0 - built ...".
  std::string_view t = b.text;
  size_t v = t.find("version ");
  if (v != std::string_view::npos) {
    t.remove_prefix(v + 8);
  } else if (size_t colon = t.find(": "); colon != std::string_view::npos) {
    t.remove_prefix(colon + 2);
  } else {
    t = {};
  }
  size_t end = 0;
  while (end < t.size() && t[end] != ' ' && t[end] != ',' && t[end] != '\n') ++end;
  std::string_view version = t.substr(0, end);
  // A format ("%d.%d.%d") or a placeholder ("UNKNOWN") names no version.
  if (!version.empty() && version.find('%') == std::string_view::npos &&
      version.find_first_of("0123456789") != std::string_view::npos) {
    b.version = std::string(version);
  }
  return b;
}

}  // namespace clearbox::unpack::ecos
