// clearbox inventory IMAGE [--json]
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "clearbox/core/file.h"
#include "clearbox/core/progress.h"
#include "clearbox/inventory/inventory.h"
#include "clearbox/inventory/inventory_json.h"
#include "common.h"

namespace clearbox::cli {
namespace {

struct InventoryFlags {
  std::string image;
  std::string output;
  bool json = false;
  bool text = false;
  inventory::Options options;
};

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
    fmt::print(out, "\n{:<10} {:<7} {:<7} {:<6} {:<3} {:<4} {:<9} {}\n", "MACHINE", "TYPE",
               "RELRO", "CANARY", "NX", "PIE", "FORTIFY", "ELF FILE");
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
  if (!inv.notes.empty()) {
    fmt::print(out, "\nnotes:\n");
    for (const auto& n : inv.notes) fmt::print(out, "  {}: {}\n", n.where, n.message);
  }
}

int RunInventory(InventoryFlags& f) {
  if (Status readable = CheckReadable(f.image); !readable.ok()) return Fail(readable.error());
  Progress progress("inventory " + ImageName(f.image));
  if (progress.enabled()) f.options.progress = &progress;
  Result<inventory::Inventory> inv = inventory::InventoryFile(f.image, f.options);
  progress.Finish();
  if (!inv.ok()) return Fail(inv.error());
  if (f.json) {
    inventory::JsonOptions json;
    json.include_text = f.text;
    std::string text = inventory::InventoryToJson(*inv, json) + "\n";
    if (f.output.empty()) {
      std::fwrite(text.data(), 1, text.size(), stdout);
    } else if (Status s = WriteFileAtomic(f.output, AsBytes(text)); !s.ok()) {
      return Fail(s.error());
    }
  } else {
    PrintTable(*inv, stdout);
  }
  ReportNotes(inv->unpack_notes, inv->partial);
  return kExitOk;
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
  cmd->add_option("-o,--output", flags->output, "write the JSON here (atomically) instead of stdout");
  AddLimitFlags(cmd, &flags->options.unpack);
  cmd->callback([flags] { ExitCode() = RunInventory(*flags); });
}

}  // namespace clearbox::cli
