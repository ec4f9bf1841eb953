// Registration of the account checks (accounts.cc) into the registry (check.cc).
#pragma once

#include <vector>

#include "clearbox/audit/check.h"

namespace clearbox::audit::internal {
void AddAccountChecks(std::vector<Check>& checks);
}  // namespace clearbox::audit::internal
