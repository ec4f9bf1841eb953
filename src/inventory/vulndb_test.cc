#include "clearbox/inventory/vulndb.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "clearbox/inventory/component.h"
#include "vulndb_internal.h"

namespace clearbox::inventory {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kAdvisories = std::string(CLEARBOX_SOURCE_DIR) + "/tests/data/advisories";

Component Cpe(std::string vendor, std::string product, std::string version,
              VersionScheme scheme = VersionScheme::kGeneric, char part = 'a') {
  Component c;
  c.name = product;
  c.version = version;
  c.scheme = scheme;
  c.purl = Purl("generic", "", product, version);
  c.cpe = Cpe23(vendor, product, version, part);
  return c;
}

Component Package(std::string purl, std::string version, VersionScheme scheme,
                  std::string cpe = "") {
  Component c;
  c.version = version;
  c.scheme = scheme;
  c.purl = std::move(purl);
  c.cpe = std::move(cpe);
  c.source = ComponentSource::kPackageDatabase;
  return c;
}

class VulnDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(CLEARBOX_BINARY_DIR) / "vulndb_test" /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "vulns.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  VulnDb::ImportStats ImportOk(const std::vector<std::string>& sources) {
    Result<VulnDb::ImportStats> stats = VulnDb::Import(sources, db_, nullptr);
    EXPECT_TRUE(stats.ok()) << stats.error().ToString();
    return stats.ok() ? *stats : VulnDb::ImportStats{};
  }
  std::unique_ptr<VulnDb> OpenOk() {
    Result<std::unique_ptr<VulnDb>> db = VulnDb::Open(db_);
    EXPECT_TRUE(db.ok()) << db.error().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }
  static std::string Summary(VulnDb& db) {
    Result<VulnDb::Summary> s = db.Describe();
    if (!s.ok()) return s.error().ToString();
    std::string out =
        std::to_string(s->advisories) + " advisories, " + std::to_string(s->ranges) + " ranges:";
    for (const auto& [source, n] : s->advisories_by_source) {
      out += " " + source + "=" + std::to_string(n);
    }
    return out;
  }

  fs::path dir_;
  std::string db_;
};

// (component index, advisory id) of every match.
std::set<std::pair<size_t, std::string>> Ids(const std::vector<VulnerabilityMatch>& matches) {
  std::set<std::pair<size_t, std::string>> out;
  for (const VulnerabilityMatch& m : matches) out.emplace(m.component_index, m.vulnerability.id);
  return out;
}

