// Fuzzes the EROFS parser: the superblock, inodes (compact, extended), directory blocks (loops,
// names outside their block), data layouts (inline tails, chunk tables) and reading each
// file within a budget.
#include <cstddef>
#include <cstdint>

#include "read_files.h"
#include "unpack/erofs.h"

using namespace clearbox;
using namespace clearbox::unpack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Result<erofs::Filesystem> fs = erofs::Filesystem::Parse(ByteView(data, size));
  if (!fs.ok()) return 0;
  fuzz::ReadFilesWithinBudget(*fs);
  return 0;
}
