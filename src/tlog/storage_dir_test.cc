// The directory backend of LogStorage: layout, atomic replacement, path hygiene, the lock,
// and the dedup index across reopenings.
#include <gtest/gtest.h>

#include <filesystem>

#include "clearbox/core/file.h"
#include "clearbox/tlog/storage.h"
#include "log_test_util.h"

namespace clearbox::tlog {
namespace {

using testing::TempDir;

TileData Tile(const TileId& id, uint8_t fill) {
  return TileData{id, TilePath(id), Bytes(size_t(id.width) * kHashSize, fill)};
}

Hash HashOf(uint8_t b) {
  Hash h{};
  h.fill(b);
  return h;
}

TEST(DirectoryStorage, WritesTilesWhereTheSpecSaysAndReadsThemBack) {
  TempDir dir;
  auto storage = OpenDirectoryStorage(dir.path(), true).value();
  Bytes bundle = {0, 3, 'a', 'b', 'c'};
  std::vector<TileData> tiles = {
      Tile({0, 1234067, 256}, 7),
      Tile({1, 0, 3}, 9),
      TileData{{0, 1000, 1}, EntryBundlePath(1000, 1), bundle},
  };
  ASSERT_TRUE(storage->WriteTiles(tiles).ok());
  EXPECT_EQ(storage->Fetch("tile/1/000.p/3", kFullTileSize).value(), tiles[1].data);
  // The files are in place once a checkpoint is published (they are written in the
  // background; Fetch serves them meanwhile).
  ASSERT_TRUE(storage->PublishCheckpoint("checkpoint\n").ok());
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / "tile/0/x001/x234/067"));
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / "tile/1/000.p/3"));
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / "tile/entries/x001/000.p/1"));
  EXPECT_EQ(storage->Fetch("tile/0/x001/x234/067", kFullTileSize).value(), tiles[0].data);
  EXPECT_EQ(storage->Fetch("tile/entries/x001/000.p/1", 100).value(), bundle);
  // No temporary file is left next to a tile.
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "tile")) {
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
  }
}

TEST(DirectoryStorage, RewritingATileReplacesIt) {
  TempDir dir;
  auto storage = OpenDirectoryStorage(dir.path(), true).value();
  ASSERT_TRUE(storage->WriteTiles(std::vector{Tile({0, 0, 5}, 1)}).ok());
  ASSERT_TRUE(storage->WriteTiles(std::vector{Tile({0, 0, 5}, 2)}).ok());
  EXPECT_EQ(storage->Fetch("tile/0/000.p/5", kFullTileSize).value(), Tile({0, 0, 5}, 2).data);
}

TEST(DirectoryStorage, FetchServesOnlyLogResources) {
  TempDir dir;
  auto storage = OpenDirectoryStorage(dir.path(), true).value();
  for (const char* path : {"config.json", "index/table", "index/leaves", "../etc/passwd",
                           "tile/0/0000", "tile/0/000/../../config.json", "lock", ""}) {
    auto r = storage->Fetch(path, 1 << 20);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput) << path;
  }
}

TEST(DirectoryStorage, FetchOfAMissingTileIsNotFound) {
  TempDir dir;
  auto storage = OpenDirectoryStorage(dir.path(), true).value();
  auto r = storage->Fetch("tile/0/000", kFullTileSize);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
}

TEST(DirectoryStorage, FetchRefusesAFileLargerThanAsked) {
  TempDir dir;
  auto storage = OpenDirectoryStorage(dir.path(), true).value();
  ASSERT_TRUE(storage->WriteTiles(std::vector{Tile({0, 0, 256}, 1)}).ok());
  auto r = storage->Fetch("tile/0/000", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kLimitExceeded);
}

TEST(DirectoryStorage, OneWriterPerLog) {
  TempDir dir;
  auto first = OpenDirectoryStorage(dir.path(), true);
  ASSERT_TRUE(first.ok());
  auto second = OpenDirectoryStorage(dir.path(), true);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), ErrorCode::kConflict);
  first->reset();  // closing releases the lock
  EXPECT_TRUE(OpenDirectoryStorage(dir.path(), true).ok());
}

