// The endpoint extractor and the special-range tables (endpoints.h).
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <map>
#include <set>

#include "endpoints.h"

namespace clearbox::audit::internal {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}
bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The ISO 3166 country codes that are delegated top-level domains, and the generic domains
// accepted in a URL's host.
constexpr std::string_view kCountryTlds =
    "ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo bq "
    "br bs bt bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do "
    "dz ec ee eg er es et eu fi fj fk fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu "
    "gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr "
    "kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt "
    "mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps "
    "pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz "
    "tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf "
    "ws ye yt za zm zw";
constexpr std::string_view kGenericTlds =
    "com net org info biz gov edu mil int arpa name pro mobi asia tel travel jobs aero coop "
    "museum cloud xyz top online site tech store shop vip club app dev page live link space "
    "website icu work fun host press digital network systems services support security "
    "solutions media global world today email";
// Top-level domains a bare name (no scheme) may end with: the common ones that are not
// also file extensions (.so, .sh, .py, .pl, .md, .in, .cc, .rs, ...) or code words.
constexpr std::string_view kBareTlds =
    "com net org info biz gov edu mil int cn ru de uk jp kr tw hk eu fr nl br au ca us ch se es "
    "cz vn sg tr ir za mx cloud xyz top online site tech";

std::set<std::string_view> WordSet(std::string_view words) {
  std::set<std::string_view> out;
  size_t i = 0;
  while (i < words.size()) {
    size_t j = words.find(' ', i);
    if (j == std::string_view::npos) j = words.size();
    if (j > i) out.insert(words.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

const std::set<std::string_view>& KnownTlds() {
  static const std::set<std::string_view> tlds = [] {
    std::set<std::string_view> s = WordSet(kCountryTlds);
    for (std::string_view g : WordSet(kGenericTlds)) s.insert(g);
    return s;
  }();
  return tlds;
}
const std::set<std::string_view>& BareTlds() {
  static const std::set<std::string_view> tlds = WordSet(kBareTlds);
  return tlds;
}

std::optional<uint32_t> ParseIpv4(std::string_view s) {
  uint32_t value = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    size_t start = i;
    uint32_t octet = 0;
    while (i < s.size() && IsDigit(s[i]) && i - start < 3) octet = octet * 10 + (s[i++] - '0');
    size_t len = i - start;
    if (len == 0 || octet > 255 || (len > 1 && s[start] == '0')) return std::nullopt;
    value = (value << 8) | octet;
    ++parts;
    if (parts < 4) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != s.size()) return std::nullopt;
  return value;
}

bool InV4(uint32_t a, uint32_t net, int bits) {
  uint32_t mask = bits == 0 ? 0 : ~uint32_t(0) << (32 - bits);
  return (a & mask) == (net & mask);
}
constexpr uint32_t V4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

bool IsSpecialIpv4(uint32_t a) {
  struct Range {
    uint32_t net;
    int bits;
  };
  static constexpr Range kRanges[] = {
      {V4(0, 0, 0, 0), 8},       {V4(10, 0, 0, 0), 8},     {V4(100, 64, 0, 0), 10},
      {V4(127, 0, 0, 0), 8},     {V4(169, 254, 0, 0), 16}, {V4(172, 16, 0, 0), 12},
      {V4(192, 0, 0, 0), 24},    {V4(192, 0, 2, 0), 24},   {V4(192, 88, 99, 0), 24},
      {V4(192, 168, 0, 0), 16},  {V4(198, 18, 0, 0), 15},  {V4(198, 51, 100, 0), 24},
      {V4(203, 0, 113, 0), 24},  {V4(224, 0, 0, 0), 4},    {V4(240, 0, 0, 0), 4},
  };
  return std::any_of(std::begin(kRanges), std::end(kRanges),
                     [a](const Range& r) { return InV4(a, r.net, r.bits); });
}

bool IsSpecialIpv6(const std::array<uint8_t, 16>& b) {
  static constexpr std::array<uint8_t, 16> kZero{};
  std::array<uint8_t, 16> loopback{};
  loopback[15] = 1;
  if (b == kZero || b == loopback) return true;
  if ((b[0] & 0xfe) == 0xfc) return true;                     // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;     // fe80::/10 link-local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;     // fec0::/10 site-local
  if (b[0] == 0xff) return true;                              // multicast
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return true;  // doc
  if (b[0] == 0x01 && std::all_of(b.begin() + 1, b.begin() + 8, [](uint8_t x) { return !x; })) {
    return true;  // 100::/64 discard
  }
  // IPv4-mapped and -compatible: judged as the IPv4 address.
  bool mapped = std::all_of(b.begin(), b.begin() + 10, [](uint8_t x) { return !x; }) &&
                ((b[10] == 0xff && b[11] == 0xff) || (b[10] == 0 && b[11] == 0));
  if (mapped) return IsSpecialIpv4(V4(b[12], b[13], b[14], b[15]));
  return false;
}

std::optional<std::array<uint8_t, 16>> ParseIpv6(std::string_view s) {
  if (s.size() < 2 || s.size() > 45) return std::nullopt;
  char buf[46];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  std::array<uint8_t, 16> out{};
  if (inet_pton(AF_INET6, buf, out.data()) != 1) return std::nullopt;
  return out;
}

// A dotted quad written as a version: the word just before it names one ("version 1.2.3.4",
// "VERSION=1.2.3.4", "fw_ver: 1.0.0.1", "Release 2.6.32.1").
bool FollowsVersionWord(std::string_view text, size_t at) {
  size_t i = at;
  size_t skipped = 0;
  while (i > 0 && skipped < 4 &&
         (text[i - 1] == ' ' || text[i - 1] == '=' || text[i - 1] == ':' ||
          text[i - 1] == '"' || text[i - 1] == '\'' || text[i - 1] == '\t')) {
    --i;
    ++skipped;
  }
  size_t end = i;
  while (i > 0 && end - i < 32 && (IsAlnum(text[i - 1]) || text[i - 1] == '_' ||
                                   text[i - 1] == '-' || text[i - 1] == '.')) {
    --i;
  }
  std::string word = ToLower(text.substr(i, end - i));
  // The last part of "fw_ver", "sw-version", "Linux": "server" is not a version word.
  size_t cut = word.find_last_of("_.-");
  std::string last = cut == std::string::npos ? word : word.substr(cut + 1);
  for (std::string_view w : {"version", "ver", "vers", "rev", "revision", "release", "build",
                             "firmware", "kernel", "linux", "fw", "sw", "hw", "v", "r"}) {
    if (last == w) return true;
  }
  return false;
}

bool ValidLabel(std::string_view label, bool lower_only) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return false;
  }
  for (char c : label) {
    if (!(IsAlnum(c) || c == '-')) return false;
    if (lower_only && c >= 'A' && c <= 'Z') return false;
  }
  return true;
}

