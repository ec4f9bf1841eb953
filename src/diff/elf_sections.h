// ELF helpers for the binary-equivalence check: which section holds a byte, and the GNU build
// id masked out so that two builds differing only in it compare equal. Private to `diff`.
//
// Every offset and count of the (untrusted) file is bounds-checked: a table that does not fit
// gives no sections, never a read past the buffer. Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <string>

#include "clearbox/core/bytes.h"

namespace clearbox::diff {

// The name of the section whose file bytes contain `offset` (".text", ".note.gnu.build-id"),
// or where the byte is when no section holds it: "ELF header", "program headers", "section
// headers", "(outside any section)". Empty when `elf` is not a parsable ELF file.
std::string ElfSectionAt(ByteView elf, uint64_t offset);

// Zeroes, in place, the descriptor of every NT_GNU_BUILD_ID note (in SHT_NOTE sections, or in
// PT_NOTE segments when there are no section headers) and the CRC-32 at the end of
// .gnu_debuglink (it is the CRC of the debug file, which carries the build id). Returns the
// number of build ids masked; 0 (and `elf` untouched) for a file that is not ELF.
int MaskBuildId(Bytes& elf);

// The first offset at which `a` and `b` differ; min(a.size(), b.size()) when one is a prefix
// of the other (also when they are equal: the caller compares sizes first).
uint64_t FirstDifference(ByteView a, ByteView b);

}  // namespace clearbox::diff
