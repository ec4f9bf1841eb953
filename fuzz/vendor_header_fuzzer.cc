// Fuzzes the vendor firmware header parsers (TP-Link, Netgear CHK, SEAMA, Ubiquiti, Xiaomi,
// Huawei UPDATE.APP and HWNP, Realtek, ZyXEL ZyNOS, Broadcom tags): every probe and parser
// sees the input, so offsets, lengths and checksums are checked against the header and the
// buffer for each.
#include <cstddef>
#include <cstdint>

#include "unpack/vendor_header.h"

using namespace clearbox;
using namespace clearbox::unpack;

namespace {

using ProbeFn = std::optional<vendor::Probed> (*)(ByteView);
using ParseFn = Result<vendor::Image> (*)(ByteView);

void Exercise(ProbeFn probe, ParseFn parse, ByteView input) {
  std::optional<vendor::Probed> probed = probe(input);
  Result<vendor::Image> image = parse(input);
  // A parser accepts exactly what its probe accepts.
  if (probed.has_value() != image.ok()) __builtin_trap();
  if (!image.ok()) return;
  // Touch every byte a part claims, so a view past the buffer shows up under ASan.
  volatile uint8_t sum = 0;
  for (const vendor::Part& p : image->parts) {
    if (p.data.size() > p.size) __builtin_trap();
    for (uint8_t b : p.data) sum = static_cast<uint8_t>(sum + b);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView input(data, size);
  Exercise(vendor::ProbeXiaomi, vendor::ParseXiaomi, input);
  Exercise(vendor::ProbeTplink, vendor::ParseTplink, input);
  Exercise(vendor::ProbeChk, vendor::ParseChk, input);
  Exercise(vendor::ProbeSeama, vendor::ParseSeama, input);
  Exercise(vendor::ProbeUbiquiti, vendor::ParseUbiquiti, input);
  Exercise(vendor::ProbeHuaweiApp, vendor::ParseHuaweiApp, input);
  Exercise(vendor::ProbeHwnp, vendor::ParseHwnp, input);
  Exercise(vendor::ProbeRealtek, vendor::ParseRealtek, input);
  Exercise(vendor::ProbeZynos, vendor::ParseZynos, input);
  Exercise(vendor::ProbeCfe, vendor::ParseCfe, input);
  return 0;
}
