// Integration test of `clearbox audit` (accounts checks, SARIF) on real images:
//  - nested.tar.gz from tests/images/build-images.sh (tar.gz -> uImage -> squashfs-xz): its
//    rootfs has root and admin with MD5 hashes of passwords that are on no default list, a
//    normal user admin (UID 1000, /bin/sh), daemon and nobody with /bin/false, and a group
//    file with no GID-0 member: no account finding at all.
//  - a tar.gz made here whose /etc files plant one issue per check (hashes made now with
//    libcrypt) next to decoys (locked accounts, comments, a strong password): exactly the
//    planted issues, with their paths.
// Every SARIF output is checked with Microsoft's validator when it is installed under the
// build tree (see src/report/sarif_validator.h).
#include <crypt.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>

#include "../src/report/sarif_validator.h"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

const std::string kBuild = CLEARBOX_BINARY_DIR;

struct CommandResult {
  int exit_code = -1;
  std::string out;
};

CommandResult Shell(const std::string& command) {
  CommandResult r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in, nullptr, false);
}

// (ruleId, first location's path inside the image) of every result, sorted.
std::multiset<std::pair<std::string, std::string>> Results(const json& sarif) {
  std::multiset<std::pair<std::string, std::string>> out;
  for (const json& r : sarif["runs"][0]["results"]) {
    std::string uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    out.emplace(r["ruleId"], uri.substr(uri.rfind("%3A") + 3));
  }
  return out;
}

void ExpectValidSarif(const std::string& path) {
  std::string validator = clearbox::report::testing::SarifValidator(CLEARBOX_SOURCE_DIR);
  if (validator.empty()) {  // the report tests say so with a skip, or fail under scripts/test.sh
    if (clearbox::report::testing::ValidatorsRequired()) ADD_FAILURE() << "no SARIF validator";
    return;
  }
  EXPECT_EQ(clearbox::report::testing::ValidateSarif(validator, path), "") << path;
}

std::string MakeHash(const std::string& password, const char* prefix, unsigned long cost = 0) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn(prefix, cost, nullptr, 0, setting, sizeof setting) == nullptr) return "";
  crypt_data data{};
  const char* out = crypt_rn(password.c_str(), setting, &data, sizeof data);
  return out && out[0] != '*' ? out : "";
}

class AuditAccounts : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Cached: the script returns at once when its inputs did not change.
    CommandResult r =
        Shell("bash " + Quote(std::string(CLEARBOX_SOURCE_DIR) + "/tests/images/build-images.sh") +
              " " + Quote(kBuild + "/test-images"));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    fs::create_directories(kBuild + "/audit-test");
  }
};

