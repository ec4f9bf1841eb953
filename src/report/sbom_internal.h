// What the CycloneDX and SPDX writers share: each component's files, role and dependencies
// worked out once from an Inventory, the document's UUID, and the checks on fields that the
// formats constrain (hashes, dates).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/inventory/inventory.h"

namespace clearbox::report::internal {

// What kind of software a component is, in the terms both formats have.
enum class ComponentRole { kApplication, kLibrary, kOperatingSystem, kFirmware };

struct SbomModel {
  // Per component (same index as Inventory::components):
  std::vector<std::vector<size_t>> files;  // indices into Inventory::files, ascending
  std::vector<ComponentRole> roles;
  // The SHA-256 (lower-case hex) of the component's one file; empty when it has none, several,
  // or that file was not hashed.
  std::vector<std::string> single_file_sha256;
  // Components it depends on (ascending, unique, never itself): the components of the
  // libraries its ELF files name in DT_NEEDED, and the components its package database
  // entry names in Depends.
  std::vector<std::vector<size_t>> depends;
};

SbomModel BuildModel(const inventory::Inventory& inv);

// "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx": a name-based UUID (RFC 4122 version 5 layout over
// SHA-256) of the image's SHA-256, or of its name and size when it was not hashed.
std::string DocumentUuid(const inventory::Inventory& inv);

bool IsSha256Hex(std::string_view s);

// `s` with each invalid UTF-8 sequence replaced by U+FFFD, as the JSON writer will write it:
// ids must be told apart in that form ("a\x9e" and "a\x9f" are one string once written).
std::string AsWritten(std::string_view s);

// An RFC 3339 date-time from what a feed or the caller gives: "2014-04-07T22:55:03.893"
// (no zone: UTC assumed), "2014-04-07" (midnight UTC), "2014-04-07T22:55:03+02:00". nullopt
// when it is not a date. With `utc_seconds` the result is converted to UTC and loses its
// fraction ("2014-04-07T20:55:03Z"), as SPDX's `created` wants.
std::optional<std::string> NormalizeDateTime(std::string_view s, bool utc_seconds = false);

// True when `url` can stand in a JSON Schema "iri-reference" / SPDX URL field: http(s), no
// blanks, controls or characters that URIs exclude.
bool IsPlainUrl(std::string_view url);

}  // namespace clearbox::report::internal
