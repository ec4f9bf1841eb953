// The pledge, release and verdict predicates (docs/statements.md, docs/schemas/*.json).
// Field names are lowerCamelCase and digests DigestSets, as the in-toto guidelines ask.
#include "clearbox/release/statement.h"
#include "strict_json.h"

namespace clearbox::release {
namespace {

using internal::FieldReader;
using internal::Json;
using internal::Pointer;

constexpr std::string_view kWhat = "statement";
constexpr std::string_view kPath = "/predicate";

Json DigestSet(const std::string& sha256) { return {{"sha256", sha256}}; }

Result<FieldReader> PredicateFields(const Json& predicate) {
  if (!predicate.is_object()) {
    return Error::InvalidInput("statement: /predicate: expected an object");
  }
  return FieldReader(predicate, std::string(kWhat), std::string(kPath));
}

}  // namespace

Json ToJson(const PledgePredicate& p) {
  Json j = {{"vendor", p.vendor}, {"product", p.product}, {"pledgeDigest", DigestSet(p.pledge_sha256)}};
  if (!p.document.empty()) j["document"] = p.document;
  return j;
}

Json ToJson(const ReleasePredicate& p) {
  Json j = {{"vendor", p.vendor},
            {"product", p.product},
            {"version", p.version},
            {"securityVersion", p.security_version},
            {"pledgeDigest", DigestSet(p.pledge_sha256)}};
  if (!p.sbom_sha256.empty()) j["sbomDigest"] = DigestSet(p.sbom_sha256);
  if (!p.source_revision.empty()) j["sourceRevision"] = p.source_revision;
  if (p.build_provenance) {
    Json ref = {{"uri", p.build_provenance->uri}};
    if (!p.build_provenance->sha256.empty()) ref["digest"] = DigestSet(p.build_provenance->sha256);
    j["buildProvenance"] = std::move(ref);
  }
  return j;
}

Json ToJson(const VerdictPredicate& p) {
  return {{"sarifDigest", DigestSet(p.sarif_sha256)},
          {"pledgeDigest", DigestSet(p.pledge_sha256)},
          {"clearboxVersion", p.clearbox_version},
          {"ruleSetDigest", DigestSet(p.rule_set_sha256)},
          {"result", p.pass ? "pass" : "fail"},
          {"blockingFindings", p.blocking_findings},
          {"evaluator", p.evaluator}};
}

Result<PledgePredicate> PledgePredicateFromJson(const Json& predicate) {
  CLEARBOX_ASSIGN_OR_RETURN(FieldReader f, PredicateFields(predicate));
  PledgePredicate p;
  CLEARBOX_ASSIGN_OR_RETURN(p.vendor, f.String("vendor"));
  CLEARBOX_ASSIGN_OR_RETURN(p.product, f.String("product"));
  CLEARBOX_ASSIGN_OR_RETURN(p.pledge_sha256, f.DigestSetSha256("pledgeDigest"));
  if (f.Has("document")) {
    CLEARBOX_ASSIGN_OR_RETURN(p.document, f.String("document", kMaxPledgeDocumentBytes));
  }
  return p;
}

Result<ReleasePredicate> ReleasePredicateFromJson(const Json& predicate) {
  CLEARBOX_ASSIGN_OR_RETURN(FieldReader f, PredicateFields(predicate));
  ReleasePredicate p;
  CLEARBOX_ASSIGN_OR_RETURN(p.vendor, f.String("vendor"));
  CLEARBOX_ASSIGN_OR_RETURN(p.product, f.String("product"));
  CLEARBOX_ASSIGN_OR_RETURN(p.version, f.String("version", 256));
  CLEARBOX_ASSIGN_OR_RETURN(p.security_version, f.Unsigned("securityVersion"));
  CLEARBOX_ASSIGN_OR_RETURN(p.pledge_sha256, f.DigestSetSha256("pledgeDigest"));
  if (f.Has("sbomDigest")) {
    CLEARBOX_ASSIGN_OR_RETURN(p.sbom_sha256, f.DigestSetSha256("sbomDigest"));
  }
  if (f.Has("sourceRevision")) {
    CLEARBOX_ASSIGN_OR_RETURN(p.source_revision, f.String("sourceRevision", 1024));
  }
  if (f.Has("buildProvenance")) {
    CLEARBOX_ASSIGN_OR_RETURN(const Json* ref, f.Member("buildProvenance", Json::value_t::object));
    FieldReader r(*ref, std::string(kWhat), Pointer(kPath, "buildProvenance"));
    ReleasePredicate::BuildProvenance provenance;
    CLEARBOX_ASSIGN_OR_RETURN(provenance.uri, r.String("uri"));
    if (r.Has("digest")) {
      CLEARBOX_ASSIGN_OR_RETURN(provenance.sha256, r.DigestSetSha256("digest"));
    }
    p.build_provenance = std::move(provenance);
  }
  return p;
}

Result<VerdictPredicate> VerdictPredicateFromJson(const Json& predicate) {
  CLEARBOX_ASSIGN_OR_RETURN(FieldReader f, PredicateFields(predicate));
  VerdictPredicate p;
  CLEARBOX_ASSIGN_OR_RETURN(p.sarif_sha256, f.DigestSetSha256("sarifDigest"));
  CLEARBOX_ASSIGN_OR_RETURN(p.pledge_sha256, f.DigestSetSha256("pledgeDigest"));
  CLEARBOX_ASSIGN_OR_RETURN(p.clearbox_version, f.String("clearboxVersion", 256));
  CLEARBOX_ASSIGN_OR_RETURN(p.rule_set_sha256, f.DigestSetSha256("ruleSetDigest"));
  CLEARBOX_ASSIGN_OR_RETURN(std::string result, f.String("result", 16));
  if (result != "pass" && result != "fail") {
    return f.Invalid("result", internal::Quoted(result) + " is neither \"pass\" nor \"fail\"");
  }
  p.pass = result == "pass";
  CLEARBOX_ASSIGN_OR_RETURN(const Json* ids, f.Member("blockingFindings", Json::value_t::array));
  if (ids->size() > kMaxBlockingFindings) {
    return Error::LimitExceeded("statement: /predicate/blockingFindings: " +
                                std::to_string(ids->size()) + " ids, more than the limit of " +
                                std::to_string(kMaxBlockingFindings));
  }
  std::string ids_path = Pointer(kPath, "blockingFindings");
  for (size_t i = 0; i < ids->size(); ++i) {
    const Json& id = (*ids)[i];
    if (!id.is_string() || id.get_ref<const std::string&>().empty()) {
      return Error::InvalidInput("statement: " + Pointer(ids_path, i) +
                                 ": expected a non-empty finding id");
    }
    p.blocking_findings.push_back(id.get<std::string>());
  }
  // A pass with blocking findings, or a fail without any, contradicts itself.
  if (p.pass && !p.blocking_findings.empty()) {
    return f.Invalid("blockingFindings", "a \"pass\" verdict lists blocking findings");
  }
  if (!p.pass && p.blocking_findings.empty()) {
    return f.Invalid("blockingFindings", "a \"fail\" verdict names no blocking finding");
  }
  CLEARBOX_ASSIGN_OR_RETURN(p.evaluator, f.String("evaluator", 1024));
  return p;
}

}  // namespace clearbox::release
