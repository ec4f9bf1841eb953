#include "clearbox/inventory/version.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace clearbox::inventory {
namespace {

int Sign(int v) { return (v > 0) - (v < 0); }

// Asserts that every version in `ascending` is older than the ones after it.
void ExpectAscending(VersionScheme scheme, const std::vector<std::string>& ascending) {
  for (size_t i = 0; i < ascending.size(); ++i) {
    EXPECT_EQ(CompareVersions(scheme, ascending[i], ascending[i]), 0) << ascending[i];
    for (size_t j = i + 1; j < ascending.size(); ++j) {
      EXPECT_LT(CompareVersions(scheme, ascending[i], ascending[j]), 0)
          << VersionSchemeName(scheme) << ": " << ascending[i] << " < " << ascending[j];
      EXPECT_GT(CompareVersions(scheme, ascending[j], ascending[i]), 0)
          << VersionSchemeName(scheme) << ": " << ascending[j] << " > " << ascending[i];
    }
  }
}

TEST(VersionTest, OpensslLetterReleases) {
  ExpectAscending(VersionScheme::kOpenssl,
                  {"0.9.8",       "0.9.8a", "0.9.8y", "0.9.8z", "0.9.8za", "0.9.8zh",
                   "1.0.0",       "1.0.1",  "1.0.1a", "1.0.1f", "1.0.1g",  "1.0.1u",
                   "1.0.2-beta1", "1.0.2",  "1.0.2k", "1.1.1",  "1.1.1w",  "3.0.0-alpha1",
                   "3.0.0-beta2", "3.0.0",  "3.0.2",  "3.0.7",  "3.0.11",  "3.1.0"});
}

TEST(VersionTest, DropbearYearAndRelease) {
  ExpectAscending(VersionScheme::kDropbear,
                  {"0.52", "2011.54", "2016.7", "2016.72", "2016.73", "2016.74", "2017.75",
                   "2019.78", "2020.81", "2022.83", "2024.84"});
}

TEST(VersionTest, BusyboxNumeric) {
  ExpectAscending(VersionScheme::kBusybox,
                  {"1.2.2", "1.9.0", "1.19.4", "1.35.0", "1.36.0", "1.36.1", "1.37.0"});
  // No pre-release words: a suffix is newer than the plain release.
  EXPECT_GT(CompareVersions(VersionScheme::kBusybox, "1.36.0.git", "1.36.0"), 0);
  EXPECT_EQ(CompareVersions(VersionScheme::kBusybox, "1.36.0", "1.036.00"), 0);
}

TEST(VersionTest, GenericAsNvdRangesExpect) {
  ExpectAscending(VersionScheme::kGeneric,
                  {"2.6.36-rc1", "2.6.36", "2.6.36.4", "2.6.37", "3.0", "4.4", "4.4p1", "8.5p1",
                   "9.2", "9.2p1", "9.2p2", "9.3p1", "9.8p1", "10.0"});
  ExpectAscending(VersionScheme::kGeneric, {"1.2.11", "1.2.12", "1.2.12.1", "1.2.13", "1.3"});
  ExpectAscending(VersionScheme::kGeneric, {"7.0dev", "7.0alpha1", "7.0beta2", "7.0pre1", "7.0rc1",
                                            "7.0rc2", "7.0", "7.0a", "7.0.1"});
  EXPECT_EQ(CompareVersions(VersionScheme::kGeneric, "2.78", "2.078"), 0);
  EXPECT_EQ(CompareVersions(VersionScheme::kGeneric, "1.0RC1", "1.0-rc1"), 0);
}

TEST(VersionTest, SemverPrecedenceFromTheSpec) {
  // semver.org, item 11: the example chain, then numeric parts.
  ExpectAscending(VersionScheme::kSemver,
                  {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                   "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.9.0", "1.10.0", "1.11.0", "2.0.0",
                   "2.1.0", "2.1.1"});
  EXPECT_EQ(CompareVersions(VersionScheme::kSemver, "1.0.0+build.1", "1.0.0+build.2"), 0);
  EXPECT_EQ(CompareVersions(VersionScheme::kSemver, "v1.2.3", "1.2.3"), 0);
  EXPECT_EQ(CompareVersions(VersionScheme::kSemver, "1.2", "1.2.0"), 0);
  EXPECT_LT(CompareVersions(VersionScheme::kSemver, "1.0.0-1", "1.0.0-a"), 0);
}

TEST(VersionTest, ApkToolsRules) {
  ExpectAscending(VersionScheme::kApk, {"1.2.3_alpha",
                                        "1.2.3_alpha2",
                                        "1.2.3_beta1",
                                        "1.2.3_pre1",
                                        "1.2.3_rc1",
                                        "1.2.3_rc2",
                                        "1.2.3",
                                        "1.2.3-r1",
                                        "1.2.3-r2",
                                        "1.2.3-r10",
                                        "1.2.3_cvs",
                                        "1.2.3_svn",
                                        "1.2.3_git20200101",
                                        "1.2.3_hg",
                                        "1.2.3_p1",
                                        "1.2.3_p1-r1",
                                        "1.2.3a",
                                        "1.2.3b",
                                        "1.2.3.1",
                                        "1.2.4",
                                        "1.10"});
  EXPECT_EQ(CompareVersions(VersionScheme::kApk, "1.36.1~abc123-r2", "1.36.1-r2"), 0);
  // Not an apk version: sorted below the valid continuation, consistently.
  EXPECT_LT(CompareVersions(VersionScheme::kApk, "1.0_bogus", "1.0"), 0);
}

TEST(VersionTest, DebianRules) {
  ExpectAscending(VersionScheme::kDebian,
                  {"1.0~~", "1.0~~a", "1.0~", "1.0~rc1", "1.0", "1.0-0.1", "1.0-1~bpo11+1", "1.0-1",
                   "1.0-1+deb12u1", "1.0-2", "1.0a", "1.0+dfsg", "1.0.1", "2.0", "1:0.9",
                   "1:9.2p1-2+deb12u3", "2:0.1"});
  EXPECT_EQ(CompareVersions(VersionScheme::kDebian, "0:1.0", "1.0"), 0);
  EXPECT_EQ(CompareVersions(VersionScheme::kDebian, "1.0", "1.0-0"), 0);
  EXPECT_EQ(CompareVersions(VersionScheme::kDebian, "1.01", "1.1"), 0);
}

TEST(VersionTest, TenMegabyteStringsAreFast) {
  std::string big_digits(10 << 20, '7');
  std::string big_dots;
  for (int i = 0; i < (5 << 20); ++i) big_dots += "1.";
  std::string big_tildes(10 << 20, '~');
  for (VersionScheme s : {VersionScheme::kGeneric, VersionScheme::kDebian, VersionScheme::kApk,
                          VersionScheme::kSemver, VersionScheme::kOpenssl, VersionScheme::kDropbear,
                          VersionScheme::kBusybox}) {
    EXPECT_EQ(CompareVersions(s, big_digits, big_digits), 0);
    EXPECT_EQ(CompareVersions(s, big_dots, big_dots), 0);
    EXPECT_EQ(Sign(CompareVersions(s, big_tildes, big_dots)),
              -Sign(CompareVersions(s, big_dots, big_tildes)));
    EXPECT_GT(CompareVersions(s, big_digits, "1"), 0) << VersionSchemeName(s);
  }
}

TEST(VersionTest, EverySchemeIsATotalOrderOnOddStrings) {
  const std::vector<std::string> odd = {"",
                                        "~",
                                        "-",
                                        ":",
                                        "1:",
                                        ":1",
                                        "a:1",
                                        "1.0",
                                        "1..0",
                                        "1.0.",
                                        "v1",
                                        "1.0-",
                                        "1.0-r",
                                        "_p",
                                        "1_p",
                                        "1.0+",
                                        "+",
                                        "1-1-1",
                                        "0",
                                        "00",
                                        "1a1",
                                        "1.a",
                                        "1.0~a",
                                        "A",
                                        "a",
                                        "1.0A",
                                        "1.0a",
                                        "\x80",
                                        "1\x00"
                                        "2",
                                        "1.0_",
                                        "1.0_p1",
                                        "1.0-r1",
                                        "1~a",
                                        "1.0~",
                                        "rc",
                                        "1.0rc",
                                        "1.0.rc"};
  for (VersionScheme s : {VersionScheme::kGeneric, VersionScheme::kDebian, VersionScheme::kApk,
                          VersionScheme::kSemver, VersionScheme::kBusybox}) {
    for (const std::string& a : odd) {
      for (const std::string& b : odd) {
        int ab = Sign(CompareVersions(s, a, b));
        ASSERT_EQ(ab, -Sign(CompareVersions(s, b, a))) << a << " vs " << b;
        for (const std::string& c : odd) {
          if (ab <= 0 && CompareVersions(s, b, c) <= 0) {
            ASSERT_LE(CompareVersions(s, a, c), 0)
                << VersionSchemeName(s) << ": " << a << " <= " << b << " <= " << c;
          }
        }
      }
    }
  }
}

// Runs a shell command and returns its standard output.
std::string RunShell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool ShellSafe(const std::string& v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
           c == '+' || c == '-' || c == '~' || c == ':';
  });
}

