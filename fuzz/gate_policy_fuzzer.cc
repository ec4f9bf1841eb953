// Fuzzes ParsePolicy (JSON paths, key texts of three kinds, thresholds, revocations, limits)
// and, for each policy it accepts, Decide on a fixed good bundle: every policy shape must
// give a decision, never a crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gate_world.h"

using namespace clearbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::GateWorld& g = fuzz::TheGateWorld();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = gate::ParsePolicy(text);
  if (!policy.ok()) return 0;
  const gate::Policy& p = *policy;
  if (p.vendor_keys.threshold < 1 || p.vendor_keys.threshold > p.vendor_keys.keys.size() ||
      p.evaluator_keys.threshold < 1 || p.evaluator_keys.threshold > p.evaluator_keys.keys.size() ||
      p.witness_quorum > p.witness_keys.size() || !p.log_key) {
    std::abort();
  }
  gate::Decision d = gate::Decide(p, g.good_bundle, g.world.image_sha256, nullptr, g.world.now);
  if (d.checks.size() != gate::GateCheckNames().size()) std::abort();
  return 0;
}
