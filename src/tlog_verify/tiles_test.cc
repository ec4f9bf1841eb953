// C2SP tlog-tiles tests: paths, the tessera 15-entry test log (bundles -> tiles -> root), the
// sunlight mirror tiles (300 leaves), TreeTiler/EntryBundler against those bytes, and
// TileHashReader against honest and hostile tile stores.
#include "clearbox/tlog/tiles.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"
#include "clearbox/tlog/checkpoint.h"

namespace clearbox::tlog {
namespace {

const std::string kVectors = std::string(CLEARBOX_SHARED_DIR) + "/vectors/tlog/";
const std::string kTessera = kVectors + "tessera-testdata-log/";
const std::string kMirror = kVectors + "cosignatures/sunlight-skylight/mirror/";

Bytes ReadVector(const std::string& path) { return ReadFile(path).value(); }

// Tiles in memory; counts fetches so tests can see caching.
class MapFetcher : public MemoryFetcher {
 public:
  void Put(const std::vector<TileData>& tiles) {
    for (const auto& t : tiles) files[t.path] = t.data;
  }
};

// Reads files under a directory (the vectors).
class DirFetcher : public TileFetcher {
 public:
  explicit DirFetcher(std::string dir) : dir_(std::move(dir)) {}
  Result<Bytes> Fetch(const std::string& path, size_t max_size) override {
    return ReadFile(dir_ + path, max_size);
  }

 private:
  std::string dir_;
};

TEST(TilePaths, EncodeAndParse) {
  EXPECT_EQ(EncodeTileIndex(0), "000");
  EXPECT_EQ(EncodeTileIndex(5), "005");
  EXPECT_EQ(EncodeTileIndex(1000), "x001/000");
  EXPECT_EQ(EncodeTileIndex(1234067), "x001/x234/067");
  EXPECT_EQ(EncodeTileIndex(UINT64_MAX), "x018/x446/x744/x073/x709/x551/615");
  EXPECT_EQ(TilePath({0, 1234067, 256}), "tile/0/x001/x234/067");
  EXPECT_EQ(TilePath({2, 0, 1}), "tile/2/000.p/1");
  EXPECT_EQ(EntryBundlePath(1, 44), "tile/entries/001.p/44");
  for (uint64_t n : {uint64_t(0), uint64_t(999), uint64_t(1000), uint64_t(1234067), UINT64_MAX}) {
    for (uint16_t w : {uint16_t(1), uint16_t(255), uint16_t(256)}) {
      for (uint8_t level : {uint8_t(0), uint8_t(7), uint8_t(63)}) {
        TileId id{level, n, w};
        auto p = ParseTilePath(TilePath(id));
        ASSERT_TRUE(p.ok()) << TilePath(id) << p.error().ToString();
        EXPECT_FALSE(p->entry_bundle);
        EXPECT_EQ(p->tile, id);
      }
      auto b = ParseTilePath(EntryBundlePath(n, w));
      ASSERT_TRUE(b.ok());
      EXPECT_TRUE(b->entry_bundle);
      EXPECT_EQ(b->tile, (TileId{0, n, w}));
    }
  }
}

TEST(TilePaths, NonCanonicalPathsAreRejected) {
  const char* bad[] = {
      "tile/0",
      "tile/0/",
      "tile/00/000",
      "tile/64/000",
      "tile/-1/000",
      "tile/0/00",
      "tile/0/0000",
      "tile/0/x000/001",
      "tile/0/001/002",
      "tile/0/x001",
      "tile/0/y001/002",
      "tile/0/000.p/0",
      "tile/0/000.p/256",
      "tile/0/000.p/01",
      "tile/0/000.p/",
      "tile/0/000.p",
      "tile/0/000.q/5",
      "tile/0/000.p/5/6",
      "tiles/0/000",
      "/tile/0/000",
      "tile/entries",
      "tile/entries/",
      "tile/x/000",
      "tile/0/x018/x446/x744/x073/x709/x551/616",
      "tile/0/x001/x002/x003/x004/x005/x006/x007/008",
      "tile/0/0a0",
  };
  for (const char* p : bad) {
    auto r = ParseTilePath(p);
    EXPECT_FALSE(r.ok()) << p;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput);
    }
  }
}

