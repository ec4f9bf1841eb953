// Vendor obfuscations with public algorithms: Arcadyan's block-swapped LZMA header and
// EnGenius' 8-byte XOR. Formats and sources: vendor_crypt.h.
#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "vendor_crypt.h"

namespace clearbox::unpack::vendor_crypt {
namespace {

Note MakeNote(Note::Kind kind, uint64_t offset, std::string message) {
  return Note{kind, "", offset, std::move(message)};
}

// Nibble swap of each byte and swap of each byte pair: its own inverse.
void ScrambleBlock(uint8_t* block) {
  for (size_t i = 0; i < kArcadyanBlockSize; ++i) {
    block[i] = static_cast<uint8_t>((block[i] << 4) | (block[i] >> 4));
  }
  for (size_t i = 0; i < kArcadyanBlockSize; i += 2) std::swap(block[i], block[i + 1]);
}

void SwapBlocks(std::span<uint8_t> image) {
  std::swap_ranges(image.begin() + kArcadyanBlock1,
                   image.begin() + kArcadyanBlock1 + kArcadyanBlockSize,
                   image.begin() + kArcadyanBlock2);
}

std::string Printable(ByteView field) {
  std::string out;
  for (uint8_t c : field) {
    if (c == 0) break;
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  return out;
}

}  // namespace

// ---- Arcadyan

void ArcadyanDeobfuscate(std::span<uint8_t> image) {
  if (image.size() < kArcadyanMinSize) return;
  SwapBlocks(image);
  ScrambleBlock(image.data() + kArcadyanBlock1);
}

void ArcadyanObfuscate(std::span<uint8_t> image) {
  if (image.size() < kArcadyanMinSize) return;
  ScrambleBlock(image.data() + kArcadyanBlock1);
  SwapBlocks(image);
}

bool ArcadyanPlausible(ByteView container) {
  // The .lzma header (props, LE32 dictionary, LE64 size) lies in the block at 0x68.
  if (container.size() < kArcadyanMinSize) return false;
  uint8_t head[kArcadyanMinSize];
  std::memcpy(head, container.data(), sizeof(head));
  ArcadyanDeobfuscate(head);
  const uint8_t* lzma = head + kArcadyanLzmaOffset;
  if (lzma[0] >= 9 * 5 * 5) return false;
  uint32_t dict = LoadLE32(lzma + 1);
  uint64_t size = LoadLE64(lzma + 5);
  return dict >= (1u << 12) && dict <= (1u << 30) &&
         (size == UINT64_MAX || size <= (uint64_t{1} << 40));
}

Result<Decoded> DeobfuscateArcadyan(ByteView container, uint64_t max_out) {
  if (!ArcadyanPlausible(container)) {
    return Error::InvalidInput("arcadyan: no LZMA header after de-obfuscation");
  }
  if (container.size() > max_out) return Error::LimitExceeded("arcadyan: image size");
  Decoded d;
  d.data.assign(container.begin(), container.end());
  ArcadyanDeobfuscate(d.data);
  d.payload_offset = kArcadyanLzmaOffset;
  d.length = container.size();
  d.detail = fmt::format("tag {:#010x}, LZMA at 4", LoadBE32(container.data()));
  return d;
}

// ---- EnGenius

std::optional<EngeniusHeader> ReadEngeniusHeader(ByteView data) {
  static constexpr uint8_t kMagic[] = {0x12, 0x34, 0x56, 0x78};
  if (!FitsIn(data, 0, kEngeniusModelOffset) ||
      std::memcmp(data.data() + kEngeniusMagicOffset, kMagic, 4) != 0) {
    return std::nullopt;
  }
  EngeniusHeader h;
  h.vendor_id = LoadBE32(data.data() + 4);
  h.product_id = LoadBE32(data.data() + 8);
  h.version = Printable(data.subspan(0x0C, 20));
  h.length = LoadBE32(data.data() + 0x20);
  h.checksum = data.subspan(0x28, 16);
  h.reg_domain = Printable(data.subspan(0x60, 8));
  uint32_t model_len = LoadBE32(data.data() + 0x84);
  if (model_len > kEngeniusMaxModel || !FitsIn(data, kEngeniusModelOffset, model_len)) {
    return std::nullopt;
  }
  ByteView model = data.subspan(kEngeniusModelOffset, model_len);
  for (uint8_t c : model) {
    if (c != 0 && (c < 0x20 || c >= 0x7f)) return std::nullopt;  // a name, not noise
  }
  h.model = Printable(model);
  h.header_size = kEngeniusModelOffset + model_len;
  if (h.length == 0) return std::nullopt;
  return h;
}

void EngeniusXor(std::span<uint8_t> data, size_t phase) {
  for (size_t i = 0; i < data.size(); ++i)
    data[i] ^= kEngeniusKey[(i + phase) % kEngeniusKey.size()];
}

Result<Decoded> DecodeEngenius(ByteView container, uint64_t max_out) {
  std::optional<EngeniusHeader> h = ReadEngeniusHeader(container);
  if (!h) return Error::InvalidInput("engenius: no valid header");
  Decoded d;
  d.payload_offset = h->header_size;
  uint64_t present = container.size() - h->header_size;
  uint64_t usable = std::min<uint64_t>(h->length, present);
  d.length = h->header_size + usable;
  if (h->length > present) {
    d.notes.push_back(MakeNote(Note::Kind::kCorrupt, 0x20,
                               fmt::format("engenius: header claims {} bytes of data, only {} "
                                           "present",
                                           h->length, present)));
  }
  if (usable == 0) return Error::InvalidInput("engenius: no data");
  if (usable > max_out) return Error::LimitExceeded("engenius: decoded size");
  ByteView data = container.subspan(h->header_size, usable);
  // Zero plaintext shows the key itself: its first appearance fixes the phase.
  auto at = std::search(data.begin(), data.end(), kEngeniusKey.begin(), kEngeniusKey.end());
  size_t phase = 0;
  if (at != data.end()) {
    size_t pos = static_cast<size_t>(at - data.begin());
    phase = (kEngeniusKey.size() - pos % kEngeniusKey.size()) % kEngeniusKey.size();
  } else {
    d.notes.push_back(MakeNote(Note::Kind::kInfo, h->header_size,
                               "engenius: the key never shows in clear; its phase is assumed to "
                               "start with the data"));
  }
  d.data.assign(data.begin(), data.end());
  EngeniusXor(d.data, phase);
  // The header's 16-byte checksum has no published algorithm: say when it is a plain MD5.
  uint8_t md5[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (usable == h->length &&
      EVP_Digest(d.data.data(), d.data.size(), md5, &n, EVP_md5(), nullptr) == 1) {
    bool match = n == 16 && std::equal(md5, md5 + 16, h->checksum.begin());
    d.notes.push_back(MakeNote(Note::Kind::kInfo, 0x28,
                               match ? "engenius: header checksum is the MD5 of the data (verified)"
                                     : "engenius: header checksum not verified (algorithm not "
                                       "published)"));
  }
  d.detail = fmt::format("XOR, model \"{}\", version \"{}\", domain \"{}\", key phase {}", h->model,
                         h->version, h->reg_domain, phase);
  return d;
}

}  // namespace clearbox::unpack::vendor_crypt
