// The legacy squashfs reader (1.x-3.x, big-endian 4.0) over the real samples in
// ../shared/corpus/real (checked against `unsquashfs -lls` where it lists them), over images
// a small test-only squashfs 3 writer builds in both byte orders and with each LZMA framing,
// and over damaged ones (truncated, lying offsets, directory loops).
#include "squashfs_legacy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "clearbox/core/digest.h"
#include "flash_test_util.h"
#include "squashfs_legacy_format.h"
#include "squashfs_legacy_test_writer.h"

namespace clearbox::unpack::squashfs_legacy {
namespace {

using ::testing::HasSubstr;

const std::map<std::string, std::string> kFactFiles = {
    {"/testfile1", "d558c9339cb967341d701e3184f863d3928973fccdc1d96042583730b5c7b76a"},
    {"/testfile2", "faa11db49f32a90b51dfc3f0254f9fd7a7b46d0b570abd47e1943b86d554447a"},
    {"/generic folder/test file 3_.txt",
     "289b5a050a83837f192d7129e4c4e02570b94b4924e50159fad5ed1067cfbfeb"},
};

std::string SamplePath(const std::string& name) {
  return std::string(CLEARBOX_SHARED_DIR) + "/corpus/real/" + name;
}

Bytes LoadSample(const std::string& name) {
  std::ifstream in(SamplePath(name), std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

const Entry* Find(const Filesystem& fs, std::string_view path) {
  for (const Entry& e : fs.entries()) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

std::string AllNotes(const Filesystem& fs) {
  std::string all;
  for (const Note& n : fs.notes()) all += std::to_string(n.offset) + ": " + n.message + "\n";
  return all;
}

struct Sample {
  const char* name;
  const char* version;  // as the handler's note says it
  const char* framing;
};

class SquashfsLegacySampleTest : public ::testing::TestWithParam<Sample> {};

TEST_P(SquashfsLegacySampleTest, FactFilesByteForByte) {
  Bytes image = LoadSample(GetParam().name);
  ASSERT_FALSE(image.empty()) << GetParam().name;
  Result<Filesystem> fs = Filesystem::Parse(image);
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  EXPECT_TRUE(fs->notes().empty()) << AllNotes(*fs);
  ASSERT_EQ(fs->entries().size(), 5u);
  const Entry* folder = Find(*fs, "/generic folder");
  ASSERT_NE(folder, nullptr);
  EXPECT_EQ(folder->type, NodeType::kDirectory);
  for (const auto& [path, sha] : kFactFiles) {
    const Entry* e = Find(*fs, path);
    ASSERT_NE(e, nullptr) << path;
    Result<Bytes> data = fs->ReadFile(*e, 1 << 20);
    ASSERT_TRUE(data.ok()) << path << ": " << data.error().message();
    EXPECT_EQ(Sha256Hex(*data), sha) << path;
  }
  EXPECT_EQ(fs->framing(), GetParam().framing);
  // Through the handler: the version and the framing are named.
  testing::FakeWalker walker;
  ASSERT_TRUE(internal::ProbeLegacySquashfs(image).has_value());
  Result<uint64_t> end = internal::OpenLegacySquashfs(image, {}, walker);
  ASSERT_TRUE(end.ok()) << end.error().message();
  EXPECT_NE(walker.FindNote(Note::Kind::kInfo, GetParam().version), nullptr) << walker.AllNotes();
  EXPECT_EQ(walker.nodes.size(), 5u);
}

INSTANTIATE_TEST_SUITE_P(
    Samples, SquashfsLegacySampleTest,
    ::testing::Values(
        Sample{"squashfs_v2_lzma_be_fact.sqfs2", "version 2.'L', big-endian", "lzma-raw"},
        Sample{"squashfs_v3_lzma_be_fact.sqfs3", "version 3.'L', big-endian", "lzma-raw"},
        Sample{"squashfs_v3_zlib_be_fact.sqfs3", "version 3.1, big-endian", "zlib"},
        Sample{"squashfs_v3_zlib_le_fact.sqfs3", "version 3.1, little-endian", "zlib"},
        Sample{"squashfs_v4_be_xz_avm_fact.sqfs4", "version 4.0, big-endian", "xz"}));

// The Broadcom router's root filesystem (squashfs 2.0 big-endian, Broadcom LZMA blocks),
// against the listing of Debian's unsquashfs, which reads the tree but not the data.
TEST(SquashfsLegacyTest, BroadcomRootfsMatchesUnsquashfsListing) {
  const std::string path = SamplePath("broadcom_adsl_rootfs_squashfs_v2_be.bin");
  Bytes image = LoadSample("broadcom_adsl_rootfs_squashfs_v2_be.bin");
  ASSERT_FALSE(image.empty());
  Result<Filesystem> fs = Filesystem::Parse(image);
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  EXPECT_TRUE(fs->notes().empty()) << AllNotes(*fs);
  EXPECT_EQ(fs->entries().size(), 431u);
  const Entry* passwd = Find(*fs, "/etc/passwd");
  ASSERT_NE(passwd, nullptr);
  EXPECT_EQ(passwd->type, NodeType::kSymlink);
  EXPECT_EQ(passwd->link_target, "/var/passwd");
  const Entry* busybox = Find(*fs, "/bin/busybox");
  ASSERT_NE(busybox, nullptr);
  Result<Bytes> elf = fs->ReadFile(*busybox, 1 << 20);
  ASSERT_TRUE(elf.ok()) << elf.error().message();
  ASSERT_EQ(elf->size(), 224756u);
  // ELF, 32-bit, big-endian, MIPS (e_machine 8).
  EXPECT_EQ(Bytes(elf->begin(), elf->begin() + 6), (Bytes{0x7f, 'E', 'L', 'F', 1, 2}));
  EXPECT_EQ(LoadBE16(elf->data() + 18), 8);
  EXPECT_EQ(fs->framing(), "lzma-props");
  const Entry* ac97 = Find(*fs, "/dev/ac97");
  ASSERT_NE(ac97, nullptr);
  EXPECT_EQ(ac97->type, NodeType::kCharDevice);
  EXPECT_EQ(ac97->dev_major, 222u);
  // Every file decompresses to its size.
  for (const Entry& e : fs->entries()) {
    if (e.type != NodeType::kFile) continue;
    Result<Bytes> data = fs->ReadFile(e, 4 << 20);
    ASSERT_TRUE(data.ok()) << e.path << ": " << data.error().message();
    EXPECT_EQ(data->size(), e.size) << e.path;
  }

  FILE* pipe = popen(("unsquashfs -lls '" + path + "' 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) GTEST_SKIP() << "unsquashfs (squashfs-tools) not installed";
  std::string listing;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) listing.append(buf, n);
  if (pclose(pipe) != 0 || listing.empty()) GTEST_SKIP() << "unsquashfs could not list the image";
  size_t checked = 0;
  size_t at = 0;
  while (at < listing.size()) {
    size_t end = listing.find('\n', at);
    if (end == std::string::npos) end = listing.size();
    std::string line = listing.substr(at, end - at);
    at = end + 1;
    size_t root = line.find(" squashfs-root");
    if (root == std::string::npos || line.size() < 10) continue;
    std::string name = line.substr(root + 14);
    std::string target;
    if (size_t arrow = name.find(" -> "); arrow != std::string::npos) {
      target = name.substr(arrow + 4);
      name.resize(arrow);
    }
    if (name.empty()) name = "/";
    const Entry* e = Find(*fs, name);
    ASSERT_NE(e, nullptr) << name;
    // Permission bits from "rwxr-xr-x" (no setuid bits in this image).
    uint32_t mode = 0;
    for (int i = 0; i < 9; ++i) mode = mode << 1 | (line[1 + i] != '-');
    EXPECT_EQ(e->mode & 0777, mode) << name;
    const std::map<char, NodeType> types = {
        {'d', NodeType::kDirectory},  {'-', NodeType::kFile},        {'l', NodeType::kSymlink},
        {'c', NodeType::kCharDevice}, {'b', NodeType::kBlockDevice}, {'p', NodeType::kFifo},
        {'s', NodeType::kSocket}};
    auto type = types.find(line[0]);
    ASSERT_NE(type, types.end()) << line;
    EXPECT_EQ(e->type, type->second) << name;
    if (line[0] == 'l') {
      EXPECT_EQ(e->link_target, target) << name;
    }
    if (line[0] == '-') {
      std::istringstream fields(line.substr(10));
      std::string owner;
      uint64_t size = 0;
      fields >> owner >> size;
      EXPECT_EQ(e->size, size) << name;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 431u);
}

using namespace testwriter;

std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, 0);
  uint32_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245 + 12345;
    s[i] = "abcdefgh\n"[(x >> 16) % 9];
  }
  return s;
}

std::vector<Item> SampleTree() {
  return {
      {Item::kFile, "big", Pattern(3 * 4096 + 100, 1), {}},
      {Item::kDir,
       "etc",
       "",
       {{Item::kFile, "passwd", "root:x:0:0::/root:/bin/sh\n", {}},
        {Item::kSymlink, "shadow", "/var/shadow", {}},
        {Item::kFile, "exact", Pattern(4096, 2), {}}}},
      {Item::kCharDev, "tty", "", {}},
      {Item::kHardLink, "big-link", "big", {}},
      {Item::kDir, "empty", "", {}},
  };
}

struct WriterCase {
  unsigned version;
  bool big;
  Framing framing;
  const char* framing_name;
};

class SquashfsLegacyWriterTest : public ::testing::TestWithParam<WriterCase> {};

TEST_P(SquashfsLegacyWriterTest, RoundTrips) {
  Writer writer(GetParam().version, GetParam().big, GetParam().framing);
  Bytes image = writer.Write(SampleTree());
  Result<Filesystem> fs = Filesystem::Parse(image);
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  EXPECT_TRUE(fs->notes().empty()) << AllNotes(*fs);
  EXPECT_EQ(fs->superblock().big_endian, GetParam().big);
  ASSERT_EQ(fs->entries().size(), 9u);
  std::map<std::string, std::string> want = {{"/big", Pattern(3 * 4096 + 100, 1)},
                                             {"/etc/passwd", "root:x:0:0::/root:/bin/sh\n"},
                                             {"/etc/exact", Pattern(4096, 2)}};
  for (const auto& [path, data] : want) {
    const Entry* e = Find(*fs, path);
    ASSERT_NE(e, nullptr) << path;
    EXPECT_EQ(e->uid, 1000u);
    EXPECT_EQ(e->gid, 1000u);
    EXPECT_EQ(e->mtime, 1234567890);
    Result<Bytes> got = fs->ReadFile(*e, 1 << 20);
    ASSERT_TRUE(got.ok()) << path << ": " << got.error().message();
    EXPECT_EQ(std::string(got->begin(), got->end()), data) << path;
  }
  const Entry* shadow = Find(*fs, "/etc/shadow");
  ASSERT_NE(shadow, nullptr);
  EXPECT_EQ(shadow->type, NodeType::kSymlink);
  EXPECT_EQ(shadow->link_target, "/var/shadow");
  const Entry* tty = Find(*fs, "/tty");
  ASSERT_NE(tty, nullptr);
  EXPECT_EQ(tty->type, NodeType::kCharDevice);
  EXPECT_EQ(tty->dev_major, 4u);
  EXPECT_EQ(tty->dev_minor, 64u);
  const Entry* link = Find(*fs, "/big-link");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->type, NodeType::kHardLink);
  EXPECT_EQ(link->link_target, "/big");
  EXPECT_EQ(fs->framing(), GetParam().framing_name);
}

INSTANTIATE_TEST_SUITE_P(Framings, SquashfsLegacyWriterTest,
                         ::testing::Values(WriterCase{3, false, Framing::kStored, ""},
                                           WriterCase{3, true, Framing::kStored, ""},
                                           WriterCase{3, false, Framing::kZlib, "zlib"},
                                           WriterCase{3, true, Framing::kZlib, "zlib"},
                                           WriterCase{3, true, Framing::kLzmaAlone, "lzma-alone"},
                                           WriterCase{3, true, Framing::kLzmaProps, "lzma-props"},
                                           WriterCase{3, false, Framing::kLzmaRaw, "lzma-raw"},
                                           WriterCase{3, true, Framing::kLzmaDdwrt, "lzma-ddwrt"},
                                           WriterCase{2, false, Framing::kZlib, "zlib"},
                                           WriterCase{2, true, Framing::kLzmaProps, "lzma-props"},
                                           WriterCase{1, false, Framing::kZlib, "zlib"},
                                           WriterCase{1, true, Framing::kStored, ""}));

// ---- Damaged images -----------------------------------------------------------------------

TEST(SquashfsLegacyTest, DirectoryLoopIsNotedNotFollowed) {
  Writer writer(3, true, Framing::kStored);
  Bytes image = writer.Write({{Item::kDir, "a", "", {{Item::kFile, "f", "x", {}}}}});
  // Point /a/f's entry at /a itself: a directory containing itself.
  Result<Filesystem> clean = Filesystem::Parse(image);
  ASSERT_TRUE(clean.ok());
  const uint64_t dir_ref = writer.refs.at("a"), file_ref = writer.refs.at("f");
  // The entry's 13-bit offset field holds the file's inode offset: find and rewrite it.
  const uint64_t dir_table = clean->superblock().directory_table;
  bool patched = false;
  for (size_t at = dir_table + 2 + 9; at + 5 <= image.size() && !patched; ++at) {
    if (uint64_t((image[at] << 8 | image[at + 1]) >> 3) == file_ref) {
      uint16_t w = uint16_t(dir_ref << 3 | 1);  // type 1: directory
      image[at] = uint8_t(w >> 8), image[at + 1] = uint8_t(w);
      patched = true;
    }
  }
  ASSERT_TRUE(patched);
  Result<Filesystem> fs = Filesystem::Parse(image);
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  EXPECT_THAT(AllNotes(*fs), HasSubstr("reached again (a loop)"));
  EXPECT_EQ(fs->entries().size(), 2u);  // "/" and "/a"
}

TEST(SquashfsLegacyTest, TruncatedImagesNoteOrFailCleanly) {
  for (const char* name : {"squashfs_v3_zlib_le_fact.sqfs3", "squashfs_v2_lzma_be_fact.sqfs2",
                           "broadcom_adsl_rootfs_squashfs_v2_be.bin"}) {
    Bytes image = LoadSample(name);
    ASSERT_FALSE(image.empty());
    const uint64_t used = ReadSuperblock(image)->bytes_used;
    for (uint64_t cut : {used - 1, used * 3 / 4, used / 2, uint64_t{120}}) {
      ByteView part(image.data(), cut);
      Result<Filesystem> fs = Filesystem::Parse(part);
      if (!fs.ok()) continue;  // the root or its table is gone: an error, not a crash
      EXPECT_THAT(AllNotes(*fs), HasSubstr("truncated")) << name << " cut at " << cut;
      for (const Entry& e : fs->entries()) {
        if (e.type == NodeType::kFile) (void)fs->ReadFile(e, 1 << 20);
      }
    }
  }
}

TEST(SquashfsLegacyTest, LyingOffsetsAreNoted) {
  Writer writer(3, false, Framing::kZlib);
  Bytes image = writer.Write(SampleTree());
  Result<Filesystem> clean = Filesystem::Parse(image);
  ASSERT_TRUE(clean.ok());
  const Superblock sb = clean->superblock();
  {
    // The root's listing claims more bytes than the table holds.
    Bytes bad = image;
    const size_t root = size_t(sb.inode_table + 2 + (sb.root_inode & 0xffff));
    PutBits(bad, root * 8 + 128, 19, 0x7ffff, false);
    Result<Filesystem> fs = Filesystem::Parse(bad);
    ASSERT_TRUE(fs.ok()) << fs.error().message();
    EXPECT_THAT(AllNotes(*fs), HasSubstr("directory /"));
  }
  {
    // /big's first block lies past the end of the image: reading it fails naming the block.
    Bytes bad = image;
    const size_t big = size_t(sb.inode_table + 2 + writer.refs.at("big"));
    PutBits(bad, big * 8 + 96, 64, image.size() + 100, false);
    Result<Filesystem> fs = Filesystem::Parse(bad);
    ASSERT_TRUE(fs.ok());
    Result<Bytes> data = fs->ReadFile(*Find(*fs, "/big"), 1 << 20);
    ASSERT_FALSE(data.ok());
    EXPECT_THAT(data.error().message(), HasSubstr("outside the image"));
  }
  {
    // A metadata block header claiming 32 KiB.
    Bytes bad = image;
    bad[sb.directory_table] = 0xff, bad[sb.directory_table + 1] = 0x7f;
    Result<Filesystem> fs = Filesystem::Parse(bad);
    ASSERT_TRUE(fs.ok()) << fs.error().message();
    EXPECT_THAT(AllNotes(*fs), HasSubstr("does not fit"));
  }
  {
    // The root inode outside the inode table: nothing to walk.
    Bytes bad = image;
    PutBits(bad, 344, 64, uint64_t{0x7fff} << 16, false);
    EXPECT_FALSE(Filesystem::Parse(bad).ok());
  }
}

TEST(SquashfsLegacyTest, RandomDamageNeverCrashes) {
  for (const char* name : {"squashfs_v3_zlib_be_fact.sqfs3", "squashfs_v3_lzma_be_fact.sqfs3",
                           "squashfs_v4_be_xz_avm_fact.sqfs4", "squashfs_v2_lzma_be_fact.sqfs2"}) {
    const Bytes image = LoadSample(name);
    ASSERT_FALSE(image.empty());
    uint32_t x = 7;
    for (int round = 0; round < 300; ++round) {
      Bytes bad = image;
      for (int k = 0; k < 4; ++k) {
        x = x * 1103515245 + 12345;
        size_t at = (x >> 8) % 512;
        x = x * 1103515245 + 12345;
        bad[at] = uint8_t(x >> 16);
      }
      Result<Filesystem> fs = Filesystem::Parse(bad);
      if (!fs.ok()) continue;
      for (const Entry& e : fs->entries()) {
        if (e.type == NodeType::kFile) (void)fs->ReadFile(e, 1 << 20);
      }
    }
  }
}

TEST(SquashfsLegacyTest, LittleEndianVersion4IsLeftToLibsquashfs) {
  Bytes image = LoadSample("squashfs_v4_be_xz_avm_fact.sqfs4");
  ASSERT_FALSE(image.empty());
  std::memcpy(image.data(), "hsqs", 4);
  EXPECT_FALSE(ReadSuperblock(image).has_value());
}

}  // namespace
}  // namespace clearbox::unpack::squashfs_legacy
