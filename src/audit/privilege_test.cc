// Unit tests of the CB-PRIV checks over an inventory (modes, owners, types), with the
// decoys each must not flag. The checks that read bytes (applets, vermagic) are covered by
// tests/images/audit/privilege.sh.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "clearbox/audit/check.h"
#include "test_image.h"

namespace clearbox::audit {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

using test::Node;

std::vector<Finding> RunOnly(std::vector<inventory::FileRecord> files, std::string id) {
  return test::FindingsOf(std::move(files), std::move(id));
}

TEST(PrivilegeChecks, UnusualSetuidButNotTheNormalList) {
  auto f = RunOnly({Node("/usr/sbin/diagd", 04755), Node("/usr/bin/passwd", 04755),
                    Node("/bin/ping", 04755), Node("/usr/bin/lock", 02644),
                    Node("/usr/bin/plain", 0755), Node("/bin/sh", 04755)},
                   "CB-PRIV-001");
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].evidence[0].path, "/usr/sbin/diagd");
  EXPECT_THAT(f[0].evidence[0].excerpt, HasSubstr("mode 4755"));
}

TEST(PrivilegeChecks, SetuidShellsAndInterpretersByName) {
  auto f = RunOnly({Node("/bin/sh", 04755), Node("/usr/bin/python3.11", 06755),
                    Node("/bin/bash", 0755), Node("/usr/bin/passwd", 04755)},
                   "CB-PRIV-002");
  ASSERT_THAT(f, SizeIs(2));
  for (const Finding& x : f) EXPECT_EQ(x.severity, Severity::kCritical);
}

TEST(PrivilegeChecks, WorldWritableInSystemPathsOnly) {
  auto f = RunOnly({Node("/usr/bin/update", 0777), Node("/etc", 0777, unpack::NodeType::kDirectory),
                    Node("/var/tmp", 01777, unpack::NodeType::kDirectory),
                    Node("/usr/tmp", 01777, unpack::NodeType::kDirectory),
                    Node("/usr/bin/link", 0777, unpack::NodeType::kSymlink),
                    Node("/tmp/x", 0666), Node("/usrlocal/x", 0666), Node("/etc/ok", 0644)},
                   "CB-PRIV-003");
  ASSERT_THAT(f, SizeIs(2));
  EXPECT_EQ(f[0].evidence[0].path, "/etc");
  EXPECT_EQ(f[1].evidence[0].path, "/usr/bin/update");
}

TEST(PrivilegeChecks, ModulesOutsideTheTree) {
  auto module = [](std::string path) {
    inventory::FileRecord f = Node(path, 0644);
    f.elf.emplace();
    f.elf->type = 1;  // ET_REL
    return f;
  };
  auto f = RunOnly({module("/lib/modules/5.10.0/kernel/a.ko"), module("/tmp/r.ko"),
                    module("/lib/modules/b.ko"), Node("/lib/modules/5.10.0/c.ko", 0644)},
                   "CB-PRIV-004");
  ASSERT_THAT(f, SizeIs(2));
  EXPECT_EQ(f[0].evidence[0].path, "/lib/modules/b.ko");
  EXPECT_EQ(f[1].evidence[0].path, "/tmp/r.ko");
}

}  // namespace
}  // namespace clearbox::audit