TEST(TileGeometry, PartialTilesOfTheSpecExample) {
  // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0
  // tile of width 112, one full level 1 tile, one partial level 1 tile of width 17, and one
  // partial level 2 tile of width 1."
  EXPECT_EQ(PartialTiles(70000), (std::vector<TileId>{{2, 0, 1}, {1, 1, 17}, {0, 273, 112}}));
  EXPECT_EQ(TileForStoredHash(0, 272 * 256 + 5, 70000), (TileId{0, 272, 256}));
  EXPECT_EQ(TileForStoredHash(0, 273 * 256 + 5, 70000), (TileId{0, 273, 112}));
  EXPECT_EQ(TileForStoredHash(1, 255, 70000), (TileId{1, 0, 256}));
  EXPECT_EQ(PartialTiles(256), (std::vector<TileId>{{1, 0, 1}}));
  EXPECT_TRUE(PartialTiles(0).empty());
}

TEST(EntryBundles, ParseRejections) {
  Bytes bundle;
  ASSERT_TRUE(AppendBundleEntry(bundle, ToBytes("one")).ok());
  ASSERT_TRUE(AppendBundleEntry(bundle, ToBytes("")).ok());
  auto ok = ParseEntryBundle(bundle, 2);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[0], ToBytes("one"));
  EXPECT_TRUE((*ok)[1].empty());
  auto fewer = ParseEntryBundle(bundle, 3);
  EXPECT_NE(fewer.error().message().find("entry 2 at offset 7: truncated length"),
            std::string::npos);
  auto more = ParseEntryBundle(bundle, 1);
  EXPECT_NE(more.error().message().find("2 bytes after entry 1"), std::string::npos);
  Bytes cut(bundle.begin(), bundle.begin() + 4);
  auto truncated = ParseEntryBundle(cut, 1);
  EXPECT_NE(truncated.error().message().find("length 3 runs past the end"), std::string::npos);
  Bytes too_big(kMaxEntrySize + 1, 'x');
  EXPECT_EQ(AppendBundleEntry(bundle, too_big).error().code(), ErrorCode::kLimitExceeded);
  EXPECT_TRUE(AppendBundleEntry(bundle, Bytes(kMaxEntrySize, 'x')).ok());
}

class TesseraLog : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = nlohmann::json::parse(ReadTextFile(kTessera + "log.json").value());
    for (const auto& l : log_["leaves_ascii"]) leaves_.push_back(ToBytes(l.get<std::string>()));
  }
  nlohmann::json log_;
  std::vector<Bytes> leaves_;
};

// bundles -> leaf hashes -> level-0 tile bytes -> root -> checkpoint, for every size.
TEST_F(TesseraLog, BundlesTilesRootsAndCheckpointsAgree) {
  ASSERT_EQ(leaves_.size(), 15u);
  for (uint16_t n = 1; n <= 15; ++n) {
    std::string sn = std::to_string(n);
    auto entries = ParseEntryBundle(ReadVector(kTessera + "tile/entries/000.p/" + sn), n);
    ASSERT_TRUE(entries.ok()) << entries.error().ToString();
    EXPECT_EQ(*entries, std::vector<Bytes>(leaves_.begin(), leaves_.begin() + n));
    TileId tile{0, 0, n};
    auto hashes = ParseTileData(ReadVector(kTessera + "tile/0/000.p/" + sn), tile);
    ASSERT_TRUE(hashes.ok());
    for (size_t i = 0; i < n; ++i) EXPECT_EQ((*hashes)[i], LeafHash((*entries)[i])) << i;
    auto cp = ParseCheckpoint(
        crypto::ParseNote(ReadTextFile(kTessera + "checkpoint." + sn).value()).value().text);
    ASSERT_TRUE(cp.ok());
    EXPECT_EQ(cp->size, n);
    EXPECT_EQ(TileRoot(*hashes), cp->root) << n;
    EXPECT_EQ(HashToBase64(cp->root), log_["root_b64_by_size"][n].get<std::string>());
    // The reader verifies the partial tile against the root and serves the same hashes.
    DirFetcher dir(kTessera);
    TileHashReader reader(n, cp->root, dir);
    auto read = reader.ReadTile(tile);
    ASSERT_TRUE(read.ok()) << read.error().ToString();
    EXPECT_EQ(*read, *hashes);
  }
}