TEST_F(VulnDbTest, ImportsTheAdvisorySetAndMatchesExactly) {
  VulnDb::ImportStats stats = ImportOk({kAdvisories + "/nvd", kAdvisories + "/osv"});
  EXPECT_EQ(stats.files, 5u);
  EXPECT_EQ(stats.records, 22u);
  EXPECT_EQ(stats.skipped, 0u);
  EXPECT_TRUE(stats.problems.empty());
  auto db = OpenOk();
  ASSERT_NE(db, nullptr);

  const VersionScheme kOssl = VersionScheme::kOpenssl, kDeb = VersionScheme::kDebian,
                      kApk = VersionScheme::kApk;
  std::vector<Component> c = {
      Cpe("openssl", "openssl", "1.0.1f", kOssl),                                        // 0
      Cpe("openssl", "openssl", "1.0.1g", kOssl),                                        // 1
      Cpe("openssl", "openssl", "3.0.2", kOssl),                                         // 2
      Cpe("openssl", "openssl", "3.0.7", kOssl),                                         // 3
      Cpe("dropbear_ssh_project", "dropbear_ssh", "2016.73", VersionScheme::kDropbear),  // 4
      Cpe("dropbear_ssh_project", "dropbear_ssh", "2016.74", VersionScheme::kDropbear),  // 5
      Cpe("busybox", "busybox", "1.35.0", VersionScheme::kBusybox),                      // 6
      Cpe("busybox", "busybox", "1.36.0", VersionScheme::kBusybox),                      // 7
      Cpe("openbsd", "openssh", "9.2p1"),                                                // 8
      Cpe("openbsd", "openssh", "9.8p1"),                                                // 9
      Cpe("openbsd", "openssh", "4.3p2"),                                                // 10
      Cpe("openbsd", "openssh", "8.4p1"),                                                // 11
      Cpe("thekelleys", "dnsmasq", "2.77"),                                              // 12
      Cpe("thekelleys", "dnsmasq", "2.78"),                                              // 13
      Cpe("zlib", "zlib", "1.2.12"),                                                     // 14
      Cpe("zlib", "zlib", "1.2.13"),                                                     // 15
      Cpe("linux", "linux_kernel", "4.4.25", VersionScheme::kGeneric, 'o'),              // 16
      Cpe("linux", "linux_kernel", "4.4.26", VersionScheme::kGeneric, 'o'),              // 17
      Cpe("linux", "linux_kernel", "4.8.2", VersionScheme::kGeneric, 'o'),               // 18
      Package("pkg:deb/debian/openssh-server@1:9.2p1-2+deb12u2?arch=amd64&distro=debian-12&"
              "upstream=openssh",
              "1:9.2p1-2+deb12u2", kDeb, Cpe23("openbsd", "openssh", "9.2p1")),  // 19
      Package("pkg:deb/debian/openssh-server@1:9.2p1-2+deb12u3?distro=bookworm&upstream=openssh",
              "1:9.2p1-2+deb12u3", kDeb),  // 20
      Package("pkg:deb/debian/openssl@1.0.1e-2+deb7u4?distro=debian-7", "1.0.1e-2+deb7u4",
              kDeb),                                                                          // 21
      Package("pkg:deb/debian/openssh@1:8.4p1-5?distro=debian-11", "1:8.4p1-5", kDeb),        // 22
      Package("pkg:apk/alpine/busybox@1.35.0-r30?distro=alpine-3.17.3", "1.35.0-r30", kApk),  // 23
      Package("pkg:apk/alpine/busybox@1.35.0-r31?distro=alpine-3.17.3", "1.35.0-r31", kApk),  // 24
      Package("pkg:npm/semver@7.5.1", "7.5.1", VersionScheme::kSemver),                       // 25
      Package("pkg:npm/semver@7.5.2", "7.5.2", VersionScheme::kSemver),                       // 26
      Package("pkg:npm/semver@6.3.0", "6.3.0", VersionScheme::kSemver),                       // 27
      Cpe("lighttpd", "lighttpd", "1.4.63"),                                                  // 28
      Cpe("lighttpd", "lighttpd", "1.4.64"),                                                  // 29
      Cpe("lighttpd", "lighttpd", "1.4.45"),                                                  // 30
      Cpe("samba", "samba", "4.14.11"),                                                       // 31
      Cpe("samba", "samba", "4.14.12"),                                                       // 32
      Cpe("samba", "samba", "4.13.16"),                                                       // 33
      Cpe("dlink", "dir-822_firmware", "2.02", VersionScheme::kGeneric, 'o'),                 // 34
      Cpe("haxx", "curl", "8.3.0"),                                                           // 35
      Cpe("haxx", "curl", "7.68.0"),                                                          // 36
      Cpe("point-to-point_protocol_project", "point-to-point_protocol", "2.4.8"),             // 37
      Cpe("point-to-point_protocol_project", "point-to-point_protocol", "2.4.9"),             // 38
      Cpe("w1.fi", "hostapd", "2.7"),                                                         // 39
      Cpe("w1.fi", "wpa_supplicant", "2.8"),                                                  // 40
      Cpe("gnu", "glibc", "2.36"),                                                            // 41
      Cpe("gnu", "glibc", "2.39"),                                                            // 42
      Cpe("sqlite", "sqlite", "3.39.1"),                                                      // 43
      Cpe("sqlite", "sqlite", "3.39.2"),                                                      // 44
      Cpe("libexpat_project", "libexpat", "2.4.8"),                                           // 45
      Cpe("libexpat_project", "libexpat", "2.4.9"),                                           // 46
      Cpe("xmlsoft", "libxml2", "2.10.2"),                                                    // 47
      Cpe("xmlsoft", "libxml2", "2.10.3"),                                                    // 48
      Cpe("openssl", "openssl", "1.0.2", kOssl),                                              // 49
  };
  Result<std::vector<VulnerabilityMatch>> matches = db->Match(c);
  ASSERT_TRUE(matches.ok()) << matches.error().ToString();
  const std::set<std::pair<size_t, std::string>> want = {
      {0, "CVE-2014-0160"},        {2, "CVE-2022-3602"},          {4, "CVE-2016-7406"},
      {6, "CVE-2022-48174"},       {8, "CVE-2024-6387"},          {10, "CVE-2024-6387"},
      {12, "CVE-2017-14491"},      {14, "CVE-2022-37434"},        {16, "CVE-2016-5195"},
      {18, "CVE-2016-5195"},       {19, "CVE-2024-6387"},         {19, "DSA-5724-1"},
      {21, "DSA-2896-1"},          {23, "ALPINE-CVE-2022-48174"}, {25, "GHSA-c2qf-rxjj-qqgw"},
      {27, "GHSA-c2qf-rxjj-qqgw"}, {28, "CVE-2022-22707"},        {31, "CVE-2021-44142"},
      {33, "CVE-2021-44142"},      {34, "CVE-2019-6258"},         {35, "CVE-2023-38545"},
      {37, "CVE-2020-8597"},       {39, "CVE-2019-9499"},         {41, "CVE-2023-4911"},
      {43, "CVE-2022-35737"},      {45, "CVE-2022-40674"},        {47, "CVE-2022-40303"},
  };
  EXPECT_EQ(Ids(*matches), want);

  for (const VulnerabilityMatch& m : *matches) {
    const Vulnerability& v = m.vulnerability;
    if (m.component_index == 0) {
      EXPECT_EQ(v.source, "NVD");
      EXPECT_EQ(m.affected_range, "=1.0.1f");
      EXPECT_EQ(m.matched_by, "cpe:2.3:a:openssl:openssl");
      EXPECT_EQ(v.source_url, "https://nvd.nist.gov/vuln/detail/CVE-2014-0160");
      EXPECT_EQ(v.cwes, std::vector<std::string>{"CWE-125"});
      ASSERT_EQ(v.ratings.size(), 2u);
      EXPECT_EQ(v.ratings[0].method, "CVSSv31");
      EXPECT_EQ(v.ratings[0].score, 7.5);
      EXPECT_EQ(v.ratings[0].severity, "HIGH");
      EXPECT_EQ(v.ratings[0].vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N");
      EXPECT_EQ(v.ratings[1].method, "CVSSv2");
      EXPECT_EQ(v.ratings[1].severity, "MEDIUM");
      EXPECT_THAT(v.summary, HasSubstr("Heartbleed"));
      EXPECT_EQ(v.published, "2014-04-07T22:55:03.893");
      EXPECT_EQ(v.references.size(), 2u);
    }
    if (m.component_index == 8) {
      EXPECT_EQ(m.affected_range, ">=8.5p1, <9.8p1");
      EXPECT_EQ(m.fixed_version, "9.8p1");
    }
    if (m.component_index == 10) EXPECT_EQ(m.affected_range, "<4.4p1");
    if (m.component_index == 19 && v.source == "OSV") {
      EXPECT_EQ(v.id, "DSA-5724-1");
      EXPECT_EQ(v.aliases, std::vector<std::string>{"CVE-2024-6387"});
      EXPECT_EQ(m.fixed_version, "1:9.2p1-2+deb12u3");
      EXPECT_EQ(m.affected_range, "<1:9.2p1-2+deb12u3");
      EXPECT_EQ(m.matched_by, "pkg:deb/debian/openssh");
      EXPECT_EQ(v.source_url, "https://osv.dev/vulnerability/DSA-5724-1");
    }
    if (m.component_index == 19 && v.source == "NVD") {
      EXPECT_EQ(m.matched_by, "cpe:2.3:a:openbsd:openssh");
    }
    if (m.component_index == 25) {
      EXPECT_EQ(m.affected_range, ">=7.0.0, <7.5.2");
      ASSERT_EQ(v.ratings.size(), 1u);
      EXPECT_EQ(v.ratings[0].method, "CVSSv31");
      EXPECT_EQ(v.ratings[0].score, 5.3);  // computed from the vector
      EXPECT_EQ(v.ratings[0].severity, "MEDIUM");
      EXPECT_EQ(v.cwes, std::vector<std::string>{"CWE-1333"});
    }
    if (m.component_index == 28) EXPECT_EQ(m.affected_range, ">=1.4.46, <=1.4.63");
    if (m.component_index == 34) EXPECT_EQ(m.affected_range, "* (all versions)");
  }
}

TEST_F(VulnDbTest, ReimportIsIdempotentAndTheNewerRecordWins) {
  ImportOk({kAdvisories + "/nvd", kAdvisories + "/osv"});
  auto db = OpenOk();
  ASSERT_NE(db, nullptr);
  const std::string before = Summary(*db);
  EXPECT_EQ(before, "22 advisories, 38 ranges: NVD=18 OSV=4");
  std::vector<Component> c = {Package("pkg:deb/debian/openssh@1:9.2p1-2+deb12u3?distro=debian-12",
                                      "1:9.2p1-2+deb12u3", VersionScheme::kDebian)};
  ASSERT_TRUE(db->Match(c).ok());
  EXPECT_TRUE(db->Match(c)->empty());

  VulnDb::ImportStats again = ImportOk({kAdvisories + "/nvd", kAdvisories + "/osv"});
  EXPECT_EQ(again.records, 22u);
  db = OpenOk();
  EXPECT_EQ(Summary(*db), before);

  // An older copy of a record does not replace the stored one; a newer one does.
  std::string text;
  {
    std::ifstream in(kAdvisories + "/osv/DSA-5724-1.json");
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write_variant = [&](const std::string& modified, const std::string& fixed) {
    std::string t = text;
    t.replace(t.find("2024-07-01T00:00:00Z"), 20, modified);
    t.replace(t.find("1:9.2p1-2+deb12u3"), 17, fixed);
    std::ofstream((dir_ / "variant.json").string()) << t;
  };
  write_variant("2020-01-01T00:00:00Z", "1:9.2p1-2+deb12u9");
  VulnDb::ImportStats older = ImportOk({(dir_ / "variant.json").string()});
  EXPECT_EQ(older.records, 0u);
  EXPECT_EQ(older.skipped, 1u);
  db = OpenOk();
  EXPECT_TRUE(db->Match(c)->empty());
  write_variant("2025-01-01T00:00:00Z", "1:9.2p1-2+deb12u9");
  EXPECT_EQ(ImportOk({(dir_ / "variant.json").string()}).records, 1u);
  db = OpenOk();
  EXPECT_EQ(Summary(*db), before);
  ASSERT_EQ(db->Match(c)->size(), 1u);
  EXPECT_EQ(db->Match(c)->front().fixed_version, "1:9.2p1-2+deb12u9");
}

TEST_F(VulnDbTest, MalformedRecordsAreSkippedWithOneLineEach) {
  VulnDb::ImportStats stats = ImportOk({kAdvisories + "/malformed"});
  ASSERT_EQ(stats.problems.size(), 3u);
  EXPECT_EQ(stats.skipped, 3u);
  EXPECT_EQ(stats.records, 1u);  // CVE-2016-7406, beside the bad item in the same feed
  std::sort(stats.problems.begin(), stats.problems.end());
  EXPECT_THAT(stats.problems[0], HasSubstr("malformed/not-json.json: not JSON"));
  EXPECT_THAT(stats.problems[1],
              HasSubstr("malformed/nvd-bad-criteria.json: record CVE-2099-0002: field "
                        "cve.configurations[0].nodes[0].cpeMatch[0].criteria: not a CPE 2.3 "
                        "name"));
  EXPECT_THAT(stats.problems[2],
              HasSubstr("malformed/osv-bad-event.json: record OSV-2099-0001: field "
                        "affected[0].ranges[0].events[1].fixed: not a string"));
  for (const std::string& p : stats.problems) EXPECT_EQ(p.find('\n'), std::string::npos);
}

TEST_F(VulnDbTest, AFailedImportLeavesTheOldDatabase) {
  ImportOk({kAdvisories + "/nvd"});
  auto db = OpenOk();
  ASSERT_NE(db, nullptr);
  const std::string before = Summary(*db);

  // A directory whose last file cannot be read (a dangling link).
  fs::path broken = dir_ / "broken";
  fs::create_directories(broken);
  fs::copy_file(kAdvisories + "/osv/DSA-5724-1.json", broken / "a.json");
  fs::create_symlink(dir_ / "missing.json", broken / "z.json");
  Result<VulnDb::ImportStats> failed =
      VulnDb::Import({kAdvisories + "/osv", broken.string()}, db_, nullptr);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), ErrorCode::kNotFound) << failed.error().ToString();
  EXPECT_THAT(failed.error().message(), HasSubstr("z.json"));
  EXPECT_EQ(Summary(*OpenOk()), before);

  // A truncated gzip feed.
  std::string gz = (dir_ / "feed.json.gz").string();
  ASSERT_EQ(
      std::system(("gzip -c " + kAdvisories + "/nvd/nvdcve-2.0-sample.json | head -c 3000 > " + gz)
                      .c_str()),
      0);
  failed = VulnDb::Import({kAdvisories + "/osv", gz}, db_, nullptr);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), ErrorCode::kIo);
  EXPECT_THAT(failed.error().message(), HasSubstr("truncated"));
  EXPECT_EQ(Summary(*OpenOk()), before);
  // No temporary copy is left behind.
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".import-"), std::string::npos) << e.path();
  }
}

