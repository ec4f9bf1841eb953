// Fuzzes the romfs parser: the superblock, the chains of file headers (loops, headers outside
// the image, hard links, devices) and reading each file within a budget.
#include <cstddef>
#include <cstdint>

#include "read_files.h"
#include "unpack/romfs.h"

using namespace clearbox;
using namespace clearbox::unpack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Result<romfs::Filesystem> fs = romfs::Filesystem::Parse(ByteView(data, size));
  if (!fs.ok()) return 0;
  fuzz::ReadFilesWithinBudget(*fs);
  return 0;
}
