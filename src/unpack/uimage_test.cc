#include "uimage.h"

#include <gtest/gtest.h>

#include "flash_test_util.h"
#include "internal/format.h"

namespace clearbox::unpack::internal {
extern const FormatHandler kUimageFormat;
}

namespace clearbox::unpack {
namespace {

using internal::kUimageFormat;
using testing::FakeWalker;
using testing::ReadBytes;
using testing::RunCommand;
using testing::TempDir;
using testing::TestData;
using testing::WriteBytes;

constexpr uint64_t kTplinkDataSize = 32753;

// Opens `image` with the uImage handler the way the engine does: probe, then open.
FakeWalker OpenWithHandler(ByteView image, Limits limits = {}) {
  FakeWalker walker(limits);
  std::optional<internal::Match> match = kUimageFormat.probe(image);
  EXPECT_TRUE(match.has_value());
  if (!match) return walker;
  ByteView container = image.first(std::min<uint64_t>(image.size(), match->length));
  Result<uint64_t> spanned = kUimageFormat.open(container, *match, walker);
  EXPECT_TRUE(spanned.ok()) << spanned.error().ToString();
  return walker;
}

TEST(UimageTest, RealTplinkImageHeaderAndCrcs) {
  Bytes file = ReadBytes(testing::kRealCorpus + "tplink_uboot_uimage_mips_truncated.bin");
  ASSERT_EQ(file.size(), 327817u);
  Result<uimage::Image> image = uimage::Parse(file);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  const uimage::Header& h = image->header;
  EXPECT_EQ(h.name, "u-boot image");
  EXPECT_EQ(uimage::TypeName(h.type), "firmware");
  EXPECT_EQ(uimage::CompressionName(h.comp), "lzma");
  EXPECT_EQ(uimage::OsName(h.os), "linux");
  EXPECT_EQ(uimage::ArchName(h.arch), "mips");
  EXPECT_EQ(h.data_size, kTplinkDataSize);
  EXPECT_EQ(h.load, 0x80010000u);
  EXPECT_EQ(h.entry, 0x80010000u);
  EXPECT_EQ(h.stored_header_crc, 0x05037284u);
  EXPECT_TRUE(h.header_crc_ok());
  EXPECT_EQ(h.data_crc, 0x385A8513u);
  EXPECT_TRUE(image->data_crc_ok());
  EXPECT_TRUE(image->notes.empty());
  ASSERT_EQ(image->parts.size(), 1u);
  EXPECT_EQ(image->parts[0].data.size(), kTplinkDataSize);
}

TEST(UimageTest, RealTplinkImageDecompressesItsLzmaPayload) {
  Bytes file = ReadBytes(testing::kRealCorpus + "tplink_uboot_uimage_mips_truncated.bin");
  FakeWalker w = OpenWithHandler(file);
  ASSERT_EQ(w.payloads.size(), 1u) << w.AllNotes();
  EXPECT_EQ(w.payloads[0].label, "");
  EXPECT_EQ(w.payloads[0].offset, 64u);
  EXPECT_EQ(w.payloads[0].bytes.size(), 93576u);
  EXPECT_EQ(w.payloads[0].compressed_size, kTplinkDataSize);
  // The decompressed U-Boot binary names itself.
  std::string_view text = AsChars(w.payloads[0].bytes);
  EXPECT_NE(text.find("U-Boot 1.1.4"), std::string_view::npos);
  EXPECT_NE(w.FindNote(Note::Kind::kInfo, "firmware 'u-boot image' (linux/mips, lzma"), nullptr)
      << w.AllNotes();
  EXPECT_EQ(w.FindNote(Note::Kind::kCorrupt, ""), nullptr) << w.AllNotes();
  // No format claims a bare U-Boot binary: it is listed as a file named after the type.
  ASSERT_EQ(w.nodes.size(), 1u);
  EXPECT_EQ(w.nodes[0].node.path, "firmware");
  EXPECT_EQ(w.nodes[0].node.mtime, 0x541fe20b);  // the header's timestamp
  EXPECT_EQ(w.nodes[0].content, w.payloads[0].bytes);
}

TEST(UimageTest, PayloadThatIsAContainerIsNotAlsoAFile) {
  TempDir dir;
  WriteBytes(dir / "data", TestData(5000, 2));
  ASSERT_TRUE(RunCommand("tar -C " + dir.path().string() + " -cf " + (dir / "data.tar") + " data"));
  // Stored (-C none): the payload is a tar, which the engine opens itself.
  ASSERT_TRUE(RunCommand("mkimage -A arm -O linux -T ramdisk -C none -n r -d " +
                         (dir / "data.tar") + " " + (dir / "image") + " > /dev/null"));
  FakeWalker w = OpenWithHandler(ReadBytes(dir / "image"));
  EXPECT_EQ(w.payloads.size(), 1u);
  EXPECT_TRUE(w.nodes.empty());
}

TEST(UimageTest, StoredCompressedPartIsListedDecoded) {
  TempDir dir;
  Bytes data = TestData(5000, 2);
  WriteBytes(dir / "data", data);
  ASSERT_TRUE(RunCommand("gzip -n " + (dir / "data")));
  // A multi-file image's kernel is typically a compressed stream under "-C none".
  ASSERT_TRUE(RunCommand("mkimage -A arm -O linux -T ramdisk -C none -n r -d " + (dir / "data.gz") +
                         " " + (dir / "image") + " > /dev/null"));
  FakeWalker w = OpenWithHandler(ReadBytes(dir / "image"));
  ASSERT_EQ(w.nodes.size(), 1u);
  EXPECT_EQ(w.nodes[0].node.path, "ramdisk");
  EXPECT_EQ(w.nodes[0].content, data);
  ASSERT_EQ(w.payloads.size(), 1u);
  EXPECT_EQ(w.payloads[0].bytes, data);
}

TEST(UimageTest, ProbeGivesTheLengthFromTheHeader) {
  Bytes file = ReadBytes(testing::kRealCorpus + "tplink_uboot_uimage_mips_truncated.bin");
  std::optional<internal::Match> m = kUimageFormat.probe(file);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->length, 64 + kTplinkDataSize);
  EXPECT_EQ(m->detail, "firmware, lzma");
}

// Images built by mkimage, one per type and compression.
struct BuildCase {
  std::string type;
  std::string comp;
  std::string compress_command;  // turns $in into $in.c; empty: stored
};

class MkimageTest : public ::testing::TestWithParam<BuildCase> {};

TEST_P(MkimageTest, PayloadRoundTripsAndCrcsVerify) {
  const BuildCase& c = GetParam();
  TempDir dir;
  Bytes data = TestData(200'000, 11);
  WriteBytes(dir / "data", data);
  std::string input = dir / "data";
  if (!c.compress_command.empty()) {
    ASSERT_TRUE(RunCommand(c.compress_command + " < " + input + " > " + input + ".c"));
    input += ".c";
  }
  ASSERT_TRUE(RunCommand("mkimage -A arm -O linux -T " + c.type + " -C " + c.comp +
                         " -a 0x80008000 -e 0x80008000 -n 'test " + c.type + "' -d " + input + " " +
                         (dir / "image") + " > /dev/null"));
  Bytes image = ReadBytes(dir / "image");

  Result<uimage::Image> parsed = uimage::Parse(image);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_TRUE(parsed->header.header_crc_ok());
  EXPECT_TRUE(parsed->data_crc_ok());
  EXPECT_EQ(uimage::TypeName(parsed->header.type), c.type);
  EXPECT_EQ(uimage::CompressionName(parsed->header.comp), c.comp);
  EXPECT_EQ(parsed->header.name, "test " + c.type);
  EXPECT_EQ(parsed->header.load, 0x80008000u);

  FakeWalker w = OpenWithHandler(image);
  ASSERT_EQ(w.payloads.size(), 1u) << w.AllNotes();
  EXPECT_EQ(w.payloads[0].bytes, data);
  EXPECT_EQ(w.FindNote(Note::Kind::kCorrupt, ""), nullptr) << w.AllNotes();
  ASSERT_EQ(w.nodes.size(), 1u);  // plain data: listed as a file named after the type
  EXPECT_EQ(w.nodes[0].node.path, c.type);
  EXPECT_EQ(w.nodes[0].content, data);
}

INSTANTIATE_TEST_SUITE_P(
    TypesAndCompressions, MkimageTest,
    ::testing::Values(BuildCase{"kernel", "none", ""}, BuildCase{"kernel", "gzip", "gzip -9 -n"},
                      BuildCase{"kernel", "lzma", "lzma -6"}, BuildCase{"kernel", "bzip2", "bzip2"},
                      BuildCase{"kernel", "lzo", "lzop -c"}, BuildCase{"kernel", "lz4", "lz4 -c"},
                      BuildCase{"kernel", "zstd", "zstd -q -c"},
                      BuildCase{"ramdisk", "gzip", "gzip -n"}, BuildCase{"filesystem", "none", ""},
                      BuildCase{"firmware", "lzma", "lzma"}, BuildCase{"standalone", "none", ""},
                      BuildCase{"kernel_noload", "none", ""}),
    [](const auto& info) {
      std::string n = info.param.type + "_" + info.param.comp;
      std::erase_if(
          n, [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)) && ch != '_'; });
      return n;
    });

