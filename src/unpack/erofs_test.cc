// The EROFS reader over images mkfs.erofs (erofs-utils) builds, every data layout it writes,
// and over damaged ones.
#include "erofs.h"

#include <gtest/gtest.h>

#include <cstring>

#include "flash_test_util.h"
#include "internal/format.h"

namespace clearbox::unpack::internal {
extern const FormatHandler kErofsFormat;
}

namespace clearbox::unpack {
namespace {

using testing::ReadBytes;
using testing::RunCommand;
using testing::Sha256Of;
using testing::TempDir;
using testing::Tree;
using testing::TreeEntry;
using testing::NotesOf;
using testing::TreeOf;

bool HaveMkfsErofs() { return RunCommand("command -v mkfs.erofs > /dev/null"); }

// Packs `root` with mkfs.erofs OPTIONS into DIR/image and returns its bytes.
Bytes MkfsErofs(const TempDir& dir, const std::string& options) {
  EXPECT_TRUE(RunCommand("mkfs.erofs --quiet -T1600000000 " + options + " " + (dir / "image") +
                         " " + (dir / "root") + " > /dev/null"));
  return ReadBytes(dir / "image");
}

class MkfsErofsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(MkfsErofsTest, EveryPathModeOwnerTimeTargetAndContentMatches) {
  if (!HaveMkfsErofs()) GTEST_SKIP() << "mkfs.erofs missing (Debian package erofs-utils)";
  TempDir dir;
  testing::BuildSampleTree(dir.path() / "root");
  Bytes image = MkfsErofs(dir, GetParam());
  Result<erofs::Filesystem> fs = erofs::Filesystem::Parse(image);
  ASSERT_TRUE(fs.ok()) << fs.error().ToString();
  EXPECT_TRUE(fs->notes().empty()) << NotesOf(*fs);
  EXPECT_EQ(fs->extent(), image.size());

