// Version ordering: each ecosystem's own rules for "which release is newer".
//
// The vulnerability matcher asks "is 1.0.1f below 1.0.1g?" with the scheme of the component
// (component.h's VersionScheme): dpkg's rules for Debian packages, apk-tools' for Alpine,
// semver 2.0.0 for SEMVER ranges, and the dotted-numeric rules NVD ranges assume otherwise.
//
//   if (CompareVersions(VersionScheme::kOpenssl, "1.0.1f", "1.0.1g") < 0) { ... }  // older
//   CompareVersions(VersionScheme::kDebian, "1:2.0", "3.0")  // > 0: the epoch wins
//
// Every scheme is a total preorder on all strings (also on strings that are not versions of
// that scheme: they get a consistent place), never throws, allocates nothing and runs in time
// linear in the inputs, so hostile multi-megabyte strings are safe.
//
// The rules per scheme:
//   kDebian   dpkg's verrevcmp: [epoch:]upstream[-revision]; in each part, runs of non-digits
//             compare character by character with '~' below everything (even the end), then
//             letters, then other characters; runs of digits compare as numbers.
//   kApk      apk-tools: digits{.digits}[letter]{_suffix[N]}[~hash][-rN]; _alpha < _beta <
//             _pre < _rc < (release) < -rN < _cvs < _svn < _git < _hg < _p; a letter and a
//             further number are newer than the end.
//   kSemver   semver 2.0.0 precedence: MAJOR.MINOR.PATCH numerically (a missing part is 0,
//             a leading 'v' is ignored), a pre-release below its release, pre-release
//             identifiers numeric < alphanumeric, build metadata (+...) ignored.
//   kGeneric  runs of digits (numbers) and of letters; anything else separates. Pre-release
//             words (dev, alpha, beta, pre, preview, rc) sort below the end of the version,
//             other words above it and below a further number: 9.2p1 < 9.3p1,
//             2.6.36 < 2.6.36.4, 2.0rc1 < 2.0 < 2.0a < 2.0.1. Letters ignore case.
//   kOpenssl  kGeneric: 1.0.1 < 1.0.1a < 1.0.1f < 1.0.1g < 1.0.2, 0.9.8z < 0.9.8za,
//             3.0.2 < 3.0.11, 3.0.0-beta1 < 3.0.0.
//   kDropbear kGeneric: YEAR.N as two numbers: 2016.7 < 2016.73 < 2016.74 < 2019.78.
//   kBusybox  kGeneric without pre-release words: 1.35.0 < 1.36.0 < 1.36.1.
#pragma once

#include <string_view>

#include "clearbox/inventory/component.h"

namespace clearbox::inventory {

// <0 when a is older than b, 0 when the scheme orders them as the same version, >0 when a is
// newer. Total and consistent (antisymmetric and transitive) for any byte strings.
int CompareVersions(VersionScheme scheme, std::string_view a, std::string_view b);

// The scheme of a name as VersionSchemeName prints it ("deb", "apk", "semver", ...); kGeneric
// for names it does not know.
VersionScheme VersionSchemeFromName(std::string_view name);

}  // namespace clearbox::inventory
