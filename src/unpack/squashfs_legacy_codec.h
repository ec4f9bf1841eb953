// Block decompression for the squashfs images libsquashfs does not read (versions 1 to 3 of
// either endian, and big-endian 4.0): zlib, the codecs of squashfs 4, and the LZMA framings
// vendors shipped in squashfs 2 and 3 before LZMA had a compressor id:
//
//   lzma-alone   the 13-byte .lzma header (props, dictionary size, 64-bit size) + stream
//                (sqlzma / squashfs-lzma patches, squashfs 4 "lzma")
//   lzma-props   the 5 property bytes without the size, then the stream (Broadcom BCM63xx)
//   lzma-ddwrt   4 bytes pb, lc, lp, fast bytes, then the stream: DD-WRT's squashfs-lzma
//                picks the properties per block
//   lzma-raw     a bare stream with lc=3 lp=0 pb=2 (AVM's squashfs 2 'L' images, FACT's
//                "lzma" samples)
//   lzma-raw lc=L lp=P pb=B   a bare stream whose properties were found by trying them all
//                (once per image, on a data block whose size is known)
//
// Squashfs 1-3 records no compressor, so every block is tried against the framings in turn;
// the first that decodes is locked in and tried first afterwards (sqlzma images mix zlib and
// LZMA blocks, so the others stay available). framing() names what opened the image.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"

namespace clearbox::unpack::squashfs_legacy {

// The compressor ids of squashfs 4 (squashfs_fs.h), and kGuess for versions 1-3.
enum class Compression : uint16_t {
  kGuess = 0,
  kGzip = 1,
  kLzma = 2,
  kLzo = 3,
  kXz = 4,
  kLz4 = 5,
  kZstd = 6,
};

class BlockDecoder {
 public:
  // prefer_lzma: try the LZMA framings before zlib (an LZMA magic or minor version 'L').
  BlockDecoder(Compression compression, bool prefer_lzma);
  BlockDecoder(const BlockDecoder& other);

  // Decompresses one block. `expected`: its exact size when known (data blocks); else the
  // output is at most `max_out` (metadata and fragment blocks).
  // Errors: kInvalidInput when no framing decodes it.
  Result<Bytes> Decode(ByteView in, std::optional<uint32_t> expected, uint32_t max_out) const;

  // "zlib", "lzma-props", "xz", ...: the framing that decoded the first block ("" if none).
  std::string framing() const;
  // framing() with a few words on where it comes from, for notes.
  std::string DescribeFraming() const;

  enum Framing : int {
    kNone = -1,
    kZlib,
    kLzmaAlone,
    kLzmaProps,
    kLzmaDdwrt,
    kLzmaRaw,
    kLzmaRawFound,
    kXz,
    kLzo,
    kLz4,
    kZstd,
    kFramingCount
  };

 private:
  Result<Bytes> Try(Framing f, ByteView in, std::optional<uint32_t> expected, uint32_t max_out,
                    bool lenient) const;
  bool BruteForce(ByteView in, std::optional<uint32_t> expected, uint32_t max_out,
                  Bytes& out) const;

  Compression compression_;
  bool prefer_lzma_;
  mutable std::atomic<int> locked_{kNone};
  mutable std::atomic<int> first_{kNone};
  mutable std::atomic<bool> brute_forced_{false};
  mutable std::atomic<uint32_t> found_props_{0};  // lc | lp << 8 | pb << 16
};

}  // namespace clearbox::unpack::squashfs_legacy
