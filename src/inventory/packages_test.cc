// Package databases and release files: real-format samples (testdata/packages: excerpts of
// this Debian 12 machine's dpkg status, OpenWrt 22.03 opkg files, an Alpine 3.18 apk db),
// this machine's whole dpkg status against dpkg-query, and one test per kind of bad input.
#include "clearbox/inventory/packages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace clearbox::inventory {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Sample(const std::string& name) {
  std::string text =
      ReadFile(std::string(CLEARBOX_SOURCE_DIR) + "/src/inventory/testdata/packages/" + name);
  EXPECT_FALSE(text.empty()) << name;
  return text;
}

const Component* Find(const PackageDbResult& r, std::string_view name) {
  for (const Component& c : r.components) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> Names(const PackageDbResult& r) {
  std::vector<std::string> out;
  for (const Component& c : r.components) out.push_back(c.name);
  return out;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += s + "\n";
  return out;
}

const OsContext kDebian12{"debian", "12", "bookworm"};

TEST(PackageDbKindForPath, KnowsTheDatabasesByPath) {
  EXPECT_EQ(PackageDbKindForPath("/var/lib/dpkg/status"), PackageDbKind::kDpkgStatus);
  EXPECT_EQ(PackageDbKindForPath("/usr/lib/opkg/status"), PackageDbKind::kOpkgStatus);
  EXPECT_EQ(PackageDbKindForPath("/usr/lib/opkg/info/busybox.control"),
            PackageDbKind::kOpkgControl);
  EXPECT_EQ(PackageDbKindForPath("/usr/lib/ipkg/status"), PackageDbKind::kOpkgStatus);
  EXPECT_EQ(PackageDbKindForPath("/usr/lib/ipkg/info/busybox.control"),
            PackageDbKind::kOpkgControl);
  EXPECT_EQ(PackageDbKindForPath("/lib/apk/db/installed"), PackageDbKind::kApkInstalled);
  EXPECT_EQ(PackageDbKindForPath("/etc/os-release"), PackageDbKind::kOsRelease);
  EXPECT_EQ(PackageDbKindForPath("/usr/lib/os-release"), PackageDbKind::kOsRelease);
  EXPECT_EQ(PackageDbKindForPath("/etc/openwrt_release"), PackageDbKind::kOpenwrtRelease);
  EXPECT_EQ(PackageDbKindForPath("/etc/openwrt_version"), PackageDbKind::kOpenwrtVersion);
  EXPECT_EQ(PackageDbKindForPath("/var/lib/dpkg/status-old"), std::nullopt);
  EXPECT_EQ(PackageDbKindForPath("/usr/lib/opkg/info/.control"), std::nullopt);
  EXPECT_EQ(PackageDbKindForPath("/usr/lib/opkg/info/a/b.control"), std::nullopt);
  EXPECT_EQ(PackageDbKindForPath("/usr/lib/opkg/info/busybox.list"), std::nullopt);
  EXPECT_EQ(PackageDbKindName(PackageDbKind::kApkInstalled), "apk-installed");
}

TEST(UpstreamVersion, Debian) {
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "1:9.2p1-2+deb12u3"), "9.2p1");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "1:1.2.13.dfsg-1"), "1.2.13");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "2.9.14+dfsg-1.3~deb12u6"), "2.9.14");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "3.0.19-1~deb12u2"), "3.0.19");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "5.2.15-2+b8"), "5.2.15");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "2:8.39-15"), "8.39");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "1.0~rc1-2"), "1.0~rc1");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "3.134"), "3.134");  // native package
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "0.17+2.4-2+deb12u1"), "0.17+2.4");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "2.4+really2.3-1"), "2.3");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "1.2+ds1-3"), "1.2");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "1.2+dsx-3"), "1.2+dsx");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "a:1.0-1"), "a:1.0");  // not an epoch
  // OpenWrt (opkg orders versions as dpkg does): the release after the last '-'.
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "1.36.1-1"), "1.36.1");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "2.86-16.3"), "2.86");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "2022-01-16-cff80b4f-13.2"),
            "2022-01-16-cff80b4f");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kDebian, "-1"), "-1");  // nothing left: as given
}

TEST(UpstreamVersion, ApkAndOthers) {
  EXPECT_EQ(UpstreamVersion(VersionScheme::kApk, "1.36.1-r5"), "1.36.1");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kApk, "3.1.4-r0"), "3.1.4");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kApk, "1.2.3_rc1-r12"), "1.2.3_rc1");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kApk, "1.2.3-rc1"), "1.2.3-rc1");  // not -rN
  EXPECT_EQ(UpstreamVersion(VersionScheme::kGeneric, "1:2-3"), "1:2-3");
  EXPECT_EQ(UpstreamVersion(VersionScheme::kOpenssl, "1.0.1f"), "1.0.1f");
}

