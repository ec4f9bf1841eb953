// Key material in hostile bytes (key_parse.h): PEM, DER, openssh-key-v1, dropbear, PuTTY,
// and certificates, each confirmed by OpenSSL.
#include "key_parse.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"

namespace clearbox::audit {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Bio = std::unique_ptr<BIO, BioFree>;

// An SSH string or mpint longer than this is not a key (RSA 16384 is 2 KiB).
constexpr uint32_t kMaxSshFieldBytes = 16 * 1024;

bool Contains(std::string_view s, std::string_view what) {
  return s.find(what) != std::string_view::npos;
}

// OpenSSL leaves the reason of a failed parse on this thread's queue; a scan of hostile
// bytes fails often and must not grow it.
struct ErrorQueueGuard {
  ~ErrorQueueGuard() { ERR_clear_error(); }
};

// Never prompts: an encrypted key stays encrypted.
int NoPassphrase(char*, int, int, void*) { return -1; }

std::optional<ByteView> ReadSshString(ByteReader& r) {
  std::optional<uint32_t> len = r.ReadBE32();
  if (!len || *len > kMaxSshFieldBytes) return std::nullopt;
  return r.Read(*len);
}

void PutSshString(Bytes& out, ByteView s) {
  uint8_t len[4];
  StoreBE32(len, uint32_t(s.size()));
  out.insert(out.end(), len, len + 4);
  out.insert(out.end(), s.begin(), s.end());
}

// SSH mpint: OpenSSL's MPI format is the same (length, big-endian two's complement).
bool PutMpint(Bytes& out, const BIGNUM* bn) {
  int n = BN_bn2mpi(bn, nullptr);
  if (n < 4 || n > int(kMaxSshFieldBytes)) return false;
  size_t at = out.size();
  out.resize(at + size_t(n));
  return BN_bn2mpi(bn, out.data() + at) == n;
}

Bn MpintToBn(ByteView mpint) {
  // Negative numbers are not key parts.
  if (!mpint.empty() && (mpint[0] & 0x80)) return nullptr;
  return Bn(BN_bin2bn(mpint.data(), int(mpint.size()), nullptr));
}

Bn GetBn(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) return nullptr;
  return Bn(bn);
}

// OpenSSH's curve names and OpenSSL's.
struct SshCurve {
  std::string_view ssh;      // "nistp256"
  std::string_view openssl;  // "prime256v1"
  std::string_view nist;     // "P-256"
};
constexpr SshCurve kSshCurves[] = {{"nistp256", "prime256v1", "P-256"},
                                   {"nistp384", "secp384r1", "P-384"},
                                   {"nistp521", "secp521r1", "P-521"}};

// Builds a public EVP_PKEY from OSSL_PARAMs (the confirmation that the numbers form a key).
Pkey FromData(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  OSSL_PARAM_BLD_free(bld);
  if (params == nullptr) return nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    pkey = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return Pkey(pkey);
}

// The public key an SSH public key blob describes, checked by OpenSSL.
Pkey PkeyFromSshBlob(ByteView blob) {
  ByteReader r(blob);
  std::optional<ByteView> type = ReadSshString(r);
  if (!type) return nullptr;
  std::string_view name = AsChars(*type);
  if (name == "ssh-rsa") {
    auto e = ReadSshString(r), n = ReadSshString(r);
    if (!e || !n || !r.empty()) return nullptr;
    Bn be = MpintToBn(*e), bn = MpintToBn(*n);
    if (!be || !bn || BN_is_zero(bn.get()) || BN_is_zero(be.get())) return nullptr;
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    if (bld == nullptr) return nullptr;
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn.get());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be.get());
    return FromData("RSA", bld);
  }
  if (name == "ssh-dss") {
    auto p = ReadSshString(r), q = ReadSshString(r), g = ReadSshString(r), y = ReadSshString(r);
    if (!p || !q || !g || !y || !r.empty()) return nullptr;
    Bn bp = MpintToBn(*p), bq = MpintToBn(*q), bg = MpintToBn(*g), by = MpintToBn(*y);
    if (!bp || !bq || !bg || !by) return nullptr;
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    if (bld == nullptr) return nullptr;
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, bp.get());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_Q, bq.get());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, bg.get());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, by.get());
    return FromData("DSA", bld);
  }
  if (name.starts_with("ecdsa-sha2-")) {
    auto curve = ReadSshString(r), q = ReadSshString(r);
    if (!curve || !q || !r.empty() || q->empty()) return nullptr;
    for (const SshCurve& c : kSshCurves) {
      if (AsChars(*curve) != c.ssh || name.substr(11) != c.ssh) continue;
      OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
      if (bld == nullptr) return nullptr;
      std::string group(c.openssl);
      OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group.c_str(), 0);
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q->data(), q->size());
      return FromData("EC", bld);
    }
    return nullptr;
  }
  if (name == "ssh-ed25519") {
    auto pub = ReadSshString(r);
    if (!pub || pub->size() != 32 || !r.empty()) return nullptr;
    return Pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub->data(), 32));
  }
  return nullptr;
}

