// Tests of the UBI and UBIFS parsers and handlers: the real sample, images built by
// mkfs.ubifs + ubinize from the sample tree, and hand-damaged images.
#include "ubi.h"

#include <gtest/gtest.h>

#include "flash_test_util.h"
#include "internal/format.h"
#include "ubifs.h"

namespace clearbox::unpack::internal {
extern const FormatHandler kUbiFormat;
extern const FormatHandler kUbifsFormat;
}  // namespace clearbox::unpack::internal

namespace clearbox::unpack {
namespace {

using internal::kUbiFormat;
using internal::kUbifsFormat;
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
using testing::WriteBytes;

bool HasNote(const std::vector<Note>& notes, Note::Kind kind, std::string_view text) {
  for (const Note& n : notes) {
    if (n.kind == kind && n.message.find(text) != std::string::npos) return true;
  }
  return false;
}

const ubi::Volume* FindVolume(const ubi::Image& image, std::string_view name) {
  for (const ubi::Volume& v : image.volumes) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

TEST(UbiTest, RealSampleStaticVolumeHoldsUbifs) {
  Bytes image = ReadBytes(testing::kRealCorpus + "ubi_test.img");
  ASSERT_EQ(image.size(), 1949696u);
  Result<ubi::Image> ubi = ubi::Parse(image);
  ASSERT_TRUE(ubi.ok()) << ubi.error().ToString();
  EXPECT_EQ(ubi->peb_size, 1024u);
  EXPECT_EQ(ubi->data_offset, 128u);
  EXPECT_EQ(ubi->peb_count, 1904u);
  EXPECT_TRUE(ubi->notes.empty()) << NotesOf(ubi->notes);
  ASSERT_EQ(ubi->volumes.size(), 1u);
  const ubi::Volume& v = ubi->volumes[0];
  EXPECT_EQ(v.name, "rootfs");
  EXPECT_EQ(v.type, ubi::kStatic);
  EXPECT_EQ(v.lebs.size(), 1902u);

  Result<Bytes> volume = ubi::AssembleToBytes(image, *ubi, v, 1 << 30);
  ASSERT_TRUE(volume.ok());
  ASSERT_TRUE(ubifs::ReadSuperblock(*volume).has_value());
  Result<ubifs::Filesystem> fs = ubifs::Filesystem::Parse(*volume);
  ASSERT_TRUE(fs.ok()) << fs.error().ToString();
  EXPECT_EQ(fs->superblock().leb_size, 128u * 1024);
  EXPECT_TRUE(fs->notes().empty()) << NotesOf(fs->notes());
  Tree tree = TreeOf(*fs);
  ASSERT_EQ(tree.size(), 5u);  // the root, a folder and three files
  EXPECT_EQ(tree["/generic folder"].type, NodeType::kDirectory);
  EXPECT_EQ(tree["/generic folder/test file 3_.txt"].sha256,
            Sha256Of(AsBytes("The third test file!")));
  EXPECT_EQ(tree["/testfile2"].sha256, Sha256Of(AsBytes("This is the second test file")));
  EXPECT_EQ(tree["/testfile1"].mode, 0644u);
}

TEST(UbiTest, HandlersChainFromUbiToUbifs) {
  Bytes image = ReadBytes(testing::kRealCorpus + "ubi_test.img");
  std::optional<internal::Match> m = kUbiFormat.probe(image);
  ASSERT_TRUE(m.has_value());
  FakeWalker w;
  Result<uint64_t> spanned = kUbiFormat.open(image, *m, w);
  ASSERT_TRUE(spanned.ok()) << spanned.error().ToString();
  EXPECT_EQ(*spanned, image.size());
  ASSERT_EQ(w.payloads.size(), 1u) << w.AllNotes();
  EXPECT_EQ(w.payloads[0].label, "rootfs");
  EXPECT_NE(w.FindNote(Note::Kind::kInfo, "volume 1 'rootfs': static, 1902 LEBs of 896 bytes"),
            nullptr)
      << w.AllNotes();

  const Bytes& volume = w.payloads[0].bytes;
  std::optional<internal::Match> fs_match = kUbifsFormat.probe(volume);
  ASSERT_TRUE(fs_match.has_value());
  FakeWalker fw;
  ASSERT_TRUE(kUbifsFormat.open(volume, *fs_match, fw).ok());
  const auto* third = fw.FindNode("generic folder/test file 3_.txt");
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(AsChars(third->content), "The third test file!");
}

// mkfs.ubifs + ubinize images of the sample tree: a dynamic UBIFS volume per compressor, and
// a static raw volume beside it.
class UbinizeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(UbinizeTest, EveryPathModeTargetAndContentMatches) {
  const std::string& compr = GetParam();
  TempDir dir;
  testing::BuildSampleTree(dir.path() / "root");
  WriteBytes(dir / "devtable", AsBytes(testing::DeviceTable()));
  Bytes kernel = TestData(150'000, 61);
  WriteBytes(dir / "kernel.bin", kernel);
  ASSERT_TRUE(RunCommand("mkfs.ubifs -q -m 2048 -e 126976 -c 64 -x " + compr + " -r " +
                         (dir / "root") + " -D " + (dir / "devtable") + " -o " +
                         (dir / "fs.ubifs")));
  WriteBytes(dir / "ubinize.cfg",
             AsBytes("[kernel]\nmode=ubi\nimage=" + (dir / "kernel.bin") +
                     "\nvol_id=0\nvol_type=static\nvol_size=256KiB\nvol_name=kernel\n"
                     "[rootfs]\nmode=ubi\nimage=" +
                     (dir / "fs.ubifs") +
                     "\nvol_id=1\nvol_type=dynamic\nvol_size=6MiB\nvol_name=rootfs\n"
                     "vol_flags=autoresize\n"));
  ASSERT_TRUE(RunCommand("ubinize -o " + (dir / "ubi.img") + " -m 2048 -p 128KiB -s 2048 " +
                         (dir / "ubinize.cfg")));
  Bytes image = ReadBytes(dir / "ubi.img");

  Result<ubi::Image> ubi = ubi::Parse(image);
  ASSERT_TRUE(ubi.ok()) << ubi.error().ToString();
  EXPECT_EQ(ubi->peb_size, 128u * 1024);
  EXPECT_TRUE(ubi->notes.empty()) << NotesOf(ubi->notes);
  ASSERT_EQ(ubi->volumes.size(), 2u);

  const ubi::Volume* k = FindVolume(*ubi, "kernel");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->type, ubi::kStatic);
  Result<Bytes> kernel_bytes = ubi::AssembleToBytes(image, *ubi, *k, 1 << 30);
  ASSERT_TRUE(kernel_bytes.ok());
  EXPECT_EQ(*kernel_bytes, kernel);

  const ubi::Volume* r = FindVolume(*ubi, "rootfs");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->type, ubi::kDynamic);
  EXPECT_EQ(r->flags & 1, 1);  // autoresize
  Result<Bytes> volume = ubi::AssembleToBytes(image, *ubi, *r, 1 << 30);
  ASSERT_TRUE(volume.ok());
  Result<ubifs::Filesystem> fs = ubifs::Filesystem::Parse(*volume);
  ASSERT_TRUE(fs.ok()) << fs.error().ToString();
  EXPECT_TRUE(fs->notes().empty()) << NotesOf(fs->notes());

  // Through the handler: both volumes are payloads; the raw one is also listed as a file.
  std::optional<internal::Match> m = kUbiFormat.probe(image);
  ASSERT_TRUE(m.has_value());
  FakeWalker w;
  ASSERT_TRUE(kUbiFormat.open(image, *m, w).ok());
  ASSERT_EQ(w.payloads.size(), 2u);
  EXPECT_EQ(w.payloads[0].label, "kernel");
  EXPECT_EQ(w.payloads[1].label, "rootfs");
  ASSERT_EQ(w.nodes.size(), 1u);
  EXPECT_EQ(w.nodes[0].node.path, "kernel");
  EXPECT_EQ(w.nodes[0].content, kernel);

  Tree expected = testing::ReadHostTree(dir.path() / "root");
  expected["/"] = TreeEntry{NodeType::kDirectory, 0, 0, 0, 0, "", "", 0, 0};
  expected["/dev"] = TreeEntry{NodeType::kDirectory, 0755, 0, 0, 0, "", "", 0, 0};
  testing::AddDeviceEntries(expected);
  Tree actual = TreeOf(*fs);
  // The root takes the build directory's mode and times; the device table's entries carry
  // the build time.
  actual["/"].mode = 0;
  for (const char* p : {"/", "/dev", "/dev/console", "/dev/mtdblock0"}) actual[p].mtime = 0;
  testing::ExpectSameTree(expected, actual);
}

INSTANTIATE_TEST_SUITE_P(Compressors, UbinizeTest,
                         ::testing::Values("lzo", "zlib", "zstd", "none", "favor_lzo"));

// A small ubinized image of a single dynamic UBIFS volume, for the damage tests.
struct SmallImage {
  Bytes image;
  Bytes fs;  // the mkfs.ubifs output
};
SmallImage BuildSmallImage() {
  TempDir dir;
  WriteBytes(dir / "root/file", TestData(10'000, 3));
  WriteBytes(dir / "root/dir/inner", AsBytes("inner\n"));
  EXPECT_TRUE(RunCommand("mkfs.ubifs -q -m 2048 -e 126976 -c 32 -x none -r " + (dir / "root") +
                         " -o " + (dir / "fs.ubifs")));
  WriteBytes(dir / "ubinize.cfg",
             AsBytes("[rootfs]\nmode=ubi\nimage=" + (dir / "fs.ubifs") +
                     "\nvol_id=0\nvol_type=dynamic\nvol_size=2MiB\nvol_name=rootfs\n"));
  EXPECT_TRUE(RunCommand("ubinize -o " + (dir / "ubi.img") + " -m 2048 -p 128KiB -Q 42 " +
                         (dir / "ubinize.cfg")));
  return {ReadBytes(dir / "ubi.img"), ReadBytes(dir / "fs.ubifs")};
}

constexpr size_t kPeb = 128 * 1024;

TEST(UbiTest, BadEraseCounterCrcIsANote) {
  SmallImage s = BuildSmallImage();
  s.image[2 * kPeb + 8] ^= 1;  // erase count of PEB 2
  Result<ubi::Image> ubi = ubi::Parse(s.image);
  ASSERT_TRUE(ubi.ok());
  EXPECT_TRUE(
      HasNote(ubi->notes, Note::Kind::kCorrupt, "erase-counter header CRC mismatch at 0x40000"))
      << NotesOf(ubi->notes);
  EXPECT_EQ(ubi->volumes.size(), 1u);  // its VID header still maps the block
}

TEST(UbiTest, BadVolumeHeaderCrcLosesTheBlockWithANote) {
  SmallImage s = BuildSmallImage();
  Result<ubi::Image> before = ubi::Parse(s.image);
  ASSERT_TRUE(before.ok());
  size_t lebs = before->volumes[0].lebs.size();
  s.image[2 * kPeb + before->vid_hdr_offset + 12] ^= 0x40;  // lnum of PEB 2
  Result<ubi::Image> ubi = ubi::Parse(s.image);
  ASSERT_TRUE(ubi.ok());
  EXPECT_TRUE(HasNote(ubi->notes, Note::Kind::kCorrupt, "volume header CRC mismatch at 0x40800"))
      << NotesOf(ubi->notes);
  EXPECT_EQ(ubi->volumes[0].lebs.size(), lebs - 1);
}

// Rewrites the VID header of the PEB at `peb` with `edit` and seals its CRC.
template <typename Edit>
void EditVid(Bytes& image, size_t peb, uint32_t vid_offset, Edit edit) {
  uint8_t* h = image.data() + peb * kPeb + vid_offset;
  edit(h);
  StoreBE32(h + 60, ubi::UbiCrc(ByteView(h, 60)));
}

TEST(UbiTest, HighestSequenceNumberWins) {
  SmallImage s = BuildSmallImage();
  Result<ubi::Image> ubi = ubi::Parse(s.image);
  ASSERT_TRUE(ubi.ok());
  // Append a copy of PEB 2 (volume 0, LEB 0) with a higher sqnum and other data.
  const ubi::Volume& v = ubi->volumes[0];
  const ubi::Leb& leb0 = v.lebs.at(0);
  size_t peb_of_leb0 = leb0.data_offset / kPeb;
  Bytes copy(s.image.begin() + peb_of_leb0 * kPeb, s.image.begin() + (peb_of_leb0 + 1) * kPeb);
  std::fill(copy.begin() + ubi->data_offset, copy.end(), 0xab);
  s.image.insert(s.image.end(), copy.begin(), copy.end());
  size_t last = s.image.size() / kPeb - 1;
  EditVid(s.image, last, ubi->vid_hdr_offset, [](uint8_t* h) { StoreBE64(h + 40, 1u << 30); });
  Result<ubi::Image> again = ubi::Parse(s.image);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->volumes[0].lebs.at(0).data_offset, last * kPeb + ubi->data_offset);
}

TEST(UbiTest, BlockOutsideTheVolumeIsDropped) {
  SmallImage s = BuildSmallImage();
  Result<ubi::Image> ubi = ubi::Parse(s.image);
  ASSERT_TRUE(ubi.ok());
  size_t peb = ubi->volumes[0].lebs.at(1).data_offset / kPeb;
  EditVid(s.image, peb, ubi->vid_hdr_offset, [](uint8_t* h) { StoreBE32(h + 12, 0x7fffffff); });
  Result<ubi::Image> again = ubi::Parse(s.image);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(HasNote(again->notes, Note::Kind::kCorrupt, "volume 0 LEB 2147483647 (PEB at "))
      << NotesOf(again->notes);
  EXPECT_LT(again->volumes[0].size(), 1u << 30);  // no huge volume from a lying header
}

TEST(UbiTest, DamagedVolumeTableFallsBackToTheSecondCopy) {
  SmallImage s = BuildSmallImage();
  Result<ubi::Image> ubi = ubi::Parse(s.image);
  ASSERT_TRUE(ubi.ok());
  s.image[0 * kPeb + ubi->data_offset + 20] ^= 0xff;  // name of record 0, copy 0 (PEB 0)
  Result<ubi::Image> again = ubi::Parse(s.image);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(
      HasNote(again->notes, Note::Kind::kCorrupt, "volume table copy 0: record 0 CRC mismatch"))
      << NotesOf(again->notes);
  ASSERT_EQ(again->volumes.size(), 1u);
  EXPECT_EQ(again->volumes[0].name, "rootfs");
}

TEST(UbiTest, TruncatedImageIsANoteAndKeepsTheRest) {
  SmallImage s = BuildSmallImage();
  s.image.resize(s.image.size() - kPeb / 2);
  Result<ubi::Image> ubi = ubi::Parse(s.image);
  ASSERT_TRUE(ubi.ok());
  EXPECT_TRUE(HasNote(ubi->notes, Note::Kind::kCorrupt, "truncated: the last PEB at"))
      << NotesOf(ubi->notes);
  EXPECT_EQ(ubi->volumes.size(), 1u);
}

TEST(UbiTest, AnotherImageAfterThisOneEndsTheScan) {
  SmallImage a = BuildSmallImage();
  Bytes two = a.image;
  size_t first_pebs = two.size() / kPeb;
  Bytes second = a.image;
  for (size_t p = 0; p < second.size() / kPeb; ++p) {  // another image sequence number
    uint8_t* ec = second.data() + p * kPeb;
    StoreBE32(ec + 24, 7);
    StoreBE32(ec + 60, ubi::UbiCrc(ByteView(ec, 60)));
  }
  two.insert(two.end(), second.begin(), second.end());
  Result<ubi::Image> ubi = ubi::Parse(two);
  ASSERT_TRUE(ubi.ok());
  EXPECT_EQ(ubi->peb_count, first_pebs);
}

TEST(UbiTest, ProbeRejectsBadMagicCrcAndOffsets) {
  SmallImage s = BuildSmallImage();
  EXPECT_TRUE(kUbiFormat.probe(s.image).has_value());
  Bytes bad = s.image;
  bad[3] = '!';
  EXPECT_FALSE(kUbiFormat.probe(bad).has_value());
  EXPECT_FALSE(ubi::Parse(bad).ok());
  bad = s.image;
  bad[61] ^= 1;
  EXPECT_FALSE(kUbiFormat.probe(bad).has_value());
  bad = s.image;
  StoreBE32(bad.data() + 16, 8);  // VID header inside the EC header
  StoreBE32(bad.data() + 60, ubi::UbiCrc(ByteView(bad).first(60)));
  EXPECT_FALSE(kUbiFormat.probe(bad).has_value());
  Result<ubi::Image> parsed = ubi::Parse(bad);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message().find("impossible"), std::string::npos);
}

// UBIFS damage, on the mkfs.ubifs output itself (a volume as UBI would hand it on).
struct NodeLoc {
  size_t at;
  size_t len;
};
// Finds the first node of `type` whose CRC verifies.
std::optional<NodeLoc> FindNode(const Bytes& v, uint8_t type, size_t from = 0) {
  for (size_t at = from; at + 24 <= v.size(); at += 8) {
    if (LoadLE32(v.data() + at) != ubifs::kMagic || v[at + 20] != type) continue;
    size_t len = LoadLE32(v.data() + at + 16);
    if (len < 24 || at + len > v.size()) continue;
    if (ubifs::UbifsCrc(ByteView(v).subspan(at + 8, len - 8)) == LoadLE32(v.data() + at + 4)) {
      return NodeLoc{at, len};
    }
  }
  return std::nullopt;
}
void Reseal(Bytes& v, NodeLoc n) {
  uint32_t crc = ubifs::UbifsCrc(ByteView(v).subspan(n.at + 8, n.len - 8));
  for (int i = 0; i < 4; ++i) v[n.at + 4 + i] = static_cast<uint8_t>(crc >> (8 * i));
}

TEST(UbifsTest, DirectoryLoopIsANote) {
  SmallImage s = BuildSmallImage();
  // The dent of "inner" (in /dir) rewritten to name the root directory, inode 1.
  std::optional<NodeLoc> dent;
  for (size_t from = 0; (dent = FindNode(s.fs, 2, from)); from = dent->at + 8) {
    if (AsChars(ByteView(s.fs).subspan(dent->at + 56, 5)) == "inner") break;
  }
  ASSERT_TRUE(dent.has_value());
  StoreBE64(s.fs.data() + dent->at + 40, 0);
  s.fs[dent->at + 40] = 1;  // LE inum 1
  s.fs[dent->at + 49] = 1;  // a directory
  Reseal(s.fs, *dent);
  Result<ubifs::Filesystem> fs = ubifs::Filesystem::Parse(s.fs);
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(HasNote(fs->notes(), Note::Kind::kCorrupt,
                      "/dir/inner: directory inode 1 already reached as /"))
      << NotesOf(fs->notes());
}

TEST(UbifsTest, IndexNodeReferringToItselfIsNotFollowedTwice) {
  SmallImage s = BuildSmallImage();
  std::optional<NodeLoc> idx = FindNode(s.fs, 9);
  ASSERT_TRUE(idx.has_value());
  uint32_t leb_size = 126976;
  uint8_t* branch = s.fs.data() + idx->at + 28;
  // Branch 0 points back at this very index node.
  for (int i = 0; i < 4; ++i) branch[i] = static_cast<uint8_t>((idx->at / leb_size) >> (8 * i));
  for (int i = 0; i < 4; ++i) branch[4 + i] = static_cast<uint8_t>((idx->at % leb_size) >> (8 * i));
  for (int i = 0; i < 4; ++i) branch[8 + i] = static_cast<uint8_t>(idx->len >> (8 * i));
  Reseal(s.fs, *idx);
  Result<ubifs::Filesystem> fs = ubifs::Filesystem::Parse(s.fs);
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(HasNote(fs->notes(), Note::Kind::kCorrupt, "index refers twice to LEB"))
      << NotesOf(fs->notes());
}

TEST(UbifsTest, CorruptLeafIsANoteAndTheRestIsRead) {
  SmallImage s = BuildSmallImage();
  std::optional<NodeLoc> data = FindNode(s.fs, 1);
  ASSERT_TRUE(data.has_value());
  s.fs[data->at + 60] ^= 0xff;  // data bytes, CRC not resealed
  Result<ubifs::Filesystem> fs = ubifs::Filesystem::Parse(s.fs);
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(HasNote(fs->notes(), Note::Kind::kCorrupt, "no valid node of"))
      << NotesOf(fs->notes());
  bool inner = false;
  for (const auto& e : fs->entries()) inner |= e.path == "/dir/inner";
  EXPECT_TRUE(inner);
}

TEST(UbifsTest, CorruptCompressedBlockFailsTheReadNamingTheNode) {
  ubifs::DataBlock b{0, 4096, ubifs::kComprZlib, 0x1234, AsBytes("not deflate at all")};
  Result<Bytes> d = ubifs::DecodeBlock(b);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(d.error().message().find("data node at 0x1234 (block 0)"), std::string::npos);
  b.compr = 9;
  EXPECT_EQ(ubifs::DecodeBlock(b).error().code(), ErrorCode::kUnsupported);
}

TEST(UbifsTest, ProbeAndParseRejectAMissingOrDamagedSuperblock) {
  SmallImage s = BuildSmallImage();
  EXPECT_TRUE(kUbifsFormat.probe(s.fs).has_value());
  Bytes bad = s.fs;
  bad[40] ^= 1;  // leb_cnt, CRC not resealed
  EXPECT_FALSE(kUbifsFormat.probe(bad).has_value());
  Result<ubifs::Filesystem> fs = ubifs::Filesystem::Parse(bad);
  ASSERT_FALSE(fs.ok());
  EXPECT_EQ(fs.error().code(), ErrorCode::kInvalidInput);
}

TEST(UbifsTest, MissingMasterNodeIsInvalidInput) {
  SmallImage s = BuildSmallImage();
  const size_t leb = 126976;
  std::fill(s.fs.begin() + leb, s.fs.begin() + 3 * leb, 0xff);  // LEBs 1 and 2
  Result<ubifs::Filesystem> fs = ubifs::Filesystem::Parse(s.fs);
  ASSERT_FALSE(fs.ok());
  EXPECT_EQ(fs.error().message(), "ubifs: no valid master node in LEBs 1 and 2");
}

}  // namespace
}  // namespace clearbox::unpack
