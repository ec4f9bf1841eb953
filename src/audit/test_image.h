// Test support for the audit's unit tests: an image's files as the inventory records them,
// and the report of chosen checks over them.
//
//   TestImage img(inventory::FileKind::kInitScript);
//   img.File("/etc/init.d/rcS", "#!/bin/sh\ntelnetd -l /bin/sh\n");
//   std::vector<Finding> f = img.Findings("CB-SVC-002");
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "clearbox/audit/check.h"

namespace clearbox::audit::test {

// A file of the image "fw.bin", with its text kept as the inventory keeps it.
inline inventory::FileRecord TextFile(std::string path, std::string text,
                                      inventory::FileKind kind = inventory::FileKind::kConfig) {
  inventory::FileRecord f;
  f.node.provenance = "fw.bin!squashfs:" + path;
  f.node.path = std::move(path);
  f.node.type = unpack::NodeType::kFile;
  f.node.size = text.size();
  f.kind = kind;
  f.text = std::move(text);
  return f;
}

// A node with a mode (a file is typed ELF; directories and links have no kind).
inline inventory::FileRecord Node(std::string path, uint32_t mode,
                                  unpack::NodeType type = unpack::NodeType::kFile) {
  inventory::FileRecord f = TextFile(std::move(path), "");
  f.node.mode = mode;
  f.node.type = type;
  f.kind = type == unpack::NodeType::kFile ? inventory::FileKind::kElf : inventory::FileKind::kNone;
  return f;
}

inline inventory::FileRecord Symlink(std::string path, std::string target) {
  inventory::FileRecord f = TextFile(std::move(path), "", inventory::FileKind::kNone);
  f.node.type = unpack::NodeType::kSymlink;
  f.node.link_target = std::move(target);
  return f;
}

// The report of the checks `ids` alone over these files (sorted by provenance first, as the
// inventory has them).
inline AuditReport RunOnly(std::vector<inventory::FileRecord> files, std::vector<std::string> ids,
                           AuditOptions options = {}) {
  inventory::Inventory inv;
  inv.image = "fw.bin";
  inv.files = std::move(files);
  std::stable_sort(inv.files.begin(), inv.files.end(), [](const auto& a, const auto& b) {
    return a.node.provenance < b.node.provenance;
  });
  options.only = std::move(ids);
  Result<AuditReport> r = RunAudit(inv, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(*r) : AuditReport{};
}

inline std::vector<Finding> FindingsOf(std::vector<inventory::FileRecord> files, std::string id) {
  return RunOnly(std::move(files), {std::move(id)}).findings;
}

// An image built file by file; `default_kind` types the files File() adds without a kind.
class TestImage {
 public:
  explicit TestImage(inventory::FileKind default_kind = inventory::FileKind::kConfig)
      : default_kind_(default_kind) {}

  TestImage& File(const std::string& path, const std::string& text) {
    return File(path, text, default_kind_);
  }
  TestImage& File(const std::string& path, const std::string& text, inventory::FileKind kind) {
    files_.push_back(TextFile(path, text, kind));
    return *this;
  }
  TestImage& Link(const std::string& path, const std::string& target) {
    files_.push_back(Symlink(path, target));
    return *this;
  }
  // An x86-64 ELF program with every hardening flag, or none.
  TestImage& Elf(const std::string& path, bool hardened) {
    File(path, "", inventory::FileKind::kElf);
    inventory::ElfInfo elf;
    elf.machine_name = "x86-64";
    elf.type_name = hardened ? "DYN" : "EXEC";
    elf.hardening.nx = hardened;
    elf.hardening.canary = hardened;
    elf.hardening.pie = hardened ? inventory::PieKind::kPie : inventory::PieKind::kNone;
    elf.hardening.relro = hardened ? inventory::Relro::kFull : inventory::Relro::kNone;
    files_.back().elf = elf;
    return *this;
  }

  AuditReport Run(const std::string& check) const { return RunOnly(files_, {check}); }
  std::vector<Finding> Findings(const std::string& check) const { return Run(check).findings; }
  std::vector<std::string> Messages(const std::string& check) const {
    std::vector<std::string> out;
    for (const Finding& f : Findings(check)) out.push_back(f.message);
    return out;
  }

 private:
  inventory::FileKind default_kind_;
  std::vector<inventory::FileRecord> files_;
};

}  // namespace clearbox::audit::test
