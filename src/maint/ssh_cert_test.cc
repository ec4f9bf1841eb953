#include "clearbox/maint/ssh_cert.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <sstream>

#include "clearbox/core/encoding.h"
#include "maint/ssh_wire.h"
#include "maint/test_util.h"

namespace clearbox::maint {
namespace {

using ::testing::HasSubstr;
using testing::RunShell;
using testing::ScratchDir;

// An engineer's key as ssh-keygen -t ed25519 wrote it.
constexpr const char* kEngineerPub =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPYFcNHRFZG/oi0J9bOJwtl999A6HWJrvQRDSBwr/K1x eng";
constexpr uint64_t kAfter = 1796601600;   // 2026-12-07T00:00:00Z
constexpr uint64_t kBefore = 1796605200;  // 2026-12-07T01:00:00Z

SshCaKey TestCa(uint8_t seed_byte = 7) {
  Bytes seed(32, seed_byte);
  return SshCaKey::FromEd25519(*crypto::Ed25519PrivateKey::FromSeed(seed));
}

CertificateRequest TestRequest() {
  CertificateRequest r;
  r.subject = *ParseSshPublicKey(kEngineerPub);
  r.serial = 4242;
  r.key_id = "CHG-2026-0117";
  r.principals = {"maint-olt1", "maint-olt2"};
  r.valid_after = kAfter;
  r.valid_before = kBefore;
  r.force_command = "/usr/lib/clearbox/record-session --ticket CHG-2026-0117";
  r.source_address = "192.0.2.10/32";
  return r;
}

TEST(SshCert, IssueAndParseRoundTrip) {
  SshCaKey ca = TestCa();
  auto blob = IssueCertificate(TestRequest(), ca, 3600);
  ASSERT_TRUE(blob.ok()) << blob.error().ToString();
  auto c = ParseCertificate(*blob);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->type, "ssh-ed25519-cert-v01@openssh.com");
  EXPECT_EQ(c->nonce.size(), 32u);
  EXPECT_EQ(c->subject.blob, TestRequest().subject.blob);
  EXPECT_EQ(c->serial, 4242u);
  EXPECT_EQ(c->cert_type, kSshCertTypeUser);
  EXPECT_EQ(c->key_id, "CHG-2026-0117");
  EXPECT_EQ(c->principals, (std::vector<std::string>{"maint-olt1", "maint-olt2"}));
  EXPECT_EQ(c->valid_after, kAfter);
  EXPECT_EQ(c->valid_before, kBefore);
  using Opts = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(c->critical_options,
            (Opts{{"force-command", "/usr/lib/clearbox/record-session --ticket CHG-2026-0117"},
                  {"source-address", "192.0.2.10/32"}}));
  EXPECT_EQ(c->extensions, (Opts{{"permit-pty", ""}}));
  EXPECT_EQ(c->signature_key.blob, ca.public_key().blob);
  // The .pub line form parses to the same certificate.
  auto again = ParseCertificateLine(FormatCertificateLine(*blob, "CHG-2026-0117"));
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again->blob, *blob);
}

// Splits `ssh-keygen -L` output into "Field" -> value, and list fields -> their lines.
std::map<std::string, std::vector<std::string>> ParseKeygenListing(const std::string& out) {
  std::map<std::string, std::vector<std::string>> fields;
  std::istringstream in(out);
  std::string line, current;
  while (std::getline(in, line)) {
    if (line.rfind("                ", 0) == 0) {
      fields[current].push_back(line.substr(16));
    } else if (line.rfind("        ", 0) == 0) {
      size_t colon = line.find(": ");
      current = line.substr(8, colon - 8);
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 2);
      while (!value.empty() && value.back() == ' ') value.pop_back();
      fields[current] = value.empty() ? std::vector<std::string>{} : std::vector{value};
    }
  }
  return fields;
}

