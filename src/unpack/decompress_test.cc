#include "decompress.h"

#include <bzlib.h>
#include <gtest/gtest.h>
#include <lz4.h>
#include <lz4frame.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <map>

#include "flash_test_util.h"

namespace clearbox::unpack {
namespace {

using testing::ReadBytes;
using testing::TempDir;
using testing::TestData;
using testing::WriteBytes;

// Encoders from the same libraries (and lzop's own tool), so every vector is a real stream.
Bytes Deflate(ByteView in, int window_bits) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&s, in.size()) + 32);
  s.next_in = const_cast<Bytef*>(in.data());
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

Bytes LzmaEncode(ByteView in, Codec codec, const lzma_options_lzma* raw = nullptr,
                 lzma_vli raw_filter = LZMA_FILTER_LZMA1) {
  lzma_stream s = LZMA_STREAM_INIT;
  lzma_options_lzma opts;
  lzma_lzma_preset(&opts, 6);
  if (codec == Codec::kXz) {
    EXPECT_EQ(lzma_easy_encoder(&s, 6, LZMA_CHECK_CRC64), LZMA_OK);
  } else if (codec == Codec::kLzmaAlone) {
    EXPECT_EQ(lzma_alone_encoder(&s, &opts), LZMA_OK);
  } else {
    lzma_filter filters[2] = {{raw_filter, const_cast<lzma_options_lzma*>(raw)},
                              {LZMA_VLI_UNKNOWN, nullptr}};
    EXPECT_EQ(lzma_raw_encoder(&s, filters), LZMA_OK);
  }
  return testing::FinishLzmaEncoder(s, in);
}

Bytes Bzip2Encode(ByteView in) {
  Bytes out(in.size() + in.size() / 100 + 600);
  unsigned int len = static_cast<unsigned>(out.size());
  EXPECT_EQ(BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(out.data()), &len,
                                     const_cast<char*>(reinterpret_cast<const char*>(in.data())),
                                     static_cast<unsigned>(in.size()), 9, 0, 0),
            BZ_OK);
  out.resize(len);
  return out;
}

Bytes Lzo1xEncode(ByteView in) {
  EXPECT_EQ(lzo_init(), LZO_E_OK);
  Bytes out(in.size() + in.size() / 16 + 64 + 3);
  Bytes work(LZO1X_1_MEM_COMPRESS);
  lzo_uint len = out.size();
  EXPECT_EQ(lzo1x_1_compress(in.data(), in.size(), out.data(), &len, work.data()), LZO_E_OK);
  out.resize(len);
  return out;
}

Bytes LzopEncode(ByteView in) {
  TempDir dir;
  WriteBytes(dir / "data", in);
  EXPECT_TRUE(testing::RunCommand("lzop -q -c " + (dir / "data") + " > " + (dir / "data.lzo")));
  return ReadBytes(dir / "data.lzo");
}

// Real encoders the libraries lack (lzip, ncompress's compress, lz4 -l): `command` reads the
// data on stdin and writes the stream to stdout.
Bytes ToolEncode(const std::string& command, ByteView in) {
  TempDir dir;
  WriteBytes(dir / "data", in);
  if (!testing::RunCommand(command + " < " + (dir / "data") + " > " + (dir / "out"))) return {};
  return ReadBytes(dir / "out");
}

bool HaveTool(const std::string& name) {
  return std::system(("command -v " + name + " > /dev/null 2>&1").c_str()) == 0;
}

Bytes Lz4BlockEncode(ByteView in) {
  Bytes out(LZ4_compressBound(static_cast<int>(in.size())));
  int n = LZ4_compress_default(reinterpret_cast<const char*>(in.data()),
                               reinterpret_cast<char*>(out.data()), static_cast<int>(in.size()),
                               static_cast<int>(out.size()));
  EXPECT_GT(n, 0);
  out.resize(n);
  return out;
}

Bytes Lz4FrameEncode(ByteView in) {
  Bytes out(LZ4F_compressFrameBound(in.size(), nullptr));
  size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), nullptr);
  EXPECT_FALSE(LZ4F_isError(n));
  out.resize(n);
  return out;
}

