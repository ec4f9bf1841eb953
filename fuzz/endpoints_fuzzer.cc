// Fuzzes the endpoint extractor (text and binary-string modes), the special-range tables and
// the exfiltration reader over every line of the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audit/endpoints.h"

using namespace clearbox::audit::internal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (ExtractMode mode : {ExtractMode::kText, ExtractMode::kBinaryString}) {
    for (const EndpointHit& h : ExtractEndpoints(input, mode)) {
      if (h.offset > input.size()) __builtin_trap();
      (void)IsSpecialHost(h.host);
    }
  }
  size_t start = 0;
  while (start <= input.size()) {
    size_t nl = input.find('\n', start);
    if (nl == std::string_view::npos) nl = input.size();
    std::string_view line = input.substr(start, nl - start);
    (void)StripShellComment(line);
    (void)DescribeExfiltration(line);
    start = nl + 1;
  }
  return 0;
}