std::vector<std::string_view> SplitLabels(std::string_view name) {
  std::vector<std::string_view> labels;
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('.', i);
    if (j == std::string_view::npos) j = name.size();
    labels.push_back(name.substr(i, j - i));
    i = j + 1;
  }
  return labels;
}

// A host name: two labels or more, valid labels, a top-level domain from `tlds`.
bool LooksLikeHostName(std::string_view name, bool lower_only, bool bare) {
  if (name.size() < 4 || name.size() > 253) return false;
  std::vector<std::string_view> labels = SplitLabels(name);
  if (labels.size() < 2) return false;
  for (std::string_view l : labels) {
    if (!ValidLabel(l, lower_only)) return false;
  }
  std::string tld = ToLower(labels.back());
  if (!std::all_of(tld.begin(), tld.end(), IsAlpha)) return false;
  if (bare) {
    if (!BareTlds().count(tld)) return false;
    // Reverse-DNS identifiers (Java packages, D-Bus names): "com.vendor.app".
    std::string first = ToLower(labels.front());
    if (labels.size() >= 3 && KnownTlds().count(first) && first.size() == 3) return false;
    // A name needs a label that reads as one, not "a.b.com" of code.
    if (std::none_of(labels.begin(), labels.end() - 1,
                     [](std::string_view l) { return l.size() >= 2; })) {
      return false;
    }
    return true;
  }
  return IsKnownTld(tld);
}

