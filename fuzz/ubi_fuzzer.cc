// Fuzzes the UBI parser (PEB size detection, EC/VID headers, volume table, LEB resolution,
// volume assembly) and the UBIFS parser behind it (index walk, journal replay, directory
// walk, data decoding), reading each file within a budget.
//
// Input: one mode byte, then the image. Mode bit 0 seals the CRCs of every UBI header and
// UBIFS node found first, so mutations reach the logic behind the checks; bit 1 takes the
// image as a UBIFS volume directly instead of a UBI image.
#include <cstddef>
#include <cstdint>

#include "read_files.h"
#include "unpack/ubi.h"
#include "unpack/ubifs.h"

using namespace clearbox;
using namespace clearbox::unpack;

namespace {

void SealCrcs(Bytes& img) {
  for (size_t pos = 0; pos + 64 <= img.size(); pos += 8) {
    uint8_t* p = img.data() + pos;
    uint32_t be = LoadBE32(p);
    if (be == ubi::kEcMagic || be == ubi::kVidMagic) {
      StoreBE32(p + 60, ubi::UbiCrc(ByteView(p, 60)));
    } else if (LoadLE32(p) == ubifs::kMagic) {
      uint32_t len = LoadLE32(p + 16);
      if (len >= ubifs::kCommonHeaderSize && FitsIn(img.size(), pos, len)) {
        uint32_t crc = ubifs::UbifsCrc(ByteView(p + 8, len - 8));
        for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<uint8_t>(crc >> (8 * i));
      }
    }
  }
}

void ExerciseUbifs(ByteView volume) {
  if (!ubifs::ReadSuperblock(volume)) return;
  Result<ubifs::Filesystem> fs = ubifs::Filesystem::Parse(volume);
  if (!fs.ok()) return;
  fuzz::ReadFilesWithinBudget(*fs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Bytes image(data + 1, data + size);
  if (data[0] & 1) SealCrcs(image);
  if (data[0] & 2) {
    ExerciseUbifs(image);
    return 0;
  }
  Result<ubi::Image> ubi = ubi::Parse(image);
  if (!ubi.ok()) return 0;
  for (const ubi::Volume& v : ubi->volumes) {
    Result<Bytes> volume = ubi::AssembleToBytes(image, *ubi, v, 16 << 20);
    if (volume.ok()) ExerciseUbifs(*volume);
  }
  return 0;
}