// Appending one entry at a time, as tessera did, writes the same tile and bundle bytes.
TEST_F(TesseraLog, TilerAndBundlerReproduceTheFiles) {
  TreeTiler tiler;
  EntryBundler bundler;
  for (uint16_t n = 1; n <= 15; ++n) {
    ASSERT_TRUE(tiler.Append(LeafHash(leaves_[n - 1])).ok());
    ASSERT_TRUE(bundler.Append(leaves_[n - 1]).ok());
    auto tiles = tiler.TakeChangedTiles();
    ASSERT_EQ(tiles.size(), 1u);
    EXPECT_EQ(tiles[0].path, "tile/0/000.p/" + std::to_string(n));
    EXPECT_EQ(tiles[0].data, ReadVector(kTessera + tiles[0].path));
    auto bundles = bundler.TakeChangedBundles();
    ASSERT_EQ(bundles.size(), 1u);
    EXPECT_EQ(bundles[0].path, "tile/entries/000.p/" + std::to_string(n));
    EXPECT_EQ(bundles[0].data, ReadVector(kTessera + bundles[0].path));
    EXPECT_EQ(HashToBase64(tiler.Root()), log_["root_b64_by_size"][n].get<std::string>());
  }
  EXPECT_TRUE(tiler.TakeChangedTiles().empty());
  EXPECT_TRUE(bundler.TakeChangedBundles().empty());
}

std::vector<Bytes> MirrorLeaves() {
  std::string text = ReadTextFile(kMirror + "leaves.txt").value();
  std::vector<Bytes> out;
  for (size_t start = 0; start < text.size();) {
    size_t nl = text.find('\n', start);
    out.push_back(ToBytes(text.substr(start, nl - start)));
    start = nl + 1;
  }
  return out;
}

TEST(SunlightMirror, TilerReproducesFullAndPartialTilesAndRoot) {
  auto leaves = MirrorLeaves();
  ASSERT_EQ(leaves.size(), 300u);
  TreeTiler tiler;
  for (const Bytes& l : leaves) ASSERT_TRUE(tiler.Append(LeafHash(l)).ok());
  auto tiles = tiler.TakeChangedTiles();
  std::vector<std::string> paths;
  for (const auto& t : tiles) {
    paths.push_back(t.path);
    EXPECT_EQ(t.data, ReadVector(kMirror + t.path)) << t.path;
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1"}));
  auto cp =
      ParseCheckpoint(crypto::ParseNote(ReadTextFile(kMirror + "checkpoint").value()).value().text);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->size, 300u);
  EXPECT_EQ(tiler.Root(), cp->root);
  // And the reader verifies the real tiles against the real checkpoint.
  DirFetcher dir(kMirror);
  TileHashReader reader(300, cp->root, dir);
  auto full = reader.ReadTile({0, 0, 256});
  ASSERT_TRUE(full.ok()) << full.error().ToString();
  EXPECT_EQ((*full)[7], LeafHash(leaves[7]));
}

// A tree large enough for three tile levels, written by TreeTiler into a MapFetcher.
class TiledTree : public ::testing::Test {
 protected:
  static constexpr uint64_t kSize = 70000;
  void SetUp() override {
    TreeTiler tiler;
    for (uint64_t i = 0; i < kSize; ++i) {
      Hash h = LeafHash(AsBytes("entry " + std::to_string(i)));
      ASSERT_TRUE(tiler.Append(h).ok());
      memory_.Append(h);
      // Publish partial tiles now and then, as a sequencer does per batch.
      if (i % 4099 == 0) store_.Put(tiler.TakeChangedTiles());
    }
    store_.Put(tiler.TakeChangedTiles());
    root_ = tiler.Root();
    ASSERT_EQ(root_, memory_.Root());
  }
  MapFetcher store_;
  MemoryHashStore memory_;
  Hash root_;
};

