// The FAT reader over the real samples (rust-fatfs's FAT12 image, FACT's FAT16), over
// volumes mkfs.vfat and mtools build (FAT12/16/32, long names, nested and fragmented files,
// read-only files, a deleted file), and over damaged copies of them.
#include "fat.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "clearbox/core/digest.h"
#include "flash_test_util.h"
#include "internal/format.h"

namespace clearbox::unpack::fat {
namespace {

using ::testing::HasSubstr;
using testing::ReadBytes;
using testing::RunCommand;
using testing::TempDir;
using testing::WriteBytes;

bool HaveTools(const char* tools) {
  return std::system(("for t in " + std::string(tools) +
                      "; do command -v $t >/dev/null || exit 1; done")
                         .c_str()) == 0;
}

std::map<std::string, const Entry*> ByPath(const Filesystem& fs) {
  std::map<std::string, const Entry*> out;
  for (const Entry& e : fs.entries()) out[e.path] = &e;
  return out;
}

std::string ReadText(const Filesystem& fs, const Entry& e) {
  Result<Bytes> data = fs.ReadFile(e, 1 << 26);
  if (!data.ok()) return "<" + data.error().message() + ">";
  return std::string(data->begin(), data->end());
}

bool HasNote(const Filesystem& fs, Note::Kind kind, std::string_view text) {
  for (const Note& n : fs.notes()) {
    if (n.kind == kind && n.message.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string AllNotes(const Filesystem& fs) {
  std::string out;
  for (const Note& n : fs.notes()) out += n.message + "\n";
  return out;
}

// Offset of the 32-byte directory entry whose 8.3 name is `name11` ("VERYLO~1TXT").
size_t FindShortEntry(const Bytes& image, const std::string& name11) {
  for (size_t at = 0; at + 32 <= image.size(); at += 32) {
    if (std::memcmp(image.data() + at, name11.data(), 11) == 0) return at;
  }
  ADD_FAILURE() << "no entry " << name11;
  return 0;
}

TEST(FatRealSample, RustFatfsFat12LongNamesAndNestedDirectories) {
  Bytes image = ReadBytes(testing::kRealCorpus + "fat12_rustfatfs.img");
  ASSERT_EQ(image.size(), 1024000u);
  Result<Filesystem> fs = Filesystem::Parse(image);
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  EXPECT_EQ(fs->boot().type, FatType::kFat12);
  EXPECT_EQ(fs->label(), "Test!");
  EXPECT_EQ(fs->boot().serial, 0x12345678u);
  EXPECT_TRUE(fs->notes().empty()) << AllNotes(*fs);
  auto by = ByPath(*fs);
  for (const char* dir : {"/very", "/very/long", "/very/long/path", "/very-long-dir-name"}) {
    ASSERT_TRUE(by.count(dir)) << dir;
    EXPECT_EQ(by[dir]->type, NodeType::kDirectory);
  }
  ASSERT_TRUE(by.count("/long.txt") && by.count("/short.txt"));
  EXPECT_EQ(ReadText(*fs, *by["/short.txt"]), "Rust is cool!\n");
  std::string long_text;
  for (int i = 0; i < 1000; ++i) long_text += "Rust is cool!\n";
  EXPECT_EQ(ReadText(*fs, *by["/long.txt"]), long_text);
  EXPECT_EQ(ReadText(*fs, *by["/very/long/path/test.txt"]), "Rust is cool!\n");
  EXPECT_EQ(ReadText(*fs, *by["/very-long-dir-name/very-long-file-name.txt"]), "Rust is cool!\n");
  EXPECT_EQ(by["/short.txt"]->short_name, "SHORT.TXT");
  EXPECT_EQ(by["/short.txt"]->mode, 0644u);
  EXPECT_GT(by["/short.txt"]->mtime, 1506211200);                // after 2017-09-24 00:00
  EXPECT_LT(by["/short.txt"]->mtime, 1506297600);
  EXPECT_EQ(fs->extent(), image.size());
}

TEST(FatRealSample, FactFat16UnderXz) {
  if (!HaveTools("xz")) GTEST_SKIP() << "xz (xz-utils) not installed";
  TempDir dir;
  ASSERT_TRUE(RunCommand("xz -dc '" + testing::kRealCorpus + "fat16_fact.img.xz' > '" +
                         (dir / "fat16.img") + "'"));
  Bytes image = ReadBytes(dir / "fat16.img");
  Result<Filesystem> fs = Filesystem::Parse(image);
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  EXPECT_EQ(fs->boot().type, FatType::kFat16);
  EXPECT_EQ(fs->boot().total_sectors, 20480u);
  auto by = ByPath(*fs);
  const std::map<std::string, std::pair<uint64_t, std::string>> want = {
      {"/get_files_test/testfile1",
       {62, "d558c9339cb967341d701e3184f863d3928973fccdc1d96042583730b5c7b76a"}},
      {"/get_files_test/testfile2",
       {28, "faa11db49f32a90b51dfc3f0254f9fd7a7b46d0b570abd47e1943b86d554447a"}},
      {"/get_files_test/generic folder/test file 3_.txt",
       {20, "289b5a050a83837f192d7129e4c4e02570b94b4924e50159fad5ed1067cfbfeb"}},
  };
  for (const auto& [path, size_sha] : want) {
    ASSERT_TRUE(by.count(path)) << path;
    EXPECT_EQ(by[path]->size, size_sha.first);
    Result<Bytes> data = fs->ReadFile(*by[path], 1 << 20);
    ASSERT_TRUE(data.ok());
    EXPECT_EQ(Sha256Hex(*data), size_sha.second) << path;
  }
}

// A volume mkfs.vfat formats and mtools fills: long names, nested directories, a read-only
// file, a file deleted after others were written, and a file fragmented around the hole.
struct Built {
  Bytes image;
  Bytes big, fragmented;
};

std::optional<Built> BuildVolume(const TempDir& dir, int bits) {
  const std::string img = dir / "vol.img";
  const int kib = bits == 12 ? 1024 : bits == 16 ? 16 * 1024 : 40 * 1024;
  Built b;
  b.big = testing::TestData(70000, 3);
  b.fragmented = testing::TestData(9000, 4);
  WriteBytes(dir / "big.bin", b.big);
  WriteBytes(dir / "frag.bin", b.fragmented);
  WriteBytes(dir / "small.txt", AsBytes(std::string_view("hello from mtools\n")));
  WriteBytes(dir / "gap.bin", testing::TestData(5000, 5));
  const std::string mt = "MTOOLS_SKIP_CHECK=1 ";
  const std::string i = " -i '" + img + "' ";
  const bool ok =
      RunCommand("mkfs.vfat -C -F " + std::to_string(bits) + (bits == 32 ? " -s 1" : "") +
                 " -n 'CLEARBOX' -i 1234abcd '" + img + "' " + std::to_string(kib) +
                 " >/dev/null") &&
      RunCommand(mt + "mmd" + i + "'::/A Long Directory Name'") &&
      RunCommand(mt + "mmd" + i + "'::/A Long Directory Name/sub'") &&
      RunCommand(mt + "mcopy" + i + "'" + (dir / "small.txt") +
                 "' '::/A Long Directory Name/sub/Very Long File Name.txt'") &&
      RunCommand(mt + "mcopy" + i + "'" + (dir / "gap.bin") + "' ::/GAP.BIN") &&
      RunCommand(mt + "mcopy" + i + "'" + (dir / "big.bin") + "' ::/BIG.BIN") &&
      RunCommand(mt + "mcopy" + i + "'" + (dir / "small.txt") + "' ::/readonly.txt") &&
      RunCommand(mt + "mattrib" + i + "+r ::/readonly.txt") &&
      RunCommand(mt + "mdel" + i + "::/GAP.BIN") &&
      RunCommand(mt + "mcopy" + i + "'" + (dir / "frag.bin") + "' '::/Fragmented File.bin'");
  if (!ok) return std::nullopt;
  b.image = ReadBytes(img);
  return b;
}

class FatMkfs : public ::testing::TestWithParam<int> {};

TEST_P(FatMkfs, ReadsWhatMtoolsWrote) {
  if (!HaveTools("mkfs.vfat mcopy mmd mattrib mdel")) {
    GTEST_SKIP() << "dosfstools / mtools not installed";
  }
  TempDir dir;
  std::optional<Built> b = BuildVolume(dir, GetParam());
  ASSERT_TRUE(b);
  Result<Filesystem> fs = Filesystem::Parse(b->image);
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  const FatType want = GetParam() == 12 ? FatType::kFat12
                       : GetParam() == 16 ? FatType::kFat16 : FatType::kFat32;
  EXPECT_EQ(fs->boot().type, want);
  EXPECT_EQ(fs->label(), "CLEARBOX");
  EXPECT_EQ(fs->boot().serial, 0x1234abcdu);
  EXPECT_TRUE(fs->notes().empty()) << AllNotes(*fs);
  auto by = ByPath(*fs);
  EXPECT_FALSE(by.count("/GAP.BIN")) << "a deleted file is listed";
  ASSERT_TRUE(by.count("/A Long Directory Name/sub/Very Long File Name.txt"));
  EXPECT_EQ(ReadText(*fs, *by["/A Long Directory Name/sub/Very Long File Name.txt"]),
            "hello from mtools\n");
  EXPECT_EQ(by["/A Long Directory Name"]->type, NodeType::kDirectory);
  EXPECT_EQ(by["/A Long Directory Name"]->short_name, "ALONGD~1");
  ASSERT_TRUE(by.count("/BIG.BIN") && by.count("/readonly.txt") && by.count("/Fragmented File.bin"));
  EXPECT_EQ(ReadText(*fs, *by["/BIG.BIN"]), std::string(b->big.begin(), b->big.end()));
  EXPECT_EQ(by["/readonly.txt"]->mode, 0444u);
  EXPECT_GT(by["/readonly.txt"]->mtime, 1600000000);  // written now, not 1980
  const Entry& frag = *by["/Fragmented File.bin"];
  if (GetParam() != 32) {  // on FAT32 mtools allocates after its FSInfo hint, not in the hole
    EXPECT_GT(frag.extents.size(), 1u) << "mtools filled no hole: the file is not fragmented";
  }
  EXPECT_EQ(ReadText(*fs, frag), std::string(b->fragmented.begin(), b->fragmented.end()));
  // Through the content reader as the engine reads it, in small pieces.
  std::unique_ptr<ContentReader> reader = fs->OpenFile(frag);
  std::string pieces;
  uint8_t buf[777];
  for (Result<size_t> n = reader->Read(buf); n.ok() && *n > 0; n = reader->Read(buf)) {
    pieces.append(reinterpret_cast<char*>(buf), *n);
  }
  EXPECT_EQ(pieces, std::string(b->fragmented.begin(), b->fragmented.end()));
}

INSTANTIATE_TEST_SUITE_P(Fat, FatMkfs, ::testing::Values(12, 16, 32));

// ---- damaged volumes (FAT12 from mkfs.vfat, edited)

class FatHostile : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTools("mkfs.vfat mcopy mmd mattrib mdel")) {
      GTEST_SKIP() << "dosfstools / mtools not installed";
    }
    std::optional<Built> b = BuildVolume(dir_, 12);
    ASSERT_TRUE(b);
    image_ = b->image;
    boot_ = *ReadBootSector(image_);
  }
  // Sets the FAT12 entry of `cluster` in every FAT.
  void SetFat12(uint32_t cluster, uint32_t value) {
    for (uint32_t f = 0; f < boot_.fat_count; ++f) {
      const size_t at = boot_.fat_offset() + f * boot_.fat_sectors * boot_.bytes_per_sector +
                        cluster + cluster / 2;
      uint16_t v = LoadLE16(image_.data() + at);
      v = (cluster & 1) ? uint16_t((v & 0x000f) | value << 4) : uint16_t((v & 0xf000) | value);
      image_[at] = uint8_t(v);
      image_[at + 1] = uint8_t(v >> 8);
    }
  }
  uint32_t FirstCluster(const std::string& name11) {
    return LoadLE16(image_.data() + FindShortEntry(image_, name11) + 26);
  }

  TempDir dir_;
  Bytes image_;
  BootSector boot_;
};

TEST_F(FatHostile, ChainLoopIsNotedAndEnds) {
  const uint32_t first = FirstCluster("BIG     BIN");
  SetFat12(first + 1, first);  // the second cluster leads back to the first
  Result<Filesystem> fs = Filesystem::Parse(image_);
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt, "loops back")) << AllNotes(*fs);
  Result<Bytes> data = fs->ReadFile(*ByPath(*fs)["/BIG.BIN"], 1 << 20);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->size(), 2 * boot_.cluster_bytes());  // what the chain held before the loop
}

