// SSH public keys (RFC 4253 6.6 and the OpenSSH extensions) and the OpenSSH private key
// file format (PROTOCOL.key, "openssh-key-v1") of the CA.
#include "maint/ssh_keys.h"

#include <algorithm>
#include <string>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/maint/ssh_cert.h"
#include "maint/ssh_wire.h"

namespace clearbox::maint {
namespace {

using wire::WireReader;
using wire::WireWriter;

// The key types and their fields after the type string. `point` is the expected length of
// the ECDSA point or Ed25519 key (0: any non-empty); `curve` the ECDSA curve name.
const KeyKind kKinds[] = {
    {"ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", "ED25519", KeyShape::kEd25519, "", 32},
    {"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ECDSA", KeyShape::kEcdsa,
     "nistp256", 65},
    {"ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ECDSA", KeyShape::kEcdsa,
     "nistp384", 97},
    {"ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521-cert-v01@openssh.com", "ECDSA", KeyShape::kEcdsa,
     "nistp521", 133},
    {"ssh-rsa", "ssh-rsa-cert-v01@openssh.com", "RSA", KeyShape::kRsa, "", 0},
    {"sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com", "ED25519-SK",
     KeyShape::kSkEd25519, "", 32},
    {"sk-ecdsa-sha2-nistp256@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
     "ECDSA-SK", KeyShape::kSkEcdsa, "nistp256", 65},
};

Status CheckMpint(WireReader& r, std::string_view field, WireWriter& out) {
  CLEARBOX_ASSIGN_OR_RETURN(ByteView v, r.String(field, SshCertLimits::kMaxKeyField));
  if (v.empty() || (v[0] & 0x80) != 0) {
    return r.Fail(field, "must be a positive mpint");
  }
  if (v.size() > 1 && v[0] == 0 && (v[1] & 0x80) == 0) {
    return r.Fail(field, "mpint has a superfluous leading zero");
  }
  out.String(v);
  return Status::Ok();
}

Status CheckPoint(WireReader& r, const KeyKind& kind, WireWriter& out) {
  if (kind.shape == KeyShape::kEcdsa || kind.shape == KeyShape::kSkEcdsa) {
    CLEARBOX_ASSIGN_OR_RETURN(std::string_view curve, r.Text("ECDSA curve", 64));
    if (curve != kind.curve) {
      return r.Fail("ECDSA curve", "is \"" + std::string(curve) + "\", expected \"" +
                                       std::string(kind.curve) + "\" for " +
                                       std::string(kind.name));
    }
    out.String(curve);
    CLEARBOX_ASSIGN_OR_RETURN(ByteView q, r.String("ECDSA point", SshCertLimits::kMaxKeyField));
    if (q.size() != kind.point || q[0] != 0x04) {
      return r.Fail("ECDSA point",
                    "must be an uncompressed point of " + std::to_string(kind.point) + " bytes");
    }
    out.String(q);
    return Status::Ok();
  }
  CLEARBOX_ASSIGN_OR_RETURN(ByteView pk, r.String("Ed25519 key", SshCertLimits::kMaxKeyField));
  if (pk.size() != 32) {
    return r.Fail("Ed25519 key", "is " + std::to_string(pk.size()) + " bytes, expected 32");
  }
  out.String(pk);
  return Status::Ok();
}

// "TYPE BASE64 [COMMENT]": splits at the first two runs of blanks.
struct KeyLine {
  std::string_view type, b64, comment;
};
Result<KeyLine> SplitKeyLine(std::string_view line, std::string_view what) {
  auto trim = [](std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return std::string_view();
    size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
  };
  line = trim(line);
  if (line.empty()) return Error::InvalidInput(std::string(what) + ": empty");
  if (line.find('\n') != std::string_view::npos) {
    return Error::InvalidInput(std::string(what) + ": more than one line (one key expected)");
  }
  KeyLine k;
  size_t sp = line.find_first_of(" \t");
  if (sp == std::string_view::npos) {
    return Error::InvalidInput(std::string(what) +
                               ": expected \"TYPE BASE64 [COMMENT]\", found one word");
  }
  k.type = line.substr(0, sp);
  std::string_view rest = trim(line.substr(sp));
  sp = rest.find_first_of(" \t");
  k.b64 = rest.substr(0, sp);
  if (sp != std::string_view::npos) k.comment = trim(rest.substr(sp));
  return k;
}

}  // namespace

const KeyKind* FindKeyKind(std::string_view type) {
  for (const KeyKind& k : kKinds) {
    if (k.name == type) return &k;
  }
  return nullptr;
}

const KeyKind* FindCertKind(std::string_view cert_type) {
  for (const KeyKind& k : kKinds) {
    if (k.cert_name == cert_type) return &k;
  }
  return nullptr;
}

Result<Bytes> ReadKeyFields(WireReader& r, const KeyKind& kind) {
  WireWriter out;
  out.String(kind.name);
  switch (kind.shape) {
    case KeyShape::kRsa:
      CLEARBOX_RETURN_IF_ERROR(CheckMpint(r, "RSA exponent", out));
      CLEARBOX_RETURN_IF_ERROR(CheckMpint(r, "RSA modulus", out));
      break;
    case KeyShape::kEd25519:
    case KeyShape::kEcdsa:
      CLEARBOX_RETURN_IF_ERROR(CheckPoint(r, kind, out));
      break;
    case KeyShape::kSkEd25519:
    case KeyShape::kSkEcdsa: {
      CLEARBOX_RETURN_IF_ERROR(CheckPoint(r, kind, out));
      CLEARBOX_ASSIGN_OR_RETURN(std::string_view app, r.Text("FIDO application", 256));
      out.String(app);
      break;
    }
  }
  return out.Take();
}

Result<SshPublicKey> ParseSshPublicKeyBlob(ByteView blob) {
  if (blob.size() > SshCertLimits::kMaxBlob) {
    return Error::InvalidInput("public key: " + std::to_string(blob.size()) +
                               " bytes exceeds the limit of " +
                               std::to_string(SshCertLimits::kMaxBlob));
  }
  WireReader r(blob, "public key");
  CLEARBOX_ASSIGN_OR_RETURN(std::string_view type, r.Text("key type", 64));
  const KeyKind* kind = FindKeyKind(type);
  if (kind == nullptr) {
    if (FindCertKind(type) != nullptr) {
      return Error::Unsupported("public key: \"" + std::string(type) +
                                "\" is a certificate; a plain public key is expected here");
    }
    return Error::Unsupported("public key: unsupported key type \"" + std::string(type) +
                              "\" (ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa, "
                              "sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com)");
  }
  SshPublicKey key;
  key.type = kind->name;
  CLEARBOX_ASSIGN_OR_RETURN(key.blob, ReadKeyFields(r, *kind));
  CLEARBOX_RETURN_IF_ERROR(r.ExpectEnd("after the key"));
  return key;
}

Result<SshPublicKey> ParseSshPublicKey(std::string_view line) {
  CLEARBOX_ASSIGN_OR_RETURN(KeyLine k, SplitKeyLine(line, "public key line"));
  std::optional<Bytes> blob = Base64Decode(k.b64);
  if (!blob) return Error::InvalidInput("public key line: the key is not valid base64");
  CLEARBOX_ASSIGN_OR_RETURN(SshPublicKey key, ParseSshPublicKeyBlob(*blob));
  if (key.type != k.type) {
    return Error::InvalidInput("public key line: the line says \"" + std::string(k.type) +
                               "\" but the key inside is \"" + key.type + "\"");
  }
  if (!wire::IsPrintableText(k.comment)) {
    return Error::InvalidInput("public key line: the comment contains control characters");
  }
  key.comment = std::string(k.comment);
  return key;
}

std::string FormatSshPublicKey(const SshPublicKey& key) {
  std::string s = key.type + " " + Base64Encode(key.blob);
  if (!key.comment.empty()) s += " " + key.comment;
  return s;
}

std::string SshFingerprint(ByteView key_blob) {
  auto d = Sha256(key_blob);
  std::string b64 = Base64Encode(ByteView(d.data(), d.size()));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

Result<SplitLine> SplitKeyFileLine(std::string_view line, std::string_view what) {
  CLEARBOX_ASSIGN_OR_RETURN(KeyLine k, SplitKeyLine(line, what));
  std::optional<Bytes> blob = Base64Decode(k.b64);
  if (!blob) return Error::InvalidInput(std::string(what) + ": the key is not valid base64");
  if (!wire::IsPrintableText(k.comment)) {
    return Error::InvalidInput(std::string(what) + ": the comment contains control characters");
  }
  return SplitLine{std::string(k.type), std::move(*blob), std::string(k.comment)};
}

// PROTOCOL.key: "openssh-key-v1\0", cipher, kdf, kdf options, key count, public keys, then
// the private section (two equal check words, the keys, padding 1, 2, 3, ...).
Result<SshCaKey> SshCaKey::FromOpenSshPrivateKey(std::string_view text) {
  constexpr std::string_view kBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
  constexpr std::string_view kEnd = "-----END OPENSSH PRIVATE KEY-----";
  size_t b = text.find(kBegin);
  size_t e = text.find(kEnd);
  if (b == std::string_view::npos || e == std::string_view::npos || e < b) {
    if (text.find("-----BEGIN") != std::string_view::npos) {
      return Error::Unsupported(
          "CA key: not an OpenSSH private key (PEM/PKCS#8?); convert a copy with "
          "ssh-keygen -p -f KEY (it writes the OpenSSH format)");
    }
    return Error::InvalidInput("CA key: no \"" + std::string(kBegin) + "\" block");
  }
  std::string b64;
  for (char c : text.substr(b + kBegin.size(), e - b - kBegin.size())) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    b64.push_back(c);
  }
  if (b64.size() > 64 * 1024) return Error::InvalidInput("CA key: the key block is too large");
  std::optional<Bytes> raw = Base64Decode(b64);
  if (!raw) return Error::InvalidInput("CA key: the key block is not valid base64");
  WireReader r(*raw, "CA key");
  constexpr std::string_view kMagic("openssh-key-v1\0", 15);
  CLEARBOX_ASSIGN_OR_RETURN(ByteView magic, r.Raw("magic", kMagic.size()));
  if (AsChars(magic) != kMagic) return r.Fail("magic", "is not \"openssh-key-v1\"");
  CLEARBOX_ASSIGN_OR_RETURN(std::string_view cipher, r.Text("cipher name", 64));
  CLEARBOX_ASSIGN_OR_RETURN(std::string_view kdf, r.Text("KDF name", 64));
  if (cipher != "none" || kdf != "none") {
    return Error::Unsupported("CA key: the key is encrypted (cipher " + std::string(cipher) +
                              ", KDF " + std::string(kdf) +
                              "); clearbox reads only unencrypted CA keys: keep the key on an "
                              "offline machine and decrypt a temporary copy with ssh-keygen -p");
  }
  CLEARBOX_ASSIGN_OR_RETURN(ByteView kdf_options, r.String("KDF options", 1024));
  if (!kdf_options.empty()) return r.Fail("KDF options", "must be empty without a KDF");
  CLEARBOX_ASSIGN_OR_RETURN(uint32_t count, r.U32("key count"));
  if (count != 1) {
    return r.Fail("key count", "is " + std::to_string(count) + "; exactly one key expected");
  }
  CLEARBOX_ASSIGN_OR_RETURN(ByteView pub_blob, r.String("public key", SshCertLimits::kMaxBlob));
  CLEARBOX_ASSIGN_OR_RETURN(SshPublicKey pub, ParseSshPublicKeyBlob(pub_blob));
  if (pub.type != "ssh-ed25519") {
    return Error::Unsupported("CA key: a " + pub.type +
                              " key; the CA must be an Ed25519 key (ssh-keygen -t ed25519)");
  }
  CLEARBOX_ASSIGN_OR_RETURN(ByteView priv, r.String("private section", SshCertLimits::kMaxBlob));
  CLEARBOX_RETURN_IF_ERROR(r.ExpectEnd("after the private section"));
  WireReader p(priv, "CA key private section");
  CLEARBOX_ASSIGN_OR_RETURN(uint32_t check1, p.U32("check word 1"));
  CLEARBOX_ASSIGN_OR_RETURN(uint32_t check2, p.U32("check word 2"));
  if (check1 != check2) return p.Fail("check words", "differ (a corrupt or encrypted key)");
  CLEARBOX_ASSIGN_OR_RETURN(std::string_view type, p.Text("key type", 64));
  if (type != "ssh-ed25519") return p.Fail("key type", "differs from the public key's");
  CLEARBOX_ASSIGN_OR_RETURN(ByteView pk, p.String("Ed25519 public key", 32));
  CLEARBOX_ASSIGN_OR_RETURN(ByteView sk, p.String("Ed25519 private key", 64));
  if (pk.size() != 32 || sk.size() != 64) {
    return p.Fail("Ed25519 private key", "must be 32 + 64 bytes");
  }
  CLEARBOX_ASSIGN_OR_RETURN(std::string_view comment, p.Text("comment", 4096));
  // Padding: 1, 2, 3, ... up to the cipher block size (8 for "none").
  size_t pad = p.remaining();
  CLEARBOX_ASSIGN_OR_RETURN(ByteView padding, p.Raw("padding", pad));
  bool padding_ok = pad < 8;
  for (size_t i = 0; i < padding.size(); ++i) padding_ok = padding_ok && padding[i] == i + 1;
  if (!padding_ok) return Error::InvalidInput("CA key: malformed padding after the private key");
  auto key = crypto::Ed25519PrivateKey::FromSeed(sk.subspan(0, 32));
  if (!key.ok()) return key.error().WithContext("CA key");
  const auto& derived = key->public_key();
  if (!std::equal(derived.begin(), derived.end(), pk.begin()) ||
      !std::equal(pk.begin(), pk.end(), sk.begin() + 32) ||
      !std::equal(pk.begin(), pk.end(), pub.blob.end() - 32)) {
    return Error::InvalidInput(
        "CA key: the private key does not match its public key (a corrupt key file)");
  }
  pub.comment = std::string(comment);
  return SshCaKey(std::move(*key), std::move(pub));
}

SshCaKey SshCaKey::FromEd25519(crypto::Ed25519PrivateKey key) {
  WireWriter w;
  w.String("ssh-ed25519");
  w.String(ByteView(key.public_key().data(), key.public_key().size()));
  SshPublicKey pub{"ssh-ed25519", w.Take(), ""};
  return SshCaKey(std::move(key), std::move(pub));
}

Result<Bytes> SshCaKey::SignBlob(ByteView data) const {
  CLEARBOX_ASSIGN_OR_RETURN(crypto::Ed25519Signature sig, key_.Sign(data));
  WireWriter w;
  w.String("ssh-ed25519");
  w.String(ByteView(sig.data(), sig.size()));
  return w.Take();
}

}  // namespace clearbox::maint
