// The operator's maintenance policy (docs/maint.md, docs/maint.schema.json): who may ask for
// vendor maintenance, who approves it and how many must, how long a window may be, which
// device accounts may be asked for, where the certificate may be used from, and the log that
// records every request, review and certificate.
//
//   CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, kMaxPolicyBytes));
//   CLEARBOX_ASSIGN_OR_RETURN(Policy policy, ParsePolicy(text, path));
//   for (const std::string& f : CheckPolicyAgainstPledge(policy, pledge_maintenance)) ...
//
// Thresholds follow Teleport's access-request form: a request is approved when `approve`
// distinct approvers holding one of the threshold's roles have approved it, denied when
// `deny` of them have denied it; whichever threshold is reached first (in log order) decides.
//
// Thread-safety: pure functions over plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/release/dsse.h"

namespace clearbox::maint {

// Caps on untrusted policy input (and on what a request may carry).
struct PolicyLimits {
  static constexpr size_t kMaxPolicyBytes = size_t{1} << 20;
  static constexpr int kMaxDepth = 16;                 // JSON nesting
  static constexpr size_t kMaxPeople = 1000;           // approvers, requesters, issuers each
  static constexpr size_t kMaxRoles = 64;              // per person, per threshold
  static constexpr size_t kMaxThresholds = 64;
  static constexpr size_t kMaxPrincipals = 256;        // allowed, and asked for (= sshd's cap)
  static constexpr size_t kMaxNameBytes = 255;         // a name, role, principal, ticket
  static constexpr uint64_t kMaxWindowSeconds = 7 * 86400;  // no policy may allow more
  static constexpr uint64_t kMaxClockSkewSeconds = 3600;
};

// A person whose clearbox key (C2SP verifier key, `clearbox key public`) signs statements.
struct Person {
  std::string name;                // unique within its list
  std::vector<std::string> roles;  // approvers only
  std::string key_text;            // the key as the policy states it
  release::TrustedKey key;
  bool revoked = false;  // statements signed with it are refused, with that reason
};

struct Threshold {
  std::string name;                // for messages ("" = "threshold <i>")
  std::vector<std::string> roles;  // approvers holding any of these count
  uint32_t approve = 0;            // >= 1
  uint32_t deny = 0;               // >= 1
};

// The log every statement goes to and is read back from.
struct PolicyLog {
  std::string url;     // http://HOST:PORT of `clearbox log serve`, or a directory
  std::string key;     // the log's verifier key
  std::string origin;  // "" = the key's name
};

struct Policy {
  std::string ca_key;  // the operator's SSH CA public key line ("ssh-ed25519 AAAA...")
  std::vector<Person> requesters;  // may file requests
  std::vector<Person> approvers;   // may review them
  std::vector<Person> issuers;     // sign certificate records (`maint issue --key`)
  // Devices' recorder keys: sign session statements (`maint record --key`). Optional: with
  // none, no session statement counts and `maint audit` says so.
  std::vector<Person> recorders;
  std::vector<Threshold> thresholds;
  uint64_t max_window_seconds = 0;
  std::vector<std::string> principals;  // device accounts that may be asked for
  std::string source_address;           // the jump host (sshd source-address syntax)
  std::string force_command;            // the recording wrapper
  bool observer_required = false;       // a live observer must watch each session
  // "observer": {"relay": "HOST:PORT", "on-leave": "pause"|"end"} (optional): where the
  // recorder registers live sessions, and what it does when the last observer leaves.
  struct Observer {
    std::string relay;          // "" = none named (`maint record --observe-via`)
    bool end_on_leave = false;  // "end"; default "pause"
  } observer;
  uint64_t max_clock_skew_seconds = 300;
  PolicyLog log;
  std::string sha256;  // of the policy document's bytes
};

// Parses and validates a policy. Strict: unknown fields, wrong types, missing required fields,
// duplicate names or keys, out-of-range values and a threshold that no listed approver can
// reach are errors. Errors: kInvalidInput "NAME: /json/pointer: what was wrong";
// kLimitExceeded for a document over kMaxPolicyBytes, nested deeper than kMaxDepth, or a list
// over its cap.
Result<Policy> ParsePolicy(std::string_view text, std::string_view name);

// Parses a duration "90s", "30m", "4h", "2d" (1 to 6 digits and a unit). Errors: kInvalidInput.
Result<uint64_t> ParseDuration(std::string_view text);
// "4h", "90m", "45s": the largest unit that divides the value.
std::string FormatDuration(uint64_t seconds);

// The pledge's maintenance section as plain values (audit::Pledge::Maintenance; maint does
// not depend on audit).
struct PledgedMaintenance {
  std::string procedure;  // "none", "on-site" or "operator-approved"
  uint32_t approvals_required = 0;
  uint32_t approvers = 0;
};

// What the policy allows beyond what the pledge declares, one finding a line; empty when the
// policy keeps within the pledge. A pledge of "none" or "on-site" is broken by any policy
// (the policy grants remote access); "operator-approved" k-of-n is broken by a threshold that
// approves with fewer than k, or by more than n approvers able to count toward a threshold.
std::vector<std::string> CheckPolicyAgainstPledge(const Policy& policy,
                                                  const PledgedMaintenance& pledge);

// The person in `people` whose key verified (by name, as release::VerifiedPayload names
// them), or nullptr.
const Person* FindPerson(const std::vector<Person>& people, std::string_view name);

// The keys of `people`, revoked ones included (a revoked signer is reported, not unknown),
// for release::VerifyEnvelope.
std::vector<release::TrustedKey> KeysOf(const std::vector<Person>& people);

}  // namespace clearbox::maint
