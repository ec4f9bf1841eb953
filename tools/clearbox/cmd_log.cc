#include "commands.h"

namespace clearbox::cli {
void RegisterLogCommands(CLI::App& app) {}
}  // namespace clearbox::cli
