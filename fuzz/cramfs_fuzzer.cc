// Fuzzes the cramfs parser: superblock (at 0 or after a boot block), the directory walk, and
// every file's block pointers and zlib blocks, reading each file within a budget.
#include <cstddef>
#include <cstdint>

#include "read_files.h"
#include "unpack/cramfs.h"

using namespace clearbox;
using namespace clearbox::unpack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Result<cramfs::Filesystem> fs = cramfs::Filesystem::Parse(ByteView(data, size));
  if (!fs.ok()) return 0;
  fuzz::ReadFilesWithinBudget(*fs);
  return 0;
}
