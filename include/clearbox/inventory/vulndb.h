// Known vulnerabilities: a SQLite database built from OSV and NVD feeds, and the matcher that
// finds the advisories affecting a list of components.
//
//   // Once, from the public feeds (see README: OSV <ecosystem>/all.zip, NVD 2.0 year feeds):
//   auto stats = VulnDb::Import({"Debian-all.zip", "nvdcve-2.0-2024.json.gz"}, "vulns.db",
//                               &progress);
//   for (const std::string& p : stats->problems) std::puts(p.c_str());  // skipped records
//
//   // Per image:
//   CLEARBOX_ASSIGN_OR_RETURN(auto db, VulnDb::Open("vulns.db"));
//   CLEARBOX_ASSIGN_OR_RETURN(auto matches, db->Match(inventory.components));
//   for (const VulnerabilityMatch& m : matches) { components[m.component_index] ... }
//
// Matching. A component matches
//   - by its CPE 2.3 name: NVD `configurations[].nodes[].cpeMatch[]` entries marked vulnerable
//     with the same vendor and product; the version is compared by the product's own scheme
//     (openssl letters for openssl, YEAR.N for dropbear, numeric for busybox) or else by the
//     component's scheme (kGeneric for package versions, whose CPE carries the upstream
//     version). A criteria version without bounds matches that version only; "*" without
//     bounds matches every version (affected_range is then "* (all versions)"); "-" (no
//     version applies) matches nothing. The other nodes of an AND configuration (the
//     platform a product runs on) are not checked.
//   - by its purl: OSV `affected[]` entries of the purl's ecosystem (deb -> Debian, apk ->
//     Alpine, npm, pypi, cargo -> crates.io, golang -> Go, ...) and package name (also the
//     `upstream=` qualifier: the Debian source package that OSV's Debian records name). With
//     a distro qualifier (distro=debian-12, bookworm, alpine-3.18) only that release's ranges
//     apply. ECOSYSTEM ranges compare by the ecosystem's scheme (dpkg, apk-tools), SEMVER
//     ranges by semver; introduced/fixed/last_affected/limit events and `versions[]` lists
//     count; GIT ranges are ignored (only their versions[] list counts).
// A version equal to a fixed version never matches. One advisory matches a component once.
//
// Import. Sources are OSV JSON records (one per .json file, or a JSON array of them), OSV's
// zip archives (all.zip), NVD CVE JSON 2.0 feeds or API pages (`vulnerabilities[].cve`),
// each optionally gzip-compressed (.json.gz), and directories of those (searched
// recursively). All sources are imported in one SQLite transaction: either the database holds
// every record read, or (on any error) it is left exactly as it was; an interrupted import
// leaves the previous contents too. A record is keyed by (source, id): re-importing a record
// replaces the stored one unless the stored one is newer (`modified`). A malformed record is
// skipped and named in ImportStats::problems (one line: file, record, field, what was wrong).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/inventory/component.h"

namespace clearbox {
class Progress;
}

namespace clearbox::inventory {

struct Rating {
  std::string source;    // who scored it: "nvd@nist.gov", "OSV", a CNA's address
  double score = 0;      // 0.0-10.0; 0 when the source gives only a vector or a word
  std::string severity;  // "CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE" (upper case)
  std::string method;    // "CVSSv31", "CVSSv4", "CVSSv2", "other"
  std::string vector;    // "CVSS:3.1/AV:N/AC:L/..."
};

struct Vulnerability {
  std::string id;                    // "CVE-2014-0160", "DSA-2896-1", "GHSA-..."
  std::vector<std::string> aliases;  // other ids of the same flaw (OSV aliases, upstream)
  std::string source;                // "NVD" or "OSV"
  std::string source_url;            // the record's page at its source
  std::string summary;               // English description (OSV summary, else details)
  std::vector<Rating> ratings;
  std::vector<std::string> cwes;        // "CWE-125"
  std::vector<std::string> references;  // URLs
  std::string published, modified;      // RFC 3339 as the source gives them
};

struct VulnerabilityMatch {
  size_t component_index = 0;  // into the components given to Match
  Vulnerability vulnerability;
  std::string affected_range;  // "<1.0.1g", ">=1.0.1, <1.0.1g", "=1.0.1f", "* (all versions)"
  std::string fixed_version;   // the version that fixes it, when the record says ("" if not)
  std::string matched_by;      // "cpe:2.3:a:openssl:openssl" or "pkg:deb/debian/openssl"
};

class VulnDb {
 public:
  ~VulnDb();
  VulnDb(const VulnDb&) = delete;
  VulnDb& operator=(const VulnDb&) = delete;

  // Opens a database that Import built, read-only.
  // Errors: kNotFound (no such file), kInvalidInput (not a clearbox vulnerability database,
  // or a schema version this build does not read), kIo (SQLite cannot read it).
  static Result<std::unique_ptr<VulnDb>> Open(const std::string& path);

  struct ImportStats {
    uint64_t files = 0;                 // JSON documents read (zip entries count one each)
    uint64_t records = 0;               // advisories stored (new or replacing an older copy)
    uint64_t skipped = 0;               // malformed records, or older than the stored copy
    uint64_t ranges = 0;                // affected ranges stored
    std::vector<std::string> problems;  // one line per skipped record or unreadable document
  };
  // Adds the records of `sources` to the database at `db_path` (created when absent), in one
  // transaction. `progress` may be null.
  // Errors (the database is then unchanged): kNotFound (a source, or a file inside a source
  // directory, does not exist), kIo (a source cannot be read, a gzip stream is truncated or
  // corrupt, or the database cannot be written), kInvalidInput (db_path exists and is not a
  // clearbox vulnerability database, or a zip archive is damaged: directory, header, CRC),
  // kLimitExceeded (a zip entry over 256 MiB, or over 4 Mi entries). A malformed record or a
  // document that is not JSON is not an error: it is skipped and listed in problems.
  static Result<ImportStats> Import(const std::vector<std::string>& sources,
                                    const std::string& db_path, Progress* progress);

  // Every advisory affecting each component (see the overview for the rules), ordered by
  // component index, then advisory id. Thread-safe: any number of threads may call it.
  // Errors: kIo (SQLite failed to read the database).
  Result<std::vector<VulnerabilityMatch>> Match(std::span<const Component> components) const;

  // What the database holds: advisories and affected ranges, by source ("NVD", "OSV").
  struct Summary {
    uint64_t advisories = 0, ranges = 0;
    std::vector<std::pair<std::string, uint64_t>> advisories_by_source;
  };
  Result<Summary> Describe() const;

 private:
  class Impl;
  explicit VulnDb(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clearbox::inventory
