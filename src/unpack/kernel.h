// Linux kernel images: the headers of x86 bzImages and ARM zImages, the compressed vmlinux
// inside them, the version banner and the embedded configuration (IKCONFIG).
//
// Specs: Documentation/x86/boot.rst (the real-mode setup header, "HdrS" at 0x202),
// arch/arm/boot/compressed/head.S (the zImage magic 0x016F2818 at 0x24, start/end at
// 0x28/0x2C), kernel/configs.c (the gzipped .config between "IKCFG_ST" and "IKCFG_ED"),
// init/version.c (linux_banner: "Linux version %s (%s@%s) (%s) %s\n").
// Pure functions over bytes; kernel_format.cc turns them into format handlers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "decompress.h"

namespace clearbox::unpack::internal {

struct BzImageHeader {
  uint16_t protocol = 0;        // boot protocol version, 0x0208 or later
  uint64_t setup_bytes = 0;     // (setup_sects + 1) * 512: where the protected-mode code starts
  uint64_t image_bytes = 0;     // setup_bytes + syssize * 16: the bzImage's length
  uint64_t payload_offset = 0;  // of the compressed vmlinux, from the image's start
  uint64_t payload_length = 0;
  std::string version;  // the setup header's kernel_version string ("" when absent)
};

// The setup header at the start of `d`; nullopt when it is not one (boot flag 0xAA55, "HdrS",
// protocol 2.08+ which has payload_offset). Offsets are not checked against `d`.
std::optional<BzImageHeader> ParseBzImage(ByteView d);

struct ZImageHeader {
  bool big_endian = false;
  uint32_t start = 0;  // load address of the zImage
  uint32_t end = 0;    // its end address: end - start is its length
};

// The zImage header at the start of `d` (magic 0x016F2818 at 0x24, either byte order).
std::optional<ZImageHeader> ParseZImage(ByteView d);

// A compressed kernel found by its signature.
struct KernelPayload {
  uint64_t offset = 0;
  Codec codec = Codec::kGzip;
};

// The codec whose signature starts `d` (gzip, xz, lzma, lzop, LZ4 legacy, zstd, bzip2), with
// its header checked; nullopt for anything else.
std::optional<Codec> SniffKernelCodec(ByteView d);

// Signatures of compressed kernels in `d` at or after `from`, in order of offset, at most
// `max_count`: the candidates for a zImage's payload, which follows its decompressor.
std::vector<KernelPayload> FindKernelPayloads(ByteView d, uint64_t from, size_t max_count);

// `d` with every aligned 32-bit word byte-swapped (a tail shorter than a word is kept): how
// big-endian (BE32) ARM images store their payload.
Bytes SwapWords(ByteView d);

// The banner line at the start of `d` ("Linux version 5.4.72 (user@host) ... #1 ...",
// without its newline): printable, at most 512 bytes, ending in a newline or NUL; nullopt
// when `d` does not start with one.
std::optional<std::string> ParseBanner(ByteView d);
// The release in a banner: the word after "Linux version ".
std::string BannerRelease(const std::string& banner);

inline constexpr std::string_view kIkconfigStart = "IKCFG_ST";
inline constexpr std::string_view kIkconfigEnd = "IKCFG_ED";

// Counts the options a .config sets ("CONFIG_X=..." lines).
size_t CountConfigOptions(ByteView config);

}  // namespace clearbox::unpack::internal
