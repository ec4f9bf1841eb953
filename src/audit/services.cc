// Placeholder: the service checks are being written.
#include "families.h"

namespace clearbox::audit::internal {
void AddServiceChecks(std::vector<Check>&) {}
}  // namespace clearbox::audit::internal
