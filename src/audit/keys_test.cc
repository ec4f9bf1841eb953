// Unit tests of the key material parser (key_parse.h) and the CB-KEY checks that read the
// inventory: keys made at test time by OpenSSL (and ssh-keygen when installed), bad input
// that must become a problem and not a crash, and the decoys of each check.
#include "key_parse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "clearbox/audit/check.h"
#include "test_image.h"
#include "clearbox/core/encoding.h"

namespace clearbox::audit {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

struct Keys {
  EVP_PKEY* rsa = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  EVP_PKEY* ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  EVP_PKEY* ed = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  ~Keys() {
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(ed);
  }
};
const Keys& TestKeys() {
  static const Keys* keys = new Keys;
  return *keys;
}

std::string Pem(EVP_PKEY* k, bool traditional) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (traditional) {
    PEM_write_bio_PrivateKey_traditional(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, size_t(n));
  BIO_free(bio);
  return out;
}

std::string PublicPem(EVP_PKEY* k) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, k);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, size_t(n));
  BIO_free(bio);
  return out;
}

Bytes Der(EVP_PKEY* k) {
  int n = i2d_PrivateKey(k, nullptr);
  Bytes out(size_t(n), 0);
  uint8_t* p = out.data();
  i2d_PrivateKey(k, &p);
  return out;
}

KeyScan Scan(std::string_view text, bool embedded = false) {
  return ScanKeyMaterial(AsBytes(text), {true, embedded});
}

TEST(KeyParse, PemPkcs8AndPkcs1HaveOneFingerprint) {
  KeyScan a = Scan(Pem(TestKeys().rsa, false));
  KeyScan b = Scan(Pem(TestKeys().rsa, true));
  ASSERT_THAT(a.keys, SizeIs(1));
  ASSERT_THAT(b.keys, SizeIs(1));
  EXPECT_TRUE(a.keys[0].is_private);
  EXPECT_EQ(a.keys[0].label, "PRIVATE KEY");
  EXPECT_EQ(b.keys[0].label, "RSA PRIVATE KEY");
  EXPECT_EQ(a.keys[0].Describe(), "RSA 2048");
  EXPECT_EQ(a.keys[0].fingerprint, b.keys[0].fingerprint);
  EXPECT_EQ(a.keys[0].fingerprint_form, "ssh");
  EXPECT_THAT(a.keys[0].fingerprint, ::testing::StartsWith("SHA256:"));
  EXPECT_EQ(a.keys[0].fingerprint.size(), 7u + 43u);
}

TEST(KeyParse, EcAndEd25519) {
  KeyScan ec = Scan(Pem(TestKeys().ec, true));
  ASSERT_THAT(ec.keys, SizeIs(1));
  EXPECT_EQ(ec.keys[0].Describe(), "EC P-256");
  KeyScan ed = Scan(Pem(TestKeys().ed, false));
  ASSERT_THAT(ed.keys, SizeIs(1));
  EXPECT_EQ(ed.keys[0].algorithm, "ED25519");
  EXPECT_EQ(ed.keys[0].fingerprint_form, "ssh");
}

TEST(KeyParse, DerWholeFileAndEmbedded) {
  Bytes der = Der(TestKeys().rsa);
  KeyScan whole = ScanKeyMaterial(der, {true, false});
  ASSERT_THAT(whole.keys, SizeIs(1));
  EXPECT_EQ(whole.keys[0].format, KeyFormat::kDer);
  Bytes blob(1000, 0x41);
  blob.insert(blob.end(), der.begin(), der.end());
  blob.insert(blob.end(), 500, 0x00);
  KeyScan embedded = ScanKeyMaterial(blob, {false, true});
  ASSERT_THAT(embedded.keys, SizeIs(1));
  EXPECT_EQ(embedded.keys[0].offset, 1000u);
  EXPECT_EQ(embedded.keys[0].fingerprint, whole.keys[0].fingerprint);
}

TEST(KeyParse, PemInsideBinaryBytes) {
  std::string bin = std::string("\x7f" "ELF\0\0junk", 10) + Pem(TestKeys().ec, false) + std::string(64, '\0');
  KeyScan s = ScanKeyMaterial(AsBytes(bin), {false, true});
  ASSERT_THAT(s.keys, SizeIs(1));
  EXPECT_EQ(s.keys[0].offset, 10u);
}