// ASN.1 object identifiers that happen to have four arcs ("X25519:1.3.101.110" in
// libcrypto): the ISO member-body (1.2), identified-organization (1.3) and X.500 (2.5) arcs.
bool LooksLikeOid(std::string_view quad) {
  return quad.substr(0, 4) == "1.2." || quad.substr(0, 4) == "1.3." || quad.substr(0, 4) == "2.5.";
}

// "label.cc": two labels, the second a two-letter country code.
bool BareCountryCodePair(std::string_view name) {
  size_t dot = name.find('.');
  return dot != std::string_view::npos && name.find('.', dot + 1) == std::string_view::npos &&
         name.size() - dot - 1 == 2;
}

constexpr std::string_view kSchemes[] = {"http",  "https", "ftp",   "ftps",  "tftp", "sftp",
                                         "ws",    "wss",   "mqtt",  "mqtts", "coap", "coaps",
                                         "rtsp",  "ssh",   "telnet", "ldap", "ldaps", "smtp",
                                         "smtps", "ntp",   "udp",   "tcp",   "sip",  "sips"};

// Bounds what one hostile input can produce.
constexpr size_t kMaxHits = 4096;

bool HostChar(char c) { return IsAlnum(c) || c == '.' || c == '-'; }

class Extractor {
 public:
  Extractor(std::string_view text, ExtractMode mode) : text_(text), mode_(mode) {}

  std::vector<EndpointHit> Run() {
    Urls();
    Names();
    Ipv6();
    std::sort(hits_.begin(), hits_.end(),
              [](const EndpointHit& a, const EndpointHit& b) { return a.offset < b.offset; });
    return std::move(hits_);
  }

 private:
  // Ranges never overlap (a run is skipped when its start is covered): the one starting at
  // or before `at` decides.
  bool Covered(size_t at) const {
    auto it = covered_.upper_bound(at);
    if (it == covered_.begin()) return false;
    --it;
    return at < it->second;
  }

  void Urls() {
    size_t pos = 0;
    while ((pos = text_.find("://", pos)) != std::string_view::npos) {
      size_t scheme_end = pos;
      size_t s = pos;
      while (s > 0 && scheme_end - s < 8 && IsAlpha(text_[s - 1])) --s;
      std::string scheme = ToLower(text_.substr(s, scheme_end - s));
      pos += 3;
      if (std::find(std::begin(kSchemes), std::end(kSchemes), scheme) == std::end(kSchemes)) {
        continue;
      }
      // The authority: up to the path, query, fragment or a delimiter.
      size_t a = pos;
      size_t end = a;
      while (end < text_.size() && end - a < 512 &&
             std::string_view("/?#\"'<>()[]{} \t\r\n\\,;|`").find(text_[end]) ==
                 std::string_view::npos) {
        ++end;
      }
      size_t host_begin = a;
      bool ipv6 = false;
      if (a < text_.size() && text_[a] == '[') {  // [2001:db8::1]:8080
        size_t close = text_.find(']', a);
        if (close == std::string_view::npos || close - a > 47) continue;
        host_begin = a + 1;
        end = close;
        ipv6 = true;
      } else {
        std::string_view authority = text_.substr(a, end - a);
        size_t at = authority.rfind('@');
        if (at != std::string_view::npos) host_begin = a + at + 1;
        size_t colon = text_.substr(host_begin, end - host_begin).find(':');
        if (colon != std::string_view::npos) end = host_begin + colon;
      }
      std::string_view host = text_.substr(host_begin, end - host_begin);
      if (host.empty()) continue;
      if (ipv6) {
        if (ParseIpv6(host)) Add(std::string(host), true, true, host_begin, end);
      } else if (ParseIpv4(host)) {
        Add(std::string(host), true, true, host_begin, end);
      } else if (LooksLikeHostName(host, false, false)) {
        Add(ToLower(host), false, true, host_begin, end);
      }
      Cover(s, std::max(end, pos));
    }
  }

