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
  // Patterns sorted by their first two bytes (the key): a two-byte window selects the few
  // to compare. Only keys that start a pattern have a bucket; a key's bucket is its rank
  // among them (the keys present before it), so the tables stay ~12 KiB (in L1) instead
  // of a 256 KiB array that every engine would zero and fault in, even for a listing.
  std::vector<Pattern> patterns_;
  std::vector<uint32_t> bucket_start_;      // patterns_[bucket_start_[b] .. [b+1]), b: rank
  std::array<uint64_t, 1024> present_{};    // bit k: some pattern starts with key k
  std::array<uint32_t, 1024> rank_base_{};  // keys present in the words before this one
  uint32_t max_offset_ = 0;                 // largest Magic::offset

  // The bucket of `key`, which must be present.
  uint32_t BucketOf(uint32_t key) const;
};

}  // namespace clearbox::unpack::internal
