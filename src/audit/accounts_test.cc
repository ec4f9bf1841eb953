// Unit tests of the account parsers, the crypt comparison and each CB-ACCT check.
#include "clearbox/audit/accounts.h"

#include <crypt.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <random>

#include "clearbox/audit/check.h"

namespace clearbox::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A fresh hash of `password` with a random salt made by libcrypt for `prefix` ("$6$", ...;
// "" for traditional DES, whose salt is two characters).
std::string MakeHash(const std::string& password, const char* prefix, unsigned long cost = 0) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (std::string_view(prefix).empty()) {
    std::random_device rd;
    static constexpr char kSalt[] =
        "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    setting[0] = kSalt[rd() % 64];
    setting[1] = kSalt[rd() % 64];
    setting[2] = '\0';
  } else {
    EXPECT_NE(crypt_gensalt_rn(prefix, cost, nullptr, 0, setting, sizeof setting), nullptr)
        << prefix;
  }
  crypt_data data{};
  const char* out = crypt_rn(password.c_str(), setting, &data, sizeof data);
  EXPECT_NE(out, nullptr);
  EXPECT_NE(out[0], '*') << prefix;
  return out ? out : "";
}

// A password nobody ships: 24 random printable characters.
std::string StrongPassword() {
  std::random_device rd;
  std::string p;
  for (int i = 0; i < 24; ++i) p.push_back(static_cast<char>('!' + rd() % 94));
  return p;
}

// An inventory of one squashfs holding the given /etc files.
inventory::Inventory MakeInventory(std::string_view passwd, std::optional<std::string_view> shadow,
                                   std::optional<std::string_view> group = std::nullopt,
                                   std::string fs = "fw.bin!squashfs:") {
  inventory::Inventory inv;
  inv.image = "fw.bin";
  auto add = [&](const char* path, std::string_view text) {
    inventory::FileRecord f;
    f.node.path = path;
    f.node.provenance = fs + path;
    f.node.type = unpack::NodeType::kFile;
    f.node.size = text.size();
    f.kind = inventory::FileKind::kConfig;
    f.text = std::string(text);
    inv.files.push_back(std::move(f));
  };
  add("/etc/passwd", passwd);
  if (shadow) add("/etc/shadow", *shadow);
  if (group) add("/etc/group", *group);
  return inv;
}

std::vector<Finding> RunCheck(const std::string& id, const inventory::Inventory& inv) {
  AuditOptions options;
  options.only = {id};
  Result<AuditReport> report = RunAudit(inv, options);
  EXPECT_TRUE(report.ok());
  return report.ok() ? report->findings : std::vector<Finding>{};
}

std::vector<std::string> Messages(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.message);
  return out;
}

constexpr char kCleanPasswd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
    "bin:x:2:2:bin:/bin:/usr/sbin/nologin\n"
    "sync:x:4:65534:sync:/bin:/bin/sync\n"
    "admin:x:1000:1000:admin:/home/admin:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
constexpr char kCleanShadow[] =
    "root:!:19675:0:99999:7:::\n"
    "daemon:*:19675:0:99999:7:::\n"
    "bin:*:19675:0:99999:7:::\n"
    "sync:*:19675:0:99999:7:::\n"
    "admin:!!:19675:0:99999:7:::\n"
    "nobody:*:19675:0:99999:7:::\n";
constexpr char kCleanGroup[] = "root:x:0:\ndaemon:x:1:\nadmin:x:1000:\nnogroup:x:65534:\n";

// --- parsers ---------------------------------------------------------------------------------

TEST(ParsePasswd, ReadsFieldsAndOffsets) {
  auto pw = ParsePasswd(kCleanPasswd);
  ASSERT_THAT(pw.entries, SizeIs(6));
  EXPECT_EQ(pw.malformed_lines, 0u);
  EXPECT_EQ(pw.entries[1].name, "daemon");
  EXPECT_EQ(pw.entries[1].uid, 1u);
  EXPECT_EQ(pw.entries[1].shell, "/bin/false");
  EXPECT_EQ(pw.entries[1].offset, std::string_view(kCleanPasswd).find("daemon"));
  EXPECT_EQ(pw.entries[5].uid, 65534u);
}

