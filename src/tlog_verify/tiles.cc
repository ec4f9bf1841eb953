#include "clearbox/tlog/tiles.h"

#include <algorithm>
#include <cstdio>

#include "crypto/internal/text.h"

namespace clearbox::tlog {
namespace {

using crypto::internal::Quote;

// Tiles exist only at levels 0..7 for trees of at most 2^64 - 1 leaves (256^8 = 2^64).
constexpr int kMaxUsefulTileLevel = 7;

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string Join(const std::string& prefix, uint64_t index, uint16_t width) {
  std::string out = prefix + EncodeTileIndex(index);
  if (width < kTileWidth) out += ".p/" + std::to_string(width);
  return out;
}

// The compact-range hashes contributed by a partial tile of level `level` holding `hashes`:
// its complete subtrees, largest first.
void AppendTileRange(std::span<const Hash> hashes, std::vector<Hash>& out) {
  for (const HashAddress& a : RangeDecomposition(0, hashes.size())) {
    size_t first = static_cast<size_t>(a.index) << a.level;
    out.push_back(TileRoot(hashes.subspan(first, size_t(1) << a.level)));
  }
}

Hash FoldFromRight(const std::vector<Hash>& range) {
  if (range.empty()) return EmptyRootHash();
  Hash h = range.back();
  for (size_t j = range.size() - 1; j-- > 0;) h = NodeHash(range[j], h);
  return h;
}

}  // namespace

std::string EncodeTileIndex(uint64_t index) {
  std::string digits = std::to_string(index);
  digits.insert(0, (3 - digits.size() % 3) % 3, '0');
  std::string out;
  for (size_t i = 0; i < digits.size(); i += 3) {
    if (i + 3 < digits.size()) {
      out += 'x';
      out += digits.substr(i, 3);
      out += '/';
    } else {
      out += digits.substr(i, 3);
    }
  }
  return out;
}

std::string TilePath(const TileId& tile) {
  return Join("tile/" + std::to_string(tile.level) + "/", tile.index, tile.width);
}

std::string EntryBundlePath(uint64_t index, uint16_t width) {
  return Join("tile/entries/", index, width);
}

Result<ParsedTilePath> ParseTilePath(std::string_view path) {
  auto bad = [&](const std::string& why) {
    return Error::InvalidInput("tile path " + Quote(path) + ": " + why);
  };
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
    if (parts.size() > 16) return bad("too many elements");
  }
  if (parts.size() < 3 || parts[0] != "tile") return bad("not tile/<L>/<N>");
  ParsedTilePath out;
  if (parts[1] == "entries") {
    out.entry_bundle = true;
  } else {
    auto level = crypto::internal::ParseCanonicalDecimal(parts[1]);
    if (!level || *level > kMaxTileLevel) return bad("level is not 0..63 without leading zeros");
    out.tile.level = static_cast<uint8_t>(*level);
  }
  size_t last = parts.size() - 1;
  // A partial tile ends in "<NNN>.p/<W>".
  if (parts.size() >= 4 && parts[last - 1].size() == 5 && parts[last - 1].substr(3) == ".p") {
    auto width = crypto::internal::ParseCanonicalDecimal(parts[last]);
    if (!width || *width < 1 || *width >= kTileWidth) {
      return bad("width is not 1..255 without leading zeros");
    }
    out.tile.width = static_cast<uint16_t>(*width);
    parts[last - 1] = parts[last - 1].substr(0, 3);
    --last;
  }
  size_t groups = last - 1;  // parts[2..last]
  if (groups > 7) return bad("index has too many digit groups");
  unsigned __int128 index = 0;
  for (size_t i = 2; i <= last; ++i) {
    std::string_view g = parts[i];
    bool final_group = i == last;
    if (!final_group) {
      if (g.size() != 4 || g[0] != 'x') return bad("index group " + Quote(g) + " is not xNNN");
      g.remove_prefix(1);
      if (i == 2 && g == "000") return bad("index has a leading x000 group");
    }
    if (g.size() != 3 || !IsDigits(g)) return bad("index group " + Quote(g) + " is not NNN");
    index = index * 1000 + static_cast<unsigned>(std::stoi(std::string(g)));
  }
  if (index > UINT64_MAX) return bad("index does not fit in 64 bits");
  out.tile.index = static_cast<uint64_t>(index);
  return out;
}

