// Placeholder: the privilege checks are being written.
#include "families.h"

namespace clearbox::audit::internal {
void AddPrivilegeChecks(std::vector<Check>&) {}
}  // namespace clearbox::audit::internal
