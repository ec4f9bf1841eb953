// The whole inventory of an in-memory image: the unpacker, then every file typed, hashed,
// ELF-parsed, signature-scanned, package databases parsed, kernels decompressed, components
// merged and the JSON written. Invariants: every component has evidence, every file index a
// component points to exists, and the JSON is produced.
#include <cstddef>
#include <cstdint>

#include "clearbox/inventory/inventory.h"
#include "clearbox/inventory/inventory_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  clearbox::inventory::Options options;
  options.unpack.threads = 1;  // deterministic
  options.unpack.limits.max_depth = 6;
  options.unpack.limits.max_total_bytes = 64 << 20;
  options.unpack.limits.max_file_bytes = 16 << 20;
  options.unpack.limits.max_entries = 20000;
  options.unpack.limits.max_seconds = 20;
  options.unpack.limits.max_in_memory_bytes = 8 << 20;
  options.max_buffer_bytes = 1 << 20;  // large-file windows are exercised too
  options.max_kernel_bytes = 16 << 20;
  auto inv = clearbox::inventory::InventoryBuffer({data, size}, "fuzz", options);
  if (!inv.ok()) __builtin_trap();  // nothing inside an image may fail the inventory
  for (const auto& c : inv->components) {
    if (c.evidence.empty()) __builtin_trap();
  }
  for (const auto& f : inv->files) {
    for (size_t i : f.components) {
      if (i >= inv->components.size()) __builtin_trap();
    }
  }
  if (clearbox::inventory::InventoryToJson(*inv).empty()) __builtin_trap();
  return 0;
}
