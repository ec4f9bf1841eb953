// Reconciling the pledge with the observations (pledge.cc), called by RunAudit (check.cc)
// after every other check.
#pragma once

#include <string>
#include <string_view>

#include "clearbox/audit/allow.h"
#include "clearbox/audit/check.h"
#include "clearbox/audit/pledge.h"

namespace clearbox::audit::internal {

// Fills report.pledge_items (each declared item, found or missing, with the evidence of the
// observations that match it) and appends to report.findings a CB-PLEDGE finding for every
// observation the pledge does not declare or that breaks what it declares. An observation
// the allow list accepts (its check id and path, or an allowed endpoint) is not judged.
// With an unembedded MUD profile, endpoints are not judged and a note says so.
void ApplyPledge(const Pledge& pledge, const AllowList& allow, AuditReport& report);
// The same with an empty allow list.
void ApplyPledge(const Pledge& pledge, AuditReport& report);

// Matching rules, exposed for tests.
// An observed host name or address against a declared destination (name, "*.domain",
// address, CIDR); names compare case-insensitively, a trailing dot ignored.
bool EndpointMatches(const Pledge::Endpoint& declared, std::string_view observed_host);
// The uid an account observation's detail starts with ("uid 0, password set, ..."), or -1.
long long ObservedUid(std::string_view detail);

}  // namespace clearbox::audit::internal
