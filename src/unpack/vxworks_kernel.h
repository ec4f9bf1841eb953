// What a VxWorks 5.x/6.x kernel image (a flat binary, as loaded) tells about itself: the
// version banner and, when the kernel was built with its standalone symbol table, the
// names and addresses of its functions and variables.
//
//   std::optional<vxworks::Banner> b = vxworks::FindBanner(kernel);   // "5.5.1", "Aug 24 2011"
//   std::optional<vxworks::SymbolTable> t = vxworks::FindSymbolTable(kernel);
//   std::string text = vxworks::FormatSymbols(*t);                   // "0x80012340 T usrInit"
//
// The banner: the strings runtimeName "VxWorks", runtimeVersion "5.5.1", vxWorksVersion
// "VxWorks5.5.1" and creationDate "Aug 24 2011, 18:58:12" that the kernel links in.
//
// The standalone symbol table (symTbl.c, written by makeSymTbl) is an array of SYMBOL
// structures (symLib.h; as vxhunter and the Ghidra/Binary Ninja VxWorks loaders describe):
//   VxWorks 5: {next (0 in the image), char* name, void* value, u16 group, u8 type, u8 pad}
//              16 bytes
//   VxWorks 6: the same with a u32 symRef after value: 20 bytes
// in the target's byte order. The name pointers are addresses in the loaded kernel, so the
// load address is found by matching them against the strings of the image: the address
// that makes the sampled pointers land on the starts of NUL-terminated names.
//
// Hostile-safe: a bounded linear scan, at most kMaxSymbols entries, every pointer checked
// against the image, names capped at kMaxNameLength. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"

namespace clearbox::unpack::vxworks {

inline constexpr size_t kMinSymbols = 32;         // fewer consecutive entries: not a table
inline constexpr size_t kMaxSymbols = 1'000'000;
inline constexpr size_t kMaxNameLength = 255;
inline constexpr size_t kMaxBannerHits = 4096;    // "VxWorks" strings looked at

struct Banner {
  std::string version;  // "5.5.1"
  std::string built;    // "Aug 24 2011, 18:58:12", empty when not found
  uint64_t offset = 0;  // of the version string in the image
};

std::optional<Banner> FindBanner(ByteView image);

struct Symbol {
  uint32_t value = 0;
  uint8_t type = 0;
  std::string name;
};

struct SymbolTable {
  uint64_t offset = 0;        // of the first entry in the image
  uint32_t entry_size = 16;   // 16 (VxWorks 5) or 20 (VxWorks 6)
  bool big_endian = true;
  uint64_t entries = 0;       // entries in the array
  uint32_t load_address = 0;  // inferred from the name pointers
  std::vector<Symbol> symbols;
  uint64_t unresolved = 0;    // entries whose name could not be read
};

// The longest symbol table of at least kMinSymbols entries whose names resolve, or nullopt.
std::optional<SymbolTable> FindSymbolTable(ByteView image);

// nm's letter for a SYM_* type: T/t text, D/d data, B/b bss, A/a absolute, C common,
// S/s small-data sections, ? otherwise (upper case when global).
char TypeLetter(uint8_t type);

// "0x%08x L name\n" per symbol, in table order.
std::string FormatSymbols(const SymbolTable& table);

}  // namespace clearbox::unpack::vxworks
