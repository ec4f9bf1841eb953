// Test-only writers of vendor firmware headers, following the published layouts (OpenWrt
// firmware-utils mktplinkfw/mktplinkfw2, mkchkimg, seama, mkfwimage, xiaomifw; Huawei's
// UPDATE.APP and HWNP as split_updata.pl and HuaweiFirmwareTool read them; Realtek cvimg),
// and a helper to open an image with its handler and a FakeWalker.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "clearbox/core/digest.h"
#include "flash_test_util.h"
#include "internal/format.h"
#include "vendor_header.h"

namespace clearbox::unpack::testing {

inline void PutBE32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
inline void PutLE32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void PutBE16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
inline void PutLE16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}
inline void PutString(Bytes& b, size_t at, std::string_view s) {
  std::copy(s.begin(), s.end(), b.begin() + at);
}
inline void Append(Bytes& b, ByteView more) { b.insert(b.end(), more.begin(), more.end()); }

// Probes `image` with `handler` (which must accept it) and opens the container it spans.
inline FakeWalker OpenVendor(const internal::FormatHandler& handler, ByteView image,
                             Limits limits = {}) {
  FakeWalker walker(limits);
  std::optional<internal::Match> match = handler.probe(image);
  EXPECT_TRUE(match.has_value()) << handler.name;
  if (!match) return walker;
  ByteView container =
      match->length ? image.first(std::min<uint64_t>(image.size(), match->length)) : image;
  Result<uint64_t> spanned = handler.open(container, *match, walker);
  EXPECT_TRUE(spanned.ok()) << spanned.error().ToString();
  return walker;
}

inline const vendor::Part* FindPart(const vendor::Image& image, std::string_view label) {
  for (const vendor::Part& p : image.parts) {
    if (p.label == label) return &p;
  }
  return nullptr;
}

inline bool HasNote(const vendor::Image& image, Note::Kind kind, std::string_view text) {
  for (const Note& n : image.notes) {
    if (n.kind == kind && n.message.find(text) != std::string::npos) return true;
  }
  return false;
}

inline std::string NotesOf(const vendor::Image& image) {
  std::string all;
  for (const Note& n : image.notes) all += std::to_string(n.offset) + ": " + n.message + "\n";
  return all;
}

// Netgear CHK (mkchkimg): header with board id, kernel, rootfs.
inline Bytes BuildChk(ByteView kernel, ByteView rootfs, std::string_view board) {
  Bytes image(40 + board.size(), 0);
  PutString(image, 0, "*#$^");
  PutBE32(image, 4, static_cast<uint32_t>(image.size()));
  image[8] = 1;  // region
  image[9] = 1;
  image[10] = 0;
  image[11] = 2;
  PutBE32(image, 0x10, vendor::NetgearChecksum(kernel));
  PutBE32(image, 0x14, vendor::NetgearChecksum(rootfs));
  PutBE32(image, 0x18, static_cast<uint32_t>(kernel.size()));
  PutBE32(image, 0x1c, static_cast<uint32_t>(rootfs.size()));
  Bytes both(kernel.begin(), kernel.end());
  Append(both, rootfs);
  PutBE32(image, 0x20, vendor::NetgearChecksum(both));
  PutString(image, 40, board);
  PutBE32(image, 0x24, vendor::NetgearChecksum(image));
  Append(image, both);
  return image;
}

// D-Link SEAMA (seama): header, NUL-separated metadata padded to 4, data.
inline Bytes BuildSeama(ByteView payload, std::string_view meta) {
  Bytes m(meta.begin(), meta.end());
  m.push_back(0);
  while (m.size() % 4) m.push_back(0);
  Bytes image(28, 0);
  PutBE32(image, 0, 0x5ea3a417);
  PutBE16(image, 6, static_cast<uint16_t>(m.size()));
  PutBE32(image, 8, static_cast<uint32_t>(payload.size()));
  Bytes md5 = vendor::Md5With(payload, 0, {});
  std::copy(md5.begin(), md5.end(), image.begin() + 12);
  Append(image, m);
  Append(image, payload);
  return image;
}