TEST(CpeMap, BuiltInMapsTheWellKnownPackages) {
  const CpeMap& map = CpeMap::BuiltIn();
  EXPECT_GT(map.package_entries(), 100u);  // the embedded file parsed
  auto product = [&](std::string_view name) {
    auto p = map.ForPackage(name);
    return p ? p->vendor + ":" + p->product : std::string("-");
  };
  EXPECT_EQ(product("openssl"), "openssl:openssl");
  EXPECT_EQ(product("libssl3"), "openssl:openssl");
  EXPECT_EQ(product("libopenssl1.1"), "openssl:openssl");
  EXPECT_EQ(product("openssh-server"), "openbsd:openssh");
  EXPECT_EQ(product("dropbear"), "dropbear_ssh_project:dropbear_ssh");
  EXPECT_EQ(product("BusyBox"), "busybox:busybox");
  EXPECT_EQ(product("dnsmasq-full"), "thekelleys:dnsmasq");
  EXPECT_EQ(product("libcurl4"), "haxx:curl");
  EXPECT_EQ(product("wpad-basic-wolfssl"), "w1.fi:hostapd");
  EXPECT_EQ(product("wpasupplicant"), "w1.fi:wpa_supplicant");
  EXPECT_EQ(product("zlib1g"), "zlib:zlib");
  EXPECT_EQ(product("libpcre3"), "pcre:pcre");
  EXPECT_EQ(product("libpcre2-8-0"), "pcre:pcre2");  // the longer prefix wins
  EXPECT_EQ(product("libc6"), "gnu:glibc");
  EXPECT_EQ(product("musl"), "musl-libc:musl");
  EXPECT_EQ(product("libc"), "-");          // OpenWrt's musl, glibc elsewhere: not guessed
  EXPECT_EQ(product("libcrypto++8"), "-");  // Crypto++, not OpenSSL
  EXPECT_EQ(product("ntpsec"), "-");
  EXPECT_EQ(product(""), "-");
  auto os = map.ForOs("openwrt");
  ASSERT_TRUE(os);
  EXPECT_EQ(os->part, 'o');
  EXPECT_EQ(map.ForOs("debian")->product, "debian_linux");
}

TEST(CpeMap, RejectsBadMaps) {
  auto bad = [](std::string_view json) {
    Result<CpeMap> m = CpeMap::Parse(json);
    return m.ok() ? std::string("ok") : m.error().message();
  };
  EXPECT_THAT(bad("{"), HasSubstr("not JSON"));
  EXPECT_THAT(bad("[]"), HasSubstr("not a JSON object"));
  EXPECT_THAT(bad(R"({"packages": {}})"), HasSubstr("\"packages\" must be a list"));
  EXPECT_THAT(bad(R"({"packages": [{"vendor": "a", "names": ["x"]}]})"),
              HasSubstr("packages[0]: vendor and product must be strings"));
  EXPECT_THAT(bad(R"({"packages": [{"vendor": "A B", "product": "b", "names": ["x"]}]})"),
              HasSubstr("not a lower-case CPE word"));
  EXPECT_THAT(bad(R"({"packages": [{"vendor": "a", "product": "b", "names": ["x*y"]}]})"),
              HasSubstr("bad name pattern \"x*y\""));
  EXPECT_THAT(bad(R"({"packages": [{"vendor": "a", "product": "b", "names": ["*"]}]})"),
              HasSubstr("bad name pattern"));
  EXPECT_THAT(bad(R"({"packages": [{"vendor": "a", "product": "b", "names": []}]})"),
              HasSubstr("\"names\" must be a list"));
  EXPECT_THAT(bad(R"({"packages": [{"vendor": "a", "product": "b", "part": "x",
                                     "names": ["x"]}]})"),
              HasSubstr("part must be"));
  EXPECT_THAT(bad(R"({"packages": [{"vendor": "a", "product": "b", "names": ["x", "X"]}]})"),
              HasSubstr("\"x\" is listed twice"));
  EXPECT_EQ(bad(R"({"packages": [{"vendor": "a", "product": "b", "names": ["x", "y*"]}]})"), "ok");
}

