// Partition tables of disk images: MBR (the PC "DOS" table: four primary entries at 0x1BE,
// the 0x55AA signature at 0x1FE, logical partitions in a chain of extended boot records)
// and GPT (UEFI spec 2.10 chapter 5: a header at LBA 1 with CRC32s over itself and over the
// entry array, a backup header at the last LBA; 512- or 4096-byte sectors).
//
//   std::optional<mbr::...> = partition_table::ProbeMbr(data);
//   Result<partition_table::Table> t = partition_table::ParseMbr(image);  // or ParseGpt
//
// A 0x55AA at offset 510 is common (every boot sector has it, and random data has it once in
// 64 KiB), so an MBR must be plausible: status bytes 0x00/0x80, used entries with a type,
// a start and a size, no overlaps, starts inside the image, and the sector must not be a
// FAT boot sector (a "superfloppy" volume without a table). A protective MBR (type 0xEE)
// defers to the GPT. Partitions are numbered as Linux does: primary entries 1-4 by slot,
// logical ones from 5; GPT entries by their index + 1.
//
// Partitions that run past the image, EBR chains that loop, damaged GPT headers and entry
// arrays are Notes. Everything here reads only inside `image`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"

namespace clearbox::unpack::partition_table {

inline constexpr size_t kMaxLogicalPartitions = 128;
inline constexpr uint32_t kMaxGptEntries = 1024;

struct Partition {
  uint32_t index = 0;  // the number the table gives it: "part" + index
  uint64_t first_lba = 0;
  uint64_t sectors = 0;
  uint64_t offset = 0;  // bytes: first_lba * sector size
  uint64_t size = 0;    // bytes the table claims (may run past the image)
  // MBR: "0x83"; GPT: the type GUID "0FC63DAF-8483-4772-8E79-3D69D8477DE4".
  std::string type;
  std::string type_name;  // "Linux", "Linux filesystem", "" when unknown
  bool bootable = false;  // MBR: status 0x80
  bool logical = false;   // MBR: inside an extended partition
  std::string guid;       // GPT: the partition's own GUID
  std::string name;       // GPT: its name (UTF-8)
  uint64_t attributes = 0;  // GPT
};

struct Table {
  enum class Scheme { kMbr, kGpt } scheme = Scheme::kMbr;
  uint32_t sector_size = 512;
  std::string disk_id;  // MBR: the 32-bit signature "0x8767a19b"; GPT: the disk GUID
  uint64_t header_lba = 0;  // GPT: where the header used lies (1, or the backup's LBA)
  std::vector<Partition> partitions;
  std::vector<Note> notes;
  uint64_t extent = 0;  // bytes from the image's start the table and its partitions span
};

// Whether `data` starts with a plausible MBR (see the file comment). A protective MBR is
// plausible only when `allow_protective`: the GPT handler opens those.
bool ProbeMbr(ByteView data, bool allow_protective);
// Whether the MBR at the start of `data` has a protective (0xEE) entry.
bool HasProtectiveEntry(ByteView data);
// The sector size (512 or 4096) of a GPT whose primary header is intact (signature and
// header CRC), or 0.
uint32_t ProbeGpt(ByteView data);

// Errors: kInvalidInput when the first sector is not an MBR.
Result<Table> ParseMbr(ByteView image);
// Reads the GPT: the primary header, else (noted) the backup at the last LBA of the image
// or where the primary or the protective MBR points. Errors: kInvalidInput when no header
// with a valid CRC is found.
Result<Table> ParseGpt(ByteView image);

// Friendly names of common types: MBR type bytes and GPT type GUIDs; "" when unknown.
std::string MbrTypeName(uint8_t type);
std::string GptTypeName(const std::string& guid);
// The mixed-endian GUID at `p` as "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX".
std::string FormatGuid(const uint8_t* p);

}  // namespace clearbox::unpack::partition_table
