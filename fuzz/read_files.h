// Shared by the flash filesystem fuzzers: reads every regular file of a parsed filesystem,
// within a budget of content bytes per input so that runs stay fast.
#pragma once

#include <cstdint>

#include "clearbox/unpack/node.h"

namespace clearbox::fuzz {

template <typename Filesystem>
void ReadFilesWithinBudget(const Filesystem& fs, uint64_t budget = 1 << 20) {
  for (const auto& e : fs.entries()) {
    if (e.type != unpack::NodeType::kFile || e.size > budget) continue;
    budget -= e.size;
    (void)fs.ReadFile(e, e.size);
  }
}

}  // namespace clearbox::fuzz