TEST(DpkgStatus, RealDebianStanzas) {
  std::string text = Sample("dpkg-status");
  PackageDbResult r =
      ParsePackageDb(PackageDbKind::kDpkgStatus, text, "fw!ext4:/var/lib/dpkg/status", kDebian12);
  EXPECT_THAT(r.problems, IsEmpty()) << Joined(r.problems);
  // telnetd ("deinstall ok config-files") left only its configuration: not listed.
  EXPECT_THAT(Names(r), ElementsAre("bash", "libssl3", "zlib1g", "openssh-client", "libc6",
                                    "libxml2", "libpcre3", "libcurl4", "busybox"));

  const Component* bash = Find(r, "bash");
  ASSERT_TRUE(bash);
  EXPECT_EQ(bash->version, "5.2.15-2+b8");
  EXPECT_EQ(bash->scheme, VersionScheme::kDebian);
  EXPECT_EQ(bash->source, ComponentSource::kPackageDatabase);
  EXPECT_EQ(bash->supplier, "Matthias Klose <doko@debian.org>");
  EXPECT_EQ(bash->purl, "pkg:deb/debian/bash@5.2.15-2%2Bb8?arch=amd64&distro=debian-12");
  // The source version (a binNMU's "+b8" is not upstream's) gives the CPE version.
  EXPECT_EQ(bash->cpe, "cpe:2.3:a:gnu:bash:5.2.15:*:*:*:*:*:*:*");
  EXPECT_THAT(bash->depends, ElementsAre("libc6", "libtinfo6", "base-files", "debianutils"));
  ASSERT_EQ(bash->evidence.size(), 1u);
  EXPECT_EQ(bash->evidence[0].method, "dpkg-status");
  EXPECT_EQ(bash->evidence[0].provenance, "fw!ext4:/var/lib/dpkg/status");
  EXPECT_EQ(bash->evidence[0].offset, 0u);
  EXPECT_EQ(bash->evidence[0].matched,
            "Package: bash / Version: 5.2.15-2+b8 / Source: bash (5.2.15-2)");
  EXPECT_THAT(bash->notes, IsEmpty());

  const Component* ssl = Find(r, "libssl3");
  ASSERT_TRUE(ssl);
  EXPECT_EQ(ssl->purl, "pkg:deb/debian/libssl3@3.0.19-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl");
  EXPECT_EQ(ssl->cpe, "cpe:2.3:a:openssl:openssl:3.0.19:*:*:*:*:*:*:*");
  EXPECT_EQ(ssl->evidence[0].offset, text.find("Package: libssl3"));

  const Component* zlib = Find(r, "zlib1g");
  EXPECT_EQ(zlib->version, "1:1.2.13.dfsg-1");
  EXPECT_EQ(zlib->purl, "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib");
  EXPECT_EQ(zlib->cpe, "cpe:2.3:a:zlib:zlib:1.2.13:*:*:*:*:*:*:*");
  EXPECT_EQ(Find(r, "openssh-client")->cpe, "cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*");
  EXPECT_EQ(Find(r, "libc6")->cpe, "cpe:2.3:a:gnu:glibc:2.36:*:*:*:*:*:*:*");
  EXPECT_EQ(Find(r, "libxml2")->cpe, "cpe:2.3:a:xmlsoft:libxml2:2.9.14:*:*:*:*:*:*:*");
  EXPECT_EQ(Find(r, "libpcre3")->cpe, "cpe:2.3:a:pcre:pcre:8.39:*:*:*:*:*:*:*");
  EXPECT_EQ(Find(r, "libcurl4")->cpe, "cpe:2.3:a:haxx:curl:7.88.1:*:*:*:*:*:*:*");
  EXPECT_THAT(Find(r, "openssh-client")->depends,
              ElementsAre("adduser", "passwd", "libc6", "libedit2", "libfido2-1",
                          "libgssapi-krb5-2", "libselinux1", "libssl3", "zlib1g"));

  // half-configured: its files are on disk, so it is listed, with a note.
  const Component* busybox = Find(r, "busybox");
  EXPECT_EQ(busybox->version, "1:1.35.0-4+b3");
  EXPECT_EQ(busybox->cpe, "cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*");
  EXPECT_THAT(Joined(busybox->notes), HasSubstr("half-configured"));
}

TEST(DpkgStatus, WithoutOsContextTheVendorIsDebianAndNoDistro) {
  PackageDbResult r = ParsePackageDb(PackageDbKind::kDpkgStatus, Sample("dpkg-status"), "s", {});
  EXPECT_EQ(Find(r, "libssl3")->purl, "pkg:deb/debian/libssl3@3.0.19-1~deb12u2?arch=amd64&upstream=openssl");
  OsContext ubuntu{"ubuntu", "22.04", "jammy"};
  r = ParsePackageDb(PackageDbKind::kDpkgStatus, Sample("dpkg-status"), "s", ubuntu);
  EXPECT_EQ(Find(r, "libssl3")->purl,
            "pkg:deb/ubuntu/libssl3@3.0.19-1~deb12u2?arch=amd64&distro=ubuntu-22.04&upstream=openssl");
}

// Every package dpkg-query lists as on disk is found with the same version, and no other.
TEST(DpkgStatus, ThisMachinesDatabaseMatchesDpkgQuery) {
  std::string status = ReadFile("/var/lib/dpkg/status");
  ASSERT_FALSE(status.empty());
  FILE* p =
      popen("dpkg-query -W -f '${db:Status-Status} ${Package}:${Architecture} ${Version}\\n'", "r");
  ASSERT_NE(p, nullptr);
  std::multiset<std::string> expected;
  char buf[4096];
  std::set<std::string> on_disk = {"installed", "triggers-awaited", "triggers-pending",
                                   "half-configured", "unpacked"};
  while (fgets(buf, sizeof buf, p)) {
    std::string line(buf);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    size_t sp = line.find(' ');
    if (on_disk.count(line.substr(0, sp))) expected.insert(line.substr(sp + 1));
  }
  ASSERT_EQ(pclose(p), 0);
  ASSERT_GT(expected.size(), 100u);

  OsContext os = OsContextFromOsRelease(ReadFile("/etc/os-release"));
  auto start = std::chrono::steady_clock::now();
  PackageDbResult r =
      ParsePackageDb(PackageDbKind::kDpkgStatus, status, "/var/lib/dpkg/status", os);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::multiset<std::string> found;
  for (const Component& c : r.components) {
    size_t arch = c.purl.find("?arch=");
    ASSERT_NE(arch, std::string::npos) << c.purl;
    size_t end = c.purl.find('&', arch);
    found.insert(c.name + ":" + c.purl.substr(arch + 6, end - arch - 6) + " " + c.version);
  }
  EXPECT_EQ(found, expected);
  EXPECT_THAT(r.problems, IsEmpty()) << Joined(r.problems);
  std::printf("parsed %zu packages (%zu bytes) in %.1f ms\n", r.components.size(), status.size(),
              ms);
}

