#include "clearbox/diff/diff.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace clearbox::diff {
namespace {

using audit::Observation;
using audit::ObservationKind;
using inventory::FileRecord;

FileRecord File(const std::string& image, const std::string& path, std::string text,
                uint32_t mode = 0644) {
  FileRecord f;
  f.node.path = path;
  f.node.provenance = image + "!squashfs:" + path;
  f.node.mode = mode;
  f.text = std::move(text);
  f.sha256 = std::string(64, '0');
  return f;
}

inventory::Component Component(const std::string& name, const std::string& version,
                               inventory::VersionScheme scheme) {
  inventory::Component c;
  c.name = name;
  c.version = version;
  c.scheme = scheme;
  c.evidence.push_back({"signature:" + name, "fw!squashfs:/bin/" + name, 16, name + " " + version});
  return c;
}

// The old image: root with a password, dropbear, busybox 1.35.0.
audit::Audit OldAudit() {
  audit::Audit a;
  a.inventory.image = "v1.img";
  a.inventory.filesystems.push_back({"v1.img!squashfs", "squashfs", 0, 100});
  a.inventory.files.push_back(File("v1.img", "/etc/passwd", "root:x:0:0::/root:/bin/sh\n"));
  a.inventory.files.push_back(File("v1.img", "/etc/shadow", "root:$6$abc$def:19000:0:99999:7:::\n"));
  a.inventory.files.push_back(File("v1.img", "/bin/su", "", 04755));
  a.inventory.components.push_back(
      Component("busybox", "1.35.0", inventory::VersionScheme::kBusybox));
  a.inventory.components.push_back(
      Component("openssl", "1.0.2k", inventory::VersionScheme::kOpenssl));
  Observation dropbear;
  dropbear.kind = ObservationKind::kService;
  dropbear.name = "dropbear";
  dropbear.protocol = "tcp";
  dropbear.ports = {22};
  dropbear.detail = "started by /etc/init.d/dropbear";
  dropbear.evidence = {"v1.img!squashfs:/etc/init.d/dropbear", "/etc/init.d/dropbear", 10, "dropbear -p 22"};
  a.report.observations.push_back(dropbear);
  audit::Finding weak{"CB-HARD-001", audit::Severity::kLow, "no canary", {{"v1.img!squashfs:/bin/x", "/bin/x", 0, ""}}};
  a.report.findings.push_back(weak);
  return a;
}

TEST(FileKeyTest, DropsImageNameAndContainerOffsets) {
  EXPECT_EQ(FileKey("v1.bin!uimage@0x40!squashfs:/etc/passwd"), "uimage!squashfs:/etc/passwd");
  EXPECT_EQ(FileKey("other.bin!uimage@0x1000!squashfs:/etc/passwd"), "uimage!squashfs:/etc/passwd");
  // An '@0x' inside a file name is part of the name.
  EXPECT_EQ(FileKey("a!tar:/x@0x10"), "tar:/x@0x10");
  EXPECT_EQ(FileKey("BLOB"), "BLOB");
}

TEST(DiffAuditsTest, SameAuditsHaveNoChange) {
  audit::Audit a = OldAudit(), b = OldAudit();
  b.inventory.image = "v2.img";
  for (auto& f : b.inventory.files) f.node.provenance.replace(0, 6, "v2.img");
  ImageDiff d = DiffAudits(a, b);
  EXPECT_EQ(d.ChangeCount(), 0u) << DiffText(d);
  EXPECT_NE(DiffText(d).find("no security-relevant change"), std::string::npos);
  EXPECT_EQ(d.sections.size(), 8u);
}

const Section& Get(const ImageDiff& d, const std::string& name) {
  for (const Section& s : d.sections) {
    if (s.name == name) return s;
  }
  static Section none;
  return none;
}

TEST(DiffAuditsTest, EverySectionSeesItsChange) {
  audit::Audit a = OldAudit(), b = OldAudit();
  b.inventory.files[0].text = "root:x:0:0::/root:/bin/sh\nbackdoor::0:0::/:/bin/sh\n";
  b.inventory.files.push_back(File("v1.img", "/usr/bin/helper", "", 04755));
  b.inventory.components[0].version = "1.36.1";                      // upgraded
  b.inventory.components[1].version = "1.0.1f";                      // downgraded
  Observation telnet = b.report.observations[0];
  telnet.name = "telnetd";
  telnet.ports = {23};
  telnet.detail = "started by /etc/inittab line 3";
  b.report.observations.push_back(telnet);
  Observation key;
  key.kind = ObservationKind::kKey;
  key.name = "SHA256:abc";
  key.detail = "RSA 2048";
  b.report.observations.push_back(key);
  b.report.findings.clear();  // fixed
  b.report.findings.push_back({"CB-SVC-001", audit::Severity::kHigh, "telnetd started",
                               {{"v1.img!squashfs:/etc/inittab", "/etc/inittab", 40, "::respawn:telnetd"}}});

  ImageDiff d = DiffAudits(a, b);
  ASSERT_EQ(Get(d, "accounts").changes.size(), 1u);
  EXPECT_EQ(Get(d, "accounts").changes[0].name, "backdoor");
  EXPECT_EQ(Get(d, "accounts").changes[0].kind, ChangeKind::kAdded);
  EXPECT_NE(Get(d, "accounts").changes[0].after.find("no password"), std::string::npos);
  ASSERT_EQ(Get(d, "services").changes.size(), 1u);
  EXPECT_EQ(Get(d, "services").changes[0].name, "telnetd");
  ASSERT_EQ(Get(d, "keys").changes.size(), 1u);
  ASSERT_EQ(Get(d, "setuid").changes.size(), 1u);
  EXPECT_EQ(Get(d, "setuid").changes[0].name, "squashfs:/usr/bin/helper");
  ASSERT_EQ(Get(d, "components").changes.size(), 2u);
  EXPECT_EQ(Get(d, "components").changes[0].kind, ChangeKind::kUpgraded);    // busybox
  EXPECT_EQ(Get(d, "components").changes[1].kind, ChangeKind::kDowngraded);  // openssl
  ASSERT_EQ(Get(d, "findings").changes.size(), 2u);
  nlohmann::json j = nlohmann::json::parse(DiffJson(d));
  EXPECT_EQ(j["changes"], d.ChangeCount());
  std::set<std::string> kinds;
  for (const auto& c : j["sections"]["findings"]) kinds.insert(c["change"]);
  EXPECT_EQ(kinds, (std::set<std::string>{"new", "fixed"}));
  EXPECT_TRUE(j["sections"]["accounts"][0]["old"].is_null());
}

TEST(DiffAuditsTest, PasswordAndShellChangesAreNamed) {
  audit::Audit a = OldAudit(), b = OldAudit();
  b.inventory.files[0].text = "root:x:0:0::/root:/bin/ash\n";
  b.inventory.files[1].text = "root::19000:0:99999:7:::\n";
  ImageDiff d = DiffAudits(a, b);
  ASSERT_EQ(Get(d, "accounts").changes.size(), 1u);
  const Change& c = Get(d, "accounts").changes[0];
  EXPECT_EQ(c.kind, ChangeKind::kChanged);
  std::string details;
  for (const auto& s : c.details) details += s + "\n";
  EXPECT_NE(details.find("shell: /bin/sh -> /bin/ash"), std::string::npos) << details;
  EXPECT_NE(details.find("-> no password"), std::string::npos) << details;
}

TEST(DiffAuditsTest, ChangedBinaryReportsHardening) {
  audit::Audit a = OldAudit(), b = OldAudit();
  FileRecord elf = File("v1.img", "/bin/x", "", 0755);
  elf.elf.emplace();
  elf.elf->hardening.relro = inventory::Relro::kFull;
  elf.elf->hardening.canary = true;
  a.inventory.files.push_back(elf);
  elf.sha256 = std::string(64, '1');
  elf.elf->hardening.relro = inventory::Relro::kPartial;
  elf.elf->hardening.canary = false;
  b.inventory.files.push_back(elf);
  ImageDiff d = DiffAudits(a, b);
  ASSERT_EQ(Get(d, "binaries").changes.size(), 1u);
  std::string details;
  for (const auto& s : Get(d, "binaries").changes[0].details) details += s + "\n";
  EXPECT_NE(details.find("relro: full -> partial"), std::string::npos) << details;
  EXPECT_NE(details.find("canary: yes -> no"), std::string::npos) << details;
}

}  // namespace
}  // namespace clearbox::diff