Bytes ZstdEncode(ByteView in) {
  Bytes out(ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

Bytes Encode(Codec codec, ByteView in) {
  switch (codec) {
    case Codec::kZlib:
      return Deflate(in, 15);
    case Codec::kDeflateRaw:
      return Deflate(in, -15);
    case Codec::kGzip:
      return Deflate(in, 31);
    case Codec::kLzmaAlone:
    case Codec::kXz:
      return LzmaEncode(in, codec);
    case Codec::kLzmaRaw: {
      lzma_options_lzma opts;
      lzma_lzma_preset(&opts, 6);  // lc=3 lp=0 pb=2, as the default LzmaRawProps
      return LzmaEncode(in, codec, &opts);
    }
    case Codec::kBzip2:
      return Bzip2Encode(in);
    case Codec::kLzo1x:
      return Lzo1xEncode(in);
    case Codec::kLzop:
      return LzopEncode(in);
    case Codec::kLz4Block:
      return Lz4BlockEncode(in);
    case Codec::kLz4Frame:
      return Lz4FrameEncode(in);
    case Codec::kZstd:
      return ZstdEncode(in);
    case Codec::kLzip:
      return ToolEncode("lzip -q -c", in);
    case Codec::kCompress:
      return ToolEncode("compress -c", in);
    case Codec::kLz4Legacy:
      return ToolEncode("lz4 -q -l -c", in);
  }
  return {};
}

bool IsBlockCodec(Codec c) { return c == Codec::kLzo1x || c == Codec::kLz4Block; }

class CodecTest : public ::testing::TestWithParam<Codec> {
 protected:
  void SetUp() override {
    original_ = TestData(300'000, 7);
    // Encoding (xz at preset 6 above all) costs more than the tests: once per codec.
    static std::map<Codec, Bytes> cache;
    auto [it, fresh] = cache.try_emplace(GetParam());
    if (fresh) it->second = Encode(GetParam(), original_);
    compressed_ = it->second;
    ASSERT_FALSE(compressed_.empty());
    ASSERT_LT(compressed_.size(), original_.size());
  }
  Bytes original_;
  Bytes compressed_;
};

TEST_P(CodecTest, RoundTripsAndReportsConsumedBytes) {
  Bytes input = compressed_;
  if (!IsBlockCodec(GetParam())) {
    // Bytes after the end of the stream are not part of it: consumed says where it ended.
    for (uint8_t b : {0xde, 0xad, 0xbe, 0xef, 0x00, 0xff, 0x13}) input.push_back(b);
  }
  DecompressOptions o;
  o.max_out = 1 << 20;
  auto d = DecompressEx(GetParam(), input, o);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->data, original_);
  ASSERT_TRUE(d->consumed.has_value());
  EXPECT_EQ(*d->consumed, compressed_.size());
  EXPECT_FALSE(d->failure.has_value());
}

TEST_P(CodecTest, OutputExactlyAtLimitIsAccepted) {
  auto d = Decompress(GetParam(), compressed_, original_.size());
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(*d, original_);
}

TEST_P(CodecTest, OutputOneByteOverLimitIsRefused) {
  auto d = Decompress(GetParam(), compressed_, original_.size() - 1);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_NE(d.error().message().find(CodecName(GetParam())), std::string::npos)
      << d.error().message();
}

TEST_P(CodecTest, TruncatedStreamIsInvalidInputNamingTheCodec) {
  ByteView half = ByteView(compressed_).first(compressed_.size() / 2);
  auto d = Decompress(GetParam(), half, 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(d.error().message().rfind(std::string(CodecName(GetParam())) + ":", 0), 0u)
      << d.error().message();
}

TEST_P(CodecTest, KeepPartialReturnsThePrefixThatDecoded) {
  ByteView half = ByteView(compressed_).first(compressed_.size() / 2);
  DecompressOptions o;
  o.max_out = 1 << 20;
  o.keep_partial = true;
  auto d = DecompressEx(GetParam(), half, o);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  ASSERT_TRUE(d->failure.has_value());
  EXPECT_EQ(d->failure->code(), ErrorCode::kInvalidInput);
  EXPECT_FALSE(d->consumed.has_value());
  ASSERT_LE(d->data.size(), original_.size());
  EXPECT_TRUE(std::equal(d->data.begin(), d->data.end(), original_.begin()));
  if (GetParam() != Codec::kLz4Block && GetParam() != Codec::kBzip2 && GetParam() != Codec::kLzop) {
    // Streams decode block by block; half the input yields a good part of the output
    // (bzip2 900 KB and lzop 256 KiB blocks, and a lone LZ4 block, are all-or-nothing).
    EXPECT_GT(d->data.size(), original_.size() / 8);
  }
}

TEST_P(CodecTest, GarbageIsInvalidInput) {
  Bytes garbage = TestData(4096, 99);
  auto d = Decompress(GetParam(), garbage, 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidInput) << d.error().ToString();
}

TEST_P(CodecTest, EmptyInputIsInvalidInput) {
  auto d = Decompress(GetParam(), ByteView(), 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidInput);
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, CodecTest,
                         ::testing::Values(Codec::kZlib, Codec::kDeflateRaw, Codec::kGzip,
                                           Codec::kLzmaAlone, Codec::kXz, Codec::kLzmaRaw,
                                           Codec::kBzip2, Codec::kLzo1x, Codec::kLzop,
                                           Codec::kLz4Block, Codec::kLz4Frame, Codec::kZstd),
                         [](const auto& info) {
                           std::string name(CodecName(info.param));
                           std::erase(name, '-');
                           return name;
                         });

TEST(DecompressTest, CorruptDeflateNamesTheOffset) {
  Bytes data = TestData(100'000);
  Bytes gz = Deflate(data, 31);
  for (size_t i = 200; i < 260; ++i) gz[i] ^= 0x5a;
  auto d = Decompress(Codec::kGzip, gz, 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(d.error().message().find("at input offset"), std::string::npos) << d.error().message();
}

TEST(DecompressTest, ZeroBombStopsAtTheLimitQuickly) {
  Bytes zeros(64 << 20, 0);
  Bytes bomb = Deflate(zeros, 31);  // about 64 KiB
  auto start = std::chrono::steady_clock::now();
  auto d = Decompress(Codec::kGzip, bomb, 1 << 20);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(DecompressTest, BlockCodecRoomNeverPassesTheLimit) {
  Bytes zeros(8 << 20, 0);
  auto lz4 = Decompress(Codec::kLz4Block, Lz4BlockEncode(zeros), 100'000);
  ASSERT_FALSE(lz4.ok());
  EXPECT_EQ(lz4.error().code(), ErrorCode::kLimitExceeded);
  auto lzo = Decompress(Codec::kLzo1x, Lzo1xEncode(zeros), 100'000);
  ASSERT_FALSE(lzo.ok());
  EXPECT_EQ(lzo.error().code(), ErrorCode::kLimitExceeded);
}

TEST(DecompressTest, RawLzmaWithoutEndMarkerNeedsTheSize) {
  Bytes data = TestData(50'000, 3);
  lzma_options_lzma opts;
  lzma_lzma_preset(&opts, 6);
  opts.lc = 0;  // the props JFFS2 and some vendor squashfs use
  opts.lp = 0;
  opts.pb = 0;
  opts.ext_flags = 0;  // LZMA1EXT without ALLOW_EOPM: no end marker is written
  opts.ext_size_low = UINT32_MAX;
  opts.ext_size_high = UINT32_MAX;
  Bytes packed = LzmaEncode(data, Codec::kLzmaRaw, &opts, LZMA_FILTER_LZMA1EXT);

  DecompressOptions o;
  o.max_out = 1 << 20;
  o.lzma = {.lc = 0, .lp = 0, .pb = 0, .dict_size = 1 << 16};
  o.expected_size = data.size();
  auto d = DecompressEx(Codec::kLzmaRaw, packed, o);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->data, data);

  o.expected_size.reset();
  auto unsized = DecompressEx(Codec::kLzmaRaw, packed, o);
  ASSERT_FALSE(unsized.ok());
  EXPECT_EQ(unsized.error().code(), ErrorCode::kInvalidInput);

  o.expected_size = 2 << 20;  // a size field that lies beyond the limit
  auto lying = DecompressEx(Codec::kLzmaRaw, packed, o);
  ASSERT_FALSE(lying.ok());
  EXPECT_EQ(lying.error().code(), ErrorCode::kLimitExceeded);
}

TEST(DecompressTest, RawLzmaRejectsImpossibleProps) {
  DecompressOptions o;
  o.max_out = 1 << 20;
  o.lzma.lc = 9;
  auto d = DecompressEx(Codec::kLzmaRaw, TestData(100), o);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(d.error().message().find("lc=9"), std::string::npos);
}

TEST(DecompressTest, LzmaHeaderClaimingAHugeDictionaryIsBounded) {
  Bytes data = TestData(10'000);
  Bytes alone = LzmaEncode(data, Codec::kLzmaAlone);
  // Dictionary size field (bytes 1..4, LE) set to 4 GiB - 1: far over the memory limit.
  alone[1] = alone[2] = alone[3] = alone[4] = 0xff;
  auto d = Decompress(Codec::kLzmaAlone, alone, 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kLimitExceeded) << d.error().ToString();
}

TEST(DecompressTest, ZstdWindowOverTheLimitIsRefused) {
  // Frame header: magic, descriptor (no single segment), window log 10 + 21 = 31.
  const uint8_t frame[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0x01, 0x00, 0x00};
  auto d = Decompress(Codec::kZstd, frame, 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kLimitExceeded) << d.error().ToString();
}

TEST(DecompressTest, LzopRejectsBlockSizeOver64MiB) {
  Bytes lzo = LzopEncode(TestData(1000));
  // The first block starts after the header; lzop -c of a named file: find dst_len by
  // scanning for the big-endian block size 1000.
  const uint8_t size_be[] = {0, 0, 0x03, 0xe8};
  auto it = std::search(lzo.begin(), lzo.end(), std::begin(size_be), std::end(size_be));
  ASSERT_NE(it, lzo.end());
  it[0] = 0x10;  // 256 MiB + 1000
  auto d = Decompress(Codec::kLzop, lzo, 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(d.error().message().find("over 64 MiB"), std::string::npos) << d.error().message();
}

TEST(DecompressTest, LzopRejectsUnknownMethod) {
  Bytes lzo = LzopEncode(TestData(1000));
  lzo[15] = 0x7f;  // version >= 0x0940: magic 9, version 2, lib 2, needed 2, method
  auto d = Decompress(Codec::kLzop, lzo, 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find("unsupported method"), std::string::npos)
      << d.error().message();
}

// lzip, compress and LZ4 legacy streams made by the real tools (Debian lzip, ncompress, lz4).
class LegacyCodecTest : public ::testing::TestWithParam<Codec> {
 protected:
  void SetUp() override {
    static const std::map<Codec, std::string> kTools = {
        {Codec::kLzip, "lzip"}, {Codec::kCompress, "compress"}, {Codec::kLz4Legacy, "lz4"}};
    if (!HaveTool(kTools.at(GetParam()))) GTEST_SKIP() << kTools.at(GetParam()) << " not installed";
    original_ = TestData(300'000, 11);
    compressed_ = Encode(GetParam(), original_);
    ASSERT_FALSE(compressed_.empty());
  }
  Bytes original_;
  Bytes compressed_;
};

TEST_P(LegacyCodecTest, RoundTrips) {
  DecompressOptions o;
  o.max_out = 1 << 20;
  auto d = DecompressEx(GetParam(), compressed_, o);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->data, original_);
  ASSERT_TRUE(d->consumed.has_value());
  EXPECT_EQ(*d->consumed, compressed_.size());
}

TEST_P(LegacyCodecTest, OutputOverLimitIsRefused) {
  auto d = Decompress(GetParam(), compressed_, original_.size() - 1);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kLimitExceeded) << d.error().ToString();
}

TEST_P(LegacyCodecTest, GarbageIsInvalidInput) {
  Bytes garbage = TestData(4096, 99);
  auto d = Decompress(GetParam(), garbage, 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidInput) << d.error().ToString();
}

TEST_P(LegacyCodecTest, TruncationKeepsThePrefix) {
  // compress has no end marker: a cut stream is a shorter stream. lzip's trailer makes the cut
  // an error; so does LZ4 legacy's one (8 MiB) block cut short.
  DecompressOptions o;
  o.max_out = 1 << 20;
  o.keep_partial = true;
  auto d = DecompressEx(GetParam(), ByteView(compressed_).first(compressed_.size() / 2), o);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->failure.has_value(), GetParam() != Codec::kCompress);
  if (GetParam() == Codec::kCompress) {
    EXPECT_GT(d->data.size(), original_.size() / 4);
  }
  ASSERT_LE(d->data.size(), original_.size());
  EXPECT_TRUE(std::equal(d->data.begin(), d->data.end(), original_.begin()));
}

INSTANTIATE_TEST_SUITE_P(Legacy, LegacyCodecTest,
                         ::testing::Values(Codec::kLzip, Codec::kCompress, Codec::kLz4Legacy),
                         [](const auto& info) {
                           std::string name(CodecName(info.param));
                           std::erase(name, '-');
                           return name;
                         });

TEST(DecompressTest, LzipDecodesEveryMemberAndChecksTheCrc) {
  if (!HaveTool("lzip")) GTEST_SKIP() << "lzip not installed";
  Bytes a = TestData(5000, 1), b = TestData(7000, 2);
  Bytes lz = ToolEncode("lzip -q -c", a);
  Bytes second = ToolEncode("lzip -q -c", b);
  lz.insert(lz.end(), second.begin(), second.end());
  auto d = Decompress(Codec::kLzip, lz, 1 << 20);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  Bytes both = a;
  both.insert(both.end(), b.begin(), b.end());
  EXPECT_EQ(*d, both);
  lz[lz.size() - 20] ^= 1;  // the second member's CRC32
  d = Decompress(Codec::kLzip, lz, 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidInput);
}

TEST(DecompressTest, CompressWidthsClearsAndModes) {
  if (!HaveTool("compress")) GTEST_SKIP() << "compress not installed";
  // Text then noise: the table fills (16-bit codes), the ratio drops and compress clears it.
  Bytes data = TestData(400'000, 5);
  uint32_t x = 7;
  for (int i = 0; i < 300'000; ++i) data.push_back(uint8_t((x = x * 1103515245u + 12345) >> 16));
  Bytes more = TestData(200'000, 6);
  data.insert(data.end(), more.begin(), more.end());
  // (Not -C nor -b 9: ncompress 4.2.4 and gzip -d cannot read what those write.)
  for (const char* flags : {"", "-b 10", "-b 12"}) {
    Bytes z = ToolEncode(std::string("compress -c ") + flags, data);
    ASSERT_FALSE(z.empty()) << flags;
    auto d = Decompress(Codec::kCompress, z, 4 << 20);
    ASSERT_TRUE(d.ok()) << flags << ": " << d.error().ToString();
    EXPECT_TRUE(*d == data) << flags << ": " << d->size() << " bytes of " << data.size();
  }
}

TEST(DecompressTest, CompressCodePastTheTableIsCorruptAtItsOffset) {
  // Header (16 bits, block mode), literal 'A' then code 300 when the next free code is 257.
  const uint8_t z[] = {0x1f, 0x9d, 0x90, 'A', 0x58, 0x02, 0x00, 0x00};
  auto d = Decompress(Codec::kCompress, z, 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(d.error().message().find("past the table"), std::string::npos) << d.error().message();
}

TEST(DecompressTest, LzopChecksumsAreVerified) {
  Bytes lzo = LzopEncode(TestData(100'000));
  // The header's checksum covers the name: a changed name is a mismatch.
  Bytes renamed = lzo;
  const std::string name = "data";
  auto it = std::search(renamed.begin(), renamed.end(), name.begin(), name.end());
  ASSERT_NE(it, renamed.end());
  *it = 'D';
  auto d = Decompress(Codec::kLzop, renamed, 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find("header checksum"), std::string::npos) << d.error().message();
  // A flipped byte inside the last block's data: its checksum (or LZO itself) fails.
  Bytes flipped = lzo;
  flipped[flipped.size() - 16] ^= 0x40;
  DecompressOptions o;
  o.max_out = 1 << 20;
  o.keep_partial = true;
  auto p = DecompressEx(Codec::kLzop, flipped, o);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  ASSERT_TRUE(p->failure.has_value());
  EXPECT_LT(p->data.size(), 100'000u);
}

TEST(DecompressTest, Lz4LegacyStopsAtTheKernelsAppendedSize) {
  if (!HaveTool("lz4")) GTEST_SKIP() << "lz4 not installed";
  Bytes data = TestData(50'000, 3);
  Bytes lz = ToolEncode("lz4 -q -l -c", data);
  size_t stream = lz.size();
  for (uint8_t b : {0x50, 0xc3, 0x00, 0x00}) lz.push_back(b);  // 50000, LE32, as Linux appends
  DecompressOptions options;
  options.max_out = 1 << 20;
  auto d = DecompressEx(Codec::kLz4Legacy, lz, options);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->data, data);
  EXPECT_EQ(d->consumed, stream);
}

TEST(DecompressTest, ZlibAdlerMismatchIsCorrupt) {
  Bytes z = Deflate(TestData(1000), 15);
  z.back() ^= 1;
  auto d = Decompress(Codec::kZlib, z, 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidInput);
}

}  // namespace
}  // namespace clearbox::unpack
