// Fuzzes the advisory parser with NVD documents (seeds: fuzz/corpus/nvd_import).
#include "advisory_document_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return FuzzAdvisoryDocument(data, size);
}