TEST_F(TiledTree, ProofsFromTilesEqualProofsFromMemory) {
  EXPECT_EQ(store_.files.count("tile/0/272"), 1u);
  EXPECT_EQ(store_.files.count("tile/0/273.p/112"), 1u);
  EXPECT_EQ(store_.files.count("tile/1/001.p/17"), 1u);
  EXPECT_EQ(store_.files.count("tile/2/000.p/1"), 1u);
  TileHashReader reader(kSize, root_, store_);
  for (uint64_t index : {uint64_t(0), uint64_t(255), uint64_t(256), uint64_t(65535),
                         uint64_t(65536), uint64_t(69999), uint64_t(12345)}) {
    auto a = ProveInclusion(index, kSize, reader);
    ASSERT_TRUE(a.ok()) << a.error().ToString();
    EXPECT_EQ(*a, ProveInclusion(index, kSize, memory_).value()) << index;
  }
  for (uint64_t size1 :
       {uint64_t(1), uint64_t(256), uint64_t(4099), uint64_t(65536), uint64_t(69999)}) {
    auto a = ProveConsistency(size1, kSize, reader);
    ASSERT_TRUE(a.ok()) << a.error().ToString();
    EXPECT_EQ(*a, ProveConsistency(size1, kSize, memory_).value()) << size1;
  }
  EXPECT_EQ(TreeRoot(kSize, reader).value(), root_);
  // An older tree whose partial tiles were published is served by the same store.
  const uint64_t old_size = 4099 * 4 + 1;
  Hash old_root = TreeRoot(old_size, memory_).value();
  TileHashReader old_reader(old_size, old_root, store_);
  auto old_proof = ProveInclusion(9000, old_size, old_reader);
  ASSERT_TRUE(old_proof.ok()) << old_proof.error().ToString();
  EXPECT_EQ(*old_proof, ProveInclusion(9000, old_size, memory_).value());
}

// tlog-tiles lets a log delete partial tiles once the full tile exists; a reader of an older
// checkpoint then uses the full tile's first W hashes.
TEST_F(TiledTree, DeletedPartialTileIsReadFromTheFullTile) {
  const uint64_t old_size = 4099 * 4 + 1;  // 64 * 256 + 13: tile/0/064.p/13
  ASSERT_EQ(store_.files.erase("tile/0/064.p/13"), 1u);
  Hash old_root = TreeRoot(old_size, memory_).value();
  TileHashReader reader(old_size, old_root, store_);
  auto proof = ProveInclusion(old_size - 1, old_size, reader);
  ASSERT_TRUE(proof.ok()) << proof.error().ToString();
  EXPECT_EQ(*proof, ProveInclusion(old_size - 1, old_size, memory_).value());
  // A full tile of the wrong length standing in for the partial is refused, named.
  store_.files["tile/0/064"].pop_back();
  TileHashReader again(old_size, old_root, store_);
  auto bad = ProveInclusion(old_size - 1, old_size, again);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("tile/0/064 (for the missing tile/0/064.p/13): 8191 bytes"),
            std::string::npos)
      << bad.error().message();
  // Without either, the error names both.
  store_.files.erase("tile/0/064");
  TileHashReader gone(old_size, old_root, store_);
  auto missing = ProveInclusion(old_size - 1, old_size, gone);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message().find("tile/0/064.p/13 is gone and its full tile tile/0/064"),
            std::string::npos)
      << missing.error().message();
}

TEST_F(TiledTree, TilesAreFetchedOnce) {
  TileHashReader reader(kSize, root_, store_);
  ASSERT_TRUE(ProveInclusion(1000, kSize, reader).ok());
  int after_first = store_.fetches;
  ASSERT_TRUE(ProveInclusion(1001, kSize, reader).ok());
  EXPECT_EQ(store_.fetches, after_first);
}

TEST_F(TiledTree, TruncatedTileIsRejected) {
  store_.files["tile/0/010"].pop_back();
  TileHashReader reader(kSize, root_, store_);
  auto r = ProveInclusion(2600, kSize, reader);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(r.error().message().find("tile/0/010: 8191 bytes, want 8192"), std::string::npos)
      << r.error().message();
}

TEST_F(TiledTree, OversizedTileIsRejected) {
  store_.files["tile/1/000"].push_back(0);
  TileHashReader reader(kSize, root_, store_);
  auto r = ProveInclusion(2600, kSize, reader);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("tile/1/000: 8193 bytes, want 8192"), std::string::npos)
      << r.error().message();
}

TEST_F(TiledTree, WrongHashInFullTileIsRejected) {
  store_.files["tile/0/010"][5 * 32] ^= 1;
  TileHashReader reader(kSize, root_, store_);
  auto r = ProveInclusion(2600, kSize, reader);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(r.error().message().find("tile/0/010 does not match hash 10 of tile/1/000"),
            std::string::npos)
      << r.error().message();
  // Other parts of the tree still verify.
  EXPECT_TRUE(ProveInclusion(100, kSize, reader).ok());
}

