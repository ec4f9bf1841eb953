// The directory backend's journal: record format, torn tails, path hygiene, replay of tiles a
// crash lost, rotation.
#include "storage_dir_journal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "clearbox/core/file.h"
#include "clearbox/tlog/checkpoint.h"
#include "clearbox/tlog/storage.h"
#include "log_test_util.h"

namespace clearbox::tlog {
namespace {

namespace fs = std::filesystem;
using internal::EncodeJournalRecord;
using internal::ParseJournal;
using testing::TempDir;

TileData Tile(const TileId& id, uint8_t fill) {
  return TileData{id, TilePath(id), Bytes(size_t(id.width) * kHashSize, fill)};
}

TileData Bundle(uint64_t index, uint16_t width, uint8_t fill) {
  Bytes data;
  for (uint16_t i = 0; i < width; ++i) {
    EXPECT_TRUE(AppendBundleEntry(data, Bytes(3, fill)).ok());
  }
  return TileData{TileId{0, index, width}, EntryBundlePath(index, width), std::move(data)};
}

// Storage whose close leaves the journal as a crash would (a clean close retires it).
DirectoryStorageOptions AsACrashLeavesIt() {
  DirectoryStorageOptions options;
  options.retire_journal_on_close = false;
  return options;
}

std::vector<fs::path> JournalFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir / "journal")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(TileJournal, RecordsRoundTrip) {
  std::vector<TileData> a{Tile({0, 0, 3}, 1), Bundle(0, 3, 7)};
  std::vector<TileData> b{Tile({1, 2, 256}, 9)};
  Bytes file;
  EncodeJournalRecord("ck-a", a, file);
  EncodeJournalRecord("", b, file);
  auto parsed = ParseJournal(file);
  EXPECT_EQ(parsed.damage, "");
  EXPECT_EQ(parsed.valid_bytes, file.size());
  ASSERT_EQ(parsed.records.size(), 2u);
  EXPECT_EQ(parsed.records[0].checkpoint, "ck-a");
  ASSERT_EQ(parsed.records[0].tiles.size(), 2u);
  EXPECT_EQ(parsed.records[0].tiles[1].path, "tile/entries/000.p/3");
  EXPECT_EQ(parsed.records[0].tiles[1].data, a[1].data);
  EXPECT_EQ(parsed.records[0].tiles[0].tile, (TileId{0, 0, 3}));
  EXPECT_EQ(parsed.records[1].checkpoint, "");
  EXPECT_EQ(parsed.records[1].tiles[0].path, "tile/1/002");
  EXPECT_TRUE(parsed.records[1].tiles[0].tile.full());
}

TEST(TileJournal, ATornLastRecordIsDroppedAtEveryCut) {
  Bytes file;
  EncodeJournalRecord("", std::vector{Tile({0, 0, 2}, 1)}, file);
  const size_t first = file.size();
  EncodeJournalRecord("", std::vector{Tile({0, 0, 5}, 2), Bundle(0, 5, 3)}, file);
  for (size_t cut = first + 1; cut < file.size(); ++cut) {
    auto parsed = ParseJournal(ByteView(file.data(), cut));
    ASSERT_EQ(parsed.records.size(), 1u) << "cut at " << cut;
    EXPECT_EQ(parsed.valid_bytes, first);
    EXPECT_NE(parsed.damage.find("offset " + std::to_string(first)), std::string::npos)
        << parsed.damage;
  }
  // A flipped bit in the payload fails the checksum.
  file[file.size() - 1] ^= 1;
  auto parsed = ParseJournal(file);
  EXPECT_EQ(parsed.records.size(), 1u);
  EXPECT_NE(parsed.damage.find("checksum"), std::string::npos) << parsed.damage;
}

TEST(TileJournal, ARecordNamingAPathOutsideTheTileTreeIsDamage) {
  TileData evil{TileId{}, "../../etc/passwd", Bytes(32, 0)};
  Bytes file;
  EncodeJournalRecord("", std::vector{Tile({0, 0, 1}, 1)}, file);
  EncodeJournalRecord("", std::vector{evil}, file);
  auto parsed = ParseJournal(file);
  EXPECT_EQ(parsed.records.size(), 1u);
  EXPECT_NE(parsed.damage.find("tile 0"), std::string::npos) << parsed.damage;
}

TEST(TileJournal, ReplaysTilesACrashLost) {
  TempDir dir;
  const TileData t0 = Tile({0, 0, 256}, 4), b0 = Bundle(0, 256, 5), t1 = Tile({0, 1, 7}, 6);
  {
    auto storage = OpenDirectoryStorage(dir.path(), true, AsACrashLeavesIt()).value();
    ASSERT_TRUE(storage->WriteTiles(std::vector{t0, b0}).ok());
    ASSERT_TRUE(storage->WriteTiles(std::vector{t1}).ok());
  }
  // What a power cut does to files written without fsync: gone, or empty.
  fs::remove(dir / t0.path);
  fs::resize_file(dir / b0.path, 0);
  fs::remove_all(dir / "tile/0/001.p");
  std::vector<std::string> notices;
  DirectoryStorageOptions options;
  options.log = [&](const std::string& line) { notices.push_back(line); };
  auto storage = OpenDirectoryStorage(dir.path(), true, options).value();
  EXPECT_EQ(storage->Fetch(t0.path, 1 << 20).value(), t0.data);
  EXPECT_EQ(storage->Fetch(b0.path, 1 << 20).value(), b0.data);
  EXPECT_EQ(storage->Fetch(t1.path, 1 << 20).value(), t1.data);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("replayed 2 batches"), std::string::npos) << notices[0];
  // The replayed journal is gone once its tiles are durable; a new one is started.
  EXPECT_EQ(JournalFiles(dir.path()).size(), 1u);
  EXPECT_EQ(fs::file_size(JournalFiles(dir.path())[0]), 0u);
}

