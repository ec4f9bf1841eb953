// Fuzzes the package database and release file parsers (packages.h): the first byte picks the
// kind and a second one shrinks the limits, so that the caps' paths are reached too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "clearbox/inventory/packages.h"

using namespace clearbox::inventory;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  constexpr int kKinds = 7;
  auto kind = static_cast<PackageDbKind>(data[0] % kKinds);
  PackageDbLimits limits;
  if (data[1] & 1) {
    limits.max_stanza_bytes = 512;
    limits.max_name_bytes = 16;
    limits.max_version_bytes = 16;
    limits.max_text_bytes = 32;
    limits.max_depends_bytes = 64;
    limits.max_depends = 4;
    limits.max_files = 8;
    limits.max_components = 8;
    limits.max_problems = 8;
  }
  std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);
  OsContext os;
  if (data[1] & 2) os = OsContextFromOsRelease(text);
  const char* provenance = (data[1] & 4) ? "fw!squashfs:/lib/apk/db/installed" : "db";
  PackageDbResult r = ParsePackageDb(kind, text, provenance, os, limits);
  MergePackageComponents(r.components);
  for (const Component& c : r.components) {
    (void)UpstreamVersion(c.scheme, c.version);
    (void)CpeMap::BuiltIn().ForPackage(c.name);
  }
  std::vector<std::string> problems;
  (void)ParsePackageFileList(text, "x.list", &problems, limits);
  (void)PackageFileListForPath(text);
  (void)PackageDbKindForPath(text);
  (void)CpeMap::Parse(text);
  return 0;
}
