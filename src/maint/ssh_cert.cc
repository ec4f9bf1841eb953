// OpenSSH certificates (PROTOCOL.certkeys): the writer that issues maintenance certificates
// and the parser that checks them field by field and verifies the CA's signature.
#include "clearbox/maint/ssh_cert.h"

#include <arpa/inet.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>
#include <string>

#include "clearbox/core/encoding.h"
#include "maint/ssh_keys.h"
#include "maint/ssh_wire.h"

namespace clearbox::maint {
namespace {

using wire::WireReader;
using wire::WireWriter;

constexpr size_t kNonceSize = 32;  // what ssh-keygen uses
constexpr size_t kMaxOptionName = 64;

Status CheckText(std::string_view field, std::string_view v, size_t max_len) {
  if (v.empty()) return Error::InvalidInput(std::string(field) + " is empty");
  if (v.size() > max_len) {
    return Error::LimitExceeded(std::string(field) + " is " + std::to_string(v.size()) +
                                " bytes; the limit is " + std::to_string(max_len));
  }
  if (!wire::IsPrintableText(v)) {
    return Error::InvalidInput(std::string(field) + " contains a NUL or control character");
  }
  return Status::Ok();
}

// An options list (critical options or extensions): pairs of string name, string data,
// where data is empty or holds exactly one string (the value). Names strictly ascending.
Result<std::vector<std::pair<std::string, std::string>>> ReadOptions(WireReader& outer,
                                                                     std::string_view field) {
  uint64_t base = outer.offset() + 4;
  CLEARBOX_ASSIGN_OR_RETURN(ByteView data, outer.String(field, SshCertLimits::kMaxBlob));
  WireReader r(data, outer.what(), base);
  std::vector<std::pair<std::string, std::string>> out;
  while (!r.empty()) {
    if (out.size() == SshCertLimits::kMaxOptions) {
      return r.Fail(field, "more than " + std::to_string(SshCertLimits::kMaxOptions) + " entries");
    }
    CLEARBOX_ASSIGN_OR_RETURN(std::string_view name, r.Text("option name", kMaxOptionName));
    if (name.empty()) return r.Fail(field, "an option with an empty name");
    if (!out.empty() && name <= out.back().first) {
      return r.Fail(field, "\"" + std::string(name) +
                               "\" is out of order or repeated (names "
                               "must be sorted and unique)");
    }
    uint64_t value_base = r.offset() + 4;
    CLEARBOX_ASSIGN_OR_RETURN(ByteView value_data,
                              r.String("option data", SshCertLimits::kMaxOptionValue + 4));
    std::string value;
    if (!value_data.empty()) {
      WireReader v(value_data, outer.what(), value_base);
      CLEARBOX_ASSIGN_OR_RETURN(std::string_view text, v.Text(std::string(name) + " value",
                                                              SshCertLimits::kMaxOptionValue));
      CLEARBOX_RETURN_IF_ERROR(v.ExpectEnd(std::string(name) + " value"));
      value = std::string(text);
    }
    out.emplace_back(std::string(name), std::move(value));
  }
  return out;
}

void WriteOption(WireWriter& w, std::string_view name, std::string_view value) {
  w.String(name);
  if (value.empty()) {
    w.String(ByteView());
  } else {
    WireWriter inner;
    inner.String(value);
    w.String(inner.bytes());
  }
}

std::string FormatTime(uint64_t t) {
  if (t > uint64_t(253402300799)) return "infinity";  // beyond year 9999
  time_t tt = time_t(t);
  struct tm tm;
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

}  // namespace

Status CheckSourceAddressList(std::string_view list) {
  if (list.empty()) return Error::InvalidInput("source-address is empty");
  size_t count = 0;
  while (true) {
    size_t comma = list.find(',');
    std::string entry(list.substr(0, comma));
    if (++count > 64) return Error::LimitExceeded("source-address: more than 64 entries");
    std::string addr = entry;
    int max_bits = -1, bits = -1;
    size_t slash = entry.find('/');
    if (slash != std::string::npos) {
      addr = entry.substr(0, slash);
      std::string len = entry.substr(slash + 1);
      if (len.empty() || len.size() > 3 ||
          !std::all_of(len.begin(), len.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return Error::InvalidInput("source-address: \"" + entry + "\" has a bad prefix length");
      }
      bits = std::stoi(len);
    }
    unsigned char buf[16];
    if (inet_pton(AF_INET, addr.c_str(), buf) == 1) {
      max_bits = 32;
    } else if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) {
      max_bits = 128;
    } else {
      return Error::InvalidInput("source-address: \"" + entry +
                                 "\" is not an IPv4/IPv6 address or CIDR block");
    }
    if (bits > max_bits) {
      return Error::InvalidInput("source-address: \"" + entry + "\": prefix length over " +
                                 std::to_string(max_bits));
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return Status::Ok();
}

Result<Bytes> IssueCertificate(const CertificateRequest& req, const SshCaKey& ca,
                               uint64_t max_validity_seconds) {
  // Re-parse the subject: a caller-built SshPublicKey must still be a well-formed key.
  CLEARBOX_ASSIGN_OR_RETURN(SshPublicKey subject, ParseSshPublicKeyBlob(req.subject.blob));
  const KeyKind* kind = FindKeyKind(subject.type);
  if (req.serial == 0) {
    return Error::InvalidInput("serial 0 is refused: a KRL cannot revoke it; use 1 or more");
  }
  CLEARBOX_RETURN_IF_ERROR(CheckText("key id", req.key_id, SshCertLimits::kMaxKeyIdLength));
  if (req.principals.empty()) {
    return Error::InvalidInput("no principals: name at least one approved device account");
  }
  if (req.principals.size() > SshCertLimits::kMaxPrincipals) {
    return Error::LimitExceeded(std::to_string(req.principals.size()) +
                                " principals; a certificate may name at most " +
                                std::to_string(SshCertLimits::kMaxPrincipals));
  }
  std::set<std::string_view> seen;
  for (const std::string& p : req.principals) {
    CLEARBOX_RETURN_IF_ERROR(
        CheckText("principal \"" + p.substr(0, 64) + "\"", p, SshCertLimits::kMaxPrincipalLength));
    if (p.find_first_of(", \t") != std::string::npos) {
      return Error::InvalidInput("principal \"" + p + "\" contains a comma or blank");
    }
    if (!seen.insert(p).second) return Error::InvalidInput("principal \"" + p + "\" repeated");
  }
  if (req.valid_after >= req.valid_before) {
    return Error::InvalidInput("the window is empty: valid_after (" + FormatTime(req.valid_after) +
                               ") is not before valid_before (" + FormatTime(req.valid_before) +
                               ")");
  }
  if (req.valid_before - req.valid_after > max_validity_seconds) {
    return Error::LimitExceeded(
        "the window is " + std::to_string(req.valid_before - req.valid_after) +
        " s; the policy allows at most " + std::to_string(max_validity_seconds) + " s");
  }
  CLEARBOX_RETURN_IF_ERROR(
      CheckText("force-command", req.force_command, SshCertLimits::kMaxOptionValue));
  CLEARBOX_RETURN_IF_ERROR(
      CheckText("source-address", req.source_address, SshCertLimits::kMaxOptionValue));
  CLEARBOX_RETURN_IF_ERROR(CheckSourceAddressList(req.source_address));

  uint8_t nonce[kNonceSize];
  if (RAND_bytes(nonce, sizeof nonce) != 1) return Error::Internal("RAND_bytes failed");

  WireWriter w;
  w.String(kind->cert_name);
  w.String(ByteView(nonce, sizeof nonce));
  // The subject's fields: its blob without the leading type string.
  w.Raw(ByteView(subject.blob).subspan(4 + subject.type.size()));
  w.U64(req.serial);
  w.U32(kSshCertTypeUser);
  w.String(req.key_id);
  WireWriter principals;
  for (const std::string& p : req.principals) principals.String(p);
  w.String(principals.bytes());
  w.U64(req.valid_after);
  w.U64(req.valid_before);
  WireWriter critical;  // sorted by name: force-command < source-address
  WriteOption(critical, "force-command", req.force_command);
  WriteOption(critical, "source-address", req.source_address);
  w.String(critical.bytes());
  WireWriter extensions;
  WriteOption(extensions, "permit-pty", "");
  w.String(extensions.bytes());
  w.String(ByteView());  // reserved
  w.String(ca.public_key().blob);
  if (w.bytes().size() > SshCertLimits::kMaxBlob - 128) {
    return Error::LimitExceeded("the certificate would be " + std::to_string(w.bytes().size()) +
                                " bytes; the limit is " + std::to_string(SshCertLimits::kMaxBlob));
  }
  CLEARBOX_ASSIGN_OR_RETURN(Bytes sig, ca.SignBlob(w.bytes()));
  w.String(sig);
  return w.Take();
}

Result<SshCertificate> ParseCertificate(ByteView blob) {
  if (blob.size() > SshCertLimits::kMaxBlob) {
    return Error::InvalidInput("certificate: " + std::to_string(blob.size()) +
                               " bytes exceeds the limit of " +
                               std::to_string(SshCertLimits::kMaxBlob));
  }
  WireReader r(blob, "certificate");
  SshCertificate c;
  CLEARBOX_ASSIGN_OR_RETURN(std::string_view type, r.Text("certificate type", 64));
  const KeyKind* kind = FindCertKind(type);
  if (kind == nullptr) {
    if (FindKeyKind(type) != nullptr) {
      return Error::InvalidInput("certificate: a plain " + std::string(type) +
                                 " public key, not a certificate");
    }
    return Error::Unsupported("certificate: unsupported type \"" + std::string(type) + "\"");
  }
  c.type = std::string(type);
  CLEARBOX_ASSIGN_OR_RETURN(ByteView nonce, r.String("nonce", SshCertLimits::kMaxNonce));
  if (nonce.size() < 16) return r.Fail("nonce", "shorter than 16 bytes");
  c.nonce.assign(nonce.begin(), nonce.end());
  c.subject.type = std::string(kind->name);
  CLEARBOX_ASSIGN_OR_RETURN(c.subject.blob, ReadKeyFields(r, *kind));
  CLEARBOX_ASSIGN_OR_RETURN(c.serial, r.U64("serial"));
  CLEARBOX_ASSIGN_OR_RETURN(c.cert_type, r.U32("certificate role"));
  if (c.cert_type != kSshCertTypeUser && c.cert_type != kSshCertTypeHost) {
    return r.Fail("certificate role",
                  "is " + std::to_string(c.cert_type) + "; 1 (user) or 2 (host) expected");
  }
  CLEARBOX_ASSIGN_OR_RETURN(std::string_view key_id,
                            r.Text("key id", SshCertLimits::kMaxKeyIdLength));
  c.key_id = std::string(key_id);
  uint64_t principals_base = r.offset() + 4;
  CLEARBOX_ASSIGN_OR_RETURN(ByteView principals,
                            r.String("valid principals", SshCertLimits::kMaxBlob));
  WireReader pr(principals, "certificate", principals_base);
  while (!pr.empty()) {
    if (c.principals.size() == SshCertLimits::kMaxPrincipals) {
      return pr.Fail("valid principals",
                     "more than " + std::to_string(SshCertLimits::kMaxPrincipals));
    }
    CLEARBOX_ASSIGN_OR_RETURN(std::string_view p,
                              pr.Text("principal", SshCertLimits::kMaxPrincipalLength));
    c.principals.emplace_back(p);
  }
  CLEARBOX_ASSIGN_OR_RETURN(c.valid_after, r.U64("valid after"));
  CLEARBOX_ASSIGN_OR_RETURN(c.valid_before, r.U64("valid before"));
  CLEARBOX_ASSIGN_OR_RETURN(c.critical_options, ReadOptions(r, "critical options"));
  CLEARBOX_ASSIGN_OR_RETURN(c.extensions, ReadOptions(r, "extensions"));
  CLEARBOX_ASSIGN_OR_RETURN(ByteView reserved, r.String("reserved", SshCertLimits::kMaxBlob));
  (void)reserved;  // PROTOCOL.certkeys: ignored by readers
  CLEARBOX_ASSIGN_OR_RETURN(ByteView ca_blob, r.String("signature key", SshCertLimits::kMaxBlob));
  auto ca = ParseSshPublicKeyBlob(ca_blob);
  if (!ca.ok()) return ca.error().WithContext("certificate: signature key");
  c.signature_key = std::move(*ca);
  size_t signed_len = r.offset();
  CLEARBOX_ASSIGN_OR_RETURN(ByteView sig, r.String("signature", SshCertLimits::kMaxBlob));
  CLEARBOX_RETURN_IF_ERROR(r.ExpectEnd("after the signature"));

  if (c.signature_key.type != "ssh-ed25519") {
    return Error::Unsupported("certificate: signed by a " + c.signature_key.type +
                              " CA; clearbox verifies Ed25519 CA signatures only");
  }
  WireReader sr(sig, "certificate signature");
  CLEARBOX_ASSIGN_OR_RETURN(std::string_view sig_type, sr.Text("signature type", 64));
  if (sig_type != "ssh-ed25519") {
    return Error::InvalidInput("certificate: signature type \"" + std::string(sig_type) +
                               "\" does not match the ssh-ed25519 CA key");
  }
  CLEARBOX_ASSIGN_OR_RETURN(ByteView raw_sig, sr.String("signature", 64));
  CLEARBOX_RETURN_IF_ERROR(sr.ExpectEnd("after the signature"));
  crypto::Ed25519PublicKey ca_pk;
  std::copy(c.signature_key.blob.end() - 32, c.signature_key.blob.end(), ca_pk.begin());
  if (!crypto::Ed25519Verify(ca_pk, blob.subspan(0, signed_len), raw_sig)) {
    return Error::VerificationFailed("certificate \"" + c.key_id + "\" (serial " +
                                     std::to_string(c.serial) + "): the CA signature by " +
                                     SshFingerprint(c.signature_key.blob) + " does not verify");
  }
  c.blob.assign(blob.begin(), blob.end());
  return c;
}

Result<SshCertificate> ParseCertificateLine(std::string_view line) {
  CLEARBOX_ASSIGN_OR_RETURN(SplitLine k, SplitKeyFileLine(line, "certificate line"));
  CLEARBOX_ASSIGN_OR_RETURN(SshCertificate c, ParseCertificate(k.blob));
  if (c.type != k.type) {
    return Error::InvalidInput("certificate line: the line says \"" + k.type +
                               "\" but the certificate inside is \"" + c.type + "\"");
  }
  return c;
}

std::string FormatCertificateLine(ByteView cert_blob, std::string_view comment) {
  WireReader r(cert_blob, "certificate");
  auto type = r.Text("type", 64);
  std::string s = std::string(type.ok() ? *type : "unknown") + " " + Base64Encode(cert_blob);
  if (!comment.empty()) s += " " + std::string(comment);
  return s;
}

std::string DescribeCertificate(const SshCertificate& c) {
  const KeyKind* kind = FindKeyKind(c.subject.type);
  const KeyKind* ca_kind = FindKeyKind(c.signature_key.type);
  std::string s;
  s += "        Type: " + c.type + (c.cert_type == kSshCertTypeUser ? " user" : " host") +
       " certificate\n";
  s += "        Public key: " + std::string(kind ? kind->label : "?") + "-CERT " +
       SshFingerprint(c.subject.blob) + "\n";
  s += "        Signing CA: " + std::string(ca_kind ? ca_kind->label : "?") + " " +
       SshFingerprint(c.signature_key.blob) + " (using " + c.signature_key.type + ")\n";
  s += "        Key ID: \"" + c.key_id + "\"\n";
  s += "        Serial: " + std::to_string(c.serial) + "\n";
  std::string valid;
  if (c.valid_after == 0 && c.valid_before == UINT64_MAX) {
    valid = "forever";
  } else if (c.valid_after == 0) {
    valid = "before " + FormatTime(c.valid_before);
  } else if (c.valid_before == UINT64_MAX) {
    valid = "after " + FormatTime(c.valid_after);
  } else {
    valid = "from " + FormatTime(c.valid_after) + " to " + FormatTime(c.valid_before);
  }
  s += "        Valid: " + valid + "\n";
  s += "        Principals: " + std::string(c.principals.empty() ? "(none)" : "") + "\n";
  for (const auto& p : c.principals) s += "                " + p + "\n";
  s +=
      "        Critical Options: " + std::string(c.critical_options.empty() ? "(none)" : "") + "\n";
  for (const auto& [n, v] : c.critical_options) s += "                " + n + " " + v + "\n";
  s += "        Extensions: " + std::string(c.extensions.empty() ? "(none)" : "") + "\n";
  for (const auto& [n, v] : c.extensions) {
    s += "                " + n + (v.empty() ? "" : " " + v) + "\n";
  }
  return s;
}

}  // namespace clearbox::maint
