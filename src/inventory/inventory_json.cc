#include "clearbox/inventory/inventory_json.h"

#include <nlohmann/json.hpp>

namespace clearbox::inventory {
namespace {

using nlohmann::json;

json ComponentJson(const Component& c, size_t index) {
  json j = {{"index", index},
            {"name", c.name},
            {"version", c.version},
            {"source", ComponentSourceName(c.source)},
            {"scheme", VersionSchemeName(c.scheme)},
            {"purl", c.purl},
            {"cpe", c.cpe}};
  if (!c.supplier.empty()) j["supplier"] = c.supplier;
  if (!c.license.empty()) j["license"] = c.license;
  json evidence = json::array();
  for (const Evidence& e : c.evidence) {
    evidence.push_back({{"method", e.method},
                        {"provenance", e.provenance},
                        {"offset", e.offset},
                        {"matched", e.matched}});
  }
  j["evidence"] = std::move(evidence);
  j["files"] = c.files;
  if (!c.depends.empty()) j["depends"] = c.depends;
  if (!c.notes.empty()) j["notes"] = c.notes;
  return j;
}

json ElfJson(const ElfInfo& e) {
  json j = {{"class", e.elf_class},
            {"endianness", e.big_endian ? "big" : "little"},
            {"machine", e.machine_name},
            {"osabi", e.osabi_name},
            {"type", e.type_name},
            {"interpreter", e.interpreter},
            {"needed", e.needed},
            {"soname", e.soname},
            {"rpath", e.rpath},
            {"runpath", e.runpath},
            {"stripped", e.stripped},
            {"static", e.static_linked},
            {"hardening", ChecksecJson(e.hardening)}};
  return j;
}

}  // namespace

std::string InventoryToJson(const Inventory& inv, const JsonOptions& options) {
  json files = json::array();
  for (const FileRecord& f : inv.files) {
    const unpack::Node& n = f.node;
    json j = {{"provenance", n.provenance},
              {"path", n.path},
              {"type", unpack::NodeTypeName(n.type)},
              {"mode", n.mode},
              {"uid", n.uid},
              {"gid", n.gid},
              {"size", n.size}};
    if (!n.raw_path.empty()) j["raw_path"] = n.raw_path;
    if (!n.link_target.empty()) j["link_target"] = n.link_target;
    if (n.type == unpack::NodeType::kFile) {
      j["kind"] = FileKindName(f.kind);
      j["sha256"] = f.sha256.empty() ? json(nullptr) : json(f.sha256);
    }
    if (!f.interpreter.empty()) j["interpreter"] = f.interpreter;
    if (!f.detail.empty()) j["detail"] = f.detail;
    if (f.elf) j["elf"] = ElfJson(*f.elf);
    if (!f.components.empty()) j["components"] = f.components;
    if (options.include_text && !f.text.empty()) j["text"] = f.text;
    files.push_back(std::move(j));
  }
  json components = json::array();
  for (size_t i = 0; i < inv.components.size(); ++i) {
    components.push_back(ComponentJson(inv.components[i], i));
  }
  json notes = json::array();
  for (const unpack::Note& n : inv.unpack_notes) {
    notes.push_back({{"kind", unpack::NoteKindName(n.kind)},
                     {"where", n.where},
                     {"offset", n.offset},
                     {"message", n.message}});
  }
  for (const InventoryNote& n : inv.notes) {
    notes.push_back(
        {{"kind", "inventory"}, {"where", n.where}, {"offset", n.offset}, {"message", n.message}});
  }
  json vulnerabilities = json::array();
  for (const VulnerabilityMatch& m : inv.vulnerabilities) {
    const Vulnerability& v = m.vulnerability;
    json ratings = json::array();
    for (const Rating& r : v.ratings) {
      ratings.push_back({{"source", r.source},
                         {"score", r.score},
                         {"severity", r.severity},
                         {"method", r.method},
                         {"vector", r.vector}});
    }
    vulnerabilities.push_back({{"component", m.component_index},
                               {"id", v.id},
                               {"aliases", v.aliases},
                               {"source", v.source},
                               {"url", v.source_url},
                               {"summary", v.summary},
                               {"ratings", std::move(ratings)},
                               {"cwes", v.cwes},
                               {"affected_range", m.affected_range},
                               {"fixed_version", m.fixed_version},
                               {"matched_by", m.matched_by}});
  }
  json filesystems = json::array();
  for (const unpack::FilesystemInfo& fs : inv.filesystems) {
    filesystems.push_back({{"provenance", fs.provenance},
                           {"format", fs.format},
                           {"offset", fs.offset},
                           {"length", fs.length}});
  }
  json out = {{"schema", "https://clearbox.dev/schema/inventory/v1"},
              {"image", inv.image},
              {"sha256", inv.sha256},
              {"size", inv.size},
              {"partial", inv.partial},
              {"filesystems", std::move(filesystems)},
              {"files", std::move(files)},
              {"components", std::move(components)},
              {"vulnerabilities", std::move(vulnerabilities)},
              {"notes", std::move(notes)}};
  return out.dump(options.indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace clearbox::inventory
