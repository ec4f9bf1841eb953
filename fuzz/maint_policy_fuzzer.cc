// Fuzzes the maintenance policy parser (strict JSON, people and their verifier keys, roles,
// thresholds, durations, the CA key, source-address, the log) and, for each policy it
// accepts, the check against a pledge's maintenance section. An accepted policy must hold
// what the parser promises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "clearbox/maint/policy.h"

using namespace clearbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)maint::ParseDuration(text.substr(0, 16));
  auto policy = maint::ParsePolicy(text, "policy.json");
  if (!policy.ok()) {
    (void)policy.error().message();
    return 0;
  }
  const maint::Policy& p = *policy;
  if (p.thresholds.empty() || p.approvers.empty() || p.requesters.empty() ||
      p.max_window_seconds == 0 ||
      p.max_window_seconds > maint::PolicyLimits::kMaxWindowSeconds ||
      p.principals.size() > maint::PolicyLimits::kMaxPrincipals) {
    std::abort();
  }
  for (const maint::Threshold& t : p.thresholds) {
    if (t.approve == 0 || t.deny == 0 || t.roles.empty()) std::abort();
  }
  (void)maint::CheckPolicyAgainstPledge(p, {"operator-approved", 2, 3});
  (void)maint::CheckPolicyAgainstPledge(p, {"none", 0, 0});
  (void)maint::FormatDuration(p.max_window_seconds);
  return 0;
}
