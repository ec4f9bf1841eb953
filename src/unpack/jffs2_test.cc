#include "jffs2.h"

#include <gtest/gtest.h>

#include <set>

#include "flash_test_util.h"
#include "internal/format.h"

namespace clearbox::unpack::internal {
extern const FormatHandler kJffs2Format;
}

namespace clearbox::unpack {
namespace {

using internal::kJffs2Format;
using jffs2::Endian;
using testing::FakeWalker;
using testing::ReadBytes;
using testing::RunCommand;
using testing::Sha256Of;
using testing::TempDir;
using testing::TestData;
using testing::Tree;
using testing::TreeEntry;
using testing::NotesOf;
using testing::TreeOf;

TEST(Jffs2Test, RealBigEndianSample) {
  Bytes image = ReadBytes(testing::kRealCorpus + "jffs2_be_test.img");
  ASSERT_EQ(image.size(), 131072u);
  ASSERT_EQ(jffs2::DetectEndian(image), Endian::kBig);
  Result<jffs2::Filesystem> fs = jffs2::Filesystem::Parse(image, Endian::kBig);
  ASSERT_TRUE(fs.ok()) << fs.error().ToString();
  EXPECT_TRUE(fs->notes().empty());
  Tree tree = TreeOf(*fs);
  ASSERT_EQ(tree.size(), 4u);
  EXPECT_EQ(tree["/generic folder"].type, NodeType::kDirectory);
  EXPECT_EQ(tree["/generic folder"].mode, 0775u);
  EXPECT_EQ(tree["/generic folder"].uid, 1000u);
  const jffs2::Entry* third = nullptr;
  for (const auto& e : fs->entries()) {
    if (e.path == "/generic folder/test file 3_.txt") third = &e;
  }
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(third->mode, 0664u);
  Result<Bytes> content = fs->ReadFile(*third, 1 << 20);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(AsChars(*content), "The third test file!");
  EXPECT_EQ(tree["/testfile2"].sha256, Sha256Of(AsBytes("This is the second test file")));
  EXPECT_EQ(tree["/testfile1"].type, NodeType::kFile);
  EXPECT_EQ(fs->extent(), 612u);  // the nodes end there; the rest is erased flash
}

TEST(Jffs2Test, HandlerReportsNodesWithContent) {
  Bytes image = ReadBytes(testing::kRealCorpus + "jffs2_be_test.img");
  std::optional<internal::Match> m = kJffs2Format.probe(image);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->detail, "big-endian");
  FakeWalker w;
  Result<uint64_t> spanned = kJffs2Format.open(image, *m, w);
  ASSERT_TRUE(spanned.ok()) << spanned.error().ToString();
  EXPECT_EQ(*spanned, 612u);
  ASSERT_EQ(w.nodes.size(), 4u);
  const auto* n = w.FindNode("testfile2");  // relative to the root, as stored
  ASSERT_NE(n, nullptr);
  ASSERT_TRUE(n->has_content);
  EXPECT_EQ(AsChars(n->content), "This is the second test file");
}

// mkfs.jffs2 images of the sample tree, one per endianness and compressor setting.
struct MkfsCase {
  std::string name;
  std::string options;
  Endian endian;
  std::vector<uint8_t> compressors;  // data node compressions that must appear
};

class MkfsJffs2Test : public ::testing::TestWithParam<MkfsCase> {};

TEST_P(MkfsJffs2Test, EveryPathModeTargetAndContentMatches) {
  const MkfsCase& c = GetParam();
  TempDir dir;
  testing::BuildSampleTree(dir.path() / "root");
  testing::WriteBytes(dir / "devtable", AsBytes(testing::DeviceTable()));
  ASSERT_TRUE(RunCommand("mkfs.jffs2 " + c.options + " -d " + (dir / "root") + " -D " +
                         (dir / "devtable") + " -o " + (dir / "image")));
  Bytes image = ReadBytes(dir / "image");
  ASSERT_EQ(jffs2::DetectEndian(image), c.endian);

  Result<jffs2::Filesystem> fs = jffs2::Filesystem::Parse(image, c.endian);
  ASSERT_TRUE(fs.ok()) << fs.error().ToString();
  for (const Note& n : fs->notes()) ADD_FAILURE() << "note: " << n.message;

  Tree expected = testing::ReadHostTree(dir.path() / "root");
  expected["/dev"] = TreeEntry{NodeType::kDirectory, 0755, 0, 0, 0, "", "", 0, 0};
  testing::AddDeviceEntries(expected);
  Tree actual = TreeOf(*fs);
  // The device table's entries carry the build time; the rest have the fixed test times.
  for (const char* p : {"/dev", "/dev/console", "/dev/mtdblock0"}) actual[p].mtime = 0;
  testing::ExpectSameTree(expected, actual);

  std::set<uint8_t> used;
  for (const jffs2::DataNode& n : fs->data_nodes()) used.insert(n.compr);
  for (uint8_t compr : c.compressors) EXPECT_TRUE(used.contains(compr)) << int(compr);
}

INSTANTIATE_TEST_SUITE_P(
    EndiansAndCompressors, MkfsJffs2Test,
    ::testing::Values(
        MkfsCase{"big_zlib_rtime", "-b", Endian::kBig, {jffs2::kComprZlib}},
        MkfsCase{"little_zlib", "-l -x rtime", Endian::kLittle, {jffs2::kComprZlib}},
        MkfsCase{"little_rtime", "-l -x zlib -X rtime", Endian::kLittle, {jffs2::kComprRtime}},
        MkfsCase{"big_lzo", "-b -X lzo -x zlib -x rtime", Endian::kBig, {jffs2::kComprLzo}},
        MkfsCase{"little_none", "-l -m none", Endian::kLittle, {jffs2::kComprNone}},
        // Larger pages, 128 KiB erase blocks padded with 0xFF, no cleanmarkers.
        MkfsCase{"big_8k_pages_padded",
                 "-b -s 8192 -e 131072 -p -n",
                 Endian::kBig,
                 {jffs2::kComprZlib}}),
    [](const auto& info) { return info.param.name; });

// Writes JFFS2 nodes by hand, for the cases mkfs.jffs2 never produces.
class NodeWriter {
 public:
  explicit NodeWriter(Endian e) : e_(e) {}

