#include "clearbox/maint/krl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "clearbox/core/digest.h"
#include "maint/ssh_wire.h"
#include "maint/test_util.h"

namespace clearbox::maint {
namespace {

using ::testing::HasSubstr;
using testing::RunShell;
using testing::ScratchDir;

constexpr const char* kEngineerPub =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPYFcNHRFZG/oi0J9bOJwtl999A6HWJrvQRDSBwr/K1x eng";

SshCaKey TestCa(uint8_t seed_byte = 7) {
  return SshCaKey::FromEd25519(*crypto::Ed25519PrivateKey::FromSeed(Bytes(32, seed_byte)));
}

Bytes Issue(const SshCaKey& ca, uint64_t serial, const std::string& key_id) {
  CertificateRequest r;
  r.subject = *ParseSshPublicKey(kEngineerPub);
  r.serial = serial;
  r.key_id = key_id;
  r.principals = {"maint"};
  r.valid_after = 1796601600;
  r.valid_before = 1796605200;
  r.force_command = "/usr/lib/clearbox/record-session";
  r.source_address = "192.0.2.10/32";
  return *IssueCertificate(r, ca, 3600);
}

Krl TestKrl(const SshCaKey& ca) {
  Krl krl;
  krl.version = 3;
  krl.generated_date = 1796601600;
  krl.comment = "clearbox maint";
  KrlCertificateSection& s = krl.certificates.emplace_back();
  s.ca_key = ca.public_key().blob;
  s.serials = {42, 7, 42};
  s.key_ids = {"CHG-REVOKED"};
  return krl;
}

TEST(Krl, WriteParseRoundTrip) {
  SshCaKey ca = TestCa();
  Krl krl = TestKrl(ca);
  krl.certificates[0].ranges = {{100, 200}};
  krl.sha256_fingerprints = {Bytes(32, 9)};
  krl.explicit_keys = {ParseSshPublicKey(kEngineerPub)->blob};
  auto bytes = WriteKrl(krl);
  ASSERT_TRUE(bytes.ok()) << bytes.error().ToString();
  EXPECT_EQ(AsChars(ByteView(*bytes).subspan(0, 8)), std::string_view("SSHKRL\n\0", 8));
  auto parsed = ParseKrl(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->version, 3u);
  EXPECT_EQ(parsed->generated_date, 1796601600u);
  EXPECT_EQ(parsed->comment, "clearbox maint");
  ASSERT_EQ(parsed->certificates.size(), 1u);
  EXPECT_EQ(parsed->certificates[0].ca_key, ca.public_key().blob);
  EXPECT_EQ(parsed->certificates[0].serials, (std::vector<uint64_t>{7, 42}));  // sorted, unique
  EXPECT_EQ(parsed->certificates[0].key_ids, (std::vector<std::string>{"CHG-REVOKED"}));
  ASSERT_EQ(parsed->certificates[0].ranges.size(), 1u);
  EXPECT_EQ(parsed->certificates[0].ranges[0].hi, 200u);
  EXPECT_EQ(parsed->sha256_fingerprints, krl.sha256_fingerprints);
  EXPECT_EQ(parsed->explicit_keys, krl.explicit_keys);
}

TEST(Krl, RevocationBySerialKeyIdAndCa) {
  SshCaKey ca = TestCa();
  auto krl = ParseKrl(*WriteKrl(TestKrl(ca)));
  ASSERT_TRUE(krl.ok());
  auto cert = [&](const SshCaKey& k, uint64_t serial, const std::string& id) {
    return *ParseCertificate(Issue(k, serial, id));
  };
  EXPECT_TRUE(IsCertificateRevoked(*krl, cert(ca, 42, "CHG-1")));
  EXPECT_TRUE(IsCertificateRevoked(*krl, cert(ca, 8, "CHG-REVOKED")));
  EXPECT_FALSE(IsCertificateRevoked(*krl, cert(ca, 8, "CHG-1")));
  // The same serial from another CA is not revoked by this CA's section.
  EXPECT_FALSE(IsCertificateRevoked(*krl, cert(TestCa(9), 42, "CHG-1")));
}

// OpenSSH reads clearbox's KRLs: ssh-keygen -Q exits 1 and says REVOKED for a revoked cert.
TEST(Krl, SshKeygenQueryAgrees) {
  if (!testing::HaveSshKeygen()) GTEST_SKIP() << "ssh-keygen not installed (openssh-client)";
  ScratchDir dir;
  SshCaKey ca = TestCa();
  dir.Write("krl", *WriteKrl(TestKrl(ca)));
  dir.Write("serial-cert.pub", FormatCertificateLine(Issue(ca, 42, "CHG-1"), ""));
  dir.Write("id-cert.pub", FormatCertificateLine(Issue(ca, 8, "CHG-REVOKED"), ""));
  dir.Write("ok-cert.pub", FormatCertificateLine(Issue(ca, 8, "CHG-1"), ""));
  dir.Write("other-cert.pub", FormatCertificateLine(Issue(TestCa(9), 42, "CHG-1"), ""));
  for (const char* f : {"serial", "id"}) {
    auto r = RunShell("ssh-keygen -Q -f " + dir.File("krl") + " " +
                      dir.File(std::string(f) + "-cert.pub"));
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_THAT(r.output, HasSubstr("REVOKED")) << f;
  }
  for (const char* f : {"ok", "other"}) {
    auto r = RunShell("ssh-keygen -Q -f " + dir.File("krl") + " " +
                      dir.File(std::string(f) + "-cert.pub"));
    EXPECT_EQ(r.status, 0) << f << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr(": ok")) << f;
  }
  auto listing = RunShell("ssh-keygen -Q -l -f " + dir.File("krl"));
  EXPECT_THAT(listing.output, HasSubstr("# KRL version 3"));
  EXPECT_THAT(listing.output, HasSubstr("id: CHG-REVOKED"));
}

// clearbox reads OpenSSH's KRLs: ranges (ssh-keygen writes them as bitmaps), ids, explicit keys.
TEST(Krl, ReadsSshKeygenKrls) {
  if (!testing::HaveSshKeygen()) GTEST_SKIP() << "ssh-keygen not installed (openssh-client)";
  ScratchDir dir;
  SshCaKey ca = TestCa();
  dir.Write("ca.pub", FormatSshPublicKey(ca.public_key()) + "\n");
  dir.Write("spec", "serial: 5-9\nserial: 12\nserial: 1000-5000\nid: foo\n");
  dir.Write("eng.pub", std::string(kEngineerPub) + "\n");
  auto r = RunShell("ssh-keygen -k -f " + dir.File("krl") + " -s " + dir.File("ca.pub") + " " +
                    dir.File("spec") + " && ssh-keygen -k -u -f " + dir.File("krl") + " " +
                    dir.File("eng.pub"));
  ASSERT_EQ(r.status, 0) << r.output;
  std::string raw = dir.Read("krl");
  auto krl = ParseKrl(AsBytes(raw));
  ASSERT_TRUE(krl.ok()) << krl.error().ToString();
  ASSERT_EQ(krl->certificates.size(), 1u);
  EXPECT_EQ(krl->certificates[0].key_ids, (std::vector<std::string>{"foo"}));
  ASSERT_EQ(krl->explicit_keys.size(), 1u);
  // Serial by serial, our answer is ssh-keygen's (revoked: 5-9, 12, 1000-5000).
  for (uint64_t serial : {4, 5, 9, 10, 12, 13, 999, 1000, 3000, 5000, 5001}) {
    auto c = ParseCertificate(Issue(ca, serial, "x"));
    ASSERT_TRUE(c.ok());
    bool expected =
        (serial >= 5 && serial <= 9) || serial == 12 || (serial >= 1000 && serial <= 5000);
    Krl without_keys = *krl;
    without_keys.explicit_keys.clear();
    EXPECT_EQ(IsCertificateRevoked(without_keys, *c), expected) << serial;
  }
  // The engineer's key itself is listed, so every certificate for it is revoked.
  EXPECT_TRUE(IsCertificateRevoked(*krl, *ParseCertificate(Issue(ca, 4, "x"))));
}

TEST(Krl, RefusesHostileInput) {
  SshCaKey ca = TestCa();
  Bytes good = *WriteKrl(TestKrl(ca));
  for (size_t n = 0; n < good.size(); ++n) {
    auto k = ParseKrl(ByteView(good).subspan(0, n));
    // A cut exactly between sections is a valid, shorter KRL; anything else is refused.
    if (k.ok()) {
      EXPECT_GE(n, 8u + 4 + 8 + 8 + 8 + 4 + 4 + 14) << n;
    }
  }
  auto expect = [](Bytes data, std::string_view text) {
    auto k = ParseKrl(data);
    ASSERT_FALSE(k.ok()) << text;
    EXPECT_THAT(k.error().message(), HasSubstr(text));
  };
  Bytes bad_magic = good;
  bad_magic[0] = 'X';
  expect(bad_magic, "not a KRL");
  Bytes v2 = good;
  v2[11] = 2;
  expect(v2, "format version 2");
  auto with_section = [&](uint8_t type, const Bytes& body) {
    Bytes out(good.begin(), good.begin() + 8 + 4 + 8 + 8 + 8 + 4 + 4 + 14);  // header only
    wire::WireWriter w;
    w.U8(type);
    w.String(body);
    out.insert(out.end(), w.bytes().begin(), w.bytes().end());
    return out;
  };
  expect(with_section(4, Bytes(10)), "signed KRL");
  expect(with_section(9, Bytes(10)), "unknown section type 0x09");
  wire::WireWriter zero;  // a certificate section that revokes serial 0
  zero.String(ca.public_key().blob);
  zero.String(Bytes());
  zero.U8(0x20);
  zero.String(Bytes(8, 0));
  expect(with_section(1, zero.Take()), "serial at offset");
  wire::WireWriter range;  // an inverted range
  range.String(Bytes());
  range.String(Bytes());
  range.U8(0x21);
  wire::WireWriter lohi;
  lohi.U64(9);
  lohi.U64(5);
  range.String(lohi.bytes());
  expect(with_section(1, range.Take()), "serial range");
  expect(with_section(5, Bytes{0, 0, 0, 3, 1, 2, 3}), "expected 32");
  // Writing: serial 0 and a blank key id are refused.
  Krl k0 = TestKrl(ca);
  k0.certificates[0].serials.push_back(0);
  EXPECT_FALSE(WriteKrl(k0).ok());
  Krl k1 = TestKrl(ca);
  k1.certificates[0].key_ids.push_back("");
  EXPECT_FALSE(WriteKrl(k1).ok());
}

}  // namespace
}  // namespace clearbox::maint
