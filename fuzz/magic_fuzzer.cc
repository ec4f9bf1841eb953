// Fuzzes the magic-password heuristic (src/audit/magic_disasm.h): the ELF reading (section
// headers, symbols, RELA relocations, PLT stubs) and the Capstone data flow over whatever
// code the input holds. The input is the whole file, as the audit's ContentScanner sees it.
#include <cstddef>
#include <cstdint>

#include "audit/magic_disasm.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  clearbox::audit::internal::MagicScan scan =
      clearbox::audit::internal::ScanForMagicPasswords({data, size});
  for (const auto& h : scan.hits) (void)clearbox::audit::internal::GrantsShell(h.guarded_argument);
  return 0;
}
