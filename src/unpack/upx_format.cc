// UPX-packed ELF executables (https://upx.github.io): recognised and reported, not unpacked.
// UPX writes its l_info block (a checksum, "UPX!", sizes and the format) right after the ELF
// program headers, within the first kilobytes, and its version in the stub's
// "$Id: UPX 3.96 Copyright ..." string. (PE files are left out: their "MZ" magic is two
// bytes, which the carving scan would meet everywhere.)
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>

#include "internal/format.h"

namespace clearbox::unpack::internal {
namespace {

constexpr size_t kInfoWindow = 4096;
constexpr size_t kVersionWindow = 64 << 10;
constexpr std::string_view kIdPrefix = "$Id: UPX ";

size_t Find(ByteView d, std::string_view s) {
  auto it = std::search(d.begin(), d.end(), s.begin(), s.end());
  return it == d.end() ? std::string_view::npos : size_t(it - d.begin());
}

// "3.96" at the start of `d`: digits and dots, at most 16 characters.
std::string VersionAt(ByteView d) {
  size_t n = 0;
  while (n < d.size() && n < 16 && (std::isdigit(d[n]) || d[n] == '.')) ++n;
  return std::string(reinterpret_cast<const char*>(d.data()), n);
}

std::optional<Match> ProbeUpx(ByteView d) {
  if (d.size() < 64 || std::memcmp(d.data(),
                                   "\x7f"
                                   "ELF",
                                   4) != 0)
    return std::nullopt;
  ByteView head = d.first(std::min(d.size(), kInfoWindow));
  if (Find(head, "UPX!") == std::string_view::npos) return std::nullopt;
  std::string version;
  ByteView window = d.first(std::min(d.size(), kVersionWindow));
  if (size_t id = Find(window, kIdPrefix); id != std::string_view::npos) {
    version = VersionAt(window.subspan(id + kIdPrefix.size()));
  }
  Match m;
  m.unsupported = true;
  m.length = d.size();  // the packed bytes hold nothing carving could read
  m.detail = fmt::format("ELF executable packed with UPX{}{}", version.empty() ? "" : " ", version);
  return m;
}

}  // namespace

// Only at the start of a file: an ELF header inside an image is not an executable to report.
extern const FormatHandler kUpxFormat = {.name = "upx",
                                         .magics = {{"\x7f"
                                                     "ELF",
                                                     0}},
                                         .flags = kFormatOnlyAtStart,
                                         .probe = ProbeUpx};

}  // namespace clearbox::unpack::internal