// Ubiquiti (mkfwimage): header, parts each with a CRC trailer, END. signature.
inline Bytes BuildUbnt(std::string_view magic, std::string_view version,
                       const std::vector<std::pair<std::string, Bytes>>& parts) {
  Bytes image(268, 0);
  PutString(image, 0, magic);
  PutString(image, 4, version);
  PutBE32(image, 260, Crc32(ByteView(image).first(260)));
  uint32_t index = 1;
  for (const auto& [name, data] : parts) {
    Bytes part(56, 0);
    PutString(part, 0, "PART");
    PutString(part, 4, name);
    PutBE32(part, 32, 0x80002000);
    PutBE32(part, 36, index++);
    PutBE32(part, 40, 0x9f050000);
    PutBE32(part, 44, 0x80002000);
    PutBE32(part, 48, static_cast<uint32_t>(data.size()));
    PutBE32(part, 52, static_cast<uint32_t>(data.size() + 0x10000));
    Append(part, data);
    Bytes crc(8, 0);
    PutBE32(crc, 0, Crc32(part));
    Append(image, part);
    Append(image, crc);
  }
  Bytes end(12, 0);
  PutString(end, 0, "END.");
  PutBE32(end, 4, Crc32(image));
  Append(image, end);
  return image;
}

// Huawei UPDATE.APP: 92 zero bytes, then partitions with X.25 CRC16 tables per 4 KiB block.
inline uint16_t TestCrc16X25(ByteView data) {
  uint16_t crc = 0xffff;
  for (uint8_t b : data) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0x8408 : crc >> 1;
  }
  return static_cast<uint16_t>(~crc);
}
inline Bytes BuildUpdateApp(const std::vector<std::pair<std::string, Bytes>>& parts) {
  Bytes image(92, 0);
  for (const auto& [name, data] : parts) {
    size_t blocks = (data.size() + 4095) / 4096;
    Bytes h(98 + 2 * blocks, 0);
    PutLE32(h, 0, 0xa55aaa55);
    PutLE32(h, 4, static_cast<uint32_t>(h.size()));
    PutLE32(h, 8, 1);
    PutString(h, 12, "HW7x27");
    PutLE32(h, 24, static_cast<uint32_t>(data.size()));
    PutString(h, 28, "2014.01.01");
    PutString(h, 44, "12.00.00");
    PutString(h, 60, name);
    PutLE16(h, 94, 4096);
    for (size_t b = 0; b < blocks; ++b) {
      size_t n = std::min<size_t>(4096, data.size() - b * 4096);
      PutLE16(h, 98 + 2 * b, TestCrc16X25(ByteView(data).subspan(b * 4096, n)));
    }
    Append(image, h);
    Append(image, data);
    while (image.size() % 4) image.push_back(0);
  }
  return image;
}

// Huawei HWNP: header, product list, item table, item data; CRC32s as HuaweiFirmwareTool.
inline Bytes BuildHwnp(const std::vector<std::pair<std::string, Bytes>>& items,
                       std::string_view products) {
  const size_t header = 36 + products.size() + 360 * items.size();
  Bytes image(header, 0);
  PutString(image, 0, "HWNP");
  PutLE32(image, 12, static_cast<uint32_t>(header));
  PutLE32(image, 20, static_cast<uint32_t>(items.size()));
  PutLE16(image, 26, static_cast<uint16_t>(products.size()));
  PutLE32(image, 28, 360);
  PutString(image, 36, products);
  size_t offset = header;
  for (size_t i = 0; i < items.size(); ++i) {
    size_t at = 36 + products.size() + 360 * i;
    PutLE32(image, at, static_cast<uint32_t>(i));
    PutLE32(image, at + 4, Crc32(items[i].second));
    PutLE32(image, at + 8, static_cast<uint32_t>(offset));
    PutLE32(image, at + 12, static_cast<uint32_t>(items[i].second.size()));
    PutString(image, at + 16, items[i].first);
    PutString(image, at + 272, i == 0 ? "UPGRDCHECK" : "KERNEL");
    PutString(image, at + 288, "V500R020");
    offset += items[i].second.size();
  }
  for (const auto& item : items) Append(image, item.second);
  PutLE32(image, 4, static_cast<uint32_t>(image.size()));
  PutLE32(image, 16, Crc32(ByteView(image).subspan(20, header - 20)));
  PutLE32(image, 8, Crc32(ByteView(image).subspan(12)));
  return image;
}

