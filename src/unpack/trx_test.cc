#include "trx.h"

#include <gtest/gtest.h>

#include "flash_test_util.h"
#include "internal/format.h"

namespace clearbox::unpack::internal {
extern const FormatHandler kTrxFormat;
}

namespace clearbox::unpack {
namespace {

using internal::kTrxFormat;
using testing::FakeWalker;
using testing::ReadBytes;
using testing::TestData;

FakeWalker OpenWithHandler(ByteView image) {
  FakeWalker walker;
  std::optional<internal::Match> match = kTrxFormat.probe(image);
  EXPECT_TRUE(match.has_value());
  if (!match) return walker;
  ByteView container = image.first(std::min<uint64_t>(image.size(), match->length));
  Result<uint64_t> spanned = kTrxFormat.open(container, *match, walker);
  EXPECT_TRUE(spanned.ok()) << spanned.error().ToString();
  return walker;
}

void PutLE32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// Builds a TRX the way OpenWrt's trx tool does: header, partitions aligned to 4 bytes, the
// whole image padded to `pad_to`, Broadcom's CRC (~zlib crc32) over [12, length).
Bytes BuildTrx(int version, const std::vector<Bytes>& parts, size_t pad_to = 0) {
  size_t header = version == 2 ? 32 : 28;
  Bytes image(header, 0);
  PutLE32(image, 0, 0x30524448);
  image[14] = static_cast<uint8_t>(version);
  for (size_t i = 0; i < parts.size(); ++i) {
    while (image.size() % 4) image.push_back(0);
    PutLE32(image, 16 + 4 * i, static_cast<uint32_t>(image.size()));
    image.insert(image.end(), parts[i].begin(), parts[i].end());
  }
  if (pad_to > image.size()) image.resize(pad_to, 0xff);
  PutLE32(image, 4, static_cast<uint32_t>(image.size()));
  PutLE32(image, 8, ~Crc32(ByteView(image).subspan(12)));
  return image;
}

TEST(TrxTest, RealSampleHeaderCrcAndZipPartition) {
  Bytes file = ReadBytes(testing::kRealCorpus + "trx_test.img");
  ASSERT_EQ(file.size(), 4096u);
  Result<trx::Image> image = trx::Parse(file);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_EQ(image->header.version, 1);
  EXPECT_EQ(image->header.length, 4096u);
  EXPECT_EQ(image->header.stored_crc, 0xE154686Cu);
  EXPECT_TRUE(image->crc_ok());
  EXPECT_TRUE(image->notes.empty());
  ASSERT_EQ(image->partitions.size(), 1u);
  EXPECT_EQ(image->partitions[0].offset, 28u);
  EXPECT_EQ(image->partitions[0].size, 4096u - 28);

  FakeWalker w = OpenWithHandler(file);
  ASSERT_EQ(w.payloads.size(), 1u) << w.AllNotes();
  EXPECT_EQ(w.payloads[0].label, "part0");
  EXPECT_EQ(w.payloads[0].offset, 28u);
  ASSERT_GE(w.payloads[0].bytes.size(), 4u);
  EXPECT_EQ(AsChars(ByteView(w.payloads[0].bytes).first(4)), std::string_view("PK\x03\x04", 4));
  EXPECT_TRUE(w.nodes.empty());  // a ZIP: opened by the engine, not listed as a file
  EXPECT_NE(
      w.FindNote(Note::Kind::kInfo, "TRX v1, 4096 bytes, flags 0x0000, CRC 0xe154686c (verified)"),
      nullptr)
      << w.AllNotes();
}

TEST(TrxTest, ProbeGivesLengthAndPartitions) {
  Bytes file = ReadBytes(testing::kRealCorpus + "trx_test.img");
  std::optional<internal::Match> m = kTrxFormat.probe(file);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->length, 4096u);
  EXPECT_EQ(m->detail, "v1, 1 partition");
}

TEST(TrxTest, VersionOneWithThreePartitions) {
  std::vector<Bytes> parts = {TestData(1001, 1), TestData(20'002, 2), TestData(30'000, 3)};
  Bytes image = BuildTrx(1, parts, 65536);
  FakeWalker w = OpenWithHandler(image);
  ASSERT_EQ(w.payloads.size(), 3u) << w.AllNotes();
  EXPECT_EQ(w.payloads[0].label, "part0");
  EXPECT_EQ(w.payloads[0].offset, 28u);
  // Partitions run to the next offset (alignment bytes included); the last to the length.
  EXPECT_EQ(Bytes(w.payloads[0].bytes.begin(), w.payloads[0].bytes.begin() + 1001), parts[0]);
  EXPECT_EQ(w.payloads[0].bytes.size(), 1004u);
  EXPECT_EQ(Bytes(w.payloads[1].bytes.begin(), w.payloads[1].bytes.begin() + 20'002), parts[1]);
  EXPECT_EQ(w.payloads[2].bytes.size(), 65536u - w.payloads[2].offset);
  EXPECT_EQ(Bytes(w.payloads[2].bytes.begin(), w.payloads[2].bytes.begin() + 30'000), parts[2]);
  EXPECT_EQ(w.FindNote(Note::Kind::kCorrupt, ""), nullptr) << w.AllNotes();
  // Raw partitions no format claims are listed as files too.
  ASSERT_EQ(w.nodes.size(), 3u);
  EXPECT_EQ(w.nodes[1].node.path, "part1");
  EXPECT_EQ(w.nodes[1].content, w.payloads[1].bytes);
}

TEST(TrxTest, VersionTwoWithFourPartitions) {
  std::vector<Bytes> parts = {TestData(100, 1), TestData(200, 2), TestData(300, 3),
                              TestData(400, 4)};
  Bytes image = BuildTrx(2, parts);
  Result<trx::Image> parsed = trx::Parse(image);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->crc_ok());
  ASSERT_EQ(parsed->partitions.size(), 4u);
  EXPECT_EQ(parsed->partitions[0].offset, 32u);
  EXPECT_EQ(parsed->partitions[3].label, "part3");
  EXPECT_EQ(Bytes(parsed->partitions[3].data.begin(), parsed->partitions[3].data.end()), parts[3]);
}

TEST(TrxTest, CrcMismatchIsANoteAndPartitionsStillCome) {
  Bytes image = BuildTrx(1, {TestData(5000, 1)});
  image[100] ^= 0x40;
  FakeWalker w = OpenWithHandler(image);
  const Note* n = w.FindNote(Note::Kind::kCorrupt, "CRC mismatch: stored 0x");
  ASSERT_NE(n, nullptr) << w.AllNotes();
  EXPECT_EQ(n->offset, 8u);
  EXPECT_EQ(w.payloads.size(), 1u);
}

TEST(TrxTest, TruncatedImageSaysWhatIsMissing) {
  Bytes image = BuildTrx(1, {TestData(5000, 1), TestData(5000, 2)});
  size_t full = image.size();
  image.resize(3000);
  Result<trx::Image> parsed = trx::Parse(image);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->computed_crc.has_value());
  ASSERT_EQ(parsed->notes.size(), 1u);
  EXPECT_EQ(parsed->notes[0].message, "truncated: the header says " + std::to_string(full) +
                                          " bytes, 3000 are present (" +
                                          std::to_string(full - 3000) + " missing)");
  ASSERT_EQ(parsed->partitions.size(), 2u);
  EXPECT_EQ(parsed->partitions[0].data.size(), 3000u - 28);
  EXPECT_TRUE(parsed->partitions[1].data.empty());
}

TEST(TrxTest, OffsetsOutOfOrderOrRangeAreIgnoredWithANote) {
  Bytes image = BuildTrx(1, {TestData(100, 1), TestData(100, 2), TestData(100, 3)});
  PutLE32(image, 20, 8);        // part1 inside the header
  PutLE32(image, 24, 1 << 30);  // part2 past the length
  PutLE32(image, 8, ~Crc32(ByteView(image).subspan(12)));
  Result<trx::Image> parsed = trx::Parse(image);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->partitions.size(), 1u);
  EXPECT_EQ(parsed->partitions[0].size, image.size() - 28);
  ASSERT_EQ(parsed->notes.size(), 2u);
  EXPECT_EQ(parsed->notes[0].message, "partition 1 offset 0x8 lies outside [0x1d, 0x148): ignored");
  EXPECT_EQ(parsed->notes[0].offset, 20u);
  EXPECT_EQ(parsed->notes[1].offset, 24u);
}

TEST(TrxTest, ProbeRejectsBadMagic) {
  Bytes image = BuildTrx(1, {TestData(100, 1)});
  image[3] = '1';
  EXPECT_FALSE(kTrxFormat.probe(image).has_value());
  EXPECT_FALSE(trx::Parse(image).ok());
}

TEST(TrxTest, ProbeRejectsUnknownVersion) {
  Bytes image = BuildTrx(1, {TestData(100, 1)});
  image[14] = 3;
  EXPECT_FALSE(kTrxFormat.probe(image).has_value());
  Result<trx::Image> parsed = trx::Parse(image);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidInput);
}

TEST(TrxTest, ProbeRejectsAShortHeader) {
  Bytes image = BuildTrx(1, {TestData(100, 1)});
  image.resize(27);
  EXPECT_FALSE(kTrxFormat.probe(image).has_value());
}

TEST(TrxTest, ProbeRejectsLengthShorterThanHeader) {
  Bytes image = BuildTrx(1, {TestData(100, 1)});
  PutLE32(image, 4, 20);
  EXPECT_FALSE(kTrxFormat.probe(image).has_value());
  Result<trx::Image> parsed = trx::Parse(image);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->partitions.empty());
  EXPECT_EQ(parsed->notes[0].message, "length 20 is shorter than the 28-byte header");
}

TEST(TrxTest, ProbeRejectsHeaderWithoutUsableOffsets) {
  Bytes image = BuildTrx(1, {TestData(100, 1)});
  PutLE32(image, 16, 0);
  EXPECT_FALSE(kTrxFormat.probe(image).has_value());
  Result<trx::Image> parsed = trx::Parse(image);
  ASSERT_TRUE(parsed.ok());
  EXPECT_NE(parsed->notes.back().message.find("no usable partition offset"), std::string::npos);
}

}  // namespace
}  // namespace clearbox::unpack