// The SSH public key blob of a key OpenSSH can express; nullopt for the rest.
std::optional<Bytes> SshBlobFromPkey(EVP_PKEY* pkey) {
  Bytes out;
  auto put = [&](std::string_view s) { PutSshString(out, AsBytes(s)); };
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    Bn e = GetBn(pkey, OSSL_PKEY_PARAM_RSA_E), n = GetBn(pkey, OSSL_PKEY_PARAM_RSA_N);
    if (!e || !n) return std::nullopt;
    put("ssh-rsa");
    if (!PutMpint(out, e.get()) || !PutMpint(out, n.get())) return std::nullopt;
    return out;
  }
  if (EVP_PKEY_is_a(pkey, "DSA")) {
    Bn p = GetBn(pkey, OSSL_PKEY_PARAM_FFC_P), q = GetBn(pkey, OSSL_PKEY_PARAM_FFC_Q),
       g = GetBn(pkey, OSSL_PKEY_PARAM_FFC_G), y = GetBn(pkey, OSSL_PKEY_PARAM_PUB_KEY);
    if (!p || !q || !g || !y) return std::nullopt;
    put("ssh-dss");
    for (const Bn& b : {std::cref(p), std::cref(q), std::cref(g), std::cref(y)}) {
      if (!PutMpint(out, b.get())) return std::nullopt;
    }
    return out;
  }
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {};
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       nullptr) != 1) {
      return std::nullopt;
    }
    const SshCurve* curve = nullptr;
    for (const SshCurve& c : kSshCurves) {
      if (c.openssl == group) curve = &c;
    }
    if (curve == nullptr) return std::nullopt;
    // OpenSSH writes the point uncompressed whatever form the key was stored in.
    EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                   "uncompressed");
    uint8_t point[256];
    size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                        &len) != 1 ||
        len == 0 || point[0] != 0x04) {
      return std::nullopt;
    }
    put(fmt::format("ecdsa-sha2-{}", curve->ssh));
    put(curve->ssh);
    PutSshString(out, ByteView(point, len));
    return out;
  }
  if (EVP_PKEY_is_a(pkey, "ED25519")) {
    uint8_t raw[32];
    size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != 32) return std::nullopt;
    put("ssh-ed25519");
    PutSshString(out, ByteView(raw, 32));
    return out;
  }
  return std::nullopt;
}

// Algorithm, size, curve and fingerprint of a parsed key.
bool DescribePkey(EVP_PKEY* pkey, ParsedKey& key) {
  const char* type = EVP_PKEY_get0_type_name(pkey);
  key.algorithm = type != nullptr ? type : "unknown";
  std::transform(key.algorithm.begin(), key.algorithm.end(), key.algorithm.begin(),
                 [](unsigned char c) { return char(std::toupper(c)); });
  if (key.algorithm == "RSA-PSS") key.algorithm = "RSA";
  key.bits = EVP_PKEY_get_bits(pkey);
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {};
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       nullptr) == 1) {
      key.curve = group;
      for (const SshCurve& c : kSshCurves) {
        if (c.openssl == group) key.curve = std::string(c.nist);
      }
    }
  }
  if (std::optional<Bytes> blob = SshBlobFromPkey(pkey)) {
    key.fingerprint = Sha256Fingerprint(*blob);
    key.fingerprint_form = "ssh";
    return true;
  }
  int len = i2d_PUBKEY(pkey, nullptr);
  if (len <= 0 || len > int(kMaxDerKeyBytes)) return false;
  Bytes der(size_t(len), 0);
  uint8_t* p = der.data();
  if (i2d_PUBKEY(pkey, &p) != len) return false;
  key.fingerprint = Sha256Fingerprint(der);
  key.fingerprint_form = "spki";
  return true;
}

