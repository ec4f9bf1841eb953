// Bombs and limits: the entry and time limits stop the unpack, the byte limits stop one
// stream or file; each with a kLimit note, keeping what was read, the result flagged partial.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine_test_util.h"

namespace clearbox::unpack::enginetest {
namespace {

class EngineLimitsTest : public ::testing::Test {
 protected:
  std::string dir() const { return scratch_.path().string(); }
  Scratch scratch_;
};

TEST_F(EngineLimitsTest, GzipBombHelperIsAValidGzipOfZeros) {
  Bytes tar = TarHeader("z", 1000);
  WriteText(scratch_ / "b.gz", AsChars(GzipZeroBomb(tar, 1000)));
  ASSERT_TRUE(Sh(dir(), "gzip -t b.gz && test \"$(gzip -dc b.gz | wc -c)\" = 1512"));
}

TEST_F(EngineLimitsTest, GzipOfOneGibZerosStopsAtTheRatio) {
  // A tar.gz: a normal file, then a file of 1 GiB of zeros. The stream expands about
  // 160:1; the limit is 50:1.
  Bytes tar = TarHeader("a.txt", 6);
  std::string hello = "hello\n";
  tar.insert(tar.end(), hello.begin(), hello.end());
  tar.resize(512 * 2, 0);
  Bytes zeros_header = TarHeader("zeros", 1ull << 30);
  tar.insert(tar.end(), zeros_header.begin(), zeros_header.end());
  Bytes bomb = GzipZeroBomb(tar, 1ull << 30);
  ASSERT_LT(bomb.size(), 8u << 20);

  Options options;
  options.limits.max_ratio = 50;
  Unpacked u = UnpackBytes(bomb, options);
  const auto* a = u.Find("buf!gzip@0x0!tar:/a.txt");
  ASSERT_NE(a, nullptr) << u.NotesText();
  EXPECT_EQ(a->sha256, Sha("hello\n"));
  const auto* zeros = u.Find("buf!gzip@0x0!tar:/zeros");
  ASSERT_NE(zeros, nullptr) << u.NotesText();
  EXPECT_EQ(zeros->node.size, 1ull << 30);
  EXPECT_TRUE(u.summary.partial);
  EXPECT_TRUE(u.HasNote(Note::Kind::kLimit, "expands beyond 50:1")) << u.NotesText();
  // Stopped at 50 x the stream's input, well before the GiB (summary.bytes counts the
  // decompressed stream and the tar's files read out of it).
  EXPECT_LE(u.summary.bytes, 2 * 50 * bomb.size() + (2 << 20));
  EXPECT_LT(u.summary.bytes, 1ull << 30);
}

TEST_F(EngineLimitsTest, GzipOfOneGibZerosStopsAtTheDefaultRatioWhenCarved) {
  // Default limits (ratio 1000:1 needs a denser bomb): the per-file limit stops it.
  Bytes bomb = GzipZeroBomb({}, 1ull << 30);
  Options options;
  options.limits.max_file_bytes = 32 << 20;
  Unpacked u = UnpackBytes(bomb, options);
  EXPECT_TRUE(u.summary.partial);
  EXPECT_TRUE(u.HasNote(Note::Kind::kLimit, "per-file limit of 33554432 bytes")) << u.NotesText();
}

TEST_F(EngineLimitsTest, GzipBombStopsAtThePerFileLimit) {
  ASSERT_TRUE(Sh(dir(), "head -c 64M /dev/zero | gzip -1 > zeros.gz"));
  Options options;
  options.limits.max_file_bytes = 16 << 20;
  Unpacked u = UnpackPath(scratch_ / "zeros.gz", options);
  EXPECT_TRUE(u.summary.partial);
  EXPECT_TRUE(u.HasNote(Note::Kind::kLimit, "per-file limit of 16777216 bytes")) << u.NotesText();
  EXPECT_LE(u.summary.bytes, (16u << 20) + (1u << 20));
}

TEST_F(EngineLimitsTest, NestedZipsStopAtTheDepthLimit) {
  ASSERT_TRUE(Sh(dir(),
                 "echo core > core.txt && zip -q z0.zip core.txt && "
                 "for i in 1 2 3 4 5 6 7 8; do zip -q z$i.zip z$((i-1)).zip; done"));
  Options options;
  options.limits.max_depth = 4;
  Unpacked u = UnpackPath(scratch_ / "z8.zip", options);
  // Depth 4: z8, z7, z6, z5 are opened; z4.zip inside z5 is listed, not opened.
  EXPECT_NE(u.Find("z8.zip!zip@0x0:/z7.zip!zip:/z6.zip!zip:/z5.zip!zip:/z4.zip"), nullptr)
      << u.NotesText();
  EXPECT_EQ(u.FindSuffix("/core.txt"), nullptr);
  EXPECT_TRUE(u.HasNote(Note::Kind::kLimit, "depth limit of 4 reached")) << u.NotesText();
  EXPECT_TRUE(u.summary.partial);

  Unpacked all = UnpackPath(scratch_ / "z8.zip");
  const auto* core = all.FindSuffix("!zip:/core.txt");
  ASSERT_NE(core, nullptr) << all.NotesText();
  EXPECT_EQ(core->sha256, Sha("core\n"));
}

TEST_F(EngineLimitsTest, SquashfsClaimingAHugeFileStopsAtTheLimit) {
  // A 1 GiB sparse file: mksquashfs stores its blocks as sparse, the image stays tiny.
  ASSERT_TRUE(Sh(dir(),
                 "mkdir -p root && echo small > root/a-small && truncate -s 1G root/huge && "
                 "mksquashfs root huge.sqfs -no-progress -quiet"));
  EXPECT_LT(std::filesystem::file_size(scratch_ / "huge.sqfs"), 1u << 20);
  Options options;
  options.limits.max_file_bytes = 8 << 20;
  Unpacked u = UnpackPath(scratch_ / "huge.sqfs", options);
  const auto* small = u.Find("huge.sqfs!squashfs@0x0:/a-small");
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(small->sha256, Sha("small\n"));
  const auto* huge = u.Find("huge.sqfs!squashfs@0x0:/huge");
  ASSERT_NE(huge, nullptr);
  EXPECT_EQ(huge->node.size, 1ull << 30);  // the claim is recorded faithfully
  EXPECT_TRUE(u.HasNote(Note::Kind::kLimit, "per-file limit of 8388608 bytes")) << u.NotesText();
  EXPECT_TRUE(u.summary.partial);
}

TEST_F(EngineLimitsTest, EntryLimitStopsTheWholeUnpack) {
  ASSERT_TRUE(Sh(dir(),
                 "mkdir -p t && for i in $(seq 1 50); do echo $i > t/f$i; done && "
                 "tar -cf many.tar -C t ."));
  Options options;
  options.limits.max_entries = 10;
  Unpacked u = UnpackPath(scratch_ / "many.tar", options);
  EXPECT_EQ(u.entries.size(), 10u);
  EXPECT_EQ(u.summary.nodes, 10u);
  EXPECT_TRUE(u.HasNote(Note::Kind::kLimit, "entry limit of 10 reached")) << u.NotesText();
  EXPECT_TRUE(u.summary.partial);
}

TEST_F(EngineLimitsTest, TotalByteLimitStopsContentsNotTheListing) {
  ASSERT_TRUE(Sh(dir(),
                 "mkdir -p t && for i in 1 2 3 4; do head -c 100000 /dev/urandom > t/f$i; "
                 "done && tar -cf big.tar -C t f1 f2 f3 f4"));
  Options options;
  options.limits.max_total_bytes = 250000;
  Unpacked u = UnpackPath(scratch_ / "big.tar", options);
  EXPECT_NE(u.Find("big.tar!tar@0x0:/f1"), nullptr);
  EXPECT_NE(u.Find("big.tar!tar@0x0:/f2"), nullptr);
  // Past the limit, entries are still recorded, without all of their content.
  const auto* f4 = u.Find("big.tar!tar@0x0:/f4");
  ASSERT_NE(f4, nullptr) << u.NotesText();
  EXPECT_EQ(f4->node.size, 100000u);
  EXPECT_LE(u.summary.bytes, 250000u);
  EXPECT_TRUE(u.summary.partial);
  EXPECT_TRUE(u.HasNote(Note::Kind::kLimit, "total limit of 250000")) << u.NotesText();
}

TEST_F(EngineLimitsTest, ZipOfZipsStopsAtTheTotalRatioOfTheImage) {
  // Every stream stays far under the per-stream ratio (a 256 KiB leaf deflates ~200:1), but
  // ten zips of ten leaves each make 25 MiB out of ~150 KB: over 100x the image.
  WriteText(scratch_ / "bomb.py", R"(import io, random, zipfile
random.seed(7)
leaf = bytes(random.randrange(4) for _ in range(64)) * 4096
inner = io.BytesIO()
with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(10):
        z.writestr(f"leaf{i}.bin", leaf)
with zipfile.ZipFile("bomb.zip", "w", zipfile.ZIP_STORED) as z:
    for i in range(10):
        z.writestr(f"inner{i}.zip", inner.getvalue())
)");
  ASSERT_TRUE(Sh(dir(), "python3 bomb.py"));
  const uint64_t image_size = std::filesystem::file_size(scratch_ / "bomb.zip");
  ASSERT_LT(image_size * 100, 25u << 20);
  Options options;
  options.limits.total_ratio_floor_bytes = 1 << 20;  // the default floor is 256 MiB
  Unpacked u = UnpackPath(scratch_ / "bomb.zip", options);
  EXPECT_TRUE(u.HasNote(Note::Kind::kLimit, "100x the image's size")) << u.NotesText();
  EXPECT_LE(u.summary.bytes, image_size * 100);
  EXPECT_TRUE(u.summary.partial);
  EXPECT_NE(u.Find("bomb.zip!zip@0x0:/inner0.zip!zip:/leaf0.bin"), nullptr) << u.NotesText();

  // With the limit off, all of it.
  options.limits.max_total_ratio = 0;
  Unpacked all = UnpackPath(scratch_ / "bomb.zip", options);
  EXPECT_GE(all.summary.bytes, 25u << 20);
  EXPECT_FALSE(all.summary.partial) << all.NotesText();
}

TEST_F(EngineLimitsTest, SquashfsGoesOnAfterASparseFileHitsTheTotalLimit) {
  // A sparse file of 64 MiB (a few bytes in the image), then a small file: the limit stops
  // the big one, the small one is still recorded with its content.
  ASSERT_TRUE(Sh(dir(),
                 "mkdir -p r && truncate -s 64M r/huge.bin && echo small > r/small.txt && "
                 "mksquashfs r s.sqfs -comp xz -no-progress -quiet"));
  for (bool content : {true, false}) {
    SCOPED_TRACE(content ? "unpack" : "listing");
    Options options;
    options.limits.max_total_bytes = 8 << 20;
    Unpacked u = UnpackPath(scratch_ / "s.sqfs", options, content);
    const auto* huge = u.Find("s.sqfs!squashfs@0x0:/huge.bin");
    ASSERT_NE(huge, nullptr) << u.NotesText();
    EXPECT_EQ(huge->node.size, 64u << 20);
    const auto* small = u.Find("s.sqfs!squashfs@0x0:/small.txt");
    ASSERT_NE(small, nullptr) << u.NotesText();
    if (content) {
      EXPECT_EQ(small->sha256, Sha("small\n"));
      EXPECT_TRUE(u.summary.partial);
      EXPECT_TRUE(u.HasNote(Note::Kind::kLimit, "total limit of 8388608")) << u.NotesText();
      EXPECT_LE(u.summary.bytes, 8u << 20);
    }
  }
}

TEST_F(EngineLimitsTest, TimeLimitStops) {
  ASSERT_TRUE(Sh(dir(), "mkdir -p t && echo x > t/x && tar -cf t.tar -C t ."));
  Options options;
  options.limits.max_seconds = 0;
  Unpacked u = UnpackPath(scratch_ / "t.tar", options);
  EXPECT_TRUE(u.summary.partial);
  EXPECT_TRUE(u.HasNote(Note::Kind::kLimit, "time limit of 0 s reached")) << u.NotesText();
}

TEST_F(EngineLimitsTest, LongNamesAreSkippedWithANote) {
  ASSERT_TRUE(Sh(dir(), "mkdir -p t/" + std::string(200, 'd') + " && echo x > t/" +
                            std::string(200, 'd') + "/f && tar -cf t.tar -C t ."));
  Options options;
  options.limits.max_path_length = 100;
  Unpacked u = UnpackPath(scratch_ / "t.tar", options);
  EXPECT_TRUE(u.HasNote(Note::Kind::kCorrupt, "longer than the limit of 100")) << u.NotesText();
  EXPECT_EQ(u.FindSuffix("/f"), nullptr);
}

}  // namespace
}  // namespace clearbox::unpack::enginetest
