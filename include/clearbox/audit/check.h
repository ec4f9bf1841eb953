// audit: every check over an image's inventory, with findings and evidence.
//
//   clearbox::audit::AuditOptions opts;                       // checks, pledge, allow list, rules
//   auto audit = clearbox::audit::AuditFile("fw.bin", opts, {});  // one unpack, every check
//   for (const auto& f : audit->report.findings) ...          // worst first
//   for (const auto& c : clearbox::audit::AllChecks()) ...    // the registry (--list-checks)
//
// The image is unpacked once. Most checks read the Inventory (each file's kind, metadata and
// kept text); checks that must see binaries (YARA rules, disassembly, keys inside programs)
// attach a ContentScanner that sees every file's bytes while the inventory is built. A check
// is a plain function to findings; hostile content (a garbage /etc/passwd, a 10 MB line)
// yields fewer findings and a note, never a crash. docs/checks.md documents every check.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "clearbox/audit/allow.h"
#include "clearbox/audit/finding.h"
#include "clearbox/audit/observation.h"
#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/inventory/inventory.h"

namespace clearbox::audit {

struct Pledge;  // pledge.h

struct AuditOptions {
  // Run only these check ids (empty: all). An unknown id is an error.
  std::vector<std::string> only;
  // The vendor's pledge to reconcile the observations against (not owned); nullptr: none.
  const Pledge* pledge = nullptr;
  AllowList allow;
  // Directories of extra YARA rules (`--rules DIR`), on top of the shipped set.
  std::vector<std::string> rule_dirs;
  // Fingerprints (FindingFingerprint) of findings already accepted (`--baseline OLD.sarif`).
  std::set<std::string> baseline;
};

// A problem the audit met that a person should know of (a rule that does not compile, a
// binary the disassembler cannot decode): the file or input, and what was wrong.
struct AuditNote {
  std::string where;
  std::string message;
};

// Where one check's time went: its content scanner (CPU seconds summed over the unpacker's
// threads, and the bytes it was shown) and its work after the inventory (Finish and run, wall).
struct CheckTiming {
  std::string check_id;
  double scan_seconds = 0;
  uint64_t scanned_bytes = 0;
  double run_seconds = 0;
};

struct AuditReport {
  std::string image;                    // Inventory::image
  std::string sha256;                   // of the input
  std::vector<Finding> findings;        // sorted with FindingBefore
  std::vector<std::string> checks_run;  // ids, in order
  std::vector<Observation> observations;  // every way in seen, by kind then name
  std::vector<PledgeItem> pledge_items;   // with a pledge: each declared item, found or missing
  std::vector<AuditNote> notes;
  size_t suppressed = 0;  // findings dropped by the baseline or the allow list
  std::vector<CheckTiming> timings;  // per check run, in order (`clearbox audit --timings`)
};

// What a check reads and where it records observations and notes.
class AuditContext {
 public:
  AuditContext(const inventory::Inventory& inv, const AuditOptions& options, AuditReport& report)
      : inv(inv), options(options), report_(report) {}
  const inventory::Inventory& inv;
  const AuditOptions& options;
  void Observe(Observation o) { report_.observations.push_back(std::move(o)); }
  void Note(std::string where, std::string message) {
    report_.notes.push_back({std::move(where), std::move(message)});
  }

 private:
  AuditReport& report_;
};

// Sees every regular file's bytes while the inventory is built, for checks that need more
// than the kept text. OnContent is called from the unpacker's worker threads (concurrently
// for different files; it must be thread-safe), with the whole file when it is at most
// inventory::Options::max_buffer_bytes, else window by window (`offset` is the window's).
// `file` has its node, kind, detail and ELF facts; not its sha256 or components yet.
class ContentScanner {
 public:
  virtual ~ContentScanner() = default;
  virtual void OnContent(const inventory::FileRecord& file, uint64_t offset, ByteView bytes) = 0;
  // After the inventory is complete: this check's findings (and observations, notes).
  virtual void Finish(AuditContext& ctx, std::vector<Finding>& out) = 0;
};

struct Check {
  std::string id;           // stable: "CB-ACCT-001"
  std::string title;        // "second account with UID 0"
  std::string rationale;    // why it matters
  std::string remediation;  // what the vendor should do
  // The 3GPP TS 33.117 requirement it breaks ("4.2.3.4.2.1"), empty where none applies.
  std::string ts33117_clause;
  Severity severity = Severity::kInfo;  // of its findings (a finding may say otherwise)
  // Over the inventory; may be empty for a check that only scans content.
  std::function<void(AuditContext&, std::vector<Finding>&)> run;
  // Optional: a scanner made once per audit (it may compile rules here); its Finish runs
  // before `run`. A scanner that cannot work (rules that do not compile) reports a note.
  std::function<std::unique_ptr<ContentScanner>(const AuditOptions&)> make_scanner;
};

// Every check, in id order. Thread-safe (built once).
const std::vector<Check>& AllChecks();
// The check with this id, or nullptr.
const Check* FindCheck(std::string_view id);

// SHA-256 (hex) of everything that decides what an audit finds: each check's id, severity and
// title, the shipped YARA rules and password list, and the user's --rules files (name and
// text). A verdict states it, so that a reviewer knows which rules judged the image.
// Errors: kInvalidInput naming a rule directory or file that cannot be read.
Result<std::string> RuleSetSha256(const AuditOptions& options);

// An audit's two products: what is inside, and what is wrong with it.
struct Audit {
  inventory::Inventory inventory;
  AuditReport report;
};

// Unpacks and inventories the image once with every selected check's scanner attached, then
// runs the checks. `inventory_options.on_content` must be empty (the audit uses it).
// Errors: those of InventoryFile, and kInvalidInput for an unknown check id.
Result<Audit> AuditFile(const std::string& path, const AuditOptions& options,
                        inventory::Options inventory_options);
// The same over a buffer (tests, fuzzing); `name` is the image name in provenance.
Result<Audit> AuditBuffer(ByteView data, const std::string& name, const AuditOptions& options,
                          inventory::Options inventory_options);

// Runs the inventory-only checks over `inv` (scanning checks see no content: they find
// nothing). Errors: kInvalidInput for an unknown id in options.only.
Result<AuditReport> RunAudit(const inventory::Inventory& inv, const AuditOptions& options);

// Stable across runs and across re-packing of the same content: the check id, then each
// evidence's path and excerpt (not its provenance or offset), hashed (hex SHA-256).
std::string FindingFingerprint(const Finding& f);

// The report as JSON for tools: {"image", "sha256", "checks_run", "findings": [{"check_id",
// "severity", "message", "fingerprint", "evidence": [{"provenance", "path", "offset",
// "excerpt"}]}], "observations", "pledge", "notes", "suppressed"}.
std::string AuditReportJson(const AuditReport& report);

}  // namespace clearbox::audit
