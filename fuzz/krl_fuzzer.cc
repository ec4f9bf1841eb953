// Fuzzes the OpenSSH KRL parser (every section and subsection type, the serial bitmap, the
// entry budget), the writer on whatever parsed, and the revocation check against a fixed
// certificate.
#include <cstddef>
#include <cstdint>

#include "clearbox/maint/krl.h"

using namespace clearbox;

namespace {

const maint::SshCertificate& FixedCertificate() {
  static const auto* cert = [] {
    auto ca = maint::SshCaKey::FromEd25519(*crypto::Ed25519PrivateKey::FromSeed(Bytes(32, 7)));
    maint::CertificateRequest r;
    r.subject = ca.public_key();
    r.serial = 42;
    r.key_id = "CHG-1";
    r.principals = {"maint"};
    r.valid_after = 1;
    r.valid_before = 2;
    r.force_command = "rec";
    r.source_address = "127.0.0.1";
    return new maint::SshCertificate(
        *maint::ParseCertificate(*maint::IssueCertificate(r, ca, 3600)));
  }();
  return *cert;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto krl = maint::ParseKrl(ByteView(data, size));
  if (!krl.ok()) {
    (void)krl.error().message();
    return 0;
  }
  (void)maint::IsCertificateRevoked(*krl, FixedCertificate());
  auto again = maint::WriteKrl(*krl);
  if (again.ok()) {
    auto reparsed = maint::ParseKrl(*again);
    if (!reparsed.ok()) __builtin_trap();  // what the writer writes, the parser reads
  }
  return 0;
}