TEST_F(VulnDbTest, AKilledImportLeavesTheOldDatabase) {
  ImportOk({kAdvisories + "/osv"});
  const std::string before = Summary(*OpenOk());
  // A feed big enough to take a while: 60000 CVE items.
  std::string big = (dir_ / "big.json").string();
  {
    std::ofstream out(big);
    out << "{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":[";
    for (int i = 0; i < 60000; ++i) {
      out << (i ? "," : "") << "{\"cve\":{\"id\":\"CVE-2000-" << i
          << "\",\"lastModified\":\"2024-01-01T00:00:00\",\"configurations\":[{\"nodes\":[{"
             "\"operator\":\"OR\",\"cpeMatch\":[{\"vulnerable\":true,\"criteria\":\"cpe:2.3:a:v"
          << i % 97 << ":p" << i << ":*:*:*:*:*:*:*:*\",\"versionEndExcluding\":\"1." << i
          << "\"}]}]}]}}";
    }
    out << "]}";
  }
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Result<VulnDb::ImportStats> s = VulnDb::Import({big}, db_, nullptr);
    _exit(s.ok() ? 0 : 1);
  }
  // Kill it once its temporary copy exists and has grown.
  const std::string temp = db_ + ".import-" + std::to_string(child);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::error_code ec;
  while (std::chrono::steady_clock::now() < deadline &&
         (!fs::exists(temp, ec) || fs::file_size(temp, ec) < (1 << 20))) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the import finished before it was killed";
  EXPECT_EQ(Summary(*OpenOk()), before);
  fs::remove(temp, ec);
}

