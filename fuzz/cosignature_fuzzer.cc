// Fuzzes tlog-cosignature decoding and verification (clearbox/tlog/cosignature.h): the
// input as a cosigned checkpoint note, as raw signature bytes, and as a verifier key.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "clearbox/core/bytes.h"
#include "clearbox/tlog/cosignature.h"

namespace {
const clearbox::tlog::CosignatureV1Verifier& Witness() {
  static auto v = clearbox::tlog::CosignatureV1Verifier::FromVerifierKey(
                      "witness.example.org+b8a2cf20+BFLN3yikSfFkVAJtrnh/CiY3Zozkoy7clp+P7XB28qUN")
                      .value();
  return *v;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace clearbox::tlog;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const CosignatureV1Verifier* cosigners[] = {&Witness()};
  auto verified = VerifyCosignatures(input, cosigners);
  if (verified.ok() && verified->size() > 1) std::abort();  // one per cosigner
  clearbox::ByteView bytes(data, size);
  auto decoded = DecodeCosignatureV1(bytes);
  if (decoded.ok() &&
      EncodeCosignatureV1(*decoded) != clearbox::Bytes(bytes.begin(), bytes.end())) {
    std::abort();
  }
  (void)Witness().Verify(bytes, bytes);
  (void)NewNoteVerifier(input);
  (void)CosignatureV1Verifier::FromVerifierKey(input);
  return 0;
}
