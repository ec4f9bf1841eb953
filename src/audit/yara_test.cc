// Unit tests of CB-YARA-001: the shipped rules (each documented, each firing on its pattern
// and not on a near miss), user rule directories (a broken file is a note, the rest runs),
// evidence (offset, excerpt), windows that overlap, containers and threads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "clearbox/audit/check.h"

namespace clearbox::embedded {
extern const char kBackdoorRulesYar[];
extern const std::size_t kBackdoorRulesYar_size;
}  // namespace clearbox::embedded

namespace clearbox::audit {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

struct ScanResult {
  std::vector<Finding> findings;
  std::vector<AuditNote> notes;
};

inventory::FileRecord Record(const std::string& path, const std::string& fs = "fw!squashfs:") {
  inventory::FileRecord f;
  f.node.path = path;
  f.node.provenance = fs + path;
  f.node.type = unpack::NodeType::kFile;
  return f;
}

std::unique_ptr<ContentScanner> MakeScanner(const AuditOptions& options) {
  const Check* check = FindCheck("CB-YARA-001");
  EXPECT_NE(check, nullptr);
  return check->make_scanner(options);
}

ScanResult Finish(ContentScanner& scanner, const AuditOptions& options) {
  inventory::Inventory inv;
  AuditReport report;
  AuditContext ctx(inv, options, report);
  ScanResult out;
  scanner.Finish(ctx, out.findings);
  out.notes = report.notes;
  return out;
}

// Scans each (path, content) once, whole.
ScanResult Scan(const std::vector<std::pair<std::string, std::string>>& files,
                const AuditOptions& options = {}) {
  auto scanner = MakeScanner(options);
  for (const auto& [path, content] : files) scanner->OnContent(Record(path), 0, AsBytes(content));
  return Finish(*scanner, options);
}

std::string Binary(std::string_view s) {
  std::string out("\x7f" "ELF\x01\x01\x01\0\0\0", 10);
  out += std::string(40, '\0');
  out += s;
  out.push_back('\0');
  out += std::string(16, '\xff');
  return out;
}

TEST(YaraRules, ShippedRulesCompileAndEachCitesItsAdvisory) {
  std::string text(embedded::kBackdoorRulesYar, embedded::kBackdoorRulesYar_size);
  std::regex rule_re(R"(\nrule (\w+)\n\{([\s\S]*?)\n\})");
  size_t rules = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), rule_re);
       it != std::sregex_iterator(); ++it) {
    ++rules;
    std::string name = (*it)[1], body = (*it)[2];
    for (const char* key : {"description", "advisory", "reference", "category", "severity",
                            "ts33117"}) {
      EXPECT_THAT(body, HasSubstr(std::string(key) + " = \"")) << name << " lacks " << key;
    }
    std::smatch sev;
    ASSERT_TRUE(std::regex_search(body, sev, std::regex(R"(severity = "(\w+)\")"))) << name;
    EXPECT_TRUE(ParseSeverity(sev[1].str()).has_value()) << name;
  }
  EXPECT_GE(rules, 12u);
  ScanResult r = Scan({{"/bin/true", Binary("nothing to see")}});
  EXPECT_THAT(r.notes, IsEmpty());
  EXPECT_THAT(r.findings, IsEmpty());
}

// One planted form per shipped rule: each must fire once, with the rule's name.
TEST(YaraRules, EveryShippedRuleFiresOnItsPattern) {
  const std::vector<std::pair<std::string, std::string>> planted = {
      {"dlink_thttpd_user_agent_auth_bypass", Binary("xmlset_roodkcableoj28840ybtide")},
      {"sercomm_scmm_tcp32764_backdoor", Binary(std::string("ScMM\0scfgmgr", 12))},
      {"sercomm_ft_tool_backdoor_reactivation", Binary("scfgmgr -f &")},
      {"tenda_w302r_mfg_udp7329_backdoor", Binary("w302r_mfg")},
      {"netcore_igdmptd_udp53413_backdoor", Binary("IGD MPT Interface daemon 1.0")},
      {"juniper_screenos_auth_backdoor_password", Binary("<<< %s(un='%s') = %u")},
      {"hikvision_magic_auth_parameter", "if [ \"$QUERY\" = auth=YWRtaW46MTEK ]; then"},
      {"tplink_nat_debug_tftp_backdoor", Binary("/userRpmNatDebugRpm26525557/start_art.html")},
      {"zte_web_shell_cmd_gch", "<a href=\"/web_shell_cmd.gch\">"},
      {"netgear_telnetenable_magic_packet", Binary("AMBIT_TELNET_ENABLE+")},
      {"xiongmai_port9530_telnet_enabler", Binary("OpenTelnet:OpenOnce")},
      {"tenda_goform_telnet_enabler", Binary("/goform/telnet")},
      {"zyxel_zyfwp_hardcoded_account", "root:x:0:0::/root:/bin/sh\nzyfwp:$1$abc$def:0:0:::\n"},
      {"fortios_fortimanager_access_account", Binary("FGTAbc11*xy+Qqz27")},
      {"zte_airocon_admin_password", Binary("%02X%02Xairocon")},
  };
  for (const auto& [rule, content] : planted) {
    ScanResult r = Scan({{"/usr/sbin/planted", content}});
    ASSERT_THAT(r.findings, SizeIs(1)) << rule;
    EXPECT_THAT(r.findings[0].message, HasSubstr("YARA rule " + rule + " ")) << rule;
    EXPECT_EQ(r.findings[0].check_id, "CB-YARA-001");
  }
}

