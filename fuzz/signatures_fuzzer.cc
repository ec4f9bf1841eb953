// Fuzzes the version signatures: the built-in rules over arbitrary bytes (one Hyperscan pass,
// version extraction, near-anchor windows), and the rules loader over arbitrary JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "clearbox/inventory/signatures.h"

using namespace clearbox;
using namespace clearbox::inventory;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView input(data, size);
  for (const Component& c : VersionSignatures::Builtin().Scan(input, "fuzz")) {
    // Every reported version is short and every evidence offset lies inside the input.
    if (c.version.empty() || c.version.size() > kMaxVersionLength) __builtin_trap();
    if (c.evidence.size() != 1 || c.evidence[0].offset >= size) __builtin_trap();
  }
  // Inputs that start with '{' are also tried as rules (small ones: compiling is slow).
  if (size > 0 && size < 4096 && data[0] == '{') {
    auto rules = VersionSignatures::Load(AsChars(input), "fuzz.json");
    if (rules.ok()) (void)(*rules)->Scan(input, "fuzz");
  }
  return 0;
}
