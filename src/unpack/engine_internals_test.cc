// The engine's building blocks: path normalisation, the magic scanner, spill buffers.
#include <gtest/gtest.h>

#include "engine_test_util.h"
#include "internal/path.h"
#include "internal/scanner.h"
#include "internal/spill.h"

namespace clearbox::unpack::internal {
namespace {

struct PathCase {
  std::string stored;
  std::string path;
  bool unusual;
};

TEST(EnginePathTest, NormalisesAndFlagsUnusualNames) {
  const PathCase cases[] = {
      {"etc/passwd", "/etc/passwd", false},
      {"./etc/passwd", "/etc/passwd", false},
      {"etc/", "/etc", false},
      {"", "/", false},
      {".", "/", false},
      {"./", "/", false},
      {"/etc/passwd", "/etc/passwd", true},
      {"../../etc/shadow", "/etc/shadow", true},
      {"a/../../b", "/b", true},
      {"a/./b", "/a/b", true},
      {"a//b", "/a/b", true},
      {"..", "/", true},
      {std::string("a\0b", 3), "/a?b", true},
  };
  for (const PathCase& c : cases) {
    NormalisedPath n = NormalisePath(c.stored);
    EXPECT_EQ(n.path, c.path) << c.stored;
    EXPECT_EQ(n.unusual, c.unusual) << c.stored;
  }
}

TEST(EngineScannerTest, FindsMagicsAtTheirHeaderOffsets) {
  FormatHandler at_zero{.name = "a", .magics = {{"MAGIC", 0}}};
  FormatHandler at_257{.name = "t", .magics = {{"ustar", 257}}};
  std::vector<const FormatHandler*> formats = {&at_zero, &at_257};
  MagicScanner scanner(formats);
  Bytes data(4096, 0);
  std::memcpy(&data[100], "MAGIC", 5);
  std::memcpy(&data[1000 + 257], "ustar", 5);
  std::memcpy(&data[100 + 257 - 300], "ustar", 5);  // would start before the blob: ignored
  bool truncated = true;
  std::vector<Candidate> found = scanner.Scan(data, 0, data.size(), 100, &truncated);
  EXPECT_FALSE(truncated);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].start, 100u);
  EXPECT_EQ(found[0].format, 0u);
  EXPECT_EQ(found[1].start, 1000u);
  EXPECT_EQ(found[1].format, 1u);
  // A window only reports starts inside it, wherever the magic lies.
  found = scanner.Scan(data, 500, 2000, 100, &truncated);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].start, 1000u);
  EXPECT_EQ(scanner.MatchAt(data, 100), std::vector<uint32_t>{0});
  EXPECT_TRUE(scanner.MatchAt(data, 0).empty());
}

TEST(EngineScannerTest, CapsTheNumberOfCandidates) {
  FormatHandler weak{.name = "w", .magics = {{"ab", 0}}};
  std::vector<const FormatHandler*> formats = {&weak};
  MagicScanner scanner(formats);
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "ab";
  bool truncated = false;
  std::vector<Candidate> found = scanner.Scan(AsBytes(text), 0, text.size(), 10, &truncated);
  EXPECT_TRUE(truncated);
  EXPECT_EQ(found.size(), 10u);
}

TEST(EngineSpillTest, MovesToATempFileBeyondTheMemoryCap) {
  uint64_t charged = 0;
  auto spill = NewSpillBuffer(1000, [&](uint64_t n) {
    charged += n;
    return Status::Ok();
  });
  Bytes chunk(700, 0x41);
  ASSERT_TRUE(spill->Append(chunk).ok());
  ASSERT_TRUE(spill->Append(chunk).ok());  // crosses the cap: spills
  ASSERT_TRUE(spill->WriteAt(3000, AsBytes("end")).ok());
  EXPECT_EQ(spill->size(), 3003u);
  EXPECT_EQ(charged, 3003u);
  auto blob = spill->Finish();
  ASSERT_TRUE(blob.ok());
  ByteView bytes = (*blob)->bytes();
  ASSERT_EQ(bytes.size(), 3003u);
  EXPECT_EQ(bytes[0], 0x41);
  EXPECT_EQ(bytes[1399], 0x41);
  EXPECT_EQ(bytes[2000], 0);
  EXPECT_EQ(AsChars(bytes.subspan(3000)), "end");
}

TEST(EngineSpillTest, RefusesBytesPastItsCharge) {
  auto spill =
      NewSpillBuffer(1 << 20, [](uint64_t n) -> Status { return Error::LimitExceeded("no more"); });
  Status s = spill->Append(AsBytes("x"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(spill->size(), 0u);
}

}  // namespace
}  // namespace clearbox::unpack::internal