TEST(ParsePasswd, CommentsBlankNisAndCrLf) {
  auto pw = ParsePasswd(
      "# root:x:0:0::/root:/bin/sh\n\n   \n  #toor:x:0:0::/:/bin/sh\n+::::::\n+@admins\n-bad\n"
      "guest::100:100:guest:/:/bin/sh\r\n");
  ASSERT_THAT(pw.entries, SizeIs(1));
  EXPECT_EQ(pw.entries[0].name, "guest");
  EXPECT_EQ(pw.entries[0].shell, "/bin/sh");  // the \r is not part of the shell
  EXPECT_EQ(pw.malformed_lines, 0u);
}

TEST(ParsePasswd, GarbageLinesAreCountedNotAccounts) {
  auto pw = ParsePasswd(
      "garbage\n"
      "a:x:0:0::/\n"                    // 6 fields
      "a:x:0:0::/:/bin/sh:extra\n"      // 8 fields
      "b:x:abc:0::/:/bin/sh\n"          // uid not a number
      "c:x:4294967296:0::/:/bin/sh\n"   // does not fit uint32
      "d:x:-1:0::/:/bin/sh\n"           // negative
      "e:x::0::/:/bin/sh\n"             // empty uid
      ":x:0:0::/:/bin/sh\n"             // no name
      "ok:x:4294967295:0::/:/bin/sh");  // no final newline, max uid
  ASSERT_THAT(pw.entries, SizeIs(1));
  EXPECT_EQ(pw.entries[0].uid, 4294967295u);
  EXPECT_EQ(pw.malformed_lines, 8u);
  EXPECT_EQ(pw.first_malformed_offset, 0u);
}

TEST(ParsePasswd, EmptyAndHugeInputs) {
  EXPECT_THAT(ParsePasswd("").entries, IsEmpty());
  EXPECT_THAT(ParsePasswd("\n\n\n").entries, IsEmpty());
  std::string huge = "root:x:0:0::/root:/bin/sh\n" + std::string(10 << 20, 'A') +
                     ":x:0:0::/:/bin/sh\nafter:x:0:0::/:/bin/sh\n";
  auto pw = ParsePasswd(huge);
  ASSERT_THAT(pw.entries, SizeIs(2));  // the 10 MB line is skipped, the next one read
  EXPECT_EQ(pw.entries[1].name, "after");
  EXPECT_EQ(pw.malformed_lines, 1u);
  std::string colons(10 << 20, ':');  // ten million fields: bounded split
  EXPECT_THAT(ParsePasswd(colons).entries, IsEmpty());
  std::string nuls("root\0x:0:0::/:/bin/sh\n", 22);
  EXPECT_THAT(ParsePasswd(nuls).entries, IsEmpty());  // "root\0x" then 6 fields
}

TEST(ParseShadow, ShortBusyboxLinesAndFullLines) {
  auto sh = ParseShadow("root:$1$abc$def:19675:0:99999:7:::\nadmin:\nguest::\nonlyname\n");
  ASSERT_THAT(sh.entries, SizeIs(3));
  EXPECT_EQ(sh.entries[0].password, "$1$abc$def");
  EXPECT_EQ(sh.entries[1].password, "");
  EXPECT_EQ(sh.malformed_lines, 1u);
  EXPECT_EQ(ParseShadow("a:b:c:d:e:f:g:h:i:j\n").malformed_lines, 1u);  // 10 fields
}

TEST(ParseGroup, Members) {
  auto g = ParseGroup("root:x:0:root, admin ,,\nwheel:x:10\nbad:x:zz:\n");
  ASSERT_THAT(g.entries, SizeIs(2));
  EXPECT_THAT(g.entries[0].members, ElementsAre("root", "admin"));
  EXPECT_THAT(g.entries[1].members, IsEmpty());
  EXPECT_EQ(g.malformed_lines, 1u);
}

TEST(RedactLine, ShortensHashesOnly) {
  EXPECT_EQ(RedactLine("root:$6$saltsalt$abcdefghijklmnop:19675::::::", 1),
            "root:$6$saltsalt$\u2026:19675::::::");
  EXPECT_EQ(RedactLine("root:!:19675::::::", 1), "root:!:19675::::::");
  EXPECT_EQ(RedactLine("root:x:0:0:root:/root:/bin/sh", 1), "root:x:0:0:root:/root:/bin/sh");
  std::string longline = "u:x:0:0:" + std::string(1000, 'g') + ":/:/bin/sh";
  EXPECT_LE(RedactLine(longline, 1).size(), 244u);
}

