// What the SARIF writers of `audit` (sarif.cc) and `watch` (watch_sarif.cc) share.
#pragma once

#include <string>
#include <string_view>

#include "clearbox/audit/finding.h"

namespace clearbox::report::internal {

// GitHub code scanning's "security-severity" (0.0-10.0) of a severity.
std::string SecuritySeverity(audit::Severity s);
// SARIF's "friendly name" (validator rule SARIF2012): one PascalCase identifier, articles
// dropped ("second account with UID 0" -> "SecondAccountWithUid0").
std::string PascalName(std::string_view title);

}  // namespace clearbox::report::internal
