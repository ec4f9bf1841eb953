// D-Link / Alpha Networks encimg v2: a plain WRGG03 header over an AES-256-CBC payload.
// Format, key and sources: vendor_crypt.h.
#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "vendor_crypt.h"

namespace clearbox::unpack::vendor_crypt {
namespace {

// One key and IV for every model (before mangling with the signature).
constexpr std::string_view kWrggKey = "oVhq0hvXHdfaGFLdubM4/QvuVHdKee7v";
constexpr std::string_view kWrggIv = "0BO5nlYankuVBe4s";
constexpr uint32_t kWrggMagic = 0x20080321;
constexpr size_t kFsizeOffset = 0x68;

Note MakeNote(Note::Kind kind, uint64_t offset, std::string message) {
  return Note{kind, "", offset, std::move(message)};
}

std::string Field(ByteView field) {
  std::string out;
  for (uint8_t c : field) {
    if (c == 0) break;
    out.push_back(static_cast<char>(c));
  }
  return out;
}

// Plaintext payloads the header is also used with: LZMA, FIT, uImage, DAP-X2810's own.
bool LooksPlain(ByteView block) {
  static constexpr uint8_t kPlain[][4] = {{0x5d, 0x00, 0x00, 0x80},
                                          {0xd0, 0x0d, 0xfe, 0xed},
                                          {0x27, 0x05, 0x19, 0x56},
                                          {0x10, 0xec, 0x7a, 0x0d}};
  for (const auto& m : kPlain) {
    if (std::equal(m, m + 4, block.begin())) return true;
  }
  // Ciphertext has nearly 4 bits of entropy per byte over 16 bytes; text and code far less.
  int counts[256] = {};
  for (uint8_t b : block) ++counts[b];
  double bits = 0;
  for (int c : counts) {
    if (c) bits -= c / 16.0 * std::log2(c / 16.0);
  }
  return bits < 3.0;
}

}  // namespace

std::string_view WrggKey() { return kWrggKey; }
std::string_view WrggIv() { return kWrggIv; }

std::optional<WrggHeader> ReadEncryptedWrggHeader(ByteView data) {
  if (data.size() < kWrggHeaderSize + 16) return std::nullopt;
  const uint8_t* p = data.data();
  bool magic_le = LoadLE32(p + 0x20) == kWrggMagic && LoadLE32(p + 0x24) == kWrggMagic;
  bool magic_be = LoadBE32(p + 0x20) == kWrggMagic && LoadBE32(p + 0x24) == kWrggMagic;
  if (!magic_le && !magic_be) return std::nullopt;
  // Devices of both byte orders write the same magic, so only the size tells: the larger
  // reading that fits the data, else the smaller (unblob takes the smaller).
  WrggHeader h;
  const uint64_t room = data.size() - kWrggHeaderSize;
  uint32_t le = LoadLE32(p + kFsizeOffset), be = LoadBE32(p + kFsizeOffset);
  uint32_t big = std::max(le, be), small = std::min(le, be);
  h.fsize = big <= room ? big : small;
  h.big_endian = h.fsize == be && be != le;
  h.signature = Field(data.subspan(0, 32));
  if (h.signature.empty() || h.fsize < 16 || h.fsize % 16 != 0) return std::nullopt;
  for (char c : h.signature) {
    if (c < 0x21 || c > 0x7e) return std::nullopt;
  }
  h.version = Field(data.subspan(0x28, 16));
  h.model = Field(data.subspan(0x38, 16));
  h.digest = data.subspan(0x90, 16);
  if (LooksPlain(data.subspan(kWrggHeaderSize, 16))) return std::nullopt;
  return h;
}

Result<Decoded> DecryptAlphaEncimgV2(ByteView container, uint64_t max_out) {
  std::optional<WrggHeader> h = ReadEncryptedWrggHeader(container);
  if (!h) return Error::InvalidInput("alpha_encimg v2: no encrypted WRGG03 image");
  Decoded d;
  d.payload_offset = kWrggHeaderSize;
  const uint64_t present = container.size() - kWrggHeaderSize;
  uint64_t usable = std::min<uint64_t>(h->fsize, present);
  d.length = kWrggHeaderSize + usable;
  if (h->fsize > present) {
    d.notes.push_back(MakeNote(Note::Kind::kCorrupt, kFsizeOffset,
                               fmt::format("alpha_encimg v2: header claims {} bytes, only {} "
                                           "present",
                                           h->fsize, present)));
    usable -= usable % 16;
  }
  if (usable > max_out) return Error::LimitExceeded("alpha_encimg v2: decrypted size");
  Bytes key = AlphaMangle(h->signature, kWrggKey), iv = AlphaMangle(h->signature, kWrggIv);
  ByteView cipher = container.subspan(kWrggHeaderSize, usable);
  d.data.resize(usable);
  CLEARBOX_RETURN_IF_ERROR(AesCbcDecrypt(key, iv, cipher, d.data.data()));
  // The digest's input is not published: say which MD5 it is, when it is one.
  if (usable == h->fsize) {
    uint8_t md5[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    auto is_md5_of = [&](ByteView b) {
      return EVP_Digest(b.data(), b.size(), md5, &n, EVP_md5(), nullptr) == 1 && n == 16 &&
             std::equal(md5, md5 + 16, h->digest.begin());
    };
    std::string_view what = is_md5_of(d.data)   ? "is the MD5 of the plaintext (verified)"
                            : is_md5_of(cipher) ? "is the MD5 of the ciphertext (verified)"
                                                : "not verified (algorithm not published)";
    d.notes.push_back(
        MakeNote(Note::Kind::kInfo, 0x90, fmt::format("alpha_encimg v2: digest {}", what)));
  }
  d.detail = fmt::format("AES-256-CBC, WRGG03 {}, signature \"{}\", model \"{}\", version \"{}\"",
                         h->big_endian ? "big-endian" : "little-endian", h->signature, h->model,
                         h->version);
  return d;
}

}  // namespace clearbox::unpack::vendor_crypt
