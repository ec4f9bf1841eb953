// The fixed world the gate targets decide in: keys derived from a constant, so that the
// seeds in fuzz/corpus/gate_bundle (bundles signed in this world) verify, and the mutations
// start deep inside the decision instead of at its first signature check.
#pragma once

#include "gate/gate_test_util.h"

namespace clearbox::fuzz {

struct GateWorld {
  GateWorld() : world(Options()) {
    good_bundle = gate::SerializeBundle(world.GoodBundle());
    policy = world.MakePolicy();
  }
  static gate::testing::WorldOptions Options() {
    gate::testing::WorldOptions o;
    o.key_seed = "clearbox gate fuzz";
    o.quorum = 1;
    return o;
  }
  gate::testing::World world;
  std::string good_bundle;
  gate::Policy policy;
};

inline GateWorld& TheGateWorld() {
  static auto* w = new GateWorld();
  return *w;
}

}  // namespace clearbox::fuzz