uint16_t PartialTileWidth(uint64_t tree_size, uint8_t level) {
  if (level > kMaxUsefulTileLevel) return 0;
  return static_cast<uint16_t>((tree_size >> (kTileHeight * level)) & 0xff);
}

uint64_t StoredHashCount(uint64_t tree_size, uint8_t level) {
  if (level > kMaxUsefulTileLevel) return 0;
  return tree_size >> (kTileHeight * level);
}

TileId TileForStoredHash(uint8_t level, uint64_t hash_index, uint64_t tree_size) {
  uint64_t count = StoredHashCount(tree_size, level);
  uint64_t n = hash_index >> kTileHeight;
  uint64_t full_tiles = count >> kTileHeight;
  if (n < full_tiles) return {level, n, static_cast<uint16_t>(kTileWidth)};
  return {level, n, static_cast<uint16_t>(count & 0xff)};
}

std::vector<TileId> PartialTiles(uint64_t tree_size) {
  std::vector<TileId> out;
  for (int level = kMaxUsefulTileLevel; level >= 0; --level) {
    uint8_t l = static_cast<uint8_t>(level);
    if (uint16_t w = PartialTileWidth(tree_size, l)) {
      out.push_back({l, StoredHashCount(tree_size, l) >> kTileHeight, w});
    }
  }
  return out;
}

Result<std::vector<Hash>> ParseTileData(ByteView data, const TileId& tile) {
  size_t want = size_t(tile.width) * kHashSize;
  if (data.size() != want) {
    return Error::InvalidInput(TilePath(tile) + ": " + std::to_string(data.size()) +
                               " bytes, want " + std::to_string(want));
  }
  std::vector<Hash> out(tile.width);
  for (size_t i = 0; i < out.size(); ++i) {
    std::copy_n(data.data() + i * kHashSize, kHashSize, out[i].begin());
  }
  return out;
}

Bytes FormatTileData(std::span<const Hash> hashes) {
  Bytes out;
  out.reserve(hashes.size() * kHashSize);
  for (const Hash& h : hashes) out.insert(out.end(), h.begin(), h.end());
  return out;
}

Hash TileRoot(std::span<const Hash> hashes) {
  CompactRange r;
  for (const Hash& h : hashes) (void)r.Append(h);
  return r.Root();
}

Status AppendBundleEntry(Bytes& bundle, ByteView entry) {
  if (entry.size() > kMaxEntrySize) {
    return Error::LimitExceeded("entry is " + std::to_string(entry.size()) +
                                " bytes; entry bundles carry at most 65535 (16-bit length)");
  }
  uint8_t len[2];
  StoreBE16(len, static_cast<uint16_t>(entry.size()));
  bundle.insert(bundle.end(), len, len + 2);
  bundle.insert(bundle.end(), entry.begin(), entry.end());
  return Status::Ok();
}

Result<std::vector<Bytes>> ParseEntryBundle(ByteView data, uint16_t width) {
  ByteReader r(data);
  std::vector<Bytes> out;
  for (uint16_t i = 0; i < width; ++i) {
    std::string where =
        "entry bundle: entry " + std::to_string(i) + " at offset " + std::to_string(r.position());
    auto len = r.ReadBE16();
    if (!len)
      return Error::InvalidInput(where + ": truncated length (bundle has " + std::to_string(i) +
                                 " of " + std::to_string(width) + " entries)");
    auto bytes = r.Read(*len);
    if (!bytes) {
      return Error::InvalidInput(where + ": length " + std::to_string(*len) +
                                 " runs past the end (" + std::to_string(r.remaining()) +
                                 " bytes left)");
    }
    out.emplace_back(bytes->begin(), bytes->end());
  }
  if (!r.empty()) {
    return Error::InvalidInput("entry bundle: " + std::to_string(r.remaining()) +
                               " bytes after entry " + std::to_string(width) + " at offset " +
                               std::to_string(r.position()) + " (more entries than " +
                               std::to_string(width) + "?)");
  }
  return out;
}

