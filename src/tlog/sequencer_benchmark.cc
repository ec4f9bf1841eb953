// Micro benchmarks of the sequencer's CPU work per entry, without I/O:
//   BM_Integrate          TreeTiler + EntryBundler appends of 256-byte entries (leaf hash
//                         included), tiles taken every 4096 entries
//   BM_ProofFromCache     inclusion proof + tlog-proof text for a recent entry, from the
//                         sequencer's expanded-tile cache (what every POST /add answer costs)
//   BM_ProofFromTiles     the same proof from the generic verifying TileHashReader, for scale
#include <benchmark/benchmark.h>

#include <map>

#include "clearbox/tlog/proof.h"
#include "clearbox/tlog/tiles.h"
#include "tile_hash_cache.h"

namespace clearbox::tlog {
namespace {

using MapFetcher = MemoryFetcher;

Bytes Entry(uint64_t i) {
  Bytes e(256, 0);
  for (int k = 0; k < 8; ++k) e[k] = uint8_t(i >> (8 * k));
  return e;
}

struct Tree {
  MapFetcher tiles;
  uint64_t size = 0;
  Hash root{};
};

const Tree& BuildTree(uint64_t n) {
  static std::map<uint64_t, Tree>* trees = new std::map<uint64_t, Tree>();
  Tree& t = (*trees)[n];
  if (t.size == n) return t;
  TreeTiler tiler;
  for (uint64_t i = 0; i < n; ++i) (void)tiler.Append(LeafHash(Entry(i)));
  for (auto& d : tiler.TakeChangedTiles()) t.tiles.files[d.path] = d.data;
  t.size = n;
  t.root = tiler.Root();
  return t;
}

void BM_Integrate(benchmark::State& state) {
  std::vector<Bytes> entries;
  for (uint64_t i = 0; i < 4096; ++i) entries.push_back(Entry(i));
  TreeTiler tiler;
  EntryBundler bundler;
  for (auto _ : state) {
    for (const Bytes& e : entries) {
      (void)tiler.Append(LeafHash(e));
      (void)bundler.Append(e);
    }
    benchmark::DoNotOptimize(tiler.TakeChangedTiles());
    benchmark::DoNotOptimize(bundler.TakeChangedBundles());
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * 4096);
}
BENCHMARK(BM_Integrate);

void BM_ProofFromCache(benchmark::State& state) {
  const Tree& tree = BuildTree(uint64_t(state.range(0)));
  MapFetcher fetcher = tree.tiles;
  internal::TileHashCache cache(fetcher);
  cache.SetTreeSize(tree.size);
  TlogProof proof;
  proof.checkpoint = std::string(300, 'c');  // a checkpoint with a cosignature is ~300 bytes
  uint64_t i = tree.size - 4096;
  for (auto _ : state) {
    proof.index = i;
    proof.inclusion_proof = ProveInclusion(i, tree.size, cache).value();
    benchmark::DoNotOptimize(FormatTlogProof(proof));
    if (++i == tree.size) i = tree.size - 4096;
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_ProofFromCache)->Arg(100000)->Arg(1000000);

void BM_ProofFromTiles(benchmark::State& state) {
  const Tree& tree = BuildTree(uint64_t(state.range(0)));
  MapFetcher fetcher = tree.tiles;
  TileHashReader reader(tree.size, tree.root, fetcher, /*verify=*/false);
  uint64_t i = tree.size - 4096;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ProveInclusion(i, tree.size, reader).value());
    if (++i == tree.size) i = tree.size - 4096;
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_ProofFromTiles)->Arg(100000);

}  // namespace
}  // namespace clearbox::tlog

BENCHMARK_MAIN();
