// RFC 9162 section 2 (RFC 6962) Merkle trees over SHA-256: hashes, inclusion and consistency
// proofs, and an incremental builder.
//
// A complete subtree is addressed by (level, index): the 2^level leaves starting at
// index * 2^level. Level 0 holds the leaf hashes. Proof generation reads such stored hashes
// from a HashReader (tiles on disk, tiles over HTTP, memory); verification needs nothing but
// the proof.
//
//   CLEARBOX_ASSIGN_OR_RETURN(std::vector<Hash> proof, ProveInclusion(7, 10, reader));
//   CLEARBOX_RETURN_IF_ERROR(VerifyInclusion(7, 10, LeafHash(entry), proof, root));
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/digest.h"
#include "clearbox/core/result.h"

namespace clearbox::tlog {

inline constexpr size_t kHashSize = 32;
using Hash = Sha256Digest;

// SHA-256(0x00 || entry).
Hash LeafHash(ByteView entry);
// SHA-256(0x01 || left || right).
Hash NodeHash(const Hash& left, const Hash& right);
// The root of the empty tree: SHA-256("").
Hash EmptyRootHash();

// A Hash from exactly 32 bytes, or nullopt.
std::optional<Hash> HashFromBytes(ByteView bytes);
// Standard base64 of the 32 bytes, and back (strict; nullopt unless exactly 32 bytes).
std::string HashToBase64(const Hash& hash);
std::optional<Hash> HashFromBase64(std::string_view b64);

// A complete subtree: the 2^level leaves [index << level, (index + 1) << level).
struct HashAddress {
  uint8_t level = 0;  // 0..63
  uint64_t index = 0;
  bool operator==(const HashAddress&) const = default;
};

// Source of stored complete-subtree hashes for proof generation.
class HashReader {
 public:
  virtual ~HashReader() = default;
  // The hashes at `addresses`, in the same order. Every address is a complete subtree of the
  // tree being proven (callers never ask for anything else). Implementations should batch
  // (one call may ask for hashes from many tiles). Errors: whatever the storage returns
  // (kNotFound, kIo, kUnavailable, kVerificationFailed for a tile that did not verify).
  virtual Result<std::vector<Hash>> ReadHashes(std::span<const HashAddress> addresses) = 0;
};

// The complete subtrees that make up the leaves [begin, end), left to right, largest first
// (the "compact range"). For a tree root, begin = 0.
std::vector<HashAddress> RangeDecomposition(uint64_t begin, uint64_t end);

// MTH(D[0:size]). Errors: from the reader. size 0 gives EmptyRootHash() without reading.
Result<Hash> TreeRoot(uint64_t size, HashReader& reader);

// RFC 9162 2.1.3.1 PATH(index, D[0:size]), leaf-side sibling first.
// Errors: kInvalidInput if index >= size; reader errors.
Result<std::vector<Hash>> ProveInclusion(uint64_t index, uint64_t size, HashReader& reader);

// RFC 9162 2.1.4.1 PROOF(size1, D[0:size2]).
// Errors: kInvalidInput if size1 > size2 (0 < size1 is not required here: the proof from 0
// is empty); reader errors.
Result<std::vector<Hash>> ProveConsistency(uint64_t size1, uint64_t size2, HashReader& reader);

// The root that `proof` implies for the leaf at `index` in a tree of `size` (RFC 9162
// 2.1.3.2). Errors: kInvalidInput if index >= size; kVerificationFailed if the proof has the
// wrong length for (index, size).
Result<Hash> RootFromInclusionProof(uint64_t index, uint64_t size, const Hash& leaf_hash,
                                    std::span<const Hash> proof);

// Checks an inclusion proof. Errors: as RootFromInclusionProof, and kVerificationFailed
// "inclusion proof for leaf <index> in tree <size> does not lead to the root" on mismatch.
Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                       std::span<const Hash> proof, const Hash& root);

// Checks a consistency proof (RFC 9162 2.1.4.2) with transparency-dev/merkle's semantics:
// size2 < size1 is an error; size1 == 0 is an error ("consistency proof from an empty tree is
// meaningless"; a witness special-cases it); size1 == size2 needs an empty proof and
// root1 == root2. Errors: kInvalidInput (sizes), kVerificationFailed (wrong proof length,
// roots that do not match, naming which one).
Status VerifyConsistency(uint64_t size1, uint64_t size2, const Hash& root1, const Hash& root2,
                         std::span<const Hash> proof);

// An incremental Merkle tree over leaves [0, size): keeps only the compact range (one hash
// per set bit of size), so appending costs one amortized node hash and the root costs at most
// 63 node hashes. Not thread-safe.
class CompactRange {
 public:
  // Called for every complete subtree that an append completes, bottom up: the leaf itself
  // (level 0) and each new parent.
  using NodeVisitor = std::function<void(HashAddress address, const Hash& hash)>;

  CompactRange() = default;
  // Resumes a tree of `size` leaves from its compact range: the hashes of
  // RangeDecomposition(0, size), left to right. Errors: kInvalidInput on a count mismatch.
  static Result<CompactRange> FromHashes(uint64_t size, std::vector<Hash> hashes);

  uint64_t size() const { return size_; }
  // The hashes of RangeDecomposition(0, size()), left to right.
  const std::vector<Hash>& hashes() const { return hashes_; }

  // Appends one leaf hash. `visitor` (may be empty) sees each completed subtree.
  // Errors: kLimitExceeded at 2^63 leaves.
  Status Append(const Hash& leaf_hash, const NodeVisitor& visitor = {});
  // MTH of the leaves so far (EmptyRootHash() when empty).
  Hash Root() const;

 private:
  uint64_t size_ = 0;
  std::vector<Hash> hashes_;
};

// A HashReader over hashes held in memory (tests, small trees): every complete subtree hash of
// a tree built by appending leaf hashes.
class MemoryHashStore : public HashReader {
 public:
  void Append(const Hash& leaf_hash);
  uint64_t size() const { return range_.size(); }
  Hash Root() const { return range_.Root(); }
  // Errors: kNotFound for an address that is not a complete subtree of the tree so far.
  Result<std::vector<Hash>> ReadHashes(std::span<const HashAddress> addresses) override;

 private:
  CompactRange range_;
  std::vector<std::vector<Hash>> levels_;  // levels_[l][i] = hash at (l, i)
};

}  // namespace clearbox::tlog
