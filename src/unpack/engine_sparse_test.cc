// Android sparse images made by AOSP's img2simg (android-sdk-libsparse-utils) from an ext4
// that mke2fs filled with the test rootfs: expanded byte for byte, the ext4 inside opened,
// and damaged or outsized images reported.
#include <gtest/gtest.h>

#include <string>

#include "android_sparse.h"
#include "engine_test_util.h"

namespace clearbox::unpack::enginetest {
namespace {

class EngineSparseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeRootfs(scratch_ / "root");
    // Room to spare, so the image has zero runs; 0x5a filler, so it has a fill run.
    ASSERT_TRUE(Sh(dir(),
                   "truncate -s 8M rootfs.ext4 && mke2fs -q -F -t ext4 -b 4096 -d root"
                   " rootfs.ext4 && head -c 1048576 /dev/zero | tr '\\0' 'Z' > fill.bin"
                   " && dd if=fill.bin of=rootfs.ext4 bs=1M seek=7 conv=notrunc"
                   " && img2simg rootfs.ext4 rootfs.simg"));
  }
  std::string dir() const { return scratch_.path().string(); }

  // The raw image sparse::Expand rebuilds from `sparse`.
  static Bytes Expanded(const sparse::Image& image) {
    Bytes out;
    Status s = sparse::Expand(image, [&](uint64_t offset, ByteView bytes) {
      if (out.size() < offset + bytes.size()) out.resize(offset + bytes.size());
      std::copy(bytes.begin(), bytes.end(), out.begin() + static_cast<long>(offset));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok());
    return out;
  }

  Scratch scratch_;
};

TEST_F(EngineSparseTest, ExpandsByteForByteAndOpensTheExt4Inside) {
  Bytes simg = ReadAll(scratch_ / "rootfs.simg");
  Result<sparse::Image> image = sparse::Parse(simg);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_TRUE(image->notes.empty());
  EXPECT_EQ(image->header.block_size, 4096u);
  EXPECT_EQ(image->header.output_size(), 8u << 20);
  EXPECT_EQ(image->input_size, simg.size());
  bool raw = false, fill = false;
  for (const sparse::Chunk& c : image->chunks) {
    raw |= c.type == sparse::kRaw;
    fill |= c.type == sparse::kFill && c.fill == 0x5a5a5a5a;
  }
  EXPECT_TRUE(raw && fill) << "img2simg wrote other chunk types than expected";
  const std::string ext4_sha = Sha256Hex(ReadAll(scratch_ / "rootfs.ext4"));
  EXPECT_EQ(Sha256Hex(Expanded(*image)), ext4_sha);

  // img2simg writes zero runs as zero fills; other tools write them as don't-care chunks.
  // The same image with every zero fill turned into one must expand alike.
  Bytes with_holes(simg.begin(), simg.begin() + sparse::kFileHeaderSize);
  for (const sparse::Chunk& c : image->chunks) {
    const uint8_t* header = simg.data() + c.input_offset;
    if (c.type == sparse::kFill && c.fill == 0) {
      Bytes dont_care(header, header + sparse::kChunkHeaderSize);
      StoreLE32(dont_care.data(), sparse::kDontCare);  // type, and the reserved field 0
      StoreLE32(dont_care.data() + 8, sparse::kChunkHeaderSize);
      with_holes.insert(with_holes.end(), dont_care.begin(), dont_care.end());
    } else {
      const size_t size = LoadLE32(header + 8);
      with_holes.insert(with_holes.end(), header, header + size);
    }
  }
  Result<sparse::Image> holes = sparse::Parse(with_holes);
  ASSERT_TRUE(holes.ok());
  EXPECT_TRUE(holes->notes.empty()) << holes->notes[0].message;
  EXPECT_EQ(Sha256Hex(Expanded(*holes)), ext4_sha);

  Unpacked u = UnpackPath(scratch_ / "rootfs.simg");
  const std::string fs = "rootfs.simg!android-sparse@0x0!ext";
  const auto* rcs = u.Find(fs + ":/etc/init.d/rcS");
  ASSERT_NE(rcs, nullptr) << u.NotesText();
  EXPECT_EQ(rcs->sha256, Sha("#!/bin/sh\nmount -a\n"));
  const auto* sh = u.Find(fs + ":/bin/sh");
  ASSERT_NE(sh, nullptr);
  EXPECT_EQ(sh->node.link_target, "busybox");
  EXPECT_FALSE(u.summary.partial) << u.NotesText();
}

TEST_F(EngineSparseTest, DamagedAndOutsizedImagesAreReported) {
  Bytes simg = ReadAll(scratch_ / "rootfs.simg");
  Result<sparse::Image> image = sparse::Parse(simg);
  ASSERT_TRUE(image.ok());
  ASSERT_GE(image->chunks.size(), 3u);

  // Cut inside the second chunk: the first is kept, the cut named.
  const sparse::Chunk& second = image->chunks[1];
  Bytes cut(simg.begin(), simg.begin() + static_cast<long>(second.input_offset + 13));
  Result<sparse::Image> truncated = sparse::Parse(cut);
  ASSERT_TRUE(truncated.ok());
  EXPECT_EQ(truncated->chunks.size(), 1u);
  ASSERT_FALSE(truncated->notes.empty());
  EXPECT_NE(truncated->notes[0].message.find("chunk 2 of"), std::string::npos)
      << truncated->notes[0].message;
  Unpacked t = UnpackBytes(cut);
  EXPECT_TRUE(t.summary.partial);
  EXPECT_TRUE(t.HasNote(Note::Kind::kCorrupt, "chunk 2 of")) << t.NotesText();

  // A header declaring 2^32-1 blocks (16 TiB): refused before anything is expanded.
  Bytes huge = simg;
  StoreLE32(huge.data() + 16, 0xffffffffu);
  Unpacked h = UnpackBytes(huge);
  EXPECT_TRUE(h.HasNote(Note::Kind::kLimit, "over the per-file limit")) << h.NotesText();

  // An unknown chunk type stops the table there.
  Bytes unknown = simg;
  StoreLE32(unknown.data() + second.input_offset, 0xbeef);
  Result<sparse::Image> u = sparse::Parse(unknown);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->chunks.size(), 1u);
  EXPECT_NE(u->notes[0].message.find("unknown type 0xbeef"), std::string::npos);

  // Chunks covering more blocks than the header declares.
  Bytes over = simg;
  StoreLE32(over.data() + 16, image->chunks[0].blocks);  // total_blocks: the first chunk only
  Result<sparse::Image> o = sparse::Parse(over);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->chunks.size(), 1u);
  EXPECT_NE(o->notes[0].message.find("past the"), std::string::npos) << o->notes[0].message;

  EXPECT_FALSE(sparse::Parse(AsBytes("not a sparse image, just text")).ok());
}

}  // namespace
}  // namespace clearbox::unpack::enginetest