TEST(UimageTest, MultiFileImageHandsOnEveryPart) {
  TempDir dir;
  // Odd sizes so that the 4-byte padding between parts matters.
  std::vector<Bytes> parts = {TestData(10'001, 1), TestData(5'003, 2), TestData(777, 3)};
  std::string list;
  for (size_t i = 0; i < parts.size(); ++i) {
    WriteBytes(dir / ("p" + std::to_string(i)), parts[i]);
    list += (i ? ":" : "") + (dir / ("p" + std::to_string(i)));
  }
  ASSERT_TRUE(RunCommand("mkimage -A mips -O linux -T multi -C none -n multi -d " + list + " " +
                         (dir / "image") + " > /dev/null"));
  Bytes image = ReadBytes(dir / "image");
  Result<uimage::Image> parsed = uimage::Parse(image);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->parts.size(), 3u);
  EXPECT_EQ(parsed->parts[0].offset, 64u + 16);  // three sizes and the terminating zero
  EXPECT_EQ(parsed->parts[1].offset, 64u + 16 + 10'004);

  FakeWalker w = OpenWithHandler(image);
  ASSERT_EQ(w.payloads.size(), 3u) << w.AllNotes();
  for (size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(w.payloads[i].label, "part" + std::to_string(i));
    EXPECT_EQ(w.payloads[i].bytes, parts[i]);
    ASSERT_EQ(w.nodes.size(), parts.size());
    EXPECT_EQ(w.nodes[i].node.path, "part" + std::to_string(i));
  }
  EXPECT_TRUE(w.notes.size() == 1) << w.AllNotes();  // the header's description only
}

