// Fuzzes the legacy squashfs reader (1.x-3.x of either endian, big-endian 4.0): the
// superblock, metadata blocks and their framings, inodes of every type, directory listings
// (loops, lying sizes), the fragment and id tables, and reading each file within a budget.
#include <cstddef>
#include <cstdint>

#include "read_files.h"
#include "unpack/squashfs_legacy.h"

using namespace clearbox;
using namespace clearbox::unpack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Result<squashfs_legacy::Filesystem> fs = squashfs_legacy::Filesystem::Parse(ByteView(data, size));
  if (!fs.ok()) return 0;
  fuzz::ReadFilesWithinBudget(*fs);
  return 0;
}
