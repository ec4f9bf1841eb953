// Unit tests of each CB-CONF check: a planted case and the decoys beside it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "clearbox/audit/check.h"
#include "test_image.h"

namespace clearbox::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

using ConfigImage = test::TestImage;

std::vector<std::string> Paths(const std::vector<Finding>& fs) {
  std::vector<std::string> out;
  for (const Finding& f : fs) out.push_back(f.evidence.at(0).path);
  return out;
}

TEST(ConfigChecks, WeakTls) {
  ConfigImage img;
  img.File("/etc/ssl/openssl.cnf", "[s]\nMinProtocol = TLSv1\n")
      .File("/etc/ssl/good.cnf", "MinProtocol = TLSv1.2\n# MinProtocol = SSLv3\n")
      .File("/etc/nginx/nginx.conf", "ssl_protocols TLSv1.2 TLSv1.3;\n")
      .File("/etc/nginx/old.conf", "  ssl_protocols SSLv3 TLSv1.2;\n")
      .File("/etc/lighttpd.conf", "ssl.use-sslv3 = \"disable\"\nssl.use-sslv2 = \"enable\"\n")
      .File("/etc/apache.conf", "SSLProtocol all -SSLv3 -TLSv1\n")
      .File("/etc/stunnel.conf", "options = NO_SSLv3\nsslVersionMin = TLSv1.2\n");
  auto f = img.Findings("CB-CONF-001");
  EXPECT_THAT(Paths(f), ElementsAre("/etc/lighttpd.conf", "/etc/nginx/old.conf", "/etc/ssl/openssl.cnf"));
  EXPECT_EQ(f[1].evidence[0].excerpt, "ssl_protocols SSLv3 TLSv1.2;");
}

TEST(ConfigChecks, SnmpWrite) {
  ConfigImage img;
  img.File("/etc/snmp/snmpd.conf",
           "rocommunity public\nrwcommunity private\n#rwcommunity x\nrwuser bob noauth\nrwuser alice priv\n"
           "com2sec w default c0mm\ngroup g v2c w\naccess g \"\" any noauth exact all all none\n"
           "com2sec r default ro\ngroup gr v2c r\naccess gr \"\" any noauth exact all none none\n");
  auto f = img.Findings("CB-CONF-002");
  ASSERT_THAT(f, SizeIs(3));
  EXPECT_EQ(f[0].severity, Severity::kHigh);
  std::string all;
  for (const Finding& x : f) all += x.message + "\n";
  EXPECT_THAT(all, HasSubstr("'private'"));
  EXPECT_THAT(all, HasSubstr("'bob'"));
  EXPECT_THAT(all, HasSubstr("'c0mm'"));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("'ro'")));
}

TEST(ConfigChecks, SnmpWriteUci) {
  ConfigImage img;
  img.File("/etc/config/snmpd",
           "config com2sec\n\toption secname 'rw'\n\toption community 'private'\n"
           "config group\n\toption group 'g'\n\toption secname 'rw'\n"
           "config access\n\toption group 'g'\n\toption write 'all'\n");
  EXPECT_THAT(img.Findings("CB-CONF-002"), SizeIs(1));
}

TEST(ConfigChecks, WeakHashing) {
  ConfigImage img;
  img.File("/etc/login.defs", "#ENCRYPT_METHOD DES\nENCRYPT_METHOD SHA512\nMD5_CRYPT_ENAB yes\n")
      .File("/etc/pam.d/common-password", "password required pam_unix.so md5 shadow\n")
      .File("/etc/pam.d/good", "password required pam_unix.so sha512\nauth required pam_unix.so md5\n")
      .File("/etc/default/passwd", "CRYPT=md5\n");
  EXPECT_THAT(Paths(img.Findings("CB-CONF-003")),
              ElementsAre("/etc/default/passwd", "/etc/pam.d/common-password"));
  ConfigImage old;
  old.File("/etc/login.defs", "MD5_CRYPT_ENAB yes\n");
  EXPECT_THAT(old.Findings("CB-CONF-003"), SizeIs(1));
}

TEST(ConfigChecks, DebugTools) {
  ConfigImage img;
  img.Elf("/usr/bin/strace", false)
      .Link("/sbin/devmem", "../bin/busybox")
      .Link("/usr/bin/gdb", "gdb-multiarch")  // judged where it points
      .File("/usr/share/doc/gdb/README", "gdb", inventory::FileKind::kText)
      .Elf("/usr/lib/debug/strace", false);
  EXPECT_THAT(Paths(img.Findings("CB-CONF-004")), ElementsAre("/sbin/devmem", "/usr/bin/strace"));
}

TEST(ConfigChecks, HardeningOfNetworkDaemons) {
  ConfigImage img;
  img.File("/etc/inittab", "::sysinit:/etc/init.d/rcS\n")
      .File("/etc/init.d/rcS", "#!/bin/sh\n/usr/sbin/uhttpd -p 80 &\n/usr/sbin/lighttpd\n/usr/bin/tool\n",
            inventory::FileKind::kInitScript)
      .Elf("/usr/sbin/uhttpd", false)
      .Elf("/usr/sbin/lighttpd", true)
      .Elf("/usr/bin/tool", false);
  auto f = img.Findings("CB-CONF-005");
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].evidence[0].path, "/usr/sbin/uhttpd");
  EXPECT_THAT(f[0].message, HasSubstr("NX"));
  EXPECT_THAT(f[0].message, HasSubstr("PIE"));
  EXPECT_THAT(f[0].message, HasSubstr("RELRO"));
  EXPECT_THAT(f[0].message, HasSubstr("canary"));
  EXPECT_EQ(f[0].evidence[1].path, "/etc/init.d/rcS");
}

TEST(ConfigChecks, HostileText) {
  ConfigImage img;
  std::string nul("MinProtocol = TLSv1\0garbage\n", 28);
  img.File("/etc/ssl/openssl.cnf", std::string(2 << 20, 'a') + "\n" + nul)
      .File("/etc/snmp/snmpd.conf", std::string(100000, '\n') + "access\ncom2sec\ngroup\n");
  for (const char* id : {"CB-CONF-001", "CB-CONF-002", "CB-CONF-003", "CB-CONF-004", "CB-CONF-005"})
    (void)img.Findings(id);
}

}  // namespace
}  // namespace clearbox::audit
