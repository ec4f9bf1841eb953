// Helpers shared by the MUD parser, writer and matcher (mud_parse.cc, mud_serialize.cc,
// mud_match.cc): the YANG value types of RFC 8520 / RFC 8519 that the profile uses.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "clearbox/watch/mud.h"

namespace clearbox::watch::internal {

// An IP address in text: family 4 or 6 and the bytes; nullopt when not an address.
struct IpAddress {
  int family = 4;
  std::array<uint8_t, 16> bytes{};
};
std::optional<IpAddress> ParseIp(std::string_view text);

// "192.0.2.0/24" (the length is required, as inet:ipv4-prefix has it); the family must be
// `family`. nullopt when malformed.
std::optional<MudPrefix> ParsePrefix(std::string_view text, int family);

// inet:domain-name (labels of letters, digits, '-' and '_', at most 63 bytes each, 253 in
// all; one trailing dot allowed), plus clearbox's "*.domain" (every name under domain).
bool IsDnsName(std::string_view s, bool allow_wildcard);

// A URI as far as the matcher needs it: a scheme, then no spaces or control bytes.
bool IsUri(std::string_view s);

// The host of an https:// URL ("https://user@Host.example:8443/x" -> "host.example");
// "" when `url` is not an https URL with a host.
std::string HttpsHost(std::string_view url);

// yang:date-and-time: "2018-06-29T19:50:19+02:00", optional fraction, 'Z' or an offset.
bool IsDateAndTime(std::string_view s);

// "aa:BB:cc:dd:ee:ff" -> "aa:bb:cc:dd:ee:ff"; nullopt when not a yang:mac-address.
std::optional<std::string> NormalizeMac(std::string_view s);

// Characters (UTF-8 code points) in s: YANG string lengths count characters, not bytes.
size_t Utf8Length(std::string_view s);

// `name` equals `pattern` or, for "*.domain", is a name under domain. Both normalised.
bool DnsNameMatches(std::string_view pattern, std::string_view name);

}  // namespace clearbox::watch::internal
