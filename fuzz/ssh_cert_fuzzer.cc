// Fuzzes the maint module's OpenSSH parsers: certificate blobs (every field, the options
// lists, the CA signature), certificate and public key lines, public key blobs, and the
// OpenSSH private key format of the CA key. The input is tried as each of them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "clearbox/maint/ssh_cert.h"

using namespace clearbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView bytes(data, size);
  auto cert = maint::ParseCertificate(bytes);
  if (cert.ok()) {
    (void)maint::DescribeCertificate(*cert);
    (void)maint::FormatCertificateLine(cert->blob, cert->key_id);
  } else {
    (void)cert.error().message();
  }
  (void)maint::ParseSshPublicKeyBlob(bytes);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)maint::ParseCertificateLine(text);
  auto key = maint::ParseSshPublicKey(text);
  if (key.ok()) (void)maint::FormatSshPublicKey(*key);
  (void)maint::SshCaKey::FromOpenSshPrivateKey(text);
  (void)maint::CheckSourceAddressList(text.substr(0, 512));
  return 0;
}
