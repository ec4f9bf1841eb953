// TP-Link firmware headers: the real TL-MR3020 image with its bootloader, v1 and v2 images
// built from the published layouts (mktplinkfw, mktplinkfw2) and hostile variants.
#include <gtest/gtest.h>

#include "vendor_header_test_util.h"

namespace clearbox::unpack::internal {
extern const FormatHandler kTplinkFormat;
}

namespace clearbox::unpack {
namespace {

using internal::kTplinkFormat;
using namespace testing;

constexpr uint8_t kSaltV1Normal[16] = {0xdc, 0xd7, 0x3a, 0xa5, 0xc3, 0x95, 0x98, 0xfb,
                                       0xdd, 0xf9, 0xe7, 0xf4, 0x0e, 0xae, 0x47, 0x38};
constexpr uint8_t kSaltV2Normal[16] = {0xdc, 0xd7, 0x3a, 0xa5, 0xc3, 0x95, 0x98, 0xfb,
                                       0xdc, 0xf9, 0xe7, 0xf4, 0x0e, 0xae, 0x47, 0x37};

// Header, kernel at 0x200, rootfs at `rootfs_ofs`, padded to `length`; MD5 with the salt.
Bytes BuildTplink(int version, ByteView kernel, ByteView rootfs, uint32_t rootfs_ofs,
                  uint32_t length) {
  Bytes image(length, 0xff);
  std::fill(image.begin(), image.begin() + 0x200, version == 1 ? 0 : 0xff);
  image[0] = static_cast<uint8_t>(version);
  image[1] = image[2] = image[3] = 0;
  size_t fields, md5;
  if (version == 1) {
    PutString(image, 4, "TP-LINK Technologies");
    PutString(image, 0x1c, "ver. 1.0");
    PutBE32(image, 0x40, 0x07410001);
    PutBE32(image, 0x44, 1);
    PutBE16(image, 0x98, 3);
    PutBE16(image, 0x9a, 14);
    PutBE16(image, 0x9c, 1);
    fields = 0x74;
    md5 = 0x4c;
  } else {
    Bytes fw(48, 0);
    std::fill(image.begin() + 4, image.begin() + 52, 0);
    PutString(image, 4, "OpenWrt r1234");
    PutBE32(image, 0x34, 0x09000003);
    PutBE32(image, 0x38, 0x55aa);
    PutBE16(image, 0x8c, 0x55aa);
    image[0x90] = 0xa5;
    image[0x91] = 2;
    image[0x92] = 0;
    image[0x93] = 7;
    fields = 0x68;
    md5 = 0x40;
  }
  PutBE32(image, fields, 0x80060000);
  PutBE32(image, fields + 4, 0x80060000);
  PutBE32(image, fields + 8, length);
  PutBE32(image, fields + 12, 0x200);
  PutBE32(image, fields + 16, static_cast<uint32_t>(kernel.size()));
  PutBE32(image, fields + 20, rootfs_ofs);
  PutBE32(image, fields + 24, static_cast<uint32_t>(rootfs.size()));
  PutBE32(image, fields + 28, 0);
  PutBE32(image, fields + 32, 0);
  std::copy(kernel.begin(), kernel.end(), image.begin() + 0x200);
  std::copy(rootfs.begin(), rootfs.end(), image.begin() + rootfs_ofs);
  const uint8_t* salt = version == 1 ? kSaltV1Normal : kSaltV2Normal;
  std::copy(salt, salt + 16, image.begin() + md5);
  Bytes digest = vendor::Md5With(image, 0, {});
  std::copy(digest.begin(), digest.end(), image.begin() + md5);
  return image;
}

TEST(TplinkTest, RealMr3020WithBootloader) {
  Bytes file = ReadBytes(kRealCorpus + "tplink_tl-mr3020_v1_fw.tpl");
  ASSERT_EQ(file.size(), 0x3e0200u);
  Result<vendor::Image> outer = vendor::ParseTplink(file);
  ASSERT_TRUE(outer.ok()) << outer.error().ToString();
  EXPECT_EQ(outer->length, 0x3e0200u);
  EXPECT_TRUE(HasNote(*outer, Note::Kind::kInfo, "MD5 verified")) << NotesOf(*outer);
  EXPECT_TRUE(HasNote(*outer, Note::Kind::kInfo, "bootloader salt")) << NotesOf(*outer);
  EXPECT_NE(outer->summary.find("vendor \"TP-LINK Technologies\", firmware \"ver. 1.0\", "
                                "hardware id 0x30200001 revision 1, version 3.17.2"),
            std::string::npos)
      << outer->summary;
  ASSERT_EQ(outer->parts.size(), 2u) << NotesOf(*outer);
  EXPECT_EQ(outer->parts[0].label, "bootloader");
  EXPECT_EQ(outer->parts[0].offset, 0x200u);
  EXPECT_EQ(outer->parts[1].label, "firmware");
  EXPECT_EQ(outer->parts[1].offset, 0x20200u);

  Result<vendor::Image> inner = vendor::ParseTplink(outer->parts[1].data);
  ASSERT_TRUE(inner.ok());
  EXPECT_TRUE(HasNote(*inner, Note::Kind::kInfo, "MD5 verified")) << NotesOf(*inner);
  EXPECT_FALSE(HasNote(*inner, Note::Kind::kCorrupt, "")) << NotesOf(*inner);
  const vendor::Part* kernel = FindPart(*inner, "kernel");
  const vendor::Part* rootfs = FindPart(*inner, "rootfs");
  ASSERT_TRUE(kernel && rootfs);
  EXPECT_EQ(kernel->offset, 0x200u);
  EXPECT_EQ(kernel->size, 0xd9e1au);
  EXPECT_EQ(kernel->data[0], 0x5d);  // LZMA properties byte
  EXPECT_EQ(rootfs->offset, 0x100000u);
  EXPECT_EQ(AsChars(rootfs->data.first(4)), "hsqs");
}

TEST(TplinkTest, BuiltV1Image) {
  Bytes kernel = TestData(3000, 1), rootfs = TestData(5000, 2);
  Bytes file = BuildTplink(1, kernel, rootfs, 0x2000, 0x4000);
  std::optional<internal::Match> m = kTplinkFormat.probe(file);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->length, 0x4000u);
  FakeWalker w = OpenVendor(kTplinkFormat, file);
  EXPECT_NE(w.FindNote(Note::Kind::kInfo, "MD5 verified"), nullptr) << w.AllNotes();
  EXPECT_NE(w.FindNote(Note::Kind::kInfo, "hardware id 0x07410001 revision 1, version 3.14.1"),
            nullptr)
      << w.AllNotes();
  ASSERT_EQ(w.payloads.size(), 2u);
  EXPECT_EQ(w.payloads[0].label, "kernel");
  EXPECT_EQ(w.payloads[0].bytes, kernel);
  EXPECT_EQ(w.payloads[1].label, "rootfs");
  EXPECT_EQ(w.payloads[1].bytes, rootfs);
}

TEST(TplinkTest, BuiltV2Image) {
  Bytes kernel = TestData(3000, 3), rootfs = TestData(2000, 4);
  Bytes file = BuildTplink(2, kernel, rootfs, 0x1000, 0x3000);
  Result<vendor::Image> image = vendor::ParseTplink(file);
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(HasNote(*image, Note::Kind::kInfo, "MD5 verified")) << NotesOf(*image);
  EXPECT_NE(image->summary.find("TP-Link v2, firmware \"OpenWrt r1234\", hardware id 0x09000003"),
            std::string::npos)
      << image->summary;
  ASSERT_NE(FindPart(*image, "rootfs"), nullptr);
  EXPECT_EQ(FindPart(*image, "rootfs")->offset, 0x1000u);
}

TEST(TplinkTest, Md5MismatchStillOffersParts) {
  Bytes file = BuildTplink(1, TestData(3000, 1), TestData(5000, 2), 0x2000, 0x4000);
  file[0x2100] ^= 1;
  Result<vendor::Image> image = vendor::ParseTplink(file);
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "MD5 mismatch")) << NotesOf(*image);
  EXPECT_EQ(image->parts.size(), 2u);
}