TEST(DirectoryStorage, OpeningADirectoryThatIsNotALogFails) {
  TempDir dir;
  auto r = OpenDirectoryStorage(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  auto missing = OpenDirectoryStorage(dir / "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

TEST(DirectoryStorage, ConfigAndCheckpointRoundTrip) {
  TempDir dir;
  auto keys = testing::NewLogKeys();
  LogConfig config = testing::NewConfig(keys);
  {
    auto storage = OpenDirectoryStorage(dir.path(), true).value();
    EXPECT_EQ(storage->ReadConfig().error().code(), ErrorCode::kNotFound);
    EXPECT_EQ(storage->ReadCheckpoint().error().code(), ErrorCode::kNotFound);
    ASSERT_TRUE(storage->WriteConfig(config).ok());
    ASSERT_TRUE(storage->PublishCheckpoint("one\n").ok());
    ASSERT_TRUE(storage->PublishCheckpoint("two\n").ok());
  }
  auto storage = OpenDirectoryStorage(dir.path()).value();
  EXPECT_EQ(storage->ReadConfig().value(), config);
  EXPECT_EQ(storage->ReadCheckpoint().value(), "two\n");
  EXPECT_EQ(storage->Fetch("checkpoint", 100).value(), testing::Entry("two\n"));
}

TEST(DirectoryStorage, ABrokenConfigIsReportedWithItsPath) {
  TempDir dir;
  auto storage = OpenDirectoryStorage(dir.path(), true).value();
  ASSERT_TRUE(WriteFileAtomic(dir / "config.json", AsBytes("{\"origin\": 5}")).ok());
  auto r = storage->ReadConfig();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(r.error().message().find("config.json"), std::string::npos) << r.error().message();
}

TEST(DirectoryStorage, IndexSurvivesReopening) {
  TempDir dir;
  {
    auto storage = OpenDirectoryStorage(dir.path(), true).value();
    EXPECT_EQ(storage->IndexedSize().value(), 0u);
    std::vector<IndexedEntry> entries = {{HashOf(1), 0}, {HashOf(2), 1}, {HashOf(3), 2}};
    ASSERT_TRUE(storage->IndexEntries(entries).ok());
    // Pending writes are visible at once.
    auto found = storage->LookupEntries(std::vector{HashOf(2), HashOf(9)}).value();
    EXPECT_EQ(found[0], std::optional<uint64_t>(1));
    EXPECT_EQ(found[1], std::nullopt);
  }
  auto storage = OpenDirectoryStorage(dir.path(), true).value();
  EXPECT_EQ(storage->IndexedSize().value(), 3u);
  auto found = storage->LookupEntries(std::vector{HashOf(3), HashOf(1), HashOf(4)}).value();
  EXPECT_EQ(found[0], std::optional<uint64_t>(2));
  EXPECT_EQ(found[1], std::optional<uint64_t>(0));
  EXPECT_EQ(found[2], std::nullopt);
}

TEST(DirectoryStorage, IndexEntriesMustBeContiguous) {
  TempDir dir;
  auto storage = OpenDirectoryStorage(dir.path(), true).value();
  ASSERT_TRUE(storage->IndexEntries(std::vector<IndexedEntry>{{HashOf(1), 0}}).ok());
  Status gap = storage->IndexEntries(std::vector<IndexedEntry>{{HashOf(2), 2}});
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.error().code(), ErrorCode::kInvalidInput);
}

TEST(DirectoryStorage, TruncateIndexForgetsLaterEntries) {
  TempDir dir;
  auto storage = OpenDirectoryStorage(dir.path(), true).value();
  ASSERT_TRUE(
      storage
          ->IndexEntries(std::vector<IndexedEntry>{{HashOf(1), 0}, {HashOf(2), 1}, {HashOf(3), 2}})
          .ok());
  ASSERT_TRUE(storage->TruncateIndex(1).ok());
  EXPECT_EQ(storage->IndexedSize().value(), 1u);
  auto found = storage->LookupEntries(std::vector{HashOf(1), HashOf(2)}).value();
  EXPECT_EQ(found[0], std::optional<uint64_t>(0));
  EXPECT_EQ(found[1], std::nullopt);
  EXPECT_TRUE(storage->IndexEntries(std::vector<IndexedEntry>{{HashOf(7), 1}}).ok());
}

TEST(DirectoryStorage, DeletesPartialsSupersededByAFullTile) {
  TempDir dir;
  auto storage = OpenDirectoryStorage(dir.path(), true).value();
  ASSERT_TRUE(storage->WriteTiles(std::vector{Tile({0, 0, 3}, 1), Tile({0, 0, 200}, 1)}).ok());
  std::vector full{Tile({0, 0, 256}, 1)};
  ASSERT_TRUE(storage->WriteTiles(full).ok());
  ASSERT_TRUE(storage->DeleteSupersededPartials(full).ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "tile/0/000.p"));
  EXPECT_TRUE(std::filesystem::exists(dir / "tile/0/000"));
}

TEST(DirectoryStorage, StaleTemporaryCheckpointsAreRemovedOnOpen) {
  TempDir dir;
  { auto storage = OpenDirectoryStorage(dir.path(), true).value(); }
  ASSERT_TRUE(WriteFileAtomic(dir / "checkpoint.tmp.12345", AsBytes("half")).ok());
  auto storage = OpenDirectoryStorage(dir.path(), true).value();
  EXPECT_FALSE(std::filesystem::exists(dir / "checkpoint.tmp.12345"));
}

}  // namespace
}  // namespace clearbox::tlog
