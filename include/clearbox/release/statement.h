// in-toto Statement v1 (github.com/in-toto/attestation, spec/v1/statement.md) and the three
// predicates clearbox signs (docs/statements.md, docs/schemas/):
//
//   pledge   https://clearbox.dev/pledge/v1    subject: the pledge document
//   release  https://clearbox.dev/release/v1   subject: the firmware image
//   verdict  https://clearbox.dev/verdict/v1   subject: the firmware image
//
//   Statement s = MakeReleaseStatement("fw.bin", image_sha256, release);
//   CLEARBOX_ASSIGN_OR_RETURN(std::string envelope_json, SignStatement(s, vendor_key));
//   ...
//   CLEARBOX_ASSIGN_OR_RETURN(VerifiedStatement v, OpenStatement(envelope_json, trusted));
//   CLEARBOX_ASSIGN_OR_RETURN(ReleasePredicate r, ReleaseOf(v.statement));
//
// Parsing is strict where it matters and open where the spec asks: unknown fields are
// allowed (and ignored), required fields are checked, digests are 64 lowercase hex.
// Thread-safety: pure functions over plain values.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/release/dsse.h"

namespace clearbox::release {

inline constexpr std::string_view kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kPledgePredicateType = "https://clearbox.dev/pledge/v1";
inline constexpr std::string_view kReleasePredicateType = "https://clearbox.dev/release/v1";
inline constexpr std::string_view kVerdictPredicateType = "https://clearbox.dev/verdict/v1";
inline constexpr size_t kMaxStatementSubjects = 1024;
inline constexpr size_t kMaxBlockingFindings = 10000;

// A subject: a name and its SHA-256 (in-toto allows other digests; clearbox requires sha256
// and keeps only it).
struct Subject {
  std::string name;
  std::string sha256;  // 64 lowercase hex
};

struct Statement {
  std::vector<Subject> subjects;  // at least one
  std::string predicate_type;     // a URI
  nlohmann::json predicate = nlohmann::json::object();
};

// Errors: kInvalidInput naming the JSON path ("statement: /subject/0/digest/sha256: ..."),
// kLimitExceeded (nesting, more than kMaxStatementSubjects subjects).
Result<Statement> ParseStatement(std::string_view json);
// Compact JSON, keys sorted, ending in a newline.
std::string SerializeStatement(const Statement& statement);

// The vendor's pledge. The subject is the pledge document; pledge_sha256 repeats its digest.
struct PledgePredicate {
  std::string vendor;
  std::string product;
  std::string pledge_sha256;
  // The pledge file's text, carried so that an evaluator needs only the envelope; "" = not
  // carried. When present its SHA-256 must be pledge_sha256 (PledgeOf checks).
  std::string document;
};
inline constexpr size_t kMaxPledgeDocumentBytes = size_t{4} << 20;

// A release the vendor announces. The subject is the image.
struct ReleasePredicate {
  std::string vendor;
  std::string product;
  std::string version;
  uint64_t security_version = 0;   // monotonic: a device refuses a lower one
  std::string pledge_sha256;       // the pledge the release is made under
  std::string sbom_sha256;         // optional ("" = none)
  std::string source_revision;     // optional ("" = none)
  struct BuildProvenance {
    std::string uri;     // where the provenance (e.g. a SLSA statement) is
    std::string sha256;  // optional digest of it
  };
  std::optional<BuildProvenance> build_provenance;
};

// An evaluator's verdict on an image against a pledge. The subject is the image.
struct VerdictPredicate {
  std::string sarif_sha256;        // the audit report (SARIF 2.1.0)
  std::string pledge_sha256;       // the pledge it was judged against
  std::string clearbox_version;
  std::string rule_set_sha256;
  bool pass = false;                           // "pass" or "fail"
  std::vector<std::string> blocking_findings;  // ids; empty when pass, not empty when fail
  std::string evaluator;                       // the evaluator's identity
};

nlohmann::json ToJson(const PledgePredicate& p);
nlohmann::json ToJson(const ReleasePredicate& p);
nlohmann::json ToJson(const VerdictPredicate& p);
// Errors: kInvalidInput naming the JSON path under /predicate.
Result<PledgePredicate> PledgePredicateFromJson(const nlohmann::json& predicate);
Result<ReleasePredicate> ReleasePredicateFromJson(const nlohmann::json& predicate);
Result<VerdictPredicate> VerdictPredicateFromJson(const nlohmann::json& predicate);

Statement MakePledgeStatement(std::string pledge_name, const PledgePredicate& p);
Statement MakeReleaseStatement(std::string image_name, std::string image_sha256,
                               const ReleasePredicate& p);
Statement MakeVerdictStatement(std::string image_name, std::string image_sha256,
                               const VerdictPredicate& p);

// The predicate of a statement of that type, checked against it: the predicateType
// matches, there is exactly one subject, and (pledge) the subject's digest is the pledge's.
// Errors: kInvalidInput (wrong predicateType, subject count, invalid predicate, mismatch).
Result<PledgePredicate> PledgeOf(const Statement& s);
Result<ReleasePredicate> ReleaseOf(const Statement& s);
Result<VerdictPredicate> VerdictOf(const Statement& s);

// The statement in an envelope (payloadType application/vnd.in-toto+json), one signature.
Result<std::string> SignStatement(const Statement& statement, const crypto::Ed25519PrivateKey& key);

struct VerifiedStatement {
  Statement statement;
  std::vector<std::string> signed_by;  // distinct trusted keys, as VerifyEnvelope
};
// Parses the envelope, verifies it against `trusted`, then parses the statement.
// Errors: those of ParseEnvelope, VerifyEnvelope and ParseStatement, in that order.
Result<VerifiedStatement> OpenStatement(std::string_view envelope_json,
                                        std::span<const TrustedKey> trusted);

}  // namespace clearbox::release
