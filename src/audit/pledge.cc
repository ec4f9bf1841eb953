// The vendor's pledge: parsing and reconciliation with the observations.
#include "clearbox/audit/pledge.h"

#include "families.h"
#include "pledge_internal.h"

namespace clearbox::audit {

Result<Pledge> ParsePledge(std::string_view, std::string_view name) {
  return Error::Unsupported(std::string(name) + ": pledges are not supported yet");
}

namespace internal {
void AddPledgeChecks(std::vector<Check>&) {}
void ApplyPledge(const Pledge&, AuditReport&) {}
}  // namespace internal

}  // namespace clearbox::audit
