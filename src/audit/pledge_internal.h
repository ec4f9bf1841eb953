// Reconciling the pledge with the observations (pledge.cc), called by RunAudit (check.cc).
#pragma once

#include <vector>

#include "clearbox/audit/check.h"
#include "clearbox/audit/pledge.h"

namespace clearbox::audit::internal {
// Fills report.pledge_items (each declared item, found or missing) and appends a finding for
// every observation the pledge does not declare.
void ApplyPledge(const Pledge& pledge, AuditReport& report);
}  // namespace clearbox::audit::internal
