// Unit tests of the version signatures on crafted bytes: the rules compile, letter releases,
// decoys that must not match, truncation, huge and repetitive inputs, malformed rules.
#include "clearbox/inventory/signatures.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace clearbox::inventory {
namespace {

using ::testing::HasSubstr;

std::vector<Component> ScanText(std::string_view text) {
  return VersionSignatures::Builtin().Scan(AsBytes(text), "test!/bin/x");
}

// "name@version" of every component found, sorted.
std::vector<std::string> Found(std::string_view text) {
  std::vector<std::string> out;
  for (const Component& c : ScanText(text)) out.push_back(c.name + "@" + c.version);
  return out;
}

std::string WithNul(std::string_view s) { return std::string("\0", 1) + std::string(s) + '\0'; }

// What OpenSSL_version() keeps together inside libcrypto (crypto/cversion.c).
std::string OpensslLibrary(std::string_view text) {
  return WithNul(text) + WithNul("platform: linux-mips") + WithNul("OPENSSLDIR: \"/usr/lib/ssl\"") +
         WithNul("built on: Thu Jan  1 00:00:00 2015");
}

TEST(VersionSignatures, BuiltinRulesCompileAndCoverTheListedComponents) {
  const VersionSignatures& sigs = VersionSignatures::Builtin();
  EXPECT_GE(sigs.size(), 40u);
  std::vector<std::string> ids = sigs.ids();
  for (const char* id :
       {"busybox", "dropbear",  "openssh",  "openssl", "libressl",       "wolfssl",
        "mbedtls", "gnutls",    "glibc",    "uclibc",  "musl",           "linux-kernel",
        "u-boot",  "lighttpd",  "nginx",    "boa",     "goahead",        "mini-httpd",
        "dnsmasq", "curl",      "libcurl",  "hostapd", "wpa-supplicant", "samba",
        "openvpn", "iptables",  "ebtables", "zlib",    "sqlite",         "libpcap",
        "ppp",     "miniupnpd", "avahi",    "ntp",     "chrony",         "strongswan",
        "quagga",  "frr",       "net-snmp", "vsftpd",  "proftpd",        "e2fsprogs",
        "expat",   "libxml2",   "pcre",     "pcre2"}) {
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << id;
  }
}

TEST(VersionSignatures, OpensslLetterReleaseWithAllFields) {
  std::vector<Component> found = ScanText(OpensslLibrary("OpenSSL 1.0.1f 6 Jan 2014"));
  ASSERT_EQ(found.size(), 1u);
  const Component& c = found[0];
  EXPECT_EQ(c.name, "openssl");
  EXPECT_EQ(c.version, "1.0.1f");
  EXPECT_EQ(c.scheme, VersionScheme::kOpenssl);
  EXPECT_EQ(c.source, ComponentSource::kBinary);
  EXPECT_EQ(c.purl, "pkg:generic/openssl@1.0.1f");
  EXPECT_EQ(c.cpe, Cpe23("openssl", "openssl", "1.0.1f"));
  ASSERT_EQ(c.evidence.size(), 1u);
  EXPECT_EQ(c.evidence[0].method, "signature:openssl");
  EXPECT_EQ(c.evidence[0].provenance, "test!/bin/x");
  EXPECT_EQ(c.evidence[0].offset, 1u);
  EXPECT_THAT(c.evidence[0].matched, ::testing::StartsWith("OpenSSL 1.0.1f 6 Jan 2014 (near"));
}

TEST(VersionSignatures, OpensslVersionsOldAndNew) {
  EXPECT_THAT(Found(OpensslLibrary("OpenSSL 0.9.8zh 3 Dec 2015")),
              ::testing::ElementsAre("openssl@0.9.8zh"));
  EXPECT_THAT(Found(OpensslLibrary("OpenSSL 3.0.11 19 Sep 2023")),
              ::testing::ElementsAre("openssl@3.0.11"));
  EXPECT_THAT(Found(OpensslLibrary("OpenSSL 1.0.2k-fips  26 Jan 2017")),
              ::testing::ElementsAre("openssl@1.0.2k"));
}

TEST(VersionSignatures, DecoysAreNotComponents) {
  // Help texts, library names in another program's banner, version-like numbers next to the
  // wrong words, compat tables.
  for (const char* decoy : {
           "OpenSSL",
           "Usage: use OpenSSL for TLS (see OpenSSL docs)",
           "OpenSSL 3.0 is required",
           // A program compiled against OpenSSL's headers: the header's text, not the library.
           "built with OpenSSL 3.0.16 11 Feb 2025 (running with ",
           "OpenSSL 1.0.2f 28 Jan 2016",
           "libcurl/7.88.1 OpenSSL/3.0.11 zlib/1.2.13 brotli/1.0.9",
           "compiled with OpenSSL/1.0.2k",
           "OpenSSH_2*,OpenSSH_3*,OpenSSH_4*",
           "OpenSSH_6.6.1*",
           "OpenSSH_2.5.0p1*,OpenSSH_2.5.1p1*",
           "--compat-names was removed in OpenVPN 2.5. Update your configuration.",
           "BusyBox v%s multi-call binary",
           "Dnsmasq version %s  %s",
           "hostapd v%s",
           "Linux version %s",
           "Linux version 2.6.36 is not supported",
           "U-Boot 2013.07 or later is needed",
           "nginx/1.22.1",
           "zlib 1.2.13",
           "version 1.2.3",
           "SSH-2.0-OpenSSH",
       }) {
    EXPECT_THAT(Found(WithNul(decoy)), ::testing::IsEmpty()) << decoy;
  }
}

TEST(VersionSignatures, CurlBannerNamesOnlyCurl) {
  // The tool's own banner is curl; the libraries it lists are filled in at run time and are
  // only reported from their own files.
  EXPECT_THAT(Found(WithNul("curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1 OpenSSL/3.0.11")),
              ::testing::ElementsAre("curl@7.88.1"));
}

TEST(VersionSignatures, TypicalFirmwareStrings) {
  std::string blob = WithNul("BusyBox v1.19.4 (2015-09-21 17:18:51 CST) multi-call binary.") +
                     WithNul("SSH-2.0-dropbear_2019.78\r\n") +
                     WithNul("U-Boot 1.1.4 (Sep 21 2015 - 17:19:11)") +
                     WithNul(
                         "Linux version 2.6.31--LSDK-9.2.0_U10.5038 (root@localhost) (gcc "
                         "version 4.3.3 (GCC) ) #1 Mon Sep 22 2014") +
                     WithNul("Server: GoAhead-Webs/2.5.0 PeerSec-MatrixSSL/3.4.2-OPEN") +
                     WithNul("Boa/0.94.14rc21") + WithNul("dnsmasq-2.78") +
                     WithNul("ntpd 4.2.8p15@1.3728-o Tue Jun 23 09:22:10 UTC 2020 (1)");
  EXPECT_THAT(Found(blob),
              ::testing::ElementsAre("boa@0.94.14rc21", "busybox@1.19.4", "dnsmasq@2.78",
                                     "dropbear@2019.78", "goahead@2.5.0", "linux-kernel@2.6.31",
                                     "ntp@4.2.8p15", "u-boot@1.1.4"));
  for (const Component& c : ScanText(blob)) {
    if (c.name == "linux-kernel") {
      EXPECT_EQ(c.cpe, Cpe23("linux", "linux_kernel", "2.6.31", 'o'));
    }
    if (c.name == "dropbear") {
      EXPECT_EQ(c.scheme, VersionScheme::kDropbear);
      EXPECT_EQ(c.cpe, Cpe23("dropbear_ssh_project", "dropbear_ssh", "2019.78"));
    }
    if (c.name == "busybox") {
      EXPECT_EQ(c.scheme, VersionScheme::kBusybox);
    }
  }
}

// Components Debian bookworm does not ship, so no real binary of theirs is in the test
// images: each string is the exact bytes the component's own source puts into its binary.
TEST(VersionSignatures, ComponentsWithoutADebianPackage) {
  struct Case {
    std::string bytes;
    const char* expected;
  };
  const Case cases[] = {
      // uClibc 0.9.33.2 installs lib/libuClibc-0.9.33.2.so and lib/ld-uClibc-0.9.33.2.so
      // (uClibc Rules.mak: libc_full := libuClibc-$(VERSION).so); the names are what an image
      // carries (symlink targets libc.so.0 -> libuClibc-0.9.33.2.so, ld.so caches).
      {WithNul("libuClibc-0.9.33.2.so"), "uclibc@0.9.33.2"},
      {WithNul("ld-uClibc-0.9.30.so"), "uclibc@0.9.30"},
      // uClibc-ng keeps the same naming with its own version (1.0.x).
      {WithNul("libuClibc-1.0.45.so"), "uclibc-ng@1.0.45"},
      // LibreSSL include/openssl/opensslv.h: #define LIBRESSL_VERSION_TEXT "LibreSSL 3.8.2".
      {WithNul("LibreSSL 3.8.2"), "libressl@3.8.2"},
      // Boa src/defines.h: #define SERVER_VERSION "Boa/0.94.14rc21".
      {WithNul("Boa/0.94.14rc21"), "boa@0.94.14rc21"},
      // GoAhead 2.5 webs.h: WEBS_NAME "GoAhead-Webs" + "/" WEBS_VERSION; GoAhead 3.x/4.x
      // send "GoAhead-http" (ME_GOAHEAD_NAME) with its version.
      {WithNul("GoAhead-Webs/2.5.0"), "goahead@2.5.0"},
      {WithNul("Server: GoAhead-http/3.6.5"), "goahead@3.6.5"},
      // ntp (reference implementation) ntpd/version.c as generated by mkver:
      // char const * Version = "ntpd 4.2.8p15@1.3728-o ...".
      {WithNul("ntpd 4.2.8p15@1.3728-o Tue Jun 23 09:22:10 UTC 2020 (1)"), "ntp@4.2.8p15"},
      // Quagga lib/command.c: "Hello, this is " QUAGGA_PROGNAME " (version " QUAGGA_VERSION ")."
      {WithNul("\r\nHello, this is Quagga (version 0.99.22.4).\r\n"), "quagga@0.99.22.4"},
      // BusyBox up to 1.00 had two-part versions (the Broadcom ADSL rootfs of the corpus).
      {WithNul("BusyBox v1.00 (2009.02.12-09:06+0000) Built-in shell (msh)"), "busybox@1.00"},
      // OpenSSL 0.9.7 md5_dgst.c: MD5_version[] = "MD5" OPENSSL_VERSION_PTEXT, in libcrypto;
      // the bare OPENSSL_VERSION_TEXT is merged into such a string's tail by the linker.
      {WithNul("MD5 part of OpenSSL 0.9.7f 22 Mar 2005"), "openssl@0.9.7f"},
      // VxWorks 5.5 usrConfig: the runtime name and version ("VxWorks" "5.5.1") as one string.
      {WithNul("VxWorks5.5.1"), "vxworks@5.5.1"},
      {WithNul("VxWorks 6.9"), "vxworks@6.9"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(Found(c.bytes), ::testing::ElementsAre(c.expected)) << c.expected;
  }
}

TEST(VersionSignatures, ProseAboutVxWorksOrOpensslIsNotAComponent) {
  EXPECT_THAT(Found(WithNul("Requires VxWorks 5.5 or later") + WithNul("VxWorks Events") +
                    WithNul("built with OpenSSL 1.1.1 11 Sep 2018") +
                    WithNul("a part of OpenSSL 1.0.2 22 Jan 2015 is used")),
              ::testing::IsEmpty());
}

TEST(VersionSignatures, NearAnchorTakesTheClosestVersion) {
  // hostapd keeps "hostapd v%s" and VERSION_STR apart; an unrelated version further away
  // must lose to the closer one.
  std::string blob = WithNul("9.9") + std::string(3000, 'x') + WithNul("hostapd v%s") +
                     std::string(100, 'y') + WithNul("2.10") + std::string(200, 'z');
  EXPECT_THAT(Found(blob), ::testing::ElementsAre("hostapd@2.10"));
  // Too far from the anchor: nothing.
  std::string far = WithNul("hostapd v%s") + std::string(40000, 'y') + WithNul("2.10");
  EXPECT_THAT(Found(far), ::testing::IsEmpty());
  // A lone version string without the anchor is nothing.
  EXPECT_THAT(Found(WithNul("2.10") + WithNul("1.2.3")), ::testing::IsEmpty());
}

TEST(VersionSignatures, PackedDecimalTransform) {
  std::string blob = WithNul("Warning: program compiled against libxml %d using older %d") +
                     std::string(500, 'q') + "::20914" + std::string("\0", 1);
  EXPECT_THAT(Found(blob), ::testing::ElementsAre("libxml2@2.9.14"));
}

TEST(VersionSignatures, TruncatedAtBufferEnd) {
  // The buffer ends inside the match: nothing is reported, nothing is read past the end.
  for (std::string_view cut : {"OpenSSL 1.0.1f 6 Jan 20", "OpenSSL 1.0.1", "BusyBox v1.2",
                               "SSH-2.0-dropbear_2019.7", "U-Boot 2020.01 (Jan"}) {
    std::string owned(cut);  // exact size: ASan sees a read past the end
    EXPECT_THAT(Found(owned), ::testing::IsEmpty()) << cut;
  }
  // Ending right after a complete match is fine.
  EXPECT_THAT(Found(WithNul("OPENSSLDIR: \"/usr/local/ssl\"") + "x OpenSSL 1.1.1w 11 Sep 2023"),
              ::testing::ElementsAre("openssl@1.1.1w"));
}

TEST(VersionSignatures, HugeRunAfterPrefixIsBounded) {
  // A 10 MB "version" after a prefix: no version (too long / no terminator), quickly.
  for (std::string prefix : {"BusyBox v1.", "OpenSSL 1.0.1", "Linux version 5.4.", "U-Boot 2020.",
                             "SSH-2.0-dropbear_", "lighttpd/1.4."}) {
    std::string blob = prefix + std::string(10 << 20, 'A');
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_THAT(Found(blob), ::testing::IsEmpty()) << prefix;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5)) << prefix;
  }
  std::string digits = "Linux version 5." + std::string(10 << 20, '1');
  EXPECT_THAT(Found(digits), ::testing::IsEmpty());
}

