// TP-Link / Mercury "IMG0" images: the container of VxWorks router firmware (TL-WR702N,
// TL-WR720N, TL-WR541G...). binwalk's "firmware" magic names it; the field meanings below were
// worked out on the TL-WR702N sample (shared/corpus/real/tplink_vxworks_wr.fw) and agree with
// the public TL-WR720N write-up (wr720n_fw.py's README). Big-endian, 0x80 bytes:
//   0x00 "IMG0"
//   0x04 u32 length: bytes from the magic to the end of the image
//   0x08 u16 product id (0x0702 for the WR702N), 0x0A u16 language (0x1101 English, 0x0001
//        Chinese)
//   0x40 u32 kernel offset (from the magic; 0x80, right after the header), 0x44 its size
//   0x48 u32 file system offset, 0x4C its size (0 when absent)
//   0x50 u32 offset of a last, opaque part, 0x54 its size (0 when absent)
// The first image of a file starts 20 bytes in (a word and an MD5 before it) and its kernel
// region holds the boot ROM (a VxWorks boot loader, LZMA) and then, at the next 256 KiB, a
// second IMG0 whose kernel is one LZMA-alone stream and whose file system is a Wind River
// MemFS (vxworks_memfs.h).
//
// Parse reports regions that are out of range as Notes and keeps what the image holds.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"

namespace clearbox::unpack::img0 {

inline constexpr size_t kHeaderSize = 0x80;

struct Header {
  uint32_t length = 0;
  uint16_t product = 0;
  uint16_t language = 0;
  uint32_t kernel_offset = 0, kernel_size = 0;
  uint32_t fs_offset = 0, fs_size = 0;
  uint32_t tail_offset = 0, tail_size = 0;
};

std::optional<Header> ReadHeader(ByteView data);
// The header is worth trusting: its length covers the header and its kernel region lies
// after the header and inside the length.
bool Plausible(const Header& h);
// "English", "Chinese", or "0x1234".
std::string LanguageName(uint16_t language);

struct Region {
  std::string label;    // "kernel", "fs", "tail"
  uint64_t offset = 0;  // from the magic
  uint64_t size = 0;    // as the header says
  ByteView data;        // what the buffer holds of it
};

struct Image {
  Header header;
  std::vector<Region> regions;  // the non-empty ones, in header order
  std::vector<Note> notes;
};

// Errors: kInvalidInput without an IMG0 header at the start of `data`.
Result<Image> Parse(ByteView data);

// An LZMA-alone header at the start of `data` that a TP-Link tool would write: props < 225,
// a dictionary of 4 KiB..128 MiB, a known size below 1 GiB (or -1), a first byte of 0.
bool LzmaAloneAt(ByteView data);

// Where the next plausible IMG0 header starts in `data` at or after `from` (4-byte aligned),
// or nullopt.
std::optional<uint64_t> NextImg0(ByteView data, uint64_t from);

}  // namespace clearbox::unpack::img0
