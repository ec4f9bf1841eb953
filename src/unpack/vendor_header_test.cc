// Netgear CHK, D-Link SEAMA, Ubiquiti, Huawei UPDATE.APP and HWNP, Realtek: images built
// from the published layouts (vendor_header_test_util.h), then hostile variants.
#include <gtest/gtest.h>

#include "vendor_header_test_util.h"

namespace clearbox::unpack::internal {
extern const FormatHandler kChkFormat;
extern const FormatHandler kSeamaFormat;
extern const FormatHandler kUbiquitiFormat;
extern const FormatHandler kHuaweiAppFormat;
extern const FormatHandler kHwnpFormat;
extern const FormatHandler kRealtekFormat;
extern const FormatHandler kZynosFormat;
extern const FormatHandler kCfeFormat;
}  // namespace clearbox::unpack::internal

namespace clearbox::unpack {
namespace {

using namespace testing;

Bytes Of(const vendor::Part* p) { return p ? Bytes(p->data.begin(), p->data.end()) : Bytes{}; }

TEST(VendorHeaderTest, NetgearChecksumFolds) {
  // c0 = 0x61 + 0x62 + 0x63 = 0x126, c1 = 0x61 + 0xc3 + 0x126 = 0x24a.
  EXPECT_EQ(vendor::NetgearChecksum(ToBytes("abc")), 0x024a0126u);
  Bytes ff(100000, 0xff);  // sums that need both folds
  uint32_t sum = vendor::NetgearChecksum(ff);
  EXPECT_LE(sum & 0xffff, 0xffffu);
  EXPECT_NE(sum, 0u);
}

TEST(VendorHeaderTest, ChkKernelAndRootfs) {
  Bytes kernel = TestData(4000, 1), rootfs = TestData(7000, 2);
  Bytes file = BuildChk(kernel, rootfs, "U12H240T00_NETGEAR");
  Result<vendor::Image> image = vendor::ParseChk(file);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->length, file.size());
  EXPECT_EQ(image->summary,
            "Netgear CHK, board id \"U12H240T00_NETGEAR\", region 1, version 1.0.2.0, kernel "
            "4000 bytes, rootfs 7000 bytes");
  for (const char* what : {"header checksum verified", "kernel checksum verified",
                           "rootfs checksum verified", "image checksum verified"}) {
    EXPECT_TRUE(HasNote(*image, Note::Kind::kInfo, what)) << what << "\n" << NotesOf(*image);
  }
  EXPECT_EQ(Of(FindPart(*image, "kernel")), kernel);
  EXPECT_EQ(Of(FindPart(*image, "rootfs")), rootfs);
  FakeWalker w = OpenVendor(internal::kChkFormat, file);
  ASSERT_EQ(w.payloads.size(), 2u);
  EXPECT_EQ(w.payloads[1].label, "rootfs");
  EXPECT_EQ(w.payloads[1].offset, 58u + 4000);
}

TEST(VendorHeaderTest, ChkHostile) {
  Bytes file = BuildChk(TestData(4000, 1), TestData(7000, 2), "R7000");
  file[45 + 100] ^= 0x40;  // a kernel byte
  Result<vendor::Image> image = vendor::ParseChk(file);
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "kernel checksum mismatch"));
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "image checksum mismatch"));
  EXPECT_EQ(image->parts.size(), 2u);

  Bytes lying = BuildChk(TestData(400, 1), TestData(700, 2), "R7000");
  PutBE32(lying, 0x1c, 0x7fffffff);
  image = vendor::ParseChk(lying);
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "header checksum mismatch"));
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "truncated")) << NotesOf(*image);
  EXPECT_EQ(FindPart(*image, "rootfs")->data.size(), 700u);

  Bytes board = BuildChk(TestData(400, 1), {}, "R7000");
  board[42] = 0x01;  // a control character in the board id
  EXPECT_FALSE(vendor::ProbeChk(board).has_value());
  for (uint32_t seed = 1; seed < 100; ++seed) {
    Bytes junk = TestData(2048, seed);
    PutString(junk, 0, "*#$^");
    EXPECT_FALSE(vendor::ProbeChk(junk).has_value()) << seed;
  }
}