TEST(OpkgStatus, OpenWrtDatabase) {
  OsContext os = OsContextFromOsRelease(Sample("os-release-openwrt22"));
  EXPECT_EQ(os.id, "openwrt");
  EXPECT_EQ(os.version_id, "22.03.5");
  PackageDbResult r = ParsePackageDb(PackageDbKind::kOpkgStatus, Sample("opkg-status"),
                                     "fw!squashfs:/usr/lib/opkg/status", os);
  EXPECT_THAT(r.problems, IsEmpty()) << Joined(r.problems);
  // kmod-ppp is "not-installed"; luci-app-firewall only unpacked (listed, with a note).
  EXPECT_THAT(Names(r), ElementsAre("libgcc1", "libc", "busybox", "dropbear", "dnsmasq",
                                    "wpad-basic-wolfssl", "luci-app-firewall"));
  const Component* busybox = Find(r, "busybox");
  EXPECT_EQ(busybox->version, "1.35.0-3");
  EXPECT_EQ(busybox->scheme, VersionScheme::kDebian);
  EXPECT_EQ(busybox->purl, "pkg:opkg/openwrt/busybox@1.35.0-3?arch=mipsel_24kc");
  EXPECT_EQ(busybox->cpe, "cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*");
  EXPECT_THAT(busybox->depends, ElementsAre("libc"));
  EXPECT_EQ(busybox->evidence[0].method, "opkg-status");
  EXPECT_EQ(busybox->evidence[0].matched, "Package: busybox / Version: 1.35.0-3");
  EXPECT_EQ(Find(r, "libc")->cpe, "");  // musl here, but the name alone does not say so
  EXPECT_EQ(Find(r, "dnsmasq")->cpe, "cpe:2.3:a:thekelleys:dnsmasq:2.86:*:*:*:*:*:*:*");
  EXPECT_EQ(Find(r, "dropbear")->cpe,
            "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2022.82:*:*:*:*:*:*:*");
  EXPECT_THAT(Find(r, "dnsmasq")->depends, ElementsAre("libc", "libubus20220601"));
  EXPECT_EQ(Find(r, "luci-app-firewall")->purl,
            "pkg:opkg/openwrt/luci-app-firewall@git-23.051.66410-a505bb1-1?arch=all");
  EXPECT_THAT(Joined(Find(r, "luci-app-firewall")->notes), HasSubstr("unpacked"));
}

TEST(OpkgControl, OpenWrtControlFilesMergeIntoTheStatus) {
  OsContext os{"openwrt", "22.03.5", ""};
  PackageDbResult c = ParsePackageDb(PackageDbKind::kOpkgControl, Sample("dropbear.control"),
                                     "fw!squashfs:/usr/lib/opkg/info/dropbear.control", os);
  EXPECT_THAT(c.problems, IsEmpty()) << Joined(c.problems);
  ASSERT_EQ(c.components.size(), 1u);
  const Component& d = c.components[0];
  EXPECT_EQ(d.name, "dropbear");
  EXPECT_EQ(d.license, "MIT");
  EXPECT_EQ(d.supplier, "Felix Fietkau <nbd@nbd.name>");
  EXPECT_EQ(d.purl, "pkg:opkg/openwrt/dropbear@2022.82-2?arch=mipsel_24kc");
  // OpenWrt's own CPE-ID (a CPE 2.2 URI) wins over the built-in map.
  EXPECT_EQ(d.cpe, "cpe:2.3:a:matt_johnston:dropbear_ssh_server:2022.82:*:*:*:*:*:*:*");
  EXPECT_EQ(d.evidence[0].method, "opkg-control");
  EXPECT_EQ(d.evidence[0].matched,
            "Package: dropbear / Version: 2022.82-2 / Source: package/network/services/dropbear");

  PackageDbResult status = ParsePackageDb(PackageDbKind::kOpkgStatus, Sample("opkg-status"),
                                          "fw!squashfs:/usr/lib/opkg/status", os);
  PackageDbResult busybox = ParsePackageDb(PackageDbKind::kOpkgControl, Sample("busybox.control"),
                                           "fw!squashfs:/usr/lib/opkg/info/busybox.control", os);
  std::vector<Component> all = status.components;
  for (auto* r : {&busybox, &c}) {
    for (const Component& x : r->components) all.push_back(x);
  }
  MergePackageComponents(all);
  ASSERT_EQ(all.size(), status.components.size());
  const Component& merged = all[2];
  EXPECT_EQ(merged.name, "busybox");
  EXPECT_EQ(merged.license, "GPL-2.0");
  EXPECT_EQ(merged.supplier, "Felix Fietkau <nbd@nbd.name>");
  ASSERT_EQ(merged.evidence.size(), 2u);
  EXPECT_EQ(merged.evidence[0].method, "opkg-status");
  EXPECT_EQ(merged.evidence[1].method, "opkg-control");
  // The status had a CPE from the map already: the first one stays.
  EXPECT_EQ(all[3].cpe, "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2022.82:*:*:*:*:*:*:*");
  EXPECT_EQ(all[3].license, "MIT");
}

