// clearbox pledge check FILE: validates a vendor's pledge (docs/pledge.md).
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>

#include "clearbox/audit/pledge.h"
#include "clearbox/core/file.h"
#include "commands.h"

namespace clearbox::cli {
namespace {

std::string Count(size_t n, std::string_view what) {
  return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s");
}

int RunPledgeCheck(const std::string& path) {
  Result<std::string> text = ReadTextFile(path, audit::kMaxPledgeBytes);
  if (!text.ok()) {
    fmt::print(stderr, "clearbox: {}\n", text.error().message());
    return kExitInputError;
  }
  Result<audit::Pledge> pledge = audit::ParsePledge(*text, path);
  if (!pledge.ok()) {
    // One problem a line, each naming the file and the JSON path.
    std::string_view errors = pledge.error().message();
    while (!errors.empty()) {
      size_t nl = errors.find('\n');
      fmt::print(stderr, "clearbox: {}\n", errors.substr(0, nl));
      errors = nl == std::string_view::npos ? std::string_view() : errors.substr(nl + 1);
    }
    return kExitInputError;
  }
  const audit::Pledge& p = *pledge;
  std::string versions;
  for (const std::string& v : p.versions) versions += (versions.empty() ? "" : ", ") + v;
  fmt::print("ok: {} {} ({}): {}, {}, {}, {}\n", p.vendor, p.product, versions,
             Count(p.services.size(), "service"), Count(p.accounts.size(), "account"),
             Count(p.keys.size(), "key"),
             p.mud_embedded ? Count(p.endpoints.size(), "endpoint")
                            : "endpoints by reference (" + p.mud_url + ")");
  return kExitOk;
}

}  // namespace

void RegisterPledgeCommands(CLI::App& app) {
  CLI::App* pledge = app.add_subcommand("pledge", "the vendor's pledge (docs/pledge.md)");
  pledge->require_subcommand(1);
  auto path = std::make_shared<std::string>();
  CLI::App* check = pledge->add_subcommand(
      "check", "validate a pledge: every problem with its JSON path, or a summary");
  check->footer("Exit status: 0 valid, 2 invalid or unreadable.");
  check->add_option("FILE", *path, "pledge (JSON)")->required();
  check->callback([path] { ExitCode() = RunPledgeCheck(*path); });
}

}  // namespace clearbox::cli
