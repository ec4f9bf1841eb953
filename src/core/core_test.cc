#include <gtest/gtest.h>

#include "clearbox/core/bytes.h"
#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"
#include "clearbox/core/strict_json.h"
#include "clearbox/core/result.h"

namespace clearbox {
namespace {

TEST(EncodingTest, HexRoundTrip) {
  Bytes b = {0x00, 0x7f, 0xff, 0x10};
  EXPECT_EQ(HexEncode(b), "007fff10");
  EXPECT_EQ(*HexDecode("007FFF10"), b);
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

TEST(EncodingTest, Base64Rfc4648Vectors) {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(Base64Encode(AsBytes(plain[i])), enc[i]);
    auto d = Base64Decode(enc[i]);
    ASSERT_TRUE(d.has_value()) << enc[i];
    EXPECT_EQ(AsChars(*d), plain[i]);
  }
  EXPECT_FALSE(Base64Decode("Zg=").has_value());
  EXPECT_FALSE(Base64Decode("Zh==").has_value());  // non-canonical trailing bits
  EXPECT_FALSE(Base64Decode("Z===").has_value());
  EXPECT_FALSE(Base64Decode("Zm9v\n").has_value());
}

TEST(DigestTest, Sha256KnownAnswer) {
  EXPECT_EQ(Sha256Hex(AsBytes("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256Hasher h;
  h.Update(AsBytes("a"));
  h.Update(AsBytes("bc"));
  EXPECT_EQ(h.Finish(), Sha256(AsBytes("abc")));
}

TEST(DigestTest, Crc32KnownAnswer) { EXPECT_EQ(Crc32(AsBytes("123456789")), 0xCBF43926u); }

TEST(DigestTest, Crc32ContinuesAcrossPiecesAndEmptyOnes) {
  const uint32_t first = Crc32(AsBytes("1234"));
  EXPECT_EQ(Crc32(ByteView(), first), first);  // an empty piece (null data) changes nothing
  EXPECT_EQ(Crc32(AsBytes("56789"), first), 0xCBF43926u);
  EXPECT_EQ(~Crc32(ByteView(), 0xffffffffu), 0u);  // JFFS2's form of an empty node's CRC
}

TEST(BytesTest, FitsInRejectsOverflow) {
  EXPECT_TRUE(FitsIn(10, 0, 10));
  EXPECT_FALSE(FitsIn(10, 1, 10));
  EXPECT_FALSE(FitsIn(10, 11, 0));
  EXPECT_FALSE(FitsIn(10, 5, UINT64_MAX));
}

TEST(BytesTest, ReaderStopsAtEnd) {
  Bytes b = {1, 2, 3};
  ByteReader r(b);
  EXPECT_EQ(*r.ReadBE16(), 0x0102);
  EXPECT_FALSE(r.ReadBE16().has_value());
  EXPECT_EQ(r.position(), 2u);
  EXPECT_EQ(*r.ReadU8(), 3);
  EXPECT_TRUE(r.empty());
}

TEST(ResultTest, ErrorCarriesContext) {
  Result<int> r = Error::InvalidInput("bad size").WithContext("tile/0/001");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(r.error().message(), "tile/0/001: bad size");
}

TEST(FileTest, AtomicWriteAndRead) {
  std::string dir = ::testing::TempDir() + "/clearbox_core_test";
  ASSERT_TRUE(MakeDirectories(dir).ok());
  std::string path = dir + "/f";
  ASSERT_TRUE(WriteFileAtomic(path, AsBytes("hello")).ok());
  ASSERT_TRUE(WriteFileAtomic(path, AsBytes("world")).ok());
  auto text = ReadTextFile(path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "world");
  auto again = WriteNewFile(path, AsBytes("x"), 0600);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
  auto missing = MappedFile::Open(dir + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

TEST(StrictJson, RepeatedKeysDepthAndSyntaxAreRefusedWithTheirPlace) {
  Result<nlohmann::json> ok = ParseStrictJson(R"({"a": [1, {"b": 2}], "c": {"a": 3}})", "x", 8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["c"]["a"], 3);  // the same key in two objects is fine
  Result<nlohmann::json> twice = ParseStrictJson(R"({"a": {"k": 1, "k": 2}})", "doc.json", 8);
  EXPECT_EQ(twice.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(twice.error().message(), R"(doc.json: key "k" appears twice in one object)");
  Result<nlohmann::json> deep = ParseStrictJson(std::string(9, '[') + std::string(9, ']'), "d", 8);
  EXPECT_EQ(deep.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(deep.error().message(), "d: nested deeper than 8 levels");
  EXPECT_TRUE(ParseStrictJson(std::string(8, '[') + std::string(8, ']'), "d", 8).ok());
  Result<nlohmann::json> bad = ParseStrictJson("{\"a\": \"\xff\"}", "b", 8);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(bad.error().message().rfind("b: not JSON: ", 0), 0u);
}

}  // namespace
}  // namespace clearbox

#include "clearbox/core/utc_time.h"

namespace clearbox {
namespace {

TEST(UtcTime, FormatsAndParsesBothForms) {
  EXPECT_EQ(FormatUtcSeconds(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtcSeconds(1796609244), "2026-12-07T02:07:24Z");
  EXPECT_EQ(FormatUtcSeconds(INT64_MAX), "9999-12-31T23:59:59Z");
  EXPECT_EQ(FormatUtcMicros(1796609244123456), "2026-12-07T02:07:24.123456Z");
  EXPECT_EQ(FormatUtcMicros(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(*ParseUtcSeconds("2026-12-07T02:07:24Z"), 1796609244);
  EXPECT_EQ(*ParseUtcMicros("2026-12-07T02:07:24.123456Z"), 1796609244123456);
  EXPECT_EQ(*ParseUtcSeconds("2024-02-29T00:00:00Z"), 1709164800);
}

TEST(UtcTime, RefusesWhatIsNotExactlyAUtcTime) {
  for (const char* bad : {"2026-12-07T02:07:24", "2026-12-07 02:07:24Z", "2025-02-29T00:00:00Z",
                          "2026-13-01T00:00:00Z", "1969-12-31T23:59:59Z", "2026-12-07T24:00:00Z",
                          "2026-12-07T02:07:24+00:00", "2026-12-07T02:07:2xZ", ""}) {
    auto r = ParseUtcSeconds(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message().find("is not a UTC time"), std::string::npos);
  }
  EXPECT_FALSE(ParseUtcMicros("2026-12-07T02:07:24.12345Z").ok());
  EXPECT_FALSE(ParseUtcMicros("2026-12-07T02:07:24.1234567").ok());
}

}  // namespace
}  // namespace clearbox

namespace clearbox {
namespace {

TEST(Sha256Hasher, PeekGivesThePrefixDigestAndGoesOn) {
  Sha256Hasher h;
  h.Update(AsBytes("hash "));
  EXPECT_EQ(h.Peek(), Sha256(AsBytes("hash ")));
  h.Update(AsBytes("chain"));
  EXPECT_EQ(h.Peek(), Sha256(AsBytes("hash chain")));
  EXPECT_EQ(h.Finish(), Sha256(AsBytes("hash chain")));
}

}  // namespace
}  // namespace clearbox