  void Dirent(uint32_t pino, uint32_t version, uint32_t ino, uint8_t type, std::string_view name) {
    Bytes n(40);
    Header(n, 0xe001, 40 + name.size());
    Put32(n, 12, pino);
    Put32(n, 16, version);
    Put32(n, 20, ino);
    n[28] = static_cast<uint8_t>(name.size());
    n[29] = type;
    Put32(n, 32, jffs2::Jffs2Crc(ByteView(n).first(32)));
    Put32(n, 36, jffs2::Jffs2Crc(AsBytes(name)));
    n.insert(n.end(), name.begin(), name.end());
    Append(n);
  }

  void Inode(uint32_t ino, uint32_t version, uint32_t mode, uint32_t isize, uint32_t offset,
             ByteView data, uint8_t compr = jffs2::kComprNone, uint32_t dsize = UINT32_MAX) {
    Bytes n(68);
    Header(n, 0xe002, 68 + data.size());
    Put32(n, 12, ino);
    Put32(n, 16, version);
    Put32(n, 20, mode);
    Put32(n, 28, isize);
    Put32(n, 36, 1234);  // mtime
    Put32(n, 44, offset);
    Put32(n, 48, static_cast<uint32_t>(data.size()));
    Put32(n, 52, dsize == UINT32_MAX ? static_cast<uint32_t>(data.size()) : dsize);
    n[56] = compr;
    Put32(n, 60, jffs2::Jffs2Crc(data));
    Put32(n, 64, jffs2::Jffs2Crc(ByteView(n).first(60)));
    n.insert(n.end(), data.begin(), data.end());
    Append(n);
  }

  Bytes& image() { return image_; }
  size_t last_node() const { return last_; }

 private:
  void Header(Bytes& n, uint16_t type, size_t totlen) {
    Put16(n, 0, 0x1985);
    Put16(n, 2, type);
    Put32(n, 4, static_cast<uint32_t>(totlen));
    Put32(n, 8, jffs2::Jffs2Crc(ByteView(n).first(8)));
  }
  void Append(const Bytes& n) {
    last_ = image_.size();
    image_.insert(image_.end(), n.begin(), n.end());
    while (image_.size() % 4) image_.push_back(0xff);
  }
  void Put16(Bytes& b, size_t at, uint16_t v) {
    if (e_ == Endian::kBig) {
      StoreBE16(b.data() + at, v);
    } else {
      b[at] = static_cast<uint8_t>(v);
      b[at + 1] = static_cast<uint8_t>(v >> 8);
    }
  }
  void Put32(Bytes& b, size_t at, uint32_t v) {
    if (e_ == Endian::kBig) {
      StoreBE32(b.data() + at, v);
    } else {
      for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
    }
  }