TEST(SshCert, SshKeygenListsEveryFieldAsIssued) {
  if (!testing::HaveSshKeygen()) GTEST_SKIP() << "ssh-keygen not installed (openssh-client)";
  ScratchDir dir;
  SshCaKey ca = TestCa();
  auto blob = IssueCertificate(TestRequest(), ca, 3600);
  ASSERT_TRUE(blob.ok()) << blob.error().ToString();
  dir.Write("eng-cert.pub", FormatCertificateLine(*blob, "eng") + "\n");
  auto r = RunShell("ssh-keygen -L -f " + dir.File("eng-cert.pub"));
  ASSERT_EQ(r.status, 0) << r.output;
  auto f = ParseKeygenListing(r.output);
  using V = std::vector<std::string>;
  EXPECT_EQ(f["Type"], V{"ssh-ed25519-cert-v01@openssh.com user certificate"});
  EXPECT_EQ(f["Public key"], V{"ED25519-CERT " + SshFingerprint(TestRequest().subject.blob)});
  EXPECT_EQ(f["Signing CA"],
            V{"ED25519 " + SshFingerprint(ca.public_key().blob) + " (using ssh-ed25519)"});
  EXPECT_EQ(f["Key ID"], V{"\"CHG-2026-0117\""});
  EXPECT_EQ(f["Serial"], V{"4242"});
  EXPECT_EQ(f["Valid"], V{"from 2026-12-07T00:00:00 to 2026-12-07T01:00:00"});
  EXPECT_EQ(f["Principals"], (V{"maint-olt1", "maint-olt2"}));
  EXPECT_EQ(f["Critical Options"],
            (V{"force-command /usr/lib/clearbox/record-session --ticket CHG-2026-0117",
               "source-address 192.0.2.10/32"}));
  EXPECT_EQ(f["Extensions"], V{"permit-pty"});  // no agent, port or X11 forwarding, no user-rc
  // clearbox's own listing is ssh-keygen's, line for line.
  auto parsed = ParseCertificate(*blob);
  ASSERT_TRUE(parsed.ok());
  std::string ours = dir.File("eng-cert.pub") + ":\n" + DescribeCertificate(*parsed);
  EXPECT_EQ(ours, r.output);
}

TEST(SshCert, ReadsOpenSshCaKeyAndSshKeygenCertificates) {
  if (!testing::HaveSshKeygen()) GTEST_SKIP() << "ssh-keygen not installed (openssh-client)";
  ScratchDir dir;
  for (const char* k : {"ca", "eng", "ecdsa", "rsa"}) {
    std::string type = std::string(k) == "ecdsa" ? "ecdsa"
                       : std::string(k) == "rsa" ? "rsa"
                                                 : "ed25519";
    auto r = RunShell("ssh-keygen -q -t " + type + " -N '' -C " + k + " -f " + dir.File(k));
    ASSERT_EQ(r.status, 0) << r.output;
  }
  auto ca = SshCaKey::FromOpenSshPrivateKey(dir.Read("ca"));
  ASSERT_TRUE(ca.ok()) << ca.error().ToString();
  EXPECT_EQ(FormatSshPublicKey(ca->public_key()) + "\n", dir.Read("ca.pub"));
  // Engineers' keys of three types; the CA that ssh-keygen made signs each of them.
  for (const char* k : {"eng", "ecdsa", "rsa"}) {
    CertificateRequest req = TestRequest();
    auto subject = ParseSshPublicKey(dir.Read(std::string(k) + ".pub"));
    ASSERT_TRUE(subject.ok()) << subject.error().ToString();
    req.subject = *subject;
    auto blob = IssueCertificate(req, *ca, 3600);
    ASSERT_TRUE(blob.ok()) << blob.error().ToString();
    dir.Write(std::string(k) + "-cert.pub", FormatCertificateLine(*blob, k));
    auto r = RunShell("ssh-keygen -L -f " + dir.File(std::string(k) + "-cert.pub"));
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output,
                HasSubstr("Signing CA: ED25519 " + SshFingerprint(ca->public_key().blob)));
    EXPECT_THAT(r.output, HasSubstr(subject->type + "-cert-v01@openssh.com user certificate"));
  }
  // The other direction: a certificate that ssh-keygen -s signs parses and verifies.
  auto r = RunShell("ssh-keygen -q -s " + dir.File("ca") +
                    " -I ticket-9 -n alice,bob -z 77 -V 20261207000000:20261207010000 -O clear"
                    " -O permit-pty -O source-address=10.0.0.0/8 " +
                    dir.File("eng.pub"));
  ASSERT_EQ(r.status, 0) << r.output;
  auto c = ParseCertificateLine(dir.Read("eng-cert.pub"));
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->key_id, "ticket-9");
  EXPECT_EQ(c->serial, 77u);
  EXPECT_EQ(c->principals, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(c->signature_key.blob, ca->public_key().blob);
  ASSERT_EQ(c->critical_options.size(), 1u);
  EXPECT_EQ(c->critical_options[0].second, "10.0.0.0/8");
}

