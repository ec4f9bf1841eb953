// The key and credential checks (CB-KEY-*): private keys shipped in files and inside
// binaries (key_parse.h confirms each with OpenSSL), certificates that are expired, weak or a
// self-signed CA serving, authorized_keys of root and service accounts, .rhosts and
// hosts.equiv trust, and passwords set by scripts.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>

#include "clearbox/audit/accounts.h"
#include "clearbox/core/encoding.h"
#include "families.h"
#include "key_parse.h"
#include "text_lines.h"

namespace clearbox::audit::internal {
namespace {

using inventory::FileKind;
using inventory::FileRecord;

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool KeyFileKind(FileKind k) {
  return k == FileKind::kPrivateKey || k == FileKind::kPublicKey || k == FileKind::kCertificate;
}

// Files whose content is itself the key (a PEM among comments, DER, dropbear, PuTTY).
bool WholeFileKind(FileKind k) {
  return KeyFileKind(k) || k == FileKind::kConfig || k == FileKind::kText || k == FileKind::kData;
}

// Programs, firmware blobs and data: a key in them cannot be replaced by the operator.
bool BinaryKind(FileKind k) {
  return k == FileKind::kElf || k == FileKind::kData || k == FileKind::kKernel ||
         k == FileKind::kBootloader || k == FileKind::kArchive;
}

struct KeyPlace {
  ParsedKey key;
  std::string provenance, path;
  uint64_t offset = 0;  // in the file
  bool in_binary = false;
};

struct CertPlace {
  ParsedCertificate cert;
  std::string provenance, path;
};

// What the key scanners saw (concurrently, from the unpacker's threads).
struct KeyState {
  std::mutex mu;
  std::set<std::pair<std::string, uint64_t>> seen;
  std::vector<KeyPlace> keys;
  std::vector<CertPlace> certs;
  std::vector<std::pair<std::string, std::string>> problems;
};

// CB-KEY-001, -002 and -005 read the same scan: the first scanner made for an audit (its
// AuditOptions) scans, the others share its state, so each file is scanned once.
std::shared_ptr<KeyState> SharedKeyState(const AuditOptions& options, bool& scans) {
  static std::mutex mu;
  static std::map<const AuditOptions*, std::weak_ptr<KeyState>> live;
  std::lock_guard lock(mu);
  for (auto it = live.begin(); it != live.end();) {
    it = it->second.expired() ? live.erase(it) : std::next(it);
  }
  if (auto state = live[&options].lock()) {
    scans = false;
    return state;
  }
  auto state = std::make_shared<KeyState>();
  live[&options] = state;
  scans = true;
  return state;
}

class KeyScanner : public ContentScanner {
 public:
  // Reports the keys of CB-KEY-002 (in a binary) or of CB-KEY-001 (in key files only).
  KeyScanner(const AuditOptions& options, bool binaries)
      : state_(SharedKeyState(options, scans_)), binaries_(binaries) {}
  void OnContent(const FileRecord& file, uint64_t offset, ByteView bytes) override {
    if (!scans_) return;
    KeyScanOptions options;
    options.whole_file = offset == 0 && WholeFileKind(file.kind) && bytes.size() == file.node.size;
    options.embedded_der = file.kind == FileKind::kElf || file.kind == FileKind::kData;
    KeyScan scan = ScanKeyMaterial(bytes, options);
    if (scan.keys.empty() && scan.certificates.empty() && scan.problems.empty()) return;
    std::lock_guard lock(state_->mu);
    for (ParsedKey& k : scan.keys) {
      uint64_t at = offset + k.offset;
      if (!state_->seen.insert({file.node.provenance, at}).second) continue;  // window overlap
      bool in_binary = BinaryKind(file.kind) && !(k.offset == 0 && k.length == bytes.size());
      state_->keys.push_back({std::move(k), file.node.provenance, file.node.path, at, in_binary});
    }
    for (ParsedCertificate& c : scan.certificates) {
      if (!KeyFileKind(file.kind) && file.kind != FileKind::kConfig) continue;
      if (!state_->seen.insert({file.node.provenance, offset + c.offset}).second) continue;
      state_->certs.push_back({std::move(c), file.node.provenance, file.node.path});
    }
    // Garbage that only looks like a key is worth a note in a key file, not in a program
    // that prints "-----BEGIN " itself.
    if (KeyFileKind(file.kind)) {
      for (std::string& p : scan.problems) state_->problems.push_back({file.node.provenance, std::move(p)});
    }
  }
  void Finish(AuditContext& ctx, std::vector<Finding>& out) override;

