// Identification, carving and recursion: raw flash dumps, containers in files, nesting,
// truncated and corrupt parts, and the inputs that hold nothing at all.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

#include "engine_test_util.h"

namespace clearbox::unpack::enginetest {
namespace {

Bytes Junk(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(size);
  for (auto& b : out) b = uint8_t(rng());
  return out;
}

void Append(Bytes& out, ByteView data) { out.insert(out.end(), data.begin(), data.end()); }
void Pad(Bytes& out, size_t to, uint8_t fill) {
  if (out.size() < to) out.resize(to, fill);
}

class EngineCarveTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeRootfs(scratch_ / "root"); }
  std::string dir() const { return scratch_.path().string(); }
  Scratch scratch_;
};

TEST_F(EngineCarveTest, RawFlashDumpFindsEveryPartAtItsOffset) {
  ASSERT_TRUE(Sh(dir(), "mksquashfs root rootfs.sqfs -comp xz -no-progress -quiet"));
  ASSERT_TRUE(Sh(dir(), "tar -czf config.tgz -C root etc"));
  // bootloader | environment (0xff padded) | squashfs | 0xff padding | tar.gz | padding
  Bytes flash = Junk(0x10000, 7);
  std::string env = "bootcmd=bootm 0x9f020000\0bootargs=console=ttyS0\0";
  Append(flash, AsBytes(env));
  Pad(flash, 0x20000, 0xff);
  const size_t squashfs_at = flash.size();
  Append(flash, ReadAll(scratch_ / "rootfs.sqfs"));
  Pad(flash, 0x80000, 0xff);
  const size_t tgz_at = flash.size();
  Append(flash, ReadAll(scratch_ / "config.tgz"));
  Pad(flash, flash.size() + 0x1000, 0xff);

  Unpacked u = UnpackBytes(flash);
  std::string sq = fmt_prov("buf!squashfs@", squashfs_at);
  const auto* passwd = u.Find(sq + ":/etc/passwd");
  ASSERT_NE(passwd, nullptr) << u.NotesText();
  EXPECT_EQ(passwd->sha256, Sha("root:x:0:0:root:/root:/bin/sh\n"));
  const auto* config = u.Find(fmt_prov("buf!gzip@", tgz_at) + "!tar:/etc/init.d/rcS");
  ASSERT_NE(config, nullptr) << u.NotesText();
  // Exactly the two containers (and the tar inside the gzip): nothing carved from inside
  // the squashfs's compressed blocks, no false positive in the junk.
  ASSERT_EQ(u.filesystems.size(), 3u) << u.NotesText();
  EXPECT_EQ(u.filesystems[0].offset, squashfs_at);
  EXPECT_EQ(u.filesystems[1].offset, tgz_at);
}

TEST_F(EngineCarveTest, NoCarvingInsideAnUnpackedArchive) {
  // An uncompressed tar holding a squashfs: its magic lies inside the tar's bytes, so it is
  // found once, as the content of the file, not again by carving the tar.
  ASSERT_TRUE(Sh(dir(),
                 "mkdir -p t && mksquashfs root t/fs.sqfs -no-progress -quiet && "
                 "tar -cf outer.tar -C t ."));
  Unpacked u = UnpackPath(scratch_ / "outer.tar");
  EXPECT_NE(u.Find("outer.tar!tar@0x0:/fs.sqfs!squashfs:/etc/passwd"), nullptr) << u.NotesText();
  ASSERT_EQ(u.filesystems.size(), 2u);
  EXPECT_EQ(u.filesystems[1].provenance, "outer.tar!tar@0x0:/fs.sqfs!squashfs");
}

TEST_F(EngineCarveTest, FilesAreCarvedOnlyWhenAsked) {
  // A file with a gzip stream at offset 100: not a container at its offset 0.
  ASSERT_TRUE(Sh(dir(),
                 "mkdir -p t && head -c 100 /dev/zero > t/blob && "
                 "tar -cf - -C root etc | gzip >> t/blob && tar -cf outer.tar -C t ."));
  Unpacked plain = UnpackPath(scratch_ / "outer.tar");
  EXPECT_EQ(plain.filesystems.size(), 1u);
  Options carve;
  carve.carve_files = true;
  Unpacked carved = UnpackPath(scratch_ / "outer.tar", carve);
  EXPECT_NE(carved.Find("outer.tar!tar@0x0:/blob!gzip@0x64!tar:/etc/passwd"), nullptr)
      << carved.NotesText();
}

