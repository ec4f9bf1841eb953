// The magic-password heuristic over one ELF binary (CB-MAGIC): a call to strcmp, strncmp,
// memcmp (or their case-insensitive forms) with exactly one constant string argument, whose
// result is tested against zero, where the equal path reaches a call that grants a shell
// (execl/execv*/system/popen of a shell, or of a command that starts a shell listener).
//
//   MagicScan scan = ScanForMagicPasswords(bytes);
//   for (const MagicHit& h : scan.hits) ...     // what the heuristic saw, for a disassembler
//   for (const std::string& n : scan.notes) ...  // why a part of the file was not analysed
//
// Supported: x86-64, AArch64 and 32-bit ARM (ARM or Thumb-2 code, from the entry point's low
// bit) ELF executables and shared objects with section headers, imports resolved through
// .plt/.plt.sec stubs and GOT relocations (RELA or REL). Other machines (MIPS), files
// without section headers and undecodable code give a note, never a crash. Bounded by
// kMagic* below; allocates in proportion to the file. Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"

namespace clearbox::audit::internal {

inline constexpr uint64_t kMagicMaxTextBytes = 16ull << 20;  // executable bytes decoded
inline constexpr size_t kMagicMaxComparisons = 4096;        // comparison calls followed
inline constexpr size_t kMagicPathInstructions = 256;       // per equal path explored
inline constexpr size_t kMagicMaxStringBytes = 256;         // of a constant read
inline constexpr size_t kMagicMaxHits = 32;                 // per binary
inline constexpr double kMagicSecondsPerBinary = 5.0;

struct MagicHit {
  uint64_t function = 0;  // the enclosing function symbol's value (0: unknown; bit 0 = Thumb)
  std::string function_name;   // its name when the binary has one
  uint64_t compare_address = 0;  // the call to the comparison
  uint64_t compare_offset = 0;   // its file offset
  std::string compare;         // "strcmp"
  std::string constant;        // the constant compared against
  uint64_t guarded_address = 0;  // the call on the equal path
  std::string guarded;         // "execl"
  std::string guarded_argument;  // "/bin/sh"
};

struct MagicScan {
  std::string machine;  // "x86-64", "AArch64", "ARM", "ARM (Thumb)", or the e_machine number
  std::vector<MagicHit> hits;
  std::vector<std::string> notes;
};

MagicScan ScanForMagicPasswords(ByteView elf);

// True when a constant passed to a shell-starting call grants a shell: a shell path, or a
// command that starts a listener with a shell (telnetd -l /bin/sh, nc -e /bin/sh, ...).
bool GrantsShell(std::string_view argument);

}  // namespace clearbox::audit::internal
