// Fuzzes the RTOS firmware readers: the Wind River MemFS table and its LZMA files, the
// TP-Link IMG0 header and regions, the VxWorks banner and symbol-table search (pointer
// checks, load address inference), and the eCos signatures.
#include <cstddef>
#include <cstdint>

#include "unpack/ecos.h"
#include "unpack/vxworks_img0.h"
#include "unpack/vxworks_kernel.h"
#include "unpack/vxworks_memfs.h"

using namespace clearbox;
using namespace clearbox::unpack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  if (Result<memfs::Filesystem> fs = memfs::Filesystem::Parse(in); fs.ok()) {
    uint64_t budget = 1 << 20;
    for (const memfs::Entry& e : fs->entries()) {
      Result<memfs::Filesystem::Content> c = fs->ReadFile(e, budget);
      if (c.ok()) budget -= std::min<uint64_t>(budget, c->data.size());
    }
  }
  if (Result<img0::Image> image = img0::Parse(in); image.ok()) {
    for (const img0::Region& r : image->regions) {
      (void)img0::LzmaAloneAt(r.data);
      (void)img0::NextImg0(r.data, 0);
    }
  }
  (void)vxworks::FindBanner(in);
  if (std::optional<vxworks::SymbolTable> t = vxworks::FindSymbolTable(in)) {
    (void)vxworks::FormatSymbols(*t);
  }
  (void)ecos::ReadExceptionHandler(in);
  (void)ecos::ReadBanner(in);
  return 0;
}
