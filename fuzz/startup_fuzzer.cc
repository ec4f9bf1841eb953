// Fuzzes the start-place parsers (shell scripts, inittab, systemd units, inetd, xinetd,
// crontabs, UCI, hotplug rules) and the service and config checks over them. The first byte
// picks where the rest is put in a small image (an init script, /etc/inittab, a unit, ...),
// so that the walk and the checks see it in each role; every parser also reads it directly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "audit/startup.h"
#include "clearbox/audit/check.h"

using namespace clearbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* kPaths[] = {
      "/etc/init.d/rcS",  "/etc/inittab",          "/lib/systemd/system/x.service",
      "/etc/inetd.conf",  "/etc/xinetd.d/x",       "/etc/crontabs/root",
      "/etc/config/dropbear", "/etc/hotplug2.rules", "/etc/ssh/sshd_config",
      "/etc/snmp/snmpd.conf", "/etc/login.defs",   "/etc/ssl/openssl.cnf"};
  constexpr size_t kCount = sizeof kPaths / sizeof kPaths[0];
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::vector<std::string> problems;
  audit::ShellOptions opts;
  std::string sourced(text);
  opts.read_file = [&](const std::string&) { return &sourced; };
  (void)audit::ParseShellScript(text, opts);
  (void)audit::ParseInittab(text, &problems);
  (void)audit::ParseUnit(text, &problems);
  (void)audit::ParseInetd(text, &problems);
  (void)audit::ParseXinetd(text, &problems);
  (void)audit::ParseCrontab(text, data[0] & 1, &problems);
  (void)audit::ParseUci(text, &problems);
  (void)audit::ParseHotplugRules(text, data[0] & 2, &problems);

  inventory::Inventory inv;
  auto add = [&](const std::string& path, std::string_view content, inventory::FileKind kind) {
    inventory::FileRecord f;
    f.node.path = path;
    f.node.provenance = "fuzz!squashfs:" + path;
    f.node.size = content.size();
    f.kind = kind;
    f.text = std::string(content);
    inv.files.push_back(std::move(f));
  };
  add("/etc/inittab", "::sysinit:/etc/init.d/rcS\n", inventory::FileKind::kConfig);
  add("/etc/passwd", "root:x:0:0::/root:/bin/sh\n", inventory::FileKind::kConfig);
  add("/etc/shadow", "root:$1$a$b:1::::::\n", inventory::FileKind::kConfig);
  std::string path = kPaths[data[0] % kCount];
  if (path != "/etc/inittab") {
    add(path, text, path == "/etc/init.d/rcS" ? inventory::FileKind::kInitScript
                                              : inventory::FileKind::kConfig);
  } else {
    inv.files[0].text = std::string(text);
  }
  add("/etc/init.d/S50x", text, inventory::FileKind::kInitScript);
  add("/etc/rc.local", "for i in /etc/init.d/S*; do $i start; done\n", inventory::FileKind::kInitScript);
  audit::AuditOptions options;
  for (const auto& c : audit::AllChecks()) {
    if (c.id.starts_with("CB-SVC") || c.id.starts_with("CB-CONF")) options.only.push_back(c.id);
  }
  auto report = audit::RunAudit(inv, options);
  if (report.ok()) (void)audit::AuditReportJson(*report);
  return 0;
}