TEST_F(TiledTree, RightEdgeNotMatchingRootIsRejected) {
  store_.files["tile/1/001.p/17"][3] ^= 1;
  TileHashReader reader(kSize, root_, store_);
  auto r = ProveInclusion(5, kSize, reader);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(r.error().message().find("do not hash to the checkpoint root"), std::string::npos)
      << r.error().message();
  // A consistent set of tiles under a different claimed root fails the same way.
  TileHashReader lying(kSize, LeafHash(AsBytes("x")), store_);
  EXPECT_EQ(ProveInclusion(5, kSize, lying).error().code(), ErrorCode::kVerificationFailed);
}

TEST_F(TiledTree, MissingTileIsNotFound) {
  store_.files.erase("tile/0/100");
  TileHashReader reader(kSize, root_, store_);
  auto r = ProveInclusion(100 * 256 + 3, kSize, reader);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
}

TEST_F(TiledTree, TilesOutsideTheTreeAreRefused) {
  TileHashReader reader(kSize, root_, store_);
  EXPECT_EQ(reader.ReadTile({0, 274, 256}).error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(reader.ReadTile({0, 273, 111}).error().code(), ErrorCode::kInvalidInput);
  HashAddress beyond{0, kSize};
  EXPECT_EQ(reader.ReadHashes({&beyond, 1}).error().code(), ErrorCode::kInvalidInput);
}

TEST_F(TiledTree, ResumeContinuesIdentically) {
  // Resume at a size whose partial tiles were published, append the rest, compare.
  uint64_t resume_at = 4099 * 8 + 1;
  MapFetcher partial_store;
  TreeTiler first;
  for (uint64_t i = 0; i < resume_at; ++i) {
    ASSERT_TRUE(first.Append(LeafHash(AsBytes("entry " + std::to_string(i)))).ok());
  }
  partial_store.Put(first.TakeChangedTiles());
  auto resumed = TreeTiler::Resume(resume_at, partial_store, first.Root());
  ASSERT_TRUE(resumed.ok()) << resumed.error().ToString();
  EXPECT_EQ(resumed->Root(), first.Root());
  for (uint64_t i = resume_at; i < kSize; ++i) {
    ASSERT_TRUE(resumed->Append(LeafHash(AsBytes("entry " + std::to_string(i)))).ok());
  }
  EXPECT_EQ(resumed->Root(), root_);
  partial_store.Put(resumed->TakeChangedTiles());
  for (const auto& [path, data] : store_.files) {
    auto parsed = ParseTilePath(path).value();
    if (!parsed.tile.full()) continue;  // intermediate partial tiles differ by design
    ASSERT_EQ(partial_store.files.count(path), 1u) << path;
    EXPECT_EQ(partial_store.files[path], data) << path;
  }
  // Resuming with the wrong expected root is refused.
  auto wrong = TreeTiler::Resume(resume_at, partial_store, root_);
  EXPECT_EQ(wrong.error().code(), ErrorCode::kVerificationFailed);
}

TEST(EntryBundler, ResumeFromPartialBundle) {
  MapFetcher store;
  EntryBundler a;
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(a.Append(ToBytes("e" + std::to_string(i))).ok());
  store.Put(a.TakeChangedBundles());
  EXPECT_EQ(store.files.count("tile/entries/000"), 1u);
  EXPECT_EQ(store.files.count("tile/entries/001.p/44"), 1u);
  auto b = EntryBundler::Resume(300, store);
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  for (int i = 300; i < 512; ++i) ASSERT_TRUE(b->Append(ToBytes("e" + std::to_string(i))).ok());
  auto bundles = b->TakeChangedBundles();
  ASSERT_EQ(bundles.size(), 1u);
  EXPECT_EQ(bundles[0].path, "tile/entries/001");
  auto entries = ParseEntryBundle(bundles[0].data, 256).value();
  EXPECT_EQ(entries[0], ToBytes("e256"));
  EXPECT_EQ(entries[255], ToBytes("e511"));
  // A corrupt partial bundle is refused on resume.
  store.files["tile/entries/001.p/44"].pop_back();
  auto bad = EntryBundler::Resume(300, store);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("tile/entries/001.p/44"), std::string::npos);
}

}  // namespace
}  // namespace clearbox::tlog
