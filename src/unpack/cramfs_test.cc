#include "cramfs.h"

#include <gtest/gtest.h>

#include "flash_test_util.h"
#include "internal/format.h"

namespace clearbox::unpack::internal {
extern const FormatHandler kCramfsFormat;
}

namespace clearbox::unpack {
namespace {

using internal::kCramfsFormat;
using testing::FakeWalker;
using testing::ReadBytes;
using testing::RunCommand;
using testing::Sha256Of;
using testing::TempDir;
using testing::Tree;
using testing::TreeEntry;
using testing::NotesOf;
using testing::TreeOf;

TEST(CramfsTest, RealLittleEndianSample) {
  Bytes image = ReadBytes(testing::kRealCorpus + "cramfs_le_test.img");
  std::optional<cramfs::Superblock> sb = cramfs::ReadSuperblock(image);
  ASSERT_TRUE(sb.has_value());
  EXPECT_FALSE(sb->big_endian);
  EXPECT_EQ(sb->stored_crc, 0xB7B2D091u);
  EXPECT_EQ(sb->files, 5u);
  Result<cramfs::Filesystem> fs = cramfs::Filesystem::Parse(image);
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(fs->notes().empty()) << NotesOf(*fs);  // the CRC verifies
  Tree tree = TreeOf(*fs);
  ASSERT_EQ(tree.size(), 5u);
  EXPECT_EQ(tree["/generic folder"].type, NodeType::kDirectory);
  EXPECT_EQ(tree["/generic folder/test file 3_.txt"].sha256,
            Sha256Of(AsBytes("The third test file!")));
  EXPECT_EQ(tree["/testfile2"].sha256, Sha256Of(AsBytes("This is the second test file")));
  EXPECT_EQ(tree["/testfile1"].mode, 0664u);
  EXPECT_EQ(tree["/testfile1"].uid, 1000u);
}

TEST(CramfsTest, HandlerReportsNodesWithContent) {
  Bytes image = ReadBytes(testing::kRealCorpus + "cramfs_le_test.img");
  std::optional<internal::Match> m = kCramfsFormat.probe(image);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->length, 4096u);
  FakeWalker w;
  ASSERT_TRUE(kCramfsFormat.open(image, *m, w).ok());
  const auto* n = w.FindNode("testfile2");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(AsChars(n->content), "This is the second test file");
}

struct MkfsCase {
  std::string name;
  std::string options;
};
class MkfsCramfsTest : public ::testing::TestWithParam<MkfsCase> {};

TEST_P(MkfsCramfsTest, EveryPathModeTargetAndContentMatches) {
  TempDir dir;
  testing::BuildSampleTree(dir.path() / "root");
  ASSERT_TRUE(RunCommand("mkfs.cramfs -E " + GetParam().options + " " + (dir / "root") + " " +
                         (dir / "image") + " > /dev/null"));
  Bytes image = ReadBytes(dir / "image");
  Result<cramfs::Filesystem> fs = cramfs::Filesystem::Parse(image);
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(fs->notes().empty()) << NotesOf(*fs);

  // cramfs keeps no times and no hard links (each name has its inode, sharing the data),
  // and only the low 8 bits of a group id.
  Tree expected = testing::ReadHostTree(dir.path() / "root");
  for (auto& [path, e] : expected) {
    if (e.type == NodeType::kHardLink) {
      e = expected[e.link_target];
    }
    e.mtime = 0;
    e.gid &= 0xff;
  }
  expected["/"] = TreeEntry{NodeType::kDirectory, 0, 0, 0, 0, "", "", 0, 0};
  Tree actual = TreeOf(*fs);
  actual["/"].mode = 0;  // the build directory's mode
  testing::ExpectSameTree(expected, actual);
}

INSTANTIATE_TEST_SUITE_P(Variants, MkfsCramfsTest,
                         ::testing::Values(MkfsCase{"little", "-N little"},
                                           MkfsCase{"big", "-N big"},
                                           MkfsCase{"padded_holes", "-N little -p -z"}),
                         [](const auto& info) { return info.param.name; });

// A minimal little-endian image: superblock, root, and `entries` after it.
Bytes BuildImage(const Bytes& entries, uint32_t root_size, uint32_t root_offset_words) {
  Bytes img(76 + entries.size(), 0);
  std::copy(entries.begin(), entries.end(), img.begin() + 76);
  for (int i = 0; i < 4; ++i) img[i] = static_cast<uint8_t>(cramfs::kMagic >> (8 * i));
  std::memcpy(img.data() + 16, "Compressed ROMFS", 16);
  // Root inode: mode 040755, size, namelen 0, offset.
  uint32_t w0 = 040755, w1 = root_size, w2 = root_offset_words << 6;
  for (int i = 0; i < 4; ++i) {
    img[64 + i] = static_cast<uint8_t>(w0 >> (8 * i));
    img[68 + i] = static_cast<uint8_t>(w1 >> (8 * i));
    img[72 + i] = static_cast<uint8_t>(w2 >> (8 * i));
  }
  uint32_t size = static_cast<uint32_t>(img.size());
  for (int i = 0; i < 4; ++i) img[4 + i] = static_cast<uint8_t>(size >> (8 * i));
  return img;
}

Bytes DirInode(const std::string& name, uint32_t size, uint32_t offset_words) {
  Bytes e(12, 0);
  uint32_t namelen = static_cast<uint32_t>((name.size() + 3) / 4);
  uint32_t w0 = 040755, w1 = size, w2 = namelen | (offset_words << 6);
  for (int i = 0; i < 4; ++i) {
    e[i] = static_cast<uint8_t>(w0 >> (8 * i));
    e[4 + i] = static_cast<uint8_t>(w1 >> (8 * i));
    e[8 + i] = static_cast<uint8_t>(w2 >> (8 * i));
  }
  e.insert(e.end(), name.begin(), name.end());
  e.resize(12 + namelen * 4, 0);
  return e;
}

TEST(CramfsTest, DirectoryPointingAtItsParentIsALoopNote) {
  // Root entries at 76: "loop", a directory whose entries are the root's entries again.
  Bytes loop = DirInode("loop", 16, 76 / 4);
  Bytes img = BuildImage(loop, static_cast<uint32_t>(loop.size()), 76 / 4);
  Result<cramfs::Filesystem> fs = cramfs::Filesystem::Parse(img);
  ASSERT_TRUE(fs.ok());
  EXPECT_EQ(fs->entries().size(), 2u);  // "/" and "/loop"
  EXPECT_NE(NotesOf(*fs).find("/loop: its entries at 0x4c were already listed (a loop)"),
            std::string::npos)
      << NotesOf(*fs);
}

TEST(CramfsTest, EntriesPastTheImageAreANote) {
  Bytes img = BuildImage(DirInode("far", 100, 1 << 20), 16, 76 / 4);
  Result<cramfs::Filesystem> fs = cramfs::Filesystem::Parse(img);
  ASSERT_TRUE(fs.ok());
  EXPECT_NE(NotesOf(*fs).find("/far: entries [0x400000, +100) run past the image"),
            std::string::npos)
      << NotesOf(*fs);
}

TEST(CramfsTest, NameRunningPastTheDirectoryIsANote) {
  Bytes img = BuildImage(DirInode("name", 0, 0), 14, 76 / 4);  // the root lists 14 bytes
  Result<cramfs::Filesystem> fs = cramfs::Filesystem::Parse(img);
  ASSERT_TRUE(fs.ok());
  EXPECT_NE(NotesOf(*fs).find("runs past the directory"), std::string::npos) << NotesOf(*fs);
}

TEST(CramfsTest, CrcMismatchIsANote) {
  Bytes image = ReadBytes(testing::kRealCorpus + "cramfs_le_test.img");
  image[200] ^= 1;
  Result<cramfs::Filesystem> fs = cramfs::Filesystem::Parse(image);
  ASSERT_TRUE(fs.ok());
  EXPECT_NE(NotesOf(*fs).find("CRC mismatch: stored 0xb7b2d091"), std::string::npos)
      << NotesOf(*fs);
}

TEST(CramfsTest, TruncatedImageIsANoteAndBadBlocksFailTheRead) {
  Bytes image = ReadBytes(testing::kRealCorpus + "cramfs_le_test.img");
  image.resize(0xe0);  // the directory entries survive, the file data does not
  Result<cramfs::Filesystem> fs = cramfs::Filesystem::Parse(image);
  ASSERT_TRUE(fs.ok());
  EXPECT_NE(NotesOf(*fs).find("truncated: the superblock says 4096 bytes, 224 are present"),
            std::string::npos)
      << NotesOf(*fs);
  for (const cramfs::Entry& e : fs->entries()) {
    if (e.path != "/testfile2") continue;
    Result<Bytes> content = fs->ReadFile(e, 1 << 20);
    ASSERT_FALSE(content.ok());
    EXPECT_EQ(content.error().code(), ErrorCode::kInvalidInput);
    EXPECT_NE(content.error().message().find("cramfs: /testfile2 block 0"), std::string::npos);
  }
}

TEST(CramfsTest, PaddedImageIsFoundFromTheBootBlock) {
  TempDir dir;
  testing::WriteBytes(dir / "root/a", AsBytes("a\n"));
  ASSERT_TRUE(
      RunCommand("mkfs.cramfs -p " + (dir / "root") + " " + (dir / "image") + " > /dev/null"));
  Bytes image = ReadBytes(dir / "image");
  std::optional<internal::Match> m = kCramfsFormat.probe(image);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->length, image.size());
  // Seen from its own superblock (what carving at the magic tries), it is no image: the
  // offsets would point 512 bytes too far.
  std::optional<cramfs::Superblock> inner = cramfs::ReadSuperblock(ByteView(image).subspan(512));
  ASSERT_TRUE(inner.has_value());  // the superblock alone looks fine ...
  // ... and an unpadded image is not mistaken for a padded one 512 bytes earlier.
  Bytes plain = ReadBytes(testing::kRealCorpus + "cramfs_le_test.img");
  Bytes shifted(512, 0);
  shifted.insert(shifted.end(), plain.begin(), plain.end());
  EXPECT_FALSE(kCramfsFormat.probe(shifted).has_value());
}

TEST(CramfsTest, SizeSmallerThanTheSuperblockIsANote) {
  Bytes image = ReadBytes(testing::kRealCorpus + "cramfs_le_test.img");
  image[4] = 10;  // size 10 (LE), CRC flag still set
  image[5] = 0;
  EXPECT_FALSE(kCramfsFormat.probe(image).has_value());
  Result<cramfs::Filesystem> fs = cramfs::Filesystem::Parse(image);
  ASSERT_TRUE(fs.ok());
  EXPECT_NE(NotesOf(*fs).find("the superblock says 10 bytes, less than itself"), std::string::npos)
      << NotesOf(*fs);
}

TEST(CramfsTest, ProbeRejectsBadMagicAndSignature) {
  Bytes image = ReadBytes(testing::kRealCorpus + "cramfs_le_test.img");
  Bytes bad = image;
  bad[0] ^= 1;
  EXPECT_FALSE(kCramfsFormat.probe(bad).has_value());
  EXPECT_FALSE(cramfs::Filesystem::Parse(bad).ok());
  bad = image;
  bad[20] = 'X';  // "Compressed ROMFS"
  EXPECT_FALSE(kCramfsFormat.probe(bad).has_value());
}

}  // namespace
}  // namespace clearbox::unpack