  // Maximal runs of [A-Za-z0-9.-]: dotted quads and bare host names.
  void Names() {
    size_t i = 0;
    const size_t n = text_.size();
    while (i < n) {
      if (!HostChar(text_[i])) {
        ++i;
        continue;
      }
      size_t start = i;
      while (i < n && HostChar(text_[i])) ++i;
      size_t end = i;
      // Sentence punctuation after a name ("see update.vendor.com.").
      while (end > start && (text_[end - 1] == '.' || text_[end - 1] == '-')) --end;
      if (end <= start || Covered(start)) continue;
      char before = start > 0 ? text_[start - 1] : ' ';
      char after = end < n ? text_[end] : ' ';
      // Part of a path, an identifier, an e-mail address or a longer token; "user@host:path"
      // (scp, rsync) names a host.
      if (before == '@' && after == ':') {
        // fall through
      } else if (before == '/' || before == '@' || before == '_' || before == '$' || before == '%' ||
          before == '\\' || after == '_' || after == '@' || after == '(') {
        continue;
      }
      std::string_view token = text_.substr(start, end - start);
      if (token.find('.') == std::string_view::npos) continue;
      if (ParseIpv4(token)) {
        if (after == '.' && end + 1 < n && IsDigit(text_[end + 1])) continue;
        if (FollowsVersionWord(text_, start)) continue;
        if (mode_ == ExtractMode::kBinaryString && LooksLikeOid(token)) continue;
        Add(std::string(token), true, false, start, end);
        continue;
      }
      if (after == '/' && mode_ == ExtractMode::kBinaryString) continue;  // "x.com/" is fine in text
      // In a binary, "value.ir" or "hdr.cr" is a field name far more often than a host: a
      // bare name there needs three labels or a generic top-level domain.
      if (mode_ == ExtractMode::kBinaryString && BareCountryCodePair(token)) continue;
      if (LooksLikeHostName(token, true, true)) {
        Add(ToLower(token), false, false, start, end);
      }
    }
  }

  // Bare IPv6 addresses: runs of hex digits, ':' and '.', not touching an identifier.
  void Ipv6() {
    size_t i = 0;
    const size_t n = text_.size();
    while (i < n) {
      char c = text_[i];
      if (!(IsHex(c) || c == ':')) {
        ++i;
        continue;
      }
      size_t start = i;
      while (i < n && (IsHex(text_[i]) || text_[i] == ':' || text_[i] == '.')) ++i;
      size_t end = i;
      char before = start > 0 ? text_[start - 1] : ' ';
      char after = end < n ? text_[end] : ' ';
      if (IsAlnum(before) || before == '_' || IsAlnum(after) || after == '_' || Covered(start)) {
        continue;
      }
      std::string_view token = text_.substr(start, end - start);
      size_t colons = std::count(token.begin(), token.end(), ':');
      if (colons < 2 || token.size() < 6) continue;
      // At least three groups and a digit: "dead::beef" and "a::b" are words, not addresses.
      size_t groups = 0;
      for (std::string_view g : SplitOn(token, ':')) groups += g.empty() ? 0 : 1;
      if (groups < 3 || std::none_of(token.begin(), token.end(), IsDigit)) continue;
      if (ParseIpv6(token)) Add(std::string(token), true, false, start, end);
    }
  }

  static std::vector<std::string_view> SplitOn(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i <= s.size()) {
      size_t j = s.find(sep, i);
      if (j == std::string_view::npos) j = s.size();
      out.push_back(s.substr(i, j - i));
      i = j + 1;
    }
    return out;
  }

  void Add(std::string host, bool address, bool in_url, size_t begin, size_t end) {
    if (hits_.size() < kMaxHits) hits_.push_back({std::move(host), address, in_url, begin});
    Cover(begin, end);
  }
  void Cover(size_t begin, size_t end) {
    auto [it, fresh] = covered_.emplace(begin, end);
    if (!fresh) it->second = std::max(it->second, end);
  }

  std::string_view text_;
  ExtractMode mode_;
  std::vector<EndpointHit> hits_;
  std::map<size_t, size_t> covered_;  // begin -> end of text already taken
};

}  // namespace

