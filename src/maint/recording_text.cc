// Exact session bytes inside asciicast's JSON strings.
//
// A JSON string holds Unicode text; a session holds bytes (a binary written by cat, a
// character split by a read, Latin-1 from an old tool). asciinema itself replaces invalid
// UTF-8 by U+FFFD and loses the bytes; an audit record must not. Valid UTF-8 is written as
// itself; every other byte b becomes U+10FF00+b, a private-use code point: valid UTF-8 that
// any player prints (as a placeholder glyph), and that TextToBytes turns back into b. A
// genuine U+10FFxx in the session is written as its four bytes mapped one by one, so the
// mapping stays one-to-one. This escaper is hand-written because no JSON library does this
// mapping, and it is the recorder's hot path (every byte of the session goes through it).
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <array>
#include <cstring>

#include "clearbox/maint/recording.h"
#include "recording_internal.h"

namespace clearbox::maint {
namespace {

// Length of the UTF-8 sequence starting at p[0] if it is complete and valid; 0 if it is
// invalid; -1 if it is a valid but incomplete prefix (the data ends inside it).
int Utf8Length(const uint8_t* p, size_t n) {
  uint8_t c = p[0];
  int len;
  uint8_t lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  for (int i = 1; i < len; ++i) {
    if (size_t(i) >= n) return -1;
    uint8_t lo_i = i == 1 ? lo : 0x80, hi_i = i == 1 ? hi : 0xBF;
    if (p[i] < lo_i || p[i] > hi_i) return 0;
  }
  return len;
}

// U+10FF00..U+10FFFF in UTF-8: F4 8F BC..BF 80..BF.
bool IsEscapeCodePoint(const uint8_t* p) {
  return p[0] == 0xF4 && p[1] == 0x8F && p[2] >= 0xBC && p[2] <= 0xBF;
}

void AppendMapped(std::string& out, uint8_t b) {
  char e[4] = {char(0xF4), char(0x8F), char(0xBC | (b >> 6)), char(0x80 | (b & 0x3F))};
  out.append(e, 4);
}

// Bytes that may appear in a JSON string as themselves (ASCII part).
constexpr std::array<bool, 128> MakePlainTable() {
  std::array<bool, 128> t{};
  for (int c = 0x20; c < 0x80; ++c) t[c] = c != '"' && c != '\\';
  return t;
}
constexpr std::array<bool, 128> kPlain = MakePlainTable();

// How many bytes from p on need no escaping: ASCII, and for JSON not '"', '\\' or a control
// character. Sixteen at a time where SSE2 is there (every x86-64): a session is mostly such
// runs, and this scan was a fifth of the recorder's time.
size_t PlainPrefix(const uint8_t* p, size_t n, bool json) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i below_space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'),
                backslash = _mm_set1_epi8('\\');
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // Signed compare: bytes >= 0x80 are negative, so "< 0x20" also catches them.
    __m128i stop = json ? _mm_or_si128(_mm_cmplt_epi8(v, below_space),
                                       _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                    _mm_cmpeq_epi8(v, backslash)))
                        : v;  // only the top bit matters to movemask
    if (int mask = _mm_movemask_epi8(stop)) return i + size_t(__builtin_ctz(mask));
  }
#endif
  while (i < n && p[i] < 0x80 && (!json || kPlain[p[i]])) ++i;
  return i;
}

// Shared by BytesToText (json=false) and AppendJsonText (json=true).
size_t Append(std::string& out, ByteView data, bool final, bool json) {
  const uint8_t* p = data.data();
  size_t n = data.size(), i = 0;
  while (i < n) {
    size_t run = i + PlainPrefix(p + i, n - i, json);
    if (run > i) {
      out.append(reinterpret_cast<const char*>(p + i), run - i);
      i = run;
      if (i == n) break;
    }
    uint8_t c = p[i];
    if (c < 0x80) {  // json only: a character JSON needs escaped
      static constexpr char kHex[] = "0123456789abcdef";
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default: {
          char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          out.append(u, 6);
        }
      }
      ++i;
      continue;
    }
    int len = Utf8Length(p + i, n - i);
    if (len < 0) {
      if (!final) return i;  // wait for the rest of the character
      len = 0;
    }
    if (len == 0 || (len == 4 && IsEscapeCodePoint(p + i))) {
      int count = len == 0 ? 1 : len;
      for (int k = 0; k < count; ++k) AppendMapped(out, p[i + k]);
      i += count;
      continue;
    }
    out.append(reinterpret_cast<const char*>(p + i), len);
    i += len;
  }
  return n;
}

}  // namespace

namespace internal {
size_t AppendJsonText(std::string& out, ByteView data, bool final) {
  return Append(out, data, final, true);
}
}  // namespace internal

std::string BytesToText(ByteView data) {
  std::string out;
  out.reserve(data.size());
  Append(out, data, true, false);
  return out;
}

Bytes TextToBytes(std::string_view text) {
  Bytes out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  size_t n = text.size();
  for (size_t i = 0; i < n;) {
    if (p[i] == 0xF4 && n - i >= 4 && IsEscapeCodePoint(p + i) && (p[i + 3] & 0xC0) == 0x80) {
      out.push_back(uint8_t((p[i + 2] & 0x03) << 6 | (p[i + 3] & 0x3F)));
      i += 4;
    } else {
      out.push_back(p[i++]);
    }
  }
  return out;
}

}  // namespace clearbox::maint
