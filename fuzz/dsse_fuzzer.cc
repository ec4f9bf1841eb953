// Fuzzes the release module's parsers: the DSSE envelope (JSON, base64, limits), signature
// checks against a fixed trusted key, the in-toto statement inside, and the three predicates.
// An input that is not an envelope is also parsed as a bare statement, so both parsers see
// every mutation.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "clearbox/release/dsse.h"
#include "clearbox/release/statement.h"

using namespace clearbox;

namespace {

void ParsePredicates(const release::Statement& s) {
  (void)release::PledgeOf(s);
  (void)release::ReleaseOf(s);
  (void)release::VerdictOf(s);
  (void)release::PledgePredicateFromJson(s.predicate);
  (void)release::ReleasePredicateFromJson(s.predicate);
  (void)release::VerdictPredicateFromJson(s.predicate);
  (void)release::SerializeStatement(s);
}

const std::vector<release::TrustedKey>& Trusted() {
  static const auto* keys = new std::vector<release::TrustedKey>{
      release::TrustedKey::FromEd25519("fuzz", crypto::Ed25519PublicKey{1, 2, 3})};
  return *keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Result<release::Envelope> env = release::ParseEnvelope(text);
  if (env.ok()) {
    (void)release::SerializeEnvelope(*env);
    (void)release::CheckSignatures(*env, Trusted());
    (void)release::VerifyEnvelope(*env, Trusted());
    auto statement = release::ParseStatement(AsChars(env->payload));
    if (statement.ok()) ParsePredicates(*statement);
  } else {
    (void)env.error().message();
  }
  auto bare = release::ParseStatement(text);
  if (bare.ok()) ParsePredicates(*bare);
  return 0;
}
