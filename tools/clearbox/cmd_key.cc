#include "commands.h"

namespace clearbox::cli {
void RegisterKeyCommands(CLI::App& app) {}
}  // namespace clearbox::cli
