// The legacy compressed stream formats as the engine meets them: a tar inside lzip, compress,
// lzop and LZ4 legacy streams made by the real tools, bare zlib streams carved from junk
// (and the look-alikes that must not be), and damaged streams.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <random>

#include "engine_test_util.h"
#include "flash_test_util.h"

namespace clearbox::unpack {
namespace {

using enginetest::Scratch;
using enginetest::Sh;
using enginetest::Sha;
using enginetest::UnpackBytes;
using enginetest::Unpacked;

bool HaveTool(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

Bytes Zlib(std::string_view text) {
  uLongf size = compressBound(uLong(text.size()));
  Bytes out(size);
  EXPECT_EQ(compress2(out.data(), &size, reinterpret_cast<const Bytef*>(text.data()),
                      uLong(text.size()), 9),
            Z_OK);
  out.resize(size);
  return out;
}

std::vector<std::string> Containers(const Unpacked& u, std::string_view format) {
  std::vector<std::string> out;
  for (const auto& fs : u.filesystems) {
    if (fs.format == format) out.push_back(fs.provenance);
  }
  return out;
}

TEST(LegacyStreamsTest, TarInsideEachLegacyCompressor) {
  Scratch dir;
  enginetest::WriteText(dir / "root/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  enginetest::WriteText(dir / "root/etc/motd", std::string(20000, 'm'));
  ASSERT_TRUE(Sh(dir / "root", "tar -cf ../rootfs.tar ."));
  const std::pair<const char*, const char*> kTools[] = {{"lzip", "lzip -9 -c"},
                                                        {"compress", "compress -c"},
                                                        {"lzop", "lzop -c"},
                                                        {"lz4", "lz4 -l -c"}};
  const char* kFormats[] = {"lzip", "compress", "lzop", "lz4-legacy"};
  for (size_t i = 0; i < std::size(kTools); ++i) {
    SCOPED_TRACE(kTools[i].second);
    if (!HaveTool(kTools[i].first)) continue;
    ASSERT_TRUE(Sh(dir.path().string(), std::string(kTools[i].second) + " < rootfs.tar > t.z"));
    Unpacked u = UnpackBytes(enginetest::ReadAll(dir / "t.z"));
    SCOPED_TRACE(u.NotesText());
    EXPECT_EQ(Containers(u, kFormats[i]),
              std::vector<std::string>{fmt::format("buf!{}@0x0", kFormats[i])});
    const auto* passwd = u.FindSuffix("!tar:/etc/passwd");
    ASSERT_NE(passwd, nullptr);
    EXPECT_EQ(passwd->sha256, Sha("root:x:0:0:root:/root:/bin/sh\n"));
    EXPECT_FALSE(u.summary.partial);
  }
}

TEST(LegacyStreamsTest, ZlibStreamsAreCarvedOnlyWhenTheyCheckOut) {
  const std::string first = "first stream: " + std::string(200, 'a') + " the end\n";
  const std::string second = "second stream, placed after look-alikes " + std::string(90, 'z');
  Bytes image(1000, 0x20);
  Bytes a = Zlib(first);
  image.insert(image.end(), a.begin(), a.end());
  image.resize(3000, 0x20);
  // Look-alikes: a bare header, a stream with a wrong Adler-32, a stream of 5 bytes.
  for (uint8_t b : {0x78, 0x9c, 0x12, 0x34, 0x56}) image.push_back(b);
  image.resize(4000, 0x20);
  Bytes bad = Zlib(first);
  bad.back() ^= 0x01;
  image.insert(image.end(), bad.begin(), bad.end());
  image.resize(5000, 0x20);
  Bytes tiny = Zlib("tiny!");
  image.insert(image.end(), tiny.begin(), tiny.end());
  image.resize(6000, 0x20);
  Bytes b = Zlib(second);
  image.insert(image.end(), b.begin(), b.end());
  image.resize(7000, 0x20);
  Unpacked u = UnpackBytes(image);
  SCOPED_TRACE(u.NotesText());
  EXPECT_EQ(Containers(u, "zlib"), (std::vector<std::string>{"buf!zlib@0x3e8", "buf!zlib@0x1770"}));
  const auto* one = u.FindSuffix("!zlib@0x3e8:/data");
  const auto* two = u.FindSuffix("!zlib@0x1770:/data");
  ASSERT_TRUE(one && two);
  EXPECT_EQ(one->sha256, Sha(first));
  EXPECT_EQ(two->sha256, Sha(second));
}

TEST(LegacyStreamsTest, DamagedStreamsAreNotedAndStillListed) {
  if (!HaveTool("lzip") || !HaveTool("lzop")) GTEST_SKIP() << "lzip or lzop not installed";
  Scratch dir;
  std::string text;
  for (int i = 0; text.size() < 200000; ++i)
    text += "line " + std::to_string(i * 7919 % 10007) + "\n";
  enginetest::WriteText(dir / "data", text);
  for (const char* command : {"lzip -c", "lzop -c"}) {
    SCOPED_TRACE(command);
    ASSERT_TRUE(Sh(dir.path().string(), std::string(command) + " < data > data.z"));
    Bytes z = enginetest::ReadAll(dir / "data.z");
    z[z.size() - 30] ^= 0x55;  // in the last part of the data or the trailer
    Unpacked u = UnpackBytes(z);
    EXPECT_TRUE(u.HasNote(Note::Kind::kCorrupt, "")) << u.NotesText();
    EXPECT_TRUE(u.summary.partial);
    EXPECT_FALSE(u.entries.empty()) << "what decoded (or the stored bytes) is still listed";
  }
}

TEST(LegacyStreamsTest, RandomDataWithZlibLookAlikesCarvesQuickly) {
  // 16 MiB of noise with a zlib header every 2 KiB: the worst case for the weak zlib magic.
  Bytes noise(16 << 20);
  std::mt19937 rng(5);
  for (auto& byte : noise) byte = uint8_t(rng());
  for (size_t at = 0; at + 2 < noise.size(); at += 2048) {
    noise[at] = 0x78;
    noise[at + 1] = 0x9c;
  }
  auto start = std::chrono::steady_clock::now();
  Unpacked u = UnpackBytes(noise);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(Containers(u, "zlib").empty());
  EXPECT_LT(seconds, 30.0) << "8192 zlib candidates took " << seconds << " s";
}

TEST(LegacyStreamsTest, ZlibStoredBlockChainIsOneCorruptStream) {
  // Each 7 bytes a zlib header and a 2-byte stored block holding the next header: every
  // candidate starts a stream that runs to the bad block at the end. One container, noted
  // corrupt, must span the chain, not 9000 probes each decoding it again.
  Bytes chain;
  for (int i = 0; i < 9000; ++i) {
    for (uint8_t b : {0x78, 0x01, 0x00, 0x02, 0x00, 0xfd, 0xff}) chain.push_back(b);
  }
  chain.push_back(0x07);  // BTYPE 11: invalid
  chain.push_back(0x07);
  auto start = std::chrono::steady_clock::now();
  Unpacked u = UnpackBytes(chain);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(Containers(u, "zlib"), std::vector<std::string>{"buf!zlib@0x0"});
  EXPECT_TRUE(u.HasNote(Note::Kind::kCorrupt, "zlib: truncated")) << u.NotesText();
  EXPECT_LT(seconds, 5.0);
}

}  // namespace
}  // namespace clearbox::unpack
