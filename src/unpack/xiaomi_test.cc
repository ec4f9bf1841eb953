// Xiaomi HDR1/HDR2: FACT's real HDR1 sample, HDR2 images built from the published layout,
// and hostile variants (CRC, lying sizes, repeated offsets, truncation).
#include <gtest/gtest.h>

#include "vendor_header_test_util.h"

namespace clearbox::unpack::internal {
extern const FormatHandler kXiaomiFormat;
}

namespace clearbox::unpack {
namespace {

using internal::kXiaomiFormat;
using namespace testing;

// An HDR1 (48-byte header) or HDR2 (80-byte header) image: blobs, then the signature block.
Bytes BuildXiaomi(int version, const std::vector<std::pair<std::string, Bytes>>& blobs) {
  const size_t header = version == 1 ? 48 : 80;
  Bytes image(header, 0);
  PutString(image, 0, version == 1 ? "HDR1" : "HDR2");
  if (version == 1) {
    PutLE16(image, 14, 0x25);
  } else {
    PutString(image, 16, "RA70");
    PutString(image, 24, "EU");
  }
  for (size_t i = 0; i < blobs.size(); ++i) {
    PutLE32(image, header - 32 + 4 * i, static_cast<uint32_t>(image.size()));
    Bytes blob(48, 0);
    PutLE32(blob, 0, 0xbabe);
    PutLE32(blob, 4, 0x200000 * (i + 1));
    PutLE32(blob, 8, static_cast<uint32_t>(blobs[i].second.size()));
    PutLE16(blob, 12, 4);
    PutString(blob, 16, blobs[i].first);
    Append(image, blob);
    Append(image, blobs[i].second);
  }
  const size_t signature = image.size();
  PutLE32(image, 4, static_cast<uint32_t>(signature));
  PutLE32(image, 8, ~Crc32(ByteView(image).subspan(header, signature - header)));
  Bytes sig(272, 0x5a);
  PutLE32(sig, 0, 256);
  Append(image, sig);
  return image;
}

TEST(XiaomiTest, RealHdr1SampleGivesFactFiles) {
  Bytes file = ReadBytes(kRealCorpus + "xiaomi_hdr1_fact.bin");
  ASSERT_EQ(file.size(), 574u);
  std::optional<vendor::Probed> probed = vendor::ProbeXiaomi(file);
  ASSERT_TRUE(probed.has_value());
  EXPECT_EQ(probed->length, 574u);
  EXPECT_EQ(probed->detail, "HDR1, 3 blobs");
  Result<vendor::Image> image = vendor::ParseXiaomi(file);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_TRUE(HasNote(*image, Note::Kind::kInfo, "CRC32 verified (0xf537423a)")) << NotesOf(*image);
  EXPECT_FALSE(HasNote(*image, Note::Kind::kCorrupt, "")) << NotesOf(*image);
  ASSERT_EQ(image->parts.size(), 3u);
  EXPECT_EQ(image->parts[0].label, "generic folder/test file 3_.txt");
  EXPECT_EQ(image->parts[0].offset, 0x60u);
  EXPECT_EQ(AsChars(image->parts[0].data), "The third test file!");

  FakeWalker w = OpenVendor(kXiaomiFormat, file);
  const std::map<std::string, std::string> want = {
      {"testfile1", "d558c9339cb967341d701e3184f863d3928973fccdc1d96042583730b5c7b76a"},
      {"testfile2", "faa11db49f32a90b51dfc3f0254f9fd7a7b46d0b570abd47e1943b86d554447a"},
      {"generic folder/test file 3_.txt",
       "289b5a050a83837f192d7129e4c4e02570b94b4924e50159fad5ed1067cfbfeb"}};
  for (const auto& [path, sha] : want) {
    const FakeWalker::RecordedNode* node = w.FindNode(path);
    ASSERT_NE(node, nullptr) << path;
    EXPECT_EQ(Sha256Of(node->content), sha) << path;
  }
  const FakeWalker::RecordedNode* dir = w.FindNode("generic folder");
  ASSERT_NE(dir, nullptr);
  EXPECT_EQ(dir->node.type, NodeType::kDirectory);
  EXPECT_NE(w.FindNote(Note::Kind::kInfo, "Xiaomi HDR1, device id 0x0047"), nullptr)
      << w.AllNotes();
}

TEST(XiaomiTest, Hdr2WithTwoBlobs) {
  Bytes kernel = TestData(5000, 1), rootfs = TestData(9000, 2);
  Bytes file = BuildXiaomi(2, {{"kernel.bin", kernel}, {"rootfs.bin", rootfs}});
  Result<vendor::Image> image = vendor::ParseXiaomi(file);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->length, file.size());
  EXPECT_EQ(image->summary, "Xiaomi HDR2, device RA70, region EU");
  EXPECT_TRUE(HasNote(*image, Note::Kind::kInfo, "CRC32 verified")) << NotesOf(*image);
  ASSERT_EQ(image->parts.size(), 2u);
  EXPECT_EQ(Bytes(image->parts[1].data.begin(), image->parts[1].data.end()), rootfs);
  EXPECT_EQ(image->parts[1].offset, 80u + 48 + 5000 + 48);
}

TEST(XiaomiTest, CrcMismatchStillOffersBlobs) {
  Bytes file = BuildXiaomi(1, {{"a", TestData(300, 3)}});
  file[48 + 48 + 10] ^= 0xff;
  Result<vendor::Image> image = vendor::ParseXiaomi(file);
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "CRC32 mismatch")) << NotesOf(*image);
  ASSERT_EQ(image->parts.size(), 1u);
  EXPECT_EQ(image->parts[0].size, 300u);
}