// ---- PEM ----

struct PemBlock {
  size_t begin = 0, end = 0;  // [begin, end) including the BEGIN and END lines
  std::string_view label;
  std::string_view headers_and_body;  // between the two lines
};

// The base64 body of a PEM block: lines after any RFC 1421 headers ("Proc-Type: ..."),
// whitespace removed.
std::optional<Bytes> PemBody(std::string_view inner) {
  std::string b64;
  size_t pos = 0;
  while (pos < inner.size()) {
    size_t eol = inner.find('\n', pos);
    std::string_view line = inner.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
    pos = eol == std::string_view::npos ? inner.size() : eol + 1;
    if (Contains(line, ":")) continue;  // a header
    for (char c : line) {
      if (c != ' ' && c != '\t' && c != '\r') b64 += c;
    }
  }
  if (b64.empty()) return std::nullopt;
  return Base64Decode(b64);
}

// Scans for the next "-----BEGIN X-----" ... "-----END X-----" from `from`.
// Returns false when there is no further BEGIN; sets `problem` for a BEGIN without a usable END.
bool NextPemBlock(std::string_view text, size_t from, PemBlock& block, std::string& problem,
                  size_t& next) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  size_t b = text.find(kBegin, from);
  if (b == std::string_view::npos) return false;
  next = b + kBegin.size();
  problem.clear();
  std::string_view rest = text.substr(next, 80);
  size_t dash = rest.find("-----");
  if (dash == std::string_view::npos || dash == 0) {
    problem = fmt::format("'-----BEGIN' at {} without a label", HexOffset(b));
    return true;
  }
  std::string_view label = rest.substr(0, dash);
  for (char c : label) {
    if (!(std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == ' ' || c == '#' || c == '-' || c == '_')) {
      problem = fmt::format("'-----BEGIN' at {} with a label that is not PEM", HexOffset(b));
      return true;
    }
  }
  size_t body = next + dash + 5;
  std::string end_line = fmt::format("-----END {}-----", label);
  std::string_view window = text.substr(body, kMaxPemBlockBytes);
  size_t e = window.find(end_line);
  if (e == std::string_view::npos) {
    problem = fmt::format("PEM block '{}' at {}: no END line within {} bytes (cut short?)", label,
                          HexOffset(b), kMaxPemBlockBytes);
    return true;
  }
  block.begin = b;
  block.end = body + e + end_line.size();
  block.label = label;
  block.headers_and_body = text.substr(body, e);
  next = block.end;
  return true;
}

std::string_view LabelAlgorithm(std::string_view label) {
  if (label.starts_with("RSA ")) return "RSA";
  if (label.starts_with("EC ")) return "EC";
  if (label.starts_with("DSA ")) return "DSA";
  return "";
}

// ---- OpenSSH private key (openssh-key-v1) ----

bool ParseOpenSshKey(ByteView der, ParsedKey& key, std::string& why) {
  constexpr std::string_view kMagic("openssh-key-v1\0", 15);
  if (der.size() < kMagic.size() || AsChars(der.first(kMagic.size())) != kMagic) {
    why = "not openssh-key-v1 (bad magic)";
    return false;
  }
  ByteReader r(der.subspan(kMagic.size()));
  auto cipher = ReadSshString(r), kdf = ReadSshString(r), kdf_options = ReadSshString(r);
  std::optional<uint32_t> count = r.ReadBE32();
  if (!cipher || !kdf || !kdf_options || !count) {
    why = "openssh-key-v1 header cut short";
    return false;
  }
  if (*count < 1 || *count > 16) {
    why = fmt::format("openssh-key-v1 claims {} keys", *count);
    return false;
  }
  auto pub = ReadSshString(r);
  if (!pub) {
    why = "openssh-key-v1 public key cut short";
    return false;
  }
  for (uint32_t i = 1; i < *count; ++i) {
    if (!ReadSshString(r)) {
      why = "openssh-key-v1 public key cut short";
      return false;
    }
  }
  std::optional<uint32_t> private_len = r.ReadBE32();
  if (!private_len || *private_len > r.remaining()) {
    why = "openssh-key-v1 private section cut short";
    return false;
  }
  Pkey pkey = PkeyFromSshBlob(*pub);
  if (!pkey) {
    why = "openssh-key-v1 public key is not a key OpenSSL accepts";
    return false;
  }
  key.encrypted = AsChars(*cipher) != "none";
  if (!key.encrypted) {
    // Unencrypted: two equal check integers, then the first key's type.
    ByteReader priv(*r.Read(*private_len));
    auto c1 = priv.ReadBE32(), c2 = priv.ReadBE32();
    auto type = ReadSshString(priv);
    ByteReader pub_reader(*pub);
    auto pub_type = ReadSshString(pub_reader);
    if (!c1 || !c2 || *c1 != *c2 || !type || !pub_type ||
        AsChars(*type) != AsChars(*pub_type)) {
      why = "openssh-key-v1 private section does not match its public key";
      return false;
    }
  }
  key.label = "openssh-key-v1";
  DescribePkey(pkey.get(), key);
  key.fingerprint = Sha256Fingerprint(*pub);  // the blob as stored
  key.fingerprint_form = "ssh";
  return true;
}