TEST(UimageTest, MultiFileImageWithGzipKernelDecompressesOnlyWhatIsGzip) {
  TempDir dir;
  Bytes kernel = TestData(30'000, 4);
  Bytes rootfs = TestData(20'000, 5);
  WriteBytes(dir / "kernel", kernel);
  WriteBytes(dir / "rootfs", rootfs);
  ASSERT_TRUE(RunCommand("gzip -n " + (dir / "kernel")));
  ASSERT_TRUE(RunCommand("mkimage -A arm -O linux -T multi -C gzip -n m -d " + (dir / "kernel.gz") +
                         ":" + (dir / "rootfs") + " " + (dir / "image") + " > /dev/null"));
  FakeWalker w = OpenWithHandler(ReadBytes(dir / "image"));
  ASSERT_EQ(w.payloads.size(), 2u);
  EXPECT_EQ(w.payloads[0].bytes, kernel);
  EXPECT_EQ(w.payloads[1].bytes, rootfs);  // not gzip: handed on as stored, no corruption
  EXPECT_EQ(w.FindNote(Note::Kind::kCorrupt, ""), nullptr) << w.AllNotes();
  EXPECT_NE(w.FindNote(Note::Kind::kInfo, "part1: gzip:"), nullptr) << w.AllNotes();
}

TEST(UimageTest, ScriptImageHandsOnTheScriptText) {
  TempDir dir;
  std::string script = "setenv bootargs console=ttyS0\nbootm 0x80000000\n";
  WriteBytes(dir / "boot.cmd", AsBytes(script));
  ASSERT_TRUE(RunCommand("mkimage -A arm -O linux -T script -C none -n boot -d " +
                         (dir / "boot.cmd") + " " + (dir / "boot.scr") + " > /dev/null"));
  FakeWalker w = OpenWithHandler(ReadBytes(dir / "boot.scr"));
  ASSERT_EQ(w.payloads.size(), 1u);
  EXPECT_EQ(w.payloads[0].label, "");
  EXPECT_EQ(AsChars(w.payloads[0].bytes), script);
}

void FixHeaderCrc(Bytes& image) {
  std::memset(image.data() + 4, 0, 4);
  StoreBE32(image.data() + 4, Crc32(ByteView(image).first(64)));
}

// A small gzip kernel image built in memory for the corruption tests.
Bytes GzipKernelImage(Bytes* original) {
  TempDir dir;
  *original = TestData(100'000, 21);
  WriteBytes(dir / "k", *original);
  EXPECT_TRUE(RunCommand("gzip -n -c " + (dir / "k") + " > " + (dir / "k.gz")));
  EXPECT_TRUE(RunCommand("mkimage -A arm -O linux -T kernel -C gzip -n k -d " + (dir / "k.gz") +
                         " " + (dir / "image") + " > /dev/null"));
  return ReadBytes(dir / "image");
}

TEST(UimageTest, HeaderCrcMismatchIsANoteAndThePayloadStillComes) {
  Bytes original;
  Bytes image = GzipKernelImage(&original);
  image[8] ^= 0x01;  // the timestamp: covered by the header CRC only
  FakeWalker w = OpenWithHandler(image);
  EXPECT_NE(w.FindNote(Note::Kind::kCorrupt, "header CRC mismatch"), nullptr) << w.AllNotes();
  ASSERT_EQ(w.payloads.size(), 1u);
  EXPECT_EQ(w.payloads[0].bytes, original);
}

TEST(UimageTest, DataCrcMismatchIsANote) {
  Bytes original;
  Bytes image = GzipKernelImage(&original);
  image[64 + 5] ^= 0x01;  // gzip header mtime byte: the stream still decodes
  FakeWalker w = OpenWithHandler(image);
  const Note* n = w.FindNote(Note::Kind::kCorrupt, "data CRC mismatch: stored 0x");
  ASSERT_NE(n, nullptr) << w.AllNotes();
  EXPECT_EQ(n->offset, 64u);
  ASSERT_EQ(w.payloads.size(), 1u);
  EXPECT_EQ(w.payloads[0].bytes, original);
}

TEST(UimageTest, TruncatedImageSaysWhatIsMissingAndHandsOnThePrefix) {
  Bytes original;
  Bytes image = GzipKernelImage(&original);
  uint64_t full = image.size();
  image.resize(64 + (full - 64) / 2);
  Result<uimage::Image> parsed = uimage::Parse(image);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->computed_data_crc.has_value());
  ASSERT_EQ(parsed->notes.size(), 1u);
  EXPECT_EQ(parsed->notes[0].message,
            "truncated: the header says " + std::to_string(full - 64) + " data bytes, " +
                std::to_string((full - 64) / 2) + " are present (" +
                std::to_string(full - 64 - (full - 64) / 2) + " missing)");

  FakeWalker w = OpenWithHandler(image);
  ASSERT_EQ(w.payloads.size(), 1u) << w.AllNotes();
  const Bytes& got = w.payloads[0].bytes;
  EXPECT_GT(got.size(), 0u);
  EXPECT_LT(got.size(), original.size());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), original.begin()));
  EXPECT_NE(w.FindNote(Note::Kind::kCorrupt, "gzip: truncated"), nullptr) << w.AllNotes();
}