TEST_F(EngineCarveTest, NestedTarGzOfSquashfsOfCpioGz) {
  ASSERT_TRUE(Sh(dir(),
                 "mkdir -p inner/boot && (cd root && find . | cpio --quiet -o -H newc) | "
                 "gzip > inner/boot/initrd.gz && mksquashfs inner fs.sqfs -no-progress "
                 "-quiet && mkdir -p outer && mv fs.sqfs outer/ && tar -czf fw.tgz -C "
                 "outer ."));
  Unpacked u = UnpackPath(scratch_ / "fw.tgz");
  const auto* init =
      u.Find("fw.tgz!gzip@0x0!tar:/fs.sqfs!squashfs:/boot/initrd.gz!gzip!cpio:/etc/init.d/rcS");
  ASSERT_NE(init, nullptr) << u.NotesText();
  EXPECT_EQ(init->sha256, Sha("#!/bin/sh\nmount -a\n"));
  EXPECT_FALSE(u.summary.partial) << u.NotesText();
}

TEST_F(EngineCarveTest, TruncatedTarKeepsWhatCameBefore) {
  ASSERT_TRUE(Sh(dir(), "tar -cf r.tar -C root etc bin"));
  Bytes tar = ReadAll(scratch_ / "r.tar");
  tar.resize(tar.size() / 2);  // cuts inside /bin/busybox's data
  Unpacked u = UnpackBytes(tar);
  EXPECT_NE(u.Find("buf!tar@0x0:/etc/passwd"), nullptr) << u.NotesText();
  EXPECT_TRUE(u.summary.partial);
  EXPECT_TRUE(u.HasNote(Note::Kind::kCorrupt, "")) << u.NotesText();
}

TEST_F(EngineCarveTest, TruncatedSquashfsIsReportedWithItsClaim) {
  ASSERT_TRUE(Sh(dir(), "mksquashfs root r.sqfs -no-progress -quiet"));
  Bytes sq = ReadAll(scratch_ / "r.sqfs");
  sq.resize(sq.size() - 1000);
  Unpacked u = UnpackBytes(sq);
  EXPECT_TRUE(u.summary.partial);
  EXPECT_TRUE(u.HasNote(Note::Kind::kCorrupt, "truncated: the header claims")) << u.NotesText();
}

TEST_F(EngineCarveTest, CorruptGzipIsNotedAndTheRestStillUnpacked) {
  // Corruption past the first KiBs (which the probe trial-decodes): a real gzip header,
  // a stream that breaks in the middle.
  ASSERT_TRUE(Sh(dir(),
                 "head -c 65536 /dev/urandom > root/random && tar -czf a.tgz -C root . && "
                 "mksquashfs root b.sqfs -no-progress -quiet"));
  Bytes blob = ReadAll(scratch_ / "a.tgz");
  ASSERT_GT(blob.size(), 30000u);
  for (size_t i = 20000; i < 20100; ++i) blob[i] ^= 0x5a;
  Pad(blob, 0x10000, 0);
  const size_t sq_at = blob.size();
  Append(blob, ReadAll(scratch_ / "b.sqfs"));
  Unpacked u = UnpackBytes(blob);
  EXPECT_NE(u.Find(fmt_prov("buf!squashfs@", sq_at) + ":/bin/busybox"), nullptr) << u.NotesText();
  EXPECT_TRUE(u.summary.partial);
  bool gzip_noted = false;
  for (const Note& n : u.notes) {
    gzip_noted |= n.kind == Note::Kind::kCorrupt && n.where == "buf!gzip@0x0";
  }
  EXPECT_TRUE(gzip_noted) << u.NotesText();
}

TEST_F(EngineCarveTest, GzipWhoseDataIsBadFromTheFirstBlockIsNotedCorrupt) {
  // A valid member header, then deflate data whose first block type (11) is invalid: a
  // damaged gzip, not unknown bytes.
  Bytes blob = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 0x76};
  Append(blob, Junk(8192, 7));
  Unpacked u = UnpackBytes(blob);
  EXPECT_TRUE(u.summary.partial);
  EXPECT_TRUE(u.HasNote(Note::Kind::kCorrupt, "gzip stream: invalid block type at input offset 10"))
      << u.NotesText();
}

TEST_F(EngineCarveTest, ConcatenatedGzipMembersAreOneStream) {
  // A tar cut in two, each half its own member: gzip -d decodes both as one stream.
  ASSERT_TRUE(Sh(dir(),
                 "tar -cf r.tar -C root . && head -c 100000 r.tar | gzip -n > two.gz && "
                 "tail -c +100001 r.tar | gzip -n >> two.gz && gzip -dc two.gz | cmp - r.tar"));
  Unpacked u = UnpackPath(scratch_ / "two.gz");
  const auto* busybox = u.Find("two.gz!gzip@0x0!tar:/bin/busybox");
  ASSERT_NE(busybox, nullptr) << u.NotesText();
  EXPECT_EQ(busybox->sha256, Sha256Hex(ReadAll(scratch_ / "root/bin/busybox")));
  EXPECT_FALSE(u.summary.partial) << u.NotesText();
  EXPECT_TRUE(u.notes.empty()) << u.NotesText();
  ASSERT_EQ(u.filesystems.size(), 2u);  // the gzip and its tar: the second member is not carved
}

