// Entropy and the recorder of regions no container claims.
#include "clearbox/unpack/unclaimed.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "clearbox/unpack/manifest.h"

namespace clearbox::unpack {
namespace {

TEST(ShannonEntropy, ExtremesAndOneByteValue) {
  EXPECT_EQ(ShannonEntropy({}), 0);
  Bytes zeros(4096, 0);
  EXPECT_EQ(ShannonEntropy(zeros), 0);
  Bytes every(256 * 16);
  for (size_t i = 0; i < every.size(); ++i) every[i] = static_cast<uint8_t>(i);
  EXPECT_DOUBLE_EQ(ShannonEntropy(every), 8.0);
  Bytes two(1000);
  for (size_t i = 0; i < two.size(); ++i) two[i] = i % 2 ? 'a' : 'b';
  EXPECT_DOUBLE_EQ(ShannonEntropy(two), 1.0);
  EXPECT_EQ(DescribeEntropy(7.9), "probably encrypted or compressed with an unknown scheme");
  EXPECT_EQ(DescribeEntropy(0.1), "padding");
  EXPECT_EQ(DescribeEntropy(5.0), "data or code in no known format");
}

TEST(UnclaimedRecorder, RandomBytesAreOneHighEntropyRegion) {
  std::mt19937 rng(5);
  Bytes blob(64 * 1024);
  for (uint8_t& b : blob) b = static_cast<uint8_t>(rng());
  TreeCollector tree;
  UnclaimedRecorder recorder(tree);
  Result<Summary> summary = UnpackBuffer(blob, "blob.bin", {}, recorder);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->filesystems, 0u);
  std::vector<UnclaimedRegion> regions = recorder.Regions();
  ASSERT_THAT(regions, ::testing::SizeIs(1));
  EXPECT_EQ(regions[0].provenance, "blob.bin");
  EXPECT_EQ(regions[0].offset, 0u);
  EXPECT_EQ(regions[0].length, blob.size());
  EXPECT_GT(regions[0].entropy, 7.9);
}

TEST(UnclaimedRecorder, TheManifestListsEveryRegionPaddingIncluded) {
  // Random bytes then zeros, nothing recognised: one region for the whole blob. A region of
  // zeros inside a container (reported by hand here) is listed too, as padding.
  std::mt19937 rng(9);
  Bytes blob(8192, 0);
  for (size_t i = 0; i < 4096; ++i) blob[i] = static_cast<uint8_t>(rng());
  Result<std::unique_ptr<ManifestWriter>> manifest = ManifestWriter::Create();
  ASSERT_TRUE(manifest.ok());
  ManifestSink sink(**manifest, false);
  UnclaimedRecorder recorder(sink);
  ASSERT_TRUE(UnpackBuffer(blob, "blob.bin", {}, recorder).ok());
  recorder.OnUnclaimed("blob.bin!gzip@0x10", 4, ByteView(blob).subspan(4096, 2048));
  (*manifest)->SetUnclaimed(recorder.Regions());

  char* text = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&text, &size);
  ASSERT_TRUE((*manifest)->WriteTo(out, "blob.bin", "", false).ok());
  std::fclose(out);
  nlohmann::json json = nlohmann::json::parse(std::string(text, size));
  std::free(text);
  const nlohmann::json& unclaimed = json.at("unclaimed");
  ASSERT_EQ(unclaimed.size(), 2u) << unclaimed.dump();
  EXPECT_EQ(unclaimed[0]["provenance"], "blob.bin");
  EXPECT_EQ(unclaimed[0]["offset"], 0);
  EXPECT_EQ(unclaimed[0]["length"], 8192);
  EXPECT_EQ(unclaimed[0]["description"], "data or code in no known format");
  EXPECT_EQ(unclaimed[1]["provenance"], "blob.bin!gzip@0x10");
  EXPECT_EQ(unclaimed[1]["length"], 2048);
  EXPECT_EQ(unclaimed[1]["entropy"], 0.0);
  EXPECT_EQ(unclaimed[1]["description"], "padding");
}

}  // namespace
}  // namespace clearbox::unpack
