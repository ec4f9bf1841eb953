// A HashReader over the log's own tiles for the sequencer: trusted storage, so no tile is
// re-verified, and each tile is expanded once into all its interior hashes (511 for a full
// tile), so that the proofs for a whole batch cost a few lookups each instead of re-hashing
// up to 255 nodes per proof as a generic tile reader does.
//
// Not thread-safe: the sequencer's thread owns it. Snapshot() hands out an immutable,
// thread-safe view for the threads that answer submitters.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "clearbox/tlog/merkle.h"
#include "clearbox/tlog/tiles.h"

namespace clearbox::tlog::internal {

// A tile expanded into all its interior hashes: levels[h] holds the hashes h levels above the
// tile's own (W >> h of them).
struct ExpandedTile {
  std::array<std::vector<Hash>, kTileHeight + 1> levels;
};
using ExpandedTiles = std::map<TileId, std::shared_ptr<const ExpandedTile>>;

// The hashes of the tree of one size, as the cache held them when the snapshot was taken.
// Immutable and thread-safe. A tile it lacks (an old entry's) is read from `fetcher`, which
// must still be open then.
class HashSnapshot : public HashReader {
 public:
  HashSnapshot(TileFetcher& fetcher, uint64_t tree_size, ExpandedTiles tiles)
      : fetcher_(fetcher), tree_size_(tree_size), tiles_(std::move(tiles)) {}
  uint64_t tree_size() const { return tree_size_; }
  // Errors: as TileHashCache::ReadHashes.
  Result<std::vector<Hash>> ReadHashes(std::span<const HashAddress> addresses) override;

 private:
  TileFetcher& fetcher_;
  const uint64_t tree_size_;
  const ExpandedTiles tiles_;
};

class TileHashCache : public HashReader {
 public:
  // `fetcher` must outlive the cache. `max_full_tiles` bounds memory (16 KiB per tile).
  explicit TileHashCache(TileFetcher& fetcher, size_t max_full_tiles = 1024)
      : fetcher_(fetcher), max_full_tiles_(max_full_tiles) {}

  // The tree whose hashes ReadHashes returns (its partial tiles are the ones read).
  void SetTreeSize(uint64_t size);
  uint64_t tree_size() const { return tree_size_; }
  // Offers freshly written hash tiles (entry bundles are ignored), sparing a read.
  void Offer(std::span<const TileData> tiles);
  // An immutable view of the tree of tree_size() (copies pointers to the tiles, not hashes).
  std::shared_ptr<HashSnapshot> Snapshot() const;

  // Errors: kInvalidInput for an address outside the tree; fetch and parse errors of tiles.
  Result<std::vector<Hash>> ReadHashes(std::span<const HashAddress> addresses) override;

 private:
  using Expanded = ExpandedTile;
  Result<const Expanded*> Load(const TileId& tile);
  Result<const Expanded*> LoadSlow(const TileId& tile);
  void Trim(const TileId* keep);  // never evicts *keep

  // The last tile used at each tile level: consecutive proofs mostly need the same ones.
  // Cleared whenever tiles_ loses an element.
  struct Memo {
    TileId tile;
    const Expanded* expanded = nullptr;
  };
  std::array<Memo, 8> memo_{};

  TileFetcher& fetcher_;
  size_t max_full_tiles_;
  uint64_t tree_size_ = 0;
  ExpandedTiles tiles_;
  size_t full_count_ = 0;
};

}  // namespace clearbox::tlog::internal