TEST(IsLockedPassword, Forms) {
  for (const char* locked : {"*", "!", "!!", "!$6$abc$def", "*LK*", "x"}) {
    EXPECT_TRUE(IsLockedPassword(locked)) << locked;
  }
  EXPECT_FALSE(IsLockedPassword(""));
  EXPECT_FALSE(IsLockedPassword("$1$abc$def"));
}

// --- crypt -----------------------------------------------------------------------------------

struct Scheme {
  const char* name;
  const char* prefix;
  unsigned long cost;
};

TEST(CryptMatches, EverySchemeFindsTheDefaultAndNotAStrongPassword) {
  const Scheme schemes[] = {{"DES", "", 0},        {"MD5", "$1$", 0},     {"SHA-256", "$5$", 0},
                            {"SHA-512", "$6$", 0}, {"bcrypt", "$2b$", 5}, {"yescrypt", "$y$", 0}};
  for (const Scheme& s : schemes) {
    std::string weak = MakeHash("admin", s.prefix, s.cost);
    std::string strong = MakeHash(StrongPassword(), s.prefix, s.cost);
    EXPECT_TRUE(CryptMatches("admin", weak)) << s.name << " " << weak;
    EXPECT_FALSE(CryptMatches("admin1", weak)) << s.name;
    EXPECT_EQ(CrackWithList(weak, DefaultPasswords(), 30), "admin") << s.name;
    EXPECT_EQ(CrackWithList(strong, DefaultPasswords(), 30), "") << s.name;
  }
}

TEST(CryptMatches, RejectsWhatIsNotAHash) {
  for (std::string_view bad : std::vector<std::string_view>{"", "*", "!", "x", "$9$nonsense", "$1$",
                                                            std::string_view("ab\0cd", 5),
                                                            "$2b$99$abcdefghijklmnopqrstuu"}) {
    EXPECT_FALSE(CryptMatches("admin", bad)) << bad;
  }
  EXPECT_FALSE(CryptMatches("admin", std::string(1000, 'a')));
}

