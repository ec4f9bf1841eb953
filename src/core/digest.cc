#include "clearbox/core/digest.h"

#include <libdeflate.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <iterator>

#include "clearbox/core/encoding.h"

namespace clearbox {

// OpenSSL 3's one-shot SHA256() and EVP_DigestInit_ex(EVP_sha256()) look the algorithm up on
// every call (about 3 us for a short input, 6x the hashing itself). The low-level SHA256_*
// calls, deprecated but kept by OpenSSL 3, skip that; tlog hashes millions of 65-byte nodes.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
Sha256Digest Sha256(ByteView data) {
  Sha256Digest d;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(d.data(), &ctx);
  return d;
}

struct Sha256Hasher::Impl {
  SHA256_CTX ctx;
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) { SHA256_Init(&impl_->ctx); }
Sha256Hasher::~Sha256Hasher() = default;
Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;

void Sha256Hasher::Update(ByteView data) { SHA256_Update(&impl_->ctx, data.data(), data.size()); }

Sha256Digest Sha256Hasher::Peek() const {
  SHA256_CTX copy = impl_->ctx;  // a plain struct: finishing the copy leaves the stream going
  Sha256Digest d;
  SHA256_Final(d.data(), &copy);
  return d;
}

Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest d;
  SHA256_Final(d.data(), &impl_->ctx);
  SHA256_Init(&impl_->ctx);
  return d;
}
#pragma GCC diagnostic pop

std::string Sha256Hex(ByteView data) { return HexEncode(Sha256(data)); }

std::optional<Bytes> DigestByName(std::string_view algorithm, ByteView data) {
  static constexpr std::string_view kKnown[] = {"sha1", "sha256", "sha384", "sha512", "md5"};
  if (std::find(std::begin(kKnown), std::end(kKnown), algorithm) == std::end(kKnown)) {
    return std::nullopt;
  }
  const EVP_MD* md = EVP_get_digestbyname(std::string(algorithm).c_str());
  if (md == nullptr) return std::nullopt;
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &size, md, nullptr) != 1) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

uint32_t Crc32(ByteView data, uint32_t crc) {
  // libdeflate's CRC-32 folds with carry-less multiplication where the CPU has it: ~10x
  // zlib's, and every CRC-checked format (uImage, JFFS2, UBI, squashfs metadata keys) uses it.
  // (It takes a null buffer as "start a CRC" and returns 0, whatever `crc` is.)
  if (data.empty()) return crc;
  return libdeflate_crc32(crc, data.data(), data.size());
}

}  // namespace clearbox