TEST(TileJournal, ATornBatchIsDroppedAndReportedOnReplay) {
  TempDir dir;
  const TileData kept = Tile({0, 0, 3}, 1);
  {
    auto storage = OpenDirectoryStorage(dir.path(), true, AsACrashLeavesIt()).value();
    ASSERT_TRUE(storage->WriteTiles(std::vector{kept}).ok());
    ASSERT_TRUE(storage->WriteTiles(std::vector{Tile({0, 0, 9}, 2)}).ok());
  }
  // The second batch was being appended when the power went: half of its record is there,
  // none of its files.
  const fs::path journal = JournalFiles(dir.path()).back();
  Bytes first;
  EncodeJournalRecord("", std::vector{kept}, first);
  fs::resize_file(journal, first.size() + 30);
  fs::remove_all(dir / "tile");
  std::vector<std::string> notices;
  DirectoryStorageOptions options;
  options.log = [&](const std::string& line) { notices.push_back(line); };
  auto storage = OpenDirectoryStorage(dir.path(), true, options).value();
  EXPECT_EQ(storage->Fetch(kept.path, 1 << 20).value(), kept.data);
  EXPECT_EQ(storage->Fetch("tile/0/000.p/9", 1 << 20).error().code(), ErrorCode::kNotFound);
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_NE(notices[0].find("never acknowledged"), std::string::npos) << notices[0];
}

// Signed checkpoints of an empty-origin test log at two sizes.
std::string SignedCheckpoint(uint64_t size, uint8_t root_byte) {
  static auto keys = testing::NewLogKeys();
  Hash root{};
  root.fill(root_byte);
  Checkpoint c{"example.com/journal-test", size, root, {}};
  const crypto::NoteSigner* signers[] = {keys.signer.get()};
  return SignCheckpoint(c, signers).value();
}

TEST(TileJournal, ACheckpointTheCrashLostOrToreIsTakenFromTheJournal) {
  const std::string older = SignedCheckpoint(3, 1), newer = SignedCheckpoint(9, 2);
  for (const std::string& left_on_disk : {std::string(), std::string("\0\0\0", 3), older}) {
    TempDir dir;
    {
      auto storage = OpenDirectoryStorage(dir.path(), true, AsACrashLeavesIt()).value();
      ASSERT_TRUE(storage->PublishCheckpoint(older).ok());  // durable: nothing journaled yet
      ASSERT_TRUE(storage->WriteTiles(std::vector{Tile({0, 0, 9}, 1)}).ok());
      ASSERT_TRUE(storage->PublishCheckpoint(newer).ok());  // not durable by itself
      ASSERT_TRUE(storage->WriteTiles(std::vector{Tile({0, 0, 12}, 1)}).ok());  // carries it
    }
    // The power cut lost the newest checkpoint file: gone, torn, or the older one.
    if (left_on_disk.empty()) {
      fs::remove(dir / "checkpoint");
    } else {
      ASSERT_TRUE(WriteFileAtomic(dir / "checkpoint", AsBytes(left_on_disk)).ok());
    }
    auto storage = OpenDirectoryStorage(dir.path(), true).value();
    EXPECT_EQ(storage->ReadCheckpoint().value(), newer);
  }
}

TEST(TileJournal, ANewerCheckpointOnDiskIsKept) {
  TempDir dir;
  const std::string older = SignedCheckpoint(3, 1), newer = SignedCheckpoint(9, 2);
  {
    auto storage = OpenDirectoryStorage(dir.path(), true, AsACrashLeavesIt()).value();
    ASSERT_TRUE(storage->PublishCheckpoint(older).ok());
    ASSERT_TRUE(storage->WriteTiles(std::vector{Tile({0, 0, 9}, 1)}).ok());  // carries older
    ASSERT_TRUE(storage->PublishCheckpoint(newer).ok());
  }
  auto storage = OpenDirectoryStorage(dir.path(), true).value();
  EXPECT_EQ(storage->ReadCheckpoint().value(), newer);
}