TEST_F(AuditAccounts, NestedImageHasNoAccountFinding) {
  std::string image = kBuild + "/test-images/images/nested.tar.gz";
  std::string sarif = kBuild + "/audit-test/nested.sarif";
  std::string account_checks;
  for (int i = 0; i <= 7; ++i) account_checks += fmt::format(" --check CB-ACCT-00{}", i);
  CommandResult r = Shell(std::string(CLEARBOX_CLI) + " audit " + Quote(image) + account_checks +
                          " --format sarif -o " + Quote(sarif));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json doc = ReadJson(sarif);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_EQ(doc["runs"][0]["tool"]["driver"]["rules"].size(), 8u);
  EXPECT_THAT(Results(doc), IsEmpty());
  ExpectValidSarif(sarif);

  // The JSON report saw the accounts: all checks ran over the image, nothing found.
  CommandResult j =
      Shell(std::string(CLEARBOX_CLI) + " audit " + Quote(image) + account_checks + " --format json");
  ASSERT_EQ(j.exit_code, 0) << j.out;
  json report = json::parse(j.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << j.out;
  EXPECT_EQ(report["checks_run"].size(), 8u);
  EXPECT_EQ(report["image"], "nested.tar.gz");
}

TEST_F(AuditAccounts, PlantedIssuesAndDecoys) {
  std::string root = kBuild + "/audit-test/planted";
  fs::remove_all(root);
  fs::create_directories(root + "/etc");
  std::ofstream(root + "/etc/passwd")
      << "# toor:x:0:0:commented out:/root:/bin/sh\n"
         "root:x:0:0:root:/root:/bin/sh\n"
         "toor:x:0:0:second root:/root:/bin/sh\n"  // CB-ACCT-001
         "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
         "ftp:x:21:0:ftp:/srv/ftp:/bin/sh\n"      // CB-ACCT-002 (GID 0), -006
         "guest::1001:1001:guest:/tmp:/bin/sh\n"  // CB-ACCT-003
         "support:" +
             MakeHash("support", "$1$") +
             ":1002:1002:support:/tmp:/bin/sh\n"       // CB-ACCT-004, -005
             "admin:x:1000:1000:admin:/tmp:/bin/sh\n"  // CB-ACCT-004 (shadow, yescrypt)
             "user:x:1003:1003:user:/tmp:/bin/sh\n"    // strong SHA-512: no finding
             "tech:x:1004:1004:tech:/tmp:/bin/sh\n"    // CB-ACCT-007
             "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
  std::ofstream(root + "/etc/shadow") << "root:!:19675:0:99999:7:::\n"
                                         "toor:*:19675:0:99999:7:::\n"
                                         "daemon:*:19675:0:99999:7:::\n"
                                         "ftp:!!:19675:0:99999:7:::\n"
                                         "guest:$6$decoy$decoy:19675:0:99999:7:::\n"
                                         "admin:" +
                                             MakeHash("admin", "$y$") +
                                             ":19675:0:99999:7:::\n"
                                             "user:" +
                                             MakeHash("k9#Qv!2xLp@7Zr$Wm4&Tn8^Yb", "$6$") +
                                             ":19675:0:99999:7:::\n"
                                             "nobody:*:19675:0:99999:7:::\n";
  std::ofstream(root + "/etc/group") << "root:x:0:\ndaemon:x:1:\nadmin:x:1000:\n";
  std::string image = kBuild + "/audit-test/planted.tar.gz";
  CommandResult tar = Shell("tar --sort=name --owner=0 --group=0 -C " + Quote(root) + " -czf " +
                            Quote(image) + " etc");
  ASSERT_EQ(tar.exit_code, 0) << tar.out;

  std::string sarif = kBuild + "/audit-test/planted.sarif";
  CommandResult r = Shell(std::string(CLEARBOX_CLI) + " audit " + Quote(image) +
                          " --format sarif -o " + Quote(sarif));
  EXPECT_EQ(r.exit_code, 1) << r.out;  // critical findings, --fail-on high by default
  json doc = ReadJson(sarif);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_THAT(Results(doc),
              ElementsAre(Pair("CB-ACCT-001", "/etc/passwd"), Pair("CB-ACCT-002", "/etc/passwd"),
                          Pair("CB-ACCT-003", "/etc/passwd"), Pair("CB-ACCT-004", "/etc/passwd"),
                          Pair("CB-ACCT-004", "/etc/shadow"), Pair("CB-ACCT-005", "/etc/passwd"),
                          Pair("CB-ACCT-006", "/etc/passwd"), Pair("CB-ACCT-007", "/etc/passwd")));
  std::map<std::string, std::vector<std::string>> messages;
  for (const json& res : doc["runs"][0]["results"]) {
    messages[res["ruleId"]].push_back(res["message"]["text"]);
  }
  EXPECT_THAT(messages["CB-ACCT-001"], ElementsAre(::testing::HasSubstr("'toor'")));
  EXPECT_THAT(messages["CB-ACCT-003"], ElementsAre(::testing::HasSubstr("'guest'")));
  EXPECT_THAT(messages["CB-ACCT-004"],
              ::testing::UnorderedElementsAre(::testing::HasSubstr("'admin' (UID 1000)"),
                                              ::testing::HasSubstr("'support'")));
  // Only ftp is a system account with a shell: toor is UID 0 (CB-ACCT-001's), daemon has
  // /bin/false, guest, support, admin, user and tech are users (UID >= 1000).
  EXPECT_THAT(messages["CB-ACCT-006"], ElementsAre(::testing::HasSubstr("'ftp' (UID 21)")));
  EXPECT_THAT(messages["CB-ACCT-002"], ElementsAre(::testing::HasSubstr("'ftp' (UID 21)")));
  EXPECT_THAT(messages["CB-ACCT-007"], ElementsAre(::testing::HasSubstr("'tech'")));
  ExpectValidSarif(sarif);

  EXPECT_EQ(Shell(std::string(CLEARBOX_CLI) + " audit " + Quote(image) +
                  " --fail-on critical --format json -o /dev/null")
                .exit_code,
            1);
  EXPECT_EQ(Shell(std::string(CLEARBOX_CLI) + " audit " + Quote(image) +
                  " --check CB-ACCT-007 --fail-on critical -o /dev/null")
                .exit_code,
            0);
  // A report written to a device goes through it: /dev/null is still the device (it was once
  // renamed over by the atomic write, as root).
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
  EXPECT_EQ(Shell(std::string(CLEARBOX_CLI) + " audit " + Quote(root + "/missing.bin")).exit_code,
            2);
  CommandResult list = Shell(std::string(CLEARBOX_CLI) + " audit --list-checks");
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_THAT(list.out, ::testing::ContainsRegex("CB-ACCT-004 +critical +4.2.3.4.2.3"));
}

}  // namespace