bool IsKnownTld(std::string_view tld) { return KnownTlds().count(tld) != 0; }

std::vector<EndpointHit> ExtractEndpoints(std::string_view text, ExtractMode mode) {
  return Extractor(text, mode).Run();
}

bool IsSpecialHost(std::string_view host) {
  if (auto v4 = ParseIpv4(host)) {
    if (*v4 == V4(255, 255, 255, 255)) return true;
    return IsSpecialIpv4(*v4);
  }
  if (host.find(':') != std::string_view::npos) {
    auto v6 = ParseIpv6(host);
    return !v6 || IsSpecialIpv6(*v6);
  }
  std::string name = ToLower(host);
  if (name == "localhost") return true;
  for (std::string_view doc : {"example.com", "example.net", "example.org"}) {
    if (name == doc || EndsWith(name, "." + std::string(doc))) return true;
  }
  for (std::string_view suffix : {".example", ".test", ".invalid", ".localhost", ".local",
                                  ".lan", ".home.arpa", ".internal", ".localdomain", ".arpa"}) {
    if (EndsWith(name, suffix)) return true;
  }
  return false;
}

std::string_view StripShellComment(std::string_view line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t' ||
                            line[i - 1] == ';')) {
      return line.substr(0, i);
    }
  }
  return line;
}

namespace {

// The words of a command line (quotes removed, no expansion), up to a bound.
std::vector<std::string> Words(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  char quote = 0;
  bool in_word = false;
  for (char c : line) {
    if (out.size() >= 256) break;
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        cur.push_back(c);
      }
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == ';' || c == '|' || c == '&') {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      if (c == '|' || c == ';' || c == '&') out.push_back(std::string(1, c));
    } else {
      cur.push_back(c);
      in_word = true;
    }
  }
  if (in_word) out.push_back(std::move(cur));
  return out;
}