TEST_F(VulnDbTest, ReadsOsvZipAndGzippedNvdFeeds) {
  if (std::system("command -v python3 >/dev/null && command -v gzip >/dev/null") != 0) {
    GTEST_SKIP() << "python3 or gzip missing";
  }
  // all.zip as OSV publishes it (deflated entries) and nvdcve-2.0-YEAR.json.gz.
  std::string zip = (dir_ / "all.zip").string();
  std::string gz = (dir_ / "nvdcve-2.0-2024.json.gz").string();
  std::string cmd = "cd " + kAdvisories +
                    "/osv && python3 -c \"import sys, zipfile, glob\n"
                    "z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\n"
                    "[z.write(f) for f in sorted(glob.glob('*.json'))]\nz.close()\" " +
                    zip + " && gzip -c " + kAdvisories + "/nvd/nvdcve-2.0-sample.json > " + gz;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  VulnDb::ImportStats stats = ImportOk({zip, gz});
  EXPECT_EQ(stats.files, 5u);
  EXPECT_EQ(stats.records, 22u);
  EXPECT_TRUE(stats.problems.empty());
  EXPECT_EQ(Summary(*OpenOk()), "22 advisories, 38 ranges: NVD=18 OSV=4");

  // A zip whose entry was damaged fails the import (CRC), leaving the database as it was.
  std::string bytes;
  {
    std::ifstream in(zip, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes[60] ^= 0x55;
  std::ofstream((dir_ / "bad.zip").string(), std::ios::binary) << bytes;
  Result<VulnDb::ImportStats> bad = VulnDb::Import({(dir_ / "bad.zip").string()}, db_, nullptr);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(Summary(*OpenOk()), "22 advisories, 38 ranges: NVD=18 OSV=4");
}

TEST_F(VulnDbTest, RejectedAndWithdrawnRecordsLeaveTheDatabase) {
  ImportOk({kAdvisories + "/nvd", kAdvisories + "/osv"});
  std::vector<Component> c = {
      Cpe("dropbear_ssh_project", "dropbear_ssh", "2016.73", VersionScheme::kDropbear),
      Package("pkg:npm/semver@7.5.1", "7.5.1", VersionScheme::kSemver)};
  ASSERT_EQ(OpenOk()->Match(c)->size(), 2u);
  std::ofstream((dir_ / "rejected.json").string())
      << R"({"format":"NVD_CVE","version":"2.0","vulnerabilities":[{"cve":{"id":"CVE-2016-7406",)"
      << R"("lastModified":"2025-01-01T00:00:00.000","vulnStatus":"Rejected"}}]})";
  std::ofstream((dir_ / "withdrawn.json").string())
      << R"({"id":"GHSA-c2qf-rxjj-qqgw","modified":"2025-01-01T00:00:00Z",)"
      << R"("withdrawn":"2025-01-01T00:00:00Z","affected":[]})";
  VulnDb::ImportStats stats =
      ImportOk({(dir_ / "rejected.json").string(), (dir_ / "withdrawn.json").string()});
  EXPECT_EQ(stats.records, 0u);
  EXPECT_TRUE(stats.problems.empty());
  EXPECT_TRUE(OpenOk()->Match(c)->empty());
  EXPECT_EQ(Summary(*OpenOk()), "20 advisories, 34 ranges: NVD=17 OSV=3");
}

TEST_F(VulnDbTest, OpenRefusesWhatIsNotAVulnerabilityDatabase) {
  Result<std::unique_ptr<VulnDb>> missing = VulnDb::Open((dir_ / "none.db").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);

  std::ofstream((dir_ / "text.db").string()) << "hello, not sqlite";
  Result<std::unique_ptr<VulnDb>> text = VulnDb::Open((dir_ / "text.db").string());
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code(), ErrorCode::kInvalidInput);

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "other.db").string().c_str(), &other), SQLITE_OK);
  sqlite3_exec(other, "CREATE TABLE t(x); CREATE TABLE meta(key, value);", nullptr, nullptr,
               nullptr);
  sqlite3_close(other);
  Result<std::unique_ptr<VulnDb>> wrong = VulnDb::Open((dir_ / "other.db").string());
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), ErrorCode::kInvalidInput);
  // Nor does an import write into it.
  Result<VulnDb::ImportStats> into =
      VulnDb::Import({kAdvisories + "/osv"}, (dir_ / "other.db").string(), nullptr);
  ASSERT_FALSE(into.ok());
  EXPECT_EQ(into.error().code(), ErrorCode::kInvalidInput);
}

