// The squashfs handler's entry points for the images libsquashfs does not read (versions
// 1.x-3.x of either endian, big-endian 4.0): squashfs_format.cc routes them here, so they
// keep the format name "squashfs".
#pragma once

#include <optional>

#include "internal/format.h"

namespace clearbox::unpack::internal {

// Match::hint of a legacy image.
inline constexpr uint64_t kLegacySquashfsHint = 0x5153'4c45'4741'4359;  // "QSLEGACY"

// A Match (length = bytes_used, hint = kLegacySquashfsHint, detail naming version and
// endianness) for a legacy superblock at the start of `data`; nullopt otherwise.
std::optional<Match> ProbeLegacySquashfs(ByteView data);

Result<uint64_t> OpenLegacySquashfs(ByteView container, const Match& match, Walker& walker);

}  // namespace clearbox::unpack::internal
