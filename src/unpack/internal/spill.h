// Blobs the engine and handlers produce: in memory while small, in an unlinked temp file
// (mapped read-only once sealed) when large, so a nested image never has to fit in RAM.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "unpack/internal/format.h"

namespace clearbox::unpack::internal {

// Called before bytes are added to a buffer; an error refuses them (a limit).
using ChargeFn = std::function<Status(uint64_t bytes)>;

// A SpillBuffer that keeps up to `in_memory_max` bytes on the heap and moves to a temp file
// in $TMPDIR (or /tmp) beyond that. `charge` may be empty (the bytes were charged already).
std::unique_ptr<SpillBuffer> NewSpillBuffer(uint64_t in_memory_max, ChargeFn charge);

// Mapped files whose pages may be dropped from memory once read (the input image, spilled
// blobs): they are read-only file mappings, so a dropped page is read back from the file if
// it is touched again. Process-wide, like the mappings themselves; thread-safe.
void RegisterDroppable(ByteView mapping);
void UnregisterDroppable(ByteView mapping);
// Drops the whole pages of `bytes` when they lie inside a registered mapping; else nothing.
void DropPages(ByteView bytes);

// A Blob over bytes someone else keeps alive (`owner` is held until the Blob is gone).
std::shared_ptr<const Blob> ViewBlob(ByteView bytes, std::shared_ptr<const void> owner = nullptr);

}  // namespace clearbox::unpack::internal
