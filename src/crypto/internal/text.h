// UTF-8 and line helpers shared by the note, checkpoint and proof parsers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clearbox::crypto::internal {

// Decodes one UTF-8 sequence at s[pos] into *rune and returns its length, or 0 if the bytes
// there are not valid UTF-8 (overlong, surrogate, above U+10FFFF, truncated), as Go's
// utf8.DecodeRune reports RuneError with size 1.
size_t DecodeUtf8(std::string_view s, size_t pos, uint32_t* rune);

// Go's unicode.IsSpace: the Unicode White_Space property.
bool IsUnicodeSpace(uint32_t rune);

// Where a note text breaks the signed-note character rules (invalid UTF-8, or a control
// character other than '\n'): a description with the byte offset, or nullopt if it is fine.
std::optional<std::string> FindBadNoteCharacter(std::string_view text);

// Parses a canonical ASCII decimal uint64: no sign, no leading zeros (except "0"), no
// overflow. nullopt otherwise.
std::optional<uint64_t> ParseCanonicalDecimal(std::string_view s);

// A short, printable rendering of untrusted text for an error message (at most 64 bytes,
// non-printable bytes as \xNN).
std::string Quote(std::string_view s);

}  // namespace clearbox::crypto::internal
