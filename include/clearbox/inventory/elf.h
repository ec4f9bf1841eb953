// ELF facts for the inventory: what a binary is (class, byte order, machine, type), what it
// loads (interpreter, DT_NEEDED, SONAME, RPATH/RUNPATH, imported functions) and how it was
// hardened, in the exact terms of Debian's checksec 2.6.0 (`checksec --file`), so that a
// report from clearbox and one from checksec never disagree on the same file.
//
//   if (!LooksLikeElf(bytes)) return;
//   Result<ElfInfo> elf = ParseElf(bytes);
//   if (!elf.ok()) { note(elf.error().message()); return; }
//   if (elf->hardening.relro != Relro::kFull) ...
//   for (const std::string& p : elf->problems) note(p);   // a table that lied, and where
//   nlohmann::json words = ChecksecJson(elf->hardening);    // {"relro":"full","pie":"yes",...}
//
// The parser reads an image held in memory and never trusts it: every offset and count is
// bounds-checked, counts are capped (see kMaxElf* below), tables that overlap or point past
// the file give partial facts and a line in `problems` naming the field, its offset and what
// was wrong. It allocates in proportion to the file, never to what a header claims.
// Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"

namespace clearbox::inventory {

// Limits on what an ELF file may make the parser do (hostile input).
inline constexpr uint64_t kMaxElfSections = 1 << 20;        // section headers read
inline constexpr uint64_t kMaxElfSegments = 1 << 16;        // program headers read
inline constexpr uint64_t kMaxElfDynamicEntries = 1 << 16;  // dynamic entries read
inline constexpr uint64_t kMaxElfSymbols = 1 << 22;         // symbols read, all tables together
inline constexpr size_t kMaxElfImportedFunctions = 4096;    // names kept in imported_functions
inline constexpr size_t kMaxElfNeeded = 1024;               // names kept in needed
inline constexpr size_t kMaxElfProblems = 64;               // lines kept in problems
inline constexpr size_t kMaxElfStringLength = 4096;         // bytes kept of any one string

enum class Relro { kNone, kPartial, kFull };
// checksec's "pie" field: ET_EXEC "no"; ET_DYN with DT_DEBUG "yes", without "dso"; ET_REL
// "rel"; anything else (CORE, unknown types) "not_elf".
enum class PieKind { kNone, kPie, kDso, kRel, kNotElf };

// The facts checksec prints, decided by checksec's own rules (which read readelf's output
// as text; elf.cc says, rule by rule, how each is mirrored).
struct ElfHardening {
  bool nx = false;  // a PT_GNU_STACK without all of R, W and X
  PieKind pie = PieKind::kNone;
  Relro relro = Relro::kNone;   // PT_GNU_RELRO; full with DT_BIND_NOW or DF_BIND_NOW
  bool canary = false;          // a symbol naming __stack_chk_fail/_guard, __intel_security_cookie
  bool fortify_source = false;  // a dynamic symbol ending in _chk
  int fortified = 0;            // dynamic symbols that are glibc's __*_chk functions
  int fortifiable = 0;          // fortified + dynamic symbols with a __*_chk counterpart
  bool rpath = false;           // a non-empty DT_RPATH
  bool runpath = false;         // a non-empty DT_RUNPATH
  bool symbols = false;         // a symbol table section named .symtab
};

struct ElfInfo {
  int elf_class = 0;  // 32 or 64
  bool big_endian = false;
  uint16_t machine = 0;
  std::string machine_name;  // "x86-64", "AArch64", "ARM", "MIPS", ... as readelf -h says
  uint8_t osabi = 0;
  std::string osabi_name;  // "SYSV", "Linux", "GNU"...
  uint16_t type = 0;
  std::string type_name;            // "EXEC", "DYN", "REL", "CORE", "NONE", "unknown"
  std::string interpreter;          // PT_INTERP, empty if none
  std::vector<std::string> needed;  // DT_NEEDED in order (at most kMaxElfNeeded)
  std::string soname, rpath, runpath;
  bool stripped = true;        // no SHT_SYMTAB section
  bool static_linked = false;  // no PT_INTERP and no PT_DYNAMIC
  ElfHardening hardening;
  // Undefined dynamic function symbols (FUNC or IFUNC), in table order, at most
  // kMaxElfImportedFunctions. From .dynsym, or without section headers (sstrip) from
  // DT_SYMTAB sized by DT_HASH / DT_GNU_HASH.
  std::vector<std::string> imported_functions;
  // What was wrong, each naming the field and offset: "section header table at 0x1234 (60
  // entries of 64 bytes) ends past the file (size 4096)". At most kMaxElfProblems lines.
  std::vector<std::string> problems;
};

// True when `data` starts with the ELF magic \x7fELF.
bool LooksLikeElf(ByteView data);

// Parses an ELF image held in memory.
// Errors: kInvalidInput if `data` is not ELF (no magic, unknown class or byte order) or is
// too short for its ELF header. A lying section or segment table is not an error: the facts
// that could be read are returned, and `problems` says what could not.
Result<ElfInfo> ParseElf(ByteView data);

// checksec's words for each field, as `checksec --output=json` prints them:
// {"relro":"full|partial|no","canary":"yes|no","nx":"yes|no","pie":"yes|no|dso|rel|not_elf",
//  "rpath":"yes|no","runpath":"yes|no","symbols":"yes|no","fortify_source":"yes|no",
//  "fortified":"N","fortify-able":"N"}
nlohmann::json ChecksecJson(const ElfHardening& hardening);
std::string_view RelroWord(Relro relro);  // "full", "partial", "no"
std::string_view PieWord(PieKind pie);    // "yes", "no", "dso", "rel", "not_elf"

// The glibc functions that have a fortified __*_chk form, as checksec lists them (without
// the leading underscores and with the _chk suffix: "memcpy_chk"). checksec reads this list
// from the host's libc; clearbox carries Debian 12's glibc 2.36 list so that its answer does
// not depend on the machine it runs on (inventory_checksec_test checks the two agree).
const std::vector<std::string_view>& FortifiedLibcFunctions();

}  // namespace clearbox::inventory
