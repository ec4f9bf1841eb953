// eCos (the embedded configurable OS; RedBoot is its boot loader): recognised, not unpacked.
// An eCos image is a flat binary, often LZMA-compressed inside a vendor container; what can
// be read from it without executing anything is noted:
//   - the MIPS kernel exception handler eCos links in (binwalk's "ecos" magic): mfc0 k0,Cause;
//     [nop;] andi k0,k0,0x7F; lui k1,HI; addiu k1,k1,LO: the vector table at HI<<16 + LO,
//     in either byte order;
//   - the banner strings "eCos Release..." (the shell's version line) and "RedBoot(tm)
//     bootstrap and debug environment..." with the version text that follows them.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "clearbox/core/bytes.h"

namespace clearbox::unpack::ecos {

struct ExceptionHandler {
  bool big_endian = true;
  uint32_t vector_table = 0;
  uint64_t length = 0;  // bytes of the recognised instructions
};

// The exception handler at the start of `data`, if the instructions are all there.
std::optional<ExceptionHandler> ReadExceptionHandler(ByteView data);

struct Banner {
  std::string text;     // the printable string, at most 120 characters
  std::string version;  // "3.0", "v2_0", empty when the text names none (a %d format)
  uint64_t length = 0;  // bytes of the string
};

// An "eCos Release" or "RedBoot(tm) bootstrap" string at the start of `data`.
std::optional<Banner> ReadBanner(ByteView data);

}  // namespace clearbox::unpack::ecos