  bool scans_;  // before state_: SharedKeyState sets it
  std::shared_ptr<KeyState> state_;
  bool binaries_;
};

// Crypto libraries carry the keys of their own known-answer self-tests (GnuTLS's
// crypto-selftests, the FIPS providers): the same in every copy of the library, guarding
// nothing. By the library's file name.
bool CryptoLibrary(std::string_view path) {
  std::string_view base = BaseName(path);
  for (std::string_view lib : {"libgnutls", "libcrypto", "libssl", "libgcrypt", "libnettle",
                               "libhogweed", "libwolfssl", "libmbedcrypto", "libmbedtls",
                               "libnss3", "libsoftokn3", "libfreebl", "fips.so", "legacy.so"}) {
    if (base.starts_with(lib)) return true;
  }
  return false;
}

std::string PurposeGuess(const KeyPlace& p) {
  std::string_view path = p.path, base = BaseName(p.path);
  if (p.in_binary) return fmt::format("embedded in {}", path);
  if (base.find("host") != std::string_view::npos &&
      (path.find("ssh") != std::string_view::npos || path.find("dropbear") != std::string_view::npos)) {
    return "SSH host key";
  }
  if (path.find("/.ssh/") != std::string_view::npos) return "SSH user key";
  if (p.key.format == KeyFormat::kPutty) return "PuTTY user key";
  if (path.find("ssl") != std::string_view::npos || path.find("tls") != std::string_view::npos ||
      base.ends_with(".pem") || base.ends_with(".key")) {
    return "TLS key";
  }
  return "private key";
}

void KeyScanner::Finish(AuditContext& ctx, std::vector<Finding>& out) {
  std::lock_guard lock(state_->mu);
  if (!binaries_) {
    for (auto& [where, what] : state_->problems) ctx.Note(where, what);
  }
  std::sort(state_->keys.begin(), state_->keys.end(), [](const KeyPlace& a, const KeyPlace& b) {
    return std::tie(a.provenance, a.offset) < std::tie(b.provenance, b.offset);
  });
  // One finding per private key, listing every place it is in.
  std::map<std::string, std::vector<const KeyPlace*>> by_key;
  for (const KeyPlace& p : state_->keys) {
    if (p.key.is_private) by_key[p.key.fingerprint].push_back(&p);
  }
  for (const auto& [fingerprint, places] : by_key) {
    const ParsedKey& key = places.front()->key;
    bool in_binary = std::any_of(places.begin(), places.end(), [](auto* p) { return p->in_binary; });
    if (in_binary != binaries_) continue;
    const bool self_test = in_binary && std::all_of(places.begin(), places.end(), [](auto* p) {
      return p->in_binary && CryptoLibrary(p->path);
    });
    std::vector<Evidence> evidence;
    std::string where;
    for (const KeyPlace* p : places) {
      evidence.push_back({p->provenance, p->path, p->offset,
                          fmt::format("{} {} private key {}", KeyFormatName(p->key.format),
                                      p->key.Describe(), fingerprint)});
      if (where.size() < 400) where += (where.empty() ? "" : ", ") + p->path;
      Observation o;
      o.kind = ObservationKind::kKey;
      o.name = fingerprint;
      o.detail = fmt::format("{} {} private key, {}", KeyFormatName(p->key.format),
                             p->key.Describe(), PurposeGuess(*p));
      o.evidence = evidence.back();
      o.check_id = in_binary ? "CB-KEY-002" : "CB-KEY-001";
      o.insecure = true;
      if (!self_test) ctx.Observe(std::move(o));
    }
    std::string purpose = PurposeGuess(*places.front());
    std::string copies =
        places.size() > 1 ? fmt::format(" The same key is in {} places.", places.size()) : "";
    if (self_test) {
      out.push_back({"CB-KEY-002", Severity::kInfo,
                     fmt::format("{} private key {} in the crypto library {}: a self-test key "
                                 "(the same in every copy of the library), not a device secret",
                                 key.Describe(), fingerprint, where),
                     std::move(evidence)});
    } else if (in_binary) {
      out.push_back({"CB-KEY-002", Severity::kHigh,
                     fmt::format("{} private key {} ({}) is built into a binary: every device "
                                 "shares it and no operator can replace it ({}).{}",
                                 key.Describe(), fingerprint, purpose, where, copies),
                     std::move(evidence)});
    } else {
      out.push_back(
          {"CB-KEY-001", key.encrypted ? Severity::kMedium : Severity::kHigh,
           fmt::format("{} private key {} ({}) ships in the image{}: every device of the model "
                       "shares it ({}).{}",
                       key.Describe(), fingerprint, purpose,
                       key.encrypted ? " (passphrase-protected)" : "", where, copies),
           std::move(evidence)});
    }
  }
}

// ---- certificates ----

bool TrustStore(std::string_view path) {
  for (std::string_view dir : {"/etc/ssl/certs/", "/usr/share/ca-certificates/", "/etc/pki/",
                               "/usr/lib/ssl/certs/", "/etc/ca-certificates/",
                               "/usr/local/share/ca-certificates/"}) {
    if (path.starts_with(dir)) return true;
  }
  std::string_view base = BaseName(path);
  return base.find("ca-bundle") != std::string_view::npos ||
         base.find("ca-certificates") != std::string_view::npos ||
         base.find("cacert") != std::string_view::npos;
}

// The date certificates are judged at: the newest mtime in the image (its build), so a
// report does not change from day to day; the audit's clock when the image has no dates.
int64_t ReferenceTime(const inventory::Inventory& inv) {
  int64_t newest = 0;
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  for (const FileRecord& f : inv.files) {
    if (f.node.mtime > newest && f.node.mtime <= now) newest = f.node.mtime;
  }
  return newest > 946684800 /* 2000-01-01 */ ? newest : now;
}

std::string Day(int64_t t) {
  time_t tt = time_t(t);
  struct tm tm = {};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

// Certificates are inventory; one is a finding when expired, weak, or a self-signed CA that
// a configuration or script in the image names (serving with a CA certificate).
void BadCertificates(AuditContext& ctx, const std::vector<CertPlace>& certs,
                     std::vector<Finding>& out) {
  int64_t ref = ReferenceTime(ctx.inv);
  for (const CertPlace& p : certs) {
    if (TrustStore(p.path)) continue;
    const ParsedCertificate& c = p.cert;
    std::vector<std::string> why;
    if (c.not_after != 0 && c.not_after < ref) {
      why.push_back(fmt::format("expired on {} (image built {})", Day(c.not_after), Day(ref)));
    }
    if (c.key_algorithm == "RSA" && c.key_bits > 0 && c.key_bits < 2048) {
      why.push_back(fmt::format("RSA key of {} bits", c.key_bits));
    }
    if (c.signature_digest == "MD5" || c.signature_digest == "SHA1" || c.signature_digest == "MD2") {
      why.push_back(fmt::format("signed with {}", c.signature_algorithm));
    }
    if (c.self_signed && c.is_ca) {
      for (const FileRecord& f : ctx.inv.files) {
        if (f.text.empty() || f.node.path == p.path || KeyFileKind(f.kind)) continue;
        if (f.text.find(p.path) != std::string::npos) {
          why.push_back(fmt::format("a self-signed CA certificate (CA:TRUE) that {} uses",
                                    f.node.path));
          break;
        }
      }
    }
    if (why.empty()) continue;
    std::string reasons;
    for (const std::string& w : why) reasons += (reasons.empty() ? "" : "; ") + w;
    out.push_back({"CB-KEY-005", Severity::kMedium,
                   fmt::format("certificate '{}' at {}: {}", c.subject.substr(0, 120), p.path,
                               reasons),
                   {{p.provenance, p.path, c.offset,
                     fmt::format("subject {} issuer {} valid {} to {} {} {} {}", c.subject.substr(0, 120),
                                 c.issuer.substr(0, 120), Day(c.not_before), Day(c.not_after),
                                 c.key_algorithm, c.key_bits, c.fingerprint)}}});
  }
}

// The key scanner also feeds the certificate check: CB-KEY-005 has its own scanner whose
// Finish reports certificates only.
class CertificateScanner : public KeyScanner {
 public:
  explicit CertificateScanner(const AuditOptions& options) : KeyScanner(options, false) {}
  void Finish(AuditContext& ctx, std::vector<Finding>& out) override {
    std::lock_guard lock(state_->mu);
    std::sort(state_->certs.begin(), state_->certs.end(), [](const CertPlace& a, const CertPlace& b) {
      return std::tie(a.provenance, a.cert.offset) < std::tie(b.provenance, b.cert.offset);
    });
    BadCertificates(ctx, state_->certs, out);
  }
};

// ---- lines of text files ----

std::string Shorten(std::string_view s, size_t n = 160) {
  return s.size() <= n ? std::string(s) : std::string(s.substr(0, n)) + "…";
}

// The filesystem prefix of a provenance ("fw!squashfs:" for "fw!squashfs:/etc/passwd").
std::string FsPrefix(const FileRecord& f) {
  const std::string& p = f.node.provenance;
  return p.size() >= f.node.path.size() && p.ends_with(f.node.path)
             ? p.substr(0, p.size() - f.node.path.size())
             : p;
}

// ---- authorized_keys ----

struct Owner {
  std::string name;
  uint32_t uid = 0;
};

// Who an authorized_keys file lets in: the account whose home holds it (/etc/passwd of the
// same filesystem), else root for /root/.ssh and dropbear's /etc/dropbear/authorized_keys.
std::optional<Owner> AuthorizedKeysOwner(const inventory::Inventory& inv, const FileRecord& f) {
  std::string_view path = f.node.path;
  if (path == "/etc/dropbear/authorized_keys") return Owner{"root", 0};
  size_t ssh = path.rfind("/.ssh/");
  if (ssh == std::string_view::npos) return std::nullopt;
  std::string home(path.substr(0, ssh));
  std::string prefix = FsPrefix(f);
  if (const FileRecord* passwd = inv.FindFile(prefix + "/etc/passwd")) {
    for (const PasswdEntry& e : ParsePasswd(passwd->text).entries) {
      std::string h = e.home;
      while (h.size() > 1 && h.back() == '/') h.pop_back();
      if (h == home) return Owner{e.name, e.uid};
    }
  }
  if (home == "/root") return Owner{"root", 0};
  return std::nullopt;
}

void AuthorizedKeys(AuditContext& ctx, std::vector<Finding>& out) {
  for (const FileRecord& f : ctx.inv.files) {
    std::string_view base = BaseName(f.node.path);
    if (f.node.type != unpack::NodeType::kFile ||
        (base != "authorized_keys" && base != "authorized_keys2")) {
      continue;
    }
    std::optional<Owner> owner = AuthorizedKeysOwner(ctx.inv, f);
    std::vector<Evidence> evidence;
    ForEachLine(f.text, [&](const TextLine& l) {
      std::string_view line = TrimBlanks(l.text);
      if (line.empty() || line.front() == '#') return;
      // [options] type base64 [comment]: the key is the first base64 field that parses.
      size_t pos = 0;
      for (int field = 0; field < 16 && pos < line.size(); ++field) {
        size_t sp = line.find_first_of(" \t", pos);
        std::string_view word = line.substr(pos, sp == std::string_view::npos ? sp : sp - pos);
        pos = sp == std::string_view::npos ? line.size() : line.find_first_not_of(" \t", sp);
        if (pos == std::string_view::npos) pos = line.size();
        if (!word.starts_with("AAAA")) continue;
        std::optional<Bytes> blob = Base64Decode(word);
        if (!blob) continue;
        std::optional<ParsedKey> key = ParseSshPublicBlob(*blob);
        if (!key) continue;
        std::string comment(TrimBlanks(line.substr(pos)));
        Evidence e{f.node.provenance, f.node.path, l.offset,
                   fmt::format("{} {}… {} ({})", key->label, word.substr(0, 12), Shorten(comment, 80),
                               key->fingerprint)};
        Observation o;
        o.kind = ObservationKind::kKey;
        o.name = key->fingerprint;
        o.detail = fmt::format("{} key authorized to log in as {}", key->Describe(),
                               owner ? owner->name : "the owner of " + f.node.path);
        o.evidence = e;
        o.check_id = "CB-KEY-003";
        ctx.Observe(std::move(o));
        evidence.push_back(std::move(e));
        break;
      }
    });
    if (evidence.empty() || !owner || (owner->uid >= 1000 && owner->uid != 65534)) continue;
    bool root = owner->uid == 0;
    size_t n = evidence.size();
    out.push_back({"CB-KEY-003", root ? Severity::kCritical : Severity::kHigh,
                   fmt::format("{} SSH key{} in {} let{} in as {} account '{}' (UID {})", n,
                               n == 1 ? "" : "s", f.node.path, n == 1 ? "s" : "",
                               root ? "the superuser" : "the service", owner->name, owner->uid),
                   std::move(evidence)});
  }
}

// ---- .rhosts, hosts.equiv ----

bool HostTrustFile(const FileRecord& f) {
  std::string_view base = BaseName(f.node.path);
  bool equiv = f.node.path == "/etc/hosts.equiv" || f.node.path == "/etc/ssh/shosts.equiv" ||
               f.node.path == "/etc/shosts.equiv";
  return f.node.type == unpack::NodeType::kFile && (equiv || base == ".rhosts" || base == ".shosts");
}

// .rhosts in a home directory is plain text the inventory does not keep: this scanner keeps
// the first 64 KiB of each trust file, and its Finish reports them.
class HostTrustScanner : public ContentScanner {
 public:
  void OnContent(const FileRecord& f, uint64_t offset, ByteView bytes) override {
    if (offset != 0 || !HostTrustFile(f)) return;
    std::lock_guard lock(mu_);
    texts_[f.node.provenance] = std::string(AsChars(bytes.first(std::min<size_t>(bytes.size(), 64 * 1024))));
  }
  void Finish(AuditContext& ctx, std::vector<Finding>& out) override;

 private:
  std::mutex mu_;
  std::map<std::string, std::string> texts_;
};

void HostTrustScanner::Finish(AuditContext& ctx, std::vector<Finding>& out) {
  for (const FileRecord& f : ctx.inv.files) {
    if (!HostTrustFile(f)) continue;
    auto it = texts_.find(f.node.provenance);
    std::string_view text = it != texts_.end() ? std::string_view(it->second) : std::string_view(f.text);
    std::vector<Evidence> evidence;
    bool wildcard = false;
    ForEachLine(text, [&](const TextLine& l) {
      std::string_view line = TrimBlanks(l.text);
      if (line.empty() || line.front() == '#' || evidence.size() >= 50) return;
      // "+" alone, "+ +", or "host +": any host or any user.
      std::string_view host = line.substr(0, line.find_first_of(" \t"));
      std::string_view rest = TrimBlanks(line.substr(host.size()));
      if (host == "+" || rest == "+") wildcard = true;
      evidence.push_back({f.node.provenance, f.node.path, l.offset, Shorten(line)});
    });
    if (evidence.empty()) continue;
    out.push_back({"CB-KEY-004", wildcard ? Severity::kCritical : Severity::kHigh,
                   fmt::format("{} trusts remote hosts by name for rlogin/rsh{}", f.node.path,
                               wildcard ? ", with '+' (any host or any user)" : ""),
                   std::move(evidence)});
  }
}

// ---- passwords set by scripts ----

bool Placeholder(std::string_view secret) {
  if (secret.empty() || secret.find('$') != std::string_view::npos ||
      secret.find('%') != std::string_view::npos || secret.front() == '<') {
    return true;
  }
  std::string lower(secret);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  for (std::string_view p : {"changeme", "change_me", "password", "your_password", "xxx", "****",
                             "secret", "example"}) {
    if (lower == p) return true;
  }
  return false;
}

bool DocumentationPath(std::string_view path) {
  return path.starts_with("/usr/share/doc/") || path.starts_with("/usr/share/man/") ||
         path.starts_with("/usr/share/examples/") || path.ends_with(".sample") ||
         path.ends_with(".example") || path.ends_with(".dist");
}

// The quoted or bare word after `echo`/`printf` on a line: "root:xyz" of `echo "root:xyz"`.
std::string_view EchoedWord(std::string_view line) {
  size_t at = line.find("echo ");
  size_t skip = 5;
  if (at == std::string_view::npos) {
    at = line.find("printf ");
    skip = 7;
  }
  if (at == std::string_view::npos) return {};
  std::string_view rest = TrimBlanks(line.substr(at + skip));
  while (rest.starts_with("-e ") || rest.starts_with("-n ")) rest = TrimBlanks(rest.substr(3));
  if (rest.empty()) return {};
  if (rest.front() == '"' || rest.front() == '\'') {
    size_t close = rest.find(rest.front(), 1);
    return close == std::string_view::npos ? std::string_view() : rest.substr(1, close - 1);
  }
  return rest.substr(0, rest.find_first_of(" \t|;"));
}

void ScriptPasswords(AuditContext& ctx, std::vector<Finding>& out) {
  for (const FileRecord& f : ctx.inv.files) {
    if (f.text.empty() || DocumentationPath(f.node.path) ||
        (f.kind != FileKind::kScript && f.kind != FileKind::kInitScript &&
         f.kind != FileKind::kConfig && f.kind != FileKind::kText)) {
      continue;
    }
    ForEachLine(f.text, [&](const TextLine& l) {
      std::string_view line = TrimBlanks(l.text);
      if (line.empty() || line.front() == '#') return;
      bool chpasswd = line.find("chpasswd") != std::string_view::npos;
      bool passwd = !chpasswd && line.find("| passwd") != std::string_view::npos;
      if (!chpasswd && !passwd) return;
      std::string_view word = EchoedWord(line);
      std::string user = "root", secret;
      if (chpasswd) {
        size_t colon = word.find(':');
        if (colon == std::string_view::npos) return;
        user = std::string(word.substr(0, colon));
        secret = std::string(word.substr(colon + 1));
      } else {
        // `echo -e "pw\npw" | passwd [user]`
        secret = std::string(word.substr(0, word.find("\\n")));
        std::string_view after = TrimBlanks(line.substr(line.find("| passwd") + 8));
        if (!after.empty() && after.front() != '-' && after.front() != ';') {
          user = std::string(after.substr(0, after.find_first_of(" \t;")));
        }
      }
      if (Placeholder(secret) || user.empty() || user.find('$') != std::string::npos) return;
      std::string shown = std::string(line);
      size_t at = shown.find(secret);
      if (at != std::string::npos) {
        shown.replace(at, secret.size(), secret.substr(0, 1) + "…");
      }
      out.push_back({"CB-KEY-006", user == "root" ? Severity::kCritical : Severity::kHigh,
                     fmt::format("{} sets a fixed password ({} characters) for '{}' with {}: "
                                 "every device gets the same one",
                                 f.node.path, secret.size(), user, chpasswd ? "chpasswd" : "passwd"),
                     {{f.node.provenance, f.node.path, l.offset, Shorten(shown)}}});
    });
  }
}

// ---- Wi-Fi keys ----

// The value of `key=value` or UCI `option key 'value'`, unquoted; nullopt when the line sets
// another key.
std::optional<std::string_view> Setting(std::string_view line, std::string_view key, bool uci) {
  if (uci) {
    if (!line.starts_with("option ")) return std::nullopt;
    line = TrimBlanks(line.substr(7));
    if (!line.starts_with(key) || line.size() == key.size() ||
        (line[key.size()] != ' ' && line[key.size()] != '\t')) {
      return std::nullopt;
    }
    line = TrimBlanks(line.substr(key.size()));
  } else {
    if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != '=') {
      return std::nullopt;
    }
    line = TrimBlanks(line.substr(key.size() + 1));
  }
  if (line.size() >= 2 && (line.front() == '"' || line.front() == '\'') && line.back() == line.front()) {
    line = line.substr(1, line.size() - 2);
  }
  return line;
}

void WifiKeys(AuditContext& ctx, std::vector<Finding>& out) {
  for (const FileRecord& f : ctx.inv.files) {
    std::string_view base = BaseName(f.node.path);
    bool supplicant = base.find("wpa_supplicant") != std::string_view::npos;
    bool hostapd = base.find("hostapd") != std::string_view::npos;
    bool uci = f.node.path == "/etc/config/wireless";
    if (f.text.empty() || DocumentationPath(f.node.path) || (!supplicant && !hostapd && !uci)) {
      continue;
    }
    ForEachLine(f.text, [&](const TextLine& l) {
      std::string_view line = TrimBlanks(l.text);
      if (line.empty() || line.front() == '#') return;
      std::optional<std::string_view> secret =
          uci ? Setting(line, "key", true)
              : Setting(line, supplicant ? "psk" : "wpa_passphrase", false);
      if (!secret && hostapd) secret = Setting(line, "wpa_psk", false);
      // UCI "key" is also a WEP key index (1-4) or empty with encryption none.
      if (!secret || Placeholder(*secret) || secret->size() < 8) return;
      std::string shown(line);
      size_t at = shown.find(*secret);
      if (at != std::string::npos) shown.replace(at, secret->size(), std::string(secret->substr(0, 1)) + "…");
      out.push_back({"CB-KEY-007", Severity::kMedium,
                     fmt::format("{} holds a Wi-Fi pre-shared key ({} characters): every device "
                                 "joins or serves the same network with it",
                                 f.node.path, secret->size()),
                     {{f.node.provenance, f.node.path, l.offset, Shorten(shown)}}});
    });
  }
}

}  // namespace

void AddKeyChecks(std::vector<Check>& checks) {
  auto key_scanner = [](bool binaries) {
    return [binaries](const AuditOptions& options) -> std::unique_ptr<ContentScanner> {
      return std::make_unique<KeyScanner>(options, binaries);
    };
  };
  checks.push_back(
      {"CB-KEY-001", "private key shipped in the image",
       "A private key in the image is on every device of the model and in every copy of the "
       "firmware: anyone who downloads it can impersonate the device (host keys), decrypt its "
       "traffic or log in where the key is trusted.",
       "Generate keys on each device at first boot (ssh-keygen -A, dropbearkey) and keep none "
       "in the image; declare any that must ship in the pledge.",
       "4.2.3.2.3", Severity::kHigh, {}, key_scanner(false)});
  checks.push_back(
      {"CB-KEY-002", "private key built into a binary",
       "A key compiled into a program is shared by every device and cannot be rotated without "
       "new firmware; it often protects a vendor channel.",
       "Remove the key from the program; load per-device keys from protected storage.",
       "4.2.3.2.3", Severity::kHigh, {}, key_scanner(true)});
  checks.push_back(
      {"CB-KEY-003", "authorized_keys for root or a service account",
       "A shipped authorized_keys entry lets whoever holds the private key log in to every "
       "device, as root or a service account: a standing remote access the operator did not "
       "grant.",
       "Ship no authorized keys; install operator keys at provisioning, and declare vendor "
       "maintenance keys in the pledge.",
       "4.2.3.4.1.1", Severity::kCritical, AuthorizedKeys, {}});
  checks.push_back(
      {"CB-KEY-004", ".rhosts or hosts.equiv trust",
       "Host-based trust lets rlogin/rsh users in without a password from any host named "
       "(or, with '+', any host at all).",
       "Remove .rhosts, .shosts and hosts.equiv and the r-services.", "4.2.3.4.1.1",
       Severity::kHigh, {},
       [](const AuditOptions&) -> std::unique_ptr<ContentScanner> {
         return std::make_unique<HostTrustScanner>();
       }});
  checks.push_back(
      {"CB-KEY-005", "certificate that is expired, weak or a self-signed CA in service",
       "A certificate is inventory, but one that is expired at release, uses a key or hash "
       "that can be forged (RSA < 2048, MD5, SHA-1), or a self-signed CA certificate used by a "
       "server, gives clients nothing to verify.",
       "Issue a per-device certificate at provisioning from the operator's CA, RSA >= 2048 or "
       "ECDSA, signed with SHA-256 or better.",
       "4.2.3.2.2", Severity::kMedium, {},
       [](const AuditOptions& options) -> std::unique_ptr<ContentScanner> {
         return std::make_unique<CertificateScanner>(options);
       }});
  checks.push_back(
      {"CB-KEY-006", "password set by a script",
       "A script that sets a password with chpasswd or passwd gives every device the same, "
       "published password.",
       "Have the operator set passwords at first use; never ship them in scripts.",
       "4.2.3.4.2.3", Severity::kHigh, ScriptPasswords, {}});
  checks.push_back(
      {"CB-KEY-007", "Wi-Fi pre-shared key in the image",
       "A WPA passphrase in wpa_supplicant.conf, hostapd.conf or /etc/config/wireless is the "
       "same on every device: whoever reads the firmware joins (or impersonates) the network.",
       "Set the Wi-Fi key per device at provisioning (printed on the label or set by the "
       "operator); ship the interface unconfigured or with a unique key.",
       "4.2.3.4.2.3", Severity::kMedium, WifiKeys, {}});
}

}  // namespace clearbox::audit::internal