  Endian e_;
  Bytes image_;
  size_t last_ = 0;
};

constexpr uint32_t kDir = 0040755, kFile = 0100644;
constexpr uint8_t kDtDir = 4, kDtReg = 8;

Result<jffs2::Filesystem> ParseLe(const Bytes& image) {
  return jffs2::Filesystem::Parse(image, Endian::kLittle);
}

bool HasNote(const jffs2::Filesystem& fs, Note::Kind kind, std::string_view text) {
  for (const Note& n : fs.notes()) {
    if (n.kind == kind && n.message.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string AllNotes(const jffs2::Filesystem& fs) {
  std::string s;
  for (const Note& n : fs.notes()) s += n.message + "\n";
  return s;
}

TEST(Jffs2Test, LatestDirentVersionWinsAndDeletionRemoves) {
  NodeWriter w(Endian::kLittle);
  w.Inode(2, 1, kFile, 3, 0, AsBytes("old"));
  w.Inode(3, 1, kFile, 3, 0, AsBytes("new"));
  w.Dirent(1, 1, 2, kDtReg, "name");
  w.Dirent(1, 5, 3, kDtReg, "name");  // renamed over: inode 3 wins
  w.Dirent(1, 2, 2, kDtReg, "gone");
  w.Dirent(1, 3, 0, kDtReg, "gone");  // unlinked
  w.Dirent(1, 7, 0, kDtReg, "back");  // deleted first in the log ...
  w.Dirent(1, 9, 2, kDtReg, "back");  // ... then created again with a higher version
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  Tree tree = TreeOf(*fs);
  ASSERT_EQ(tree.size(), 2u) << AllNotes(*fs);
  EXPECT_EQ(tree["/name"].sha256, Sha256Of(AsBytes("new")));
  EXPECT_EQ(tree["/back"].sha256, Sha256Of(AsBytes("old")));
}

TEST(Jffs2Test, DataNodesLayerByVersionAndTheLatestSizeCuts) {
  NodeWriter w(Endian::kLittle);
  w.Dirent(1, 1, 2, kDtReg, "f");
  w.Inode(2, 3, kFile, 10, 2, AsBytes("XY"));          // newer: overwrites bytes 2..3
  w.Inode(2, 1, kFile, 10, 0, AsBytes("0123456789"));  // older, later in the log
  w.Inode(2, 4, 0100600, 8, 0, ByteView());            // truncate to 8, chmod 600
  w.Inode(2, 2, kFile, 12, 6, AsBytes("abcdef"));      // version 2: under version 4's cut
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  ASSERT_EQ(fs->entries().size(), 1u);
  const jffs2::Entry& f = fs->entries()[0];
  EXPECT_EQ(f.mode, 0600u);
  EXPECT_EQ(f.size, 8u);
  Result<Bytes> content = fs->ReadFile(f, 100);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(AsChars(*content), "01XY45ab");
}

TEST(Jffs2Test, HolesReadAsZeros) {
  NodeWriter w(Endian::kBig);
  w.Dirent(1, 1, 2, kDtReg, "sparse");
  w.Inode(2, 1, kFile, 10000, 5000, AsBytes("data"));
  Result<jffs2::Filesystem> fs = jffs2::Filesystem::Parse(w.image(), Endian::kBig);
  ASSERT_TRUE(fs.ok());
  Result<Bytes> content = fs->ReadFile(fs->entries()[0], 1 << 20);
  ASSERT_TRUE(content.ok());
  Bytes want(10000, 0);
  std::memcpy(want.data() + 5000, "data", 4);
  EXPECT_EQ(*content, want);
}

TEST(Jffs2Test, DirectoryLoopIsANoteAndNotFollowed) {
  NodeWriter w(Endian::kLittle);
  w.Inode(2, 1, kDir, 0, 0, ByteView());
  w.Inode(3, 1, kDir, 0, 0, ByteView());
  w.Dirent(1, 1, 2, kDtDir, "a");
  w.Dirent(2, 1, 3, kDtDir, "b");
  w.Dirent(3, 1, 2, kDtDir, "up");    // /a/b/up -> /a: a loop
  w.Dirent(3, 1, 1, kDtDir, "root");  // /a/b/root -> /: a loop to the root
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  EXPECT_EQ(fs->entries().size(), 2u);
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt,
                      "/a/b/up: directory inode 2 already reached as /a (a loop or a second link)"))
      << AllNotes(*fs);
  EXPECT_TRUE(
      HasNote(*fs, Note::Kind::kCorrupt, "/a/b/root: directory inode 1 already reached as /"))
      << AllNotes(*fs);
}

TEST(Jffs2Test, DeepNestingStopsAtTheDepthCap) {
  NodeWriter w(Endian::kLittle);
  for (uint32_t i = 0; i < jffs2::kMaxDepth + 20; ++i) {
    w.Inode(i + 2, 1, kDir, 0, 0, ByteView());
    w.Dirent(i + 1, 1, i + 2, kDtDir, "d");
  }
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  EXPECT_EQ(fs->entries().size(), jffs2::kMaxDepth);
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kLimit, "deeper than 256 directories")) << AllNotes(*fs);
}

