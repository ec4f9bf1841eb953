// Every cap on untrusted input for the unpacker, in one place (like yara's limits.h).
#pragma once

#include <cstdint>

namespace clearbox::unpack {

struct Limits {
  int max_depth = 16;                          // containers inside containers
  uint64_t max_total_bytes = 64ull << 30;      // all content produced, across the image
  // ... and at most this many times the image's size (not below total_ratio_floor_bytes):
  // a zip of zips whose every stream stays under max_ratio still stops. Real firmware
  // produces 2-5x its size (a squashfs-xz Debian tree: 2.4x; a gzip'd kernel: ~4x).
  uint64_t max_total_ratio = 100;
  uint64_t total_ratio_floor_bytes = 256ull << 20;
  uint64_t max_file_bytes = 16ull << 30;       // one file or decompressed payload
  uint64_t max_ratio = 1000;                   // decompressed / compressed for one stream
  uint64_t max_entries = 2'000'000;            // nodes across the image
  uint64_t max_seconds = 3600;                 // wall time
  uint64_t max_in_memory_bytes = 64ull << 20;  // larger nested containers spill to a temp file
  uint64_t max_path_length = 4096;
  uint64_t max_symlink_target = 4096;
};

}  // namespace clearbox::unpack
