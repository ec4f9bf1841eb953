// The decision in progress, shared by the log checks (decide_log.cc) and the statement checks
// (decide_statements.cc). Not API.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/gate/gate.h"
#include "clearbox/release/statement.h"
#include "clearbox/tlog/checkpoint.h"

namespace clearbox::gate::internal {

// Check names, in report order (docs/gate.md lists them).
inline constexpr std::string_view kCheckBundle = "bundle";
inline constexpr std::string_view kCheckCheckpoint = "checkpoint";
inline constexpr std::string_view kCheckWitnesses = "witnesses";
inline constexpr std::string_view kCheckAge = "checkpoint-age";
inline constexpr std::string_view kCheckState = "state";
inline constexpr std::string_view kCheckInclusion = "inclusion";
inline constexpr std::string_view kCheckStatements = "statements";
inline constexpr std::string_view kCheckPledge = "pledge";
inline constexpr std::string_view kCheckRelease = "release";
inline constexpr std::string_view kCheckVendor = "vendor";
inline constexpr std::string_view kCheckRevoked = "revoked";
inline constexpr std::string_view kCheckBinding = "binding";
inline constexpr std::string_view kCheckEvaluators = "evaluators";
inline constexpr std::string_view kCheckVerdict = "verdict";
inline constexpr std::string_view kCheckSecurityVersion = "security-version";

// A policy key with its roles; vendor and evaluator lists may share a key (it is one key).
struct PolicyKey {
  const release::TrustedKey* key = nullptr;
  bool vendor = false;
  bool evaluator = false;
  bool revoked = false;
};

enum class Kind { kUnknown, kPledge, kRelease, kVerdict };

// One bundle statement after its signatures were checked.
struct OpenedStatement {
  size_t index = 0;  // in the bundle
  uint64_t log_index = 0;
  std::string problem;          // why it cannot be used ("" = usable)
  std::vector<size_t> signers;  // indices into Context::keys with a valid signature
  Kind kind = Kind::kUnknown;   // from the verified predicateType
  std::string subject_sha256;
  std::string predicate_json;  // to tell two different statements of one kind apart
  release::PledgePredicate pledge;
  release::ReleasePredicate release;
  release::VerdictPredicate verdict;
};

// How many keys of one role count for a statement, and which revoked keys signed it too.
struct Tally {
  size_t counted = 0;
  std::vector<std::string> revoked_keyids;
};

struct Context {
  Context(const Policy& p, std::string_view image, const DeviceState* s,
          std::chrono::system_clock::time_point t)
      : policy(p), image_sha256(image), state(s), now(t) {}

  const Policy& policy;
  std::string_view image_sha256;
  const DeviceState* state;
  std::chrono::system_clock::time_point now;
  Decision decision;

  Bundle bundle;
  std::optional<tlog::VerifiedCheckpoint> checkpoint;  // the bundle's, once it verified
  size_t witnesses_valid = 0;
  bool witness_quorum_met = false;
  std::optional<uint64_t> newest_cosignature;  // POSIX seconds
  std::optional<uint64_t> stored_size;         // the state's checkpoint's, once it verified
  bool stored_unusable = false;                // the state's checkpoint did not verify

  std::vector<PolicyKey> keys;
  std::vector<OpenedStatement> statements;
  size_t signature_checks = 0;  // against kMaxSignatureChecks
  // Chosen by the pledge and release checks, for those after them.
  const OpenedStatement* pledge = nullptr;
  const OpenedStatement* release = nullptr;
  // Revoked keys that made a threshold fail: "<keyid> (statement i)".
  std::vector<std::string> revoked_blocking;

  void Add(std::string_view name, bool passed, std::string reason) {
    decision.checks.push_back(GateCheck{std::string(name), passed, std::move(reason)});
  }
};

// "statement 2 (logIndex 7)".
std::string StatementLabel(const OpenedStatement& s);
// The first 16 hex digits of a digest, for messages that stay one line.
std::string Short(std::string_view sha256);

// Log checks: checkpoint, witnesses, checkpoint-age, state, inclusion.
void CheckLog(Context& ctx);
// Statement checks: statements through security-version.
void CheckStatements(Context& ctx);

}  // namespace clearbox::gate::internal
