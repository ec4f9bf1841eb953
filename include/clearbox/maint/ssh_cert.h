// OpenSSH user certificates (PROTOCOL.certkeys, "*-cert-v01@openssh.com") for vendor
// maintenance: a short-lived certificate for an engineer's own SSH key, signed by the
// operator's Ed25519 CA key, that a stock sshd accepts through TrustedUserCAKeys.
//
//   CLEARBOX_ASSIGN_OR_RETURN(SshCaKey ca, SshCaKey::FromOpenSshPrivateKey(ca_file_text));
//   CLEARBOX_ASSIGN_OR_RETURN(SshPublicKey engineer, ParseSshPublicKey(engineer_pub_line));
//   CertificateRequest req;
//   req.subject = engineer;
//   req.serial = 42;                         // unique; recorded in the log
//   req.key_id = "CHG-2026-0117";            // the ticket
//   req.principals = {"maint-olt1"};         // the approved device accounts
//   req.valid_after = t0; req.valid_before = t0 + 3600;
//   req.force_command = "/usr/lib/clearbox/record-session";
//   req.source_address = "192.0.2.10/32";    // the jump host
//   CLEARBOX_ASSIGN_OR_RETURN(Bytes cert, IssueCertificate(req, ca, /*max_validity=*/4 * 3600));
//   std::string line = FormatCertificateLine(cert, "CHG-2026-0117");  // *-cert.pub file
//
// What is issued is fixed by design, not by the caller: a user certificate (type 1), critical
// options force-command and source-address both present, one extension permit-pty (a
// maintenance shell needs a terminal) and no permit-agent/port/X11-forwarding or
// permit-user-rc. The parser (ParseCertificate) reads any well-formed user or host
// certificate of the supported key types, so it also reads what ssh-keygen -s writes.
//
// Thread-safety: all functions are pure or const; SshCaKey may be shared between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/crypto/ed25519.h"

namespace clearbox::maint {

// Caps on untrusted certificate and key input. A certificate that exceeds one is refused
// (kLimitExceeded when issuing, kInvalidInput when parsing) with the field named.
struct SshCertLimits {
  static constexpr size_t kMaxBlob = 64 * 1024;       // a whole certificate blob
  static constexpr size_t kMaxPrincipals = 256;       // valid principals
  static constexpr size_t kMaxPrincipalLength = 255;  // one principal (a user name)
  static constexpr size_t kMaxKeyIdLength = 255;      // the key id (a ticket)
  static constexpr size_t kMaxOptions = 32;           // critical options, and extensions
  static constexpr size_t kMaxOptionValue = 4096;     // force-command, source-address
  static constexpr size_t kMaxKeyField = 2048;        // one key field (an RSA modulus: 16k bits)
  static constexpr size_t kMaxNonce = 256;
};

// Certificate type (PROTOCOL.certkeys): what the certificate authenticates.
inline constexpr uint32_t kSshCertTypeUser = 1;
inline constexpr uint32_t kSshCertTypeHost = 2;

// An SSH public key in its wire form: string type, then the key's fields (RFC 4253 6.6).
// Supported types: ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa, and the FIDO
// sk-ssh-ed25519@openssh.com and sk-ecdsa-sha2-nistp256@openssh.com. The engineer's key is
// embedded in the certificate as it is, so every type is only checked for its shape.
struct SshPublicKey {
  std::string type;     // "ssh-ed25519"
  Bytes blob;           // the whole wire blob, starting with the type string
  std::string comment;  // from the .pub line; empty if none
};

// Parses one OpenSSH public key line: "TYPE BASE64 [COMMENT]" (an authorized_keys line
// without options). Errors: kInvalidInput (names the part that is wrong), kUnsupported
// (a key type outside the list above, or a certificate given where a plain key belongs).
Result<SshPublicKey> ParseSshPublicKey(std::string_view line);
// Parses a public key wire blob (the same checks as ParseSshPublicKey).
Result<SshPublicKey> ParseSshPublicKeyBlob(ByteView blob);
// "TYPE BASE64 COMMENT" (no comment part if empty).
std::string FormatSshPublicKey(const SshPublicKey& key);
// "SHA256:<base64 without padding>" of the blob, as ssh-keygen -l prints it.
std::string SshFingerprint(ByteView key_blob);

// The certificate authority's signing key: Ed25519 only.
class SshCaKey {
 public:
  // Reads an unencrypted OpenSSH private key file ("-----BEGIN OPENSSH PRIVATE KEY-----",
  // openssh-key-v1, as `ssh-keygen -t ed25519 -N ''` writes it). Errors: kUnsupported for a
  // passphrase-protected key (names the cipher: decrypt a copy with ssh-keygen -p) or a key
  // type other than Ed25519; kInvalidInput for a malformed file (names the field), including
  // a private half that does not match its public key.
  static Result<SshCaKey> FromOpenSshPrivateKey(std::string_view file_text);
  static SshCaKey FromEd25519(crypto::Ed25519PrivateKey key);

