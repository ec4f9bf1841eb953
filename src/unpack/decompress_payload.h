// Hands a firmware container's payloads (a uImage's kernel, a TRX partition, a UBI volume)
// to the engine, decompressing them first when the container's header names a codec.
#pragma once

#include <string>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "decompress.h"
#include "internal/format.h"

namespace clearbox::unpack::internal {

// How a payload shows up as a file when no format recognises it.
struct PayloadFile {
  std::string name;  // node path, relative to the container: "kernel", "part1", "rootfs"
  int64_t mtime = 0;
};

// A payload of bytes inside the container (zero-copy), identified by magic and carved.
Payload StoredPayload(const std::string& label, uint64_t offset, ByteView data);

// Lists `data` as the file node `file` (mode 0644), its bytes read from the view: a payload
// that is a file and nothing else (a kernel no format recognises, a device tree).
// Errors: only those of the Walker.
Status AddPayloadFile(Walker& walker, ByteView data, const PayloadFile& file);

// Whether a registered format recognises `data` at offset 0 (its magic and its probe).
bool IdentifiedAtStart(ByteView data);

// Hands `data` on. A bare compressed stream (gzip, xz, lzma, bzip2, zstd, lz4 frame) is
// decoded first, as AddDecompressedPayload does, so a packed kernel part shows as its file.
// When a format recognises it at offset 0 it goes to walker.AddPayload()
// as (label, offset) to be opened. Otherwise (a kernel, a raw partition) it is first
// reported as the file node `file`, so that its bytes are listed, hashed and written, and
// then passed to AddPayload() to be carved. `data` must stay valid during the call.
// Errors: only those of the Walker (limits, the sink), to be returned unchanged.
Status HandOn(Walker& walker, ByteView data, const std::string& label, uint64_t offset,
              const PayloadFile& file, uint64_t compressed_size = 0);

// Decompresses `data` with `codec` within walker.OutputBudget() and hands the result on
// (HandOn). What decoded before a truncation or corruption is still handed on, with a
// kCorrupt note. When nothing decodes, the stored bytes are handed on instead (carving can
// still look inside), with a kCorrupt note when `fault_is_corruption`, else a kInfo note.
// Output over the budget is a kLimit note and no payload.
// Errors: only those of the Walker, to be returned unchanged.
Status AddDecompressedPayload(Walker& walker, Codec codec, ByteView data, const std::string& label,
                              uint64_t offset, const PayloadFile& file, bool fault_is_corruption);

// A container that is one compressed stream (lzip, compress, lzop, a carved zlib stream):
// decodes it as AddDecompressedPayload does (label "", faults are corruption) and returns
// the bytes the stream spans (up to its fault when it is corrupt; 0 when the codec cannot tell
// or nothing decoded), for FormatHandler::open to return.
// Errors: only those of the Walker.
Result<uint64_t> OpenStreamContainer(Walker& walker, Codec codec, ByteView container,
                                     const PayloadFile& file);

}  // namespace clearbox::unpack::internal
