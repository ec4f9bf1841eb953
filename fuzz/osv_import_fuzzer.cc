// Fuzzes the advisory parser with OSV documents (seeds: fuzz/corpus/osv_import).
#include "advisory_document_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return FuzzAdvisoryDocument(data, size);
}
