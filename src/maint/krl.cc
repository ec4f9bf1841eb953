// OpenSSH KRLs (PROTOCOL.krl, format version 1): writer and bounded parser.
#include "clearbox/maint/krl.h"

#include <algorithm>
#include <string>

#include "clearbox/core/digest.h"
#include "maint/ssh_wire.h"

namespace clearbox::maint {
namespace {

using wire::WireReader;
using wire::WireWriter;

constexpr uint64_t kKrlMagic = 0x5353484b524c0a00ULL;  // "SSHKRL\n\0"
constexpr uint32_t kKrlFormatVersion = 1;

enum : uint8_t {
  kSectionCertificates = 1,
  kSectionExplicitKey = 2,
  kSectionFingerprintSha1 = 3,
  kSectionSignature = 4,
  kSectionFingerprintSha256 = 5,
  kCertSerialList = 0x20,
  kCertSerialRange = 0x21,
  kCertSerialBitmap = 0x22,
  kCertKeyId = 0x23,
};

std::string SectionName(uint8_t t) {
  return "section type 0x" + [&] {
    const char* hex = "0123456789abcdef";
    return std::string{hex[t >> 4], hex[t & 15]};
  }();
}

class EntryBudget {
 public:
  Status Take(WireReader& r, std::string_view field, size_t n = 1) {
    if (n > KrlLimits::kMaxEntries - used_) {
      return r.Fail(
          field, "more than " + std::to_string(KrlLimits::kMaxEntries) + " revocations in one KRL");
    }
    used_ += n;
    return Status::Ok();
  }