TEST(ApkInstalled, AlpineDatabase) {
  OsContext os = OsContextFromOsRelease(Sample("os-release-alpine318"));
  PackageDbResult r = ParsePackageDb(PackageDbKind::kApkInstalled, Sample("apk-installed"),
                                     "img!squashfs:/lib/apk/db/installed", os);
  EXPECT_THAT(r.problems, IsEmpty()) << Joined(r.problems);
  EXPECT_THAT(Names(r),
              ElementsAre("musl", "busybox", "libcrypto3", "libssl3", "ssl_client", "zlib"));
  const Component* musl = Find(r, "musl");
  EXPECT_EQ(musl->version, "1.2.4-r2");
  EXPECT_EQ(musl->scheme, VersionScheme::kApk);
  EXPECT_EQ(musl->license, "MIT");
  EXPECT_EQ(musl->supplier, "Timo Teräs <timo.teras@iki.fi>");
  EXPECT_EQ(musl->purl, "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64");
  EXPECT_EQ(musl->cpe, "cpe:2.3:a:musl-libc:musl:1.2.4:*:*:*:*:*:*:*");
  EXPECT_THAT(musl->files, ElementsAre("img!squashfs:/lib/ld-musl-x86_64.so.1",
                                       "img!squashfs:/lib/libc.musl-x86_64.so.1"));
  EXPECT_EQ(musl->evidence[0].method, "apk-installed");
  EXPECT_EQ(musl->evidence[0].offset, 0u);
  EXPECT_EQ(musl->evidence[0].matched, "P:musl / V:1.2.4-r2");

  const Component* busybox = Find(r, "busybox");
  EXPECT_EQ(busybox->cpe, "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*");
  EXPECT_EQ(busybox->license, "GPL-2.0-only");
  EXPECT_THAT(busybox->files,
              ElementsAre("img!squashfs:/bin/busybox", "img!squashfs:/bin/sh",
                          "img!squashfs:/etc/securetty", "img!squashfs:/etc/udhcpd.conf"));
  // "so:" dependencies resolve to the packages that provide them.
  EXPECT_THAT(busybox->depends, ElementsAre("musl"));
  const Component* client = Find(r, "ssl_client");
  EXPECT_THAT(client->depends, ElementsAre("musl", "libcrypto3", "libssl3"));
  EXPECT_THAT(client->files, ElementsAre("img!squashfs:/usr/bin/ssl_client"));
  // The origin (o:openssl) names the project of a library package.
  EXPECT_EQ(Find(r, "libcrypto3")->cpe, "cpe:2.3:a:openssl:openssl:3.1.4:*:*:*:*:*:*:*");
  EXPECT_EQ(Find(r, "ssl_client")->cpe, "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*");
  EXPECT_EQ(Find(r, "zlib")->purl, "pkg:apk/alpine/zlib@1.2.13-r1?arch=x86_64");
  EXPECT_EQ(Find(r, "zlib")->evidence[0].offset,
            Sample("apk-installed").find("C:Q1Ekf5ESgp2MYEVLI6Z+Ew4e+2qe4="));
}

TEST(OsRelease, RealReleaseFiles) {
  struct Case {
    std::string file, purl, cpe, version;
  };
  for (const Case& k : std::vector<Case>{
           {"os-release-debian12", "pkg:generic/debian@12",
            "cpe:2.3:o:debian:debian_linux:12:*:*:*:*:*:*:*", "12"},
           {"os-release-openwrt22", "pkg:generic/openwrt@22.03.5",
            "cpe:2.3:o:openwrt:openwrt:22.03.5:*:*:*:*:*:*:*", "22.03.5"},
           {"os-release-buildroot", "pkg:generic/buildroot@2023.02",
            "cpe:2.3:a:buildroot:buildroot:2023.02:*:*:*:*:*:*:*", "2023.02"},
           {"os-release-alpine318", "pkg:generic/alpine@3.18.4",
            "cpe:2.3:o:alpinelinux:alpine_linux:3.18.4:*:*:*:*:*:*:*", "3.18.4"},
       }) {
    std::string text = Sample(k.file);
    PackageDbResult r = ParsePackageDb(PackageDbKind::kOsRelease, text, "/etc/os-release", {});
    EXPECT_THAT(r.problems, IsEmpty()) << k.file << "\n" << Joined(r.problems);
    ASSERT_EQ(r.components.size(), 1u) << k.file;
    const Component& c = r.components[0];
    EXPECT_EQ(c.version, k.version);
    EXPECT_EQ(c.purl, k.purl);
    EXPECT_EQ(c.cpe, k.cpe);
    EXPECT_EQ(c.source, ComponentSource::kOsRelease);
    EXPECT_EQ(c.evidence[0].method, "os-release");
    EXPECT_EQ(c.evidence[0].offset, text.find("VERSION_ID="));
  }
  PackageDbResult r = ParsePackageDb(PackageDbKind::kOsRelease, Sample("os-release-openwrt22"),
                                     "/etc/os-release", {});
  EXPECT_EQ(r.components[0].evidence[0].matched, "ID=\"openwrt\" / VERSION_ID=\"22.03.5\"");
  EXPECT_THAT(Joined(r.components[0].notes), HasSubstr("build: r20134-5f15225c1e"));
  EXPECT_THAT(Joined(r.components[0].notes), HasSubstr("OpenWrt board: ramips/mt7621"));
}

TEST(OsRelease, QuotingAsOsReleaseAllows) {
  PackageDbResult r = ParsePackageDb(PackageDbKind::kOsRelease,
                                     "# comment\n"
                                     "ID='Fancy'\n"
                                     "VERSION_ID=\"1.0\\\"x\"  # trailing comment\n"
                                     "PRETTY_NAME=Plain\\ words\n"
                                     "CPE_NAME=\"cpe:/o:fancy:fancy_os:1.0\"\n",
                                     "f", {});
  EXPECT_THAT(r.problems, IsEmpty()) << Joined(r.problems);
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_EQ(r.components[0].name, "fancy");
  EXPECT_EQ(r.components[0].version, "1.0\"x");
  EXPECT_EQ(r.components[0].cpe, "cpe:2.3:o:fancy:fancy_os:1.0\\\"x:*:*:*:*:*:*:*");
  EXPECT_THAT(r.components[0].notes, ElementsAre("pretty name: Plain words"));
}