Result<Bytes> FetchTile(TileFetcher& fetcher, const TileId& tile) {
  std::string path = TilePath(tile);
  auto data = fetcher.Fetch(path, 2 * kFullTileSize);
  if (data.ok() || tile.full() || data.error().code() != ErrorCode::kNotFound) {
    if (!data.ok()) return data.error().WithContext(path);
    return data;
  }
  TileId full{tile.level, tile.index, static_cast<uint16_t>(kTileWidth)};
  std::string full_path = TilePath(full);
  auto full_data = fetcher.Fetch(full_path, 2 * kFullTileSize);
  if (!full_data.ok()) {
    return full_data.error().WithContext(path + " is gone and its full tile " + full_path);
  }
  if (full_data->size() != kFullTileSize) {
    return Error::InvalidInput(full_path + " (for the missing " + path +
                               "): " + std::to_string(full_data->size()) + " bytes, want 8192");
  }
  full_data->resize(size_t(tile.width) * kHashSize);
  return full_data;
}

Result<std::vector<Bytes>> FetchEntryBundle(TileFetcher& fetcher, uint64_t index, uint16_t width) {
  std::string path = EntryBundlePath(index, width);
  auto data = fetcher.Fetch(path, kMaxEntryBundleSize);
  if (data.ok()) {
    auto entries = ParseEntryBundle(*data, width);
    if (!entries.ok()) return entries.error().WithContext(path);
    return entries;
  }
  if (width == kTileWidth || data.error().code() != ErrorCode::kNotFound) {
    return data.error().WithContext(path);
  }
  std::string full_path = EntryBundlePath(index);
  auto full_data = fetcher.Fetch(full_path, kMaxEntryBundleSize);
  if (!full_data.ok()) {
    return full_data.error().WithContext(path + " is gone and its full bundle " + full_path);
  }
  auto entries = ParseEntryBundle(*full_data, kTileWidth);
  if (!entries.ok()) return entries.error().WithContext(full_path);
  entries->resize(width);
  return entries;
}

// --- TileHashReader ---

TileHashReader::TileHashReader(uint64_t tree_size, const Hash& root, TileFetcher& fetcher,
                               bool verify)
    : tree_size_(tree_size), root_(root), fetcher_(fetcher), verify_(verify) {}

Status TileHashReader::VerifyRightEdge() {
  std::vector<Hash> range;
  std::map<TileId, std::vector<Hash>> loaded;
  for (const TileId& t : PartialTiles(tree_size_)) {
    CLEARBOX_ASSIGN_OR_RETURN(Bytes data, FetchTile(fetcher_, t));
    CLEARBOX_ASSIGN_OR_RETURN(std::vector<Hash> hashes, ParseTileData(data, t));
    AppendTileRange(hashes, range);
    loaded.emplace(t, std::move(hashes));
  }
  if (FoldFromRight(range) != root_) {
    if (tree_size_ == 0) {
      return Error::VerificationFailed("checkpoint of size 0 does not have the empty root");
    }
    std::string names;
    for (const auto& [t, h] : loaded) names += (names.empty() ? "" : ", ") + TilePath(t);
    return Error::VerificationFailed("tiles at the right edge of tree " +
                                     std::to_string(tree_size_) + " (" + names +
                                     ") do not hash to the checkpoint root");
  }
  cache_.merge(loaded);
  right_edge_verified_ = true;
  return Status::Ok();
}

