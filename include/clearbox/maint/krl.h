// OpenSSH Key Revocation Lists (PROTOCOL.krl): the file sshd's RevokedKeys and
// `ssh-keygen -Q` read. clearbox writes one certificate section per CA, revoking
// maintenance certificates by serial and by key id (the ticket).
//
//   Krl krl;
//   krl.version = 7;                        // increases with every new KRL
//   krl.generated_date = time(nullptr);
//   krl.comment = "clearbox maint";
//   KrlCertificateSection& s = krl.certificates.emplace_back();
//   s.ca_key = ca.public_key().blob;
//   s.serials = {42, 43};
//   s.key_ids = {"CHG-2026-0117"};
//   CLEARBOX_ASSIGN_OR_RETURN(Bytes file, WriteKrl(krl));
//
//   CLEARBOX_ASSIGN_OR_RETURN(Krl parsed, ParseKrl(file));
//   bool revoked = IsCertificateRevoked(parsed, cert);
//
// The parser reads every section type of format version 1 that ssh-keygen -k writes
// (certificates by serial list, range, bitmap and key id; explicit keys; SHA-1 and SHA-256
// fingerprints). KRL signature sections are refused: OpenSSH never checks them either.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/maint/ssh_cert.h"

namespace clearbox::maint {

struct KrlLimits {
  static constexpr size_t kMaxFile = 16 * 1024 * 1024;
  static constexpr size_t kMaxSections = 1024;    // top-level and per-CA subsections
  static constexpr size_t kMaxEntries = 1000000;  // serials + ids + keys in the whole KRL
  static constexpr size_t kMaxKeyIdLength = 1024;
  static constexpr uint64_t kMaxBitmapBits = 1 << 24;  // one serial bitmap (16 Mbit)
};

// A range of revoked serials, inclusive at both ends.
struct KrlSerialRange {
  uint64_t lo = 0;
  uint64_t hi = 0;
};

// Certificates of one CA (or of any CA, when ca_key is empty).
struct KrlCertificateSection {
  Bytes ca_key;                        // the CA's public key blob; empty = any CA
  std::vector<uint64_t> serials;       // written as a serial list; never 0
  std::vector<KrlSerialRange> ranges;  // from range and bitmap subsections (read only)
  std::vector<std::string> key_ids;
};

struct Krl {
  uint64_t version = 0;         // the KRL's own version number
  uint64_t generated_date = 0;  // seconds since the epoch
  uint64_t flags = 0;
  std::string comment;
  std::vector<KrlCertificateSection> certificates;
  std::vector<Bytes> explicit_keys;        // plain public key blobs
  std::vector<Bytes> sha1_fingerprints;    // 20 bytes each
  std::vector<Bytes> sha256_fingerprints;  // 32 bytes each
};

// Serialises `krl`. Serials are sorted and deduplicated. Errors: kInvalidInput (serial 0, an
// empty or unprintable key id, a CA key that is not a public key blob), kLimitExceeded.
Result<Bytes> WriteKrl(const Krl& krl);

// Parses a KRL file. Errors: kInvalidInput naming the section and offset (bad magic,
// truncated, a length over a limit, trailing bytes, a serial 0, a bad range),
// kUnsupported (a format version other than 1, a signature section, an unknown section type).
Result<Krl> ParseKrl(ByteView data);

// True if `cert` is revoked by `krl`: its serial or key id listed under its CA (or under
// "any CA"), or its subject key listed explicitly or by fingerprint.
bool IsCertificateRevoked(const Krl& krl, const SshCertificate& cert);

}  // namespace clearbox::maint
