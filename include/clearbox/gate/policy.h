// A device's trust policy (docs/gate.md, docs/schemas/gate-policy.schema.json): whom it
// trusts to release and to evaluate firmware, which log and witnesses, and the floor it keeps.
//
//   {"type": "https://clearbox.dev/gate-policy/v1",
//    "vendor": "Example Networks", "product": "EX-1000 edge router",          (optional)
//    "vendorKeys":    {"threshold": 1, "keys": ["<key>", ...]},
//    "evaluatorKeys": {"threshold": 1, "keys": ["<key>", ...]},
//    "log": {"origin": "demo.example/log", "key": "<C2SP verifier key>"},
//    "witnesses": {"quorum": 1, "keys": ["<C2SP cosignature verifier key>", ...]},
//    "minSecurityVersion": 3,
//    "maxCheckpointAgeSeconds": 86400,                                         (optional)
//    "requiredVerdict": "pass",
//    "revokedKeys": ["<keyid (hex SHA-256, as `release show` prints it) or key>", ...]}
//
// A <key> is a C2SP verifier key (`clearbox key public`) or a PEM public key (Ed25519 or
// ECDSA P-256), as release::TrustedKey::FromKeyText reads them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/crypto/note.h"
#include "clearbox/release/dsse.h"

namespace clearbox::gate {

inline constexpr std::string_view kPolicyType = "https://clearbox.dev/gate-policy/v1";
inline constexpr size_t kMaxPolicyBytes = size_t{1} << 20;
inline constexpr size_t kMaxPolicyKeys = 256;

struct KeyThreshold {
  std::vector<release::TrustedKey> keys;
  size_t threshold = 1;  // 1 <= threshold <= keys.size()
};

struct Policy {
  std::string vendor;   // "" = any; else the statements' vendor must equal it
  std::string product;  // "" = any
  KeyThreshold vendor_keys;
  KeyThreshold evaluator_keys;
  std::string log_origin;
  std::shared_ptr<const crypto::NoteVerifier> log_key;
  std::vector<std::shared_ptr<const crypto::NoteVerifier>> witness_keys;
  size_t witness_quorum = 0;  // 0 <= quorum <= witness_keys.size()
  uint64_t min_security_version = 0;
  std::optional<std::chrono::seconds> max_checkpoint_age;  // absent: not checked
  bool require_pass = true;  // requiredVerdict "pass" (or "any": a signed verdict suffices)
  std::vector<std::string> revoked_keyids;  // normalised to keyids
};

// Errors: kLimitExceeded (above kMaxPolicyBytes or kMaxPolicyKeys); kInvalidInput naming the
// JSON path ("policy: /vendorKeys/threshold: 3 is more than the 2 keys listed").
Result<Policy> ParsePolicy(std::string_view json);

}  // namespace clearbox::gate
