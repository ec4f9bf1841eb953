// The whole unpack of an in-memory buffer, with tight limits, every file's content read:
// identification, carving, every format handler and the recursion between them.
#include <cstddef>
#include <cstdint>

#include "clearbox/unpack/unpack.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  clearbox::unpack::Options options;
  options.threads = 1;  // deterministic
  options.limits.max_depth = 6;
  options.limits.max_total_bytes = 64 << 20;
  options.limits.max_file_bytes = 16 << 20;
  options.limits.max_entries = 20000;
  options.limits.max_seconds = 20;
  options.limits.max_in_memory_bytes = 8 << 20;
  clearbox::unpack::TreeCollector tree(/*hash_contents=*/true);
  auto summary = clearbox::unpack::UnpackBuffer({data, size}, "fuzz", options, tree);
  if (!summary.ok()) __builtin_trap();  // only a sink error may fail, and this sink never does
  auto entries = tree.TakeEntries();
  for (const auto& e : entries) {
    // Every path is normalised: absolute, no "." or ".." components.
    const std::string& p = e.node.path;
    if (p.empty() || p[0] != '/' || p.find("/../") != std::string::npos ||
        p.find("/./") != std::string::npos || p.ends_with("/..")) {
      __builtin_trap();
    }
  }
  return 0;
}
