// Entropy and the recorder of regions no container claims (unclaimed.h).
#include "clearbox/unpack/unclaimed.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>

namespace clearbox::unpack {

namespace {

double EntropyOfCounts(const std::array<uint64_t, 256>& counts, uint64_t total) {
  if (total == 0) return 0;
  const double n = static_cast<double>(total);
  double bits = 0;
  for (uint64_t c : counts) {
    if (c == 0) continue;
    const double p = static_cast<double>(c) / n;
    bits -= p * std::log2(p);
  }
  return bits;
}

}  // namespace

double ShannonEntropy(ByteView bytes) {
  std::array<uint64_t, 256> counts{};
  for (uint8_t b : bytes) ++counts[b];
  return EntropyOfCounts(counts, bytes.size());
}

bool IsPadding(double bits_per_byte) { return bits_per_byte < 0.5; }

std::string_view DescribeEntropy(double bits_per_byte) {
  if (bits_per_byte > 7.5) return "probably encrypted or compressed with an unknown scheme";
  if (IsPadding(bits_per_byte)) return "padding";
  return "data or code in no known format";
}

namespace {

// The entropy of a large region from samples spread over it. Reading all of a 512 MiB
// mapped blob would pull every page into memory (carving takes care not to); even evenly
// spaced samples in order look sequential to the kernel's readahead, which then reads
// nearly all of it. So: few page-sized samples, visited in a scattered order.
constexpr size_t kWholeBytes = 16 << 20;
constexpr size_t kSampleBytes = 4 << 10;
constexpr size_t kSamples = 16;

double EstimatedEntropy(ByteView bytes) {
  if (bytes.size() <= kWholeBytes) return ShannonEntropy(bytes);
  std::array<uint64_t, 256> counts{};
  const size_t stride = bytes.size() / kSamples;
  for (size_t i = 0; i < kSamples; ++i) {
    const size_t slot = (i * 7) % kSamples;  // 7 is prime to 16: every slot once
    for (uint8_t b : bytes.subspan(slot * stride, kSampleBytes)) ++counts[b];
  }
  return EntropyOfCounts(counts, kSampleBytes * kSamples);
}

}  // namespace

void UnclaimedRecorder::OnUnclaimed(const std::string& provenance, uint64_t offset,
                                    ByteView bytes) {
  UnclaimedRegion region{provenance, offset, bytes.size(), EstimatedEntropy(bytes)};
  {
    std::lock_guard lock(mu_);
    regions_.push_back(std::move(region));
  }
  if (inner_.WantsUnclaimed()) inner_.OnUnclaimed(provenance, offset, bytes);
}

std::vector<UnclaimedRegion> UnclaimedRecorder::Regions() const {
  std::lock_guard lock(mu_);
  std::vector<UnclaimedRegion> out = regions_;
  std::sort(out.begin(), out.end(), [](const UnclaimedRegion& a, const UnclaimedRegion& b) {
    return std::tie(a.provenance, a.offset) < std::tie(b.provenance, b.offset);
  });
  return out;
}

}  // namespace clearbox::unpack