TEST(VendorHeaderTest, SeamaMd5AndMeta) {
  Bytes payload = TestData(6000, 5);
  Bytes file = BuildSeama(payload, std::string("dev=/dev/mtdblock/1\0type=firmware", 33));
  Result<vendor::Image> image = vendor::ParseSeama(file);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->summary, "SEAMA, 6000 bytes, meta: dev=/dev/mtdblock/1, type=firmware");
  EXPECT_TRUE(HasNote(*image, Note::Kind::kInfo, "MD5 verified")) << NotesOf(*image);
  EXPECT_EQ(Of(FindPart(*image, "firmware")), payload);

  // A seal (data size 0) around an inner image: carving finds the inner one after it.
  Bytes seal = BuildSeama({}, "signature=wrgac01_dlink.2013gui_dir850l");
  std::optional<vendor::Probed> probed = vendor::ProbeSeama(seal);
  ASSERT_TRUE(probed.has_value());
  EXPECT_EQ(probed->length, seal.size());
  EXPECT_TRUE(vendor::ParseSeama(seal)->parts.empty());

  file[file.size() - 1] ^= 1;
  image = vendor::ParseSeama(file);
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "MD5 mismatch"));
  EXPECT_EQ(image->parts.size(), 1u);
  file.resize(file.size() - 100);
  image = vendor::ParseSeama(file);
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "truncated")) << NotesOf(*image);
  FakeWalker w = OpenVendor(internal::kSeamaFormat, file);
  ASSERT_EQ(w.payloads.size(), 1u);
  EXPECT_EQ(w.payloads[0].bytes.size(), 5900u);

  for (uint32_t seed = 1; seed < 100; ++seed) {
    Bytes junk = TestData(2048, seed);
    PutBE32(junk, 0, 0x5ea3a417);
    EXPECT_FALSE(vendor::ProbeSeama(junk).has_value()) << seed;
  }
}

TEST(VendorHeaderTest, UbiquitiParts) {
  Bytes kernel = TestData(3000, 1), rootfs = TestData(5000, 2);
  Bytes file = BuildUbnt("UBNT", "XM.ar7240.v5.6.3.28591.151130.1749",
                         {{"kernel", kernel}, {"rootfs", rootfs}});
  std::optional<vendor::Probed> probed = vendor::ProbeUbiquiti(file);
  ASSERT_TRUE(probed.has_value());
  EXPECT_EQ(probed->length, file.size());
  Result<vendor::Image> image = vendor::ParseUbiquiti(file);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->summary, "Ubiquiti UBNT, version \"XM.ar7240.v5.6.3.28591.151130.1749\"");
  for (const char* what : {"header CRC32 verified", "part \"kernel\" CRC32 verified",
                           "part \"rootfs\" CRC32 verified", "image CRC32 verified"}) {
    EXPECT_TRUE(HasNote(*image, Note::Kind::kInfo, what)) << what << "\n" << NotesOf(*image);
  }
  EXPECT_EQ(Of(FindPart(*image, "kernel")), kernel);
  EXPECT_EQ(Of(FindPart(*image, "rootfs")), rootfs);

  Bytes open = BuildUbnt("OPEN", "SW.v4.0", {{"kernel", kernel}});
  EXPECT_TRUE(vendor::ProbeUbiquiti(open).has_value());

  file[268 + 56 + 10] ^= 1;
  image = vendor::ParseUbiquiti(file);
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "part \"kernel\" CRC32 mismatch"));
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "image CRC32 mismatch"));
  EXPECT_EQ(image->parts.size(), 2u);

  PutBE32(file, 268 + 48, 0x40000000);  // the kernel claims 1 GiB
  image = vendor::ParseUbiquiti(file);
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "no END. signature")) << NotesOf(*image);
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "truncated")) << NotesOf(*image);
  EXPECT_EQ(image->length, 0u);

  for (uint32_t seed = 1; seed < 100; ++seed) {
    Bytes junk = TestData(2048, seed);
    PutString(junk, 0, "UBNT");
    EXPECT_FALSE(vendor::ProbeUbiquiti(junk).has_value()) << seed;
  }
}