TEST(VersionSignatures, ManyMatchesAreCappedAndDeduplicated) {
  // 200k banners of the same version: one component, first offset; different versions:
  // at most kMaxMatchesPerPattern are examined per pattern.
  std::string same;
  for (int i = 0; i < 200000; ++i) same += WithNul("SSH-2.0-dropbear_2019.78\r\n");
  auto t0 = std::chrono::steady_clock::now();
  std::vector<Component> found = ScanText(same);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].evidence[0].offset, 1u);

  std::string many;
  for (int i = 0; i < 1000; ++i)
    many += WithNul("BusyBox v1." + std::to_string(i % 100) + ".0 (x)");
  EXPECT_LE(ScanText(many).size(), kMaxMatchesPerPattern);

  // Anchors everywhere: bounded too.
  std::string anchors;
  for (int i = 0; i < 100000; ++i) anchors += WithNul("hostapd v%s") + WithNul("2.10");
  t0 = std::chrono::steady_clock::now();
  EXPECT_THAT(Found(anchors), ::testing::ElementsAre("hostapd@2.10"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

TEST(VersionSignatures, BinaryGarbageAndEmpty) {
  EXPECT_TRUE(ScanText("").empty());
  std::string garbage(1 << 20, '\0');
  uint32_t x = 12345;
  for (char& c : garbage) {
    x = x * 1103515245u + 12345u;
    c = char(x >> 24);
  }
  EXPECT_TRUE(ScanText(garbage).empty());
}

TEST(VersionSignatures, ExcerptIsPrintable) {
  std::vector<Component> found = ScanText(WithNul("dnsmasq-2.90"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].evidence[0].matched, "\\x00dnsmasq-2.90\\x00");
}

TEST(VersionSignatures, ScanIsThreadSafe) {
  std::string blob = OpensslLibrary("OpenSSL 1.0.1f 6 Jan 2014") + WithNul("hostapd v%s") +
                     WithNul("2.10") + WithNul("dnsmasq-2.90");
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) ok[t] += Found(blob).size() == 3;
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(ok[t], 200);
}

TEST(VersionSignatures, OnePassPerSignatureGivesTheSameResult) {
  std::string blob = OpensslLibrary("OpenSSL 1.0.1f 6 Jan 2014") + WithNul("hostapd v%s") +
                     WithNul("2.10") + WithNul("BusyBox v1.35.0 (Debian 1:1.35.0-4)");
  const VersionSignatures& sigs = VersionSignatures::Builtin();
  std::vector<Component> a = sigs.Scan(AsBytes(blob), "p");
  std::vector<Component> b = sigs.ScanOnePassPerSignature(AsBytes(blob), "p");
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].version, b[i].version);
    EXPECT_EQ(a[i].evidence[0].offset, b[i].evidence[0].offset);
  }
}