TEST(AffordableHash, CostlyParametersAreNotTried) {
  EXPECT_TRUE(AffordableHash(MakeHash("admin", "$2b$", 10)));
  EXPECT_TRUE(AffordableHash(MakeHash("admin", "$y$", 0)));
  EXPECT_TRUE(AffordableHash(MakeHash("admin", "$7$", 0)));
  EXPECT_TRUE(AffordableHash(MakeHash("admin", "$6$", 0)));
  EXPECT_TRUE(AffordableHash("$6$rounds=10000$salt$hash"));
  EXPECT_TRUE(AffordableHash("abJnggxhB/yWI"));  // DES
  EXPECT_FALSE(AffordableHash("$2b$31$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"));
  EXPECT_FALSE(AffordableHash("$2b$"));
  EXPECT_FALSE(AffordableHash("$6$rounds=999999999$salt$hash"));
  EXPECT_FALSE(AffordableHash("$y$jzT$salt$hash"));  // N = 2^63
  EXPECT_FALSE(AffordableHash("$y$j9T.....$salt$hash"));
  EXPECT_FALSE(AffordableHash("$7$zU..../....salt$hash"));
  EXPECT_FALSE(AffordableHash("_zzzzsalt"));
  // Given up at once, not hashed for minutes.
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(CrackWithList("$2b$31$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
                          DefaultPasswords(), 1000),
            "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(DefaultPasswords, TheShippedList) {
  const auto& list = DefaultPasswords();
  EXPECT_GE(list.size(), 60u);
  for (const char* p : {"admin", "root", "password", "1234", "ubnt", "vizxv", "xc3511",
                        "7ujMko0admin", "realtek", "54321", "888888"}) {
    EXPECT_NE(std::find(list.begin(), list.end(), p), list.end()) << p;
  }
  for (const auto& p : list) EXPECT_FALSE(p.empty() || p[0] == '#') << p;
}

// --- checks ----------------------------------------------------------------------------------

TEST(Checks, CleanSystemHasNoFinding) {
  auto inv = MakeInventory(kCleanPasswd, kCleanShadow, kCleanGroup);
  auto report = RunAudit(inv, {});
  ASSERT_TRUE(report.ok());
  EXPECT_THAT(report->findings, IsEmpty());
  EXPECT_THAT(report->checks_run, SizeIs(AllChecks().size()));
}

TEST(Checks, NoAccountFilesNoFinding) {
  inventory::Inventory inv;
  auto report = RunAudit(inv, {});
  ASSERT_TRUE(report.ok());
  EXPECT_THAT(report->findings, IsEmpty());
}

TEST(Checks, UnknownIdIsAnError) {
  AuditOptions options;
  options.only = {"CB-NOPE-001"};
  EXPECT_FALSE(RunAudit(inventory::Inventory{}, options).ok());
}

TEST(SecondUidZero, FlagsEveryExtraSuperuser) {
  auto inv = MakeInventory(
      std::string(kCleanPasswd) + "toor:x:0:0::/root:/bin/sh\n#admin2:x:0:0::/:/bin/sh\n",
      std::string(kCleanShadow) + "toor:*:1::::::\n");
  auto f = RunCheck("CB-ACCT-001", inv);
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].severity, Severity::kHigh);
  EXPECT_THAT(f[0].message, HasSubstr("'toor'"));
  ASSERT_THAT(f[0].evidence, SizeIs(1));
  EXPECT_EQ(f[0].evidence[0].provenance, "fw.bin!squashfs:/etc/passwd");
  EXPECT_EQ(f[0].evidence[0].path, "/etc/passwd");
  EXPECT_EQ(f[0].evidence[0].offset, std::string_view(kCleanPasswd).size());
  EXPECT_EQ(f[0].evidence[0].excerpt, "toor:x:0:0::/root:/bin/sh");
  // Root not first, and not named root: the first UID-0 account is the expected one.
  EXPECT_THAT(RunCheck("CB-ACCT-001", MakeInventory("admin:x:0:0::/:/bin/sh\n", std::nullopt)),
              IsEmpty());
  EXPECT_THAT(
      RunCheck("CB-ACCT-001",
               MakeInventory("admin:x:0:0::/:/bin/sh\nroot:x:0:0::/:/bin/sh\n", std::nullopt)),
      SizeIs(1));
}

TEST(GidZero, ExtraGroupsMembersAndPrimaryGroups) {
  auto inv = MakeInventory(std::string(kCleanPasswd) + "operator:x:11:0::/:/sbin/nologin\n",
                           std::string(kCleanShadow) + "operator:*:1::::::\n",
                           "root:x:0:root,admin\nwheel:x:0:\ndaemon:x:1:\n");
  EXPECT_THAT(Messages(RunCheck("CB-ACCT-002", inv)),
              ElementsAre("account 'admin' is a member of GID-0 group 'root'",
                          "group 'wheel' has GID 0: a second superuser group besides 'root'",
                          "account 'operator' (UID 11) has GID 0 as its primary group"));
  EXPECT_THAT(RunCheck("CB-ACCT-002", MakeInventory(kCleanPasswd, kCleanShadow, "root:x:0:root\n")),
              IsEmpty());
}

TEST(EmptyPassword, InShadowOrInPasswd) {
  auto inv = MakeInventory(
      "root:x:0:0::/root:/bin/sh\nguest::1001:1001::/:/bin/sh\nftp:x:1002:1002::/:/bin/false\n"
      "locked:x:1003:1003::/:/bin/sh\n",
      "root::19675:0:99999:7:::\nftp:*:1::::::\nlocked:!:1::::::\nguest:$1$x$y:1::::::\n");
  auto f = RunCheck("CB-ACCT-003", inv);
  ASSERT_THAT(f, SizeIs(2));
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_THAT(Messages(f), ElementsAre(HasSubstr("'guest'"), HasSubstr("'root'")));
  // Without a shadow file: only the passwd field counts.
  EXPECT_THAT(RunCheck("CB-ACCT-003", MakeInventory("root:x:0:0::/:/bin/sh\n", std::nullopt)),
              IsEmpty());
  EXPECT_THAT(RunCheck("CB-ACCT-003", MakeInventory("root::0:0::/:/bin/sh\n", std::nullopt)),
              SizeIs(1));
  // A shadow line for a name not in passwd is no account.
  EXPECT_THAT(RunCheck("CB-ACCT-003",
                       MakeInventory(kCleanPasswd, std::string(kCleanShadow) + "ghost::1:::::\n")),
              IsEmpty());
}