TEST(VendorHeaderTest, HuaweiUpdateAppPartitions) {
  Bytes boot = TestData(5000, 1), system = TestData(9000, 2);
  Bytes file = BuildUpdateApp({{"BOOT", boot}, {"SYSTEM", system}});
  std::optional<internal::Match> m = internal::kHuaweiAppFormat.probe(file);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->detail, "2 partitions");
  Result<vendor::Image> image = vendor::ParseHuaweiApp(file);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->summary, "Huawei UPDATE.APP, hardware \"HW7x27\", 2 partitions");
  EXPECT_TRUE(HasNote(*image, Note::Kind::kInfo, "partition \"BOOT\": 2 block CRC16s verified"))
      << NotesOf(*image);
  EXPECT_TRUE(HasNote(*image, Note::Kind::kInfo, "partition \"SYSTEM\": 3 block CRC16s verified"))
      << NotesOf(*image);
  EXPECT_EQ(Of(FindPart(*image, "SYSTEM")), system);

  file[92 + 98 + 4 + 4096 + 7] ^= 1;  // second block of BOOT
  image = vendor::ParseHuaweiApp(file);
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt,
                      "partition \"BOOT\": CRC16 mismatch in 1 of 2 blocks, the first at block 1"))
      << NotesOf(*image);
  EXPECT_EQ(image->parts.size(), 2u);

  PutLE32(file, 92 + 24, 0x7ffffff0);  // BOOT claims 2 GiB: SYSTEM is lost, BOOT truncated
  image = vendor::ParseHuaweiApp(file);
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "truncated")) << NotesOf(*image);
  FakeWalker w = OpenVendor(internal::kHuaweiAppFormat, file);
  EXPECT_EQ(w.payloads.size(), 1u);

  Bytes junk = TestData(4096, 9);
  std::fill(junk.begin(), junk.begin() + 92, 0);
  PutLE32(junk, 92, 0xa55aaa55);
  EXPECT_FALSE(vendor::ProbeHuaweiApp(junk).has_value());
}

TEST(VendorHeaderTest, HuaweiHwnpItems) {
  Bytes check = ToBytes("<upgradecheck></upgradecheck>\n"), kernel = TestData(7000, 3);
  Bytes file = BuildHwnp({{"file:/var/UpgradeCheck.xml", check}, {"flash:kernel", kernel}},
                         "164C|15AD|;COMMON|");
  Result<vendor::Image> image = vendor::ParseHwnp(file);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->length, file.size());
  EXPECT_EQ(image->summary, "Huawei HWNP, 2 items, products \"164C|15AD|;COMMON|\"");
  for (const char* what :
       {"header CRC32 verified", "image CRC32 verified",
        "item \"var/UpgradeCheck.xml\" CRC32 verified", "item \"kernel\" CRC32 verified"}) {
    EXPECT_TRUE(HasNote(*image, Note::Kind::kInfo, what)) << what << "\n" << NotesOf(*image);
  }
  EXPECT_EQ(Of(FindPart(*image, "kernel")), kernel);
  FakeWalker w = OpenVendor(internal::kHwnpFormat, file);
  const FakeWalker::RecordedNode* node = w.FindNode("var/UpgradeCheck.xml");
  ASSERT_NE(node, nullptr) << w.AllNotes();
  EXPECT_EQ(node->content, check);
  ASSERT_NE(w.FindNode("var"), nullptr);

  file[file.size() - 5] ^= 1;
  image = vendor::ParseHwnp(file);
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "item \"kernel\" CRC32 mismatch"));
  const size_t second = 36 + 18 + 360;
  PutLE32(file, second + 8, 10);  // data inside the header
  image = vendor::ParseHwnp(file);
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "lies inside the header")) << NotesOf(*image);
  PutLE32(file, second + 8, 0x7fffff00);
  image = vendor::ParseHwnp(file);
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "past the end")) << NotesOf(*image);

  Bytes junk = TestData(4096, 9);
  PutString(junk, 0, "HWNP");
  EXPECT_FALSE(vendor::ProbeHwnp(junk).has_value());
}

