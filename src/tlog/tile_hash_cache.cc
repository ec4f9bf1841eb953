#include "tile_hash_cache.h"

#include <algorithm>

namespace clearbox::tlog::internal {

namespace {

std::shared_ptr<const ExpandedTile> Expand(std::vector<Hash> hashes) {
  auto e = std::make_shared<ExpandedTile>();
  e->levels[0] = std::move(hashes);
  for (int h = 1; h <= kTileHeight; ++h) {
    const auto& below = e->levels[h - 1];
    auto& here = e->levels[h];
    here.resize(below.size() / 2);
    for (size_t i = 0; i < here.size(); ++i) here[i] = NodeHash(below[2 * i], below[2 * i + 1]);
  }
  return e;
}

Result<std::shared_ptr<const ExpandedTile>> FetchExpanded(TileFetcher& fetcher,
                                                          const TileId& tile) {
  CLEARBOX_ASSIGN_OR_RETURN(Bytes data, fetcher.Fetch(TilePath(tile), kFullTileSize));
  CLEARBOX_ASSIGN_OR_RETURN(std::vector<Hash> hashes, ParseTileData(data, tile));
  return Expand(std::move(hashes));
}

// The stored hashes of `addresses` in the tree of `tree_size`; `load` expands a tile.
template <typename Load>
Result<std::vector<Hash>> ReadFromTiles(std::span<const HashAddress> addresses, uint64_t tree_size,
                                        Load&& load) {
  std::vector<Hash> out;
  out.reserve(addresses.size());
  for (const HashAddress& a : addresses) {
    if (a.level > 63 || a.index >= (tree_size >> a.level)) {
      return Error::InvalidInput("hash at level " + std::to_string(a.level) + " index " +
                                 std::to_string(a.index) + " is not in a tree of size " +
                                 std::to_string(tree_size));
    }
    const uint8_t tile_level = a.level / kTileHeight;
    const int height = a.level % kTileHeight;
    // The stored (level 8L) hashes under this node: [first, first + 2^height).
    const uint64_t first = a.index << height;
    const uint64_t last = first + (uint64_t{1} << height) - 1;
    TileId tile = TileForStoredHash(tile_level, last, tree_size);
    CLEARBOX_ASSIGN_OR_RETURN(const ExpandedTile* e, load(tile));
    const size_t slot = static_cast<size_t>((first & 0xff) >> height);
    if (slot >= e->levels[height].size()) {
      return Error::Internal(TilePath(tile) + " too short for level " + std::to_string(a.level) +
                             " index " + std::to_string(a.index));
    }
    out.push_back(e->levels[height][slot]);
  }
  return out;
}

}  // namespace

Result<std::vector<Hash>> HashSnapshot::ReadHashes(std::span<const HashAddress> addresses) {
  // A proof needs at most a few tiles per level; remember the ones fetched for this call.
  std::vector<std::pair<TileId, std::shared_ptr<const ExpandedTile>>> fetched;
  auto load = [&](const TileId& tile) -> Result<const ExpandedTile*> {
    if (auto it = tiles_.find(tile); it != tiles_.end()) return it->second.get();
    for (const auto& [id, e] : fetched) {
      if (id == tile) return e.get();
    }
    CLEARBOX_ASSIGN_OR_RETURN(auto e, FetchExpanded(fetcher_, tile));
    fetched.emplace_back(tile, std::move(e));
    return fetched.back().second.get();
  };
  return ReadFromTiles(addresses, tree_size_, load);
}

std::shared_ptr<HashSnapshot> TileHashCache::Snapshot() const {
  return std::make_shared<HashSnapshot>(fetcher_, tree_size_, tiles_);
}

void TileHashCache::SetTreeSize(uint64_t size) {
  tree_size_ = size;
  memo_ = {};
  // Partial tiles of other widths will not be asked for again.
  for (auto it = tiles_.begin(); it != tiles_.end();) {
    const TileId& t = it->first;
    if (!t.full() && PartialTileWidth(size, t.level) != t.width) {
      it = tiles_.erase(it);
    } else {
      ++it;
    }
  }
}

void TileHashCache::Offer(std::span<const TileData> tiles) {
  for (const TileData& t : tiles) {
    if (t.path.starts_with("tile/entries/")) continue;
    auto hashes = ParseTileData(t.data, t.tile);
    if (!hashes.ok()) continue;  // not ours to judge here; a read will report it
    if (tiles_.count(t.tile)) continue;
    tiles_.emplace(t.tile, Expand(std::move(*hashes)));
    if (t.tile.full()) ++full_count_;
  }
  Trim(nullptr);
}

void TileHashCache::Trim(const TileId* keep) {
  if (full_count_ <= max_full_tiles_) return;
  memo_ = {};
  // Proofs for new entries touch the right edge; the lowest full tiles are the coldest.
  // Evict down to 3/4 of the cap at once so that trimming is rare.
  std::vector<TileId> full;
  for (const auto& [id, unused] : tiles_) {
    if (id.full() && !(keep && id == *keep)) full.push_back(id);
  }
  std::sort(full.begin(), full.end(),
            [](const TileId& a, const TileId& b) { return a.index < b.index; });
  size_t target = max_full_tiles_ * 3 / 4;
  for (size_t i = 0; i < full.size() && full_count_ > target; ++i) {
    tiles_.erase(full[i]);
    --full_count_;
  }
}

Result<const ExpandedTile*> TileHashCache::Load(const TileId& tile) {
  Memo& memo = memo_[tile.level & 7];
  if (memo.expanded && memo.tile == tile) return memo.expanded;
  CLEARBOX_ASSIGN_OR_RETURN(const Expanded* e, LoadSlow(tile));
  memo_[tile.level & 7] = Memo{tile, e};  // after LoadSlow: a trim there clears memo_
  return e;
}

Result<const ExpandedTile*> TileHashCache::LoadSlow(const TileId& tile) {
  auto it = tiles_.find(tile);
  if (it != tiles_.end()) return it->second.get();
  CLEARBOX_ASSIGN_OR_RETURN(auto e, FetchExpanded(fetcher_, tile));
  it = tiles_.emplace(tile, std::move(e)).first;
  if (tile.full()) {
    ++full_count_;
    Trim(&tile);
  }
  return it->second.get();
}

Result<std::vector<Hash>> TileHashCache::ReadHashes(std::span<const HashAddress> addresses) {
  return ReadFromTiles(addresses, tree_size_, [this](const TileId& tile) { return Load(tile); });
}

}  // namespace clearbox::tlog::internal