TEST(DefaultPassword, CracksShadowAndPasswdHashesOfEveryScheme) {
  std::string passwd = "root:x:0:0::/root:/bin/sh\n";
  std::string shadow;
  const Scheme schemes[] = {{"des", "", 0},       {"md5", "$1$", 0},     {"sha256", "$5$", 0},
                            {"sha512", "$6$", 0}, {"bcrypt", "$2b$", 4}, {"yescrypt", "$y$", 0}};
  uint32_t uid = 1000;
  for (const Scheme& s : schemes) {
    passwd += fmt::format("{}:x:{}:{}::/:/bin/sh\n", s.name, uid, uid);
    shadow += fmt::format("{}:{}:19675:0:99999:7:::\n", s.name, MakeHash("ubnt", s.prefix, s.cost));
    ++uid;
    passwd += fmt::format("strong-{}:x:{}:{}::/:/bin/sh\n", s.name, uid, uid);
    shadow += fmt::format("strong-{}:{}:19675:0:99999:7:::\n", s.name,
                          MakeHash(StrongPassword(), s.prefix, s.cost));
    ++uid;
  }
  // A hash left in passwd, a locked copy of a weak hash, and a weak hash for a commented line.
  passwd += "support:" + MakeHash("support", "$1$") + ":2000:2000::/:/bin/sh\n";
  passwd += "locked:x:2001:2001::/:/bin/sh\n";
  shadow += "locked:!" + MakeHash("admin", "$6$") + ":1::::::\n";
  passwd += "#old:x:2002:2002::/:/bin/sh\n";
  shadow += "old:" + MakeHash("admin", "$1$") + ":1::::::\n";
  shadow += "root:*:1::::::\n";
  auto f = RunCheck("CB-ACCT-004", MakeInventory(passwd, shadow));
  std::vector<std::string> names;
  for (const auto& finding : f) {
    EXPECT_EQ(finding.severity, Severity::kCritical);
    names.push_back(finding.message.substr(0, finding.message.find(" (UID")));
  }
  std::sort(names.begin(), names.end());
  EXPECT_THAT(names,
              ElementsAre("account 'bcrypt'", "account 'des'", "account 'md5'", "account 'sha256'",
                          "account 'sha512'", "account 'support'", "account 'yescrypt'"));
  for (const auto& finding : f) {
    EXPECT_THAT(finding.message, HasSubstr(finding.message.find("support") != std::string::npos
                                               ? "'support'"
                                               : "password 'ubnt'"));
    ASSERT_FALSE(finding.evidence.empty());
    // The hash is never shown whole.
    EXPECT_THAT(finding.evidence[0].excerpt, HasSubstr("\u2026"));
  }
}

TEST(HashInPasswd, FlagsHashesNotPlaceholders) {
  auto inv = MakeInventory(
      "root:$1$abcdefgh$0123456789abcdefghijkl:0:0::/root:/bin/sh\n"
      "daemon:*:1:1::/:/bin/false\nlocked:!$1$abc$def:2:2::/:/bin/false\nadmin:x:1000:1000::/:/bin/"
      "sh\n",
      std::nullopt);
  auto f = RunCheck("CB-ACCT-005", inv);
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_THAT(f[0].message, HasSubstr("'root'"));
  EXPECT_EQ(f[0].evidence[0].excerpt, "root:$1$abcdefgh$\u2026:0:0::/root:/bin/sh");
  EXPECT_THAT(RunCheck("CB-ACCT-005", MakeInventory(kCleanPasswd, kCleanShadow)), IsEmpty());
}

TEST(SystemAccountShell, ShellsBelowUid1000) {
  auto inv = MakeInventory(
      "root:x:0:0::/root:/bin/sh\n"
      "daemon:x:1:1::/:/bin/sh\n"
      "ftp:x:21:21::/:\n"
      "halt:x:7:0::/:/sbin/halt\n"
      "www:x:33:33::/:/usr/sbin/nologin\n"
      "user:x:1000:1000::/:/bin/bash\n"
      "nobody:x:65534:65534::/:/bin/sh\n",
      std::nullopt);
  EXPECT_THAT(
      Messages(RunCheck("CB-ACCT-006", inv)),
      ElementsAre("system account 'daemon' (UID 1) has the login shell /bin/sh",
                  "system account 'ftp' (UID 21) has the login shell /bin/sh (empty field)"));
  EXPECT_THAT(RunCheck("CB-ACCT-006", MakeInventory(kCleanPasswd, kCleanShadow)), IsEmpty());
}

