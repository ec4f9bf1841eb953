#include "internal/scanner.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace clearbox::unpack::internal {
namespace {

uint32_t KeyOf(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8; }

}  // namespace

MagicScanner::MagicScanner(const std::vector<const FormatHandler*>& formats) {
  std::vector<std::pair<uint32_t, Pattern>> keyed;
  for (uint32_t f = 0; f < formats.size(); ++f) {
    for (const Magic& m : formats[f]->magics) {
      if (m.bytes.size() < 2) continue;  // too weak to carve with; see format.h
      Pattern p{AsBytes(m.bytes), m.offset, f};
      keyed.emplace_back(KeyOf(p.bytes.data()), p);
    }
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < keyed.size(); ++i) {
    const auto& [key, p] = keyed[i];
    if (i == 0 || keyed[i - 1].first != key) {
      bucket_start_.push_back(uint32_t(i));
      present_[key >> 6] |= uint64_t(1) << (key & 63);
    }
    max_offset_ = std::max(max_offset_, p.offset);
    patterns_.push_back(p);
  }
  bucket_start_.push_back(uint32_t(keyed.size()));
  uint32_t rank = 0;
  for (size_t w = 0; w < present_.size(); ++w) {
    rank_base_[w] = rank;
    rank += uint32_t(std::popcount(present_[w]));
  }
}

uint32_t MagicScanner::BucketOf(uint32_t key) const {
  const uint64_t below = present_[key >> 6] & ((uint64_t(1) << (key & 63)) - 1);
  return rank_base_[key >> 6] + uint32_t(std::popcount(below));
}

std::vector<Candidate> MagicScanner::Scan(ByteView data, uint64_t from, uint64_t to,
                                          size_t max_candidates, bool* truncated) const {
  std::vector<Candidate> out;
  *truncated = false;
  if (data.size() < 2) return out;
  to = std::min<uint64_t>(to, data.size());
  const uint8_t* base = data.data();
  // A container starting in [from, to) has its magic in [from, to + max_offset_).
  const size_t last = size_t(std::min<uint64_t>(data.size() - 1, to + max_offset_));
  for (size_t pos = size_t(from); pos < last; ++pos) {
    uint32_t key = KeyOf(base + pos);
    if ((present_[key >> 6] >> (key & 63) & 1) == 0) continue;
    const uint32_t bucket = BucketOf(key);
    const uint32_t begin = bucket_start_[bucket], end = bucket_start_[bucket + 1];
    for (uint32_t i = begin; i < end; ++i) {
      const Pattern& p = patterns_[i];
      if (pos < p.offset) continue;  // the container would start before the blob
      if (pos - p.offset < from || pos - p.offset >= to) continue;
      if (p.bytes.size() > data.size() - pos) continue;
      if (std::memcmp(base + pos, p.bytes.data(), p.bytes.size()) != 0) continue;
      if (out.size() >= max_candidates) {
        *truncated = true;
        break;
      }
      out.push_back({pos - p.offset, p.format});
    }
    if (*truncated) break;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Candidate& a, const Candidate& b) {
                          return a.start == b.start && a.format == b.format;
                        }),
            out.end());
  return out;
}

std::vector<uint32_t> MagicScanner::MatchAt(ByteView data, uint64_t start) const {
  std::vector<uint32_t> out;
  for (const Pattern& p : patterns_) {
    if (!FitsIn(data, start, uint64_t(p.offset) + p.bytes.size())) continue;
    if (std::memcmp(data.data() + start + p.offset, p.bytes.data(), p.bytes.size()) != 0) {
      continue;
    }
    out.push_back(p.format);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace clearbox::unpack::internal
