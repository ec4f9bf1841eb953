// Fuzzes the ELF reader: header, section and program header tables, the dynamic section
// and its strings, symbol tables, and the hash tables used when there are no sections.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "clearbox/inventory/elf.h"

using namespace clearbox;
using namespace clearbox::inventory;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView input(data, size);
  (void)LooksLikeElf(input);
  Result<ElfInfo> elf = ParseElf(input);
  if (!elf.ok()) return 0;
  // Touch every string so that a view past the buffer shows up under ASan.
  volatile size_t sum =
      elf->interpreter.size() + elf->soname.size() + elf->rpath.size() + elf->runpath.size();
  for (const auto& s : elf->needed) sum = sum + s.size();
  for (const auto& s : elf->imported_functions) sum = sum + s.size();
  for (const auto& s : elf->problems) sum = sum + s.size();
  (void)ChecksecJson(elf->hardening).dump();
  return 0;
}
