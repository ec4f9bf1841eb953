// Fuzzes the FAT reader: the boot sector, the FAT12/16/32 cluster chains (loops, clusters
// out of range, truncation), the directory walk with long names, and reading each file
// within a budget, both whole and in small pieces through its content reader.
#include <cstddef>
#include <cstdint>

#include "read_files.h"
#include "unpack/fat.h"

using namespace clearbox;
using namespace clearbox::unpack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Result<fat::Filesystem> fs = fat::Filesystem::Parse(ByteView(data, size));
  if (!fs.ok()) return 0;
  fuzz::ReadFilesWithinBudget(*fs);
  uint64_t budget = 1 << 20;
  for (const fat::Entry& e : fs->entries()) {
    if (e.type != NodeType::kFile || e.size > budget) continue;
    budget -= e.size;
    std::unique_ptr<ContentReader> reader = fs->OpenFile(e);
    uint8_t buf[333];
    for (Result<size_t> n = reader->Read(buf); n.ok() && *n > 0; n = reader->Read(buf)) {
    }
  }
  return 0;
}
