// The inventory's own parts: file kinds, component merging, kernels, and a whole image built in
// memory (a ustar archive) with a package database, an os-release file, a binary that names its
// version, and a lying ELF.
#include "clearbox/inventory/inventory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "clearbox/core/digest.h"
#include "clearbox/inventory/inventory_json.h"
#include "internal/components.h"
#include "internal/file_kind.h"
#include "internal/kernel.h"
#include "unpack/engine_test_util.h"

namespace clearbox::inventory {
namespace {

using internal::ClassifyFile;
using ::testing::HasSubstr;

ByteView View(const std::string& s) { return AsBytes(s); }

TEST(FileKindTest, ByContentThenPath) {
  EXPECT_EQ(ClassifyFile("/bin/x", View(std::string("\x7f"
                                                    "ELF\x02\x01\x01",
                                                    7)))
                .kind,
            FileKind::kElf);
  auto init = ClassifyFile("/etc/init.d/S50dropbear", View("#!/bin/sh\nexec dropbear\n"));
  EXPECT_EQ(init.kind, FileKind::kInitScript);
  EXPECT_EQ(init.interpreter, "/bin/sh");
  auto script = ClassifyFile("/usr/bin/tool", View("#! /usr/bin/env python3 -u\r\nprint(1)\n"));
  EXPECT_EQ(script.kind, FileKind::kScript);
  EXPECT_EQ(script.interpreter, "/usr/bin/env python3 -u");
  EXPECT_EQ(ClassifyFile("/etc/rc.local", View("telnetd -l /bin/sh\n")).kind,
            FileKind::kInitScript);
  EXPECT_EQ(ClassifyFile("/etc/key", View("-----BEGIN RSA PRIVATE KEY-----\nMII\n")).kind,
            FileKind::kPrivateKey);
  EXPECT_EQ(ClassifyFile("/x", View("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n")).kind,
            FileKind::kPrivateKey);
  EXPECT_EQ(ClassifyFile("/x.pem", View("Bag Attributes\n-----BEGIN CERTIFICATE-----\nMII\n")).kind,
            FileKind::kCertificate);
  EXPECT_EQ(ClassifyFile("/x.csr", View("-----BEGIN CERTIFICATE REQUEST-----\n")).kind,
            FileKind::kConfig);
  EXPECT_EQ(ClassifyFile("/x", View("-----BEGIN PUBLIC KEY-----\nMCow\n")).kind,
            FileKind::kPublicKey);
  EXPECT_EQ(ClassifyFile("/root/.ssh/authorized_keys",
                         View("no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA vendor\n"))
                .kind,
            FileKind::kPublicKey);
  std::string dropbear("\0\0\0\x07ssh-rsa\0\0\0\x03\x01\x00\x01", 18);
  EXPECT_EQ(ClassifyFile("/etc/dropbear/dropbear_rsa_host_key", View(dropbear)).kind,
            FileKind::kPrivateKey);
  EXPECT_EQ(ClassifyFile("/etc/config/network", View("config interface 'lan'\n")).kind,
            FileKind::kConfig);
  EXPECT_EQ(ClassifyFile("/www/index.html", View("<html></html>\n")).kind, FileKind::kText);
  EXPECT_EQ(ClassifyFile("/x.gz", View(std::string("\x1f\x8b\x08\0\0\0", 6))).kind,
            FileKind::kArchive);
  EXPECT_EQ(ClassifyFile("/bin/blob", View(std::string("\x01\x02\0\xff", 4))).kind,
            FileKind::kData);
  std::string bz(0x300, '\0');
  std::memcpy(&bz[0x202], "HdrS", 4);
  EXPECT_EQ(ClassifyFile("/boot/vmlinuz", View(bz)).kind, FileKind::kKernel);
  // A truncated header is data, not a read past the end.
  EXPECT_EQ(ClassifyFile("/boot/vmlinuz", View(bz.substr(0, 0x203))).kind, FileKind::kData);
}

Component Make(std::string name, std::string version, ComponentSource source, std::string cpe,
               std::string where) {
  Component c;
  c.name = std::move(name);
  c.version = std::move(version);
  c.source = source;
  c.scheme = source == ComponentSource::kPackageDatabase ? VersionScheme::kDebian
                                                         : VersionScheme::kOpenssl;
  c.cpe = std::move(cpe);
  c.purl = "pkg:generic/" + c.name + "@" + c.version;
  c.evidence.push_back({"test", std::move(where), 0, c.name + " " + c.version});
  return c;
}

Inventory WithFiles(std::initializer_list<const char*> provenances) {
  Inventory inv;
  for (const char* p : provenances) {
    FileRecord f;
    f.node.provenance = p;
    f.node.type = unpack::NodeType::kFile;
    inv.files.push_back(std::move(f));
  }
  return inv;
}

TEST(MergeComponentsTest, ConfirmedFindsJoinThePackageContradictedOnesStay) {
  Inventory inv =
      WithFiles({"img:/lib/libcrypto.so.3", "img:/lib/libssl.so.3", "img:/usr/bin/old"});
  std::vector<Component> dbs = {
      Make("libssl3", "3.0.11-1~deb12u2", ComponentSource::kPackageDatabase,
           "cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*", "img:/status")};
  std::vector<std::pair<size_t, Component>> finds;
  const std::string cpe = "cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*";
  finds.push_back(
      {0, Make("openssl", "3.0.11", ComponentSource::kBinary, cpe, "img:/lib/libcrypto.so.3")});
  finds.push_back(
      {1, Make("openssl", "3.0.11", ComponentSource::kBinary, cpe, "img:/lib/libssl.so.3")});
  finds.push_back({2, Make("openssl", "1.0.1f", ComponentSource::kBinary,
                           "cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*", "img:/usr/bin/old")});
  internal::MergeComponents(inv, std::move(dbs), std::move(finds));

  ASSERT_EQ(inv.components.size(), 2u);
  const Component& pkg = inv.components[0];  // libssl3 sorts before openssl
  EXPECT_EQ(pkg.name, "libssl3");
  EXPECT_EQ(pkg.evidence.size(), 3u);  // the stanza and both libraries
  EXPECT_THAT(pkg.notes, ::testing::ElementsAre(HasSubstr("a binary reports openssl 1.0.1f")));
  const Component& old = inv.components[1];
  EXPECT_EQ(old.version, "1.0.1f");
  EXPECT_THAT(old.notes, ::testing::ElementsAre(HasSubstr("libssl3 3.0.11-1~deb12u2")));
  EXPECT_EQ(inv.files[0].components, std::vector<size_t>{0});
  EXPECT_EQ(inv.files[1].components, std::vector<size_t>{0});
  EXPECT_EQ(inv.files[2].components, std::vector<size_t>{1});
}

TEST(MergeComponentsTest, OneComponentPerNameAndVersionAcrossFilesAndRegions) {
  Inventory inv = WithFiles({"img:/a", "img:/b"});
  std::vector<std::pair<size_t, Component>> finds;
  finds.push_back({1, Make("zlib", "1.2.13", ComponentSource::kBinary, "", "img:/b")});
  finds.push_back({internal::kNoFile, Make("zlib", "1.2.13", ComponentSource::kBinary, "", "img")});
  finds.push_back({0, Make("zlib", "1.2.13", ComponentSource::kBinary, "", "img:/a")});
  internal::MergeComponents(inv, {}, std::move(finds));
  ASSERT_EQ(inv.components.size(), 1u);
  EXPECT_EQ(inv.components[0].evidence.size(), 3u);
  EXPECT_EQ(inv.components[0].files, (std::vector<std::string>{"img:/b", "img:/a"}));
}

TEST(CpeTest, VendorProductOfEscapedNames) {
  EXPECT_EQ(internal::CpeVendorProduct("cpe:2.3:a:haxx:libcurl:7.88.1:*:*:*:*:*:*:*"),
            "haxx:libcurl");
  EXPECT_EQ(internal::CpeVendorProduct("cpe:2.3:a:w1\\.fi:hostapd:2.10:*:*:*:*:*:*:*"),
            "w1\\.fi:hostapd");
  EXPECT_EQ(internal::CpeVendorProduct("cpe:/a:openssl:openssl"), "");
  // NVD's own form: '.', '-' and '_' stay as they are; other punctuation is escaped.
  EXPECT_EQ(Cpe23("w1.fi", "hostapd", "2.10"), "cpe:2.3:a:w1.fi:hostapd:2.10:*:*:*:*:*:*:*");
  EXPECT_EQ(Cpe23("a", "b", "1.0:beta"), "cpe:2.3:a:a:b:1.0\\:beta:*:*:*:*:*:*:*");
  EXPECT_EQ(Purl("deb", "debian", "openssh-server", "1:9.2p1-2+deb12u3", "arch=amd64"),
            "pkg:deb/debian/openssh-server@1:9.2p1-2%2Bdeb12u3?arch=amd64");
}

std::string Gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = data.size();
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = out.size();
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(KernelTest, BannerInsideACompressedPayloadAfterDecoys) {
  // Decoy magics first (an lzma-like 5d 00 00 and a bad gzip header), then the real stream.
  std::string image = std::string("\x5d\x00\x00junk", 7) + std::string("\x1f\x8b\x08garbage", 10) +
                      Gzip("xxxx Linux version 4.9.0 (gcc) #1\n" + std::string(1000, 'x'));
  auto k = internal::DecompressKernel(View(image), 1 << 20);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->codec, "gzip");
  EXPECT_EQ(k->offset, 17u);
  EXPECT_FALSE(internal::DecompressKernel(View(Gzip("no banner here")), 1 << 20).has_value());
  // Over the cap: not decoded (and no unbounded allocation).
  EXPECT_FALSE(internal::DecompressKernel(View(image), 64).has_value());
}

// A ustar archive of (path, content) files (mode 0644: the kinds do not depend on it).
std::string Tar(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out;
  for (const auto& [path, content] : files) {
    Bytes header = unpack::enginetest::TarHeader(path, content.size());
    out += std::string(AsChars(header)) + content +
           std::string((512 - content.size() % 512) % 512, '\0');
  }
  return out + std::string(1024, '\0');
}

TEST(InventoryTest, ImageInMemory) {
  std::string status =
      "Package: busybox\nStatus: install ok installed\nArchitecture: amd64\n"
      "Version: 1:1.35.0-4\n\n";
  std::string busybox = std::string("\x01\x02junk") +
                        "BusyBox v1.36.1 (2023-11-14 22:13:20 UTC) multi-call binary.\n" +
                        std::string(64, '\0');
  std::string lying_elf(
      "\x7f"
      "ELF\x01\x01\x01",
      7);
  lying_elf.resize(52, '\0');
  lying_elf[16] = 2;       // ET_EXEC
  lying_elf[0x20] = 0x7f;  // e_shoff far past the end
  lying_elf[0x30] = 40;    // e_shnum
  lying_elf[0x2e] = 40;    // e_shentsize
  std::string tar = Tar({{"etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"},
                         {"var/lib/dpkg/status", status},
                         {"bin/busybox", busybox},
                         {"etc/init.d/rcS", "#!/bin/sh\ntelnetd -l /bin/sh\n"},
                         {"usr/bin/liar", lying_elf}});
  Options options;
  Result<Inventory> inv = InventoryBuffer(View(tar), "fw.tar", options);
  ASSERT_TRUE(inv.ok()) << inv.error().message();
  EXPECT_EQ(inv->image, "fw.tar");
  EXPECT_EQ(inv->size, tar.size());

  const FileRecord* rcs = inv->FindFile("fw.tar!tar@0x0:/etc/init.d/rcS");
  ASSERT_NE(rcs, nullptr) << InventoryToJson(*inv);
  EXPECT_EQ(rcs->kind, FileKind::kInitScript);
  EXPECT_EQ(rcs->text, "#!/bin/sh\ntelnetd -l /bin/sh\n");
  EXPECT_EQ(rcs->sha256, Sha256Hex(View("#!/bin/sh\ntelnetd -l /bin/sh\n")));

  // The package database says 1.35.0, the binary 1.36.1: both, each with a note.
  std::vector<std::string> names;
  for (const Component& c : inv->components) names.push_back(c.name + " " + c.version);
  EXPECT_THAT(names,
              ::testing::UnorderedElementsAre("busybox 1:1.35.0-4", "busybox 1.36.1", "debian 12"));
  for (const Component& c : inv->components) {
    if (c.name == "busybox") {
      EXPECT_EQ(c.notes.size(), 1u) << c.version;
    }
  }
  const FileRecord* bb = inv->FindFile("fw.tar!tar@0x0:/bin/busybox");
  ASSERT_NE(bb, nullptr);
  EXPECT_EQ(bb->components.size(), 1u);

  // The lying ELF is a note naming it; the rest of the image is still there.
  bool noted = std::any_of(inv->notes.begin(), inv->notes.end(), [](const InventoryNote& n) {
    return n.where == "fw.tar!tar@0x0:/usr/bin/liar" && n.message.find("ELF") != std::string::npos;
  });
  EXPECT_TRUE(noted);
  std::string json = InventoryToJson(*inv);
  EXPECT_THAT(json, HasSubstr("\"kind\": \"init-script\""));
  EXPECT_THAT(json, HasSubstr("\"source\": \"package-db\""));
}

}  // namespace
}  // namespace clearbox::inventory