TEST_F(VulnDbTest, MatchIsSafeFromManyThreads) {
  ImportOk({kAdvisories + "/nvd", kAdvisories + "/osv"});
  auto db = OpenOk();
  ASSERT_NE(db, nullptr);
  std::vector<Component> c = {Cpe("openssl", "openssl", "1.0.1f", VersionScheme::kOpenssl),
                              Cpe("openbsd", "openssh", "9.2p1")};
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto m = db->Match(c);
        if (m.ok() && m->size() == 2) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 200);
}

TEST(VulnDbRangeTest, OsvEventsAsTheSpecEvaluatesThem) {
  vulndb::AffectedRange r;
  r.events = {{'i', "1.0"}, {'f', "1.5"}, {'i', "2.0"}, {'l', "2.3"}, {'i', "3.0"}, {'x', "3.2"}};
  auto at = [&](const char* v) { return vulndb::EvaluateRange(r, VersionScheme::kGeneric, v); };
  EXPECT_FALSE(at("0.9"));
  EXPECT_EQ(at("1.0")->affected_range, ">=1.0, <1.5");
  EXPECT_EQ(at("1.4")->fixed_version, "1.5");
  EXPECT_FALSE(at("1.5"));
  EXPECT_FALSE(at("1.9"));
  EXPECT_EQ(at("2.3")->affected_range, ">=2.0, <=2.3");
  EXPECT_EQ(at("2.3")->fixed_version, "");
  EXPECT_FALSE(at("2.3.1"));
  EXPECT_EQ(at("3.1")->affected_range, ">=3.0, <3.2");
  EXPECT_EQ(at("3.1")->fixed_version, "");  // a limit is not a fix
  EXPECT_FALSE(at("3.2"));

  vulndb::AffectedRange unfixed;
  unfixed.events = {{'i', "0"}};
  EXPECT_EQ(vulndb::EvaluateRange(unfixed, VersionScheme::kDebian, "1:2.3-4")->affected_range,
            ">=0 (no fix)");
  vulndb::AffectedRange listed;
  listed.versions = {"1.0.1e", "1.0.1f"};
  EXPECT_EQ(vulndb::EvaluateRange(listed, VersionScheme::kOpenssl, "1.0.1F")->affected_range,
            "=1.0.1f");
  EXPECT_FALSE(vulndb::EvaluateRange(listed, VersionScheme::kOpenssl, "1.0.1g"));
}

