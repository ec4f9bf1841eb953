#include "internal/file_kind.h"

#include <array>
#include <cstring>

#include "clearbox/inventory/elf.h"

namespace clearbox::inventory {

std::string_view FileKindName(FileKind k) {
  switch (k) {
    case FileKind::kNone:
      return "none";
    case FileKind::kElf:
      return "elf";
    case FileKind::kScript:
      return "script";
    case FileKind::kInitScript:
      return "init-script";
    case FileKind::kConfig:
      return "config";
    case FileKind::kCertificate:
      return "certificate";
    case FileKind::kPublicKey:
      return "public-key";
    case FileKind::kPrivateKey:
      return "private-key";
    case FileKind::kArchive:
      return "archive";
    case FileKind::kKernel:
      return "kernel";
    case FileKind::kBootloader:
      return "bootloader";
    case FileKind::kText:
      return "text";
    case FileKind::kData:
      return "data";
  }
  return "data";
}

namespace internal {
namespace {

bool StartsWith(ByteView b, std::string_view prefix, size_t at = 0) {
  return FitsIn(b, at, prefix.size()) &&
         std::memcmp(b.data() + at, prefix.data(), prefix.size()) == 0;
}
bool Contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}
bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Compressed streams and archives by their magic (the formats the unpacker knows).
struct ArchiveMagic {
  std::string_view name;
  size_t offset;
  std::string_view bytes;
};
constexpr std::array<ArchiveMagic, 13> kArchiveMagics{{
    {"gzip", 0, "\x1f\x8b\x08"},
    {"xz", 0,
     "\xfd"
     "7zXZ\x00"},
    {"bzip2", 0, "BZh"},
    {"zstd", 0, "\x28\xb5\x2f\xfd"},
    {"lz4", 0, "\x04\x22\x4d\x18"},
    {"zip", 0, "PK\x03\x04"},
    {"7z", 0, "7z\xbc\xaf\x27\x1c"},
    {"cpio", 0, "070701"},
    {"cpio", 0, "070707"},
    {"tar", 257, "ustar"},
    {"squashfs", 0, "hsqs"},
    {"squashfs", 0, "sqsh"},
    {"lzop", 0, "\x89LZO\x00"},
}};

// The PEM label after "-----BEGIN " (up to the next "-----"), if the text has one near its
// start (certificates and keys may follow a comment or a bag of attributes).
std::string_view PemLabel(std::string_view text) {
  size_t begin = text.find("-----BEGIN ");
  if (begin == std::string_view::npos || begin > 2048) return {};
  std::string_view rest = text.substr(begin + 11);
  size_t end = rest.find("-----");
  if (end == std::string_view::npos || end > 64) return {};
  return rest.substr(0, end);
}

// OpenSSH public key lines: authorized_keys, *.pub (options may precede the key type).
bool HasSshPublicKey(std::string_view text) {
  for (std::string_view type : {"ssh-rsa AAAA", "ssh-ed25519 AAAA", "ssh-dss AAAA",
                                "ecdsa-sha2-nistp256 AAAA", "ecdsa-sha2-nistp384 AAAA",
                                "ecdsa-sha2-nistp521 AAAA", "sk-ssh-ed25519@openssh.com AAAA"}) {
    if (Contains(text, type)) return true;
  }
  return false;
}

// Dropbear's own key format: uint32 length, then "ssh-rsa" / "ssh-dss" / "ssh-ed25519" /
// "ecdsa-sha2-nistp*", then the key's numbers (private ones included: dropbear stores only
// private host keys in this form).
bool IsDropbearKey(ByteView b) {
  if (b.size() < 11) return false;
  uint32_t len = LoadBE32(b.data());
  if (len < 7 || len > 19 || !FitsIn(b, 4, len)) return false;
  std::string_view type = AsChars(b.subspan(4, len));
  return type == "ssh-rsa" || type == "ssh-dss" || type == "ssh-ed25519" ||
         type.starts_with("ecdsa-sha2-nistp");
}

bool InitScriptPath(std::string_view path) {
  std::string_view base = BaseName(path);
  return path.starts_with("/etc/init.d/") || path.starts_with("/etc/rc.d/") ||
         path.starts_with("/etc/rc") || path.starts_with("/etc/hotplug") ||
         path.starts_with("/etc/ppp/ip-") || base == "rcS" || base == "rc.local" ||
         base == "rc.common";
}

bool ConfigPath(std::string_view path) {
  std::string_view base = BaseName(path);
  for (std::string_view ext : {".conf", ".cfg", ".cnf", ".ini", ".json", ".xml", ".yaml", ".yml",
                               ".rules", ".service", ".socket", ".timer", ".network"}) {
    if (EndsWith(base, ext)) return true;
  }
  return path.starts_with("/etc/") || path.starts_with("/usr/lib/systemd/") ||
         path.starts_with("/lib/systemd/") || path.starts_with("/var/spool/cron/") ||
         path.starts_with("/usr/share/udhcpc/");
}

}  // namespace

bool LooksLikeText(ByteView head) {
  if (head.empty()) return false;
  size_t printable = 0;
  for (uint8_t c : head) {
    if (c == 0) return false;
    if (c >= 0x20 || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0x1b) ++printable;
  }
  return printable * 100 >= head.size() * 95;
}

Classified ClassifyFile(std::string_view path, ByteView head) {
  Classified out;
  if (LooksLikeElf(head)) {
    out.kind = FileKind::kElf;
    return out;
  }
  // Kernels: the x86 boot protocol's "HdrS" at 0x202, an ARM zImage's magic at 0x24.
  if (StartsWith(head, "HdrS", 0x202)) {
    out.kind = FileKind::kKernel;
    out.detail = "bzImage";
    return out;
  }
  if (FitsIn(head, 0x24, 4) &&
      (LoadLE32(head.data() + 0x24) == 0x016F2818 || LoadBE32(head.data() + 0x24) == 0x016F2818)) {
    out.kind = FileKind::kKernel;
    out.detail = "ARM zImage";
    return out;
  }
  for (const ArchiveMagic& m : kArchiveMagics) {
    if (StartsWith(head, m.bytes, m.offset)) {
      out.kind = FileKind::kArchive;
      out.detail = std::string(m.name);
      return out;
    }
  }
  if (IsDropbearKey(head)) {
    out.kind = FileKind::kPrivateKey;
    out.detail = "dropbear private key";
    return out;
  }
  std::string_view text = AsChars(head);
  if (StartsWith(head, "#!")) {
    out.kind = InitScriptPath(path) ? FileKind::kInitScript : FileKind::kScript;
    // "#!/usr/bin/env python3" -> "/usr/bin/env python3"; "#! /bin/sh -e" -> "/bin/sh -e".
    std::string_view line =
        text.substr(2, text.find('\n') == std::string_view::npos ? std::string_view::npos
                                                                 : text.find('\n') - 2);
    line = line.substr(0, 256);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t'))
      line.remove_suffix(1);
    out.interpreter = std::string(line);
    return out;
  }
  std::string_view label = PemLabel(text);
  if (!label.empty()) {
    out.detail = "PEM " + std::string(label);
    if (Contains(label, "PRIVATE KEY")) {
      out.kind = FileKind::kPrivateKey;
    } else if (Contains(label, "CERTIFICATE") && !Contains(label, "REQUEST")) {
      out.kind = FileKind::kCertificate;
    } else if (Contains(label, "PUBLIC KEY")) {
      out.kind = FileKind::kPublicKey;
    } else {
      out.kind = FileKind::kConfig;
    }
    return out;
  }
  if (StartsWith(head, "PuTTY-User-Key-File-")) {
    out.kind = FileKind::kPrivateKey;
    out.detail = "PuTTY private key";
    return out;
  }
  bool text_like = LooksLikeText(head);
  if (text_like && HasSshPublicKey(text.substr(0, 4096))) {
    out.kind = FileKind::kPublicKey;
    out.detail = "OpenSSH public key";
    return out;
  }
  // DER certificate: SEQUENCE (long form) around a SEQUENCE, under a certificate's name.
  std::string_view base = BaseName(path);
  if (head.size() > 4 && head[0] == 0x30 && head[1] == 0x82 && head[4] == 0x30 &&
      (EndsWith(base, ".der") || EndsWith(base, ".cer") || EndsWith(base, ".crt"))) {
    out.kind = FileKind::kCertificate;
    out.detail = "DER certificate";
    return out;
  }
  if (text_like) {
    if (InitScriptPath(path)) {
      out.kind = FileKind::kInitScript;
    } else if (ConfigPath(path)) {
      out.kind = FileKind::kConfig;
    } else {
      out.kind = FileKind::kText;
    }
    return out;
  }
  out.kind = FileKind::kData;
  return out;
}

}  // namespace internal
}  // namespace clearbox::inventory
