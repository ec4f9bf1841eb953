// Micro benchmarks of the tlog hashing paths (built with -DCLEARBOX_BUILD_BENCHMARKS=ON):
//   BM_LeafHash          SHA-256(0x00 || 256-byte entry)
//   BM_NodeHash          SHA-256(0x01 || left || right)
//   BM_TreeTilerAppend   leaf hash + compact range + tile building, per 256-byte entry
//   BM_VerifyInclusion   checking an inclusion proof in a tree of 2^20 leaves
//   BM_ProveFromTiles    an inclusion proof from verified tiles (memory fetcher)
#include <benchmark/benchmark.h>

#include <map>

#include "clearbox/tlog/merkle.h"
#include "clearbox/tlog/tiles.h"

namespace clearbox::tlog {
namespace {

Bytes Entry(uint64_t i) {
  Bytes e(256, static_cast<uint8_t>(i));
  StoreBE64(e.data(), i);
  return e;
}

void BM_LeafHash(benchmark::State& state) {
  Bytes e = Entry(1);
  for (auto _ : state) benchmark::DoNotOptimize(LeafHash(e));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LeafHash);

void BM_NodeHash(benchmark::State& state) {
  Hash a = LeafHash(Entry(1)), b = LeafHash(Entry(2));
  for (auto _ : state) benchmark::DoNotOptimize(a = NodeHash(a, b));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NodeHash);

void BM_TreeTilerAppend(benchmark::State& state) {
  TreeTiler tiler;
  Bytes e = Entry(0);
  uint64_t i = 0;
  for (auto _ : state) {
    StoreBE64(e.data(), i++);
    (void)tiler.Append(LeafHash(e));
    if ((i & 4095) == 0) benchmark::DoNotOptimize(tiler.TakeChangedTiles());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TreeTilerAppend);

using MapFetcher = MemoryFetcher;

struct Tree {
  MapFetcher store;
  Hash root;
  uint64_t size = uint64_t(1) << 20;
  Tree() {
    TreeTiler tiler;
    for (uint64_t i = 0; i < size; ++i) (void)tiler.Append(LeafHash(Entry(i)));
    for (auto& t : tiler.TakeChangedTiles()) store.files[t.path] = std::move(t.data);
    root = tiler.Root();
  }
};
Tree& BigTree() {
  static Tree t;
  return t;
}

void BM_VerifyInclusion(benchmark::State& state) {
  Tree& t = BigTree();
  TileHashReader reader(t.size, t.root, t.store);
  auto proof = ProveInclusion(123457, t.size, reader).value();
  Hash leaf = LeafHash(Entry(123457));
  for (auto _ : state)
    benchmark::DoNotOptimize(VerifyInclusion(123457, t.size, leaf, proof, t.root));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyInclusion);

void BM_ProveFromTiles(benchmark::State& state) {
  Tree& t = BigTree();
  TileHashReader reader(t.size, t.root, t.store);
  uint64_t i = 0;
  for (auto _ : state) {
    i = (i + 7919) % t.size;
    benchmark::DoNotOptimize(ProveInclusion(i, t.size, reader));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProveFromTiles);

}  // namespace
}  // namespace clearbox::tlog

BENCHMARK_MAIN();
