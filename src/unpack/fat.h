// FAT12/16/32 file systems (Microsoft "FAT: General Overview of On-Disk Format" v1.03 and
// the VFAT long-file-name extension; mkfs.vfat and mtools write them), little-endian.
//
//   Result<fat::Filesystem> fs = fat::Filesystem::Parse(image);
//   for (const fat::Entry& e : fs->entries()) ... fs->OpenFile(e) ...;
//
// A boot sector with the BIOS parameter block (sector and cluster sizes, reserved sectors,
// the FATs, the root directory's size), then the FATs (one entry per cluster: the next
// cluster of a chain, free, bad or end of chain), the fixed root directory (FAT12/16 only)
// and the data clusters. The FAT type follows from the count of data clusters alone, as
// the spec says (< 4085: FAT12, < 65525: FAT16, else FAT32); FAT32 keeps its root directory
// in a cluster chain. Directory entries are 32 bytes: an 8.3 name, attributes, times, the
// first cluster and the size; VFAT long names precede their 8.3 entry in UCS-2 pieces that
// carry a checksum of the 8.3 name (a broken long name falls back to the 8.3 name).
//
// FAT keeps no owners or permission bits: files are 0644, directories 0755, 0444/0555 when
// read-only; times are the DOS write date/time, taken as UTC. Loops, clusters out of range
// and chains shorter than a file are Notes; chains are capped (a file's by its size, a
// directory's at 2 MiB as the spec allows), the walk is iterative with caps on depth and
// entries. A Filesystem keeps views into `image`, which must outlive it. Const methods are
// thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"
#include "clearbox/unpack/unpack.h"
#include "unpack/internal/extent_reader.h"

namespace clearbox::unpack::fat {

inline constexpr size_t kMaxDepth = 64;
inline constexpr size_t kMaxEntries = 1'000'000;
inline constexpr size_t kMaxNotes = 64;
// The spec caps a directory at 65536 entries of 32 bytes.
inline constexpr uint64_t kMaxDirectoryBytes = 65536 * 32;

enum class FatType { kFat12, kFat16, kFat32 };
const char* FatTypeName(FatType type);

struct BootSector {
  FatType type = FatType::kFat12;
  uint32_t bytes_per_sector = 0;
  uint32_t sectors_per_cluster = 0;
  uint32_t reserved_sectors = 0;
  uint32_t fat_count = 0;
  uint32_t root_entries = 0;  // FAT12/16: entries of the fixed root directory
  uint64_t total_sectors = 0;
  uint32_t fat_sectors = 0;  // sectors of one FAT
  uint32_t root_cluster = 0;  // FAT32: first cluster of the root directory
  uint32_t cluster_count = 0;  // data clusters: 2 .. cluster_count + 1 are valid
  uint32_t serial = 0;
  std::string label;  // the boot sector's volume label (trailing spaces removed)
  std::string oem;

  uint64_t cluster_bytes() const { return uint64_t(bytes_per_sector) * sectors_per_cluster; }
  uint64_t fat_offset() const { return uint64_t(reserved_sectors) * bytes_per_sector; }
  uint64_t root_offset() const {
    return fat_offset() + uint64_t(fat_count) * fat_sectors * bytes_per_sector;
  }
  uint64_t root_bytes() const { return uint64_t(root_entries) * 32; }
  uint64_t data_offset() const;
  uint64_t volume_bytes() const { return total_sectors * bytes_per_sector; }
};

// The boot sector at offset 0 of `data`, if its BIOS parameter block is consistent (sizes
// are powers of two in range, FATs large enough for the clusters, the 0x55AA signature)
// and the volume fits what the BPB says. Reads only the first 512 bytes.
std::optional<BootSector> ReadBootSector(ByteView data);

using Extent = internal::ImageExtent;  // a run of clusters in the image

struct Entry {
  std::string path;  // "/" + names joined by "/" (long names when they are intact)
  std::string short_name;  // the 8.3 name ("" for the root)
  NodeType type = NodeType::kFile;
  uint32_t mode = 0;  // 07777
  uint32_t uid = 0, gid = 0;
  int64_t mtime = 0;
  uint64_t size = 0;
  std::string link_target;
  uint32_t dev_major = 0, dev_minor = 0;
  uint8_t attributes = 0;
  uint32_t first_cluster = 0;
  std::vector<Extent> extents;  // files: where the content lies, in order (runs of clusters)
};

class Filesystem {
 public:
  // Errors: kInvalidInput without a FAT boot sector at offset 0.
  static Result<Filesystem> Parse(ByteView image);

  const BootSector& boot() const { return boot_; }
  // The volume label of the root directory's label entry, else the boot sector's.
  const std::string& label() const { return label_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::vector<Note>& notes() const { return notes_; }
  // Bytes from the start of `image` the volume spans (within the image).
  uint64_t extent() const { return extent_; }
  // A reader over a file's bytes: a view of the image when its clusters are contiguous,
  // else one that reads run by run. Yields fewer than `size` bytes when the chain is short.
  std::unique_ptr<ContentReader> OpenFile(const Entry& entry) const;
  // Errors: kLimitExceeded when the file is larger than `max_size`.
  Result<Bytes> ReadFile(const Entry& entry, uint64_t max_size) const;

 private:
  class Walk;
  ByteView image_;
  BootSector boot_;
  std::string label_;
  uint64_t extent_ = 0;
  std::vector<Entry> entries_;
  std::vector<Note> notes_;
};

// UTF-16 code units up to the first NUL as UTF-8, a lone surrogate as U+FFFD (VFAT long names
// are padded with 0x0000 then 0xFFFF; GPT names with zeros).
std::string Utf16ToUtf8(const std::vector<uint16_t>& units);

// The Unix time of a DOS date and time (local time taken as UTC); 0 for a zero date.
int64_t DosTime(uint16_t date, uint16_t time);

}  // namespace clearbox::unpack::fat