TEST(SshCert, RefusesEncryptedAndNonEd25519CaKeys) {
  if (!testing::HaveSshKeygen()) GTEST_SKIP() << "ssh-keygen not installed (openssh-client)";
  ScratchDir dir;
  ASSERT_EQ(RunShell("ssh-keygen -q -t ed25519 -N 'pass phrase' -f " + dir.File("enc")).status, 0);
  ASSERT_EQ(RunShell("ssh-keygen -q -t ecdsa -N '' -f " + dir.File("ec")).status, 0);
  auto enc = SshCaKey::FromOpenSshPrivateKey(dir.Read("enc"));
  ASSERT_FALSE(enc.ok());
  EXPECT_EQ(enc.error().code(), ErrorCode::kUnsupported);
  EXPECT_THAT(enc.error().message(), HasSubstr("encrypted"));
  auto ec = SshCaKey::FromOpenSshPrivateKey(dir.Read("ec"));
  ASSERT_FALSE(ec.ok());
  EXPECT_THAT(ec.error().message(), HasSubstr("must be an Ed25519 key"));
  EXPECT_FALSE(SshCaKey::FromOpenSshPrivateKey("not a key").ok());
  // A private half that does not match its public key: flip a byte of the public key inside.
  ASSERT_EQ(RunShell("ssh-keygen -q -t ed25519 -N '' -C x -f " + dir.File("plain")).status, 0);
  std::string plain = dir.Read("plain");
  size_t b = plain.find('\n') + 1, e = plain.find("-----END");
  std::string b64;
  for (char ch : plain.substr(b, e - b)) {
    if (ch != '\n') b64.push_back(ch);
  }
  Bytes raw = *Base64Decode(b64);
  raw[raw.size() - 40] ^= 1;  // inside the private section's keys
  std::string bad = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + Base64Encode(raw) +
                    "\n-----END OPENSSH PRIVATE KEY-----\n";
  auto corrupt = SshCaKey::FromOpenSshPrivateKey(bad);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.error().code(), ErrorCode::kInvalidInput);
}

// One negative test per reason IssueCertificate refuses a request.
TEST(SshCert, IssueRefusesEachBadRequest) {
  SshCaKey ca = TestCa();
  auto expect = [&](auto mutate, ErrorCode code, std::string_view text) {
    CertificateRequest r = TestRequest();
    mutate(r);
    auto c = IssueCertificate(r, ca, 3600);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.error().code(), code) << c.error().message();
    EXPECT_THAT(c.error().message(), HasSubstr(text));
  };
  using R = CertificateRequest;
  expect([](R& r) { r.serial = 0; }, ErrorCode::kInvalidInput, "serial 0");
  expect([](R& r) { r.key_id = ""; }, ErrorCode::kInvalidInput, "key id is empty");
  expect([](R& r) { r.key_id = "CHG\n1"; }, ErrorCode::kInvalidInput, "control character");
  expect([](R& r) { r.key_id = std::string(300, 'x'); }, ErrorCode::kLimitExceeded, "key id");
  expect([](R& r) { r.principals.clear(); }, ErrorCode::kInvalidInput, "no principals");
  expect([](R& r) { r.principals.push_back("maint-olt1"); }, ErrorCode::kInvalidInput, "repeated");
  expect([](R& r) { r.principals = {"a,b"}; }, ErrorCode::kInvalidInput, "comma");
  expect([](R& r) { r.principals = {std::string(256, 'p')}; }, ErrorCode::kLimitExceeded,
         "principal");
  expect(
      [](R& r) {
        r.principals.clear();
        for (int i = 0; i < 100000; ++i) r.principals.push_back("acct" + std::to_string(i));
      },
      ErrorCode::kLimitExceeded, "100000 principals; a certificate may name at most 256");
  expect([](R& r) { r.valid_before = r.valid_after; }, ErrorCode::kInvalidInput, "window is empty");
  expect([](R& r) { r.valid_before = r.valid_after + 3601; }, ErrorCode::kLimitExceeded,
         "policy allows at most 3600 s");
  expect([](R& r) { r.force_command = ""; }, ErrorCode::kInvalidInput, "force-command is empty");
  expect([](R& r) { r.source_address = "jump.example.net"; }, ErrorCode::kInvalidInput,
         "not an IPv4/IPv6 address");
  expect([](R& r) { r.source_address = "192.0.2.1/33"; }, ErrorCode::kInvalidInput,
         "prefix length over 32");
  expect([](R& r) { r.subject.blob.pop_back(); }, ErrorCode::kInvalidInput, "Ed25519 key");
  EXPECT_TRUE(CheckSourceAddressList("192.0.2.10/32,2001:db8::/32,10.1.2.3").ok());
}

