// clearbox inventory IMAGE [--json] [--vulndb DB]   and   clearbox sbom IMAGE [-o FILE] [--format
// F]
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "clearbox/core/file.h"
#include "clearbox/core/progress.h"
#include "clearbox/inventory/inventory.h"
#include "clearbox/inventory/inventory_json.h"
#include "clearbox/inventory/vulndb.h"
#include "clearbox/report/sbom.h"
#include "common.h"

namespace clearbox::cli {
namespace {

struct InventoryFlags {
  std::string image;
  std::string output;
  std::string vulndb;
  std::string format = "cyclonedx";
  std::string timestamp;
  bool json = false;
  bool text = false;
  inventory::Options options;
};

// The inventory of f.image, with the vulnerabilities of --vulndb; progress on a terminal.
Result<inventory::Inventory> Take(InventoryFlags& f) {
  CLEARBOX_RETURN_IF_ERROR(CheckReadable(f.image));
  std::unique_ptr<inventory::VulnDb> db;
  if (!f.vulndb.empty()) {
    CLEARBOX_ASSIGN_OR_RETURN(db, inventory::VulnDb::Open(f.vulndb));
    f.options.vulndb = db.get();
  }
  Progress progress("inventory " + ImageName(f.image));
  if (progress.enabled()) f.options.progress = &progress;
  Result<inventory::Inventory> inv = inventory::InventoryFile(f.image, f.options);
  progress.Finish();
  f.options.vulndb = nullptr;
  return inv;
}

// Writes `text` to f.output or stdout (WriteReport).
int Emit(const InventoryFlags& f, const std::string& text) {
  if (Status s = WriteReport(f.output, text); !s.ok()) return Fail(s.error());
  return kExitOk;
}

std::string HardeningCell(const inventory::ElfHardening& h) {
  return fmt::format("{:<7} {:<6} {:<3} {:<4} {}/{}", inventory::RelroWord(h.relro),
                     h.canary ? "yes" : "no", h.nx ? "yes" : "no", inventory::PieWord(h.pie),
                     h.fortified, h.fortifiable);
}

// For people: the components, the ELF hardening table, keys and certificates, notes.
void PrintTable(const inventory::Inventory& inv, std::FILE* out) {
  size_t elves = 0;
  for (const auto& f : inv.files) elves += f.elf.has_value();
  fmt::print(out, "{}  sha256:{}  {} nodes, {} ELF files, {} components{}\n\n", inv.image,
             inv.sha256, inv.files.size(), elves, inv.components.size(),
             inv.partial ? "  (partial: see notes)" : "");
  fmt::print(out, "{:<22} {:<28} {:<10} {}\n", "COMPONENT", "VERSION", "SOURCE", "EVIDENCE");
  for (const auto& c : inv.components) {
    std::string evidence;
    if (!c.evidence.empty()) {
      const auto& e = c.evidence.front();
      evidence = fmt::format("{} @0x{:x}", e.provenance, e.offset);
      if (c.evidence.size() > 1) evidence += fmt::format(" (+{})", c.evidence.size() - 1);
    }
    fmt::print(out, "{:<22} {:<28} {:<10} {}\n", c.name, c.version,
               inventory::ComponentSourceName(c.source), evidence);
    for (const auto& note : c.notes) fmt::print(out, "{:<22} note: {}\n", "", note);
  }
  if (elves > 0) {
    fmt::print(out, "\n{:<10} {:<7} {:<7} {:<6} {:<3} {:<4} {:<9} {}\n", "MACHINE", "TYPE", "RELRO",
               "CANARY", "NX", "PIE", "FORTIFY", "ELF FILE");
    for (const auto& f : inv.files) {
      if (!f.elf) continue;
      fmt::print(out, "{:<10} {:<7} {:<9} {}\n", f.elf->machine_name, f.elf->type_name,
                 HardeningCell(f.elf->hardening), f.node.provenance);
    }
  }
  bool header = false;
  for (const auto& f : inv.files) {
    using inventory::FileKind;
    if (f.kind != FileKind::kPrivateKey && f.kind != FileKind::kPublicKey &&
        f.kind != FileKind::kCertificate && f.kind != FileKind::kKernel &&
        f.kind != FileKind::kBootloader && f.kind != FileKind::kInitScript) {
      continue;
    }
    if (!header) fmt::print(out, "\n{:<12} {:<28} {}\n", "KIND", "DETAIL", "FILE");
    header = true;
    fmt::print(out, "{:<12} {:<28} {}\n", inventory::FileKindName(f.kind),
               f.detail.empty() ? f.interpreter : f.detail, f.node.provenance);
  }
  if (!inv.vulnerabilities.empty()) {
    fmt::print(out, "\n{:<18} {:<9} {:<5} {:<22} {:<24} {}\n", "VULNERABILITY", "SEVERITY", "SCORE",
               "COMPONENT", "AFFECTED", "FIXED IN");
    for (const auto& m : inv.vulnerabilities) {
      const auto& v = m.vulnerability;
      std::string severity = v.ratings.empty() ? "" : v.ratings.front().severity;
      double score = v.ratings.empty() ? 0 : v.ratings.front().score;
      const auto& c = inv.components[m.component_index];
      fmt::print(out, "{:<18} {:<9} {:<5.1f} {:<22} {:<24} {}\n", v.id, severity, score,
                 c.name + " " + c.version, m.affected_range, m.fixed_version);
    }
  }
  if (!inv.notes.empty()) {
    fmt::print(out, "\nnotes:\n");
    for (const auto& n : inv.notes) fmt::print(out, "  {}: {}\n", n.where, n.message);
  }
}

int RunInventory(InventoryFlags& f) {
  Result<inventory::Inventory> inv = Take(f);
  if (!inv.ok()) return Fail(inv.error());
  int rc = kExitOk;
  if (f.json) {
    inventory::JsonOptions json;
    json.include_text = f.text;
    rc = Emit(f, inventory::InventoryToJson(*inv, json) + "\n");
  } else {
    PrintTable(*inv, stdout);
  }
  ReportNotes(inv->unpack_notes, inv->partial);
  return rc;
}

int RunSbom(InventoryFlags& f) {
  Result<inventory::Inventory> inv = Take(f);
  if (!inv.ok()) return Fail(inv.error());
  report::SbomOptions options;
  options.timestamp = f.timestamp;
  std::string text = f.format == "spdx"
                         ? report::SpdxJson(*inv, options)
                         : report::CycloneDxJson(*inv, inv->vulnerabilities, options);
  int rc = Emit(f, text);
  ReportNotes(inv->unpack_notes, inv->partial);
  return rc;
}

}  // namespace

void RegisterInventoryCommands(CLI::App& app) {
  auto flags = std::make_shared<InventoryFlags>();
  CLI::App* cmd = app.add_subcommand(
      "inventory", "what an image holds: files, ELF hardening, components (nothing written)");
  cmd->footer(
      "Every file is hashed and typed; ELF files get their facts and hardening as checksec "
      "reports them; components come from package databases (dpkg, opkg, apk, os-release) and "
      "from version signatures matched in the binaries. --json: the schema is "
      "docs/inventory.schema.json.");
  cmd->add_option("IMAGE", flags->image, "firmware image")->required();
  cmd->add_flag("--json", flags->json, "JSON for tools instead of tables");
  cmd->add_flag("--text", flags->text, "with --json: include the text of scripts and configs");
  cmd->add_option("-o,--output", flags->output,
                  "write the JSON here (atomically) instead of stdout");
  cmd->add_option("--vulndb", flags->vulndb,
                  "a database from `clearbox vulndb import`: list the components' known "
                  "vulnerabilities");
  AddLimitFlags(cmd, &flags->options.unpack);
  cmd->callback([flags] { ExitCode() = RunInventory(*flags); });

  auto sbom_flags = std::make_shared<InventoryFlags>();
  CLI::App* sbom = app.add_subcommand(
      "sbom", "the image's software bill of materials: CycloneDX 1.6 or SPDX 2.3 JSON");
  sbom->footer(
      "Components with purl, CPE, hashes and evidence (file, offset, matched bytes); the image "
      "as metadata.component; dependencies from DT_NEEDED and package Depends; with --vulndb, "
      "the CycloneDX vulnerabilities section (VEX). Deterministic unless --timestamp is given. "
      "docs/sbom.md says what goes where.");
  sbom->add_option("IMAGE", sbom_flags->image, "firmware image")->required();
  sbom->add_option("-o,--output", sbom_flags->output, "write here (atomically) instead of stdout");
  sbom->add_option("--format", sbom_flags->format, "cyclonedx or spdx")
      ->check(CLI::IsMember({"cyclonedx", "spdx"}))
      ->capture_default_str();
  sbom->add_option("--vulndb", sbom_flags->vulndb,
                   "a database from `clearbox vulndb import`: add the vulnerabilities (CycloneDX)");
  sbom->add_option("--timestamp", sbom_flags->timestamp,
                   "creation time to record (RFC 3339); none by default, for reproducible SBOMs");
  AddLimitFlags(sbom, &sbom_flags->options.unpack);
  sbom->callback([sbom_flags] { ExitCode() = RunSbom(*sbom_flags); });
}

}  // namespace clearbox::cli
