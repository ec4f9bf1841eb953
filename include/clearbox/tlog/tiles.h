// C2SP tlog-tiles (c2sp.org/tlog-tiles): tile and entry-bundle paths, tile data, entry bundles,
// proofs from tiles, and the builders a sequencer uses to turn new leaves into tiles.
//
// Tiles have height 8: a level-L tile holds up to 256 consecutive Merkle hashes of tree level
// 8L; tile N at level L covers leaves [N * 256^(L+1), (N+1) * 256^(L+1)). Full tiles (256
// hashes, 8192 bytes) are immutable; the right edge of a tree of size s has a partial tile of
// width floor(s / 256^L) mod 256 at each level L where that is non-zero.
//
//   tile/<L>/<N>[.p/<W>]           N as 3-digit groups, all but the last prefixed with 'x':
//   tile/entries/<N>[.p/<W>]       1234067 -> x001/x234/067
//
// Reading a log:
//   TileHashReader reader(checkpoint.size, checkpoint.root, fetcher);  // verifies every tile
//   CLEARBOX_ASSIGN_OR_RETURN(auto proof, ProveInclusion(index, checkpoint.size, reader));
// Writing a log (sequencer):
//   CLEARBOX_ASSIGN_OR_RETURN(TreeTiler tiler, TreeTiler::Resume(size, store, root));
//   for (auto& e : batch) CLEARBOX_RETURN_IF_ERROR(tiler.Append(LeafHash(e)));
//   for (TileData& t : tiler.TakeChangedTiles()) Write(t.path, t.data);
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/tlog/merkle.h"

namespace clearbox::tlog {

inline constexpr int kTileHeight = 8;
inline constexpr uint32_t kTileWidth = 256;
inline constexpr size_t kFullTileSize = kTileWidth * kHashSize;  // 8192
inline constexpr int kMaxTileLevel = 63;
// Entries are length-prefixed with a big-endian uint16 in bundles.
inline constexpr size_t kMaxEntrySize = 65535;
// A full bundle of maximal entries: the cap for reading one from an untrusted source.
inline constexpr size_t kMaxEntryBundleSize = kTileWidth * (2 + kMaxEntrySize);

// A tile: level L (0..63), index N, width W (1..256; 256 = full).
struct TileId {
  uint8_t level = 0;
  uint64_t index = 0;
  uint16_t width = kTileWidth;
  bool full() const { return width == kTileWidth; }
  bool operator==(const TileId&) const = default;
  auto operator<=>(const TileId&) const = default;
};

// "x001/x234/067" for 1234067; "000" for 0.
std::string EncodeTileIndex(uint64_t index);
// "tile/<L>/<N>[.p/<W>]". The id must be valid (level <= 63, width 1..256).
std::string TilePath(const TileId& tile);
// "tile/entries/<N>[.p/<W>]".
std::string EntryBundlePath(uint64_t index, uint16_t width = kTileWidth);

// A parsed tile or entry-bundle path. For bundles, tile.level is 0.
struct ParsedTilePath {
  bool entry_bundle = false;
  TileId tile;
};
// Parses a path relative to the log prefix ("tile/0/x001/234.p/5", "tile/entries/000").
// Only the canonical spelling is accepted (so each resource has exactly one path): level
// 0..63 without leading zeros, 3-digit groups with 'x' on all but the last and no leading
// "x000" group, width 1..255 without leading zeros, no empty or extra elements.
// Errors: kInvalidInput naming the bad element.
Result<ParsedTilePath> ParseTilePath(std::string_view path);

// The width of the right-edge partial tile at `level` for a tree of `tree_size`
// (floor(tree_size / 256^level) mod 256); 0 means there is none.
uint16_t PartialTileWidth(uint64_t tree_size, uint8_t level);
// The number of level-8L hashes a tree of `tree_size` has (floor(tree_size / 256^level)).
uint64_t StoredHashCount(uint64_t tree_size, uint8_t level);
// The tile of a tree of `tree_size` that holds the level-8L hash number `hash_index`: full if
// the tree covers all of it, else the right-edge partial tile. Precondition:
// hash_index < StoredHashCount(tree_size, level).
TileId TileForStoredHash(uint8_t level, uint64_t hash_index, uint64_t tree_size);
// The right-edge partial tiles of a tree, highest level first (the order their leaves appear).
std::vector<TileId> PartialTiles(uint64_t tree_size);

// Tile bytes <-> hashes. ParseTileData needs exactly width * 32 bytes.
// Errors: kInvalidInput "<path>: <n> bytes, want <m>" (truncated or oversized tile).
Result<std::vector<Hash>> ParseTileData(ByteView data, const TileId& tile);
Bytes FormatTileData(std::span<const Hash> hashes);

// The Merkle hash over `hashes` taken as consecutive sibling subtrees of equal height (the
// hash one level-group up for a full tile: TileRoot of a full level-L tile is the level-8(L+1)
// hash it contributes to the tile above). Precondition: hashes is not empty.
Hash TileRoot(std::span<const Hash> hashes);

// Entry bundles: sequences of (uint16 big-endian length, bytes).
// Errors: kLimitExceeded if entry is longer than 65535 bytes (it cannot be logged).
Status AppendBundleEntry(Bytes& bundle, ByteView entry);
// Exactly `width` entries, no trailing bytes. Errors: kInvalidInput "entry <i> at offset
// <o>: ..." for truncation, a count other than width, or trailing data.
Result<std::vector<Bytes>> ParseEntryBundle(ByteView data, uint16_t width);

// Fetches a static log resource by its path relative to the log prefix ("checkpoint",
// "tile/0/000", "tile/entries/000.p/7"). Implementations: directories, HTTP (client.h),
// the server's storage, test fakes.
class TileFetcher {
 public:
  virtual ~TileFetcher() = default;
  // The resource's bytes, at most `max_size` of them (a larger one is an error, never a
  // silent truncation). Errors: kNotFound, kIo, kUnavailable, kLimitExceeded.
  virtual Result<Bytes> Fetch(const std::string& path, size_t max_size) = 0;
};

// Tiles held in memory (tests, benchmarks, a tree built in process); counts its fetches.
class MemoryFetcher : public TileFetcher {
 public:
  Result<Bytes> Fetch(const std::string& path, size_t max_size) override {
    ++fetches;
    auto it = files.find(path);
    if (it == files.end()) return Error::NotFound(path + ": no such tile");
    if (it->second.size() > max_size) return Error::LimitExceeded(path + ": too large");
    return it->second;
  }
  std::map<std::string, Bytes> files;
  int fetches = 0;
};

// The bytes of a tile. tlog-tiles lets a log delete a partial tile once the full tile exists,
// so a partial tile that is gone (kNotFound) is read from the full tile, cut to its width.
// The length is not checked here (ParseTileData does), except that a full tile used in place
// of a partial one must be exactly 8192 bytes. Errors: the fetcher's, with the path.
Result<Bytes> FetchTile(TileFetcher& fetcher, const TileId& tile);
// The `width` entries of entry bundle `index`, read like FetchTile (a full bundle stands in
// for a deleted partial one). Errors: the fetcher's and ParseEntryBundle's, with the path.
Result<std::vector<Bytes>> FetchEntryBundle(TileFetcher& fetcher, uint64_t index, uint16_t width);

// A HashReader over the tiles of one tree (size, root). Every tile is verified before any of
// its hashes is used: the right-edge partial tiles must hash to `root`, and each full tile
// must hash to its entry in the tile above. Tiles are fetched once and cached. Not
// thread-safe. With verify = false (a log reading its own trusted storage) no tile is checked.
// Errors (kVerificationFailed unless noted) name the tile:
//   "tile/0/001: 8191 bytes, want 8192" (kInvalidInput), "tile/0/001 does not match hash 1 of
//   tile/1/000", "tiles at the right edge of tree <s> do not hash to its root", fetch errors
//   with the path as context.
class TileHashReader : public HashReader {
 public:
  TileHashReader(uint64_t tree_size, const Hash& root, TileFetcher& fetcher, bool verify = true);

