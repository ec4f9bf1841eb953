// Placeholder: the yara checks are being written.
#include "families.h"

namespace clearbox::audit::internal {
void AddYaraChecks(std::vector<Check>&) {}
}  // namespace clearbox::audit::internal
