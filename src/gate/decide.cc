// Decide: runs every check of docs/gate.md in order and never fails; a bundle that cannot be
// read is one failed check.
#include <algorithm>

#include "decide_internal.h"

namespace clearbox::gate {

std::vector<std::string_view> GateCheckNames() {
  using namespace internal;
  return {kCheckBundle,    kCheckCheckpoint, kCheckWitnesses, kCheckAge,     kCheckState,
          kCheckInclusion, kCheckStatements, kCheckPledge,    kCheckRelease, kCheckVendor,
          kCheckBinding,   kCheckEvaluators, kCheckVerdict,   kCheckRevoked, kCheckSecurityVersion};
}

Decision Decide(const Policy& policy, std::string_view bundle_json, std::string_view image_sha256,
                const DeviceState* state, std::chrono::system_clock::time_point now) {
  internal::Context ctx(policy, image_sha256, state, now);
  if (state) ctx.decision.next_state = *state;
  // ParseBundle checks kMaxBundleBytes before it reads a byte of JSON.
  auto bundle = ParseBundle(bundle_json);
  if (!bundle.ok()) {
    ctx.Add(internal::kCheckBundle, false, bundle.error().message());
    return std::move(ctx.decision);
  }
  if (!policy.log_key) {  // a Policy not made by ParsePolicy
    ctx.Add(internal::kCheckBundle, false, "the policy has no log key");
    return std::move(ctx.decision);
  }
  ctx.bundle = std::move(*bundle);
  ctx.Add(internal::kCheckBundle, true,
          std::to_string(ctx.bundle.statements.size()) + " statements, " +
              std::to_string(ctx.bundle.consistency_proofs.size()) + " consistency proofs, " +
              std::to_string(bundle_json.size()) + " bytes");
  internal::CheckLog(ctx);
  internal::CheckStatements(ctx);

  Decision& d = ctx.decision;
  d.accepted =
      std::all_of(d.checks.begin(), d.checks.end(), [](const GateCheck& c) { return c.passed; });
  if (ctx.release) {
    d.next_state.highest_security_version =
        std::max(d.next_state.highest_security_version, ctx.release->release.security_version);
  }
  // The larger tree: the state check has refused a smaller one and a fork of the same size. A
  // stored checkpoint that does not verify is not kept (that update was rejected anyway).
  if (ctx.checkpoint && !ctx.stored_unusable &&
      (d.next_state.checkpoint.empty() ||
       ctx.checkpoint->checkpoint.size > ctx.stored_size.value_or(0))) {
    d.next_state.checkpoint = ctx.checkpoint->signed_note;
  }
  return std::move(ctx.decision);
}

}  // namespace clearbox::gate