TEST(UimageTest, UndecodablePayloadIsHandedOnAsStored) {
  Bytes original;
  Bytes image = GzipKernelImage(&original);
  image[31] = uimage::kCompBzip2;  // the header lies about the codec
  FixHeaderCrc(image);
  FakeWalker w = OpenWithHandler(image);
  EXPECT_NE(w.FindNote(Note::Kind::kCorrupt, "payload: bzip2: not a bzip2 header"), nullptr)
      << w.AllNotes();
  ASSERT_EQ(w.payloads.size(), 1u);
  EXPECT_EQ(w.payloads[0].bytes, Bytes(image.begin() + 64, image.end()));
}

TEST(UimageTest, UnknownCompressionIsUnsupportedAndStored) {
  Bytes original;
  Bytes image = GzipKernelImage(&original);
  image[31] = 42;
  FixHeaderCrc(image);  // a valid header that names a codec U-Boot does not have
  FakeWalker w = OpenWithHandler(image);
  EXPECT_NE(w.FindNote(Note::Kind::kUnsupported, "compression unknown (42)"), nullptr)
      << w.AllNotes();
  // The stored payload is still a gzip stream, so it is decoded all the same.
  ASSERT_EQ(w.payloads.size(), 1u);
  EXPECT_EQ(w.payloads[0].bytes, original);
}

