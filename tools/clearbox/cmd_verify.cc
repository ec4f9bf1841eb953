// clearbox verify --policy POLICY --bundle BUNDLE IMAGE [--state FILE]: the device gate
// (docs/gate.md). Argument parsing and printing only; the decision is clearbox/gate's.
#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "clearbox/core/file.h"
#include "clearbox/gate/gate.h"
#include "commands.h"
#include "common.h"
#include "release_inputs.h"

namespace clearbox::cli {
namespace {

struct VerifyArgs {
  std::string policy, bundle, image, state;
  int64_t now = -1;  // POSIX seconds; -1: the clock
};

// A bundle larger than the gate's limit is refused before a byte of it is read: a device must
// not be made to read (or store) endless data.
std::optional<std::string> OversizeBundle(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  if (static_cast<uint64_t>(st.st_size) <= gate::kMaxBundleBytes) return std::nullopt;
  return fmt::format("{} is {} bytes, more than the limit of {} bytes: not read", path,
                     static_cast<uint64_t>(st.st_size), gate::kMaxBundleBytes);
}

void PrintDecision(const gate::Decision& d) {
  for (const gate::GateCheck& c : d.checks) {
    fmt::print("{} {:<18} {}\n", c.passed ? "pass" : "FAIL", c.name, c.reason);
  }
  if (d.accepted) {
    fmt::print("ACCEPT {} {} {} (security version {})\n", d.vendor, d.product, d.version,
               d.security_version);
  } else {
    size_t failed = 0;
    for (const gate::GateCheck& c : d.checks) failed += !c.passed;
    fmt::print("REJECT: {} check(s) failed\n", failed);
  }
}

// Exit 0 ACCEPT, 1 REJECT, 2 unusable input (policy, image or state unreadable or invalid).
int RunVerify(const VerifyArgs& args) {
  auto policy_text = ReadTextFile(args.policy, gate::kMaxPolicyBytes);
  if (!policy_text.ok()) return Fail(policy_text.error().WithContext("--policy"));
  auto policy = gate::ParsePolicy(*policy_text);
  if (!policy.ok()) return Fail(policy.error().WithContext("--policy " + args.policy));
  if (Status s = CheckReadable(args.image); !s.ok()) return Fail(s.error());
  auto image_sha256 = FileSha256(args.image);
  if (!image_sha256.ok()) return Fail(image_sha256.error());

  std::optional<gate::DeviceState> state;
  if (!args.state.empty()) {
    auto text = ReadTextFile(args.state, 1 << 20);
    if (text.ok()) {
      auto parsed = gate::ParseDeviceState(*text);
      if (!parsed.ok()) return Fail(parsed.error().WithContext("--state " + args.state));
      state = std::move(*parsed);
    } else if (text.error().code() == ErrorCode::kNotFound) {
      fmt::print(stderr, "clearbox: --state {}: none yet; it is created on ACCEPT\n", args.state);
    } else {
      return Fail(text.error().WithContext("--state"));
    }
  }

  auto now = args.now >= 0 ? std::chrono::system_clock::time_point(std::chrono::seconds(args.now))
                           : std::chrono::system_clock::now();
  gate::Decision decision;
  if (std::optional<std::string> oversize = OversizeBundle(args.bundle)) {
    decision.checks.push_back({"bundle", false, *oversize});
  } else {
    auto bundle = ReadTextFile(args.bundle, gate::kMaxBundleBytes);
    if (!bundle.ok()) return Fail(bundle.error().WithContext("--bundle"));
    decision = gate::Decide(*policy, *bundle, *image_sha256, state ? &*state : nullptr, now);
  }
  PrintDecision(decision);
  if (!decision.accepted) return kExitFindings;
  if (!args.state.empty()) {
    std::string text = gate::FormatDeviceState(decision.next_state);
    if (Status s = WriteFileAtomic(args.state, AsBytes(text)); !s.ok()) {
      return Fail(s.error().WithContext("--state (the image was accepted, the state not kept)"));
    }
  }
  return kExitOk;
}

}  // namespace

void RegisterVerifyCommands(CLI::App& app) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "the device gate: may this image be installed? (policy + bundle, offline)");
  cmd->footer("Prints every check with its reason, then ACCEPT or REJECT. Exit status: 0 "
              "ACCEPT, 1 REJECT, 2 unusable input. docs/gate.md lists the checks.");
  cmd->add_option("IMAGE", args->image, "the firmware image to install")->required();
  cmd->add_option("--policy", args->policy, "the device's trust policy (docs/gate.md)")
      ->required();
  cmd->add_option("--bundle", args->bundle, "the release bundle (clearbox release bundle)")
      ->required();
  cmd->add_option("--state", args->state,
                  "the device's state: highest security version and checkpoint accepted "
                  "(read, and rewritten atomically on ACCEPT)");
  cmd->add_option("--now", args->now, "the device's clock, POSIX seconds (default: this clock)");
  cmd->callback([args] { ExitCode() = RunVerify(*args); });
}

}  // namespace clearbox::cli
