// diff: the security-relevant difference between two firmware images, what an evaluator
// reviews in an update.
//
//   auto old_audit = audit::AuditFile("v1.bin", audit_options, {});
//   auto new_audit = audit::AuditFile("v2.bin", audit_options, {});
//   diff::ImageDiff d = diff::DiffAudits(*old_audit, *new_audit);
//   if (d.ChangeCount() > 0) fputs(diff::DiffText(d).c_str(), stdout);   // or DiffJson(d)
//
// Both images are compared by what their inventory and audit saw, never by re-reading the
// trees: accounts (/etc/passwd and /etc/shadow: uid, gid, home, shell, password state),
// services and how they start (the audit's service observations), keys (by fingerprint),
// network endpoints, setuid/setgid files, components (upgraded/downgraded by the component's
// own version scheme, inventory/version.h), findings (new and fixed, by FindingFingerprint)
// and ELF binaries (added, removed, or whose content differs, with their hardening changes).
// Files are matched by their path inside their filesystem (FileKey), so the same content
// repacked at another offset or in an image of another name matches. Deterministic: the
// same audits give the same diff. Never fails.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "clearbox/audit/check.h"

namespace clearbox::diff {

enum class ChangeKind { kAdded, kRemoved, kChanged, kUpgraded, kDowngraded };
// "added", "removed", "changed", "upgraded", "downgraded"; for findings "new" and "fixed".
std::string_view ChangeKindName(ChangeKind k, bool finding = false);

struct Change {
  ChangeKind kind = ChangeKind::kChanged;
  std::string name;    // the account, service, fingerprint, host, path, component or finding
  std::string before;  // its summary in OLD ("uid 0, shell /bin/sh, password set"); empty if added
  std::string after;   // its summary in NEW; empty if removed
  std::vector<std::string> details;   // what changed, one item each ("relro: full -> partial")
  std::vector<std::string> evidence;  // "provenance @offset: excerpt", NEW's first, then OLD's
};

// One kind of thing compared. Names, in the order of ImageDiff::sections: "accounts",
// "services", "keys", "endpoints", "setuid", "components", "findings", "binaries".
struct Section {
  std::string name;
  std::vector<Change> changes;  // sorted by name, then kind
};

struct ImageSide {
  std::string image, sha256;
  bool partial = false;  // the unpacker could not read all of it: the diff may miss changes
};

struct ImageDiff {
  ImageSide old_image, new_image;
  std::vector<Section> sections;  // every section, also the empty ones
  size_t ChangeCount() const;
};

// The difference from `old_audit` to `new_audit`.
ImageDiff DiffAudits(const audit::Audit& old_audit, const audit::Audit& new_audit);

// For people: one block per section with changes, each change with its evidence.
std::string DiffText(const ImageDiff& d);
// For tools; the schema is docs/diff.md. indent -1: one line.
std::string DiffJson(const ImageDiff& d, int indent = 2);

// The key a file is matched by across two images: its provenance without the image name and
// without container offsets ("v1.bin!uimage@0x40!squashfs:/etc/passwd" ->
// "uimage!squashfs:/etc/passwd").
std::string FileKey(std::string_view provenance);

}  // namespace clearbox::diff