TEST(OpenwrtRelease, ReleaseAndVersionFiles) {
  PackageDbResult r = ParsePackageDb(PackageDbKind::kOpenwrtRelease, Sample("openwrt_release"),
                                     "fw!squashfs:/etc/openwrt_release", {});
  EXPECT_THAT(r.problems, IsEmpty()) << Joined(r.problems);
  ASSERT_EQ(r.components.size(), 1u);
  const Component c = r.components[0];  // a copy: r is assigned again below
  EXPECT_EQ(c.name, "openwrt");
  EXPECT_EQ(c.version, "22.03.5");
  EXPECT_EQ(c.purl, "pkg:generic/openwrt@22.03.5");
  EXPECT_EQ(c.cpe, "cpe:2.3:o:openwrt:openwrt:22.03.5:*:*:*:*:*:*:*");
  EXPECT_EQ(c.evidence[0].method, "openwrt_release");
  EXPECT_EQ(c.evidence[0].matched, "DISTRIB_ID='OpenWrt' / DISTRIB_RELEASE='22.03.5'");
  EXPECT_THAT(c.notes, ElementsAre("revision: r20134-5f15225c1e", "target: ramips/mt7621",
                                   "architecture: mipsel_24kc",
                                   "description: OpenWrt 22.03.5 r20134-5f15225c1e"));

  r = ParsePackageDb(PackageDbKind::kOpenwrtVersion, Sample("openwrt_version"),
                     "fw!squashfs:/etc/openwrt_version", {});
  EXPECT_THAT(r.problems, IsEmpty());
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_EQ(r.components[0].version, "r20134-5f15225c1e");
  EXPECT_EQ(r.components[0].purl, "pkg:generic/openwrt@r20134-5f15225c1e");
  EXPECT_EQ(r.components[0].cpe, "");  // a revision is no release NVD knows
  EXPECT_EQ(r.components[0].evidence[0].method, "openwrt_version");

  // os-release and openwrt_release name the same release: one component.
  PackageDbResult o = ParsePackageDb(PackageDbKind::kOsRelease, Sample("os-release-openwrt22"),
                                     "fw!squashfs:/etc/os-release", {});
  std::vector<Component> all = o.components;
  all.push_back(c);
  MergePackageComponents(all);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].evidence.size(), 2u);
}

TEST(PackageFileList, NamesAndPaths) {
  auto n = PackageFileListForPath("/var/lib/dpkg/info/libssl3:amd64.list");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->package, "libssl3");
  EXPECT_EQ(n->arch, "amd64");
  n = PackageFileListForPath("/usr/lib/opkg/info/busybox.list");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->package, "busybox");
  EXPECT_EQ(n->arch, "");
  EXPECT_FALSE(PackageFileListForPath("/var/lib/dpkg/info/x.md5sums"));
  EXPECT_FALSE(PackageFileListForPath("/var/lib/dpkg/info/.list"));
  std::vector<std::string> problems;
  auto files = ParsePackageFileList("/.\n/usr\n/usr/bin/ssh\n\nrelative\n/bin/busybox\t755\n",
                                    "busybox.list", &problems);
  EXPECT_THAT(files, ElementsAre("/usr", "/usr/bin/ssh", "/bin/busybox"));
  EXPECT_THAT(problems, ElementsAre("busybox.list:5 (offset 22): not an absolute path of text; "
                                    "ignored"));
}

// --- Hostile and malformed input: one test per reason. ---

PackageDbResult Dpkg(std::string_view text, const PackageDbLimits& limits = {}) {
  return ParsePackageDb(PackageDbKind::kDpkgStatus, text, "status", kDebian12, limits);
}

constexpr std::string_view kGood =
    "Package: good\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n";

TEST(Malformed, StanzaOverTheSizeLimit) {
  PackageDbLimits limits;
  limits.max_stanza_bytes = 100;
  std::string text = "Package: big\nStatus: install ok installed\nVersion: 1\nDescription: x\n" +
                     std::string(200, 'y') + "\n\n" + std::string(kGood);
  PackageDbResult r = Dpkg(text, limits);
  EXPECT_THAT(Names(r), ElementsAre("good"));
  EXPECT_THAT(r.problems, ElementsAre(HasSubstr("status:1 (offset 0): a stanza of 268 bytes is "
                                                "over the limit of 100; skipped")));
}

TEST(Malformed, MissingPackage) {
  PackageDbResult r = Dpkg("Status: install ok installed\nVersion: 1\n\n" + std::string(kGood));
  EXPECT_THAT(Names(r), ElementsAre("good"));
  EXPECT_THAT(r.problems, ElementsAre("status:1 (offset 0): a stanza without Package; skipped"));
}

TEST(Malformed, MissingVersionKeepsThePackageWithoutCpe) {
  PackageDbResult r = Dpkg("Package: openssl\nStatus: install ok installed\n");
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_EQ(r.components[0].version, "");
  EXPECT_EQ(r.components[0].cpe, "");  // "*" would claim every version's CVEs
  EXPECT_EQ(r.components[0].purl, "pkg:deb/debian/openssl?distro=debian-12");
  EXPECT_THAT(r.problems, ElementsAre(HasSubstr("package openssl has no Version")));
}

