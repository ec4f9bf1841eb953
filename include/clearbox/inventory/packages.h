// Package databases and OS release files: the components an image's own package manager
// says it holds.
//
// Parses, as the real tools write them:
//   dpkg   /var/lib/dpkg/status                 deb822 stanzas; a package counts when its
//                                               files are on disk (see below)
//   opkg   /usr/lib/opkg/status                 stanzas as opkg writes them (OpenWrt, Yocto)
//          /usr/lib/opkg/info/<pkg>.control     one package per file (OpenWrt writes License,
//                                               SourceName, CPE-ID, Maintainer there)
//   apk    /lib/apk/db/installed                "P:name" lines, a blank line between packages
//   os-release (/etc/os-release, /usr/lib/os-release), /etc/openwrt_release (shell
//   assignments) and /etc/openwrt_version (one revision line)
// and turns each installed package into a Component (component.h) with a purl, a CPE from
// rules/cpe-map.json (built into the library) and evidence naming the database file, the
// byte offset of the stanza and its "Package:"/"Version:" lines.
//
//   OsContext os = OsContextFromOsRelease(os_release_text);       // "debian", "12", ...
//   PackageDbResult r = ParsePackageDb(PackageDbKind::kDpkgStatus, status_text,
//                                      "fw.bin!ext4:/var/lib/dpkg/status", os);
//   for (const Component& c : r.components) ...  // pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?...
//   for (const std::string& p : r.problems) ...  // "...status:812 (offset 40213): ..."
//
// Purls:  pkg:deb/<os id or debian>/NAME@VERSION?arch=ARCH&distro=<id>-<version_id>
//         pkg:opkg/<os id or openwrt>/NAME@VERSION?arch=ARCH   ("opkg" is not a registered
//                                         purl type yet; it is what SBOM tools use for ipk)
//         pkg:apk/<os id or alpine>/NAME@VERSION?arch=ARCH
//         pkg:generic/<os id>@<version>  for an OS release
// CPEs carry the upstream version (UpstreamVersion): "1:1.2.13.dfsg-1" -> "1.2.13".
//
// Which dpkg packages count: dpkg's states whose files are all on disk: installed,
// triggers-awaited, triggers-pending, half-configured and unpacked (the last three with a
// note on the component). half-installed, config-files and not-installed do not count (an
// SBOM lists what is there). opkg likewise: installed, unpacked, half-configured, and the
// failure states whose files remain (post-inst-failed, removal-failed).
//
// Hostile input never aborts a parse: every call returns the packages it could read and a
// problem per thing it could not ("<provenance>:<line> (offset N): <what>"). A stanza whose
// name, version, architecture or status is missing, too long, or not UTF-8 text is skipped;
// bad bytes elsewhere in a stanza (a Latin-1 maintainer, a NUL in a description) are a
// problem and a note on the component, which is kept (a package must not vanish from the
// SBOM because one byte of its description is odd). Time is linear in the input; no stanza
// is copied; all sizes are capped by PackageDbLimits.
//
// Thread-safe: every function is pure (the built-in CPE map is parsed once, on first use).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/inventory/component.h"