TEST(Jffs2Test, HostileNamesAreReportedAsStored) {
  NodeWriter w(Endian::kLittle);
  w.Inode(2, 1, kFile, 1, 0, AsBytes("x"));
  w.Dirent(1, 1, 2, kDtReg, "../../etc/passwd");
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  ASSERT_EQ(fs->entries().size(), 1u);
  EXPECT_EQ(fs->entries()[0].path, "/../../etc/passwd");  // the engine normalises it
}

TEST(Jffs2Test, SecondLinkToAFileIsAHardLink) {
  NodeWriter w(Endian::kLittle);
  w.Inode(2, 1, kFile, 1, 0, AsBytes("x"));
  w.Dirent(1, 1, 2, kDtReg, "a");
  w.Dirent(1, 1, 2, kDtReg, "b");
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  ASSERT_EQ(fs->entries().size(), 2u);
  EXPECT_EQ(fs->entries()[1].type, NodeType::kHardLink);
  EXPECT_EQ(fs->entries()[1].link_target, "/a");
}

TEST(Jffs2Test, BadNodeCrcSkipsTheNodeWithANote) {
  NodeWriter w(Endian::kLittle);
  w.Inode(2, 1, kFile, 1, 0, AsBytes("x"));
  w.Dirent(1, 1, 2, kDtReg, "a");
  w.image()[w.last_node() + 16] ^= 1;  // the version, covered by the node CRC
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(fs->entries().empty());
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt, "node CRC mismatch")) << AllNotes(*fs);
}

TEST(Jffs2Test, BadNameCrcSkipsTheDirent) {
  NodeWriter w(Endian::kLittle);
  w.Dirent(1, 1, 2, kDtReg, "name");
  w.image()[w.last_node() + 40] = 'N';
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt, "name CRC mismatch")) << AllNotes(*fs);
}

TEST(Jffs2Test, BadDataCrcSkipsTheNode) {
  NodeWriter w(Endian::kLittle);
  w.Dirent(1, 1, 2, kDtReg, "a");
  w.Inode(2, 1, kFile, 4, 0, AsBytes("data"));
  w.image()[w.last_node() + 68] = 'D';
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt, "data CRC mismatch")) << AllNotes(*fs);
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt, "/a: inode 2 has no inode node")) << AllNotes(*fs);
}

TEST(Jffs2Test, BadHeaderCrcIsSkippedAndScanningResyncs) {
  NodeWriter w(Endian::kLittle);
  w.Inode(2, 1, kFile, 1, 0, AsBytes("x"));
  w.Dirent(1, 1, 2, kDtReg, "a");
  size_t bad = w.last_node();
  w.Dirent(1, 1, 2, kDtReg, "b");
  w.image()[bad + 8] ^= 0xff;  // header CRC of "a"
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  ASSERT_EQ(fs->entries().size(), 1u);
  EXPECT_EQ(fs->entries()[0].path, "/b");
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt, "node header CRC mismatch")) << AllNotes(*fs);
}

TEST(Jffs2Test, NodeLengthPastTheImageIsANote) {
  NodeWriter w(Endian::kLittle);
  w.Inode(2, 1, kFile, 1000, 0, TestData(1000));
  w.image().resize(w.image().size() - 500);
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt, "claims 1068 bytes, past the end"))
      << AllNotes(*fs);
}

TEST(Jffs2Test, ImpossibleDataSizeIsANote) {
  NodeWriter w(Endian::kLittle);
  w.Inode(2, 1, kFile, 0xffffffff, 0, AsBytes("tiny"), jffs2::kComprZlib, 0xfffffff0);
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt, "4294967280 bytes of data")) << AllNotes(*fs);
}