Result<const std::vector<Hash>*> TileHashReader::LoadTile(const TileId& tile, int depth) {
  if (auto it = cache_.find(tile); it != cache_.end()) return &it->second;
  uint64_t count = StoredHashCount(tree_size_, tile.level);
  bool in_tree = tile.level <= kMaxUsefulTileLevel &&
                 (tile.full() ? tile.index < (count >> kTileHeight)
                              : tile.index == (count >> kTileHeight) &&
                                    tile.width == PartialTileWidth(tree_size_, tile.level));
  if (!in_tree || depth > kMaxUsefulTileLevel) {
    return Error::InvalidInput(TilePath(tile) + " is not a tile of a tree of size " +
                               std::to_string(tree_size_));
  }
  if (verify_ && !right_edge_verified_) {
    CLEARBOX_RETURN_IF_ERROR(VerifyRightEdge());
    if (auto it = cache_.find(tile); it != cache_.end()) return &it->second;
  }
  std::string path = TilePath(tile);
  CLEARBOX_ASSIGN_OR_RETURN(Bytes data, FetchTile(fetcher_, tile));
  CLEARBOX_ASSIGN_OR_RETURN(std::vector<Hash> hashes, ParseTileData(data, tile));
  if (verify_) {
    // A full tile's Merkle hash is one entry of the tile above, which is checked in turn up
    // to the right edge that was checked against the root. At most 8 levels deep.
    TileId parent = TileForStoredHash(tile.level + 1, tile.index, tree_size_);
    CLEARBOX_ASSIGN_OR_RETURN(const std::vector<Hash>* parent_hashes, LoadTile(parent, depth + 1));
    size_t slot = tile.index & 0xff;
    if (TileRoot(hashes) != (*parent_hashes)[slot]) {
      return Error::VerificationFailed(path + " does not match hash " + std::to_string(slot) +
                                       " of " + TilePath(parent));
    }
  }
  auto [it, inserted] = cache_.emplace(tile, std::move(hashes));
  return &it->second;
}

Result<std::vector<Hash>> TileHashReader::ReadTile(const TileId& tile) {
  CLEARBOX_ASSIGN_OR_RETURN(const std::vector<Hash>* hashes, LoadTile(tile, 0));
  return *hashes;
}

Result<std::vector<Hash>> TileHashReader::ReadHashes(std::span<const HashAddress> addresses) {
  std::vector<Hash> out;
  out.reserve(addresses.size());
  for (const HashAddress& a : addresses) {
    if (a.level > 63 || a.index >= (tree_size_ >> a.level)) {
      return Error::InvalidInput("hash at level " + std::to_string(a.level) + " index " +
                                 std::to_string(a.index) + " is not in a tree of size " +
                                 std::to_string(tree_size_));
    }
    uint8_t tile_level = a.level / kTileHeight;
    int rest = a.level % kTileHeight;
    uint64_t first = a.index << rest;  // first level-8L hash under this node
    TileId tile = TileForStoredHash(tile_level, first, tree_size_);
    CLEARBOX_ASSIGN_OR_RETURN(const std::vector<Hash>* hashes, LoadTile(tile, 0));
    size_t offset = first & 0xff;
    size_t n = size_t(1) << rest;
    if (offset + n > hashes->size()) {
      return Error::Internal("tile " + TilePath(tile) + " too short for level " +
                             std::to_string(a.level) + " index " + std::to_string(a.index));
    }
    out.push_back(n == 1 ? (*hashes)[offset]
                         : TileRoot(std::span<const Hash>(*hashes).subspan(offset, n)));
  }
  return out;
}

// --- TreeTiler ---