TEST(NoShadowEntry, OnlyWhenAShadowFileExists) {
  std::string passwd = std::string(kCleanPasswd) + "tech:x:1001:1001::/:/bin/sh\n";
  auto f = RunCheck("CB-ACCT-007", MakeInventory(passwd, kCleanShadow));
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_THAT(f[0].message, HasSubstr("'tech'"));
  EXPECT_THAT(RunCheck("CB-ACCT-007", MakeInventory(passwd, std::nullopt)), IsEmpty());
  // An empty shadow file is a shadow file.
  EXPECT_THAT(RunCheck("CB-ACCT-007", MakeInventory("a:x:1:1::/:/bin/false\n", "")), SizeIs(1));
  // Locked in passwd itself: nothing to look up.
  EXPECT_THAT(RunCheck("CB-ACCT-007", MakeInventory("a:*:1:1::/:/bin/false\n", "")), IsEmpty());
}

TEST(AccountSets, EachFilesystemOnItsOwn) {
  auto inv = MakeInventory("root:x:0:0::/:/bin/sh\n", "root:*:1::::::\n", std::nullopt,
                           "fw.bin!squashfs@0x100:");
  auto second = MakeInventory("root:x:0:0::/:/bin/sh\ntech:x:0:0::/:/bin/sh\n", std::nullopt,
                              std::nullopt, "fw.bin!jffs2@0x900000:");
  for (auto& f : second.files) inv.files.push_back(f);
  auto f = RunCheck("CB-ACCT-001", inv);
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].evidence[0].provenance, "fw.bin!jffs2@0x900000:/etc/passwd");
  // tech would have no shadow entry only if its filesystem had a shadow file; it has none.
  EXPECT_THAT(RunCheck("CB-ACCT-007", inv), IsEmpty());
}

TEST(RunAudit, SortedWorstFirstAndJson) {
  auto inv = MakeInventory("root::0:0::/:/bin/sh\ntoor:x:0:0::/:/bin/sh\ndaemon:x:1:1::/:/bin/sh\n",
                           std::nullopt);
  auto report = RunAudit(inv, {});
  ASSERT_TRUE(report.ok());
  ASSERT_THAT(report->findings, SizeIs(3));
  EXPECT_EQ(report->findings[0].check_id, "CB-ACCT-003");
  EXPECT_EQ(report->findings[1].check_id, "CB-ACCT-001");
  EXPECT_EQ(report->findings[2].check_id, "CB-ACCT-006");
  auto doc = nlohmann::json::parse(AuditReportJson(*report));
  EXPECT_EQ(doc["findings"].size(), 3u);
  EXPECT_EQ(doc["findings"][0]["severity"], "critical");
  EXPECT_EQ(doc["findings"][0]["evidence"][0]["path"], "/etc/passwd");
}

TEST(Registry, EveryCheckDocumented) {
  for (const Check& c : AllChecks()) {
    EXPECT_THAT(c.id, ::testing::StartsWith("CB-"));
    EXPECT_FALSE(c.title.empty() || c.rationale.empty() || c.remediation.empty()) << c.id;
    // Pledge checks are reported by ApplyPledge; every other check reads the inventory
    // (`run`), the content of files as they stream by (`make_scanner`), or both.
    const bool pledge = c.id.rfind("CB-PLEDGE-", 0) == 0;
    EXPECT_NE(pledge, c.run || c.make_scanner) << c.id;
    EXPECT_FALSE(c.ts33117_clause.empty()) << c.id;
  }
  EXPECT_NE(FindCheck("CB-ACCT-004"), nullptr);
  EXPECT_EQ(ParseSeverity("high"), Severity::kHigh);
  EXPECT_EQ(ParseSeverity("HIGH"), std::nullopt);
}

}  // namespace
}  // namespace clearbox::audit