// ---- dropbear ----

// Dropbear's private key file: the public blob's fields followed by the private ones.
bool ParseDropbearKey(ByteView data, ParsedKey& key) {
  ByteReader r(data);
  auto type = ReadSshString(r);
  if (!type) return false;
  std::string_view name = AsChars(*type);
  size_t public_fields = 0;
  if (name == "ssh-rsa") {
    public_fields = 2;  // e, n; then d, p, q
  } else if (name == "ssh-dss") {
    public_fields = 4;  // p, q, g, y; then x
  } else if (name.starts_with("ecdsa-sha2-")) {
    public_fields = 2;  // curve, Q; then d
  } else if (name == "ssh-ed25519") {
    // One string of 64 bytes: the secret half, then the public half.
    auto both = ReadSshString(r);
    if (!both || both->size() != 64) return false;
    Bytes blob;
    PutSshString(blob, *type);
    PutSshString(blob, both->subspan(32));
    Pkey pkey = PkeyFromSshBlob(blob);
    if (!pkey) return false;
    DescribePkey(pkey.get(), key);
    key.label = "ssh-ed25519";
    key.length = r.position();
    return true;
  } else {
    return false;
  }
  for (size_t i = 0; i < public_fields; ++i) {
    if (!ReadSshString(r)) return false;
  }
  Bytes blob(data.begin(), data.begin() + r.position());
  Pkey pkey = PkeyFromSshBlob(blob);
  if (!pkey) return false;
  // The private part must be there: d (ECDSA), x (DSA), or d, p, q with p*q == n (RSA).
  std::vector<ByteView> priv;
  for (size_t i = 0; i < (name == "ssh-rsa" ? 3u : 1u); ++i) {
    auto f = ReadSshString(r);
    if (!f || f->empty()) return false;
    priv.push_back(*f);
  }
  if (name == "ssh-rsa") {
    Bn n = GetBn(pkey.get(), OSSL_PKEY_PARAM_RSA_N);
    Bn p = MpintToBn(priv[1]), q = MpintToBn(priv[2]), product(BN_new());
    BN_CTX* ctx = BN_CTX_new();
    bool ok = n && p && q && product && ctx && BN_mul(product.get(), p.get(), q.get(), ctx) == 1 &&
              BN_cmp(product.get(), n.get()) == 0;
    BN_CTX_free(ctx);
    if (!ok) return false;
  }
  DescribePkey(pkey.get(), key);
  key.label = std::string(name);
  key.length = r.position();
  return true;
}

// ---- PuTTY ----