Result<TreeTiler> TreeTiler::Resume(uint64_t size, TileFetcher& fetcher,
                                    std::optional<Hash> expected_root) {
  TreeTiler t;
  std::vector<Hash> range;
  t.partial_.resize(kMaxUsefulTileLevel + 1);
  t.dirty_.assign(kMaxUsefulTileLevel + 1, false);
  for (const TileId& tile : PartialTiles(size)) {
    CLEARBOX_ASSIGN_OR_RETURN(Bytes data, fetcher.Fetch(TilePath(tile), 2 * kFullTileSize));
    CLEARBOX_ASSIGN_OR_RETURN(std::vector<Hash> hashes, ParseTileData(data, tile));
    AppendTileRange(hashes, range);
    t.partial_[tile.level] = std::move(hashes);
  }
  CLEARBOX_ASSIGN_OR_RETURN(t.range_, CompactRange::FromHashes(size, std::move(range)));
  if (expected_root && t.range_.Root() != *expected_root) {
    return Error::VerificationFailed("the partial tiles of tree " + std::to_string(size) +
                                     " do not hash to the expected root");
  }
  return t;
}

Status TreeTiler::Append(const Hash& leaf_hash) {
  if (partial_.empty()) {
    partial_.resize(kMaxUsefulTileLevel + 1);
    dirty_.assign(kMaxUsefulTileLevel + 1, false);
  }
  return range_.Append(leaf_hash, [this](HashAddress a, const Hash& h) {
    if (a.level % kTileHeight != 0) return;
    size_t level = a.level / kTileHeight;
    auto& open = partial_[level];
    open.push_back(h);
    dirty_[level] = true;
    if (open.size() == kTileWidth) {
      TileId id{static_cast<uint8_t>(level), a.index >> kTileHeight,
                static_cast<uint16_t>(kTileWidth)};
      full_.push_back({id, TilePath(id), FormatTileData(open)});
      open.clear();
    }
  });
}

std::vector<TileData> TreeTiler::TakeChangedTiles() {
  std::vector<TileData> out = std::move(full_);
  full_.clear();
  for (size_t level = 0; level < partial_.size(); ++level) {
    if (!dirty_[level]) continue;
    dirty_[level] = false;
    if (partial_[level].empty()) continue;
    uint8_t l = static_cast<uint8_t>(level);
    TileId id{l, StoredHashCount(size(), l) >> kTileHeight,
              static_cast<uint16_t>(partial_[level].size())};
    out.push_back({id, TilePath(id), FormatTileData(partial_[level])});
  }
  return out;
}

// --- EntryBundler ---

Result<EntryBundler> EntryBundler::Resume(uint64_t size, TileFetcher& fetcher) {
  EntryBundler b;
  b.size_ = size;
  if (uint16_t w = PartialTileWidth(size, 0)) {
    std::string path = EntryBundlePath(size >> kTileHeight, w);
    CLEARBOX_ASSIGN_OR_RETURN(Bytes data, fetcher.Fetch(path, kMaxEntryBundleSize));
    auto entries = ParseEntryBundle(data, w);
    if (!entries.ok()) return entries.error().WithContext(path);
    b.partial_ = std::move(data);
  }
  return b;
}

Status EntryBundler::Append(ByteView entry) {
  CLEARBOX_RETURN_IF_ERROR(AppendBundleEntry(partial_, entry));
  ++size_;
  dirty_ = true;
  if ((size_ & 0xff) == 0) {
    TileId id{0, (size_ >> kTileHeight) - 1, static_cast<uint16_t>(kTileWidth)};
    full_.push_back({id, EntryBundlePath(id.index), std::move(partial_)});
    partial_.clear();
    dirty_ = false;
  }
  return Status::Ok();
}

std::vector<TileData> EntryBundler::TakeChangedBundles() {
  std::vector<TileData> out = std::move(full_);
  full_.clear();
  if (dirty_ && !partial_.empty()) {
    uint16_t w = PartialTileWidth(size_, 0);
    TileId id{0, size_ >> kTileHeight, w};
    out.push_back({id, EntryBundlePath(id.index, w), partial_});
  }
  dirty_ = false;
  return out;
}

}  // namespace clearbox::tlog
