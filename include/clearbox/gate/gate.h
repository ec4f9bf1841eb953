// The device gate: may this image be installed? Everything is checked offline, from the
// policy, the bundle, the image's digest and the device's state (docs/gate.md).
//
//   CLEARBOX_ASSIGN_OR_RETURN(Policy policy, ParsePolicy(policy_json));
//   std::optional<DeviceState> state = ...;  // ParseDeviceState of the stored file, if any
//   Decision d = Decide(policy, bundle_json, image_sha256, state ? &*state : nullptr, now);
//   for (const GateCheck& c : d.checks) print(c.name, c.passed, c.reason);
//   if (d.accepted) { install(); store(FormatDeviceState(d.next_state)); }
//
// The gate links core, crypto, release (statements) and tlog_verify only: no auditor,
// unpacker, server or network code. Thread-safety: pure functions over plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/gate/bundle.h"
#include "clearbox/gate/policy.h"

namespace clearbox::gate {

inline constexpr std::string_view kStateType = "https://clearbox.dev/gate-state/v1";

// What a device remembers between updates, so that a later rollback or log fork is refused.
struct DeviceState {
  uint64_t highest_security_version = 0;
  std::string checkpoint;  // the largest checkpoint accepted (signed note), "" before the first
};
// JSON {"type": "https://clearbox.dev/gate-state/v1", "highestSecurityVersion": n,
// "checkpoint": "..."}, ending in a newline. The caller writes it atomically.
std::string FormatDeviceState(const DeviceState& state);
// Errors: kInvalidInput naming the field; kLimitExceeded above 1 MiB.
Result<DeviceState> ParseDeviceState(std::string_view json);

// One check and its outcome; `name` is stable (docs/gate.md lists them), `reason` is for
// people: why it passed ("3 of 3 witnesses cosigned, quorum 2") or precisely why not.
struct GateCheck {
  std::string name;
  bool passed = false;
  std::string reason;
};

struct Decision {
  bool accepted = false;          // every check passed
  std::vector<GateCheck> checks;  // in order; after a failure the independent checks still run
  // What was accepted (empty unless the statements could be read).
  std::string vendor, product, version;
  uint64_t security_version = 0;
  DeviceState next_state;  // the state to store when accepted
};

// Decides on `bundle_json` for the image whose SHA-256 (64 lowercase hex) is `image_sha256`.
// `now` is the device's clock, for the checkpoint's age. Never fails: an unusable bundle is a
// failed "bundle" check and a rejection.
Decision Decide(const Policy& policy, std::string_view bundle_json, std::string_view image_sha256,
                const DeviceState* state, std::chrono::system_clock::time_point now);

// The names of every check Decide reports, in the order it reports them (docs/gate.md).
std::vector<std::string_view> GateCheckNames();
// At most this many signature verifications per Decide (statements and checkpoint): a bundle
// of 64 statements with 64 signatures each, against a policy of hundreds of keys, must not
// keep a device busy for minutes. A statement beyond the budget counts as unsigned.
inline constexpr size_t kMaxSignatureChecks = 4096;

}  // namespace clearbox::gate
