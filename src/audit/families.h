// Registration of each family of checks into the registry (check.cc). One function per
// family, each defined in its own file (docs/checks.md has a section per family).
#pragma once

#include <vector>

#include "clearbox/audit/check.h"

namespace clearbox::audit::internal {
void AddAccountChecks(std::vector<Check>& checks);    // CB-ACCT  accounts.cc
void AddServiceChecks(std::vector<Check>& checks);    // CB-SVC   services.cc
void AddConfigChecks(std::vector<Check>& checks);     // CB-CONF  config.cc
void AddKeyChecks(std::vector<Check>& checks);        // CB-KEY   keys.cc
void AddPrivilegeChecks(std::vector<Check>& checks);  // CB-PRIV  privilege.cc
void AddYaraChecks(std::vector<Check>& checks);       // CB-YARA  yara.cc
void AddEndpointChecks(std::vector<Check>& checks);   // CB-NET   endpoints.cc
void AddMagicChecks(std::vector<Check>& checks);      // CB-MAGIC magic.cc
void AddVulnChecks(std::vector<Check>& checks);       // CB-VULN  vuln.cc
// CB-PLEDGE (pledge.cc): no `run` of their own; ApplyPledge (pledge_apply.h) reports them.
void AddPledgeChecks(std::vector<Check>& checks);
}  // namespace clearbox::audit::internal