TEST(YaraRules, NearMissesAreNotFindings) {
  ScanResult r = Scan({
      {"/a", Binary("xmlset_roodkcableoj28840ybtidX")},  // one letter off
      {"/b", Binary("ScMM and MMcS without the program")},
      {"/c", Binary("w302r-mfg")},
      {"/d", Binary("igdmptd alone")},
      {"/e", "zyfwp is mentioned in a changelog: not an account line\n"},
      {"/f", Binary("<<< %s(un='%s')")},
      {"/g", Binary("YWRtaW46MTIK")},  // admin:12
      {"/h", Binary("OpenTelnet: a word, no challenge")},
      {"/i", Binary("userRpmNatDebugRpm")},
  });
  EXPECT_THAT(r.findings, IsEmpty());
}

TEST(YaraScan, EvidenceHasOffsetExcerptAndAdvisory) {
  std::string cgi = "#!/bin/sh\n# web front\n  UA=\"xmlset_roodkcableoj28840ybtide\"\nexit 0\n";
  ScanResult r = Scan({{"/www/cgi-bin/login.cgi", cgi}});
  ASSERT_THAT(r.findings, SizeIs(1));
  const Finding& f = r.findings[0];
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_THAT(f.message, HasSubstr("CVE-2013-6026"));
  EXPECT_THAT(f.message, HasSubstr("TS 33.117 4.2.3.4.1.1"));
  EXPECT_THAT(f.message, HasSubstr("$user_agent \"xmlset_roodkcableoj28840ybtide\""));
  ASSERT_THAT(f.evidence, SizeIs(1));
  EXPECT_EQ(f.evidence[0].path, "/www/cgi-bin/login.cgi");
  EXPECT_EQ(f.evidence[0].provenance, "fw!squashfs:/www/cgi-bin/login.cgi");
  EXPECT_EQ(f.evidence[0].offset, cgi.find("xmlset"));
  EXPECT_EQ(f.evidence[0].excerpt, "UA=\"xmlset_roodkcableoj28840ybtide\"");
}

TEST(YaraScan, BinaryExcerptIsPrintable) {
  std::string bin = Binary(std::string("\x01\x02\x03\x04\x05w302r_mfg\0\xfe\xfe", 16));
  ScanResult r = Scan({{"/bin/httpd", bin}});
  ASSERT_THAT(r.findings, SizeIs(1));
  for (char c : r.findings[0].evidence[0].excerpt) EXPECT_TRUE(c >= 0x20 && c < 0x7f);
  EXPECT_THAT(r.findings[0].evidence[0].excerpt, HasSubstr("w302r_mfg"));
}

TEST(YaraScan, OverlappingWindowsReportAMatchOnce) {
  std::string content(300, 'a');
  content.replace(180, 9, "w302r_mfg");
  auto scanner = MakeScanner({});
  auto file = Record("/big");
  ByteView all = AsBytes(content);
  scanner->OnContent(file, 0, all.subspan(0, 200));
  scanner->OnContent(file, 100, all.subspan(100, 200));
  ScanResult r = Finish(*scanner, {});
  ASSERT_THAT(r.findings, SizeIs(1));
  ASSERT_THAT(r.findings[0].evidence, SizeIs(1));
  EXPECT_EQ(r.findings[0].evidence[0].offset, 180u);
  EXPECT_THAT(r.findings[0].message, Not(HasSubstr("more match")));
}

