// RFC 3339 UTC timestamps (include/clearbox/core/utc_time.h).
#include "clearbox/core/utc_time.h"

#include <cstdio>
#include <ctime>

namespace clearbox {
namespace {

constexpr int64_t kLastSecond = 253402300799;  // 9999-12-31T23:59:59Z

std::string Format(int64_t seconds, const char* fraction) {
  time_t t = time_t(seconds > kLastSecond ? kLastSecond : seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
  return buf;
}

// Digits [pos, pos+len) of text as a number, or -1.
int Digits(std::string_view text, size_t pos, size_t len) {
  int out = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    out = out * 10 + (text[i] - '0');
  }
  return out;
}

// "YYYY-MM-DDTHH:MM:SS" at the start of text, as seconds since the epoch, or -1.
int64_t DateTime(std::string_view text) {
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
      text[13] != ':' || text[16] != ':') {
    return -1;
  }
  int y = Digits(text, 0, 4), mo = Digits(text, 5, 2), d = Digits(text, 8, 2);
  int h = Digits(text, 11, 2), mi = Digits(text, 14, 2), s = Digits(text, 17, 2);
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h < 0 || h > 23 ||
      mi < 0 || mi > 59 || s < 0 || s > 59) {
    return -1;
  }
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return -1;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return int64_t(timegm(&tm));
}

Error NotUtc(std::string_view text, const char* form) {
  std::string shown(text.substr(0, 40));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return Error::InvalidInput("\"" + shown + (text.size() > 40 ? "...\"" : "\"") +
                             " is not a UTC time " + form);
}

}  // namespace

std::string FormatUtcSeconds(int64_t seconds) { return Format(seconds, ""); }

std::string FormatUtcMicros(int64_t micros) {
  int64_t seconds = micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000;
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%06d", int(micros - seconds * 1000000));
  return Format(seconds, fraction);
}

Result<int64_t> ParseUtcSeconds(std::string_view text) {
  int64_t t = text.size() == 20 && text[19] == 'Z' ? DateTime(text) : -1;
  if (t < 0) return NotUtc(text, "YYYY-MM-DDTHH:MM:SSZ");
  return t;
}

Result<int64_t> ParseUtcMicros(std::string_view text) {
  int64_t t = text.size() == 27 && text[19] == '.' && text[26] == 'Z' ? DateTime(text) : -1;
  int us = t < 0 ? -1 : Digits(text, 20, 6);
  if (us < 0) return NotUtc(text, "YYYY-MM-DDTHH:MM:SS.ffffffZ");
  return t * 1000000 + us;
}

}  // namespace clearbox
