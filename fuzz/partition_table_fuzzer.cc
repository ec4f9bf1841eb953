// Fuzzes the MBR and GPT readers: the plausibility checks, the chain of extended boot
// records (loops, records outside the image), GPT headers and entry arrays (CRCs, sizes,
// the backup header's search) with both sector sizes.
#include <cstddef>
#include <cstdint>

#include "unpack/partition_table.h"

using namespace clearbox;
using namespace clearbox::unpack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView image(data, size);
  (void)partition_table::ProbeMbr(image, false);
  (void)partition_table::HasProtectiveEntry(image);
  (void)partition_table::ProbeGpt(image);
  Result<partition_table::Table> mbr = partition_table::ParseMbr(image);
  Result<partition_table::Table> gpt = partition_table::ParseGpt(image);
  for (const Result<partition_table::Table>* t : {&mbr, &gpt}) {
    if (!t->ok()) continue;
    for (const partition_table::Partition& p : (*t)->partitions) {
      // What the handler hands on: the part of the partition inside the image.
      if (p.offset < size) (void)image.subspan(size_t(p.offset));
    }
  }
  return 0;
}