TEST(YaraScan, ContainerDefersToTheFileInside) {
  auto scanner = MakeScanner({});
  std::string payload = Binary("AMBIT_TELNET_ENABLE+");
  scanner->OnContent(Record("/fw.tar"), 0, AsBytes("header" + payload));
  scanner->OnContent(Record("/usr/sbin/telnetenabled", "fw!squashfs:/fw.tar!tar:"), 0,
                     AsBytes(payload));
  ScanResult r = Finish(*scanner, {});
  ASSERT_THAT(r.findings, SizeIs(1));
  EXPECT_EQ(r.findings[0].evidence[0].provenance, "fw!squashfs:/fw.tar!tar:/usr/sbin/telnetenabled");
}

TEST(YaraScan, ManyThreadsOneScanner) {
  auto scanner = MakeScanner({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
        scanner->OnContent(Record(path), 0, AsBytes(Binary(i % 10 == 0 ? "w302r_mfg" : "x")));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_THAT(Finish(*scanner, {}).findings, SizeIs(20));
}

class UserRules : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("clearbox-yara-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(UserRules, BrokenFileIsANoteAndTheRestRuns) {
  Write("a_broken.yar", "rule broken {\n  strings: $a = \"x\"\n  condition: $b\n}\n");
  Write("b_good.yara",
        "rule vendor_debug { meta: severity = \"medium\" description = \"debug shell\" "
        "strings: $s = \"VENDOR_DEBUG_SHELL\" condition: $s }\n");
  Write("c_ignored.txt", "rule not_read { condition: true }\n");
  AuditOptions options;
  options.rule_dirs = {dir_.string()};
  ScanResult r = Scan({{"/bin/x", Binary("VENDOR_DEBUG_SHELL")}, {"/bin/y", Binary("w302r_mfg")}},
                      options);
  ASSERT_THAT(r.notes, SizeIs(1));
  EXPECT_EQ(r.notes[0].where, (dir_ / "a_broken.yar").string());
  EXPECT_THAT(r.notes[0].message, HasSubstr("line 4"));  // libyara names the rule's last line for a condition
  EXPECT_THAT(r.notes[0].message, HasSubstr("$b"));
  ASSERT_THAT(r.findings, SizeIs(2));  // the user's rule and a shipped one
  bool user = false;
  for (const Finding& f : r.findings) {
    if (f.message.find("vendor_debug") == std::string::npos) continue;
    user = true;
    EXPECT_EQ(f.severity, Severity::kMedium);
    EXPECT_THAT(f.message, HasSubstr("b_good.yara"));
    EXPECT_THAT(f.message, HasSubstr("debug shell"));
  }
  EXPECT_TRUE(user);
}

TEST_F(UserRules, SameRuleNameInTwoFilesAndDefaultSeverity) {
  Write("one.yar", "rule dup { strings: $s = \"PATTERN_ONE\" condition: $s }\n");
  Write("two.yar", "rule dup { strings: $s = \"PATTERN_TWO\" condition: $s }\n");
  AuditOptions options;
  options.rule_dirs = {dir_.string()};
  ScanResult r = Scan({{"/x", "PATTERN_ONE PATTERN_TWO"}}, options);
  EXPECT_THAT(r.notes, IsEmpty());
  ASSERT_THAT(r.findings, SizeIs(2));
  EXPECT_EQ(r.findings[0].severity, Severity::kHigh);
}

TEST_F(UserRules, MissingOrEmptyDirectoryIsANote) {
  AuditOptions options;
  options.rule_dirs = {(dir_ / "absent").string(), dir_.string()};
  ScanResult r = Scan({{"/x", "w302r_mfg"}}, options);
  ASSERT_THAT(r.notes, SizeIs(2));
  EXPECT_THAT(r.notes[0].message, HasSubstr("cannot read the rule directory"));
  EXPECT_THAT(r.notes[1].message, HasSubstr("no *.yar"));
  EXPECT_THAT(r.findings, SizeIs(1));  // the shipped rules still run
}

TEST(YaraRegistry, OneCheckWithAScanner) {
  const Check* c = FindCheck("CB-YARA-001");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->make_scanner);
  EXPECT_FALSE(c->run);
  EXPECT_FALSE(c->ts33117_clause.empty());
}

}  // namespace
}  // namespace clearbox::audit
