// Placeholder: the key checks are being written.
#include "families.h"

namespace clearbox::audit::internal {
void AddKeyChecks(std::vector<Check>&) {}
}  // namespace clearbox::audit::internal
