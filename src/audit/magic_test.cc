// The magic-password heuristic over the sample daemons (tests/images/audit/magic.*.c, built
// once by magic.samples.sh into the build tree) and over broken ELF files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "clearbox/audit/check.h"
#include "magic_disasm.h"

namespace clearbox::audit::internal {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string SamplesDir() {
  static const std::string dir = [] {
    std::string out = std::string(CLEARBOX_BINARY_DIR) + "/test-images/magic-samples";
    std::string cmd = "bash " + std::string(CLEARBOX_SOURCE_DIR) +
                      "/tests/images/audit/magic.samples.sh " + out;
    return std::system(cmd.c_str()) == 0 ? out : std::string();
  }();
  return dir;
}

std::vector<uint8_t> Sample(const std::string& arch, const std::string& name) {
  std::ifstream in(SamplesDir() + "/" + arch + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

ByteView View(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }

TEST(MagicTest, GrantsShellForShellsAndShellListenersOnly) {
  EXPECT_TRUE(GrantsShell("/bin/sh"));
  EXPECT_TRUE(GrantsShell("sh"));
  EXPECT_TRUE(GrantsShell("/bin/sh -i"));
  EXPECT_TRUE(GrantsShell("/usr/sbin/telnetd -l /bin/sh -p 2323"));
  EXPECT_TRUE(GrantsShell("nc -l -p 4444 -e /bin/sh"));
  EXPECT_FALSE(GrantsShell("reboot"));
  EXPECT_FALSE(GrantsShell("/bin/sh /etc/init.d/rcS"));
  EXPECT_FALSE(GrantsShell("/sbin/sysupgrade /tmp/fw.bin"));
  EXPECT_FALSE(GrantsShell("nc 10.0.0.1 80"));
}

TEST(MagicTest, NotElfIsANote) {
  std::vector<uint8_t> junk(100, 0x41);
  MagicScan scan = ScanForMagicPasswords(View(junk));
  EXPECT_THAT(scan.hits, IsEmpty());
  ASSERT_EQ(scan.notes.size(), 1u);
  EXPECT_THAT(scan.notes[0], HasSubstr("not an ELF file"));
}

class MagicSampleTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (SamplesDir().empty()) GTEST_SKIP() << "magic.samples.sh failed (cross compilers?)";
  }
};

TEST_P(MagicSampleTest, ExeclOfAShellAfterStrcmp) {
  MagicScan scan = ScanForMagicPasswords(View(Sample(GetParam(), "shell")));
  ASSERT_EQ(scan.hits.size(), 1u) << GetParam() << " " << ::testing::PrintToString(scan.notes);
  const MagicHit& h = scan.hits[0];
  EXPECT_EQ(h.compare, "strcmp");
  EXPECT_EQ(h.constant, "vndr-maint-5d3a-r00t-access-88");
  EXPECT_EQ(h.guarded, "execl");
  EXPECT_EQ(h.guarded_argument, "/bin/sh");
  EXPECT_EQ(h.function_name, "main");  // serve() is inlined at -O2
  EXPECT_LE(h.function, h.compare_address);
  EXPECT_GT(h.guarded_address, h.compare_address);
  EXPECT_NE(h.compare_offset, 0u);
}

TEST_P(MagicSampleTest, SystemStartingATelnetShell) {
  MagicScan scan = ScanForMagicPasswords(View(Sample(GetParam(), "telnet")));
  ASSERT_EQ(scan.hits.size(), 1u) << GetParam();
  EXPECT_EQ(scan.hits[0].constant, "HELODBG-7f3a9c21-e04b-support");
  EXPECT_EQ(scan.hits[0].guarded, "system");
  EXPECT_EQ(scan.hits[0].guarded_argument, "/usr/sbin/telnetd -l /bin/sh -p 2323");
}

TEST_P(MagicSampleTest, DecoysAreNotFlagged) {
  MagicScan scan = ScanForMagicPasswords(View(Sample(GetParam(), "decoy")));
  EXPECT_THAT(scan.hits, IsEmpty()) << GetParam();
  EXPECT_THAT(scan.notes, IsEmpty()) << GetParam();  // literal pools are not worth a note
}

TEST_P(MagicSampleTest, TruncatedBinaryGivesNoHitAndNoCrash) {
  std::vector<uint8_t> bytes = Sample(GetParam(), "shell");
  for (size_t keep : {size_t{64}, bytes.size() / 3, bytes.size() / 2, bytes.size() - 1}) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + keep);
    (void)ScanForMagicPasswords(View(cut));
  }
}

INSTANTIATE_TEST_SUITE_P(Arch, MagicSampleTest, ::testing::Values("x86-64", "aarch64", "armhf", "mips",
                                                                "mipsel"));

TEST(MagicTest, CheckIsRegistered) {
  const Check* c = FindCheck("CB-MAGIC-001");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->severity, Severity::kCritical);
  EXPECT_TRUE(static_cast<bool>(c->make_scanner));
  EXPECT_FALSE(c->ts33117_clause.empty());
}

}  // namespace
}  // namespace clearbox::audit::internal
