// UBI images (Unsorted Block Images, drivers/mtd/ubi/ubi-media.h): the volumes they hold.
//
//   Result<ubi::Image> image = ubi::Parse(bytes);
//   for (const ubi::Volume& v : image->volumes) {
//     ubi::Assemble(bytes, *image, v, [&](uint64_t offset, ByteView leb) { ...; return ok; });
//   }
//
// Every physical erase block (PEB) starts with an erase-counter header ("UBI#": sizes of
// the headers, the image sequence number) and, when mapped, a volume-identifier header
// ("UBI!": volume id, logical block number, sequence number, and for static volumes the
// data size and CRC). All big-endian, each header with its own CRC. The volume table lives
// in the internal layout volume (two copies of 128 records of 172 bytes).
//
// Parse finds the PEB size (the smallest power of two from 512 bytes to 16 MiB at which the
// next erase-counter header sits), reads every PEB's headers, and maps each (volume, LEB) to
// the PEB with the highest sequence number, as the kernel's attach does (a newer copy whose
// data CRC fails loses to the older one). Bad header CRCs, LEBs outside the volume, a
// damaged volume table are Notes; the PEBs that read well still give their volumes.
// Pure functions; thread-safe. Views returned point into the caller's bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"

namespace clearbox::unpack::ubi {

inline constexpr uint32_t kEcMagic = 0x55424923;   // "UBI#"
inline constexpr uint32_t kVidMagic = 0x55424921;  // "UBI!"
inline constexpr size_t kEcHeaderSize = 64;
inline constexpr size_t kVidHeaderSize = 64;
inline constexpr uint32_t kLayoutVolumeId = 0x7fffefff;
inline constexpr size_t kVtblRecordSize = 172;
inline constexpr size_t kMaxVolumes = 128;
inline constexpr uint8_t kDynamic = 1;
inline constexpr uint8_t kStatic = 2;

// UBI's CRC: CRC-32 seeded with ~0 and not inverted at the end (~crc32() in zlib's terms).
uint32_t UbiCrc(ByteView data);

struct EcHeader {
  uint8_t version = 0;
  uint64_t erase_count = 0;
  uint32_t vid_hdr_offset = 0;
  uint32_t data_offset = 0;
  uint32_t image_seq = 0;
};
// The erase-counter header at the start of `data`, if its magic and CRC are right.
std::optional<EcHeader> ReadEcHeader(ByteView data);

struct Leb {
  uint64_t data_offset = 0;  // in the image: where this LEB's data starts
  uint32_t data_size = 0;    // bytes of data (static volumes: from the VID header)
  uint64_t sqnum = 0;
};

struct Volume {
  uint32_t id = 0;
  std::string name;  // from the volume table, exactly as stored; "" when it has no record
  uint8_t type = kDynamic;
  uint32_t reserved_pebs = 0;
  uint32_t alignment = 1;
  uint32_t data_pad = 0;
  uint8_t flags = 0;
  bool in_table = false;         // has a valid volume-table record
  uint32_t leb_size = 0;         // usable bytes per LEB (PEB data area minus data_pad)
  uint32_t used_ebs = 0;         // static volumes: LEBs holding data
  std::map<uint32_t, Leb> lebs;  // by logical block number

  // Bytes Assemble() produces: static volumes their data; dynamic ones up to the last
  // mapped LEB (unmapped LEBs before it read as 0xFF).
  uint64_t size() const;
};

struct Image {
  uint32_t peb_size = 0;
  uint32_t leb_size = 0;  // peb_size - data_offset
  uint32_t vid_hdr_offset = 0;
  uint32_t data_offset = 0;
  uint32_t image_seq = 0;
  uint64_t peb_count = 0;       // PEBs of this image (scanning stops at another image or data)
  std::vector<Volume> volumes;  // user volumes by id (the layout volume is not listed)
  std::vector<Note> notes;      // offsets in the image; `where` empty

  uint64_t extent() const { return peb_count * uint64_t{peb_size}; }
};

// Parses the UBI image at the start of `data`.
// Errors: kInvalidInput when `data` does not start with a valid erase-counter header or
// its header offsets do not fit a PEB.
Result<Image> Parse(ByteView data);

// Calls `write(offset, bytes)` for each piece of the volume in order (LEB data, and 0xFF
// runs for unmapped LEBs of dynamic volumes), `offset` being where it goes in the volume.
// Errors: those of `write`.
Status Assemble(ByteView data, const Image& image, const Volume& volume,
                const std::function<Status(uint64_t, ByteView)>& write);

// The whole volume in memory, for tests and the fuzzer. Errors: kLimitExceeded when the
// volume is larger than `max_size`.
Result<Bytes> AssembleToBytes(ByteView data, const Image& image, const Volume& volume,
                              uint64_t max_size);

}  // namespace clearbox::unpack::ubi