bool ParsePuttyKey(std::string_view text, ParsedKey& key, std::string& why) {
  text = text.substr(0, 64 * 1024);
  auto field = [&](std::string_view name) -> std::optional<std::string_view> {
    size_t at = 0;
    while (at < text.size()) {
      size_t eol = text.find('\n', at);
      std::string_view line = text.substr(at, eol == std::string_view::npos ? eol : eol - at);
      if (line.starts_with(name) && line.size() > name.size() && line[name.size()] == ':') {
        std::string_view v = line.substr(name.size() + 1);
        while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.remove_suffix(1);
        return v;
      }
      if (eol == std::string_view::npos) break;
      at = eol + 1;
    }
    return std::nullopt;
  };
  auto encryption = field("Encryption");
  auto lines = field("Public-Lines");
  if (!encryption || !lines) {
    why = "PuTTY key without Encryption or Public-Lines";
    return false;
  }
  size_t n = 0;
  for (char c : *lines) {
    if (c < '0' || c > '9' || n > 1000) {
      why = "PuTTY key: Public-Lines is not a small number";
      return false;
    }
    n = n * 10 + size_t(c - '0');
  }
  size_t at = text.find("Public-Lines:");
  at = text.find('\n', at);
  std::string b64;
  for (size_t i = 0; i < n && at != std::string_view::npos; ++i) {
    size_t eol = text.find('\n', at + 1);
    std::string_view line = text.substr(at + 1, eol == std::string_view::npos ? eol : eol - at - 1);
    for (char c : line) {
      if (c != '\r' && c != ' ') b64 += c;
    }
    at = eol;
  }
  std::optional<Bytes> blob = Base64Decode(b64);
  if (!blob) {
    why = "PuTTY key: the public lines are not base64";
    return false;
  }
  Pkey pkey = PkeyFromSshBlob(*blob);
  if (!pkey) {
    why = "PuTTY key: the public key is not a key OpenSSL accepts";
    return false;
  }
  DescribePkey(pkey.get(), key);
  key.fingerprint = Sha256Fingerprint(*blob);
  key.fingerprint_form = "ssh";
  key.encrypted = *encryption != "none";
  key.label = "PuTTY-User-Key-File";
  if (auto comment = field("Comment")) key.comment = std::string(comment->substr(0, 120));
  return true;
}

// ---- certificates ----

int64_t AsnTimeToEpoch(const ASN1_TIME* t) {
  struct tm tm = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return int64_t(timegm(&tm));
}

std::string NameLine(const X509_NAME* name) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size_t(std::clamp<long>(len, 0, 512)));
}

std::optional<ParsedCertificate> DescribeCertificate(X509* x) {
  ParsedCertificate c;
  c.subject = NameLine(X509_get_subject_name(x));
  c.issuer = NameLine(X509_get_issuer_name(x));
  c.not_before = AsnTimeToEpoch(X509_get0_notBefore(x));
  c.not_after = AsnTimeToEpoch(X509_get0_notAfter(x));
  uint32_t flags = X509_get_extension_flags(x);
  c.is_ca = (flags & EXFLAG_BCONS) != 0 && (flags & EXFLAG_CA) != 0;
  EVP_PKEY* pub = X509_get0_pubkey(x);
  if (pub != nullptr) {
    const char* type = EVP_PKEY_get0_type_name(pub);
    c.key_algorithm = type != nullptr ? type : "unknown";
    std::transform(c.key_algorithm.begin(), c.key_algorithm.end(), c.key_algorithm.begin(),
                   [](unsigned char ch) { return char(std::toupper(ch)); });
    c.key_bits = EVP_PKEY_get_bits(pub);
  }
  c.self_signed = X509_check_issued(x, x) == X509_V_OK && pub != nullptr &&
                  X509_verify(x, pub) == 1;
  int sig_nid = X509_get_signature_nid(x);
  c.signature_algorithm = sig_nid != NID_undef ? OBJ_nid2ln(sig_nid) : "unknown";
  int md_nid = NID_undef, pk_nid = NID_undef;
  if (X509_get_signature_info(x, &md_nid, &pk_nid, nullptr, nullptr) == 1 && md_nid != NID_undef) {
    c.signature_digest = OBJ_nid2sn(md_nid);
  } else if (OBJ_find_sigid_algs(sig_nid, &md_nid, &pk_nid) == 1 && md_nid != NID_undef) {
    c.signature_digest = OBJ_nid2sn(md_nid);
  }
  int len = i2d_X509(x, nullptr);
  if (len <= 0 || len > int(kMaxPemBlockBytes)) return std::nullopt;
  Bytes der(size_t(len), 0);
  uint8_t* p = der.data();
  if (i2d_X509(x, &p) != len) return std::nullopt;
  c.fingerprint = Sha256Fingerprint(der);
  return c;
}

// ---- the scan ----

class Scanner {
 public:
  Scanner(ByteView data, const KeyScanOptions& options) : data_(data), options_(options) {}