TEST(UimageTest, DecompressionBombStopsAtTheBudget) {
  TempDir dir;
  ASSERT_TRUE(RunCommand("head -c 50000000 /dev/zero | gzip -n > " + (dir / "zeros.gz")));
  ASSERT_TRUE(RunCommand("mkimage -A arm -O linux -T ramdisk -C gzip -n bomb -d " +
                         (dir / "zeros.gz") + " " + (dir / "image") + " > /dev/null"));
  Limits limits;
  limits.max_ratio = 100;  // 50 KB of gzip may give 5 MB at most (1 MiB floor)
  FakeWalker w = OpenWithHandler(ReadBytes(dir / "image"), limits);
  EXPECT_TRUE(w.payloads.empty());
  EXPECT_NE(w.FindNote(Note::Kind::kLimit, "payload: gzip: output exceeds the limit"), nullptr)
      << w.AllNotes();
}

// Hand-made headers for the rejection paths.
Bytes Header(uint32_t data_size, uint8_t type, uint8_t comp, bool fix_crc = true) {
  Bytes h(64, 0);
  StoreBE32(h.data(), uimage::kMagic);
  StoreBE32(h.data() + 12, data_size);
  h[28] = 5;  // linux
  h[29] = 2;  // arm
  h[30] = type;
  h[31] = comp;
  if (fix_crc) StoreBE32(h.data() + 4, Crc32(h));
  return h;
}

TEST(UimageTest, ProbeRejectsAMissingMagic) {
  Bytes h = Header(16, 2, 0);
  h[0] = 0x28;
  EXPECT_FALSE(kUimageFormat.probe(h).has_value());
  EXPECT_FALSE(uimage::Parse(h).ok());
}

TEST(UimageTest, ProbeRejectsAShortHeader) {
  Bytes h = Header(16, 2, 0);
  h.resize(63);
  EXPECT_FALSE(kUimageFormat.probe(h).has_value());
  Result<uimage::Image> parsed = uimage::Parse(h);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(parsed.error().message(), "uimage: 63 bytes, a header needs 64");
}

TEST(UimageTest, ProbeRejectsABadCrcWithImplausibleFields) {
  Bytes h = Header(16, 2, 0, /*fix_crc=*/false);
  h[31] = 200;  // no such compression
  EXPECT_FALSE(kUimageFormat.probe(h).has_value());
  h[31] = 0;  // plausible again: a damaged header is still reported
  std::optional<internal::Match> m = kUimageFormat.probe(h);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->detail, "kernel, none, header CRC mismatch");
}

TEST(UimageTest, MultiTableWithoutEndIsANote) {
  Bytes image = Header(8, uimage::kTypeMulti, 0);
  for (int i = 0; i < 8; ++i) image.push_back(0x11);  // sizes 0x11111111, no zero
  Result<uimage::Image> parsed = uimage::Parse(image);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->parts.empty());
  bool found = false;
  for (const Note& n : parsed->notes)
    found |= n.message.find("size table has no end") != std::string::npos;
  EXPECT_TRUE(found);
}

TEST(UimageTest, MultiPartPastTheDataIsANoteAndKeepsWhatExists) {
  Bytes image = Header(16, uimage::kTypeMulti, 0);
  const uint8_t table[] = {0, 0, 0, 4, 0, 0, 0, 100, 0, 0, 0, 0};
  image.insert(image.end(), std::begin(table), std::end(table));
  for (uint8_t b : {1, 2, 3, 4}) image.push_back(b);  // part0: 4 bytes; part1 has none
  Result<uimage::Image> parsed = uimage::Parse(image);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->parts.size(), 2u);
  EXPECT_EQ(parsed->parts[0].data.size(), 4u);
  EXPECT_TRUE(parsed->parts[1].data.empty());
  bool found = false;
  for (const Note& n : parsed->notes) {
    found |= n.message == "part 1 (100 bytes at data offset 16) runs past the 16 data bytes";
  }
  EXPECT_TRUE(found);
}

TEST(UimageTest, HugeMultiTableIsCappedAtMaxParts) {
  const size_t count = uimage::kMaxParts + 10;
  Bytes image = Header(static_cast<uint32_t>(4 * (count + 1) + 4 * count), uimage::kTypeMulti, 0);
  for (size_t i = 0; i < count; ++i) {
    for (uint8_t b : {0, 0, 0, 4}) image.push_back(b);
  }
  for (int i = 0; i < 4; ++i) image.push_back(0);
  image.resize(image.size() + 4 * count, 0xab);
  Result<uimage::Image> parsed = uimage::Parse(image);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->parts.size(), uimage::kMaxParts);
}

}  // namespace
}  // namespace clearbox::unpack