  Tree expected = testing::ReadHostTree(dir.path() / "root");
  expected["/"] = TreeEntry{NodeType::kDirectory, 0, 0, 0, 0, "", "", 0, 0};
  Tree actual = TreeOf(*fs);
  actual["/"].mode = 0;  // the build directory's mode
  actual["/"].mtime = 0;
  testing::ExpectSameTree(expected, actual);
}

INSTANTIATE_TEST_SUITE_P(Layouts, MkfsErofsTest,
                         ::testing::Values("", "-Enoinline_data", "-Eforce-inode-extended",
                                           "--chunksize=4096", "--chunksize=65536"),
                         [](const auto& info) {
                           std::string name = info.param.empty() ? "inline" : info.param;
                           std::erase_if(name, [](char c) { return !std::isalnum(c); });
                           return name;
                         });

TEST(ErofsTest, CompressedFilesAreListedWithANoteAndStoredOnesStillRead) {
  if (!HaveMkfsErofs()) GTEST_SKIP() << "mkfs.erofs missing (Debian package erofs-utils)";
  TempDir dir;
  testing::BuildSampleTree(dir.path() / "root");
  Bytes image = MkfsErofs(dir, "-zlz4hc");
  Result<erofs::Filesystem> fs = erofs::Filesystem::Parse(image);
  ASSERT_TRUE(fs.ok());
  size_t compressed = 0;
  for (const erofs::Entry& e : fs->entries()) {
    if (!e.compressed) continue;
    ++compressed;
    EXPECT_EQ(fs->OpenFile(e), nullptr);
    EXPECT_EQ(fs->ReadFile(e, 1 << 20).error().code(), ErrorCode::kUnsupported);
  }
  EXPECT_GT(compressed, 0u);
  EXPECT_NE(NotesOf(*fs).find("compressed file"), std::string::npos) << NotesOf(*fs);
  // Every path is still there, with its metadata.
  Tree expected = testing::ReadHostTree(dir.path() / "root");
  Tree actual;
  for (const erofs::Entry& e : fs->entries()) {
    actual[e.path].type = e.type;
    actual[e.path].mode = e.mode;
  }
  for (const auto& [path, want] : expected) {
    ASSERT_TRUE(actual.contains(path)) << path;
    EXPECT_EQ(testing::TypeName(actual[path].type), testing::TypeName(want.type)) << path;
  }
}

TEST(ErofsTest, HandlerReportsNodesWithContent) {
  if (!HaveMkfsErofs()) GTEST_SKIP() << "mkfs.erofs missing (Debian package erofs-utils)";
  TempDir dir;
  testing::BuildSampleTree(dir.path() / "root");
  Bytes image = MkfsErofs(dir, "");
  std::optional<internal::Match> m = internal::kErofsFormat.probe(image);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->length, image.size());
  testing::FakeWalker w;
  ASSERT_TRUE(internal::kErofsFormat.open(image, *m, w).ok());
  const auto* n = w.FindNode("etc/passwd");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(AsChars(n->content).substr(0, 5), "root:");
}

// A small tree whose names are easy to find in the image: the directory "loopdir" holds
// "inner", and the root holds "file.txt".
struct SmallImage {
  TempDir dir;
  Bytes image;
  SmallImage() {
    namespace fs = std::filesystem;
    fs::create_directories(dir.path() / "root/loopdir/inner");
    testing::WriteBytes((dir.path() / "root/file.txt").string(), AsBytes("content\n"));
    image = MkfsErofs(dir, "");
  }
  // The offset of the directory entry whose name is `name` (the entry, not the name). Small
  // directories are stored inline after their inode, so the block's start is found as the
  // place whose first entry names "." and one of whose entries points at `name`.
  size_t DirentOf(std::string_view name) const {
    auto found = std::search(image.begin(), image.end(), name.begin(), name.end());
    EXPECT_NE(found, image.end()) << name;
    const size_t name_at = static_cast<size_t>(found - image.begin());
    for (size_t start = name_at - 1; start + 4096 > name_at && start > 0; --start) {
      const size_t first = LoadLE16(image.data() + start + 8);
      if (first < 12 || first % 12 != 0 || start + first >= name_at || image[start + first] != '.') {
        continue;
      }
      for (size_t i = 0; i < first / 12; ++i) {
        if (LoadLE16(image.data() + start + i * 12 + 8) == name_at - start) return start + i * 12;
      }
    }
    ADD_FAILURE() << "no entry names " << name;
    return 0;
  }
};

TEST(ErofsTest, DirectoryPointingAtTheRootIsALoopNote) {
  if (!HaveMkfsErofs()) GTEST_SKIP() << "mkfs.erofs missing (Debian package erofs-utils)";
  SmallImage s;
  const uint64_t root_nid = erofs::ReadSuperblock(s.image)->root_nid;
  const size_t inner = s.DirentOf("inner");
  for (int i = 0; i < 8; ++i) s.image[inner + i] = static_cast<uint8_t>(root_nid >> (8 * i));
  Result<erofs::Filesystem> fs = erofs::Filesystem::Parse(s.image);
  ASSERT_TRUE(fs.ok());
  EXPECT_NE(NotesOf(*fs).find("loop"), std::string::npos) << NotesOf(*fs);
  Tree tree = TreeOf(*fs);
  EXPECT_TRUE(tree.contains("/file.txt"));
}

TEST(ErofsTest, InodeOutsideTheImageAndBadNameOffsetsAreNotes) {
  if (!HaveMkfsErofs()) GTEST_SKIP() << "mkfs.erofs missing (Debian package erofs-utils)";
  SmallImage s;
  const size_t file = s.DirentOf("file.txt");
  Bytes far = s.image;
  for (int i = 0; i < 8; ++i) far[file + i] = 0xff;  // nid 2^64 - 1
  Result<erofs::Filesystem> fs = erofs::Filesystem::Parse(far);
  ASSERT_TRUE(fs.ok());
  EXPECT_NE(NotesOf(*fs).find("outside the image"), std::string::npos) << NotesOf(*fs);
  EXPECT_TRUE(TreeOf(*fs).contains("/loopdir/inner"));

  Bytes names = s.image;
  names[file + 8] = 0xff;  // the name offset past the block
  names[file + 9] = 0xff;
  fs = erofs::Filesystem::Parse(names);
  ASSERT_TRUE(fs.ok());
  EXPECT_NE(NotesOf(*fs).find("lies outside it"), std::string::npos) << NotesOf(*fs);
}

TEST(ErofsTest, TruncatedImageIsANoteAndTheRestIsListed) {
  if (!HaveMkfsErofs()) GTEST_SKIP() << "mkfs.erofs missing (Debian package erofs-utils)";
  TempDir dir;
  testing::BuildSampleTree(dir.path() / "root");
  Bytes image = MkfsErofs(dir, "-Enoinline_data");
  image.resize(image.size() / 2);
  Result<erofs::Filesystem> fs = erofs::Filesystem::Parse(image);
  ASSERT_TRUE(fs.ok());
  EXPECT_NE(NotesOf(*fs).find("the rest is missing"), std::string::npos) << NotesOf(*fs);
  EXPECT_FALSE(fs->entries().empty());
  for (const erofs::Entry& e : fs->entries()) {
    if (e.type == NodeType::kFile && !e.unreadable) {
      EXPECT_TRUE(fs->ReadFile(e, 1 << 30).ok());
    }
  }
}

TEST(ErofsTest, ProbeRejectsBadMagicBlockSizeAndRoot) {
  Bytes image(4096, 0);
  EXPECT_FALSE(erofs::ReadSuperblock(image).has_value());
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) image[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  put32(1024, 0xE0F5E1E2);
  image[1024 + 12] = 12;     // 4 KiB blocks
  put32(1024 + 36, 1);       // one block
  put32(1024 + 40, 0);       // inodes from block 0
  EXPECT_TRUE(erofs::ReadSuperblock(image).has_value());
  image[1024 + 12] = 30;  // 1 GiB blocks
  EXPECT_FALSE(erofs::ReadSuperblock(image).has_value());
  image[1024 + 12] = 12;
  image[1024 + 14] = 200;  // root nid 200: 6400 bytes in, past the one block
  EXPECT_FALSE(erofs::ReadSuperblock(image).has_value());
}

}  // namespace
}  // namespace clearbox::unpack
