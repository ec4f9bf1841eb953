// Placeholder: the config checks are being written.
#include "families.h"

namespace clearbox::audit::internal {
void AddConfigChecks(std::vector<Check>&) {}
}  // namespace clearbox::audit::internal
