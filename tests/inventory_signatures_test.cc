// Version signatures on real binaries: Debian bookworm packages (downloaded and extracted by
// tests/images/build-signature-samples.sh) and kernels / boot loaders from the shared corpus
// of vendor firmware. For every package, the components it carries must be found with exactly
// the upstream version of the package, and nothing else may be reported (each false positive
// fails the test, naming file, offset and excerpt). Also measures the scan throughput, and
// the single pass against one pass per signature.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "clearbox/core/file.h"
#include "clearbox/inventory/signatures.h"

namespace clearbox::inventory {
namespace {

namespace fs = std::filesystem;

// Debian version -> upstream version: no epoch, no Debian revision, no repack suffix
// (+dfsg, .dfsg, +b1). OpenSSH keeps its portable "p1" (9.2p1), which is upstream's own.
std::string Upstream(std::string v) {
  if (size_t colon = v.find(':'); colon != std::string::npos) v = v.substr(colon + 1);
  if (size_t dash = v.rfind('-'); dash != std::string::npos) v = v.substr(0, dash);
  for (const char* repack : {"+dfsg", ".dfsg", "+ds", "+really"}) {
    if (size_t at = v.find(repack); at != std::string::npos) v = v.substr(0, at);
  }
  return v;
}

// What each package really carries: `must` components are found with the package's upstream
// version somewhere in the package; `may` ones are also really there (same software, or a
// library linked in statically) and may be reported, also only at the package's version.
struct Expectation {
  std::set<std::string> must;
  std::set<std::string> may;
};

const std::map<std::string, Expectation>& Expectations() {
  static const auto* table = new std::map<std::string, Expectation>{
      {"busybox-static", {{"busybox"}, {}}},
      {"dropbear-bin", {{"dropbear"}, {}}},
      {"openssh-server", {{"openssh"}, {}}},
      {"openssh-client", {{"openssh"}, {}}},
      {"openssl", {{}, {"openssl"}}},  // the tool; the version text is libcrypto's
      {"libssl3", {{"openssl"}, {}}},
      {"libgnutls30", {{"gnutls"}, {}}},
      {"libc6", {{"glibc"}, {}}},
      {"musl", {{"musl"}, {}}},
      {"lighttpd", {{"lighttpd"}, {}}},
      {"nginx", {{"nginx"}, {}}},
      {"mini-httpd", {{"mini-httpd"}, {}}},
      {"dnsmasq-base", {{"dnsmasq"}, {}}},
      {"curl", {{"curl"}, {}}},
      {"libcurl4", {{"libcurl"}, {}}},
      {"hostapd", {{"hostapd"}, {}}},
      {"wpasupplicant", {{"wpa_supplicant"}, {}}},
      {"libsmbclient", {{"samba"}, {}}},
      {"libwbclient0", {{}, {"samba"}}},
      {"openvpn", {{"openvpn"}, {}}},
      {"iptables", {{"iptables"}, {}}},
      {"ebtables", {{"ebtables"}, {}}},
      {"zlib1g", {{"zlib"}, {}}},
      {"libsqlite3-0", {{"sqlite"}, {}}},
      {"libpcap0.8", {{"libpcap"}, {}}},
      {"ppp", {{"ppp"}, {}}},
      {"miniupnpd-iptables", {{"miniupnpd"}, {}}},
      {"avahi-daemon", {{"avahi"}, {}}},
      {"ntpsec", {{"ntpsec"}, {}}},
      {"chrony", {{"chrony"}, {}}},
      {"strongswan-charon", {{"strongswan"}, {}}},
      {"libstrongswan", {{}, {"strongswan"}}},
      {"frr", {{"frr"}, {}}},
      {"snmpd", {{}, {"net-snmp"}}},
      {"libsnmp40", {{"net-snmp"}, {}}},
      {"vsftpd", {{"vsftpd"}, {}}},
      {"proftpd-core", {{"proftpd"}, {}}},
      {"e2fsprogs", {{"e2fsprogs"}, {}}},
      {"libexpat1", {{"expat"}, {}}},
      {"libxml2", {{"libxml2"}, {}}},
      {"libpcre3", {{"pcre"}, {}}},
      {"libpcre2-8-0", {{"pcre2"}, {}}},
      {"libmbedcrypto7", {{"mbedtls"}, {}}},
      {"libwolfssl35", {{"wolfssl"}, {}}},
      {"u-boot-qemu", {{"u-boot"}, {}}},
  };
  return *table;
}

struct Sample {
  std::string kind;  // "deb" or "corpus"
  std::string name;
  std::string version;  // Debian version, or "component@version" for corpus samples
  fs::path dir;
};

class SignaturesOnRealBinaries : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fs::path(CLEARBOX_BINARY_DIR) / "test-images" / "signatures");
    std::string cmd = std::string("bash '") + CLEARBOX_SOURCE_DIR +
                      "/tests/images/build-signature-samples.sh' '" + root_->string() + "' '" +
                      CLEARBOX_SHARED_DIR + "/corpus/real'";
    build_status_ = std::system(cmd.c_str());
  }
  static void TearDownTestSuite() { delete root_; }

  std::vector<Sample> ReadManifest() {
    std::vector<Sample> out;
    std::ifstream in(*root_ / "manifest.tsv");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      Sample s;
      std::string dir;
      std::getline(fields, s.kind, '\t');
      std::getline(fields, s.name, '\t');
      std::getline(fields, s.version, '\t');
      std::getline(fields, dir, '\t');
      s.dir = *root_ / dir;
      out.push_back(s);
    }
    return out;
  }

  static std::vector<fs::path> RegularFiles(const fs::path& p) {
    std::vector<fs::path> files;
    if (fs::is_regular_file(fs::symlink_status(p))) return {p};
    for (const auto& e : fs::recursive_directory_iterator(p)) {
      if (e.is_regular_file() && !e.is_symlink()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  static fs::path* root_;
  static int build_status_;
};

fs::path* SignaturesOnRealBinaries::root_ = nullptr;
int SignaturesOnRealBinaries::build_status_ = -1;

TEST_F(SignaturesOnRealBinaries, EveryComponentAtItsVersionAndNothingElse) {
  ASSERT_EQ(build_status_, 0) << "tests/images/build-signature-samples.sh failed";
  std::vector<Sample> samples = ReadManifest();
  ASSERT_FALSE(samples.empty());
  const VersionSignatures& sigs = VersionSignatures::Builtin();

  size_t expected_count = 0, found_count = 0, false_positives = 0, files = 0;
  uint64_t bytes = 0;
  std::set<std::string> components_seen;
  std::chrono::duration<double> scan_time{0};
  std::set<std::string> packages_in_manifest;
  for (const Sample& s : samples) {
    std::map<std::string, std::string> wanted;   // component -> version that must be found
    std::map<std::string, std::string> allowed;  // component -> version it may be found at
    if (s.kind == "deb") {
      packages_in_manifest.insert(s.name);
      auto e = Expectations().find(s.name);
      ASSERT_NE(e, Expectations().end()) << s.name << ": no expectation in this test";
      for (const std::string& c : e->second.must) wanted[c] = Upstream(s.version);
      allowed = wanted;
      for (const std::string& c : e->second.may) allowed[c] = Upstream(s.version);
    } else {
      size_t at = s.version.find('@');
      wanted[s.version.substr(0, at)] = s.version.substr(at + 1);
      allowed = wanted;
    }
    std::map<std::string, std::string> where_found;  // component -> file of the right version
    for (const fs::path& file : RegularFiles(s.dir)) {
      Result<std::unique_ptr<MappedFile>> mapped = MappedFile::Open(file.string());
      ASSERT_TRUE(mapped.ok()) << mapped.error().ToString();
      std::string provenance = fs::relative(file, *root_).string();
      auto t0 = std::chrono::steady_clock::now();
      std::vector<Component> found = sigs.Scan((*mapped)->bytes(), provenance);
      scan_time += std::chrono::steady_clock::now() - t0;
      bytes += (*mapped)->bytes().size();
      ++files;
      for (const Component& c : found) {
        const Evidence& ev = c.evidence.at(0);
        auto ok = allowed.find(c.name);
        if (ok == allowed.end() || ok->second != c.version) {
          ++false_positives;
          ADD_FAILURE() << "false positive: " << c.name << " " << c.version << " in " << provenance
                        << " at offset " << ev.offset << ": \"" << ev.matched << "\" (" << ev.method
                        << "; "
                        << (ok == allowed.end() ? "not in this package"
                                                : "package version is " + ok->second)
                        << ")";
          continue;
        }
        components_seen.insert(c.name);
        where_found.emplace(c.name, provenance);
        EXPECT_EQ(c.source, ComponentSource::kBinary);
        EXPECT_FALSE(c.cpe.empty());
        EXPECT_EQ(c.purl.rfind("pkg:generic/", 0), 0u) << c.purl;
      }
    }
    for (const auto& [component, version] : wanted) {
      ++expected_count;
      if (where_found.count(component)) {
        ++found_count;
        std::printf("  found %-16s %-12s in %s\n", component.c_str(), version.c_str(),
                    where_found[component].c_str());
      } else {
        ADD_FAILURE() << s.name << ": " << component << " " << version
                      << " not found in any of its files";
      }
    }
  }
  for (const auto& [package, e] : Expectations()) {
    EXPECT_TRUE(packages_in_manifest.count(package)) << package << " missing from the samples";
  }
  double seconds = scan_time.count();
  std::printf(
      "signatures: %zu/%zu expected components found, %zu false positives, %zu distinct "
      "components on real binaries; %zu files, %.1f MB scanned in %.3f s (%.0f MB/s)\n",
      found_count, expected_count, false_positives, components_seen.size(), files, bytes / 1e6,
      seconds, bytes / 1e6 / seconds);
  EXPECT_EQ(found_count, expected_count);
  EXPECT_EQ(false_positives, 0u);
}

// One Hyperscan pass with every signature against one pass per signature, over the same
// files: the single pass is what makes scanning every file of an image affordable.
TEST_F(SignaturesOnRealBinaries, SinglePassIsFasterThanOnePassPerSignature) {
  ASSERT_EQ(build_status_, 0);
  const VersionSignatures& sigs = VersionSignatures::Builtin();
  std::vector<std::unique_ptr<MappedFile>> maps;
  uint64_t bytes = 0;
  for (const Sample& s : ReadManifest()) {
    for (const fs::path& file : RegularFiles(s.dir)) {
      Result<std::unique_ptr<MappedFile>> m = MappedFile::Open(file.string());
      ASSERT_TRUE(m.ok());
      bytes += (*m)->bytes().size();
      maps.push_back(std::move(*m));
    }
  }
  (void)sigs.ScanOnePassPerSignature(AsBytes("warm up"), "x");  // compiles its databases
  size_t single_found = 0, multi_found = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& m : maps) single_found += sigs.Scan(m->bytes(), m->path()).size();
  auto t1 = std::chrono::steady_clock::now();
  for (const auto& m : maps)
    multi_found += sigs.ScanOnePassPerSignature(m->bytes(), m->path()).size();
  auto t2 = std::chrono::steady_clock::now();
  double single = std::chrono::duration<double>(t1 - t0).count();
  double multi = std::chrono::duration<double>(t2 - t1).count();
  std::printf(
      "throughput over %.1f MB, %zu signatures: one pass %.0f MB/s (%.3f s); one pass per "
      "signature %.0f MB/s (%.3f s); %.1fx\n",
      bytes / 1e6, sigs.size(), bytes / 1e6 / single, single, bytes / 1e6 / multi, multi,
      multi / single);
  EXPECT_EQ(single_found, multi_found);
  EXPECT_LT(single, multi);
}

}  // namespace
}  // namespace clearbox::inventory