TEST(TileJournal, ReplayRestoresPartialsEvenIfAFullTileSupersededThem) {
  // Recovery may start from a checkpoint older than the full tile, which needs the partial.
  TempDir dir;
  {
    auto storage = OpenDirectoryStorage(dir.path(), true, AsACrashLeavesIt()).value();
    ASSERT_TRUE(storage->WriteTiles(std::vector{Tile({0, 0, 3}, 1)}).ok());
    std::vector full{Tile({0, 0, 256}, 1)};
    ASSERT_TRUE(storage->WriteTiles(full).ok());
    ASSERT_TRUE(storage->DeleteSupersededPartials(full).ok());
  }
  auto storage = OpenDirectoryStorage(dir.path(), true).value();
  EXPECT_TRUE(fs::exists(dir / "tile/0/000"));
  EXPECT_TRUE(fs::exists(dir / "tile/0/000.p/3"));
}

TEST(TileJournal, ACleanCloseLeavesNothingToReplay) {
  TempDir dir;
  const TileData t0 = Tile({0, 0, 256}, 4), t1 = Tile({0, 1, 7}, 6);
  {
    auto storage = OpenDirectoryStorage(dir.path(), true).value();
    ASSERT_TRUE(storage->WriteTiles(std::vector{t0}).ok());
    ASSERT_TRUE(storage->WriteTiles(std::vector{t1}).ok());
    ASSERT_TRUE(storage->PublishCheckpoint(SignedCheckpoint(263, 3)).ok());
  }
  EXPECT_TRUE(JournalFiles(dir.path()).empty());
  std::vector<std::string> notices;
  DirectoryStorageOptions options;
  options.log = [&](const std::string& line) { notices.push_back(line); };
  auto storage = OpenDirectoryStorage(dir.path(), true, options).value();
  EXPECT_TRUE(notices.empty()) << notices[0];
  EXPECT_EQ(storage->Fetch(t0.path, 1 << 20).value(), t0.data);
  EXPECT_EQ(storage->Fetch(t1.path, 1 << 20).value(), t1.data);
  EXPECT_EQ(storage->ReadCheckpoint().value(), SignedCheckpoint(263, 3));
}

TEST(TileJournal, RotatesAndRetiresFullJournalFiles) {
  TempDir dir;
  DirectoryStorageOptions options;
  options.journal_limit = 4096;  // each batch below is ~8 KiB: a rotation per batch
  std::vector<TileData> all;
  {
    auto storage = OpenDirectoryStorage(dir.path(), true, options).value();
    for (uint8_t i = 0; i < 6; ++i) {
      std::vector batch{Tile({0, i, 256}, i)};
      all.push_back(batch[0]);
      ASSERT_TRUE(storage->WriteTiles(batch).ok());
    }
    // The current file and at most one being retired.
    EXPECT_LE(JournalFiles(dir.path()).size(), 2u);
  }
  EXPECT_LE(JournalFiles(dir.path()).size(), 2u);
  auto storage = OpenDirectoryStorage(dir.path(), true, options).value();
  for (const TileData& t : all) EXPECT_EQ(storage->Fetch(t.path, 1 << 20).value(), t.data);
}

TEST(TileJournal, ARotatedJournalStartsWithThePublishedCheckpoint) {
  // The checkpoint file is replaced without fsync; once the old journal is retired, the new
  // one must hold a durable copy for recovery to start from.
  TempDir dir;
  DirectoryStorageOptions options;
  options.journal_limit = 4096;
  const std::string published = SignedCheckpoint(1, 3);
  auto storage = OpenDirectoryStorage(dir.path(), true, options).value();
  ASSERT_TRUE(storage->WriteTiles(std::vector{Tile({0, 0, 256}, 1)}).ok());
  ASSERT_TRUE(storage->PublishCheckpoint(published).ok());
  ASSERT_TRUE(storage->WriteTiles(std::vector{Tile({0, 1, 256}, 2)}).ok());  // rotates
  const fs::path newest = JournalFiles(dir.path()).back();
  auto parsed = ParseJournal(ReadFile(newest.string()).value());
  ASSERT_EQ(parsed.records.size(), 2u);
  EXPECT_EQ(parsed.records[0].checkpoint, published);
  EXPECT_TRUE(parsed.records[0].tiles.empty());
  EXPECT_EQ(parsed.records[1].tiles.size(), 1u);
}

}  // namespace
}  // namespace clearbox::tlog
