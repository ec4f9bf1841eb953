#include "clearbox/inventory/component.h"

namespace clearbox::inventory {

std::string_view VersionSchemeName(VersionScheme s) {
  switch (s) {
    case VersionScheme::kGeneric:
      return "generic";
    case VersionScheme::kDebian:
      return "deb";
    case VersionScheme::kApk:
      return "apk";
    case VersionScheme::kSemver:
      return "semver";
    case VersionScheme::kOpenssl:
      return "openssl";
    case VersionScheme::kDropbear:
      return "dropbear";
    case VersionScheme::kBusybox:
      return "busybox";
  }
  return "generic";
}

std::string_view ComponentSourceName(ComponentSource s) {
  switch (s) {
    case ComponentSource::kPackageDatabase:
      return "package-db";
    case ComponentSource::kBinary:
      return "binary";
    case ComponentSource::kOsRelease:
      return "os-release";
  }
  return "binary";
}

namespace {

// purl-spec: percent-encode everything but the unreserved characters (and ':' in versions,
// which the spec leaves readable: "1:2.3-4" stays as is in the wild tools we compare with).
void PercentEncode(std::string& out, std::string_view s, std::string_view also_keep = {}) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' ||
                      also_keep.find(char(c)) != std::string_view::npos;
    if (unreserved) {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}

// CPE 2.3 formatted-string binding: lower case; '*' for an empty value; a backslash before
// every character other than letters, digits and "._-", which the formatted string leaves
// unquoted (NISTIR 7695, 6.2.2.2 process_quoted_chars): NVD writes "musl-libc", "1.0.1f".
void CpeAttribute(std::string& out, std::string_view v) {
  if (v.empty()) {
    out += '*';
    return;
  }
  for (unsigned char c : v) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    bool plain =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (c == ' ')
      c = '_';
    else if (!plain)
      out += '\\';
    out += char(c);
  }
}

}  // namespace

std::string Purl(std::string_view type, std::string_view ns, std::string_view name,
                 std::string_view version, std::string_view qualifiers) {
  std::string out = "pkg:";
  out += type;
  out += '/';
  if (!ns.empty()) {
    PercentEncode(out, ns);
    out += '/';
  }
  PercentEncode(out, name);
  if (!version.empty()) {
    out += '@';
    PercentEncode(out, version, ":");
  }
  if (!qualifiers.empty()) {
    out += '?';
    out += qualifiers;
  }
  return out;
}

std::string Cpe23(std::string_view vendor, std::string_view product, std::string_view version,
                  char part) {
  std::string out = "cpe:2.3:";
  out += part;
  out += ':';
  CpeAttribute(out, vendor);
  out += ':';
  CpeAttribute(out, product);
  out += ':';
  CpeAttribute(out, version);
  out += ":*:*:*:*:*:*:*";
  return out;
}

}  // namespace clearbox::inventory
