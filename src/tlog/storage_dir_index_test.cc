// The directory backend's deduplication index: growth, colliding tags, what a crash leaves
// (stale slots), damaged files, truncation.
#include "storage_dir_index.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "log_test_util.h"

namespace clearbox::tlog {
namespace {

namespace fs = std::filesystem;
using internal::LeafIndex;
using testing::TempDir;

Hash HashOf(uint64_t i) {
  uint8_t seed[8];
  StoreBE64(seed, i);
  return Sha256(ByteView(seed, sizeof seed));
}

std::vector<IndexedEntry> Entries(uint64_t first, uint64_t count, uint64_t seed_offset = 0) {
  std::vector<IndexedEntry> out;
  for (uint64_t i = first; i < first + count; ++i) out.push_back({HashOf(i + seed_offset), i});
  return out;
}

std::unique_ptr<LeafIndex> OpenIndex(const fs::path& dir, std::string* notice = nullptr) {
  auto index = LeafIndex::Open(dir.string(), [notice](const std::string& m) {
    if (notice) *notice += m;
  });
  EXPECT_TRUE(index.ok()) << index.error().message();
  return index.ok() ? std::move(*index) : nullptr;
}

std::optional<uint64_t> Find(LeafIndex& index, const Hash& h) {
  auto found = index.Lookup(std::span(&h, 1));
  EXPECT_TRUE(found.ok());
  return found.ok() ? (*found)[0] : std::nullopt;
}

TEST(LeafIndex, FindsEveryEntryAcrossGrowthAndReopening) {
  TempDir dir;
  constexpr uint64_t kCount = 100000;  // several growths (the first table has 4096 slots)
  {
    auto index = OpenIndex(dir / "index");
    for (uint64_t first = 0; first < kCount; first += 4096) {
      ASSERT_TRUE(index->Add(Entries(first, std::min<uint64_t>(4096, kCount - first))).ok());
    }
    EXPECT_EQ(index->size(), kCount);
    for (uint64_t i = 0; i < kCount; i += 997) EXPECT_EQ(Find(*index, HashOf(i)), i);
    EXPECT_EQ(Find(*index, HashOf(kCount + 5)), std::nullopt);
  }
  auto index = OpenIndex(dir / "index");
  EXPECT_EQ(index->size(), kCount);
  std::vector<Hash> all;
  for (uint64_t i = 0; i < kCount + 10; ++i) all.push_back(HashOf(i));
  auto found = index->Lookup(all).value();
  for (uint64_t i = 0; i < kCount; ++i) ASSERT_EQ(found[i], i);
  for (uint64_t i = kCount; i < kCount + 10; ++i) EXPECT_EQ(found[i], std::nullopt);
}

TEST(LeafIndex, EntriesSharingTheirFirstBytesAreTellApart) {
  TempDir dir;
  auto index = OpenIndex(dir / "index");
  // The table keys on the first 8 bytes; the full hash decides.
  Hash a = HashOf(1), b = a, c = a;
  b[31] ^= 1;
  c[20] ^= 0x80;
  ASSERT_TRUE(index->Add(std::vector<IndexedEntry>{{a, 0}, {b, 1}}).ok());
  EXPECT_EQ(Find(*index, a), 0u);
  EXPECT_EQ(Find(*index, b), 1u);
  EXPECT_EQ(Find(*index, c), std::nullopt);
}

TEST(LeafIndex, AddRefusesAGap) {
  TempDir dir;
  auto index = OpenIndex(dir / "index");
  ASSERT_TRUE(index->Add(Entries(0, 2)).ok());
  Status gap = index->Add(Entries(3, 1));
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.error().code(), ErrorCode::kInvalidInput);
}

// A crash (or power cut) after entries were added but before the index synced them: the files
// hold their slots, the header an older size. Copying the files of an open index is that state.
TEST(LeafIndex, SlotsACrashLeftBeyondTheSyncedSizeAreNeverAnswered) {
  TempDir dir;
  auto index = OpenIndex(dir / "index");
  ASSERT_TRUE(index->Add(Entries(0, 10)).ok());
  ASSERT_TRUE(index->Sync().ok());
  ASSERT_TRUE(index->Add(Entries(10, 5)).ok());  // in the files, not synced
  fs::create_directories(dir / "crashed");
  fs::copy(dir / "index/table", dir / "crashed/table");
  fs::copy(dir / "index/leaves", dir / "crashed/leaves");

  auto after = OpenIndex(dir / "crashed");
  EXPECT_EQ(after->size(), 10u);
  for (uint64_t i = 10; i < 15; ++i) EXPECT_EQ(Find(*after, HashOf(i)), std::nullopt) << i;
  // The log went on with other entries at those indexes: they are found, the lost ones not.
  ASSERT_TRUE(after->Add(Entries(10, 5, 1000)).ok());
  for (uint64_t i = 10; i < 15; ++i) {
    EXPECT_EQ(Find(*after, HashOf(i + 1000)), i);
    EXPECT_EQ(Find(*after, HashOf(i)), std::nullopt);
  }
  for (uint64_t i = 0; i < 10; ++i) EXPECT_EQ(Find(*after, HashOf(i)), i);
}

TEST(LeafIndex, TruncateForgetsLaterEntriesAndLetsTheirIndexesBeReused) {
  TempDir dir;
  auto index = OpenIndex(dir / "index");
  ASSERT_TRUE(index->Add(Entries(0, 20)).ok());
  ASSERT_TRUE(index->Sync().ok());
  ASSERT_TRUE(index->Truncate(12).ok());
  EXPECT_EQ(index->size(), 12u);
  EXPECT_EQ(Find(*index, HashOf(15)), std::nullopt);
  ASSERT_TRUE(index->Add(Entries(12, 3, 500)).ok());
  EXPECT_EQ(Find(*index, HashOf(512)), 12u);
  EXPECT_EQ(Find(*index, HashOf(12)), std::nullopt);
  index.reset();
  auto reopened = OpenIndex(dir / "index");
  EXPECT_EQ(reopened->size(), 15u);
  EXPECT_EQ(Find(*reopened, HashOf(514)), 14u);
}

TEST(LeafIndex, ADamagedTableIsDiscardedWithANotice) {
  struct Damage {
    const char* what;
    std::function<void(const fs::path&)> apply;
  };
  const Damage damages[] = {
      {"bad magic",
       [](const fs::path& d) {
         std::fstream f(d / "table", std::ios::in | std::ios::out | std::ios::binary);
         f.write("XXXX", 4);
       }},
      {"truncated table", [](const fs::path& d) { fs::resize_file(d / "table", 5000); }},
      {"leaves shorter than the synced size",
       [](const fs::path& d) { fs::resize_file(d / "leaves", 3 * kHashSize); }},
      {"slot count not a power of two",
       [](const fs::path& d) {
         std::fstream f(d / "table", std::ios::in | std::ios::out | std::ios::binary);
         f.seekp(8);
         uint8_t slots[8];
         StoreLE64(slots, 65537);
         f.write(reinterpret_cast<const char*>(slots), 8);
       }},
  };
  for (const Damage& damage : damages) {
    TempDir dir;
    {
      auto index = OpenIndex(dir / "index");
      ASSERT_TRUE(index->Add(Entries(0, 8)).ok());
    }
    damage.apply(dir / "index");
    std::string notice;
    auto index = OpenIndex(dir / "index", &notice);
    ASSERT_NE(index, nullptr) << damage.what;
    EXPECT_EQ(index->size(), 0u) << damage.what;
    EXPECT_NE(notice.find("rebuilt from the tiles"), std::string::npos) << damage.what;
    EXPECT_EQ(Find(*index, HashOf(3)), std::nullopt) << damage.what;
    ASSERT_TRUE(index->Add(Entries(0, 8)).ok()) << damage.what;
    EXPECT_EQ(Find(*index, HashOf(3)), 3u) << damage.what;
  }
}

}  // namespace
}  // namespace clearbox::tlog