TEST(Malformed, HugeVersionIsSkipped) {
  std::string text =
      "Package: huge\nStatus: install ok installed\nVersion: " + std::string(10 << 20, '1') +
      "\n\n" + std::string(kGood);
  PackageDbResult r = Dpkg(text);
  EXPECT_THAT(Names(r), ElementsAre("good"));
  EXPECT_THAT(r.problems, ElementsAre("status:3 (offset 43): Version of 10485760 bytes is over "
                                      "the limit of 256; stanza skipped"));
}

TEST(Malformed, VersionWithSpacesIsSkipped) {
  PackageDbResult r = Dpkg("Package: x\nStatus: install ok installed\nVersion: 1 2\n");
  EXPECT_THAT(r.components, IsEmpty());
  EXPECT_THAT(r.problems, ElementsAre(HasSubstr("Version \"1 2\" is not a single word")));
}

TEST(Malformed, BadBytesInTheNameSkipTheStanza) {
  std::string text =
      "Package: ba\xff"
      "d\nStatus: install ok installed\nVersion: 1\n\n" +
      std::string("Package: nul") + std::string(1, '\0') +
      "\nStatus: install ok installed\nVersion: 1\n\n" + std::string(kGood);
  PackageDbResult r = Dpkg(text);
  EXPECT_THAT(Names(r), ElementsAre("good"));
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_THAT(r.problems[0], HasSubstr("Package \"ba\xEF\xBF\xBD"
                                       "d\" is not a single word"));
  EXPECT_THAT(r.problems[1], HasSubstr("Package \"nul?\" is not a single word"));
}

TEST(Malformed, BadBytesElsewhereKeepThePackageWithANote) {
  std::string text =
      "Package: latin1\nStatus: install ok installed\nVersion: 1\n"
      "Maintainer: J\xf6rg <j@example.org>\nDescription: a\n b" +
      std::string(1, '\0') + "c\n";
  PackageDbResult r = Dpkg(text);
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_EQ(r.components[0].supplier, "J\xEF\xBF\xBDrg <j@example.org>");
  EXPECT_THAT(Joined(r.components[0].notes), HasSubstr("Maintainer is not UTF-8 text"));
  EXPECT_THAT(Joined(r.components[0].notes), HasSubstr("not UTF-8 text"));
  EXPECT_THAT(r.problems, ElementsAre(HasSubstr("package latin1: the stanza holds bytes")));
}

TEST(Malformed, DuplicatePackages) {
  std::string text = std::string(kGood) + "\n" + std::string(kGood) + "\n" +
                     "Package: good\nStatus: install ok installed\nArchitecture: amd64\n"
                     "Version: 2.0-1\n\n"
                     "Package: good\nStatus: install ok installed\nArchitecture: i386\n"
                     "Version: 1.0-1\n";
  PackageDbResult r = Dpkg(text);
  ASSERT_EQ(r.components.size(), 3u);  // the repeat merged; another version and arch kept
  EXPECT_EQ(r.components[0].evidence.size(), 2u);
  EXPECT_EQ(r.components[1].version, "2.0-1");
  EXPECT_THAT(Joined(r.components[1].notes), HasSubstr("twice, also as version 1.0-1"));
  EXPECT_THAT(r.components[2].purl, HasSubstr("arch=i386"));
  EXPECT_THAT(r.problems,
              ElementsAre(HasSubstr("repeats the stanza at offset 0; merged"),
                          HasSubstr("listed again with version 2.0-1 (offset 0 says 1.0-1)")));
}

TEST(Malformed, MissingOrBadStatus) {
  PackageDbResult r = Dpkg("Package: a\nVersion: 1\n\nPackage: b\nStatus: installed\nVersion: 1\n");
  EXPECT_THAT(r.components, IsEmpty());
  EXPECT_THAT(r.problems, ElementsAre(HasSubstr("package a has no readable Status; skipped"),
                                      HasSubstr("Status \"installed\" is not \"want flags "
                                                "state\"; skipped")));
}

TEST(Malformed, LinesThatAreNotFields) {
  PackageDbResult r = Dpkg(
      " orphan continuation\nPackage: a\nno colon here\n: empty name\n"
      "Status: install ok installed\nVersion: 1\n");
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_THAT(r.problems,
              ElementsAre("status:1 (offset 0): a continuation line without a field; ignored",
                          "status:3 (offset 32): not a \"Field: value\" line; ignored",
                          "status:4 (offset 46): not a \"Field: value\" line; ignored"));
}

TEST(Malformed, RepeatedField) {
  PackageDbResult r = Dpkg("Package: a\nVersion: 1\nVersion: 2\nStatus: install ok installed\n");
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_EQ(r.components[0].version, "1");
  EXPECT_THAT(r.problems, ElementsAre(HasSubstr("field Version repeated; the first kept")));
}

TEST(Malformed, TooManyPackagesAndProblemsAreCapped) {
  PackageDbLimits limits;
  limits.max_components = 2;
  limits.max_problems = 3;
  std::string text;
  for (int i = 0; i < 5; ++i) {
    text += "Package: p" + std::to_string(i) + "\nStatus: install ok installed\nVersion: 1\n\n";
  }
  PackageDbResult r = Dpkg(text, limits);
  EXPECT_EQ(r.components.size(), 2u);
  EXPECT_THAT(r.problems, ElementsAre(HasSubstr("more than 2 packages")));
  std::string junk;
  for (int i = 0; i < 10; ++i) junk += "junk\n";
  r = Dpkg(junk, limits);
  EXPECT_EQ(r.problems.size(), 4u);
  EXPECT_EQ(r.problems.back(), "status: 8 more problems not listed");
}