TEST(Jffs2Test, DirentShorterThanItsNameIsANote) {
  NodeWriter w(Endian::kLittle);
  w.Dirent(1, 1, 2, kDtReg, "abc");
  Bytes& img = w.image();
  img[w.last_node() + 28] = 200;  // nsize past the node
  // Re-seal the node CRC so that only the name length is wrong.
  uint32_t crc = jffs2::Jffs2Crc(ByteView(img).subspan(w.last_node(), 32));
  for (int i = 0; i < 4; ++i) img[w.last_node() + 32 + i] = static_cast<uint8_t>(crc >> (8 * i));
  Result<jffs2::Filesystem> fs = ParseLe(img);
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt, "name of 200 bytes runs past the node"))
      << AllNotes(*fs);
}

TEST(Jffs2Test, ObsoleteNodesAreSkipped) {
  NodeWriter w(Endian::kLittle);
  w.Inode(2, 1, kFile, 1, 0, AsBytes("x"));
  w.Dirent(1, 1, 2, kDtReg, "a");
  w.image()[w.last_node() + 3] &= ~0x20;  // clear ACCURATE (0x2000) in the LE node type
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(fs->entries().empty());
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kInfo, "1 obsolete nodes skipped")) << AllNotes(*fs);
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kInfo, "1 inode is in no directory")) << AllNotes(*fs);
}

TEST(Jffs2Test, CorruptCompressedDataFailsTheReadNamingTheNode) {
  NodeWriter w(Endian::kLittle);
  w.Dirent(1, 1, 2, kDtReg, "a");
  w.Inode(2, 1, kFile, 4096, 0, AsBytes("\x01\xff"), jffs2::kComprRtime, 4096);
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  Result<Bytes> content = fs->ReadFile(fs->entries()[0], 1 << 20);
  ASSERT_FALSE(content.ok());
  EXPECT_EQ(content.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(content.error().message().find("rtime data of the node at 0x"), std::string::npos)
      << content.error().message();
}

TEST(Jffs2Test, RubinDataIsUnsupported) {
  NodeWriter w(Endian::kLittle);
  w.Dirent(1, 1, 2, kDtReg, "a");
  w.Inode(2, 1, kFile, 100, 0, AsBytes("????"), jffs2::kComprDynRubin, 100);
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  Result<Bytes> content = fs->ReadFile(fs->entries()[0], 1 << 20);
  ASSERT_FALSE(content.ok());
  EXPECT_EQ(content.error().code(), ErrorCode::kUnsupported);
}

// Regression (fuzz/corpus/jffs2/regression-odd-last-node-overrun.bin): a last node whose length is
// not a multiple of 4 ending exactly at the end of the image moved the scan past the end.
TEST(Jffs2Test, LastNodeWithOddLengthAtTheEndOfTheImage) {
  NodeWriter w(Endian::kLittle);
  w.Inode(2, 1, kFile, 1, 0, AsBytes("x"));
  w.Dirent(1, 1, 2, kDtReg, "odd");  // 43 bytes
  w.image().resize(w.last_node() + 43);
  Result<jffs2::Filesystem> fs = ParseLe(w.image());
  ASSERT_TRUE(fs.ok());
  ASSERT_EQ(fs->entries().size(), 1u);
  EXPECT_EQ(fs->entries()[0].path, "/odd");
  EXPECT_EQ(fs->extent(), w.image().size());
}

TEST(Jffs2Test, ProbeRejectsBadMagicAndBadHeaderCrc) {
  NodeWriter w(Endian::kLittle);
  w.Dirent(1, 1, 2, kDtReg, "a");
  Bytes good = w.image();
  EXPECT_TRUE(kJffs2Format.probe(good).has_value());
  Bytes bad_magic = good;
  bad_magic[0] = 0x84;  // 0x1984: the pre-release magic
  EXPECT_FALSE(kJffs2Format.probe(bad_magic).has_value());
  EXPECT_FALSE(jffs2::Filesystem::Parse(bad_magic, Endian::kLittle).ok());
  Bytes bad_crc = good;
  bad_crc[9] ^= 1;
  EXPECT_FALSE(kJffs2Format.probe(bad_crc).has_value());
  EXPECT_FALSE(kJffs2Format.probe(ByteView(good).first(11)).has_value());
}

}  // namespace
}  // namespace clearbox::unpack
