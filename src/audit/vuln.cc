// Placeholder: the vuln checks are being written.
#include "families.h"

namespace clearbox::audit::internal {
void AddVulnChecks(std::vector<Check>&) {}
}  // namespace clearbox::audit::internal