TEST(Malformed, HugeDependsAreNotRead) {
  std::string text = std::string(kGood) + "Depends: " + std::string(100 << 10, 'a') + "\n";
  PackageDbResult r = Dpkg(text);
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_THAT(r.components[0].depends, IsEmpty());
  EXPECT_THAT(r.problems, ElementsAre(HasSubstr("Depends of 102400 bytes is over the limit")));
}

TEST(Malformed, ApkLines) {
  PackageDbResult r =
      ParsePackageDb(PackageDbKind::kApkInstalled,
                     "P:a\nV:1-r0\ngarbage\n\nV:2\nA:x\n\nP:b\nV:1-r0\nR:f\n", "installed", {});
  EXPECT_THAT(Names(r), ElementsAre("a", "b"));
  EXPECT_THAT(r.components[1].files, ElementsAre("/f"));  // provenance names no image root
  EXPECT_THAT(r.problems, ElementsAre("installed:3 (offset 11): not a \"K:value\" line; ignored",
                                      "installed:5 (offset 20): a stanza without P: (name); "
                                      "skipped"));
}

TEST(Malformed, ApkFileListCap) {
  PackageDbLimits limits;
  limits.max_files = 2;
  PackageDbResult r = ParsePackageDb(PackageDbKind::kApkInstalled,
                                     "P:a\nV:1\nF:bin\nR:x\nR:y\nR:z\n", "installed", {}, limits);
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_THAT(r.components[0].files, ElementsAre("/bin/x", "/bin/y"));
  EXPECT_THAT(r.problems, ElementsAre(HasSubstr("more than 2 files")));
}

TEST(Malformed, OsReleaseLines) {
  PackageDbResult r = ParsePackageDb(PackageDbKind::kOsRelease,
                                     "ID=\"open\nnot an assignment\nVERSION_ID=1 2\n"
                                     "1BAD=x\nNAME=\xff\n",
                                     "os-release", {});
  EXPECT_THAT(r.problems,
              ElementsAre("os-release:1 (offset 0): the value of ID is badly quoted; ignored",
                          "os-release:2 (offset 9): not a KEY=value line; ignored",
                          "os-release:3 (offset 27): the value of VERSION_ID is badly quoted; "
                          "ignored",
                          "os-release:4 (offset 42): not a KEY=value line; ignored",
                          "os-release:5 (offset 49): a line that is not UTF-8 text; ignored",
                          "os-release (offset 0): neither ID nor VERSION_ID; no operating "
                          "system named"));
  EXPECT_THAT(r.components, IsEmpty());
}

TEST(Malformed, OsReleaseWithoutVersion) {
  PackageDbResult r = ParsePackageDb(PackageDbKind::kOsRelease, "ID=debian\n", "f", {});
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_EQ(r.components[0].purl, "pkg:generic/debian");
  EXPECT_EQ(r.components[0].cpe, "");
  EXPECT_THAT(r.components[0].notes, ElementsAre("the release file gives no version"));
}

TEST(Malformed, OpenwrtVersionGarbage) {
  PackageDbResult r = ParsePackageDb(PackageDbKind::kOpenwrtVersion, "\n\n", "v", {});
  EXPECT_THAT(r.components, IsEmpty());
  EXPECT_THAT(r.problems, ElementsAre("v (offset 0): an empty file"));
  r = ParsePackageDb(PackageDbKind::kOpenwrtVersion, "r1 2\n", "v", {});
  EXPECT_THAT(r.components, IsEmpty());
  EXPECT_THAT(r.problems, ElementsAre(HasSubstr("not a single word")));
}

TEST(Malformed, ControlFileWithBadCpeId) {
  PackageDbResult r = ParsePackageDb(PackageDbKind::kOpkgControl,
                                     "Package: busybox\nVersion: 1.36.1-1\nCPE-ID: nonsense\n",
                                     "busybox.control", {});
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_EQ(r.components[0].cpe, "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*");  // the map
  EXPECT_THAT(r.problems, ElementsAre(HasSubstr("CPE-ID \"nonsense\" is not a CPE; ignored")));
}

// Linear time on big inputs: a 64 MiB line with no newline, and 200k small stanzas.
TEST(Malformed, BigInputsAreLinear) {
  std::string line(64u << 20, 'A');
  auto start = std::chrono::steady_clock::now();
  PackageDbResult r = Dpkg(line);
  double one_line_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_THAT(r.components, IsEmpty());
  EXPECT_THAT(r.problems, ElementsAre(HasSubstr("over the limit")));

  std::string many;
  for (int i = 0; i < 200000; ++i) {
    many += "Package: p" + std::to_string(i) +
            "\nStatus: install ok installed\nArchitecture: all\nVersion: 1.0-1\n"
            "Depends: libc6 (>= 2.34), zlib1g\nDescription: x\n more\n\n";
  }
  start = std::chrono::steady_clock::now();
  r = Dpkg(many);
  double many_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.components.size(), 200000u);
  std::printf("64 MiB one line: %.0f ms; %zu MiB in 200k stanzas: %.0f ms\n", one_line_ms,
              many.size() >> 20, many_ms);
  // Generous bounds for a loaded machine; a quadratic parse would take hours.
  EXPECT_LT(one_line_ms, 10000);
  EXPECT_LT(many_ms, 60000);
}

}  // namespace
}  // namespace clearbox::inventory
