#include "tile_hash_cache.h"

#include <algorithm>

namespace clearbox::tlog::internal {

TileHashCache::Expanded TileHashCache::Expand(std::vector<Hash> hashes) {
  Expanded e;
  e.levels[0] = std::move(hashes);
  for (int h = 1; h <= kTileHeight; ++h) {
    const auto& below = e.levels[h - 1];
    auto& here = e.levels[h];
    here.resize(below.size() / 2);
    for (size_t i = 0; i < here.size(); ++i) here[i] = NodeHash(below[2 * i], below[2 * i + 1]);
  }
  return e;
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

Result<const TileHashCache::Expanded*> TileHashCache::Load(const TileId& tile) {
  Memo& memo = memo_[tile.level & 7];
  if (memo.expanded && memo.tile == tile) return memo.expanded;
  CLEARBOX_ASSIGN_OR_RETURN(const Expanded* e, LoadSlow(tile));
  memo_[tile.level & 7] = Memo{tile, e};  // after LoadSlow: a trim there clears memo_
  return e;
}

Result<const TileHashCache::Expanded*> TileHashCache::LoadSlow(const TileId& tile) {
  auto it = tiles_.find(tile);
  if (it != tiles_.end()) return &it->second;
  CLEARBOX_ASSIGN_OR_RETURN(Bytes data, fetcher_.Fetch(TilePath(tile), kFullTileSize));
  CLEARBOX_ASSIGN_OR_RETURN(std::vector<Hash> hashes, ParseTileData(data, tile));
  it = tiles_.emplace(tile, Expand(std::move(hashes))).first;
  if (tile.full()) {
    ++full_count_;
    Trim(&tile);
  }
  return &it->second;
}

Result<std::vector<Hash>> TileHashCache::ReadHashes(std::span<const HashAddress> addresses) {
  std::vector<Hash> out;
  out.reserve(addresses.size());
  for (const HashAddress& a : addresses) {
    if (a.level > 63 || a.index >= (tree_size_ >> a.level)) {
      return Error::InvalidInput("hash at level " + std::to_string(a.level) + " index " +
                                 std::to_string(a.index) + " is not in a tree of size " +
                                 std::to_string(tree_size_));
    }
    const uint8_t tile_level = a.level / kTileHeight;
    const int height = a.level % kTileHeight;
    // The stored (level 8L) hashes under this node: [first, first + 2^height).
    const uint64_t first = a.index << height;
    const uint64_t last = first + (uint64_t{1} << height) - 1;
    TileId tile = TileForStoredHash(tile_level, last, tree_size_);
    CLEARBOX_ASSIGN_OR_RETURN(const Expanded* e, Load(tile));
    const size_t slot = static_cast<size_t>((first & 0xff) >> height);
    if (slot >= e->levels[height].size()) {
      return Error::Internal(TilePath(tile) + " too short for level " + std::to_string(a.level) +
                             " index " + std::to_string(a.index));
    }
    out.push_back(e->levels[height][slot]);
  }
  return out;
}

}  // namespace clearbox::tlog::internal
