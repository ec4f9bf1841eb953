// The SBOM writers on an inventory built in code: a dpkg package with a license, a library
// found by its version string in two files, an operating system from os-release, a C library
// reached through a symlink, and a second filesystem with a library of the same SONAME (which
// must not be linked to the first filesystem's programs).

#include "clearbox/report/sbom.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "sarif_validator.h"
#include "sbom_internal.h"

namespace clearbox::report {
namespace {

using inventory::Component;
using inventory::ComponentSource;
using inventory::ElfInfo;
using inventory::Evidence;
using inventory::FileKind;
using inventory::FileRecord;
using inventory::Inventory;
using inventory::VersionScheme;
using inventory::VulnerabilityMatch;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr char kSquash[] = "fw.bin!uimage@0x40!squashfs";
constexpr char kJffs2[] = "fw.bin!jffs2@0x200000";

std::string Hex64(char c) { return std::string(64, c); }

FileRecord File(const std::string& fs, const std::string& path, FileKind kind,
                std::string sha256 = {}) {
  FileRecord f;
  f.node.path = path;
  f.node.provenance = fs + ":" + path;
  f.node.type = unpack::NodeType::kFile;
  f.node.mode = 0755;
  f.node.size = 1000;
  f.kind = kind;
  f.sha256 = std::move(sha256);
  return f;
}

FileRecord Elf(const std::string& fs, const std::string& path, std::string sha256, std::string type,
               std::string soname, std::vector<std::string> needed) {
  FileRecord f = File(fs, path, FileKind::kElf, std::move(sha256));
  ElfInfo e;
  e.elf_class = 32;
  e.machine = 8;  // EM_MIPS
  e.machine_name = "MIPS";
  e.type_name = std::move(type);
  e.interpreter = e.type_name == "EXEC" ? "/lib/ld-uClibc.so.0" : "";
  e.soname = std::move(soname);
  e.needed = std::move(needed);
  f.elf = std::move(e);
  return f;
}

Component MakeComponent(std::string name, std::string version, ComponentSource source,
                        std::string purl, std::string cpe) {
  Component c;
  c.name = std::move(name);
  c.version = std::move(version);
  c.source = source;
  c.purl = std::move(purl);
  c.cpe = std::move(cpe);
  return c;
}

// Component indices (sorted by name, as the inventory keeps them).
enum : size_t { kBusybox, kDropbear, kMusl, kOpenssl, kOpenwrt, kUclibc, kComponents };

Inventory TestInventory() {
  const std::string sq = kSquash;
  Inventory inv;
  inv.image = "fw.bin";
  inv.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  inv.size = 4 << 20;

  std::vector<FileRecord> files;
  files.push_back(Elf(sq, "/bin/busybox", Hex64('b'), "EXEC", "", {"libc.so.0"}));
  files.push_back(File(sq, "/etc/os-release", FileKind::kConfig, Hex64('e')));
  // The C library by a link: DT_NEEDED "libc.so.0" names the link, and the library has no
  // SONAME (resolution by file name through the symlink).
  FileRecord link = File(sq, "/lib/libc.so.0", FileKind::kNone);
  link.node.type = unpack::NodeType::kSymlink;
  link.node.link_target = "libuClibc-0.9.33.2.so";
  files.push_back(link);
  files.push_back(Elf(sq, "/lib/libuClibc-0.9.33.2.so", Hex64('c'), "DYN", "", {}));
  files.push_back(Elf(sq, "/usr/lib/libcrypto.so.1.0.0", Hex64('d'), "DYN", "libcrypto.so.1.0.0",
                      {"libc.so.0"}));
  files.push_back(Elf(sq, "/usr/lib/libssl.so.1.0.0", Hex64('f'), "DYN", "libssl.so.1.0.0",
                      {"libcrypto.so.1.0.0", "libc.so.0"}));
  files.push_back(Elf(sq, "/usr/sbin/dropbear", Hex64('a'), "EXEC", "",
                      {"libcrypto.so.1.0.0", "libz.so.1", "libc.so.0"}));
  // A library of another architecture with the SONAME the MIPS programs need: never theirs.
  FileRecord x86 = Elf(sq, "/opt/x86_64/libc.so.0", Hex64('3'), "DYN", "libc.so.0", {});
  x86.elf->machine = 62;  // EM_X86_64
  x86.elf->elf_class = 64;
  files.push_back(x86);
  // Another filesystem with its own libc.so.0 (a recovery image): never linked to the above.
  files.push_back(Elf(kJffs2, "/lib/libc.so.0", Hex64('1'), "DYN", "libc.so.0", {}));
  files.push_back(Elf(kJffs2, "/sbin/recovery", Hex64('2'), "EXEC", "", {"libc.so.0"}));
  std::sort(files.begin(), files.end(), [](const FileRecord& a, const FileRecord& b) {
    return a.node.provenance < b.node.provenance;
  });
  inv.files = std::move(files);
  auto file_index = [&](const std::string& provenance) {
    for (size_t i = 0; i < inv.files.size(); ++i) {
      if (inv.files[i].node.provenance == provenance) return i;
    }
    ADD_FAILURE() << "no file " << provenance;
    return size_t{0};
  };

  inv.components.resize(kComponents);
  Component& busybox = inv.components[kBusybox];
  busybox = MakeComponent("busybox", "1:1.35.0-4", ComponentSource::kPackageDatabase,
                          "pkg:deb/debian/busybox@1:1.35.0-4?arch=mipsel",
                          "cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*");
  busybox.scheme = VersionScheme::kDebian;
  busybox.supplier = "Debian Busybox Team <busybox@packages.debian.org>";
  busybox.license = "gpl-2.0-only";  // ids match case-insensitively; written as the list has it
  busybox.files = {sq + ":/bin/busybox"};
  busybox.depends = {"libc6", "uclibc"};  // libc6 is not in the image
  busybox.evidence.push_back(
      {"dpkg-status", sq + ":/var/lib/dpkg/status", 0, "Package: busybox / Version: 1:1.35.0-4"});

  Component& dropbear = inv.components[kDropbear];
  dropbear = MakeComponent("dropbear", "2019.78", ComponentSource::kPackageDatabase,
                           "pkg:opkg/openwrt/dropbear@2019.78",
                           "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2019.78:*:*:*:*:*:*:*");
  dropbear.scheme = VersionScheme::kDropbear;
  dropbear.license = "GPLv2";  // free text, not an SPDX id
  dropbear.depends = {"busybox"};
  dropbear.files = {sq + ":/usr/sbin/dropbear"};
  dropbear.evidence.push_back(
      {"opkg-status", sq + ":/usr/lib/opkg/status", 812, "Package: dropbear / Version: 2019.78"});
  dropbear.evidence.push_back(
      {"signature:dropbear", sq + ":/usr/sbin/dropbear", 0x2f00, "dropbear_2019.78"});

  Component& musl = inv.components[kMusl];
  musl = MakeComponent("musl", "1.2.3", ComponentSource::kBinary, "pkg:generic/musl@1.2.3",
                       "cpe:2.3:a:musl-libc:musl:1.2.3:*:*:*:*:*:*:*");
  musl.evidence.push_back(
      {"signature:musl", std::string(kJffs2) + ":/lib/libc.so.0", 0x99, "musl libc 1.2.3"});

  Component& openssl = inv.components[kOpenssl];
  openssl =
      MakeComponent("openssl", "1.0.1f", ComponentSource::kBinary, "pkg:generic/openssl@1.0.1f",
                    "cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*");
  openssl.scheme = VersionScheme::kOpenssl;
  openssl.files = {sq + ":/usr/lib/libcrypto.so.1.0.0", sq + ":/usr/lib/libssl.so.1.0.0"};
  openssl.evidence.push_back({"signature:openssl", sq + ":/usr/lib/libcrypto.so.1.0.0", 0x1234,
                              "OpenSSL 1.0.1f 6 Jan 2014"});
  openssl.evidence.push_back(
      {"signature:openssl", sq + ":/usr/lib/libssl.so.1.0.0", 0x5678, "OpenSSL 1.0.1f 6 Jan 2014"});
  openssl.notes = {"two copies of the version string"};

  Component& openwrt = inv.components[kOpenwrt];
  openwrt = MakeComponent("openwrt", "19.07.7", ComponentSource::kOsRelease,
                          "pkg:generic/openwrt@19.07.7",
                          "cpe:2.3:o:openwrt:openwrt:19.07.7:*:*:*:*:*:*:*");
  openwrt.evidence.push_back({"os-release", sq + ":/etc/os-release", 40, "VERSION_ID=\"19.07.7\""});

  Component& uclibc = inv.components[kUclibc];
  uclibc =
      MakeComponent("uclibc", "0.9.33.2", ComponentSource::kBinary, "pkg:generic/uclibc@0.9.33.2",
                    "cpe:2.3:a:uclibc:uclibc:0.9.33.2:*:*:*:*:*:*:*");
  uclibc.evidence.push_back(
      {"signature:uclibc", sq + ":/lib/libuClibc-0.9.33.2.so", 0x400, "uClibc 0.9.33.2"});

  // Which components each file holds (what the inventory's merge step records).
  inv.files[file_index(sq + ":/bin/busybox")].components = {kBusybox};
  inv.files[file_index(sq + ":/usr/sbin/dropbear")].components = {kDropbear};
  inv.files[file_index(std::string(kJffs2) + ":/lib/libc.so.0")].components = {kMusl};
  inv.files[file_index(sq + ":/opt/x86_64/libc.so.0")].components = {kMusl};
  inv.files[file_index(sq + ":/usr/lib/libcrypto.so.1.0.0")].components = {kOpenssl};
  inv.files[file_index(sq + ":/usr/lib/libssl.so.1.0.0")].components = {kOpenssl};
  inv.files[file_index(sq + ":/etc/os-release")].components = {kOpenwrt};
  inv.files[file_index(sq + ":/lib/libuClibc-0.9.33.2.so")].components = {kUclibc};
  return inv;
}

std::vector<VulnerabilityMatch> TestVulns() {
  std::vector<VulnerabilityMatch> out;
  VulnerabilityMatch heartbleed;
  heartbleed.component_index = kOpenssl;
  heartbleed.vulnerability.id = "CVE-2014-0160";
  heartbleed.vulnerability.aliases = {"CVE-2014-0160", "DSA-2896-1"};
  heartbleed.vulnerability.source = "NVD";
  heartbleed.vulnerability.source_url = "https://nvd.nist.gov/vuln/detail/CVE-2014-0160";
  heartbleed.vulnerability.summary = "The TLS heartbeat extension reads past a buffer.";
  heartbleed.vulnerability.ratings = {
      {"nvd@nist.gov", 7.5, "HIGH", "CVSSv31", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"},
      {"nvd@nist.gov", 5.0, "MEDIUM", "CVSSv2", "AV:N/AC:L/Au:N/C:P/I:N/A:N"}};
  heartbleed.vulnerability.cwes = {"CWE-125", "NVD-CWE-Other"};
  heartbleed.vulnerability.references = {"https://heartbleed.com/", "not a url"};
  heartbleed.vulnerability.published = "2014-04-07T22:55:03.893";  // NVD: no time zone
  heartbleed.vulnerability.modified = "2024-11-21";
  heartbleed.affected_range = ">=1.0.1, <1.0.1g";
  heartbleed.fixed_version = "1.0.1g";
  heartbleed.matched_by = "cpe:2.3:a:openssl:openssl";
  out.push_back(heartbleed);

  // One advisory affecting two components: one entry, two affects.
  VulnerabilityMatch shared;
  shared.vulnerability.id = "OSV-2099-1";
  shared.vulnerability.source = "OSV";
  shared.vulnerability.ratings = {{"OSV", 0, "MODERATE", "", ""}};
  shared.vulnerability.published = "garbage";
  shared.component_index = kBusybox;
  out.push_back(shared);
  shared.component_index = kDropbear;
  shared.fixed_version = "2020.81";
  out.push_back(shared);

  VulnerabilityMatch stray = heartbleed;  // an index past the components: skipped
  stray.component_index = 99;
  stray.vulnerability.id = "CVE-0000-0001";
  out.push_back(stray);
  return out;
}

std::string ImageRef() { return "image:fw.bin"; }

json CycloneDx(const Inventory& inv, const SbomOptions& options = {}) {
  std::vector<VulnerabilityMatch> vulns = TestVulns();
  return json::parse(CycloneDxJson(inv, vulns, options));
}

std::map<std::string, json> ComponentsByName(const json& bom) {
  std::map<std::string, json> out;
  for (const json& c : bom["components"]) out[c["name"].get<std::string>()] = c;
  return out;
}

TEST(CycloneDx, DocumentAndImage) {
  json bom = CycloneDx(TestInventory());
  EXPECT_EQ(bom["bomFormat"], "CycloneDX");
  EXPECT_EQ(bom["specVersion"], "1.6");
  EXPECT_EQ(bom["version"], 1);
  std::string serial = bom["serialNumber"];
  EXPECT_TRUE(std::regex_match(
      serial, std::regex("urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                         "[0-9a-f]{12}")))
      << serial;
  EXPECT_FALSE(bom["metadata"].contains("timestamp"));  // deterministic by default
  const json& tool = bom["metadata"]["tools"]["components"][0];
  EXPECT_EQ(tool["name"], "clearbox");
  EXPECT_EQ(tool["version"], "0.1.0");
  const json& image = bom["metadata"]["component"];
  EXPECT_EQ(image["type"], "firmware");
  EXPECT_EQ(image["name"], "fw.bin");
  EXPECT_EQ(image["bom-ref"], ImageRef());
  EXPECT_EQ(image["hashes"][0]["alg"], "SHA-256");
  EXPECT_EQ(image["hashes"][0]["content"], TestInventory().sha256);
}

TEST(CycloneDx, OptionsAreUsed) {
  SbomOptions options;
  options.timestamp = "2024-05-01T12:00:00+02:00";
  options.serial_number = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79";
  options.tool_version = "9.9";
  json bom = CycloneDx(TestInventory(), options);
  EXPECT_EQ(bom["metadata"]["timestamp"], "2024-05-01T12:00:00+02:00");
  EXPECT_EQ(bom["serialNumber"], options.serial_number);
  EXPECT_EQ(bom["metadata"]["tools"]["components"][0]["version"], "9.9");
}

TEST(CycloneDx, EveryComponentWithIdentity) {
  Inventory inv = TestInventory();
  json bom = CycloneDx(inv);
  ASSERT_EQ(bom["components"].size(), kComponents);
  std::set<std::string> refs = {ImageRef()};
  for (size_t i = 0; i < kComponents; ++i) {
    const json& c = bom["components"][i];
    EXPECT_EQ(c["name"], inv.components[i].name);
    EXPECT_EQ(c["version"], inv.components[i].version);
    EXPECT_EQ(c["purl"], inv.components[i].purl);
    EXPECT_EQ(c["cpe"], inv.components[i].cpe);
    EXPECT_EQ(c["bom-ref"], inv.components[i].purl);  // purls are unique here
    EXPECT_TRUE(refs.insert(c["bom-ref"].get<std::string>()).second) << c["bom-ref"];
  }
  auto by_name = ComponentsByName(bom);
  EXPECT_EQ(by_name["busybox"]["type"], "application");
  EXPECT_EQ(by_name["dropbear"]["type"], "application");
  EXPECT_EQ(by_name["musl"]["type"], "library");
  EXPECT_EQ(by_name["openssl"]["type"], "library");
  EXPECT_EQ(by_name["openwrt"]["type"], "operating-system");
  EXPECT_EQ(by_name["uclibc"]["type"], "library");
  EXPECT_EQ(by_name["busybox"]["supplier"]["name"],
            "Debian Busybox Team <busybox@packages.debian.org>");
}

TEST(CycloneDx, HashOnlyForOneFileComponents) {
  auto by_name = ComponentsByName(CycloneDx(TestInventory()));
  EXPECT_EQ(by_name["busybox"]["hashes"],
            json::parse(R"([{"alg":"SHA-256","content":")" + Hex64('b') + R"("}])"));
  EXPECT_EQ(by_name["uclibc"]["hashes"][0]["content"], Hex64('c'));
  EXPECT_FALSE(by_name["openssl"].contains("hashes"));  // two files
}

TEST(CycloneDx, LicensesAsExpressionOrName) {
  auto by_name = ComponentsByName(CycloneDx(TestInventory()));
  EXPECT_EQ(by_name["busybox"]["licenses"], json::parse(R"([{"expression":"GPL-2.0-only"}])"));
  EXPECT_EQ(by_name["dropbear"]["licenses"], json::parse(R"([{"license":{"name":"GPLv2"}}])"));
  EXPECT_FALSE(by_name["openssl"].contains("licenses"));
}

TEST(CycloneDx, EvidenceNamesEveryOccurrence) {
  auto by_name = ComponentsByName(CycloneDx(TestInventory()));
  const json& openssl = by_name["openssl"]["evidence"];
  ASSERT_EQ(openssl["identity"].size(), 1u);
  EXPECT_EQ(openssl["identity"][0]["field"], "purl");
  EXPECT_EQ(openssl["identity"][0]["concludedValue"], "pkg:generic/openssl@1.0.1f");
  // Two occurrences of the same banner: one method, two occurrences.
  ASSERT_EQ(openssl["identity"][0]["methods"].size(), 1u);
  EXPECT_EQ(openssl["identity"][0]["methods"][0]["technique"], "binary-analysis");
  EXPECT_EQ(openssl["identity"][0]["methods"][0]["value"],
            "signature:openssl: OpenSSL 1.0.1f 6 Jan 2014");
  ASSERT_EQ(openssl["occurrences"].size(), 2u);
  EXPECT_EQ(openssl["occurrences"][0]["location"],
            std::string(kSquash) + ":/usr/lib/libcrypto.so.1.0.0");
  EXPECT_EQ(openssl["occurrences"][0]["offset"], 0x1234);
  EXPECT_EQ(openssl["occurrences"][0]["additionalContext"], "OpenSSL 1.0.1f 6 Jan 2014");
  EXPECT_EQ(openssl["occurrences"][1]["location"],
            std::string(kSquash) + ":/usr/lib/libssl.so.1.0.0");
  EXPECT_EQ(openssl["occurrences"][1]["offset"], 0x5678);

  // A package database entry confirmed by a signature: both techniques.
  const json& dropbear = by_name["dropbear"]["evidence"]["identity"][0];
  ASSERT_EQ(dropbear["methods"].size(), 2u);
  EXPECT_EQ(dropbear["methods"][0]["technique"], "manifest-analysis");
  EXPECT_EQ(dropbear["methods"][1]["technique"], "binary-analysis");
  EXPECT_GT(dropbear["confidence"].get<double>(),
            dropbear["methods"][1]["confidence"].get<double>());

  std::vector<std::string> notes;
  for (const json& p : by_name["openssl"]["properties"]) {
    if (p["name"] == "clearbox:note") notes.push_back(p["value"]);
  }
  EXPECT_THAT(notes, ElementsAre("two copies of the version string"));
}

TEST(CycloneDx, DependencyEdgesExactly) {
  Inventory inv = TestInventory();
  json bom = CycloneDx(inv);
  std::map<std::string, std::set<std::string>> edges;
  for (const json& d : bom["dependencies"]) {
    std::set<std::string> to;
    if (d.contains("dependsOn")) {
      for (const json& r : d["dependsOn"]) to.insert(r.get<std::string>());
      EXPECT_EQ(to.size(), d["dependsOn"].size()) << "duplicates in " << d;
    }
    EXPECT_TRUE(edges.emplace(d["ref"].get<std::string>(), to).second) << d["ref"];
  }
  auto ref = [&](size_t i) { return inv.components[i].purl; };
  std::map<std::string, std::set<std::string>> expected = {
      {ImageRef(),
       {ref(kBusybox), ref(kDropbear), ref(kMusl), ref(kOpenssl), ref(kOpenwrt), ref(kUclibc)}},
      // DT_NEEDED libc.so.0 -> the symlink -> libuClibc (not the jffs2 libc.so.0 of musl);
      // Depends uclibc gives the same edge once; libc6 is not in the image.
      {ref(kBusybox), {ref(kUclibc)}},
      // DT_NEEDED libcrypto (SONAME) and libc.so.0; libz.so.1 is absent; Depends busybox.
      {ref(kDropbear), {ref(kOpenssl), ref(kUclibc), ref(kBusybox)}},
      {ref(kMusl), {}},
      // libssl needs libcrypto: the same component, no edge to itself.
      {ref(kOpenssl), {ref(kUclibc)}},
      {ref(kOpenwrt), {}},
      {ref(kUclibc), {}},
  };
  EXPECT_EQ(edges, expected);
}

TEST(CycloneDx, VulnerabilitiesResolveToComponents) {
  Inventory inv = TestInventory();
  json bom = CycloneDx(inv);
  std::set<std::string> refs;
  for (const json& c : bom["components"]) refs.insert(c["bom-ref"].get<std::string>());
  ASSERT_EQ(bom["vulnerabilities"].size(), 2u);  // the stray index is skipped
  for (const json& v : bom["vulnerabilities"]) {
    for (const json& a : v["affects"]) EXPECT_TRUE(refs.count(a["ref"].get<std::string>())) << a;
    EXPECT_FALSE(refs.count(v["bom-ref"].get<std::string>()));
  }
  const json& hb = bom["vulnerabilities"][0];
  EXPECT_EQ(hb["id"], "CVE-2014-0160");
  EXPECT_EQ(hb["bom-ref"], "vulnerability:NVD:CVE-2014-0160");
  EXPECT_EQ(hb["source"]["name"], "NVD");
  EXPECT_EQ(hb["source"]["url"], "https://nvd.nist.gov/vuln/detail/CVE-2014-0160");
  EXPECT_EQ(hb["affects"], json::parse(R"([{"ref":"pkg:generic/openssl@1.0.1f",
      "versions":[{"version":"1.0.1f","status":"affected"}]}])"));
  ASSERT_EQ(hb["ratings"].size(), 2u);
  EXPECT_EQ(hb["ratings"][0]["score"], 7.5);
  EXPECT_EQ(hb["ratings"][0]["severity"], "high");
  EXPECT_EQ(hb["ratings"][0]["method"], "CVSSv31");
  EXPECT_EQ(hb["ratings"][0]["source"]["name"], "nvd@nist.gov");
  EXPECT_EQ(hb["ratings"][0]["vector"], "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N");
  EXPECT_EQ(hb["ratings"][1]["method"], "CVSSv2");
  EXPECT_EQ(hb["cwes"], json::parse("[125]"));  // NVD-CWE-Other is not a CWE
  EXPECT_EQ(hb["description"], "The TLS heartbeat extension reads past a buffer.");
  EXPECT_EQ(hb["published"], "2014-04-07T22:55:03.893Z");
  EXPECT_EQ(hb["updated"], "2024-11-21T00:00:00Z");
  EXPECT_EQ(hb["recommendation"], "Upgrade openssl to 1.0.1g or later.");
  EXPECT_EQ(hb["advisories"], json::parse(R"([{"url":"https://heartbleed.com/"}])"));
  ASSERT_EQ(hb["references"].size(), 1u);  // the alias that is not the id itself
  EXPECT_EQ(hb["references"][0]["id"], "DSA-2896-1");

  const json& shared = bom["vulnerabilities"][1];
  EXPECT_EQ(shared["id"], "OSV-2099-1");
  ASSERT_EQ(shared["affects"].size(), 2u);
  EXPECT_EQ(shared["affects"][0]["ref"], inv.components[kBusybox].purl);
  EXPECT_EQ(shared["affects"][1]["ref"], inv.components[kDropbear].purl);
  EXPECT_EQ(shared["ratings"][0]["severity"], "medium");
  EXPECT_FALSE(shared["ratings"][0].contains("score"));  // 0: the source gave only a word
  EXPECT_FALSE(shared.contains("published"));            // not a date
  EXPECT_EQ(shared["recommendation"], "Upgrade dropbear to 2020.81 or later.");
}

TEST(CycloneDx, NoVulnerabilitiesNoSection) {
  json bom = json::parse(CycloneDxJson(TestInventory(), {}, {}));
  EXPECT_FALSE(bom.contains("vulnerabilities"));
}

TEST(CycloneDx, DuplicateRefsMadeUnique) {
  Inventory inv = TestInventory();
  // Purls that differ only in invalid UTF-8: one string once written (U+FFFD).
  inv.components[kOpenssl].purl = "pkg:generic/x\x9f";
  inv.components[kDropbear].purl = "pkg:generic/x\x9e";
  inv.components[kMusl].purl = inv.components[kOpenssl].purl;  // a merge gone wrong
  inv.components[kOpenwrt].purl.clear();
  // Garbage purls that spell the image's and an advisory's refs.
  inv.components[kUclibc].purl = ImageRef();
  inv.components[kBusybox].purl = "vulnerability:NVD:CVE-2014-0160";
  json bom = CycloneDx(inv);
  std::set<std::string> refs = {bom["metadata"]["component"]["bom-ref"]};
  for (const json& c : bom["components"]) {
    EXPECT_TRUE(refs.insert(c["bom-ref"].get<std::string>()).second) << c["bom-ref"];
  }
  for (const json& v : bom["vulnerabilities"]) {
    EXPECT_TRUE(refs.insert(v["bom-ref"].get<std::string>()).second) << v["bom-ref"];
  }
  EXPECT_EQ(bom["components"][kOpenwrt]["bom-ref"], "component:openwrt@19.07.7");
  EXPECT_EQ(bom["components"][kOpenwrt]["evidence"]["identity"][0]["field"], "name");
}

TEST(Sbom, DeterministicOutput) {
  Inventory inv = TestInventory();
  std::vector<VulnerabilityMatch> vulns = TestVulns();
  EXPECT_EQ(CycloneDxJson(inv, vulns, {}), CycloneDxJson(inv, vulns, {}));
  EXPECT_EQ(SpdxJson(inv, {}), SpdxJson(inv, {}));
  // The order vulnerability matches arrive in does not change the document.
  std::vector<VulnerabilityMatch> reversed(vulns.rbegin(), vulns.rend());
  EXPECT_EQ(CycloneDxJson(inv, vulns, {}), CycloneDxJson(inv, reversed, {}));
  // Another image, another serial number and namespace.
  Inventory other = inv;
  other.sha256 = Hex64('0');
  EXPECT_NE(json::parse(CycloneDxJson(inv, {}, {}))["serialNumber"],
            json::parse(CycloneDxJson(other, {}, {}))["serialNumber"]);
}

TEST(Sbom, HostileTextStaysInsideStrings) {
  Inventory inv = TestInventory();
  inv.components[kMusl].name = "mu\"sl\n\x01\xff\xfe";
  inv.components[kMusl].version = "1.2.3\"}]";
  inv.components[kMusl].evidence[0].matched = "\xc3\x28 bad utf-8";
  inv.components[kMusl].license = "MIT AND (";
  inv.image = "fw\xff.bin";
  std::string cdx = CycloneDxJson(inv, {}, {});
  std::string spdx = SpdxJson(inv, {});
  json bom = json::parse(cdx);  // throws on a broken document
  json doc = json::parse(spdx);
  EXPECT_EQ(bom["components"][kMusl]["name"], "mu\"sl\n\x01\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(bom["components"][kMusl]["licenses"][0]["license"]["name"], "MIT AND (");
  for (const json& p : doc["packages"]) {
    EXPECT_TRUE(
        std::regex_match(p["SPDXID"].get<std::string>(), std::regex("SPDXRef-[A-Za-z0-9.-]+")))
        << p["SPDXID"];
  }
}

// SPDX ------------------------------------------------------------------------------------

json Spdx(const Inventory& inv, const SbomOptions& options = {}) {
  return json::parse(SpdxJson(inv, options));
}

TEST(Spdx, DocumentFields) {
  Inventory inv = TestInventory();
  json doc = Spdx(inv);
  EXPECT_EQ(doc["spdxVersion"], "SPDX-2.3");
  EXPECT_EQ(doc["dataLicense"], "CC0-1.0");
  EXPECT_EQ(doc["SPDXID"], "SPDXRef-DOCUMENT");
  EXPECT_EQ(doc["creationInfo"]["created"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(doc["creationInfo"]["creators"], json::parse(R"(["Tool: clearbox-0.1.0"])"));
  // The namespace ends with the CycloneDX serial number's UUID: one image, one identity.
  std::string serial = json::parse(CycloneDxJson(inv, {}, {}))["serialNumber"];
  std::string ns = doc["documentNamespace"];
  EXPECT_TRUE(ns.starts_with("https://spdx.org/spdxdocs/clearbox/fw.bin-")) << ns;
  EXPECT_TRUE(ns.ends_with(serial.substr(std::string("urn:uuid:").size()))) << ns;

  SbomOptions options;
  options.timestamp = "2024-05-01T12:00:00.123+02:00";
  EXPECT_EQ(Spdx(inv, options)["creationInfo"]["created"], "2024-05-01T10:00:00Z");
}

TEST(Spdx, PackagesWithIdsAndRefs) {
  Inventory inv = TestInventory();
  json doc = Spdx(inv);
  ASSERT_EQ(doc["packages"].size(), kComponents + 1);
  const json& image = doc["packages"][0];
  EXPECT_EQ(image["SPDXID"], "SPDXRef-Image");
  EXPECT_EQ(image["primaryPackagePurpose"], "FIRMWARE");
  EXPECT_EQ(image["checksums"],
            json::parse(R"([{"algorithm":"SHA256","checksumValue":")" + inv.sha256 + "\"}]"));

  std::set<std::string> ids;
  const std::regex id_pattern("SPDXRef-[A-Za-z0-9.-]+");
  for (const json& p : doc["packages"]) {
    std::string id = p["SPDXID"];
    EXPECT_TRUE(std::regex_match(id, id_pattern)) << id;
    EXPECT_TRUE(ids.insert(id).second) << id;
    EXPECT_EQ(p["downloadLocation"], "NOASSERTION");
    EXPECT_EQ(p["filesAnalyzed"], false);
    EXPECT_EQ(p["licenseConcluded"], "NOASSERTION");
    EXPECT_EQ(p["copyrightText"], "NOASSERTION");
  }
  for (size_t i = 0; i < kComponents; ++i) {
    const json& p = doc["packages"][i + 1];
    const Component& c = inv.components[i];
    EXPECT_EQ(p["name"], c.name);
    EXPECT_EQ(p["versionInfo"], c.version);
    EXPECT_EQ(p["externalRefs"], json::array({{{"referenceCategory", "PACKAGE-MANAGER"},
                                               {"referenceType", "purl"},
                                               {"referenceLocator", c.purl}},
                                              {{"referenceCategory", "SECURITY"},
                                               {"referenceType", "cpe23Type"},
                                               {"referenceLocator", c.cpe}}}));
  }
  const json& busybox = doc["packages"][1 + kBusybox];
  EXPECT_EQ(busybox["SPDXID"], "SPDXRef-Package-busybox-1-1.35.0-4");
  EXPECT_EQ(busybox["supplier"], "Organization: Debian Busybox Team (busybox@packages.debian.org)");
  EXPECT_EQ(busybox["licenseDeclared"], "GPL-2.0-only");
  EXPECT_EQ(busybox["checksums"][0]["checksumValue"], Hex64('b'));
  EXPECT_EQ(busybox["primaryPackagePurpose"], "APPLICATION");
  const json& dropbear = doc["packages"][1 + kDropbear];
  EXPECT_EQ(dropbear["licenseDeclared"], "NOASSERTION");  // "GPLv2" is not SPDX
  EXPECT_THAT(
      dropbear["comment"].get<std::string>(),
      ::testing::HasSubstr("Declared license (not an SPDX License List expression): GPLv2"));
  EXPECT_EQ(dropbear["supplier"], "NOASSERTION");
  const json& openssl = doc["packages"][1 + kOpenssl];
  EXPECT_FALSE(openssl.contains("checksums"));
  EXPECT_EQ(openssl["primaryPackagePurpose"], "LIBRARY");
  EXPECT_THAT(openssl["comment"].get<std::string>(),
              ::testing::HasSubstr("Evidence: signature:openssl in " + std::string(kSquash) +
                                   ":/usr/lib/libssl.so.1.0.0 at offset 22136: OpenSSL 1.0.1f"));
  EXPECT_EQ(doc["packages"][1 + kOpenwrt]["primaryPackagePurpose"], "OPERATING-SYSTEM");
}

TEST(Spdx, RelationshipsExactly) {
  Inventory inv = TestInventory();
  json doc = Spdx(inv);
  std::map<std::string, std::string> id_of;  // name -> SPDXID
  for (const json& p : doc["packages"]) id_of[p["name"]] = p["SPDXID"];
  std::set<std::tuple<std::string, std::string, std::string>> got;
  for (const json& r : doc["relationships"]) {
    EXPECT_TRUE(
        got.emplace(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]).second)
        << r;
  }
  std::set<std::tuple<std::string, std::string, std::string>> expected = {
      {"SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image"}};
  for (const char* name : {"busybox", "dropbear", "musl", "openssl", "openwrt", "uclibc"}) {
    expected.emplace("SPDXRef-Image", "CONTAINS", id_of[name]);
  }
  expected.emplace(id_of["busybox"], "DEPENDS_ON", id_of["uclibc"]);
  expected.emplace(id_of["dropbear"], "DEPENDS_ON", id_of["busybox"]);
  expected.emplace(id_of["dropbear"], "DEPENDS_ON", id_of["openssl"]);
  expected.emplace(id_of["dropbear"], "DEPENDS_ON", id_of["uclibc"]);
  expected.emplace(id_of["openssl"], "DEPENDS_ON", id_of["uclibc"]);
  EXPECT_EQ(got, expected);
}

TEST(Spdx, IdsUniqueAfterSanitizing) {
  Inventory inv = TestInventory();
  inv.components[kMusl].name = "a b";
  inv.components[kMusl].version = "1";
  inv.components[kOpenssl].name = "a/b";
  inv.components[kOpenssl].version = "1";
  json doc = Spdx(inv);
  EXPECT_EQ(doc["packages"][1 + kMusl]["SPDXID"], "SPDXRef-Package-a-b-1");
  EXPECT_EQ(doc["packages"][1 + kOpenssl]["SPDXID"], "SPDXRef-Package-a-b-1-3");
}

// License expressions ---------------------------------------------------------------------

TEST(SpdxLicense, ValidExpressionsCanonicalised) {
  std::string out;
  EXPECT_TRUE(IsSpdxLicenseExpression("MIT", &out));
  EXPECT_EQ(out, "MIT");
  EXPECT_TRUE(IsSpdxLicenseExpression("gpl-2.0+ or  bsd-3-clause", &out));
  EXPECT_EQ(out, "GPL-2.0+ OR BSD-3-Clause");
  EXPECT_TRUE(
      IsSpdxLicenseExpression("(MIT AND Zlib) OR GPL-2.0-or-later WITH "
                              "Linux-syscall-note",
                              &out));
  EXPECT_EQ(out, "(MIT AND Zlib) OR GPL-2.0-or-later WITH Linux-syscall-note");
  EXPECT_TRUE(IsSpdxLicenseExpression("LicenseRef-vendor-EULA", &out));
  EXPECT_TRUE(IsSpdxLicenseExpression("GPL-2.0", &out));  // deprecated, still an id
  EXPECT_TRUE(IsSpdxLicenseExpression("OpenSSL", &out));
}

TEST(SpdxLicense, InvalidExpressionsRejected) {
  for (const char* bad : {"", "GPLv2", "MIT BSD", "MIT AND", "(MIT", "MIT)", "MIT WITH MIT",
                          "And MIT", "MIT And Zlib", "GPL-2.0-only WITH", "LicenseRef-",
                          "LicenseRef-a_b", "DocumentRef-x", "GPL 2", "MIT,Zlib"}) {
    EXPECT_FALSE(IsSpdxLicenseExpression(bad)) << bad;
  }
  std::string deep(100, '(');
  deep += "MIT" + std::string(100, ')');
  EXPECT_FALSE(IsSpdxLicenseExpression(deep));  // nesting past the bound
  EXPECT_FALSE(IsSpdxLicenseExpression(std::string(3000, 'M')));
}

TEST(SbomInternal, DateTimes) {
  using internal::NormalizeDateTime;
  EXPECT_EQ(NormalizeDateTime("2014-04-07T22:55:03.893"), "2014-04-07T22:55:03.893Z");
  EXPECT_EQ(NormalizeDateTime("2014-04-07"), "2014-04-07T00:00:00Z");
  EXPECT_EQ(NormalizeDateTime("2014-04-07T22:55:03Z"), "2014-04-07T22:55:03Z");
  EXPECT_EQ(NormalizeDateTime("2014-04-07T22:55:03-0530"), "2014-04-07T22:55:03-05:30");
  EXPECT_EQ(NormalizeDateTime("2014-04-07T22:55:03-05:30", true), "2014-04-08T04:25:03Z");
  for (const char* bad : {"", "2014", "2014-13-01", "2014-02-30", "2014-04-07T25:00:00",
                          "2014-04-07T22:55", "2014-04-07X", "2014-04-07T22:55:03+5"}) {
    EXPECT_EQ(NormalizeDateTime(bad), std::nullopt) << bad;
  }
}

// The schema check by CycloneDX's own library ---------------------------------------------

struct RunResult {
  int exit_code = -1;
  std::string output;
};

RunResult RunCommand(const std::string& command) {
  RunResult r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) r.output.append(buf, n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class CycloneDxSchema : public ::testing::Test {
 protected:
  void SetUp() override {
    if (RunCommand("command -v node").exit_code != 0) GTEST_SKIP() << "node is not installed";
    prefix_ = testing::NpmPrefix(CLEARBOX_SOURCE_DIR);
    if (!std::filesystem::exists(prefix_ + "/node_modules/@cyclonedx/cyclonedx-library")) {
      std::string why = "@cyclonedx/cyclonedx-library is not installed under " + prefix_ +
                        " (npm install --prefix " + prefix_ +
                        " @cyclonedx/cyclonedx-library ajv ajv-formats ajv-formats-draft2019)";
      if (testing::ValidatorsRequired()) FAIL() << why;
      GTEST_SKIP() << why;
    }
    dir_ =
        std::filesystem::temp_directory_path() / ("clearbox-sbom-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  RunResult Validate(const std::string& name, const std::string& document) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << document;
    return RunCommand("CLEARBOX_NPM_PREFIX='" + prefix_ + "' node '" + CLEARBOX_SOURCE_DIR +
                      "/tests/sbom_validate.js' '" + path + "'");
  }

  std::string prefix_;
  std::filesystem::path dir_;
};

TEST_F(CycloneDxSchema, TestInventoryIsValid) {
  SbomOptions options;
  options.timestamp = "2024-05-01T12:00:00Z";
  std::vector<VulnerabilityMatch> vulns = TestVulns();
  RunResult r = Validate("full.cdx.json", CycloneDxJson(TestInventory(), vulns, options));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = Validate("bare.cdx.json", CycloneDxJson(Inventory{}, {}, {}));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(CycloneDxSchema, HostileInventoryIsValid) {
  Inventory inv = TestInventory();
  inv.components[kMusl].name = "mu\"sl\n\x01\xff";
  inv.components[kMusl].version = std::string(5000, 'v');
  inv.components[kOpenssl].license = "MIT AND (";
  inv.sha256 = "not a hash";
  std::vector<VulnerabilityMatch> vulns = TestVulns();
  vulns[0].vulnerability.source_url = "javascript:alert(1) <x>";
  vulns[0].vulnerability.cwes = {"CWE-0", "CWE-99999999999", "CWE-x"};
  RunResult r = Validate("hostile.cdx.json", CycloneDxJson(inv, vulns, {}));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(CycloneDxSchema, BrokenDocumentsAreRejected) {
  json bom = json::parse(CycloneDxJson(TestInventory(), TestVulns(), {}));
  json no_name = bom;
  no_name["components"][0].erase("name");
  RunResult r = Validate("no-name.cdx.json", no_name.dump());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("name"));

  json bad_type = bom;
  bad_type["components"][0]["type"] = "kernel";
  EXPECT_EQ(Validate("bad-type.cdx.json", bad_type.dump()).exit_code, 1);

  json bad_date = bom;
  bad_date["vulnerabilities"][0]["published"] = "2014-04-07T22:55:03.893";  // no zone
  EXPECT_EQ(Validate("bad-date.cdx.json", bad_date.dump()).exit_code, 1);
}

// Real images -----------------------------------------------------------------------------
// The images tests/images/build-inventory-images.sh builds from Debian bookworm packages
// (cached under the build tree; built here when absent). Their binaries are Debian's own, so
// what they load is a fact of Debian 12: /usr/bin/curl needs libcurl.so.4, libz.so.1 and
// libc.so.6; libcurl needs libssl.so.3 and libcrypto.so.3 (package libssl3); sshd needs
// libcrypto.so.3 and libz.so.1; /usr/bin/openssl needs libssl.so.3.

class RealImages : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(CLEARBOX_BINARY_DIR) + "/test-images/inventory";
    if (!std::filesystem::exists(dir_ + "/images/debian.uimg")) {
      std::string script =
          std::string(CLEARBOX_SOURCE_DIR) + "/tests/images/build-inventory-images.sh";
      if (!std::filesystem::exists(script)) GTEST_SKIP() << script << " is not there";
      RunResult r = RunCommand("bash '" + script + "' '" + dir_ + "'");
      if (r.exit_code != 0) GTEST_SKIP() << "cannot build the images: " << r.output;
    }
  }

  inventory::Inventory Inventory(const std::string& name) {
    auto inv = inventory::InventoryFile(dir_ + "/images/" + name, inventory::Options{});
    EXPECT_TRUE(inv.ok()) << inv.error().message();
    return inv.ok() ? std::move(inv.value()) : inventory::Inventory{};
  }

  std::string dir_;
};

// name -> names of the components it depends on, from the CycloneDX dependencies.
std::map<std::string, std::set<std::string>> EdgesByName(const json& bom) {
  std::map<std::string, std::string> name_of;
  for (const json& c : bom["components"]) name_of[c["bom-ref"]] = c["name"];
  std::map<std::string, std::set<std::string>> out;
  for (const json& d : bom["dependencies"]) {
    if (!name_of.count(d["ref"])) continue;  // the image
    std::set<std::string>& to = out[name_of[d["ref"]]];
    for (const json& r : d.value("dependsOn", json::array())) {
      EXPECT_TRUE(name_of.count(r)) << "dangling " << r;
      to.insert(name_of[r]);
    }
  }
  return out;
}

TEST_F(RealImages, DebianImageDependencies) {
  inventory::Inventory inv = Inventory("debian.uimg");
  ASSERT_FALSE(inv.components.empty());
  json bom = json::parse(CycloneDxJson(inv, {}, {}));
  std::map<std::string, std::set<std::string>> edges = EdgesByName(bom);
  using ::testing::IsSupersetOf;
  // From DT_NEEDED (binaries found by their version strings have no Depends).
  EXPECT_EQ(edges["curl"], (std::set<std::string>{"libcurl", "libc6", "zlib1g"}));
  EXPECT_EQ(edges["libcurl"], (std::set<std::string>{"libssl3", "libc6", "zlib1g"}));
  // From DT_NEEDED and Depends (which also names packages absent from the image).
  EXPECT_EQ(edges["openssh-server"], (std::set<std::string>{"libssl3", "libc6", "zlib1g"}));
  EXPECT_EQ(edges["openssl"], (std::set<std::string>{"libssl3", "libc6"}));
  EXPECT_EQ(edges["libssl3"], (std::set<std::string>{"libc6"}));
  EXPECT_EQ(edges["libc6"], (std::set<std::string>{}));  // ld.so is its own; libgcc-s1 absent

  // Every component in both documents, with its purl and CPE.
  json doc = json::parse(SpdxJson(inv, {}));
  ASSERT_EQ(bom["components"].size(), inv.components.size());
  ASSERT_EQ(doc["packages"].size(), inv.components.size() + 1);
  size_t contains = 0;
  for (const json& r : doc["relationships"]) contains += r["relationshipType"] == "CONTAINS";
  EXPECT_EQ(contains, inv.components.size());
  for (size_t i = 0; i < inv.components.size(); ++i) {
    EXPECT_EQ(bom["components"][i]["purl"], inv.components[i].purl);
    EXPECT_EQ(bom["components"][i].value("cpe", ""), inv.components[i].cpe);
    const json& refs = doc["packages"][i + 1].value("externalRefs", json::array());
    ASSERT_FALSE(refs.empty()) << inv.components[i].name;
    EXPECT_EQ(refs[0]["referenceLocator"], inv.components[i].purl);
  }
  auto by_name = ComponentsByName(bom);
  EXPECT_EQ(by_name["linux-kernel"]["type"], "operating-system");
  EXPECT_EQ(by_name["debian"]["type"], "operating-system");
  EXPECT_EQ(by_name["libssl3"]["type"], "library");
  EXPECT_EQ(by_name["curl"]["type"], "application");
  // curl is one file: its hash is that file's.
  const inventory::FileRecord* curl =
      inv.FindFile(std::string("debian.uimg!uimage@0x0!squashfs:/usr/bin/curl"));
  ASSERT_NE(curl, nullptr);
  EXPECT_EQ(by_name["curl"]["hashes"][0]["content"], curl->sha256);
}

TEST_F(RealImages, EveryImageValidates) {
  if (RunCommand("command -v node").exit_code != 0) GTEST_SKIP() << "node is not installed";
  std::string prefix = testing::NpmPrefix(CLEARBOX_SOURCE_DIR);
  if (!std::filesystem::exists(prefix + "/node_modules/@cyclonedx/cyclonedx-library")) {
    if (testing::ValidatorsRequired()) FAIL() << "no @cyclonedx/cyclonedx-library under " << prefix;
    GTEST_SKIP() << "@cyclonedx/cyclonedx-library is not installed under " << prefix;
  }
  std::filesystem::path tmp =
      std::filesystem::temp_directory_path() / ("clearbox-sbom-real-" + std::to_string(getpid()));
  std::filesystem::create_directories(tmp);
  for (const char* name : {"debian.uimg", "openwrt.trx", "flash.bin"}) {
    inventory::Inventory inv = Inventory(name);
    EXPECT_FALSE(inv.components.empty()) << name;
    std::string path = (tmp / (std::string(name) + ".cdx.json")).string();
    SbomOptions options;
    options.timestamp = "2024-05-01T12:00:00Z";
    std::ofstream(path) << CycloneDxJson(inv, {}, options);
    RunResult r = RunCommand("CLEARBOX_NPM_PREFIX='" + prefix + "' node '" + CLEARBOX_SOURCE_DIR +
                             "/tests/sbom_validate.js' '" + path + "'");
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.output;
  }
  std::filesystem::remove_all(tmp);
}

}  // namespace
}  // namespace clearbox::report
