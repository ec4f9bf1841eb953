// The user's allow list: accepted findings by path, and endpoints that are not findings.
#include "clearbox/audit/allow.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <optional>

namespace clearbox::audit {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// An address as 16 bytes (IPv4 mapped into ::ffff:0:0/96) and its family's bit offset.
struct Address {
  std::array<uint8_t, 16> bytes{};
  int family_bits = 128;  // 32 for IPv4
};

std::optional<Address> ParseAddress(std::string_view text) {
  std::string s(text);
  Address a;
  in_addr v4;
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    a.bytes[10] = a.bytes[11] = 0xff;
    std::memcpy(a.bytes.data() + 12, &v4, 4);
    a.family_bits = 32;
    return a;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(a.bytes.data(), &v6, 16);
    return a;
  }
  return std::nullopt;
}

// `rule` is an address or CIDR block; true when `addr` is inside it.
bool InBlock(std::string_view rule, const Address& addr) {
  size_t slash = rule.find('/');
  std::optional<Address> net = ParseAddress(rule.substr(0, slash));
  if (!net || net->family_bits != addr.family_bits) return false;
  int prefix = net->family_bits;
  if (slash != std::string_view::npos) {
    std::string_view p = rule.substr(slash + 1);
    if (std::from_chars(p.data(), p.data() + p.size(), prefix).ec != std::errc()) return false;
  }
  int bits = 128 - net->family_bits + prefix;  // over the 16-byte form
  for (int i = 0; i < bits; ++i) {
    uint8_t mask = static_cast<uint8_t>(0x80 >> (i % 8));
    if ((net->bytes[i / 8] & mask) != (addr.bytes[i / 8] & mask)) return false;
  }
  return true;
}

bool ValidBlock(std::string_view rule) {
  size_t slash = rule.find('/');
  std::optional<Address> net = ParseAddress(rule.substr(0, slash));
  if (!net) return false;
  if (slash == std::string_view::npos) return true;
  std::string_view p = rule.substr(slash + 1);
  int prefix = -1;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
  return ec == std::errc() && end == p.data() + p.size() && prefix >= 0 &&
         prefix <= net->family_bits;
}

bool ValidHostPattern(std::string_view s) {
  if (s.starts_with("*.")) s.remove_prefix(2);
  if (s.empty() || s.size() > 253) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

}  // namespace

bool GlobMatch(std::string_view glob, std::string_view text) {
  // Iterative wildcard matching with one backtrack point: linear in practice, no recursion.
  size_t g = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (g < glob.size() && (glob[g] == '?' || glob[g] == text[t])) {
      ++g;
      ++t;
    } else if (g < glob.size() && glob[g] == '*') {
      star = g++;
      mark = t;
    } else if (star != std::string_view::npos) {
      g = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

Result<AllowList> AllowList::Parse(std::string_view text, std::string_view name) {
  AllowList list;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = Trim(line);
    if (line.empty()) continue;
    auto bad = [&](std::string_view why) {
      return Error::InvalidInput(fmt::format("{} line {}: {}", name, line_no, why));
    };
    std::vector<std::string_view> w = Words(line);
    if (w[0] == "path") {
      if (w.size() < 2 || w.size() > 3) return bad("expected 'path GLOB [CHECK-ID]'");
      if (!w[1].starts_with('/') && !w[1].starts_with('*')) {
        return bad("a path starts with '/' (the path inside the image's filesystem)");
      }
      list.paths_.push_back({std::string(w[1]), w.size() == 3 ? std::string(w[2]) : ""});
    } else if (w[0] == "endpoint") {
      if (w.size() != 2) return bad("expected 'endpoint ADDRESS|CIDR|HOST|*.DOMAIN'");
      if (!ValidBlock(w[1]) && !ValidHostPattern(w[1])) {
        return bad(fmt::format("'{}' is not an address, CIDR block or host name", w[1]));
      }
      list.endpoints_.push_back(Lower(w[1]));
    } else {
      return bad(fmt::format("unknown rule '{}' (expected 'path' or 'endpoint')", w[0]));
    }
  }
  return list;
}

bool AllowList::AllowsPath(std::string_view check_id, std::string_view path) const {
  return std::any_of(paths_.begin(), paths_.end(), [&](const PathRule& r) {
    return (r.check_id.empty() || r.check_id == check_id) && GlobMatch(r.glob, path);
  });
}

bool AllowList::AllowsEndpoint(std::string_view host_or_address) const {
  std::string host = Lower(host_or_address);
  std::optional<Address> addr = ParseAddress(host);
  for (const std::string& rule : endpoints_) {
    if (addr) {
      if (InBlock(rule, *addr)) return true;
      continue;
    }
    if (rule == host) return true;
    if (rule.starts_with("*.") && host.size() > rule.size() - 1 &&
        host.ends_with(std::string_view(rule).substr(1))) {
      return true;
    }
  }
  return false;
}

}  // namespace clearbox::audit