TEST_F(FatHostile, ClusterOutOfRangeAndFreeAreNoted) {
  SetFat12(FirstCluster("BIG     BIN"), 0xff0);  // beyond the last cluster
  SetFat12(FirstCluster("FRAGME~1BIN"), 0);     // a free cluster inside a chain
  Result<Filesystem> fs = Filesystem::Parse(image_);
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt, "leads outside the clusters")) << AllNotes(*fs);
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt, "reaches a free cluster")) << AllNotes(*fs);
  EXPECT_EQ(ReadText(*fs, *ByPath(*fs)["/BIG.BIN"]).size(), boot_.cluster_bytes());
}

TEST_F(FatHostile, FirstClusterOutsideTheVolume) {
  const size_t at = FindShortEntry(image_, "BIG     BIN");
  image_[at + 26] = 0xff;
  image_[at + 27] = 0x0f;
  Result<Filesystem> fs = Filesystem::Parse(image_);
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt, "starts at cluster 4095")) << AllNotes(*fs);
  EXPECT_EQ(ReadText(*fs, *ByPath(*fs)["/BIG.BIN"]), "");
}

TEST_F(FatHostile, BrokenLongNameFallsBackToShortName) {
  const size_t at = FindShortEntry(image_, "VERYLO~1TXT");
  image_[at - 32 + 13] ^= 0x55;  // the checksum of the last long-name piece
  Result<Filesystem> fs = Filesystem::Parse(image_);
  ASSERT_TRUE(fs.ok());
  auto by = ByPath(*fs);
  EXPECT_FALSE(by.count("/A Long Directory Name/sub/Very Long File Name.txt"));
  ASSERT_TRUE(by.count("/A Long Directory Name/sub/VERYLO~1.TXT")) << AllNotes(*fs);
  EXPECT_EQ(ReadText(*fs, *by["/A Long Directory Name/sub/VERYLO~1.TXT"]), "hello from mtools\n");
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kWarning, "8.3 name is used")) << AllNotes(*fs);
}

