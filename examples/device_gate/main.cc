// device_gate: what a device runs before it installs an update, built on the gate library
// alone (docs/gate.md). Exit 0 ACCEPT, 1 REJECT, 2 usage or input error.
//
//   device_gate --policy policy.json --bundle fw.bundle.json [--state state.json] fw.bin
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "clearbox/core/digest.h"
#include "clearbox/core/file.h"
#include "clearbox/gate/gate.h"

using namespace clearbox;

namespace {

int Usage() {
  std::fprintf(stderr, "usage: device_gate --policy POLICY --bundle BUNDLE [--state FILE] IMAGE\n");
  return 2;
}

int Fail(const Error& e) {
  std::fprintf(stderr, "device_gate: %s\n", e.message().c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string policy_path, bundle_path, state_path, image_path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--policy" || arg == "--bundle" || arg == "--state") && i + 1 < argc) {
      (arg == "--policy" ? policy_path : arg == "--bundle" ? bundle_path : state_path) = argv[++i];
    } else if (image_path.empty() && !arg.starts_with("--")) {
      image_path = arg;
    } else {
      return Usage();
    }
  }
  if (policy_path.empty() || bundle_path.empty() || image_path.empty()) return Usage();

  auto policy_text = ReadTextFile(policy_path, gate::kMaxPolicyBytes);
  if (!policy_text.ok()) return Fail(policy_text.error());
  auto policy = gate::ParsePolicy(*policy_text);
  if (!policy.ok()) return Fail(policy.error().WithContext(policy_path));

  std::optional<gate::DeviceState> state;
  if (!state_path.empty()) {
    auto text = ReadTextFile(state_path, 1 << 20);
    if (text.ok()) {
      auto parsed = gate::ParseDeviceState(*text);
      if (!parsed.ok()) return Fail(parsed.error().WithContext(state_path));
      state = std::move(*parsed);
    } else if (text.error().code() != ErrorCode::kNotFound) {
      return Fail(text.error());
    }
  }

  // The bundle is read with a cap one byte above the gate's limit, so that a huge file is
  // refused by the gate's "bundle" check without being read whole.
  std::string bundle;
  {
    auto text = ReadTextFile(bundle_path, gate::kMaxBundleBytes + 1);
    if (text.ok()) {
      bundle = std::move(*text);
    } else if (text.error().code() == ErrorCode::kLimitExceeded) {
      bundle.assign(gate::kMaxBundleBytes + 1, ' ');
    } else {
      return Fail(text.error());
    }
  }

  auto image = MappedFile::Open(image_path);
  if (!image.ok()) return Fail(image.error());
  std::string digest = Sha256Hex((*image)->bytes());

  gate::Decision d = gate::Decide(*policy, bundle, digest, state ? &*state : nullptr,
                                  std::chrono::system_clock::now());
  for (const auto& c : d.checks) {
    std::printf("%-16s %s  %s\n", c.name.c_str(), c.passed ? "pass" : "FAIL", c.reason.c_str());
  }
  std::printf("%s\n", d.accepted ? "ACCEPT" : "REJECT");
  if (d.accepted && !state_path.empty()) {
    std::string text = gate::FormatDeviceState(d.next_state);
    Status written = WriteFileAtomic(state_path, AsBytes(text));
    if (!written.ok()) return Fail(written.error());
  }
  return d.accepted ? 0 : 1;
}
