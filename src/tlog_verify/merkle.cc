#include "clearbox/tlog/merkle.h"

#include <openssl/sha.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "clearbox/core/encoding.h"

namespace clearbox::tlog {
namespace {

// The largest power of two strictly below n (n >= 2): the RFC's split point k.
uint64_t SplitPoint(uint64_t n) { return uint64_t(1) << (63 - std::countl_zero(n - 1)); }

struct Range {
  uint64_t begin, end;
};

// MTH of each range, reading all the stored hashes they need in one ReadHashes call. Every
// range is an RFC 9162 subtree D[begin:end] whose begin is a multiple of a power of two >=
// end - begin, so its decomposition, folded from the right, is its Merkle hash.
Result<std::vector<Hash>> RangeHashes(std::span<const Range> ranges, HashReader& reader) {
  // Decomposed in place (as RangeDecomposition does): a proof is built per answered entry, and
  // a vector per range was most of its cost.
  std::vector<HashAddress> addresses;
  std::vector<size_t> counts;
  addresses.reserve(ranges.size() + 8);
  counts.reserve(ranges.size());
  for (const Range& r : ranges) {
    const size_t before = addresses.size();
    for (uint64_t begin = r.begin; begin < r.end;) {
      int size_level = 63 - std::countl_zero(r.end - begin);
      int align_level = begin == 0 ? 64 : std::countr_zero(begin);
      int level = std::min(size_level, align_level);
      addresses.push_back({static_cast<uint8_t>(level), begin >> level});
      begin += uint64_t(1) << level;
    }
    counts.push_back(addresses.size() - before);
  }
  CLEARBOX_ASSIGN_OR_RETURN(std::vector<Hash> stored, reader.ReadHashes(addresses));
  if (stored.size() != addresses.size()) {
    return Error::Internal("hash reader returned " + std::to_string(stored.size()) +
                           " hashes for " + std::to_string(addresses.size()) + " addresses");
  }
  std::vector<Hash> out;
  out.reserve(counts.size());
  size_t pos = 0;
  for (size_t count : counts) {
    Hash h = stored[pos + count - 1];
    for (size_t j = count - 1; j-- > 0;) h = NodeHash(stored[pos + j], h);
    out.push_back(h);
    pos += count;
  }
  return out;
}

}  // namespace

// The low-level SHA256_* calls: OpenSSL 3's one-shot SHA256() fetches the algorithm on every
// call, which costs several times the hashing of a 65-byte node (see core/digest.cc).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
Hash LeafHash(ByteView entry) {
  static constexpr uint8_t kPrefix = 0x00;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, &kPrefix, 1);
  SHA256_Update(&ctx, entry.data(), entry.size());
  Hash out;
  SHA256_Final(out.data(), &ctx);
  return out;
}

Hash NodeHash(const Hash& left, const Hash& right) {
  uint8_t buf[1 + 2 * kHashSize];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), kHashSize);
  std::memcpy(buf + 1 + kHashSize, right.data(), kHashSize);
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, buf, sizeof buf);
  Hash out;
  SHA256_Final(out.data(), &ctx);
  return out;
}
#pragma GCC diagnostic pop

Hash EmptyRootHash() { return Sha256({}); }

std::optional<Hash> HashFromBytes(ByteView bytes) {
  if (bytes.size() != kHashSize) return std::nullopt;
  Hash h;
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

std::string HashToBase64(const Hash& hash) { return Base64Encode(hash); }

std::optional<Hash> HashFromBase64(std::string_view b64) {
  auto bytes = Base64Decode(b64);
  if (!bytes) return std::nullopt;
  return HashFromBytes(*bytes);
}

std::vector<HashAddress> RangeDecomposition(uint64_t begin, uint64_t end) {
  std::vector<HashAddress> out;
  while (begin < end) {
    int size_level = 63 - std::countl_zero(end - begin);
    int align_level = begin == 0 ? 64 : std::countr_zero(begin);
    int level = std::min(size_level, align_level);
    out.push_back({static_cast<uint8_t>(level), begin >> level});
    begin += uint64_t(1) << level;
  }
  return out;
}

Result<Hash> TreeRoot(uint64_t size, HashReader& reader) {
  if (size == 0) return EmptyRootHash();
  Range r{0, size};
  CLEARBOX_ASSIGN_OR_RETURN(auto hashes, RangeHashes({&r, 1}, reader));
  return hashes[0];
}

Result<std::vector<Hash>> ProveInclusion(uint64_t index, uint64_t size, HashReader& reader) {
  if (index >= size) {
    return Error::InvalidInput("inclusion proof: index " + std::to_string(index) +
                               " is not below tree size " + std::to_string(size));
  }
  // Walk down from the root; the sibling of each step is a proof element, root side first.
  std::vector<Range> ranges;
  ranges.reserve(64);
  uint64_t lo = 0, hi = size;
  while (hi - lo > 1) {
    uint64_t k = SplitPoint(hi - lo);
    if (index < lo + k) {
      ranges.push_back({lo + k, hi});
      hi = lo + k;
    } else {
      ranges.push_back({lo, lo + k});
      lo += k;
    }
  }
  std::reverse(ranges.begin(), ranges.end());
  return RangeHashes(ranges, reader);
}

Result<std::vector<Hash>> ProveConsistency(uint64_t size1, uint64_t size2, HashReader& reader) {
  if (size1 > size2) {
    return Error::InvalidInput("consistency proof: size " + std::to_string(size1) +
                               " is larger than size " + std::to_string(size2));
  }
  if (size1 == 0 || size1 == size2) return std::vector<Hash>{};
  // RFC 9162 SUBPROOF(m, D[lo:hi], b), unrolled: each level adds one hash after the rest.
  std::vector<Range> outer;
  std::optional<Range> tail;
  uint64_t m = size1, lo = 0, hi = size2;
  bool whole = true;
  while (true) {
    uint64_t n = hi - lo;
    if (m == n) {
      if (!whole) tail = Range{lo, hi};
      break;
    }
    uint64_t k = SplitPoint(n);
    if (m <= k) {
      outer.push_back({lo + k, hi});
      hi = lo + k;
    } else {
      outer.push_back({lo, lo + k});
      m -= k;
      lo += k;
      whole = false;
    }
  }
  std::vector<Range> ranges;
  if (tail) ranges.push_back(*tail);
  ranges.insert(ranges.end(), outer.rbegin(), outer.rend());
  return RangeHashes(ranges, reader);
}

Result<Hash> RootFromInclusionProof(uint64_t index, uint64_t size, const Hash& leaf_hash,
                                    std::span<const Hash> proof) {
  if (index >= size) {
    return Error::InvalidInput("inclusion proof: index " + std::to_string(index) +
                               " is not below tree size " + std::to_string(size));
  }
  // RFC 9162 2.1.3.2.
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) {
      return Error::VerificationFailed("inclusion proof for leaf " + std::to_string(index) +
                                       " in tree " + std::to_string(size) + " is too long (" +
                                       std::to_string(proof.size()) + " hashes)");
    }
    if ((fn & 1) || fn == sn) {
      r = NodeHash(p, r);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return Error::VerificationFailed("inclusion proof for leaf " + std::to_string(index) +
                                     " in tree " + std::to_string(size) + " is too short (" +
                                     std::to_string(proof.size()) + " hashes)");
  }
  return r;
}

Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                       std::span<const Hash> proof, const Hash& root) {
  CLEARBOX_ASSIGN_OR_RETURN(Hash computed, RootFromInclusionProof(index, size, leaf_hash, proof));
  if (computed != root) {
    return Error::VerificationFailed("inclusion proof for leaf " + std::to_string(index) +
                                     " in tree " + std::to_string(size) +
                                     " does not lead to the root");
  }
  return Status::Ok();
}

