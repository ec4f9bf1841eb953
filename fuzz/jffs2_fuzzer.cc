// Fuzzes the JFFS2 parser: the node scan, version resolution, the directory walk and every
// data decoder (zlib, rtime, lzo, lzma), reading each file within a budget.
//
// Input: one mode byte, then the image. Mode bit 0 picks big-endian; bit 1 seals every
// node's CRCs first (header, node, name, data), so mutations get past the checks and reach
// the tree logic; without it the CRC checks themselves are fuzzed.
#include <cstddef>
#include <cstdint>

#include "read_files.h"
#include "unpack/jffs2.h"

using namespace clearbox;
using namespace clearbox::unpack;

namespace {

uint32_t Load32(const uint8_t* p, bool big) { return big ? LoadBE32(p) : LoadLE32(p); }
uint16_t Load16(const uint8_t* p, bool big) { return big ? LoadBE16(p) : LoadLE16(p); }
void Store32(uint8_t* p, uint32_t v, bool big) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (big ? 24 - 8 * i : 8 * i));
}

void SealCrcs(Bytes& img, bool big) {
  for (size_t pos = 0; pos + jffs2::kNodeHeaderSize <= img.size(); pos += 4) {
    uint8_t* p = img.data() + pos;
    if (Load16(p, big) != jffs2::kMagic) continue;
    uint8_t header[8];
    std::memcpy(header, p, 8);
    uint16_t type = Load16(p + 2, big) | 0x2000;  // the CRC is over the ACCURATE type
    header[2] = static_cast<uint8_t>(big ? type >> 8 : type);
    header[3] = static_cast<uint8_t>(big ? type : type >> 8);
    Store32(p + 8, jffs2::Jffs2Crc(header), big);
    uint32_t totlen = Load32(p + 4, big);
    if (!FitsIn(img.size(), pos, totlen)) continue;
    if (type == 0xe001 && totlen >= jffs2::kDirentSize) {
      Store32(p + 32, jffs2::Jffs2Crc(ByteView(p, 32)), big);
      if (jffs2::kDirentSize + p[28] <= totlen) {
        Store32(p + 36, jffs2::Jffs2Crc(ByteView(p + 40, p[28])), big);
      }
    } else if (type == 0xe002 && totlen >= jffs2::kInodeSize) {
      uint32_t csize = Load32(p + 48, big);
      if (FitsIn(totlen, jffs2::kInodeSize, csize)) {
        Store32(p + 60, jffs2::Jffs2Crc(ByteView(p + 68, csize)), big);
      }
      Store32(p + 64, jffs2::Jffs2Crc(ByteView(p, 60)), big);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool big = data[0] & 1;
  Bytes image(data + 1, data + size);
  if (data[0] & 2) SealCrcs(image, big);
  (void)jffs2::DetectEndian(image);
  Result<jffs2::Filesystem> fs =
      jffs2::Filesystem::Parse(image, big ? jffs2::Endian::kBig : jffs2::Endian::kLittle);
  if (!fs.ok()) return 0;
  fuzz::ReadFilesWithinBudget(*fs);
  return 0;
}
