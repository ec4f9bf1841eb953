#include "clearbox/core/digest.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <zlib.h>

#include "clearbox/core/encoding.h"

namespace clearbox {

Sha256Digest Sha256(ByteView data) {
  Sha256Digest d;
  SHA256(data.data(), data.size(), d.data());
  return d;
}

std::string Sha256Hex(ByteView data) { return HexEncode(Sha256(data)); }

struct Sha256Hasher::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {
  EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
}
Sha256Hasher::~Sha256Hasher() = default;
Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;

void Sha256Hasher::Update(ByteView data) { EVP_DigestUpdate(impl_->ctx, data.data(), data.size()); }

Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest d;
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, d.data(), &len);
  EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
  return d;
}

uint32_t Crc32(ByteView data, uint32_t crc) {
  // zlib takes uInt lengths; feed large buffers in chunks.
  const uint8_t* p = data.data();
  size_t n = data.size();
  uLong c = crc;
  while (n > 0) {
    uInt chunk = n > (1u << 30) ? (1u << 30) : static_cast<uInt>(n);
    c = crc32(c, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(c);
}

}  // namespace clearbox
