// clearbox log init | serve | add | witness: the writing half of the transparency log.
#include "commands.h"

namespace clearbox::cli {

CLI::App* LogCommand(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App* s) { return s->get_name() == "log"; })) {
    return sub;
  }
  CLI::App* log = app.add_subcommand("log", "a witnessed transparency log (C2SP tlog-tiles)");
  log->require_subcommand(1);
  return log;
}

void RegisterLogCommands(CLI::App& app) { LogCommand(app); }

}  // namespace clearbox::cli
