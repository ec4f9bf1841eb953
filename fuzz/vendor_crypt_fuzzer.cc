// Fuzzes the vendor decryptions and de-obfuscations (D-Link encrpted_img, SHRS, alpha_encimg
// v1 and v2, Arcadyan, EnGenius): header sizes against the buffer, partial AES blocks, digests,
// SEAMA offsets inside the plaintext, the XOR key search, and the LZMA stream Arcadyan hides.
#include <cstddef>
#include <cstdint>

#include "decompress_bounded.h"
#include "unpack/internal/format.h"
#include "unpack/vendor_crypt.h"

using namespace clearbox;
using namespace clearbox::unpack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView input(data, size);
  constexpr uint64_t kBudget = 1 << 20;
  for (std::string_view name : {"dlink_encrpted_img", "dlink_shrs", "dlink_alpha_encimg",
                                "dlink_alpha_encimg_v2", "arcadyan_obfuscated", "engenius"}) {
    const unpack::internal::FormatHandler* f = unpack::internal::FindFormat(name);
    if (f != nullptr && f->probe != nullptr) (void)f->probe(input);
  }
  (void)vendor_crypt::DecryptEncrptedImg(input, kBudget);
  (void)vendor_crypt::DecryptShrs(input, kBudget);
  (void)vendor_crypt::DecryptAlphaEncimg(input, kBudget);
  (void)vendor_crypt::DecryptAlphaEncimgV2(input, kBudget);
  (void)vendor_crypt::DecodeEngenius(input, kBudget);
  Result<vendor_crypt::Decoded> arcadyan = vendor_crypt::DeobfuscateArcadyan(input, kBudget);
  if (arcadyan.ok()) {
    fuzz::DecompressBounded(Codec::kLzmaAlone,
                            ByteView(arcadyan->data).subspan(vendor_crypt::kArcadyanLzmaOffset));
  }
  return 0;
}
