// Each command group registers its subcommands on the app; one file per group.
#pragma once

#include <CLI/CLI.hpp>

namespace clearbox::cli {

// Exit codes (DESIGN.md): 0 ok/clean, 1 findings at or above --fail-on, 2 usage or input error.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitInputError = 2;

// `clearbox --version`, and the auditor's version a verdict states.
inline constexpr const char* kClearboxVersion = "0.1.0";

// A subcommand's callback stores its exit code here; main returns it.
int& ExitCode();

void RegisterUnpackCommands(CLI::App& app);  // unpack, ls           (cmd_unpack.cc)
void RegisterKeyCommands(CLI::App& app);     // key generate         (cmd_key.cc)
void RegisterLogCommands(CLI::App& app);     // log init/serve/add/witness (cmd_log.cc)
void RegisterLogClientCommands(
    CLI::App& app);  // log get-proof/verify-inclusion/monitor (cmd_log_client.cc)
void RegisterInventoryCommands(CLI::App& app);  // inventory, sbom      (cmd_inventory.cc)
void RegisterVulndbCommands(CLI::App& app);     // vulndb import        (cmd_vulndb.cc)
void RegisterAuditCommands(CLI::App& app);      // audit                (cmd_audit.cc)
void RegisterPledgeCommands(CLI::App& app);     // pledge check         (cmd_pledge.cc)
void RegisterReleaseCommands(CLI::App& app);    // pledge sign, release (cmd_release.cc; after pledge)
void RegisterReleaseLogCommands(CLI::App& app); // release publish/bundle (cmd_release_log.cc)
void RegisterVerifyCommands(CLI::App& app);     // verify: the device gate (cmd_verify.cc)
void RegisterDiffCommands(CLI::App& app);       // diff                 (cmd_diff.cc)
void RegisterMaintCertCommands(CLI::App& app);  // maint cert, maint revoke (cmd_maint_cert.cc)
void RegisterMaintRecordCommands(CLI::App& app);  // maint record, maint replay (cmd_maint_record.cc)
void RegisterMaintObserveCommands(CLI::App& app);  // maint relay, maint observe (cmd_maint_observe.cc)
void RegisterMaintSealCommands(CLI::App& app);    // maint seal (cmd_maint_seal.cc)
void RegisterWatchCommands(CLI::App& app);       // watch, watch mud-from-traffic (cmd_watch.cc)
void RegisterMaintApprovalCommands(
    CLI::App& app);  // maint request/approve/deny/status/issue/check-policy (cmd_maint_approval.cc)
void RegisterMaintAuditCommands(CLI::App& app);  // maint audit (cmd_maint_audit.cc)

// The `log` command group, created on first use (defined in cmd_log.cc). Every file that adds
// `clearbox log <sub>` commands attaches them here, so the group is made once whatever the
// registration order: tlog-core's cmd_log_client.cc (get-proof, verify-inclusion, monitor)
// calls LogCommand(app)->add_subcommand(...) too. Subcommand names in use by cmd_log.cc:
// init, serve, add, witness.
CLI::App* LogCommand(CLI::App& app);

// The `maint` command group, created on first use (defined in cmd_maint_cert.cc), as LogCommand
// for `log`. Subcommand names in use by cmd_maint_cert.cc: cert, revoke.
CLI::App* MaintCommand(CLI::App& app);

}  // namespace clearbox::cli
