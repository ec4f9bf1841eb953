// Hex and base64 (RFC 4648, standard alphabet with padding) encoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "clearbox/core/bytes.h"

namespace clearbox {

std::string HexEncode(ByteView data);
// Accepts upper or lower case; nullopt on odd length or a non-hex character.
std::optional<Bytes> HexDecode(std::string_view hex);

std::string Base64Encode(ByteView data);
// Strict: standard alphabet, padding required, no whitespace. nullopt on anything else.
std::optional<Bytes> Base64Decode(std::string_view b64);

// Formats an offset as the "0x1c5b0" form used in provenance and messages.
std::string HexOffset(uint64_t offset);

}  // namespace clearbox
