// The carving scanner: finds every registered magic at any offset of a blob in one pass.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "clearbox/core/bytes.h"
#include "unpack/internal/format.h"

namespace clearbox::unpack::internal {

// A place where a container may start: its magic matched (the header is not validated yet).
struct Candidate {
  uint64_t start = 0;   // the container's first byte (magic position - Magic::offset)
  uint32_t format = 0;  // index into the formats the scanner was built with
  bool operator<(const Candidate& o) const {
    return start != o.start ? start < o.start : format < o.format;
  }
};

// Immutable once built; thread-safe.
class MagicScanner {
 public:
  explicit MagicScanner(const std::vector<const FormatHandler*>& formats);

  // Every candidate in `data` whose start lies in [from, to), sorted by start then format
  // index (registry order), without duplicates. Stops after `max_candidates` (sets
  // *truncated) so random data full of short magics cannot exhaust memory. Scanning a blob
  // window by window lets the caller jump over containers it has unpacked.
  std::vector<Candidate> Scan(ByteView data, uint64_t from, uint64_t to, size_t max_candidates,
                              bool* truncated) const;

  // The formats (indices, in registry order) whose magic sits at `start` in `data`.
  std::vector<uint32_t> MatchAt(ByteView data, uint64_t start) const;

 private:
  struct Pattern {
    ByteView bytes;
    uint32_t offset;
    uint32_t format;
  };
  // Patterns indexed by their first two bytes: a two-byte window selects the few to compare.
  std::vector<Pattern> patterns_;
  std::array<uint32_t, 65537> bucket_start_{};  // patterns_[bucket_start_[k] .. [k+1])
  std::array<uint64_t, 1024> present_{};        // bit k: bucket k is not empty (fits in L1)
  uint32_t max_offset_ = 0;                     // largest Magic::offset
};

}  // namespace clearbox::unpack::internal
