// Fuzzes the /etc/passwd, /etc/shadow and /etc/group parsers and the account checks over
// them: the input is split at the first two "\n===\n" lines into passwd, shadow and group
// (a missing part is an absent file). The default-password check is left out: its cost is
// libcrypt's hashing (bounded by a time budget), not parsing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "clearbox/audit/accounts.h"
#include "clearbox/audit/check.h"

using namespace clearbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view parts[3];
  size_t n = 0;
  while (n < 2) {
    size_t sep = input.find("\n===\n");
    if (sep == std::string_view::npos) break;
    parts[n++] = input.substr(0, sep + 1);
    input.remove_prefix(sep + 5);
  }
  parts[n++] = input;

  for (const auto& e : audit::ParsePasswd(parts[0]).entries) {
    (void)audit::RedactLine(e.line, 1);
    (void)audit::IsLockedPassword(e.password);
  }
  for (const auto& e : audit::ParseShadow(parts[0]).entries) (void)audit::RedactLine(e.line, 1);
  (void)audit::ParseGroup(parts[0]);

  inventory::Inventory inv;
  const char* paths[3] = {"/etc/passwd", "/etc/shadow", "/etc/group"};
  for (size_t i = 0; i < n; ++i) {
    inventory::FileRecord f;
    f.node.path = paths[i];
    f.node.provenance = std::string("fuzz!squashfs:") + paths[i];
    f.node.size = parts[i].size();
    f.kind = inventory::FileKind::kConfig;
    f.text = std::string(parts[i]);
    inv.files.push_back(std::move(f));
  }
  audit::AuditOptions options;
  for (const auto& c : audit::AllChecks()) {
    if (c.id != "CB-ACCT-004") options.only.push_back(c.id);
  }
  auto report = audit::RunAudit(inv, options);
  if (report.ok()) (void)audit::AuditReportJson(*report);
  return 0;
}