TEST(VendorHeaderTest, RealtekChecksum) {
  Bytes kernel = TestData(6000, 7);
  Bytes file = BuildRealtek("cs6c", kernel);
  Bytes rootfs = BuildRealtek("cr6c", TestData(3000, 8));
  Append(file, rootfs);
  std::optional<internal::Match> m = internal::kRealtekFormat.probe(file);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->length, 16u + 6002);
  FakeWalker w = OpenVendor(internal::kRealtekFormat, file);
  EXPECT_NE(w.FindNote(Note::Kind::kInfo, "checksum verified"), nullptr) << w.AllNotes();
  ASSERT_EQ(w.payloads.size(), 1u);
  EXPECT_EQ(w.payloads[0].label, "kernel");
  EXPECT_EQ(w.payloads[0].bytes, kernel);
  EXPECT_EQ(vendor::ParseRealtek(rootfs)->parts[0].label, "rootfs");

  file[100] ^= 1;
  Result<vendor::Image> image = vendor::ParseRealtek(file);
  ASSERT_TRUE(image.ok());  // the load address still vouches for it
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "checksum mismatch")) << NotesOf(*image);

  for (uint32_t seed = 1; seed < 100; ++seed) {
    Bytes junk = TestData(2048, seed);
    PutString(junk, 0, seed % 2 ? "cs6c" : "csys");
    EXPECT_FALSE(vendor::ProbeRealtek(junk).has_value()) << seed;
  }
}

TEST(VendorHeaderTest, ZynosObject) {
  Bytes payload = TestData(5001, 4);
  Bytes file = BuildZynos(payload, 20000);
  std::optional<internal::Match> m = internal::kZynosFormat.probe(file);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->length, 48u + 5001);
  EXPECT_EQ(m->detail, "rombin object, 5001 bytes");
  FakeWalker w = OpenVendor(internal::kZynosFormat, file);
  EXPECT_NE(w.FindNote(Note::Kind::kInfo,
                       "ZyXEL ZyNOS rombin object, version \"V3.40(AGD.2)\", "
                       "load address 0x80010000, memory map at 0x80008000, "
                       "20000 bytes (5001 compressed)"),
            nullptr)
      << w.AllNotes();
  EXPECT_NE(w.FindNote(Note::Kind::kInfo, "compressed data checksum verified"), nullptr)
      << w.AllNotes();
  ASSERT_EQ(w.payloads.size(), 1u);
  EXPECT_EQ(w.payloads[0].label, "rombin");
  EXPECT_EQ(w.payloads[0].bytes, payload);

  file[3000] ^= 0x10;
  Result<vendor::Image> image = vendor::ParseZynos(file);
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "compressed data checksum mismatch"));
  file.resize(1000);
  image = vendor::ParseZynos(file);
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "truncated")) << NotesOf(*image);
  EXPECT_EQ(image->parts.at(0).data.size(), 952u);

  for (uint32_t seed = 1; seed < 100; ++seed) {
    Bytes junk = TestData(2048, seed);
    PutString(junk, 6, "SIG");
    EXPECT_FALSE(vendor::ProbeZynos(junk).has_value()) << seed;
  }
}

TEST(VendorHeaderTest, BroadcomImageTag) {
  Bytes kernel = TestData(4000, 6), rootfs = TestData(9000, 7);
  Bytes file = BuildBcmTag(kernel, rootfs);
  std::optional<internal::Match> m = internal::kCfeFormat.probe(file);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->length, file.size());
  Result<vendor::Image> image = vendor::ParseCfe(file);
  ASSERT_TRUE(image.ok());
  EXPECT_NE(image->summary.find("chip 6348, board \"96348GW-11\", information \"OpenWrt\""),
            std::string::npos)
      << image->summary;
  for (const char* what :
       {"header CRC32 verified", "rootfs CRC32 verified", "kernel CRC32 verified"}) {
    EXPECT_TRUE(HasNote(*image, Note::Kind::kInfo, what)) << what << "\n" << NotesOf(*image);
  }
  EXPECT_EQ(Of(FindPart(*image, "kernel")), kernel);
  EXPECT_EQ(Of(FindPart(*image, "rootfs")), rootfs);
  EXPECT_EQ(FindPart(*image, "rootfs")->offset, 256u + 4000);

  file[256 + 4000 + 5] ^= 1;
  image = vendor::ParseCfe(file);
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "rootfs CRC32 mismatch"));
  EXPECT_EQ(image->parts.size(), 2u);
  PutString(file, 128, "99999999");  // the kernel length lies
  image = vendor::ParseCfe(file);
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "header CRC32 mismatch"));
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "truncated")) << NotesOf(*image);
  PutString(file, 106, "12a");  // not a number
  EXPECT_FALSE(vendor::ProbeCfe(file).has_value());
}

}  // namespace
}  // namespace clearbox::unpack
