// inventory: what is inside a firmware image, precisely enough to stake a verdict on.
//
//   clearbox::inventory::Options opts;               // unpack limits, signatures, hashing
//   auto inv = clearbox::inventory::InventoryFile("fw.bin", opts);
//   if (!inv.ok()) ...;                              // only an unreadable input
//   for (const auto& f : inv->files) ...             // every node, typed, hashed, ELF facts
//   for (const auto& c : inv->components) ...        // package databases + version signatures
//
// The image is unpacked in memory (nothing is written to disk): every file's content is read
// once, as the unpacker produces it, and hashed, typed, parsed when it is an ELF, a package
// database or an os-release file, and scanned with every version signature in one pass. Bad
// parts of the image (a lying ELF, a garbage package database) become notes naming the file
// and what was wrong; the rest is still inventoried. The auditor, the SBOM writers and
// `diff` read an Inventory; none of them walks the raw tree again for these facts.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/inventory/component.h"
#include "clearbox/inventory/elf.h"
#include "clearbox/inventory/vulndb.h"
#include "clearbox/unpack/node.h"
#include "clearbox/unpack/unpack.h"

namespace clearbox {
class Progress;
}

namespace clearbox::inventory {

class VersionSignatures;

// What a file is, by its content first and its path second.
enum class FileKind {
  kNone,         // not a regular file (directory, link, device, ...)
  kElf,          // an ELF executable, library or object (ElfInfo attached)
  kScript,       // "#!" with an interpreter (FileRecord::interpreter)
  kInitScript,   // a shell script that starts services: /etc/init.d/*, rcS, rc.local, ...
  kConfig,       // text configuration under /etc (and known config files elsewhere)
  kCertificate,  // X.509 certificate (PEM or DER)
  kPublicKey,    // PEM/OpenSSH/dropbear public key, authorized_keys
  kPrivateKey,   // PEM/OpenSSH/PuTTY/dropbear private key (a finding for the auditor)
  kArchive,      // tar, cpio, zip, gzip, xz, ... (containers the unpacker may have opened)
  kKernel,       // Linux kernel image (bzImage, zImage, uImage kernel payload, vmlinux)
  kBootloader,   // U-Boot and other boot loaders
  kText,         // other text
  kData,         // anything else
};
std::string_view FileKindName(FileKind k);  // "none", "elf", "script", "init-script", ...

// One node of the unpacked tree with what the inventory learnt about it.
struct FileRecord {
  unpack::Node node;   // provenance, path, type, mode, uid/gid, size, link target
  std::string sha256;  // hex, files only (empty when hashing is off or for non-files)
  FileKind kind = FileKind::kNone;
  std::string interpreter;  // scripts: "/bin/sh" (the first word after "#!", then its argument)
  std::string detail;       // a short description: "PEM RSA private key", "gzip", "bzImage 5.4.72"
  std::optional<ElfInfo> elf;
  std::vector<size_t> components;  // indices into Inventory::components found in this file
  // Content kept for the auditor: scripts, init files, configs and keys up to
  // Options::max_text_bytes (a longer file keeps its first max_text_bytes).
  std::string text;
};

// A problem the inventory met (on top of the unpacker's notes): the file and what was wrong.
struct InventoryNote {
  std::string where;  // provenance of the file
  uint64_t offset = 0;
  std::string message;
};

struct Inventory {
  std::string image;   // base name of the input
  std::string sha256;  // of the whole input
  uint64_t size = 0;
  bool partial = false;  // the unpacker hit a limit, a corrupt part or an unsupported format
  std::vector<unpack::FilesystemInfo> filesystems;
  std::vector<FileRecord> files;      // every node, sorted by provenance
  std::vector<Component> components;  // sorted by name, version; binary and package-db merged
  // Known vulnerabilities of the components (Options::vulndb), by component, then id.
  std::vector<VulnerabilityMatch> vulnerabilities;
  std::vector<unpack::Note> unpack_notes;
  std::vector<InventoryNote> notes;

  // The file with this provenance, or nullptr.
  const FileRecord* FindFile(std::string_view provenance) const;
};

struct Options {
  unpack::Options unpack;
  // Version signatures to scan with; nullptr: the built-in rules (rules/versions.json).
  const VersionSignatures* signatures = nullptr;
  bool hash_files = true;
  // A file's content is buffered whole to be parsed and scanned up to this size; a larger
  // file is hashed and scanned in windows of this size (overlapping, so no match is lost at
  // a window's edge) and is not parsed as an ELF or database (a note says so).
  uint64_t max_buffer_bytes = 64ull << 20;
  uint64_t max_text_bytes = 1ull << 20;
  // A compressed kernel (bzImage, zImage) is decompressed up to this size to read its banner.
  uint64_t max_kernel_bytes = 256ull << 20;
  // Matches the components against this database when set (VulnDb::Match); not owned.
  const VulnDb* vulndb = nullptr;
  Progress* progress = nullptr;
  // Called with every regular file's bytes once the file is typed (the auditor's binary
  // scanners use it, so the image is unpacked once): the whole content when it fits
  // max_buffer_bytes, else window by window (`offset` is the window's, windows overlap).
  // Called from the unpacker's worker threads: it must be thread-safe. Bytes no container
  // claimed (the image itself when it is no container, a boot loader or the gaps of a flash
  // dump) come as a FileRecord whose path and provenance are "BLOB[@OFFSET]", detail
  // "unclaimed bytes", typed by their first bytes, whole, at offset 0.
  std::function<void(const FileRecord& file, uint64_t offset, ByteView bytes)> on_content;
};

// Unpacks and inventories the image at `path`.
// Errors: kNotFound / kIo when the input cannot be read; kInvalidInput when custom signatures
// are unusable; kIo when the vulnerability database cannot be read. Everything wrong inside
// the image is a note.
Result<Inventory> InventoryFile(const std::string& path, const Options& options);
// The same over a buffer (tests, fuzzing); `name` is the image name in provenance.
Result<Inventory> InventoryBuffer(ByteView data, const std::string& name, const Options& options);

}  // namespace clearbox::inventory