std::string_view BaseName(std::string_view word) {
  size_t slash = word.rfind('/');
  return slash == std::string_view::npos ? word : word.substr(slash + 1);
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Local data worth a finding: a file reference, system state, or a command's output.
bool NamesLocalData(std::string_view s) {
  for (std::string_view marker : {"/proc/", "/etc/", "/sys/", "/var/", "/tmp/", "/dev/",
                                  "/root/", "/home/", "/data/", "/mnt/", "$(", "`"}) {
    if (s.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

std::string Curl(const std::vector<std::string>& w, size_t i) {
  for (size_t j = i + 1; j < w.size() && w[j] != "|" && w[j] != ";"; ++j) {
    const std::string& a = w[j];
    std::string value = j + 1 < w.size() ? w[j + 1] : "";
    auto opt = [&](std::string_view name, std::string* v) {
      if (a == name) {
        *v = value;
        return true;
      }
      if (StartsWith(a, std::string(name) + "=")) {
        *v = a.substr(name.size() + 1);
        return true;
      }
      if (name.size() == 2 && StartsWith(a, name) && a.size() > 2) {  // -d@file
        *v = a.substr(2);
        return true;
      }
      return false;
    };
    std::string v;
    for (std::string_view o : {"-d", "--data", "--data-binary", "--data-raw", "--data-ascii",
                               "--data-urlencode", "--json"}) {
      if (opt(o, &v) && (v.find('@') != std::string::npos || NamesLocalData(v))) {
        return "curl posts local data (" + std::string(o) + " " + v.substr(0, 64) + ")";
      }
    }
    for (std::string_view o : {"-F", "--form"}) {
      if (opt(o, &v) && (v.find("=@") != std::string::npos || v.find("=<") != std::string::npos ||
                         NamesLocalData(v))) {
        return "curl uploads a file (" + std::string(o) + " " + v.substr(0, 64) + ")";
      }
    }
    for (std::string_view o : {"-T", "--upload-file"}) {
      if (opt(o, &v) && !v.empty()) {
        return "curl uploads a file (" + std::string(o) + " " + v.substr(0, 64) + ")";
      }
    }
  }
  return {};
}

std::string Wget(const std::vector<std::string>& w, size_t i) {
  for (size_t j = i + 1; j < w.size() && w[j] != "|" && w[j] != ";"; ++j) {
    const std::string& a = w[j];
    if (StartsWith(a, "--post-file") || StartsWith(a, "--body-file")) {
      return "wget posts a file (" + a.substr(0, 64) + ")";
    }
    if (StartsWith(a, "--post-data") || StartsWith(a, "--body-data")) {
      std::string v = a.find('=') != std::string::npos
                          ? a.substr(a.find('=') + 1)
                          : (j + 1 < w.size() ? w[j + 1] : "");
      if (NamesLocalData(v)) return "wget posts local data (" + a.substr(0, 64) + ")";
    }
  }
  return {};
}

}  // namespace

std::string DescribeExfiltration(std::string_view full_line) {
  std::string_view line = StripShellComment(full_line);
  std::vector<std::string> w = Words(line);
  bool piped_in = false;  // a command's output flows into this one
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] == "|") {
      piped_in = true;
      continue;
    }
    if (w[i] == ";" || w[i] == "&") {
      piped_in = false;
      continue;
    }
    std::string_view cmd = BaseName(w[i]);
    if (cmd == "curl") {
      std::string d = Curl(w, i);
      if (!d.empty()) return d;
    } else if (cmd == "wget") {
      std::string d = Wget(w, i);
      if (!d.empty()) return d;
    } else if (cmd == "nc" || cmd == "netcat" || cmd == "ncat" || cmd == "socat") {
      // "nc HOST PORT < file", "cat file | nc HOST PORT"
      bool redirect_in = false;
      for (size_t j = i + 1; j < w.size() && w[j] != "|" && w[j] != ";"; ++j) {
        if (StartsWith(w[j], "<") && w[j] != "<<") redirect_in = true;
        if (w[j] == "-l" || StartsWith(w[j], "-lp") || w[j] == "-L") {
          redirect_in = false;  // a listener is a service (CB-SVC), not an upload
          piped_in = false;
          break;
        }
      }
      if (redirect_in) return std::string(cmd) + " sends a file's content (< file)";
      if (piped_in && NamesLocalData(line)) {
        return std::string(cmd) + " sends local data piped into it";
      }
    } else if (cmd == "tftp") {
      // busybox: tftp -p -l FILE HOST; tftp-hpa: tftp HOST -c put FILE
      for (size_t j = i + 1; j < w.size() && w[j] != "|" && w[j] != ";"; ++j) {
        if (w[j] == "-p" || w[j] == "put" || StartsWith(w[j], "-pl") || w[j] == "--put") {
          return "tftp puts a file";
        }
      }
    } else if (cmd == "ftpput") {
      return "ftpput uploads a file";
    } else if (cmd == "scp" || cmd == "rsync") {
      // A remote destination (user@host:path) after a local source.
      for (size_t j = i + 2; j < w.size() && w[j] != "|" && w[j] != ";"; ++j) {
        if (w[j].find(':') != std::string::npos && w[j - 1][0] != '-' && w[j][0] != '-') {
          return std::string(cmd) + " copies a local file to a remote host";
        }
      }
    }
  }
  return {};
}

bool IsProseString(std::string_view s) {
  // "<http://www.debian.org/Bugs/>": a URL set off for a reader (RFC 3986 appendix C).
  std::string_view sentence = s;
  while (!sentence.empty() && std::string_view(".,;:").find(sentence.back()) != sentence.npos) {
    sentence.remove_suffix(1);
  }
  if (sentence.size() > 2 && sentence.front() == '<' && sentence.back() == '>') return true;
  if (s.find_first_of(" \t") == std::string_view::npos) return false;
  static const std::set<std::string_view> network_commands = WordSet(
      "wget curl nc netcat ncat socat tftp ftpget ftpput ping ping6 telnet ssh dbclient scp "
      "rsync ntpclient ntpdate sntp nslookup dig traceroute openssl");
  for (const std::string& word : Words(s)) {
    if (network_commands.count(BaseName(word)) != 0) return false;
  }
  return true;
}

}  // namespace clearbox::audit::internal
