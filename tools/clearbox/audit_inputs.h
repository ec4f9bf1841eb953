// What `clearbox audit` and `clearbox diff` share: the audit's input flags read and checked
// before the (long) unpack, and one audit run with progress on a terminal.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/audit/check.h"
#include "clearbox/audit/pledge.h"
#include "clearbox/core/result.h"
#include "clearbox/inventory/inventory.h"
#include "clearbox/inventory/vulndb.h"

namespace clearbox::cli {

// The flags that name the audit's inputs (--check, --rules, --allow, --pledge, --vulndb,
// --baseline); empty: not given.
struct AuditInputFlags {
  std::vector<std::string> only;
  std::vector<std::string> rule_dirs;
  std::string allow;
  std::string pledge;
  std::string vulndb;
  std::string baseline;
};

// Everything the flags name, read and checked.
struct AuditInputs {
  std::optional<audit::Pledge> pledge;
  std::unique_ptr<inventory::VulnDb> vulndb;
  audit::AuditOptions options;
};

// Errors name the flag and the file: kNotFound/kIo for a file that cannot be read,
// kInvalidInput for one that does not parse.
Result<AuditInputs> ReadAuditInputs(const AuditInputFlags& f);

// Audits `image` with `in` (progress on stderr when it is a terminal, labelled `label`).
// Errors: those of audit::AuditFile.
Result<audit::Audit> AuditWithProgress(const std::string& image, const std::string& label,
                                       AuditInputs& in, inventory::Options options);

}  // namespace clearbox::cli