TEST(XiaomiTest, LyingBlobSizeAndRepeatedOffset) {
  Bytes file = BuildXiaomi(1, {{"a", TestData(300, 3)}, {"b", TestData(200, 4)}});
  PutLE32(file, 48 + 8, 0x7fffffff);           // blob a claims 2 GiB
  PutLE32(file, 16 + 8, LoadLE32(&file[16]));  // a third slot repeats the first offset
  Result<vendor::Image> image = vendor::ParseXiaomi(file);
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "runs past the image length"))
      << NotesOf(*image);
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "repeats offset")) << NotesOf(*image);
  ASSERT_EQ(image->parts.size(), 2u);
  EXPECT_LE(image->parts[0].data.size(), file.size());
}

TEST(XiaomiTest, TruncatedImage) {
  Bytes file = BuildXiaomi(1, {{"a", TestData(3000, 3)}});
  file.resize(1000);
  Result<vendor::Image> image = vendor::ParseXiaomi(file);
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(HasNote(*image, Note::Kind::kCorrupt, "truncated")) << NotesOf(*image);
  ASSERT_EQ(image->parts.size(), 1u);
  EXPECT_EQ(image->parts[0].data.size(), 1000u - 96);
  FakeWalker w = OpenVendor(kXiaomiFormat, file);
  EXPECT_EQ(w.payloads.size(), 1u);
}

TEST(XiaomiTest, RandomBytesAfterMagicAreRefused) {
  for (uint32_t seed = 1; seed < 200; ++seed) {
    Bytes junk = TestData(4096, seed);
    PutString(junk, 0, seed % 2 ? "HDR1" : "HDR2");
    EXPECT_FALSE(vendor::ProbeXiaomi(junk).has_value()) << seed;
  }
  Bytes file = BuildXiaomi(1, {{"a", TestData(300, 3)}});
  PutLE32(file, 48, 0x1234);  // blob magic gone
  EXPECT_FALSE(vendor::ProbeXiaomi(file).has_value());
  EXPECT_FALSE(vendor::ParseXiaomi(file).ok());
}

}  // namespace
}  // namespace clearbox::unpack
