// clearbox: check, don't trust. Thin front end over libclearbox.
#include <cstdio>

#include "commands.h"

namespace clearbox::cli {
int& ExitCode() {
  static int code = kExitOk;
  return code;
}
}  // namespace clearbox::cli

int main(int argc, char** argv) {
  CLI::App app{"clearbox: audit firmware, log releases, verify before install"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("clearbox ") + clearbox::cli::kClearboxVersion);
  clearbox::cli::RegisterUnpackCommands(app);
  clearbox::cli::RegisterKeyCommands(app);
  clearbox::cli::RegisterLogCommands(app);
  clearbox::cli::RegisterLogClientCommands(app);
  clearbox::cli::RegisterInventoryCommands(app);
  clearbox::cli::RegisterVulndbCommands(app);
  clearbox::cli::RegisterAuditCommands(app);
  clearbox::cli::RegisterPledgeCommands(app);
  clearbox::cli::RegisterReleaseCommands(app);
  clearbox::cli::RegisterReleaseLogCommands(app);
  clearbox::cli::RegisterVerifyCommands(app);
  clearbox::cli::RegisterDiffCommands(app);
  clearbox::cli::RegisterMaintCertCommands(app);
  clearbox::cli::RegisterMaintRecordCommands(app);
  clearbox::cli::RegisterMaintObserveCommands(app);
  clearbox::cli::RegisterMaintSealCommands(app);
  clearbox::cli::RegisterMaintApprovalCommands(app);
  clearbox::cli::RegisterMaintAuditCommands(app);
  clearbox::cli::RegisterWatchCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : clearbox::cli::kExitInputError;
  }
  return clearbox::cli::ExitCode();
}
