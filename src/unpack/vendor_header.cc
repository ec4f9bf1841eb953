// Helpers shared by the vendor firmware header parsers (vendor_header.h).
#include "vendor_header.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <memory>

namespace clearbox::unpack::vendor {

std::string FieldString(ByteView data, uint64_t offset, uint64_t size) {
  std::string out;
  if (offset >= data.size()) return out;
  size = std::min<uint64_t>(size, data.size() - offset);
  for (uint64_t i = 0; i < size; ++i) {
    uint8_t c = data[offset + i];
    if (c == 0) break;
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  return out;
}

bool PrintableField(ByteView data, uint64_t offset, uint64_t size, size_t min_chars,
                    bool zero_padded) {
  if (!FitsIn(data, offset, size)) return false;
  size_t chars = 0;
  uint64_t i = 0;
  for (; i < size; ++i) {
    uint8_t c = data[offset + i];
    if (c == 0) break;
    if (c < 0x20 || c >= 0x7f) return false;
    ++chars;
  }
  if (chars < min_chars) return false;
  if (zero_padded) {
    for (; i < size; ++i) {
      if (data[offset + i] != 0) return false;
    }
  }
  return true;
}

void AddCorrupt(Image& image, uint64_t offset, std::string message) {
  image.notes.push_back({Note::Kind::kCorrupt, "", offset, std::move(message)});
}

void AddInfo(Image& image, uint64_t offset, std::string message) {
  image.notes.push_back({Note::Kind::kInfo, "", offset, std::move(message)});
}

void CheckValue(Image& image, uint64_t offset, std::string_view what, uint64_t stored,
                uint64_t computed, int hex_digits) {
  if (stored == computed) {
    AddInfo(image, offset, fmt::format("{} verified ({:#0{}x})", what, stored, hex_digits + 2));
  } else {
    AddCorrupt(image, offset,
               fmt::format("{} mismatch: stored {:#0{}x}, computed {:#0{}x}", what, stored,
                           hex_digits + 2, computed, hex_digits + 2));
  }
}

bool AddPart(Image& image, ByteView data, std::string label, uint64_t offset, uint64_t size,
             uint64_t limit, uint64_t field_offset) {
  if (offset >= data.size()) {
    AddCorrupt(image, field_offset,
               fmt::format("{} at {:#x} ({} bytes) lies past the end of the data ({} bytes)", label,
                           offset, size, data.size()));
    return false;
  }
  if (limit && (offset > limit || size > limit - offset)) {
    AddCorrupt(image, field_offset,
               fmt::format("{} [{:#x}, +{:#x}) runs past the image length {:#x}", label, offset,
                           size, limit));
  }
  uint64_t present = std::min<uint64_t>(size, data.size() - offset);
  if (present < size) {
    AddCorrupt(image, field_offset,
               fmt::format("truncated: {} at {:#x} needs {} bytes, {} are present", label, offset,
                           size, present));
  }
  if (present == 0) return false;
  image.parts.push_back({std::move(label), offset, size, data.subspan(offset, present)});
  return true;
}

uint32_t NetgearChecksum(ByteView data) {
  uint32_t c0 = 0, c1 = 0;
  for (uint8_t b : data) {
    c0 += b;
    c1 += c0;
  }
  auto fold = [](uint32_t v) {
    uint32_t b = (v & 0xffff) + (v >> 16);
    return ((b >> 16) + b) & 0xffff;
  };
  return fold(c1) << 16 | fold(c0);
}

Bytes Md5With(ByteView data, uint64_t field, ByteView replacement) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  Bytes out(16, 0);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1) return out;
  if (replacement.empty() || !FitsIn(data, field, replacement.size())) {
    EVP_DigestUpdate(ctx.get(), data.data(), data.size());
  } else {
    EVP_DigestUpdate(ctx.get(), data.data(), field);
    EVP_DigestUpdate(ctx.get(), replacement.data(), replacement.size());
    uint64_t rest = field + replacement.size();
    EVP_DigestUpdate(ctx.get(), data.data() + rest, data.size() - rest);
  }
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
  return out;
}

std::string Hex(ByteView bytes) {
  std::string out;
  for (uint8_t b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

}  // namespace clearbox::unpack::vendor
