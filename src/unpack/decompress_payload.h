// Decompresses a container's payload and hands it to the engine, for format handlers whose
// header names the codec (uImage, and any other container of this kind).
#pragma once

#include <string>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "decompress.h"
#include "internal/format.h"

namespace clearbox::unpack::internal {

// A payload of bytes inside the container (zero-copy), identified by magic and carved.
Payload StoredPayload(const std::string& label, uint64_t offset, ByteView data);

// Decompresses `data` with `codec` within walker.OutputBudget() and passes the result to
// walker.AddPayload() as (label, offset). What decoded before a truncation or corruption is
// still handed on, with a kCorrupt note. When nothing decodes, the stored bytes are handed
// on instead (so carving can still look inside), with a kCorrupt note when
// `fault_is_corruption`, else a kInfo note. Output over the budget is a kLimit note and no
// payload. Errors: only those of the Walker (limits, the sink), to be returned unchanged.
Status AddDecompressedPayload(Walker& walker, Codec codec, ByteView data, const std::string& label,
                              uint64_t offset, bool fault_is_corruption);

}  // namespace clearbox::unpack::internal