TEST(SshCert, MalformedPublicKeysGetAClearError) {
  struct Case {
    std::string line;
    std::string text;
  };
  std::string b64 = std::string(kEngineerPub).substr(12, 68);
  Bytes blob = *Base64Decode(b64);
  Bytes short_key(blob.begin(), blob.end() - 1);
  for (const Case& c : std::vector<Case>{
           {"", "empty"},
           {"ssh-ed25519", "one word"},
           {"ssh-ed25519 !!!!", "not valid base64"},
           {"ssh-rsa " + b64, "the line says \"ssh-rsa\""},
           {"ssh-ed25519 " + Base64Encode(short_key), "Ed25519 key"},
           {"ssh-ed25519 " + Base64Encode(Bytes(blob.begin(), blob.begin() + 10)),
            "runs past the end"},
           {"ssh-dss AAAAB3NzaC1kc3MAAAAA", "unsupported key type"},
       }) {
    auto k = ParseSshPublicKey(c.line);
    ASSERT_FALSE(k.ok()) << c.line;
    EXPECT_THAT(k.error().message(), HasSubstr(c.text)) << c.line;
  }
}

// Builds a certificate field by field so tests can break one rule at a time; signed by `ca`.
Bytes BuildCert(const SshCaKey& ca, const std::vector<std::string>& principals,
                const std::vector<std::string>& option_names) {
  wire::WireWriter w;
  w.String("ssh-ed25519-cert-v01@openssh.com");
  w.String(Bytes(32, 1));
  w.String(Bytes(32, 2));
  w.U64(1);
  w.U32(1);
  w.String("id");
  wire::WireWriter p;
  for (const auto& s : principals) p.String(s);
  w.String(p.bytes());
  w.U64(kAfter);
  w.U64(kBefore);
  wire::WireWriter o;
  for (const auto& n : option_names) {
    o.String(n);
    wire::WireWriter v;
    v.String("x");
    o.String(v.bytes());
  }
  w.String(o.bytes());
  w.String(Bytes());
  w.String(Bytes());
  w.String(ca.public_key().blob);
  w.String(*ca.SignBlob(w.bytes()));
  return w.Take();
}

TEST(SshCert, ParserRefusesHostileCertificates) {
  SshCaKey ca = TestCa();
  ASSERT_TRUE(ParseCertificate(BuildCert(ca, {"a"}, {"force-command", "source-address"})).ok());
  auto unsorted = ParseCertificate(BuildCert(ca, {"a"}, {"source-address", "force-command"}));
  ASSERT_FALSE(unsorted.ok());
  EXPECT_THAT(unsorted.error().message(), HasSubstr("out of order"));
  auto dup = ParseCertificate(BuildCert(ca, {"a"}, {"force-command", "force-command"}));
  ASSERT_FALSE(dup.ok());
  std::vector<std::string> many(SshCertLimits::kMaxPrincipals + 1, "p");
  auto too_many = ParseCertificate(BuildCert(ca, many, {}));
  ASSERT_FALSE(too_many.ok());
  EXPECT_THAT(too_many.error().message(), HasSubstr("valid principals"));

  Bytes good = *IssueCertificate(TestRequest(), ca, 3600);
  // Every truncation fails cleanly; so does a trailing byte.
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(ParseCertificate(ByteView(good).subspan(0, n)).ok()) << n;
  }
  Bytes longer = good;
  longer.push_back(0);
  auto trailing = ParseCertificate(longer);
  ASSERT_FALSE(trailing.ok());
  EXPECT_THAT(trailing.error().message(), HasSubstr("trailing"));
  // Any change to the signed part is caught: a field error or a signature that fails.
  for (size_t i = 0; i < good.size() - 100; i += 7) {
    Bytes bad = good;
    bad[i] ^= 0x20;
    EXPECT_FALSE(ParseCertificate(bad).ok()) << i;
  }
  Bytes other_serial = good;
  other_serial[4 + 32 + 4 + 32 + 4 + 32 + 7] ^= 1;  // type, nonce, key: then the serial
  auto forged = ParseCertificate(other_serial);
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().code(), ErrorCode::kVerificationFailed);
  // Signed by another CA: it verifies under that CA, which is what a verifier must then check.
  auto other = ParseCertificate(*IssueCertificate(TestRequest(), TestCa(9), 3600));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->signature_key.blob, ca.public_key().blob);
}

// The figure in the report: the time to issue one certificate (sign included).
TEST(SshCert, IssueTime) {
  SshCaKey ca = TestCa();
  CertificateRequest req = TestRequest();
  constexpr int kRuns = 2000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRuns; ++i) {
    req.serial = uint64_t(i) + 1;
    ASSERT_TRUE(IssueCertificate(req, ca, 3600).ok());
  }
  double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
      kRuns;
  std::printf("issue one certificate: %.1f us (mean of %d)\n", us, kRuns);
  EXPECT_LT(us, 50000.0);
}

}  // namespace
}  // namespace clearbox::maint
