// Version signatures: which software, at which exact version, a binary contains when no
// package database says it (the common case in vendor router firmware).
//
// The rules are data (rules/versions.json, embedded into the library at build time). Each
// signature names one component (canonical name, CPE vendor/product, purl, version scheme)
// and one or more patterns anchored on a string the component itself carries, e.g.
// "OpenSSL 1.0.1f 6 Jan 2014" inside libcrypto, "SSH-2.0-dropbear_2019.78" inside dropbear.
// A library named in another program's banner ("libcurl/7.88.1 OpenSSL/3.0.11" in curl) is
// not reported: only the library's own strings count.
//
// All patterns are compiled into one Hyperscan database and a file is scanned once for all of
// them. Hyperscan reports where a pattern matched; the version is then cut from the matched
// bytes by an anchored std::regex over at most kSignatureWindow bytes. A "near" pattern is
// for components that keep their version in a string of its own ("hostapd v%s" ... "2.10"):
// its anchor is in the main database, and only the bytes within `within` of an anchor are
// searched for the version, the candidate closest to the anchor winning.
//
//   const VersionSignatures& sigs = VersionSignatures::Builtin();
//   for (const Component& c : sigs.Scan(file_bytes, "fw.bin!squashfs:/usr/sbin/dropbear"))
//     Print(c.name, c.version, c.evidence[0].offset);
//
// Thread safety: Load and Builtin may be called from any thread; Scan is const and may run
// concurrently on one VersionSignatures (each call borrows its own Hyperscan scratch).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/inventory/component.h"

namespace clearbox::inventory {

// Bounds that keep a hostile file from costing more than a scan (limits in one place).
inline constexpr size_t kSignatureWindow = 512;              // bytes a version is cut from
inline constexpr size_t kMaxVersionLength = 40;              // longer "versions" are refused
inline constexpr size_t kMaxExcerptLength = 160;             // evidence excerpt, printable
inline constexpr size_t kMaxMatchesPerPattern = 16;          // distinct match starts examined
inline constexpr size_t kMaxAnchorsPerPattern = 8;           // anchors whose windows are searched
inline constexpr uint32_t kMaxNearWindow = 256 * 1024;       // largest `within` a rule may ask
inline constexpr uint64_t kMaxCallbacksPerScan = 8'000'000;  // then the scan stops (hostile)

struct SignatureMatch {
  Component component;
};

class VersionSignatures {
 public:
  ~VersionSignatures();
  VersionSignatures(const VersionSignatures&) = delete;
  VersionSignatures& operator=(const VersionSignatures&) = delete;

  // Parses the JSON rules and compiles them. `origin` names the rules in error messages.
  // Errors: kInvalidInput when the JSON is malformed or a signature lacks a field or has a
  // bad one (the message names origin, the signature id and the field, e.g.
  // "rules.json: signature 'openssl': patterns[0].regex: ..."), when two signatures share an
  // id, or when Hyperscan or std::regex refuses a pattern; kInternal when Hyperscan cannot
  // allocate its scratch space.
  static Result<std::unique_ptr<VersionSignatures>> Load(std::string_view json,
                                                         std::string_view origin);

  // The embedded rules/versions.json, compiled on first use (thread-safe). The rules are
  // checked by the unit tests; if they ever failed to compile, this aborts with the error.
  static const VersionSignatures& Builtin();

  // Number of signatures (components that can be recognised).
  size_t size() const;
  // Ids of the signatures, in rule order.
  std::vector<std::string> ids() const;

  // Every component whose signature matches in `content`: one per component+version, with
  // the first offset as evidence {method "signature:<id>", provenance, offset, excerpt}.
  // Sorted by name, then version. Never fails: unreadable bytes simply match nothing.
  std::vector<Component> Scan(ByteView content, std::string_view provenance) const;

  // Same, as SignatureMatch (for callers that want the match type).
  std::vector<SignatureMatch> ScanMatches(ByteView content, std::string_view provenance) const;

  // For benchmarks: scans with one Hyperscan database per signature, one pass each (the
  // naive alternative the single pass replaces). Same results as Scan.
  std::vector<Component> ScanOnePassPerSignature(ByteView content,
                                                 std::string_view provenance) const;

  struct Impl;

 private:
  explicit VersionSignatures(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clearbox::inventory
