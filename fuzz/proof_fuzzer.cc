// Fuzzes the c2sp.org/tlog-proof parser and proof verification (clearbox/tlog/proof.h,
// merkle.h). Invariant: a proof that parses formats back to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "clearbox/core/bytes.h"
#include "clearbox/tlog/proof.h"
#include "test_log_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace clearbox::tlog;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto proof = ParseTlogProof(input);
  if (!proof.ok()) return 0;
  if (FormatTlogProof(*proof) != input) std::abort();
  Hash leaf = LeafHash(clearbox::AsBytes("eit"));
  (void)VerifyTlogProof(*proof, leaf, clearbox::fuzz::TestLogKey());
  // The proof hashes against arbitrary sizes taken from the index, as both proof kinds.
  uint64_t size1 = proof->index >> 32, size2 = proof->index & 0xffffffff;
  (void)RootFromInclusionProof(size1, size2, leaf, proof->inclusion_proof);
  (void)VerifyConsistency(size1, size2, leaf, leaf, proof->inclusion_proof);
  return 0;
}
