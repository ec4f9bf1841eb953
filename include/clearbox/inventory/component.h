// Components: the software found inside an image, with the evidence that names each one.
//
// A component comes from a package database (dpkg, opkg, apk), from an os-release file, or
// from a version signature matched in a binary. Every one carries a package URL (purl) and a
// CPE 2.3 name so that the SBOM writers and the vulnerability matcher read it the same way,
// and the version scheme that orders its versions (vulndb compares by it).
//
//   Component c;
//   c.name = "openssl"; c.version = "1.0.1f"; c.scheme = VersionScheme::kOpenssl;
//   c.purl = Purl("generic", "", "openssl", "1.0.1f");
//   c.cpe = Cpe23("openssl", "openssl", "1.0.1f");
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clearbox::inventory {

// How a component's versions are ordered (each ecosystem's own rules; see vulndb/version.h).
enum class VersionScheme {
  kGeneric,   // dotted numbers with alphanumeric parts: 2.6.36, 1.2.13.1, 9.18p1
  kDebian,    // dpkg: epoch, upstream with ~, revision (also opkg's ordering)
  kApk,       // Alpine apk-tools: 1.2.3_rc1-r0
  kSemver,    // semver 2.0.0 with pre-release ordering
  kOpenssl,   // OpenSSL's letter releases: 1.0.1 < 1.0.1a < 1.0.1f < 1.0.1g < 1.0.2
  kDropbear,  // YEAR.N: 2016.74 < 2019.78 < 2020.81
  kBusybox,   // MAJOR.MINOR.PATCH: 1.35.0 < 1.36.0 (numeric, never semver pre-releases)
};
std::string_view VersionSchemeName(VersionScheme s);  // "generic", "deb", "apk", ...

// Where a component was seen: the file (its provenance), the byte offset inside that file's
// content, and the matched bytes (printable; at most a few hundred bytes).
struct Evidence {
  std::string method;      // "signature:openssl", "dpkg-status", "opkg-status", "os-release", ...
  std::string provenance;  // "fw.bin!squashfs:/usr/lib/libssl.so.1.0.0"
  uint64_t offset = 0;
  std::string matched;  // "OpenSSL 1.0.1f 6 Jan 2014"
};

enum class ComponentSource { kPackageDatabase, kBinary, kOsRelease };
std::string_view ComponentSourceName(ComponentSource s);  // "package-db", "binary", "os-release"

struct Component {
  std::string name;      // canonical, lower case: "openssl", "busybox", "linux-kernel"
  std::string version;   // as the evidence states it: "1.0.1f", "1:9.2p1-2+deb12u3"
  std::string supplier;  // vendor or maintainer when known ("OpenSSL Software Foundation")
  VersionScheme scheme = VersionScheme::kGeneric;
  ComponentSource source = ComponentSource::kBinary;
  std::string purl;     // pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64, pkg:generic/...
  std::string cpe;      // cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*
  std::string license;  // SPDX expression when a package database says it
  std::vector<std::string> files;    // provenance of files that belong to it (package lists)
  std::vector<Evidence> evidence;    // at least one
  std::vector<std::string> notes;    // "binary reports 1.36.1, dpkg status says 1.35.0-4"
  std::vector<std::string> depends;  // names of components it depends on (package db)
};

// Package URL (https://github.com/package-url/purl-spec): type, namespace (may be empty),
// name and version, each percent-encoded where the spec asks; qualifiers as "k=v&k=v"
// (already encoded, sorted by key) or empty.
std::string Purl(std::string_view type, std::string_view ns, std::string_view name,
                 std::string_view version, std::string_view qualifiers = {});
// CPE 2.3 formatted string for an application: cpe:2.3:a:VENDOR:PRODUCT:VERSION:*:*:*:*:*:*:*
// with the characters the spec reserves escaped by a backslash. part is 'a', 'o' or 'h'.
std::string Cpe23(std::string_view vendor, std::string_view product, std::string_view version,
                  char part = 'a');

}  // namespace clearbox::inventory