  // The CA's public key: the signature key field of each certificate, the TrustedUserCAKeys
  // line, the CA key of a KRL's certificate section.
  const SshPublicKey& public_key() const { return public_key_; }
  // An "ssh-ed25519" signature blob (string type, string 64-byte signature) over `data`.
  Result<Bytes> SignBlob(ByteView data) const;

 private:
  SshCaKey(crypto::Ed25519PrivateKey key, SshPublicKey pub)
      : key_(std::move(key)), public_key_(std::move(pub)) {}
  crypto::Ed25519PrivateKey key_;
  SshPublicKey public_key_;
};

// What the caller decides; everything else is fixed (see the overview).
struct CertificateRequest {
  SshPublicKey subject;                 // the engineer's public key
  uint64_t serial = 0;                  // unique, never 0 (a KRL cannot revoke serial 0)
  std::string key_id;                   // the ticket: printable, 1-255 bytes
  std::vector<std::string> principals;  // 1-256 account names, no duplicates
  uint64_t valid_after = 0;             // seconds since the epoch, inclusive
  uint64_t valid_before = 0;            // seconds since the epoch, exclusive
  std::string force_command;            // the recording wrapper, non-empty
  std::string source_address;           // the jump host: comma-separated addresses/CIDRs
};

// Checks `request` and returns the signed certificate blob. `max_validity_seconds` is the
// policy's longest window. Errors: kInvalidInput (an empty or unprintable key id, principal
// or option; a duplicate principal; serial 0; valid_after >= valid_before; a source-address
// that is not a list of IPv4/IPv6 addresses or CIDRs), kLimitExceeded (too many or too long
// principals, a window longer than max_validity_seconds), kInternal (signing failed).
Result<Bytes> IssueCertificate(const CertificateRequest& request, const SshCaKey& ca,
                               uint64_t max_validity_seconds);

// A parsed certificate. Options keep their wire order; the parser has checked it is sorted.
struct SshCertificate {
  std::string type;  // "ssh-ed25519-cert-v01@openssh.com"
  Bytes nonce;
  SshPublicKey subject;  // the certified key, as a plain public key
  uint64_t serial = 0;
  uint32_t cert_type = 0;  // kSshCertTypeUser or kSshCertTypeHost
  std::string key_id;
  std::vector<std::string> principals;
  uint64_t valid_after = 0;
  uint64_t valid_before = 0;
  std::vector<std::pair<std::string, std::string>> critical_options;  // name, value
  std::vector<std::pair<std::string, std::string>> extensions;        // name, value ("" if none)
  SshPublicKey signature_key;                                         // the CA
  Bytes blob;  // the whole certificate as parsed
};

// Parses a certificate blob and verifies the CA's signature over it. Only Ed25519 CA keys
// are verified (what SshCaKey signs with); any other signature key is kUnsupported.
// Errors: kInvalidInput (names the field and offset: truncated, over a limit, unsorted or
// duplicate options, a nested option value that is not one string, trailing bytes),
// kUnsupported (key or signature type), kVerificationFailed (a signature that does not verify).
Result<SshCertificate> ParseCertificate(ByteView blob);
// Parses a "*-cert.pub" line: "TYPE-cert-v01@openssh.com BASE64 [COMMENT]".
Result<SshCertificate> ParseCertificateLine(std::string_view line);
// The "*-cert.pub" line for a certificate blob.
std::string FormatCertificateLine(ByteView cert_blob, std::string_view comment);
// A human-readable listing in the layout of `ssh-keygen -L` (times in UTC).
std::string DescribeCertificate(const SshCertificate& cert);

// Checks a source-address value as sshd does: comma-separated IPv4/IPv6 addresses or CIDR
// blocks (no host names, no wildcards). Errors: kInvalidInput naming the bad entry.
Status CheckSourceAddressList(std::string_view list);

}  // namespace clearbox::maint