TEST(VulnDbRangeTest, CvssV3BaseScoresAsNvdPublishesThem) {
  // Vectors and scores of the advisory set's NVD records, plus scope-changed ones.
  const std::pair<const char*, double> kKnown[] = {
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
      {"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1},
      {"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8},
      {"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", 5.9},
      {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 5.3},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
      {"CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0},
  };
  for (const auto& [vector, score] : kKnown) {
    std::optional<double> got = vulndb::CvssV3BaseScore(vector);
    ASSERT_TRUE(got) << vector;
    EXPECT_DOUBLE_EQ(*got, score) << vector;
  }
  EXPECT_FALSE(vulndb::CvssV3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"));
  EXPECT_FALSE(vulndb::CvssV3BaseScore("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));
  EXPECT_FALSE(vulndb::CvssV3BaseScore("AV:N/AC:L/Au:N/C:P/I:N/A:N"));
}

TEST(VulnDbRangeTest, CpeNamesWithEscapes) {
  auto n = vulndb::ParseCpe23(
      "cpe:2.3:a:point-to-point_protocol_project:point-to-point_protocol"
      ":2.4.8:*:*:*:*:*:*:*");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->vendor, "point-to-point_protocol_project");
  EXPECT_EQ(n->version, "2.4.8");
  n = vulndb::ParseCpe23("cpe:2.3:a:busybox:busybox:1.36.0\\:rc1:*:*:*:*:*:*:*");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->version, "1.36.0:rc1");
  EXPECT_FALSE(vulndb::ParseCpe23("cpe:/a:openssl:openssl:1.0.1f"));
  EXPECT_FALSE(vulndb::ParseCpe23("cpe:2.3:a:x"));
}

}  // namespace
}  // namespace clearbox::inventory
