// SBOM writers: an image's inventory as a CycloneDX 1.6 or SPDX 2.3 JSON document.
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto inv, inventory::InventoryFile("fw.bin", {}));
//   CLEARBOX_ASSIGN_OR_RETURN(auto db, inventory::VulnDb::Open("vulns.db"));
//   CLEARBOX_ASSIGN_OR_RETURN(auto vulns, db->Match(inv.components));
//   report::SbomOptions opts;                              // no timestamp: deterministic
//   std::string cdx = report::CycloneDxJson(inv, vulns, opts);
//   std::string spdx = report::SpdxJson(inv, opts);
//
// What goes where is in docs/sbom.md. In short: the image is the document's subject
// (CycloneDX metadata.component, type "firmware"; the SPDX package with purpose FIRMWARE);
// every inventory component is a component / package with its purl, CPE, SHA-256 (when it is
// one file), license and evidence; dependencies come from the DT_NEEDED names of a
// component's ELF files (resolved to the library with that SONAME or file name in the same
// filesystem) and from package databases' Depends; vulnerability matches become CycloneDX
// `vulnerabilities` (one entry per advisory, `affects` naming the components).
//
// The output is a function of the inventory and the options only: identifiers are derived from
// the image's SHA-256 and the components' purls, lists are sorted, and without a timestamp two
// runs give the same bytes. Text from the image (names, versions, matched bytes) is emitted as
// JSON strings, invalid UTF-8 replaced by U+FFFD; nothing from the image can break the
// document's structure. Neither call fails: a field the image gives in a form the format does
// not accept (a license that is not an SPDX expression, a CWE that is not "CWE-<n>", a date
// that is not RFC 3339) is written where the format allows free text, or left out.
// Thread-safe: no shared state.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "clearbox/inventory/inventory.h"
#include "clearbox/inventory/vulndb.h"

namespace clearbox::report {

struct SbomOptions {
  // The tool's version in CycloneDX metadata.tools and SPDX creationInfo.creators.
  std::string tool_version = "0.1.0";
  // ISO 8601 / RFC 3339 date-time ("2024-05-01T12:00:00Z"). Empty: CycloneDX has no
  // metadata.timestamp and SPDX (which requires `created`) says "1970-01-01T00:00:00Z", so
  // that the output is deterministic. A value that is not a date-time counts as empty.
  std::string timestamp;
  // CycloneDX serialNumber, "urn:uuid:<lower-case RFC 4122 UUID>". Empty: a name-based UUID
  // derived from the image's SHA-256 (the same image gives the same serial number). The SPDX
  // documentNamespace ends with the derived UUID either way. Written as given (the caller's
  // to get right: the schema requires the lower-case form).
  std::string serial_number;
};

// CycloneDX 1.6 JSON (pretty-printed, two-space indent, trailing newline). `vulns` are the
// matches for inv.components (VulnDb::Match); their component_index must index
// inv.components (a match whose index is out of range is skipped).
std::string CycloneDxJson(const inventory::Inventory& inv,
                          std::span<const inventory::VulnerabilityMatch> vulns,
                          const SbomOptions& options);

// SPDX 2.3 JSON (pretty-printed, two-space indent, trailing newline).
std::string SpdxJson(const inventory::Inventory& inv, const SbomOptions& options);

// Whether `expression` is a valid SPDX license expression (SPDX 2.3 annex D): license ids
// from the SPDX License List (case-insensitive; deprecated ids such as "GPL-2.0" count),
// "LicenseRef-..." ids, a "+" suffix, "WITH <exception id>", AND / OR and parentheses.
// On success returns true and sets `*canonical` (when not null) to the expression with each
// id in the list's spelling and operators upper-case, single-spaced.
bool IsSpdxLicenseExpression(std::string_view expression, std::string* canonical = nullptr);

}  // namespace clearbox::report
