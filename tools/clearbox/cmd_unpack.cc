#include "commands.h"

namespace clearbox::cli {
void RegisterUnpackCommands(CLI::App& app) {}
}  // namespace clearbox::cli
