// Fuzzes the device gate on hostile bundles: ParseBundle (JSON, base64 hashes, limits) and its
// round trip through SerializeBundle, then Decide in a fixed world (checkpoint and cosignature
// verification, Merkle proofs, DSSE envelopes, statements, thresholds). The same bytes are
// also read as a device state file and decided against the world's good bundle.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gate_world.h"

using namespace clearbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::GateWorld& g = fuzz::TheGateWorld();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto bundle = gate::ParseBundle(text);
  if (bundle.ok()) {
    // What the parser accepts, the serializer writes back, and the parser reads the same.
    std::string again = gate::SerializeBundle(*bundle);
    auto back = gate::ParseBundle(again);
    if (!back.ok() || gate::SerializeBundle(*back) != again) std::abort();
  }
  gate::Decision d = gate::Decide(g.policy, text, g.world.image_sha256, nullptr, g.world.now);
  if (d.checks.empty() || (d.accepted && !bundle.ok())) std::abort();
  auto state = gate::ParseDeviceState(text);
  if (state.ok()) {
    (void)gate::FormatDeviceState(*state);
    (void)gate::Decide(g.policy, g.good_bundle, g.world.image_sha256, &*state, g.world.now);
  }
  return 0;
}