// clearbox's Debian ordering against dpkg's own, on the versions of this machine's packages
// (dpkg-query, apt-cache madison) and on edge cases with '~', epochs, '+' and revisions.
TEST(VersionTest, DebianAgreesWithDpkgCompareVersions) {
  if (RunShell("command -v dpkg").empty()) GTEST_SKIP() << "dpkg is not installed";
  std::set<std::string> unique;
  for (const std::string& v : Lines(RunShell("dpkg-query -W -f '${Version}\\n' 2>/dev/null"))) {
    if (ShellSafe(v)) unique.insert(v);
  }
  for (const std::string& line :
       Lines(RunShell("apt-cache madison openssl openssh-server busybox dnsmasq curl libc6 "
                      "zlib1g 2>/dev/null | cut -d'|' -f2"))) {
    std::string v = line;
    v.erase(std::remove(v.begin(), v.end(), ' '), v.end());
    if (ShellSafe(v)) unique.insert(v);
  }
  std::vector<std::string> real(unique.begin(), unique.end());
  ASSERT_GT(real.size(), 50u) << "too few installed package versions to compare";

  std::vector<std::pair<std::string, std::string>> pairs = {{"1.0~rc1", "1.0"},
                                                            {"1.0~~", "1.0~"},
                                                            {"1:1.0", "2.0"},
                                                            {"1.0-1", "1.0-1~bpo1"},
                                                            {"1.0+dfsg", "1.0"},
                                                            {"1.0a", "1.0+"},
                                                            {"1.0", "1.0-0"},
                                                            {"0:1.0", "1.0"},
                                                            {"1.0.0", "1.0"},
                                                            {"2.30-1", "2.3-1"},
                                                            {"1.2-3ubuntu1", "1.2-3"},
                                                            {"1.0~", "1.0-1"},
                                                            {"1.0~a", "1.0~"},
                                                            {"1.0-1+b1", "1.0-1.1"},
                                                            {"9.2p1-2+deb12u3", "9.2p1-2+deb12u2"},
                                                            {"1:9.2p1-2", "9.8p1"},
                                                            {"3.0.11-1~deb12u2", "3.0.11-1"},
                                                            {"1.0", "1.00"},
                                                            {"1.0a", "1.0A"},
                                                            {"1.0.a", "1.0a"},
                                                            {"1--1", "1-1"},
                                                            {"1.0+~", "1.0+"},
                                                            {"10:1", "9:2"},
                                                            {"1.2.3", "1.2.3+"},
                                                            {"2.36-9+deb12u4", "2.36-9+deb12u10"},
                                                            {"1.0-1~", "1.0-1"},
                                                            {"a", "A"}};
  std::mt19937 rng(20240701);
  std::uniform_int_distribution<size_t> pick(0, real.size() - 1);
  for (int i = 0; i < 400; ++i) pairs.emplace_back(real[pick(rng)], real[pick(rng)]);
  // (dpkg refuses an empty revision such as "1.0-": such pairs are not compared.)
  // Close neighbours are the interesting ones: sort by clearbox and compare adjacent.
  std::sort(real.begin(), real.end(), [](const std::string& a, const std::string& b) {
    return CompareVersions(VersionScheme::kDebian, a, b) < 0;
  });
  for (size_t i = 0; i + 1 < real.size() && i < 600; i += 2) {
    pairs.emplace_back(real[i], real[i + 1]);
  }

  // One shell for every pair: dpkg prints lt, eq or gt per line.
  std::string script;
  for (const auto& [a, b] : pairs) {
    script += "if dpkg --compare-versions '" + a + "' lt '" + b + "'; then echo -1; elif " +
              "dpkg --compare-versions '" + a + "' eq '" + b + "'; then echo 0; else echo 1; fi\n";
  }
  std::string script_path = std::string(CLEARBOX_BINARY_DIR) + "/version_test_dpkg.sh";
  FILE* f = fopen(script_path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fwrite(script.data(), 1, script.size(), f);
  fclose(f);
  std::vector<std::string> verdicts = Lines(RunShell("sh " + script_path + " 2>/dev/null"));
  ASSERT_EQ(verdicts.size(), pairs.size());
  size_t disagreements = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    int want = std::stoi(verdicts[i]);
    int got = Sign(CompareVersions(VersionScheme::kDebian, pairs[i].first, pairs[i].second));
    if (want != got) ++disagreements;
    EXPECT_EQ(got, want) << pairs[i].first << " vs " << pairs[i].second;
  }
  EXPECT_EQ(disagreements, 0u);
  std::printf("compared %zu version pairs with dpkg --compare-versions (%zu real versions)\n",
              pairs.size(), real.size());
  std::remove(script_path.c_str());
}

TEST(VersionTest, SchemeNamesRoundTrip) {
  for (VersionScheme s : {VersionScheme::kGeneric, VersionScheme::kDebian, VersionScheme::kApk,
                          VersionScheme::kSemver, VersionScheme::kOpenssl, VersionScheme::kDropbear,
                          VersionScheme::kBusybox}) {
    EXPECT_EQ(VersionSchemeFromName(VersionSchemeName(s)), s);
  }
  EXPECT_EQ(VersionSchemeFromName("nonsense"), VersionScheme::kGeneric);
}

}  // namespace
}  // namespace clearbox::inventory