  KeyScan Run() {
    ErrorQueueGuard guard;
    ScanPem();
    if (options_.whole_file && scan_.keys.empty() && scan_.certificates.empty()) WholeFile();
    if (options_.embedded_der) EmbeddedDer();
    return std::move(scan_);
  }

 private:
  void Problem(std::string p) {
    if (scan_.problems.size() < kMaxKeyProblems) scan_.problems.push_back(std::move(p));
  }
  bool Full() const { return blocks_ >= kMaxKeyBlocks; }

  void AddKey(ParsedKey key, size_t begin, size_t end) {
    key.offset = begin;
    key.length = end - begin;
    covered_.push_back({begin, end});
    scan_.keys.push_back(std::move(key));
  }

  void ScanPem() {
    std::string_view text = AsChars(data_);
    size_t from = 0, next = 0;
    PemBlock block;
    std::string problem;
    while (!Full() && NextPemBlock(text, from, block, problem, next)) {
      ++blocks_;
      from = next;
      if (!problem.empty()) {
        Problem(problem);
        continue;
      }
      std::string why = PemBlockToKey(block);
      if (!why.empty()) {
        Problem(fmt::format("PEM block '{}' at {}: {}", block.label, HexOffset(block.begin), why));
      }
    }
  }

  // Parses one block; returns why it is not what its label says (empty when it is, or when
  // the label is neither a key nor a certificate).
  std::string PemBlockToKey(const PemBlock& b) {
    std::string_view label = b.label;
    std::string_view block_text = AsChars(data_.subspan(b.begin, b.end - b.begin));
    if (label == "CERTIFICATE" || label == "X509 CERTIFICATE" || label == "TRUSTED CERTIFICATE") {
      Bio bio(BIO_new_mem_buf(block_text.data(), int(block_text.size())));
      Cert x(label == "TRUSTED CERTIFICATE"
                 ? PEM_read_bio_X509_AUX(bio.get(), nullptr, NoPassphrase, nullptr)
                 : PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
      if (!x) return "OpenSSL cannot parse this certificate";
      std::optional<ParsedCertificate> c = DescribeCertificate(x.get());
      if (!c) return "OpenSSL cannot re-encode this certificate";
      c->offset = b.begin;
      c->length = b.end - b.begin;
      scan_.certificates.push_back(std::move(*c));
      return {};
    }
    if (label == "OPENSSH PRIVATE KEY") {
      std::optional<Bytes> der = PemBody(b.headers_and_body);
      if (!der) return "the body is not base64";
      ParsedKey key;
      key.is_private = true;
      key.format = KeyFormat::kOpenSsh;
      std::string why;
      if (!ParseOpenSshKey(*der, key, why)) return why;
      AddKey(std::move(key), b.begin, b.end);
      return {};
    }
    if (label == "ENCRYPTED PRIVATE KEY") {
      std::optional<Bytes> der = PemBody(b.headers_and_body);
      if (!der) return "the body is not base64";
      const uint8_t* p = der->data();
      X509_SIG* sig = d2i_X509_SIG(nullptr, &p, long(der->size()));
      if (sig == nullptr) return "OpenSSL cannot parse this EncryptedPrivateKeyInfo";
      X509_SIG_free(sig);
      ParsedKey key;
      key.is_private = true;
      key.encrypted = true;
      key.label = std::string(label);
      key.fingerprint = Sha256Fingerprint(*der);
      key.fingerprint_form = "encrypted-der";
      AddKey(std::move(key), b.begin, b.end);
      return {};
    }
    bool is_private = label.ends_with("PRIVATE KEY");
    bool is_public = label == "PUBLIC KEY" || label == "RSA PUBLIC KEY";
    if (!is_private && !is_public) return {};
    if (is_private && Contains(b.headers_and_body, "Proc-Type:") &&
        Contains(b.headers_and_body, "ENCRYPTED")) {
      // Legacy encrypted PEM: the body is ciphertext; the headers name the cipher.
      std::optional<Bytes> body = PemBody(b.headers_and_body);
      if (!Contains(b.headers_and_body, "DEK-Info:") || !body || body->size() < 16 ||
          body->size() % 8 != 0) {
        return "encrypted PEM without DEK-Info or with a body that is not ciphertext";
      }
      ParsedKey key;
      key.is_private = true;
      key.encrypted = true;
      key.label = std::string(label);
      key.algorithm = std::string(LabelAlgorithm(label));
      key.fingerprint = Sha256Fingerprint(*body);
      key.fingerprint_form = "encrypted-der";
      AddKey(std::move(key), b.begin, b.end);
      return {};
    }
    EVP_PKEY* raw = nullptr;
    OSSL_DECODER_CTX* dctx = OSSL_DECODER_CTX_new_for_pkey(
        &raw, "PEM", nullptr, nullptr, is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
        nullptr, nullptr);
    if (dctx == nullptr) return "OpenSSL has no decoder for it";
    OSSL_DECODER_CTX_set_pem_password_cb(dctx, NoPassphrase, nullptr);
    const unsigned char* in = reinterpret_cast<const unsigned char*>(block_text.data());
    size_t in_len = block_text.size();
    int ok = OSSL_DECODER_from_data(dctx, &in, &in_len);
    OSSL_DECODER_CTX_free(dctx);
    Pkey pkey(raw);
    if (ok != 1 || !pkey) return "OpenSSL cannot parse this key";
    ParsedKey key;
    key.is_private = is_private;
    key.label = std::string(label);
    if (!DescribePkey(pkey.get(), key)) return "OpenSSL cannot encode its public half";
    AddKey(std::move(key), b.begin, b.end);
    return {};
  }

  // A DER length at `at` (after the tag): the content length and where it starts.
  static bool DerLength(ByteView d, size_t at, size_t& len, size_t& header) {
    if (!FitsIn(d, at, 1)) return false;
    uint8_t first = d[at];
    if (first < 0x80) {
      len = first;
      header = 1;
      return true;
    }
    size_t n = first & 0x7f;
    if (n == 0 || n > 3 || !FitsIn(d, at + 1, n)) return false;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = len << 8 | d[at + 1 + i];
    header = 1 + n;
    return true;
  }

  // Keys whose file is the key: DER, dropbear, PuTTY.
  void WholeFile() {
    ParsedKey key;
    key.is_private = true;
    if (data_.size() >= 20 && AsChars(data_.first(20)) == "PuTTY-User-Key-File-") {
      key.format = KeyFormat::kPutty;
      std::string why;
      if (ParsePuttyKey(AsChars(data_), key, why)) {
        AddKey(std::move(key), 0, data_.size());
      } else {
        Problem(why);
      }
      return;
    }
    key.format = KeyFormat::kDropbear;
    if (ParseDropbearKey(data_, key)) {
      size_t end = key.length;
      AddKey(std::move(key), 0, end);
      return;
    }
    size_t len = 0, header = 0;
    if (data_.size() < 8 || data_[0] != 0x30 || !DerLength(data_, 1, len, header) ||
        1 + header + len != data_.size() || data_.size() > kMaxDerKeyBytes) {
      return;
    }
    TryDer(0, data_.size(), /*whole_file=*/true);
  }

  // A DER structure at [at, at + len): a private key, or (whole files) an encrypted PKCS#8
  // key, a certificate or a public key.
  bool TryDer(size_t at, size_t len, bool whole_file) {
    ByteView der = data_.subspan(at, len);
    const uint8_t* p = der.data();
    Pkey pkey(d2i_AutoPrivateKey(nullptr, &p, long(der.size())));
    if (pkey && size_t(p - der.data()) == der.size()) {
      ParsedKey key;
      key.is_private = true;
      key.format = KeyFormat::kDer;
      key.label = "DER private key";
      if (DescribePkey(pkey.get(), key)) {
        AddKey(std::move(key), at, at + len);
        return true;
      }
    }
    ERR_clear_error();
    if (!whole_file) return false;
    p = der.data();
    if (X509_SIG* sig = d2i_X509_SIG(nullptr, &p, long(der.size()))) {
      X509_SIG_free(sig);
      ParsedKey key;
      key.is_private = true;
      key.encrypted = true;
      key.format = KeyFormat::kDer;
      key.label = "DER ENCRYPTED PRIVATE KEY";
      key.fingerprint = Sha256Fingerprint(der);
      key.fingerprint_form = "encrypted-der";
      AddKey(std::move(key), at, at + len);
      return true;
    }
    ERR_clear_error();
    p = der.data();
    if (Cert x{d2i_X509(nullptr, &p, long(der.size()))}) {
      if (std::optional<ParsedCertificate> c = DescribeCertificate(x.get())) {
        c->offset = at;
        c->length = len;
        scan_.certificates.push_back(std::move(*c));
        return true;
      }
    }
    ERR_clear_error();
    p = der.data();
    if (Pkey pub{d2i_PUBKEY(nullptr, &p, long(der.size()))}) {
      ParsedKey key;
      key.format = KeyFormat::kDer;
      key.label = "DER PUBLIC KEY";
      if (DescribePkey(pub.get(), key)) {
        AddKey(std::move(key), at, at + len);
        return true;
      }
    }
    ERR_clear_error();
    return false;
  }

  bool Covered(size_t at) const {
    for (const auto& [b, e] : covered_) {
      if (at >= b && at < e) return true;
    }
    return false;
  }

  // DER RSA private keys inside a binary: SEQUENCE (two-byte length), INTEGER 0, then the
  // modulus (PKCS#1) or the rsaEncryption AlgorithmIdentifier (PKCS#8).
  void EmbeddedDer() {
    static constexpr uint8_t kVersion[] = {0x02, 0x01, 0x00};
    static constexpr uint8_t kPkcs8Rsa[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48,
                                            0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
    size_t tried = 0;
    const uint8_t* base = data_.data();
    size_t pos = 0;
    while (pos + 12 <= data_.size() && tried < kMaxDerCandidates && !Full()) {
      const void* hit = memmem(base + pos, data_.size() - pos, "\x30\x82", 2);
      if (hit == nullptr) break;
      size_t at = size_t(static_cast<const uint8_t*>(hit) - base);
      pos = at + 1;
      if (!FitsIn(data_, at, 4 + sizeof kPkcs8Rsa + 3)) break;
      if (std::memcmp(base + at + 4, kVersion, sizeof kVersion) != 0) continue;
      const uint8_t* after = base + at + 7;
      bool pkcs1 = after[0] == 0x02 && (after[1] == 0x81 || after[1] == 0x82);
      bool pkcs8 = std::memcmp(after, kPkcs8Rsa, sizeof kPkcs8Rsa) == 0;
      if (!pkcs1 && !pkcs8) continue;
      size_t len = 4 + LoadBE16(base + at + 2);
      if (len > kMaxDerKeyBytes || !FitsIn(data_, at, len) || Covered(at)) continue;
      ++tried;
      ++blocks_;
      if (TryDer(at, len, /*whole_file=*/false)) pos = at + len;
    }
  }

  ByteView data_;
  const KeyScanOptions& options_;
  KeyScan scan_;
  size_t blocks_ = 0;
  std::vector<std::pair<size_t, size_t>> covered_;
};

}  // namespace

std::string_view KeyFormatName(KeyFormat f) {
  switch (f) {
    case KeyFormat::kPem:
      return "PEM";
    case KeyFormat::kDer:
      return "DER";
    case KeyFormat::kOpenSsh:
      return "OpenSSH";
    case KeyFormat::kDropbear:
      return "dropbear";
    case KeyFormat::kPutty:
      return "PuTTY";
  }
  return "PEM";
}

std::string ParsedKey::Describe() const {
  if (algorithm.empty()) {
    return encrypted ? fmt::format("encrypted {} (type hidden)", label) : label;
  }
  std::string s = algorithm;
  if (!curve.empty()) {
    s += " " + curve;
  } else if (bits > 0) {
    s += fmt::format(" {}", bits);
  }
  if (encrypted) s += " (encrypted)";
  return s;
}

std::string Sha256Fingerprint(ByteView data) {
  Sha256Digest d = Sha256(data);
  std::string b64 = Base64Encode(ByteView(d.data(), d.size()));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

std::optional<ParsedKey> ParseSshPublicBlob(ByteView blob) {
  ErrorQueueGuard guard;
  Pkey pkey = PkeyFromSshBlob(blob);
  if (!pkey) return std::nullopt;
  ParsedKey key;
  key.format = KeyFormat::kOpenSsh;
  DescribePkey(pkey.get(), key);
  key.fingerprint = Sha256Fingerprint(blob);
  key.fingerprint_form = "ssh";
  ByteReader r(blob);
  if (auto type = ReadSshString(r)) key.label = std::string(AsChars(*type));
  return key;
}

KeyScan ScanKeyMaterial(ByteView data, const KeyScanOptions& options) {
  return Scanner(data, options).Run();
}

}  // namespace clearbox::audit