TEST(KeyParse, PublicKeyAndCertificateAreNotPrivate) {
  KeyScan pub = Scan(PublicPem(TestKeys().rsa));
  ASSERT_THAT(pub.keys, SizeIs(1));
  EXPECT_FALSE(pub.keys[0].is_private);
  // A self-signed certificate made here.
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, TestKeys().ec);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("device"), -1, -1, 0);
  X509_set_issuer_name(x, X509_get_subject_name(x));
  X509_sign(x, TestKeys().ec, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  KeyScan cert = Scan(std::string_view(data, size_t(n)));
  BIO_free(bio);
  X509_free(x);
  EXPECT_THAT(cert.keys, IsEmpty());
  ASSERT_THAT(cert.certificates, SizeIs(1));
  EXPECT_TRUE(cert.certificates[0].self_signed);
  EXPECT_FALSE(cert.certificates[0].is_ca);
  EXPECT_EQ(cert.certificates[0].signature_digest, "SHA256");
  EXPECT_THAT(cert.certificates[0].subject, HasSubstr("CN=device"));
}

TEST(KeyParse, HalfAPemIsAProblem) {
  std::string pem = Pem(TestKeys().rsa, true);
  KeyScan s = Scan(pem.substr(0, pem.size() / 2));
  EXPECT_THAT(s.keys, IsEmpty());
  ASSERT_THAT(s.problems, SizeIs(1));
  EXPECT_THAT(s.problems[0], HasSubstr("no END line"));
}

TEST(KeyParse, GarbageBase64IsAProblem) {
  KeyScan s = Scan("-----BEGIN RSA PRIVATE KEY-----\nnot!base64@@@\n-----END RSA PRIVATE KEY-----\n");
  EXPECT_THAT(s.keys, IsEmpty());
  ASSERT_THAT(s.problems, SizeIs(1));
  EXPECT_THAT(s.problems[0], HasSubstr("OpenSSL cannot parse"));
}

TEST(KeyParse, TenMegabyteLineIsAProblem) {
  std::string big = "-----BEGIN PRIVATE KEY-----\n" + std::string(10u << 20, 'A') +
                    "\n-----END PRIVATE KEY-----\n";
  KeyScan s = Scan(big);
  EXPECT_THAT(s.keys, IsEmpty());
  EXPECT_THAT(s.problems, SizeIs(1));
}