TEST_F(EngineCarveTest, TrailingDataAfterTheLastGzipMemberIsNoted) {
  ASSERT_TRUE(Sh(dir(), "tar -czf a.tgz -C root etc && tar -cf b.tar -C root bin"));
  const Bytes tgz = ReadAll(scratch_ / "a.tgz");
  {
    // Unknown bytes up to the end.
    Bytes blob = tgz;
    Append(blob, Junk(37, 5));
    Unpacked u = UnpackBytes(blob);
    EXPECT_NE(u.Find("buf!gzip@0x0!tar:/etc/passwd"), nullptr) << u.NotesText();
    EXPECT_TRUE(u.HasNote(Note::Kind::kInfo,
                          fmt::format("gzip: 37 bytes of trailing data after the last member at "
                                      "0x{:x}",
                                      tgz.size())))
        << u.NotesText();
  }
  {
    // Unknown bytes, then a container: noted up to it, and it is still carved.
    Bytes blob = tgz;
    Append(blob, Junk(100, 6));
    const size_t tar_at = blob.size();
    Append(blob, ReadAll(scratch_ / "b.tar"));
    Unpacked u = UnpackBytes(blob);
    EXPECT_NE(u.Find(fmt_prov("buf!tar@", tar_at) + ":/bin/busybox"), nullptr) << u.NotesText();
    EXPECT_TRUE(u.HasNote(Note::Kind::kInfo,
                          fmt::format("gzip: 100 bytes of trailing data after the last member at "
                                      "0x{:x}, before the tar at 0x{:x}",
                                      tgz.size(), tar_at)))
        << u.NotesText();
  }
  {
    // Padding (zeros, erased flash) and a container right after the member are not noted.
    Bytes blob = tgz;
    Pad(blob, blob.size() + 300, 0);
    Pad(blob, blob.size() + 300, 0xff);
    Append(blob, ReadAll(scratch_ / "b.tar"));
    Unpacked u = UnpackBytes(blob);
    EXPECT_FALSE(u.HasNote(Note::Kind::kInfo, "trailing data")) << u.NotesText();
    EXPECT_FALSE(u.summary.partial) << u.NotesText();
  }
}

TEST_F(EngineCarveTest, EmptyInputHasNoNodes) {
  Unpacked u = UnpackBytes({});
  EXPECT_TRUE(u.entries.empty());
  EXPECT_FALSE(u.summary.partial);
  EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, "empty input"));
}

TEST_F(EngineCarveTest, RandomInputYieldsNothingAndDoesNotFail) {
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    Bytes junk = Junk(1 << 20, seed);
    Unpacked u = UnpackBytes(junk);
    EXPECT_TRUE(u.entries.empty()) << seed;
    EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, "no known container format")) << u.NotesText();
  }
}

TEST_F(EngineCarveTest, MagicWithoutAValidHeaderIsNotAContainer) {
  // Every magic the engine knows, each followed by garbage: none validates.
  Bytes blob = Junk(4096, 3);
  for (std::string_view magic : {"hsqs", "\x1f\x8b\x08", "BZh9", "7z\xbc\xaf\x27\x1c", "PK\x03\x04",
                                 "070701", "\x28\xb5\x2f\xfd", "\x04\x22\x4d\x18"}) {
    Append(blob, AsBytes(magic));
    Append(blob, Junk(512, uint32_t(magic.size())));
  }
  Unpacked u = UnpackBytes(blob);
  EXPECT_TRUE(u.filesystems.empty()) << u.NotesText();
}

TEST_F(EngineCarveTest, OldSquashfsIsUnpackedAndItsBlocksAreNotCarved) {
  // A real big-endian squashfs 2.0 root filesystem (Broadcom ADSL router, vendor LZMA).
  const std::string name = "broadcom_adsl_rootfs_squashfs_v2_be.bin";
  Unpacked u = UnpackPath(std::string(CLEARBOX_SHARED_DIR) + "/corpus/real/" + name);
  const TreeCollector::Entry* busybox = u.Find(name + "!squashfs@0x0:/bin/busybox");
  ASSERT_NE(busybox, nullptr) << u.NotesText();
  EXPECT_EQ(busybox->node.size, 224756u);
  EXPECT_FALSE(u.summary.partial) << u.NotesText();
  // Nothing is carved out of the image's compressed blocks: every container found lies
  // inside the squashfs (files of it), none beside it.
  for (const FilesystemInfo& fs : u.filesystems) {
    EXPECT_TRUE(fs.provenance == name + "!squashfs@0x0" ||
                fs.provenance.starts_with(name + "!squashfs@0x0:"))
        << fs.provenance;
  }
}

}  // namespace
}  // namespace clearbox::unpack::enginetest