TEST(TplinkTest, LyingLengthsAndTruncation) {
  Bytes file = BuildTplink(1, TestData(3000, 1), TestData(5000, 2), 0x2000, 0x4000);
  PutBE32(file, 0x84, 0x10000000);  // kernel length far past the image
  PutBE32(file, 0x8c, 0xffffffff);  // rootfs length too
  file.resize(0x3000);
  Result<vendor::Image> image = vendor::ParseTplink(file);
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "truncated: the header says 16384 bytes"))
      << NotesOf(*image);
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "kernel [0x200, +0x10000000) runs past"))
      << NotesOf(*image);
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "overlaps the kernel")) << NotesOf(*image);
  for (const vendor::Part& p : image->parts) EXPECT_LE(p.offset + p.data.size(), file.size());
  FakeWalker w = OpenVendor(kTplinkFormat, file);
  EXPECT_EQ(w.payloads.size(), 2u);
}

TEST(TplinkTest, RandomBytesAreRefused) {
  for (uint32_t seed = 1; seed < 200; ++seed) {
    Bytes junk = TestData(4096, seed);
    if (seed % 2) {
      junk[0] = 1;
      junk[1] = junk[2] = junk[3] = 0;
      PutString(junk, 4, "TP-LINK Technologies");
    } else {
      PutBE16(junk, 0x8c, 0x55aa);
    }
    std::optional<internal::Match> m = kTplinkFormat.probe(junk);
    EXPECT_FALSE(m.has_value()) << seed;
  }
  Bytes file = BuildTplink(1, TestData(3000, 1), TestData(5000, 2), 0x2000, 0x4000);
  PutBE32(file, 0x80, 0x100);  // kernel inside the header
  EXPECT_FALSE(kTplinkFormat.probe(file).has_value());
}

}  // namespace
}  // namespace clearbox::unpack