TEST_F(FatHostile, DirectoryLoopIsNotFollowed) {
  // "sub" names the cluster of its parent: a directory that contains itself.
  const uint32_t parent = FirstCluster("ALONGD~1   ");
  const size_t sub = FindShortEntry(image_, "SUB        ");
  image_[sub + 26] = uint8_t(parent);
  image_[sub + 27] = uint8_t(parent >> 8);
  Result<Filesystem> fs = Filesystem::Parse(image_);
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt, "a loop, not followed")) << AllNotes(*fs);
  EXPECT_LT(fs->entries().size(), 20u);
}

TEST_F(FatHostile, CrossLinkedDirectoriesAreReadOnce) {
  // The chain of "sub" runs on into its parent's cluster: read once, as the parent.
  SetFat12(FirstCluster("SUB        "), FirstCluster("ALONGD~1   "));
  Result<Filesystem> fs = Filesystem::Parse(image_);
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt, "already read as part of another directory"))
      << AllNotes(*fs);
  EXPECT_TRUE(ByPath(*fs).count("/A Long Directory Name/sub/Very Long File Name.txt"));
  EXPECT_FALSE(ByPath(*fs).count("/A Long Directory Name/sub/sub"));
}

TEST_F(FatHostile, TruncatedVolumeKeepsWhatIsThere) {
  Bytes cut(image_.begin(), image_.begin() + image_.size() / 3);
  Result<Filesystem> fs = Filesystem::Parse(cut);
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(HasNote(*fs, Note::Kind::kCorrupt, "the rest is missing")) << AllNotes(*fs);
  EXPECT_TRUE(ByPath(*fs).count("/readonly.txt"));
  for (const Entry& e : fs->entries()) (void)fs->ReadFile(e, 1 << 20);
  // Cut inside the FAT and the root directory: still no crash.
  for (size_t n : {512ul, 700ul, size_t(boot_.root_offset()) + 100}) {
    Result<Filesystem> tiny = Filesystem::Parse(ByteView(image_).first(n));
    ASSERT_TRUE(tiny.ok());
    for (const Entry& e : tiny->entries()) (void)tiny->ReadFile(e, 1 << 20);
  }
}

TEST(FatBootSector, RejectsRandomSectorsWithTheSignature) {
  int accepted = 0;
  for (uint32_t seed = 1; seed <= 2000; ++seed) {
    Bytes sector(512);
    uint32_t x = seed;
    for (uint8_t& b : sector) b = uint8_t((x = x * 1103515245u + 12345) >> 16);
    sector[0] = 0xeb;
    sector[510] = 0x55;
    sector[511] = 0xaa;
    accepted += ReadBootSector(sector).has_value();
  }
  EXPECT_EQ(accepted, 0);
}

TEST(FatBootSector, DosTime) {
  EXPECT_EQ(DosTime(0, 0), 0);
  // 2017-09-24 19:59:00 = (37 << 9 | 9 << 5 | 24), (19 << 11 | 59 << 5).
  EXPECT_EQ(DosTime(37 << 9 | 9 << 5 | 24, 19 << 11 | 59 << 5), 1506283140);
  EXPECT_EQ(DosTime(0 << 9 | 1 << 5 | 1, 0), 315532800);  // 1980-01-01
}

}  // namespace
}  // namespace clearbox::unpack::fat
