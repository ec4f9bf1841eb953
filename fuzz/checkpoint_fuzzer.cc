// Fuzzes the C2SP tlog-checkpoint parser (clearbox/tlog/checkpoint.h), alone and inside a
// signed note. Invariant: a checkpoint text that parses formats back to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "clearbox/tlog/checkpoint.h"
#include "test_log_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace clearbox::tlog;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto cp = ParseCheckpoint(input);
  if (cp.ok()) {
    auto text = FormatCheckpoint(*cp);
    if (!text.ok() || *text != input) std::abort();
  }
  auto opened = OpenCheckpoint(input, clearbox::fuzz::TestLogKey(), {}, "example.com/log/testdata");
  if (opened.ok() && opened->checkpoint.origin != "example.com/log/testdata") std::abort();
  return 0;
}
