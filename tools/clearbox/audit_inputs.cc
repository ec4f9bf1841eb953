#include "audit_inputs.h"

#include <fmt/format.h>

#include "clearbox/core/file.h"
#include "clearbox/core/progress.h"
#include "clearbox/report/sarif.h"

namespace clearbox::cli {
namespace {

// Inputs a person writes (pledge, allow list) or an earlier run wrote (baseline SARIF).
constexpr uint64_t kMaxInputFileBytes = 256ull << 20;

// Reads a small input file the user named; errors name the flag and the file.
Result<std::string> ReadInput(std::string_view flag, const std::string& path) {
  Result<std::string> text = ReadTextFile(path, kMaxInputFileBytes);
  if (!text.ok()) {
    return Error(text.error().code(), fmt::format("{} {}: {}", flag, path, text.error().message()));
  }
  return text;
}

}  // namespace

Result<AuditInputs> ReadAuditInputs(const AuditInputFlags& f) {
  AuditInputs in;
  in.options.only = f.only;
  in.options.rule_dirs = f.rule_dirs;
  if (!f.allow.empty()) {
    CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadInput("--allow", f.allow));
    CLEARBOX_ASSIGN_OR_RETURN(in.options.allow, audit::AllowList::Parse(text, f.allow));
  }
  if (!f.pledge.empty()) {
    CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadInput("--pledge", f.pledge));
    Result<audit::Pledge> pledge = audit::ParsePledge(text, f.pledge);
    if (!pledge.ok()) {
      return Error(pledge.error().code(), "--pledge: " + pledge.error().message());
    }
    in.pledge = std::move(*pledge);
  }
  if (!f.baseline.empty()) {
    CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadInput("--baseline", f.baseline));
    Result<std::set<std::string>> accepted = report::ParseSarifBaseline(text, f.baseline);
    if (!accepted.ok()) {
      return Error(accepted.error().code(), "--baseline: " + accepted.error().message());
    }
    in.options.baseline = std::move(*accepted);
  }
  if (!f.vulndb.empty()) {
    Result<std::unique_ptr<inventory::VulnDb>> db = inventory::VulnDb::Open(f.vulndb);
    if (!db.ok()) return Error(db.error().code(), "--vulndb: " + db.error().message());
    in.vulndb = std::move(*db);
  }
  return in;
}

Result<audit::Audit> AuditWithProgress(const std::string& image, const std::string& label,
                                       AuditInputs& in, inventory::Options options) {
  // Set here, not in ReadAuditInputs: the Result moved `in` and the pledge with it.
  in.options.pledge = in.pledge ? &*in.pledge : nullptr;
  options.vulndb = in.vulndb.get();
  // Silent unless stderr is a terminal (Progress checks).
  Progress progress(label);
  if (progress.enabled()) options.progress = &progress;
  Result<audit::Audit> audit = audit::AuditFile(image, in.options, options);
  progress.Finish();
  return audit;
}

}  // namespace clearbox::cli
