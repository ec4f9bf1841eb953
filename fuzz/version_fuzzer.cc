// Fuzzes version ordering: every scheme must be a total order on any bytes. The input is
// split into three versions at NUL bytes; antisymmetry and transitivity are checked.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "clearbox/inventory/version.h"

using clearbox::inventory::CompareVersions;
using clearbox::inventory::VersionScheme;

namespace {
int Sign(int v) { return (v > 0) - (v < 0); }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view parts[3];
  for (int i = 0; i < 3; ++i) {
    size_t nul = in.find('\0');
    parts[i] = in.substr(0, nul);
    in = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
  }
  for (VersionScheme s : {VersionScheme::kGeneric, VersionScheme::kDebian, VersionScheme::kApk,
                          VersionScheme::kSemver, VersionScheme::kOpenssl, VersionScheme::kDropbear,
                          VersionScheme::kBusybox}) {
    const std::string_view& a = parts[0];
    const std::string_view& b = parts[1];
    const std::string_view& c = parts[2];
    if (CompareVersions(s, a, a) != 0) abort();
    const int ab = Sign(CompareVersions(s, a, b));
    if (ab != -Sign(CompareVersions(s, b, a))) abort();
    const int bc = Sign(CompareVersions(s, b, c));
    const int ac = Sign(CompareVersions(s, a, c));
    if (ab <= 0 && bc <= 0 && ac > 0) abort();
    if (ab >= 0 && bc >= 0 && ac < 0) abort();
    if (ab == 0 && bc == 0 && ac != 0) abort();
  }
  return 0;
}