Status VerifyConsistency(uint64_t size1, uint64_t size2, const Hash& root1, const Hash& root2,
                         std::span<const Hash> proof) {
  const std::string what =
      "consistency proof from size " + std::to_string(size1) + " to " + std::to_string(size2);
  if (size2 < size1) return Error::InvalidInput(what + ": the second size is smaller");
  if (size1 == 0) {
    return Error::InvalidInput(what + ": a proof from an empty tree is meaningless");
  }
  if (size1 == size2) {
    if (!proof.empty()) return Error::VerificationFailed(what + ": should be empty");
    if (root1 != root2) return Error::VerificationFailed(what + ": the roots differ");
    return Status::Ok();
  }
  if (proof.empty()) return Error::VerificationFailed(what + ": empty proof");
  // RFC 9162 2.1.4.2. If size1 is a power of two, its root is the implicit first element.
  std::vector<Hash> path;
  if (std::has_single_bit(size1)) path.push_back(root1);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = size1 - 1, sn = size2 - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return Error::VerificationFailed(what + ": too long");
    if ((fn & 1) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Error::VerificationFailed(what + ": too short");
  if (fr != root1) return Error::VerificationFailed(what + ": does not lead to the first root");
  if (sr != root2) return Error::VerificationFailed(what + ": does not lead to the second root");
  return Status::Ok();
}

Result<CompactRange> CompactRange::FromHashes(uint64_t size, std::vector<Hash> hashes) {
  if (static_cast<size_t>(std::popcount(size)) != hashes.size()) {
    return Error::InvalidInput("compact range of size " + std::to_string(size) + " needs " +
                               std::to_string(std::popcount(size)) + " hashes, got " +
                               std::to_string(hashes.size()));
  }
  CompactRange r;
  r.size_ = size;
  r.hashes_ = std::move(hashes);
  return r;
}

Status CompactRange::Append(const Hash& leaf_hash, const NodeVisitor& visitor) {
  if (size_ >= (uint64_t(1) << 63)) return Error::LimitExceeded("tree is full (2^63 leaves)");
  uint64_t index = size_;
  hashes_.push_back(leaf_hash);
  if (visitor) visitor({0, index}, leaf_hash);
  uint8_t level = 0;
  while (index & 1) {
    Hash parent = NodeHash(hashes_[hashes_.size() - 2], hashes_.back());
    hashes_.pop_back();
    hashes_.back() = parent;
    ++level;
    index >>= 1;
    if (visitor) visitor({level, index}, parent);
  }
  ++size_;
  return Status::Ok();
}

Hash CompactRange::Root() const {
  if (hashes_.empty()) return EmptyRootHash();
  Hash h = hashes_.back();
  for (size_t j = hashes_.size() - 1; j-- > 0;) h = NodeHash(hashes_[j], h);
  return h;
}

void MemoryHashStore::Append(const Hash& leaf_hash) {
  Status s = range_.Append(leaf_hash, [this](HashAddress a, const Hash& h) {
    if (levels_.size() <= a.level) levels_.resize(a.level + 1);
    levels_[a.level].push_back(h);
  });
  (void)s;  // a memory store never reaches 2^63 leaves
}

Result<std::vector<Hash>> MemoryHashStore::ReadHashes(std::span<const HashAddress> addresses) {
  std::vector<Hash> out;
  out.reserve(addresses.size());
  for (const HashAddress& a : addresses) {
    if (a.level >= levels_.size() || a.index >= levels_[a.level].size()) {
      return Error::NotFound("no stored hash at level " + std::to_string(a.level) + " index " +
                             std::to_string(a.index));
    }
    out.push_back(levels_[a.level][a.index]);
  }
  return out;
}

}  // namespace clearbox::tlog