TEST(KeyParse, OpenSshFromSshKeygen) {
  if (std::system("command -v ssh-keygen >/dev/null 2>&1") != 0) GTEST_SKIP() << "no ssh-keygen";
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("clearbox-keys-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string key = (dir / "k").string();
  ASSERT_EQ(std::system(("ssh-keygen -q -t rsa -b 2048 -N '' -C c -f " + key).c_str()), 0);
  FILE* p = popen(("ssh-keygen -lf " + key + ".pub").c_str(), "r");
  char line[512] = {};
  ASSERT_NE(fgets(line, sizeof line, p), nullptr);
  pclose(p);
  std::string expected = std::string(line).substr(std::string(line).find(' ') + 1);
  expected = expected.substr(0, expected.find(' '));
  std::ifstream in(key);
  std::stringstream text;
  text << in.rdbuf();
  KeyScan s = Scan(text.str());
  std::filesystem::remove_all(dir);
  ASSERT_THAT(s.keys, SizeIs(1));
  EXPECT_EQ(s.keys[0].format, KeyFormat::kOpenSsh);
  EXPECT_EQ(s.keys[0].Describe(), "RSA 2048");
  EXPECT_EQ(s.keys[0].fingerprint, expected);
}

TEST(KeyParse, SshBlobOfAGarbageKeyIsRejected) {
  Bytes blob = {0, 0, 0, 7, 's', 's', 'h', '-', 'r', 's', 'a', 0, 0, 0, 1};
  EXPECT_FALSE(ParseSshPublicBlob(blob).has_value());
}

// ---- the checks that read the inventory ----

using test::TextFile;

std::vector<Finding> RunOnly(inventory::Inventory& inv, std::string id) {
  return test::FindingsOf(inv.files, std::move(id));
}

std::string AuthorizedLine() {
  // A real ed25519 public key blob from the test key.
  uint8_t raw[32];
  size_t len = sizeof raw;
  EVP_PKEY_get_raw_public_key(TestKeys().ed, raw, &len);
  Bytes blob = {0, 0, 0, 11};
  for (char c : std::string_view("ssh-ed25519")) blob.push_back(uint8_t(c));
  blob.insert(blob.end(), {0, 0, 0, 32});
  blob.insert(blob.end(), raw, raw + 32);
  return "ssh-ed25519 " + Base64Encode(blob) + " vendor@support\n";
}

TEST(KeyChecks, AuthorizedKeysOfRootAndServiceButNotUsers) {
  inventory::Inventory inv;
  inv.files.push_back(TextFile("/etc/passwd",
                               "root:x:0:0::/root:/bin/sh\nftp:x:21:21::/srv/ftp:/bin/false\n"
                               "bob:x:1000:1000::/home/bob:/bin/sh\n",
                               inventory::FileKind::kConfig));
  inv.files.push_back(TextFile("/root/.ssh/authorized_keys", "# comment\n" + AuthorizedLine(),
                               inventory::FileKind::kPublicKey));
  inv.files.push_back(TextFile("/srv/ftp/.ssh/authorized_keys", AuthorizedLine(),
                               inventory::FileKind::kPublicKey));
  inv.files.push_back(TextFile("/home/bob/.ssh/authorized_keys", AuthorizedLine(),
                               inventory::FileKind::kPublicKey));
  inv.files.push_back(TextFile("/root/.ssh/authorized_keys2", "# ssh-rsa AAAA commented\n",
                               inventory::FileKind::kPublicKey));
  std::vector<Finding> f = RunOnly(inv, "CB-KEY-003");
  ASSERT_THAT(f, SizeIs(2));
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_THAT(f[0].message, HasSubstr("'root'"));
  EXPECT_EQ(f[0].evidence[0].offset, 10u);
  EXPECT_THAT(f[1].message, HasSubstr("'ftp'"));
}

TEST(KeyChecks, ScriptPasswordsWithDecoys) {
  inventory::Inventory inv;
  inv.files.push_back(TextFile("/etc/init.d/S99",
                               "#!/bin/sh\n"
                               "echo 'root:Secr3t!' | chpasswd\n"
                               "#echo 'root:old' | chpasswd\n"
                               "echo \"root:${PW}\" | chpasswd\n"
                               "echo \"admin:changeme\" | chpasswd\n"
                               "printf 'pw1234\\npw1234\\n' | passwd support\n",
                               inventory::FileKind::kInitScript));
  inv.files.push_back(TextFile("/usr/share/doc/x/setup.sh", "echo 'root:abc123' | chpasswd\n",
                               inventory::FileKind::kScript));
  std::vector<Finding> f = RunOnly(inv, "CB-KEY-006");
  ASSERT_THAT(f, SizeIs(2));
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_THAT(f[0].evidence[0].excerpt, ::testing::Not(HasSubstr("Secr3t")));
  EXPECT_THAT(f[1].message, HasSubstr("'support'"));
}

TEST(KeyChecks, WifiKeysWithDecoys) {
  inventory::Inventory inv;
  inv.files.push_back(TextFile("/etc/wpa_supplicant.conf",
                               "network={\n  psk=\"Shared-Secret-1\"\n  # psk=\"commented1\"\n}\n"
                               "network={\n  psk=\"$PSK\"\n}\n",
                               inventory::FileKind::kConfig));
  inv.files.push_back(TextFile("/etc/config/wireless",
                               "config wifi-iface\n\toption key '2'\n\toption ssid 'x'\n",
                               inventory::FileKind::kConfig));
  inv.files.push_back(TextFile("/usr/share/doc/wpa/wpa_supplicant.conf", "psk=\"example-key-1\"\n",
                               inventory::FileKind::kConfig));
  std::vector<Finding> f = RunOnly(inv, "CB-KEY-007");
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].evidence[0].offset, 10u);
  EXPECT_THAT(f[0].evidence[0].excerpt, ::testing::Not(HasSubstr("Shared-Secret")));
}

// CB-KEY-002's scanner over one program holding a PEM key, as the unpacker feeds it.
AuditReport ScanBinary(const std::string& path, std::vector<Finding>& out) {
  std::string bin = std::string("\x7f" "ELF\0\0junk", 10) + Pem(TestKeys().rsa, false) +
                    std::string(64, '\0');
  auto scanner = FindCheck("CB-KEY-002")->make_scanner({});
  inventory::FileRecord f = test::TextFile(path, "", inventory::FileKind::kElf);
  f.node.size = bin.size();
  scanner->OnContent(f, 0, AsBytes(bin));
  inventory::Inventory inv;
  AuditOptions opts;
  AuditReport report;
  AuditContext ctx(inv, opts, report);
  scanner->Finish(ctx, out);
  return report;
}

TEST(KeyChecks, KeyInAProgramIsHighSelfTestKeyOfACryptoLibraryIsInfo) {
  std::vector<Finding> daemon;
  AuditReport r = ScanBinary("/usr/sbin/vendord", daemon);
  ASSERT_THAT(daemon, SizeIs(1));
  EXPECT_EQ(daemon[0].severity, Severity::kHigh);
  EXPECT_THAT(r.observations, SizeIs(1));  // the pledge judges it
  std::vector<Finding> library;
  r = ScanBinary("/usr/lib/x86_64-linux-gnu/libgnutls.so.30.34.3", library);
  ASSERT_THAT(library, SizeIs(1));
  EXPECT_EQ(library[0].severity, Severity::kInfo);
  EXPECT_THAT(library[0].message, HasSubstr("self-test key"));
  EXPECT_THAT(r.observations, IsEmpty());
}

}  // namespace
}  // namespace clearbox::audit
