// Fuzzes the YAFFS2 reader: layout detection over the first chunks, then the scan of every
// chunk's tags, the latest-write-wins choice of headers and data chunks, the tree (loops,
// hard links, deleted objects) and reading each file within a budget. The first byte also
// picks a fixed layout, so that inputs that detection refuses still reach the scan.
#include <cstddef>
#include <cstdint>

#include "read_files.h"
#include "unpack/yaffs2.h"

using namespace clearbox;
using namespace clearbox::unpack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView input(data, size);
  if (std::optional<yaffs2::Layout> layout = yaffs2::DetectLayout(input)) {
    Result<yaffs2::Filesystem> fs = yaffs2::Filesystem::Parse(input, *layout);
    if (fs.ok()) fuzz::ReadFilesWithinBudget(*fs);
  }
  if (size < 1) return 0;
  static const yaffs2::Layout kFixed[] = {
      {512, 16, 0, yaffs2::Endian::kLittle, false},
      {512, 16, 0, yaffs2::Endian::kBig, false},
      {1024, 32, 2, yaffs2::Endian::kLittle, true},
      {1024, 32, 2, yaffs2::Endian::kBig, true},
  };
  const yaffs2::Layout& fixed = kFixed[data[0] % 4];
  Result<yaffs2::Filesystem> fs = yaffs2::Filesystem::Parse(input.subspan(1), fixed);
  if (fs.ok()) fuzz::ReadFilesWithinBudget(*fs);
  return 0;
}