 private:
  size_t used_ = 0;
};

// Reads the set bits of a bitmap mpint as serial ranges (runs of ones).
Status ReadBitmap(WireReader& r, EntryBudget& budget, std::vector<KrlSerialRange>& out) {
  CLEARBOX_ASSIGN_OR_RETURN(uint64_t offset, r.U64("bitmap serial offset"));
  CLEARBOX_ASSIGN_OR_RETURN(ByteView bits, r.String("bitmap", KrlLimits::kMaxBitmapBits / 8 + 1));
  if (!bits.empty() && (bits[0] & 0x80) != 0) return r.Fail("bitmap", "negative mpint");
  uint64_t nbits = uint64_t(bits.size()) * 8;
  if (nbits > 0 && offset > UINT64_MAX - (nbits - 1)) {
    return r.Fail("bitmap", "serials overflow 2^64");
  }
  bool in_run = false;
  uint64_t start = 0;
  for (uint64_t i = 0; i <= nbits; ++i) {
    if (!in_run && i % 8 == 0 && i < nbits && bits[bits.size() - 1 - i / 8] == 0) {
      i += 7;  // a byte with no revoked serial
      continue;
    }
    bool set = false;
    if (i < nbits) {
      // mpint: big-endian, bit 0 is the least significant bit of the last byte.
      set = (bits[bits.size() - 1 - i / 8] >> (i % 8)) & 1;
    }
    if (set && !in_run) {
      in_run = true;
      start = i;
    } else if (!set && in_run) {
      in_run = false;
      if (offset + start == 0) return r.Fail("bitmap", "revokes serial 0");
      CLEARBOX_RETURN_IF_ERROR(budget.Take(r, "bitmap"));
      out.push_back({offset + start, offset + i - 1});
    }
  }
  return Status::Ok();
}

Status ReadCertSection(ByteView data, uint64_t base, EntryBudget& budget, Krl& krl) {
  WireReader r(data, "KRL certificate section", base);
  KrlCertificateSection s;
  CLEARBOX_ASSIGN_OR_RETURN(ByteView ca, r.String("CA key", SshCertLimits::kMaxBlob));
  if (!ca.empty()) {
    auto key = ParseSshPublicKeyBlob(ca);
    if (!key.ok()) return key.error().WithContext("KRL certificate section: CA key");
  }
  s.ca_key.assign(ca.begin(), ca.end());
  CLEARBOX_ASSIGN_OR_RETURN(ByteView reserved, r.String("reserved", KrlLimits::kMaxFile));
  (void)reserved;
  size_t subsections = 0;
  while (!r.empty()) {
    if (++subsections > KrlLimits::kMaxSections) return r.Fail("subsection", "too many");
    CLEARBOX_ASSIGN_OR_RETURN(uint8_t type, r.U8("subsection type"));
    uint64_t sub_base = r.offset() + 4;
    CLEARBOX_ASSIGN_OR_RETURN(ByteView sub, r.String("subsection", KrlLimits::kMaxFile));
    WireReader sr(sub, "KRL certificate " + SectionName(type), sub_base);
    switch (type) {
      case kCertSerialList:
        if (sub.size() % 8 != 0) return sr.Fail("serial list", "length not a multiple of 8");
        CLEARBOX_RETURN_IF_ERROR(budget.Take(sr, "serial list", sub.size() / 8));
        while (!sr.empty()) {
          CLEARBOX_ASSIGN_OR_RETURN(uint64_t serial, sr.U64("serial"));
          if (serial == 0) return sr.Fail("serial", "is 0 (cannot be revoked)");
          s.serials.push_back(serial);
        }
        break;
      case kCertSerialRange: {
        CLEARBOX_ASSIGN_OR_RETURN(uint64_t lo, sr.U64("serial range minimum"));
        CLEARBOX_ASSIGN_OR_RETURN(uint64_t hi, sr.U64("serial range maximum"));
        if (lo == 0 || lo > hi) return sr.Fail("serial range", "is empty or starts at 0");
        CLEARBOX_RETURN_IF_ERROR(sr.ExpectEnd("serial range"));
        CLEARBOX_RETURN_IF_ERROR(budget.Take(sr, "serial range"));
        s.ranges.push_back({lo, hi});
        break;
      }
      case kCertSerialBitmap:
        CLEARBOX_RETURN_IF_ERROR(ReadBitmap(sr, budget, s.ranges));
        CLEARBOX_RETURN_IF_ERROR(sr.ExpectEnd("bitmap"));
        break;
      case kCertKeyId:
        while (!sr.empty()) {
          CLEARBOX_RETURN_IF_ERROR(budget.Take(sr, "key id"));
          CLEARBOX_ASSIGN_OR_RETURN(std::string_view id,
                                    sr.Text("key id", KrlLimits::kMaxKeyIdLength));
          s.key_ids.emplace_back(id);
        }
        break;
      default:
        return Error::Unsupported("KRL certificate section: unknown subsection type " +
                                  std::to_string(type) + " at offset " +
                                  std::to_string(sub_base - 5));
    }
  }
  krl.certificates.push_back(std::move(s));
  return Status::Ok();
}

// Explicit keys and fingerprints: a sequence of strings.
Status ReadBlobs(ByteView data, uint64_t base, std::string what, size_t fixed_len,
                 EntryBudget& budget, std::vector<Bytes>& out) {
  WireReader r(data, std::move(what), base);
  while (!r.empty()) {
    CLEARBOX_RETURN_IF_ERROR(budget.Take(r, "entry"));
    CLEARBOX_ASSIGN_OR_RETURN(ByteView v, r.String("entry", SshCertLimits::kMaxBlob));
    if (fixed_len != 0 && v.size() != fixed_len) {
      return r.Fail("entry", "is " + std::to_string(v.size()) + " bytes, expected " +
                                 std::to_string(fixed_len));
    }
    if (fixed_len == 0) {
      auto key = ParseSshPublicKeyBlob(v);
      if (!key.ok()) return key.error().WithContext(r.what());
    }
    out.emplace_back(v.begin(), v.end());
  }
  return Status::Ok();
}

void WriteBlobs(WireWriter& w, uint8_t type, const std::vector<Bytes>& blobs) {
  if (blobs.empty()) return;
  WireWriter s;
  for (const Bytes& b : blobs) s.String(b);
  w.U8(type);
  w.String(s.bytes());
}

}  // namespace

Result<Bytes> WriteKrl(const Krl& krl) {
  if (!wire::IsPrintableText(krl.comment) || krl.comment.size() > 4096) {
    return Error::InvalidInput("KRL comment: control characters or longer than 4096 bytes");
  }
  size_t entries =
      krl.explicit_keys.size() + krl.sha1_fingerprints.size() + krl.sha256_fingerprints.size();
  WireWriter w;
  w.U64(kKrlMagic);
  w.U32(kKrlFormatVersion);
  w.U64(krl.version);
  w.U64(krl.generated_date);
  w.U64(krl.flags);
  w.String(ByteView());  // reserved
  w.String(krl.comment);
  // The parser's section caps bound what a KRL may hold; never write what it would refuse.
  if (krl.certificates.size() > KrlLimits::kMaxSections - 3) {
    return Error::LimitExceeded("KRL: more than " + std::to_string(KrlLimits::kMaxSections - 3) +
                                " CA sections");
  }
  for (const KrlCertificateSection& s : krl.certificates) {
    if (s.ranges.size() > KrlLimits::kMaxSections - 2) {
      return Error::LimitExceeded("KRL: more than " + std::to_string(KrlLimits::kMaxSections - 2) +
                                  " serial ranges for one CA");
    }
    if (!s.ca_key.empty()) {
      auto key = ParseSshPublicKeyBlob(s.ca_key);
      if (!key.ok()) return key.error().WithContext("KRL: CA key");
    }
    WireWriter c;
    c.String(s.ca_key);
    c.String(ByteView());  // reserved
    std::vector<uint64_t> serials = s.serials;
    std::sort(serials.begin(), serials.end());
    serials.erase(std::unique(serials.begin(), serials.end()), serials.end());
    if (!serials.empty() && serials.front() == 0) {
      return Error::InvalidInput("KRL: serial 0 cannot be revoked (OpenSSH refuses it)");
    }
    entries += serials.size() + s.ranges.size() + s.key_ids.size();
    if (entries > KrlLimits::kMaxEntries) {
      return Error::LimitExceeded("KRL: more than " + std::to_string(KrlLimits::kMaxEntries) +
                                  " revocations");
    }
    if (!serials.empty()) {
      WireWriter list;
      for (uint64_t serial : serials) list.U64(serial);
      c.U8(kCertSerialList);
      c.String(list.bytes());
    }
    for (const KrlSerialRange& range : s.ranges) {
      if (range.lo == 0 || range.lo > range.hi) {
        return Error::InvalidInput("KRL: serial range " + std::to_string(range.lo) + "-" +
                                   std::to_string(range.hi) + " is empty or starts at 0");
      }
      WireWriter rw;
      rw.U64(range.lo);
      rw.U64(range.hi);
      c.U8(kCertSerialRange);
      c.String(rw.bytes());
    }
    if (!s.key_ids.empty()) {
      WireWriter ids;
      for (const std::string& id : s.key_ids) {
        if (id.empty() || id.size() > KrlLimits::kMaxKeyIdLength || !wire::IsPrintableText(id)) {
          return Error::InvalidInput("KRL: key id \"" + id.substr(0, 64) +
                                     "\" is empty, too long or has control characters");
        }
        ids.String(id);
      }
      c.U8(kCertKeyId);
      c.String(ids.bytes());
    }
    w.U8(kSectionCertificates);
    w.String(c.bytes());
  }
  WriteBlobs(w, kSectionExplicitKey, krl.explicit_keys);
  WriteBlobs(w, kSectionFingerprintSha1, krl.sha1_fingerprints);
  WriteBlobs(w, kSectionFingerprintSha256, krl.sha256_fingerprints);
  if (w.bytes().size() > KrlLimits::kMaxFile) {
    return Error::LimitExceeded("KRL: larger than " + std::to_string(KrlLimits::kMaxFile) +
                                " bytes");
  }
  return w.Take();
}

Result<Krl> ParseKrl(ByteView data) {
  if (data.size() > KrlLimits::kMaxFile) {
    return Error::InvalidInput("KRL: " + std::to_string(data.size()) +
                               " bytes exceeds the limit of " +
                               std::to_string(KrlLimits::kMaxFile));
  }
  WireReader r(data, "KRL");
  CLEARBOX_ASSIGN_OR_RETURN(uint64_t magic, r.U64("magic"));
  if (magic != kKrlMagic) return Error::InvalidInput("KRL: not a KRL (no \"SSHKRL\\n\\0\" magic)");
  CLEARBOX_ASSIGN_OR_RETURN(uint32_t format, r.U32("format version"));
  if (format != kKrlFormatVersion) {
    return Error::Unsupported("KRL: format version " + std::to_string(format) +
                              "; only version 1 is known");
  }
  Krl krl;
  CLEARBOX_ASSIGN_OR_RETURN(krl.version, r.U64("KRL version"));
  CLEARBOX_ASSIGN_OR_RETURN(krl.generated_date, r.U64("generated date"));
  CLEARBOX_ASSIGN_OR_RETURN(krl.flags, r.U64("flags"));
  CLEARBOX_ASSIGN_OR_RETURN(ByteView reserved, r.String("reserved", KrlLimits::kMaxFile));
  (void)reserved;
  CLEARBOX_ASSIGN_OR_RETURN(std::string_view comment, r.Text("comment", 64 * 1024));
  krl.comment = std::string(comment);
  EntryBudget budget;
  size_t sections = 0;
  while (!r.empty()) {
    if (++sections > KrlLimits::kMaxSections) return r.Fail("section", "too many sections");
    uint64_t type_offset = r.offset();
    CLEARBOX_ASSIGN_OR_RETURN(uint8_t type, r.U8("section type"));
    uint64_t base = r.offset() + 4;
    CLEARBOX_ASSIGN_OR_RETURN(ByteView sect, r.String("section", KrlLimits::kMaxFile));
    switch (type) {
      case kSectionCertificates:
        CLEARBOX_RETURN_IF_ERROR(ReadCertSection(sect, base, budget, krl));
        break;
      case kSectionExplicitKey:
        CLEARBOX_RETURN_IF_ERROR(
            ReadBlobs(sect, base, "KRL explicit keys", 0, budget, krl.explicit_keys));
        break;
      case kSectionFingerprintSha1:
        CLEARBOX_RETURN_IF_ERROR(
            ReadBlobs(sect, base, "KRL SHA-1 fingerprints", 20, budget, krl.sha1_fingerprints));
        break;
      case kSectionFingerprintSha256:
        CLEARBOX_RETURN_IF_ERROR(
            ReadBlobs(sect, base, "KRL SHA-256 fingerprints", 32, budget, krl.sha256_fingerprints));
        break;
      case kSectionSignature:
        return Error::Unsupported("KRL: a signed KRL (signature section at offset " +
                                  std::to_string(type_offset) +
                                  "); OpenSSH ignores KRL signatures and clearbox refuses them");
      default:
        return Error::Unsupported("KRL: unknown " + SectionName(type) + " at offset " +
                                  std::to_string(type_offset));
    }
  }
  return krl;
}

bool IsCertificateRevoked(const Krl& krl, const SshCertificate& cert) {
  auto key_revoked = [&](const Bytes& blob) {
    if (std::find(krl.explicit_keys.begin(), krl.explicit_keys.end(), blob) !=
        krl.explicit_keys.end()) {
      return true;
    }
    auto sha256 = Sha256(blob);
    Bytes sha256_bytes(sha256.begin(), sha256.end());
    if (std::find(krl.sha256_fingerprints.begin(), krl.sha256_fingerprints.end(), sha256_bytes) !=
        krl.sha256_fingerprints.end()) {
      return true;
    }
    auto sha1 = DigestByName("sha1", blob);
    return sha1 && std::find(krl.sha1_fingerprints.begin(), krl.sha1_fingerprints.end(), *sha1) !=
                       krl.sha1_fingerprints.end();
  };
  if (key_revoked(cert.subject.blob) || key_revoked(cert.signature_key.blob)) return true;
  for (const KrlCertificateSection& s : krl.certificates) {
    if (!s.ca_key.empty() && s.ca_key != cert.signature_key.blob) continue;
    if (std::find(s.serials.begin(), s.serials.end(), cert.serial) != s.serials.end()) return true;
    for (const KrlSerialRange& range : s.ranges) {
      if (cert.serial >= range.lo && cert.serial <= range.hi) return true;
    }
    if (std::find(s.key_ids.begin(), s.key_ids.end(), cert.key_id) != s.key_ids.end()) return true;
  }
  return false;
}

}  // namespace clearbox::maint