namespace clearbox::inventory {

enum class PackageDbKind {
  kDpkgStatus,      // /var/lib/dpkg/status
  kOpkgStatus,      // /usr/lib/opkg/status, /var/lib/opkg/status (ipkg: /usr/lib/ipkg/status)
  kOpkgControl,     // /usr/lib/opkg/info/<pkg>.control (ipkg: /usr/lib/ipkg/info/)
  kApkInstalled,    // /lib/apk/db/installed
  kOsRelease,       // /etc/os-release, /usr/lib/os-release
  kOpenwrtRelease,  // /etc/openwrt_release
  kOpenwrtVersion,  // /etc/openwrt_version
};
std::string_view PackageDbKindName(PackageDbKind kind);  // the evidence method: "dpkg-status"...

// The kind of a file by its absolute path inside the image ("/usr/lib/opkg/status"), or
// nullopt when it is none of these. Only the path decides; the content is not looked at.
std::optional<PackageDbKind> PackageDbKindForPath(std::string_view path);

// The distribution the packages belong to, for purl namespaces and qualifiers. Any field may
// be empty (then the purl uses the ecosystem's usual vendor and no distro qualifier).
struct OsContext {
  std::string id;                // os-release ID, lower case: "debian", "openwrt", "alpine"
  std::string version_id;        // "12", "22.03.5", "3.18.4"
  std::string version_codename;  // "bookworm"
};
// The context an os-release file describes (unreadable lines are ignored here; ParsePackageDb
// with kOsRelease reports them).
OsContext OsContextFromOsRelease(std::string_view text);

// Caps on untrusted sizes. A value over a cap is a problem and its stanza (or line) is
// skipped; nothing is allocated from a size the input claims.
struct PackageDbLimits {
  size_t max_stanza_bytes = 16u << 20;  // apk stanzas list every file: linux-firmware ~1 MiB
  size_t max_name_bytes = 256;          // package names, architectures
  size_t max_version_bytes = 256;
  size_t max_text_bytes = 4096;  // Maintainer, License, Source, CPE-ID as kept
  size_t max_depends_bytes = 64u << 10;
  size_t max_depends = 2048;    // names per package
  size_t max_files = 1u << 20;  // apk file entries per database
  size_t max_components = 1u << 20;
  size_t max_problems = 200;  // then one line counting the rest
};

struct PackageDbResult {
  std::vector<Component> components;  // in database order
  std::vector<std::string> problems;  // "<provenance>:<line> (offset N): <what was wrong>"
};

// Parses one database or release file. `provenance` names the file (it goes into evidence
// and problems; apk file lists are made absolute by the root it implies); `os` sets purl
// namespaces and qualifiers. Never fails: an unusable file gives no components and problems.
PackageDbResult ParsePackageDb(PackageDbKind kind, std::string_view text,
                               std::string_view provenance, const OsContext& os,
                               const PackageDbLimits& limits = {});

// Upstream version of a package version, for CPEs and NVD ranges:
//   kDebian (dpkg, opkg)  drops the epoch and the revision, takes what follows "+really",
//                         drops a repack suffix (+dfsg, .dfsg, +ds, +repack, ~dfsg and what
//                         follows): "1:9.2p1-2+deb12u3" -> "9.2p1", "1.35.0-3" -> "1.35.0",
//                         "1:1.2.13.dfsg-1" -> "1.2.13"
//   kApk                  drops the package release "-rN": "1.36.1-r5" -> "1.36.1"
//   others                the version as given.
std::string UpstreamVersion(VersionScheme scheme, std::string_view version);

// NVD vendor and product of a package (rules/cpe-map.json): exact names first, then the
// longest matching "prefix*" pattern. Part is 'a' (application) or 'o' (operating system).
struct CpeProduct {
  std::string vendor;
  std::string product;
  char part = 'a';
};

class CpeMap {
 public:
  // Parses a map in the rules/cpe-map.json format.
  // Errors: kInvalidInput naming the entry (bad JSON, a missing or empty vendor/product,
  // a pattern with '*' anywhere but at its end, an unknown part).
  static Result<CpeMap> Parse(std::string_view json);
  // The map built into the library from rules/cpe-map.json (parsed once; an empty map if the
  // built-in file were ever broken, which a unit test rules out).
  static const CpeMap& BuiltIn();

  // The product of a package name (case-insensitive), or nullopt.
  std::optional<CpeProduct> ForPackage(std::string_view name) const;
  // The product of an operating system by its os-release ID ("openwrt", "debian"), or nullopt.
  std::optional<CpeProduct> ForOs(std::string_view id) const;

  size_t package_entries() const { return exact_.size() + prefixes_.size(); }

 private:
  struct Entry {
    std::string pattern;  // lower case, without the trailing '*'
    CpeProduct product;
  };
  std::vector<Entry> exact_;     // sorted by pattern
  std::vector<Entry> prefixes_;  // sorted longest first
  std::vector<Entry> os_;
};

// Merges components that name the same package (same purl): an OpenWrt image lists each
// package in /usr/lib/opkg/status and again in its info/<pkg>.control, which alone has the
// license and maintainer. The first occurrence stays, with the other's evidence, files,
// notes and depends added and its empty fields filled. Order is otherwise kept.
void MergePackageComponents(std::vector<Component>& components);

// dpkg and opkg list each package's files in info/<pkg>.list (dpkg multi-arch:
// <pkg>:<arch>.list). The package a list file belongs to, by its path, or nullopt.
struct PackageFileListName {
  std::string package;
  std::string arch;  // empty unless the file name carries one
};
std::optional<PackageFileListName> PackageFileListForPath(std::string_view path);
// The absolute paths a .list file names (one per line; "/." and blank lines skipped), at most
// limits.max_files; problems as for ParsePackageDb.
std::vector<std::string> ParsePackageFileList(std::string_view text, std::string_view provenance,
                                              std::vector<std::string>* problems,
                                              const PackageDbLimits& limits = {});

}  // namespace clearbox::inventory
