// Key material in hostile bytes: private and public keys and certificates in the forms
// firmware ships them, each confirmed by OpenSSL before it is believed.
//
//   KeyScan scan = ScanKeyMaterial(bytes, /*whole_file=*/true);
//   for (const ParsedKey& k : scan.keys) ... k.algorithm, k.bits, k.fingerprint, k.offset
//   for (const ParsedCertificate& c : scan.certificates) ... c.not_after, c.self_signed
//   for (const std::string& p : scan.problems) note(p);  // "PEM block at 0x40 ...: why"
//
// Forms: PEM anywhere in the bytes (PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY", "DSA
// PRIVATE KEY", PKCS#8 "PRIVATE KEY" and "ENCRYPTED PRIVATE KEY", legacy encrypted PEM with
// Proc-Type, "OPENSSH PRIVATE KEY" (openssh-key-v1), "PUBLIC KEY", "RSA PUBLIC KEY",
// "CERTIFICATE"), DER private keys (PKCS#1, PKCS#8, SEC1) as a whole file or, for RSA PKCS#1
// and PKCS#8, embedded in a binary, dropbear's own private key format and PuTTY .ppk files
// (as a whole file). OpenSSL parses PEM, DER and certificates; the SSH formats OpenSSL
// cannot read are walked here (every length checked) and their public half is handed to
// OpenSSL (EVP_PKEY_fromdata) to confirm it is a key.
//
// Fingerprints: for every key OpenSSH can express (RSA, DSA, ECDSA P-256/384/521, Ed25519),
// OpenSSH's form, "SHA256:" + unpadded base64 of SHA-256 over the SSH public key blob, so the
// same key as PEM, DER, OpenSSH or dropbear has one name and it matches `ssh-keygen -lf` and
// the pledge. Other keys: the same notation over the DER SubjectPublicKeyInfo
// (fingerprint_form "spki"). A key whose public half is hidden (an encrypted PEM or PKCS#8
// key) is named by the same notation over its encrypted DER ("encrypted-der").
//
// Bounds: at most kMaxKeyBlocks blocks per call, a PEM block of at most kMaxPemBlockBytes
// (a longer one, or a BEGIN without END, is a problem, not a key), at most kMaxDerCandidates
// embedded DER candidates tried. Thread-safe (OpenSSL's error queue is per thread and is
// cleared after each failed parse).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"

namespace clearbox::audit {

inline constexpr size_t kMaxKeyBlocks = 256;
inline constexpr size_t kMaxPemBlockBytes = 256 * 1024;
inline constexpr size_t kMaxDerKeyBytes = 64 * 1024;
inline constexpr size_t kMaxDerCandidates = 4096;
inline constexpr size_t kMaxKeyProblems = 16;

enum class KeyFormat { kPem, kDer, kOpenSsh, kDropbear, kPutty };
std::string_view KeyFormatName(KeyFormat f);  // "PEM", "DER", "OpenSSH", "dropbear", "PuTTY"

struct ParsedKey {
  bool is_private = false;
  bool encrypted = false;  // the private half needs a passphrase
  KeyFormat format = KeyFormat::kPem;
  std::string label;      // PEM label ("RSA PRIVATE KEY"), "openssh-key-v1", "ssh-rsa", ...
  std::string algorithm;  // "RSA", "DSA", "EC", "ED25519", "ED448", ...; "" when hidden
  int bits = 0;           // 0 when hidden
  std::string curve;      // EC: "P-256" (OpenSSL's group name otherwise)
  std::string fingerprint;       // "SHA256:..." (see above)
  std::string fingerprint_form;  // "ssh", "spki" or "encrypted-der"
  uint64_t offset = 0;           // of the block in the scanned bytes
  uint64_t length = 0;
  std::string comment;  // OpenSSH / PuTTY comment when readable (may name the owner)

  // "RSA 2048", "EC P-256", "ED25519 256", "encrypted PKCS#8 (type hidden)".
  std::string Describe() const;
};

struct ParsedCertificate {
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string subject;  // one line, RFC 2253
  std::string issuer;
  int64_t not_before = 0;  // seconds since the epoch
  int64_t not_after = 0;
  bool self_signed = false;  // issuer == subject and its own key verifies the signature
  bool is_ca = false;        // basicConstraints CA:TRUE
  std::string key_algorithm;  // "RSA", "EC", ...
  int key_bits = 0;
  std::string signature_algorithm;  // OpenSSL's long name: "sha256WithRSAEncryption"
  std::string signature_digest;     // "SHA1", "MD5", "SHA256", ... ("" when none/unknown)
  std::string fingerprint;          // "SHA256:" + base64 of SHA-256 over the DER certificate
};

struct KeyScan {
  std::vector<ParsedKey> keys;
  std::vector<ParsedCertificate> certificates;
  // What could not be read, each naming the offset and what was wrong (at most
  // kMaxKeyProblems): "PEM block 'RSA PRIVATE KEY' at 0x40: no END line".
  std::vector<std::string> problems;
};

struct KeyScanOptions {
  // The bytes are a whole file: also try DER, dropbear and PuTTY at offset 0.
  bool whole_file = true;
  // Look for DER RSA private keys (PKCS#1, PKCS#8) anywhere in the bytes (binaries).
  bool embedded_der = false;
};

KeyScan ScanKeyMaterial(ByteView data, const KeyScanOptions& options);

// The fingerprint of an SSH public key blob (the base64 field of an authorized_keys line,
// decoded), with its algorithm and size when OpenSSL accepts the key; nullopt when it does not.
std::optional<ParsedKey> ParseSshPublicBlob(ByteView blob);

// "SHA256:" + unpadded base64 of SHA-256(data), OpenSSH's notation.
std::string Sha256Fingerprint(ByteView data);

}  // namespace clearbox::audit