// Realtek cvimg: 16-byte header, data, 16-bit checksum making the word sum zero.
inline Bytes BuildRealtek(std::string_view signature, ByteView payload) {
  Bytes body(payload.begin(), payload.end());
  if (body.size() % 2) body.push_back(0);
  uint32_t sum = 0;
  for (size_t i = 0; i < body.size(); i += 2) sum += uint32_t(body[i]) << 8 | body[i + 1];
  uint16_t check = static_cast<uint16_t>(0x10000 - (sum & 0xffff));
  body.push_back(static_cast<uint8_t>(check >> 8));
  body.push_back(static_cast<uint8_t>(check));
  Bytes image(16, 0);
  PutString(image, 0, signature);
  PutBE32(image, 4, 0x80c00000);
  PutBE32(image, 8, 0x30000);
  PutBE32(image, 12, static_cast<uint32_t>(body.size()));
  Append(image, body);
  return image;
}

// ZyXEL ZyNOS object (mkzynfw): 48-byte header with "SIG", compressed data and its checksum.
inline uint16_t TestZynosChecksum(ByteView data) {
  uint32_t sum = 0;
  for (size_t i = 0; i < data.size(); i += 2) {
    sum += uint32_t(data[i]) << 8 | (i + 1 < data.size() ? data[i + 1] : 0);
    if (sum > 0xffff) sum = (sum + 1) & 0xffff;
  }
  return static_cast<uint16_t>(sum);
}
inline Bytes BuildZynos(ByteView payload, uint32_t original_size) {
  Bytes image(48, 0);
  PutBE32(image, 0, 0x80010000);
  PutString(image, 6, "SIG");
  image[9] = 0x04;  // ROM-bin
  PutBE32(image, 10, original_size);
  PutBE32(image, 14, static_cast<uint32_t>(payload.size()));
  image[18] = 0x80 | 0x20;  // compressed, compressed checksum valid
  PutBE16(image, 22, TestZynosChecksum(payload));
  PutString(image, 24, "V3.40(AGD.2)");
  PutBE32(image, 39, 0x80008000);
  Append(image, payload);
  return image;
}

// Broadcom image tag (imagetag.c): 256 bytes of ASCII fields, then kernel and rootfs
// (OpenWrt order: the kernel at the flash image start). CRCs are ~crc32, big-endian.
inline Bytes BuildBcmTag(ByteView kernel, ByteView rootfs) {
  Bytes image(256, 0);
  auto number = [&](size_t at, uint64_t v) { PutString(image, at, std::to_string(v)); };
  PutString(image, 0, "6");
  PutString(image, 4, "Broadcom Corporatio");
  PutString(image, 24, "ver. 2.0");
  PutString(image, 38, "6348");
  PutString(image, 44, "96348GW-11");
  PutString(image, 60, "1");
  number(62, kernel.size() + rootfs.size());
  number(72, 0);
  number(84, 0);
  const uint64_t start = 0xbfc10100;
  number(94, start);
  number(106, rootfs.size());
  number(116, start);
  number(128, kernel.size());
  PutString(image, 162, "OpenWrt");
  PutBE32(image, 220, ~Crc32(rootfs));
  PutBE32(image, 224, ~Crc32(kernel));
  PutBE32(image, 236, ~Crc32(ByteView(image).first(236)));
  Append(image, kernel);
  Append(image, rootfs);
  return image;
}

}  // namespace clearbox::unpack::testing