  uint64_t tree_size() const { return tree_size_; }
  Result<std::vector<Hash>> ReadHashes(std::span<const HashAddress> addresses) override;
  // The verified hashes of one tile of this tree (id must be a tile of the tree: full, or
  // the partial tile with the tree's width). Errors: kInvalidInput for a tile not in the tree.
  Result<std::vector<Hash>> ReadTile(const TileId& tile);

 private:
  Status VerifyRightEdge();
  Result<const std::vector<Hash>*> LoadTile(const TileId& tile, int depth);

  uint64_t tree_size_;
  Hash root_;
  TileFetcher& fetcher_;
  bool verify_;
  bool right_edge_verified_ = false;
  std::map<TileId, std::vector<Hash>> cache_;
};

// A tile that a sequencer must write: its path and bytes.
struct TileData {
  TileId tile;
  std::string path;
  Bytes data;
};

// Builds hash tiles incrementally for a sequencer. Appending costs about one node hash per
// leaf beyond the leaf hash; memory is one partial tile per level. Not thread-safe.
class TreeTiler {
 public:
  TreeTiler() = default;
  // Resumes a tree of `size` leaves from its right-edge partial tiles (read from the log's own
  // storage through `fetcher`). If `expected_root` is given the recovered root must match it.
  // Errors: fetch errors; kInvalidInput for a partial tile of the wrong length;
  // kVerificationFailed if the root does not match.
  static Result<TreeTiler> Resume(uint64_t size, TileFetcher& fetcher,
                                  std::optional<Hash> expected_root = std::nullopt);

  uint64_t size() const { return range_.size(); }
  Hash Root() const { return range_.Root(); }
  // The compact range of the tree (for a HashReader that needs the right edge).
  const CompactRange& range() const { return range_; }

  // Appends one leaf hash. Errors: kLimitExceeded at 2^63 leaves.
  Status Append(const Hash& leaf_hash);
  // The tiles changed since the last call (or since Resume): every tile that became full,
  // then the current partial tile of each level that changed. Tiles that became full
  // supersede their partial versions (which are not returned).
  std::vector<TileData> TakeChangedTiles();

 private:
  CompactRange range_;
  std::vector<std::vector<Hash>> partial_;  // partial_[L]: hashes of level L's open tile
  std::vector<TileData> full_;              // completed since the last Take
  std::vector<bool> dirty_;                 // partial_[L] changed since the last Take
};

// Builds entry bundles incrementally, alongside a TreeTiler. Not thread-safe.
class EntryBundler {
 public:
  EntryBundler() = default;
  // Resumes after `size` entries, reading the partial bundle (if any) through `fetcher`.
  // Errors: fetch errors; kInvalidInput for a malformed partial bundle.
  static Result<EntryBundler> Resume(uint64_t size, TileFetcher& fetcher);

  uint64_t size() const { return size_; }
  // Errors: kLimitExceeded for an entry longer than 65535 bytes (nothing is appended).
  Status Append(ByteView entry);
  // Bundles changed since the last call: each completed full bundle, then the current
  // partial bundle if it changed. TileData::tile is (level 0, bundle index, width).
  std::vector<TileData> TakeChangedBundles();

 private:
  uint64_t size_ = 0;
  Bytes partial_;
  std::vector<TileData> full_;
  bool dirty_ = false;
};

}  // namespace clearbox::tlog