// --- Malformed rules: one test per rejection, each naming the signature and the field.

std::string LoadError(std::string_view json) {
  Result<std::unique_ptr<VersionSignatures>> r = VersionSignatures::Load(json, "t.json");
  if (r.ok()) return "loaded";
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput);
  return r.error().message();
}

std::string OneRule(std::string_view body) {
  return std::string(R"j({"signatures": [{"id": "x", "component": "x", )j") + std::string(body) +
         "}]}";
}

TEST(VersionSignaturesLoad, AcceptsAMinimalRule) {
  Result<std::unique_ptr<VersionSignatures>> r = VersionSignatures::Load(
      OneRule(
          R"j("cpe": {"vendor": "v", "product": "p"}, "patterns": [{"regex": "x (\\d+\\.\\d+)\\x00"}])j"),
      "t.json");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)->size(), 1u);
  std::string text = std::string("x 1.2") + '\0';
  std::vector<Component> found = (*r)->Scan(AsBytes(text), "p");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].purl, "pkg:generic/x@1.2");
}

TEST(VersionSignaturesLoad, RejectsMalformedRules) {
  const std::string cpe = R"j("cpe": {"vendor": "v", "product": "p"}, )j";
  EXPECT_THAT(LoadError("{"), HasSubstr("t.json: not valid JSON"));
  EXPECT_THAT(LoadError("[]"), HasSubstr("top level is not an object"));
  EXPECT_THAT(LoadError(R"j({"signatures": 3})j"),
              HasSubstr("signatures: missing or not an array"));
  EXPECT_THAT(LoadError(R"j({"signatures": [{"component": "x"}]})j"),
              HasSubstr("signatures[0]: id: missing"));
  EXPECT_THAT(LoadError(R"j({"signatures": [{"id": "Bad Id"}]})j"),
              HasSubstr("'Bad Id' is not lower-case"));
  EXPECT_THAT(LoadError(R"j({"signatures": [{"id": "x", "component": 5}]})j"),
              HasSubstr("signature 'x': component: not a string"));
  EXPECT_THAT(LoadError(OneRule(R"j("patterns": [{"regex": "a(\\d)"}])j")),
              HasSubstr("signature 'x': cpe: missing"));
  EXPECT_THAT(LoadError(OneRule(R"j("cpe": {"vendor": "v"}, "patterns": [{"regex": "a(\\d)"}])j")),
              HasSubstr("signature 'x': cpe: product: missing"));
  EXPECT_THAT(
      LoadError(OneRule(
          R"j("cpe": {"vendor": "v", "product": "p", "part": "z"}, "patterns": [{"regex": "a(\\d)"}])j")),
      HasSubstr("signature 'x': cpe: part: 'z'"));
  EXPECT_THAT(LoadError(OneRule(cpe + R"j("scheme": "roman", "patterns": [{"regex": "a(\\d)"}])j")),
              HasSubstr("signature 'x': scheme: unknown version scheme 'roman'"));
  EXPECT_THAT(
      LoadError(OneRule(cpe + R"j("transform": "rot13", "patterns": [{"regex": "a(\\d)"}])j")),
      HasSubstr("signature 'x': transform: 'rot13'"));
  EXPECT_THAT(LoadError(OneRule(cpe + R"j("patterns": [])j")),
              HasSubstr("signature 'x': patterns: missing, not an array or empty"));
  EXPECT_THAT(LoadError(OneRule(cpe + R"j("patterns": [{"regex": "abc"}])j")),
              HasSubstr("signature 'x': patterns[0].regex: no capture group"));
  EXPECT_THAT(LoadError(OneRule(cpe + R"j("patterns": [{"regex": "a(\\d"}])j")),
              HasSubstr("signature 'x': patterns[0].regex: std::regex refuses it"));
  // std::regex accepts a backreference, Hyperscan does not: the error still names the field.
  EXPECT_THAT(LoadError(OneRule(cpe + R"j("patterns": [{"regex": "(a)(\\d)\\1"}])j")),
              HasSubstr("signature 'x': patterns[0].regex: Hyperscan refuses it"));
  EXPECT_THAT(LoadError(OneRule(cpe + R"j("patterns": [{"regex": "a(\\d)", "within": 5}])j")),
              HasSubstr("signature 'x': patterns[0].within: only with an anchor"));
  EXPECT_THAT(LoadError(OneRule(cpe + R"j("patterns": [{"regex": "a(\\d)", "anchor": "b"}])j")),
              HasSubstr("signature 'x': patterns[0].within: an anchored pattern needs"));
  EXPECT_THAT(
      LoadError(OneRule(
          cpe + R"j("patterns": [{"regex": "a(\\d)", "anchor": "b", "within": 99999999}])j")),
      HasSubstr("patterns[0].within"));
  EXPECT_THAT(LoadError(OneRule(
                  cpe + R"j("patterns": [{"regex": "a(\\d)", "anchor": "(b", "within": 9}])j")),
              HasSubstr("signature 'x': patterns[0].anchor: std::regex refuses it"));
  std::string two = R"j({"signatures": [{"id": "x", "component": "x", )j" + cpe +
                    R"j("patterns": [{"regex": "a(\\d)"}]}, {"id": "x", "component": "y", )j" +
                    cpe + R"j("patterns": [{"regex": "b(\\d)"}]}]})j";
  EXPECT_THAT(LoadError(two), HasSubstr("signature 'x': id: used twice"));
}

}  // namespace
}  // namespace clearbox::inventory
