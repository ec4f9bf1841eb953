// The YANG value types of a MUD profile (mud_internal.h), and the small value methods of
// mud.h (ports, prefixes, the authority, DNS name normalisation).
#include <arpa/inet.h>

#include <cctype>
#include <cstring>

#include "mud_internal.h"

namespace clearbox::watch {

bool MudPortMatch::Matches(uint16_t p) const {
  switch (op) {
    case Op::kEq:
      return p == port;
    case Op::kNeq:
      return p != port;
    case Op::kLte:
      return p <= port;
    case Op::kGte:
      return p >= port;
    case Op::kRange:
      return p >= port && p <= upper;
  }
  return false;
}

bool MudPrefix::Contains(int fam, const std::array<uint8_t, 16>& ip) const {
  if (fam != family) return false;
  int full = length / 8;
  for (int i = 0; i < full; ++i) {
    if (ip[i] != addr[i]) return false;
  }
  int rest = length % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (ip[full] & mask) == (addr[full] & mask);
}

std::string MudProfile::Authority() const { return internal::HttpsHost(mud_url); }

std::string NormalizeDnsName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace internal {

std::optional<IpAddress> ParseIp(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;  // INET6_ADDRSTRLEN - 1
  std::string s(text);
  IpAddress ip;
  if (s.find(':') == std::string::npos) {
    in_addr a{};
    if (inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
    std::memcpy(ip.bytes.data(), &a, 4);
    ip.family = 4;
  } else {
    in6_addr a{};
    if (inet_pton(AF_INET6, s.c_str(), &a) != 1) return std::nullopt;
    std::memcpy(ip.bytes.data(), &a, 16);
    ip.family = 6;
  }
  return ip;
}

std::optional<MudPrefix> ParsePrefix(std::string_view text, int family) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::optional<IpAddress> ip = ParseIp(text.substr(0, slash));
  if (!ip || ip->family != family) return std::nullopt;
  std::string_view len = text.substr(slash + 1);
  if (len.empty() || len.size() > 3) return std::nullopt;
  int n = 0;
  for (char c : len) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n > (family == 4 ? 32 : 128)) return std::nullopt;
  MudPrefix p;
  p.family = family;
  p.addr = ip->bytes;
  p.length = n;
  p.text = std::string(text);
  return p;
}

bool IsDnsName(std::string_view s, bool allow_wildcard) {
  if (allow_wildcard && s.size() > 2 && s.substr(0, 2) == "*.") s.remove_prefix(2);
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (label == 0 || label > 63) return false;
      if (s[i - 1] == '-' || s[i - label] == '-') return false;
      label = 0;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!std::isalnum(c) && c != '-' && c != '_') return false;
    ++label;
  }
  return true;
}

bool IsUri(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (size_t i = 0; i < colon; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return colon + 1 < s.size();
}

std::string HttpsHost(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.size() <= kScheme.size()) return "";
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(url[i])) != kScheme[i]) return "";
  }
  std::string_view rest = url.substr(kScheme.size());
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (!authority.empty() && authority.front() == '[') {  // an IPv6 literal
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return "";
    return NormalizeDnsName(authority.substr(1, close - 1));
  }
  authority = authority.substr(0, authority.find(':'));
  if (!IsDnsName(authority, false)) return "";
  return NormalizeDnsName(authority);
}

namespace {

bool Digits(std::string_view s, size_t at, size_t n) {
  if (at + n > s.size()) return false;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

}  // namespace

bool IsDateAndTime(std::string_view s) {
  // YYYY-MM-DDThh:mm:ss
  if (!Digits(s, 0, 4) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2) || s[7] != '-' ||
      !Digits(s, 8, 2) || (s[10] != 'T' && s[10] != 't') || !Digits(s, 11, 2) ||
      s[13] != ':' || !Digits(s, 14, 2) || s[16] != ':' || !Digits(s, 17, 2)) {
    return false;
  }
  int month = (s[5] - '0') * 10 + (s[6] - '0');
  int day = (s[8] - '0') * 10 + (s[9] - '0');
  int hour = (s[11] - '0') * 10 + (s[12] - '0');
  int minute = (s[14] - '0') * 10 + (s[15] - '0');
  int second = (s[17] - '0') * 10 + (s[18] - '0');
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60) {
    return false;
  }
  size_t i = 19;
  if (s[i] == '.') {
    size_t start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  std::string_view zone = s.substr(i);
  if (zone == "Z" || zone == "z") return true;
  return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && Digits(zone, 1, 2) &&
         zone[3] == ':' && Digits(zone, 4, 2);
}

std::optional<std::string> NormalizeMac(std::string_view s) {
  if (s.size() != 17) return std::nullopt;
  std::string out(s);
  for (size_t i = 0; i < out.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(out[i]);
    if (i % 3 == 2) {
      if (c != ':') return std::nullopt;
    } else {
      if (!std::isxdigit(c)) return std::nullopt;
      out[i] = static_cast<char>(std::tolower(c));
    }
  }
  return out;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
  }
  return n;
}

bool DnsNameMatches(std::string_view pattern, std::string_view name) {
  if (pattern.size() > 2 && pattern.substr(0, 2) == "*.") {
    std::string_view domain = pattern.substr(1);  // ".domain"
    return name.size() > domain.size() && name.substr(name.size() - domain.size()) == domain;
  }
  return pattern == name;
}

}  // namespace internal
}  // namespace clearbox::watch
