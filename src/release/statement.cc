// in-toto Statement v1 and the sign/open helpers over DSSE.
#include "clearbox/release/statement.h"

#include "clearbox/core/digest.h"
#include "strict_json.h"

namespace clearbox::release {

using internal::FieldReader;
using internal::Json;
using internal::Pointer;

Result<Statement> ParseStatement(std::string_view json) {
  CLEARBOX_ASSIGN_OR_RETURN(Json doc, internal::ParseStrictJson(json, "statement"));
  if (!doc.is_object()) return Error::InvalidInput("statement: expected a JSON object");
  FieldReader fields(doc, "statement", "");
  CLEARBOX_ASSIGN_OR_RETURN(std::string type, fields.String("_type"));
  if (type != kStatementType) {
    return fields.Invalid("_type", internal::Quoted(type) + " is not " +
                                       internal::Quoted(std::string(kStatementType)));
  }
  Statement s;
  CLEARBOX_ASSIGN_OR_RETURN(s.predicate_type, fields.String("predicateType", 1024));
  CLEARBOX_ASSIGN_OR_RETURN(const Json* subjects, fields.Member("subject", Json::value_t::array));
  if (subjects->empty()) return fields.Invalid("subject", "no subjects");
  if (subjects->size() > kMaxStatementSubjects) {
    return Error::LimitExceeded("statement: /subject: " + std::to_string(subjects->size()) +
                                " subjects, more than the limit of " +
                                std::to_string(kMaxStatementSubjects));
  }
  for (size_t i = 0; i < subjects->size(); ++i) {
    std::string path = Pointer("/subject", i);
    const Json& entry = (*subjects)[i];
    if (!entry.is_object()) return Error::InvalidInput("statement: " + path + ": expected an object");
    FieldReader subject(entry, "statement", path);
    Subject out;
    CLEARBOX_ASSIGN_OR_RETURN(out.name, subject.String("name"));
    CLEARBOX_ASSIGN_OR_RETURN(out.sha256, subject.DigestSetSha256("digest"));
    s.subjects.push_back(std::move(out));
  }
  if (doc.contains("predicate")) {  // optional in the spec; an object when present
    CLEARBOX_ASSIGN_OR_RETURN(const Json* predicate,
                              fields.Member("predicate", Json::value_t::object));
    s.predicate = *predicate;
  }
  return s;
}

std::string SerializeStatement(const Statement& statement) {
  Json subjects = Json::array();
  for (const auto& s : statement.subjects) {
    subjects.push_back({{"name", s.name}, {"digest", {{"sha256", s.sha256}}}});
  }
  Json doc = {{"_type", kStatementType},
              {"subject", std::move(subjects)},
              {"predicateType", statement.predicate_type},
              {"predicate", statement.predicate}};
  return doc.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace) + "\n";
}

namespace {

Result<const Json*> SingleSubjectPredicate(const Statement& s, std::string_view type) {
  if (s.predicate_type != type) {
    return Error::InvalidInput("statement: /predicateType: " + internal::Quoted(s.predicate_type) +
                               " is not " + internal::Quoted(std::string(type)));
  }
  if (s.subjects.size() != 1) {
    return Error::InvalidInput("statement: /subject: " + std::to_string(s.subjects.size()) +
                               " subjects; a " + std::string(type) + " statement has exactly one");
  }
  return &s.predicate;
}

}  // namespace

Statement MakePledgeStatement(std::string pledge_name, const PledgePredicate& p) {
  return {{{std::move(pledge_name), p.pledge_sha256}}, std::string(kPledgePredicateType), ToJson(p)};
}
Statement MakeReleaseStatement(std::string image_name, std::string image_sha256,
                               const ReleasePredicate& p) {
  return {{{std::move(image_name), std::move(image_sha256)}},
          std::string(kReleasePredicateType),
          ToJson(p)};
}
Statement MakeVerdictStatement(std::string image_name, std::string image_sha256,
                               const VerdictPredicate& p) {
  return {{{std::move(image_name), std::move(image_sha256)}},
          std::string(kVerdictPredicateType),
          ToJson(p)};
}

Result<PledgePredicate> PledgeOf(const Statement& s) {
  CLEARBOX_ASSIGN_OR_RETURN(const Json* predicate, SingleSubjectPredicate(s, kPledgePredicateType));
  CLEARBOX_ASSIGN_OR_RETURN(PledgePredicate p, PledgePredicateFromJson(*predicate));
  if (p.pledge_sha256 != s.subjects[0].sha256) {
    return Error::InvalidInput(
        "statement: /predicate/pledgeDigest/sha256: differs from the subject's digest " +
        s.subjects[0].sha256);
  }
  if (!p.document.empty() && Sha256Hex(AsBytes(p.document)) != p.pledge_sha256) {
    return Error::InvalidInput(
        "statement: /predicate/document: its SHA-256 is not the pledgeDigest " + p.pledge_sha256);
  }
  return p;
}

Result<ReleasePredicate> ReleaseOf(const Statement& s) {
  CLEARBOX_ASSIGN_OR_RETURN(const Json* predicate,
                            SingleSubjectPredicate(s, kReleasePredicateType));
  return ReleasePredicateFromJson(*predicate);
}

Result<VerdictPredicate> VerdictOf(const Statement& s) {
  CLEARBOX_ASSIGN_OR_RETURN(const Json* predicate,
                            SingleSubjectPredicate(s, kVerdictPredicateType));
  return VerdictPredicateFromJson(*predicate);
}

Result<std::string> SignStatement(const Statement& statement,
                                  const crypto::Ed25519PrivateKey& key) {
  std::string payload = SerializeStatement(statement);
  CLEARBOX_ASSIGN_OR_RETURN(Envelope env, SignEnvelope(kInTotoPayloadType, AsBytes(payload), key));
  return SerializeEnvelope(env);
}

Result<VerifiedStatement> OpenStatement(std::string_view envelope_json,
                                        std::span<const TrustedKey> trusted) {
  CLEARBOX_ASSIGN_OR_RETURN(Envelope env, ParseEnvelope(envelope_json));
  CLEARBOX_ASSIGN_OR_RETURN(VerifiedPayload verified, VerifyEnvelope(env, trusted));
  CLEARBOX_ASSIGN_OR_RETURN(Statement statement, ParseStatement(AsChars(verified.payload)));
  return VerifiedStatement{std::move(statement), std::move(verified.signed_by)};
}

}  // namespace clearbox::release
