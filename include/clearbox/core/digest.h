// SHA-256 (OpenSSL) and CRC-32 (zlib).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "clearbox/core/bytes.h"

namespace clearbox {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(ByteView data);
std::string Sha256Hex(ByteView data);

// Incremental SHA-256. Not thread-safe; one per stream.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;

  void Update(ByteView data);
  // Returns the digest and resets the hasher for reuse.
  Sha256Digest Finish();
  // The digest of what was fed so far; the hasher goes on (a prefix's digest, mid-stream).
  Sha256Digest Peek() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The digest of `data` under an algorithm named as firmware formats name it ("sha1",
// "sha256", "sha384", "sha512", "md5"; OpenSSL's names); nullopt for an unknown name.
std::optional<Bytes> DigestByName(std::string_view algorithm, ByteView data);

// CRC-32 (IEEE 802.3, as zlib, gzip, U-Boot and TRX use). `crc` continues a running value.
uint32_t Crc32(ByteView data, uint32_t crc = 0);

}  // namespace clearbox
