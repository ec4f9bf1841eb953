// How long a device spends deciding on an update (docs/gate.md, bench/README.md). A realistic
// bundle: pledge, release and two verdicts (two evaluators, threshold 2) logged at the end of a
// tree of 2^20 leaves (inclusion proofs of 20 hashes), a checkpoint cosigned by 3 witnesses
// (quorum 2), a stored state 1000 entries behind with its consistency proof. Image hashing
// is measured apart: SHA-256 of a 32 MiB image.
//
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release \
//     -DCLEARBOX_BUILD_BENCHMARKS=ON -DCLEARBOX_BUILD_TESTS=OFF
//   ninja -C build-bench gate_benchmark && build-bench/src/gate_benchmark
//
// Built beside the module (as src/tlog_verify/merkle_benchmark.cc) so that it links
// libclearbox_gate alone, as a device does.
#include <benchmark/benchmark.h>

#include "gate_test_util.h"

namespace clearbox::gate {
namespace {

using testing::World;
using testing::WorldOptions;

struct Setup {
  Setup() : world(Options()) {
    World& w = world;
    w.log.AppendFiller((uint64_t{1} << 20) - 1000 - w.log.size());
    Bundle first = w.MakeBundle({w.Pledge()});
    uint64_t stored = w.log.size();  // the tree the device saw last time
    state.checkpoint = first.checkpoint;
    state.highest_security_version = 4;
    w.log.AppendFiller(1000 - 5);
    Bundle b = w.MakeBundle(
        {w.Pledge(), w.Release(), w.Verdict({&w.evaluator[0]}), w.Verdict({&w.evaluator[1]})});
    b.consistency_proofs.push_back(w.log.ProveConsistency(stored));
    bundle = SerializeBundle(b);
    policy = w.MakePolicy();
    Decision d = Decide(policy, bundle, w.image_sha256, &state, w.now);
    if (!d.accepted) {
      for (const auto& c : d.checks)
        std::fprintf(stderr, "%s: %s\n", c.name.c_str(), c.reason.c_str());
      std::abort();
    }
    proof_hashes = b.statements[1].inclusion_proof.size();
  }
  static WorldOptions Options() {
    WorldOptions o;
    o.vendor_keys = 2;
    o.evaluator_keys = 2;
    o.evaluator_threshold = 2;
    o.witnesses = 3;
    o.quorum = 2;
    o.filler = 0;
    return o;
  }
  World world;
  DeviceState state;
  std::string bundle;
  Policy policy;
  size_t proof_hashes = 0;
};

Setup& Get() {
  static Setup* s = new Setup();
  return *s;
}

void BM_Decide(benchmark::State& st) {
  Setup& s = Get();
  for (auto _ : st) {
    Decision d = Decide(s.policy, s.bundle, s.world.image_sha256, &s.state, s.world.now);
    benchmark::DoNotOptimize(d.accepted);
  }
  st.counters["bundle_bytes"] = double(s.bundle.size());
  st.counters["proof_hashes"] = double(s.proof_hashes);
}
BENCHMARK(BM_Decide)->Unit(benchmark::kMillisecond);

void BM_ParsePolicy(benchmark::State& st) {
  std::string text = Get().world.PolicyDocument().dump();
  for (auto _ : st) benchmark::DoNotOptimize(ParsePolicy(text).ok());
}
BENCHMARK(BM_ParsePolicy)->Unit(benchmark::kMicrosecond);

void BM_Sha256Image32MiB(benchmark::State& st) {
  Bytes image(size_t{32} << 20, 0x5a);
  for (auto _ : st) benchmark::DoNotOptimize(Sha256Hex(image));
  st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(image.size()));
}
BENCHMARK(BM_Sha256Image32MiB)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace clearbox::gate

BENCHMARK_MAIN();
