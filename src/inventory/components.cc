#include "internal/components.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "clearbox/inventory/packages.h"

namespace clearbox::inventory::internal {
namespace {

// Evidence kept per component: enough to confirm it, not every copy of a static library.
constexpr size_t kMaxEvidence = 32;

std::vector<std::string_view> CpeFields(std::string_view cpe) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  for (size_t i = 0; i < cpe.size(); ++i) {
    if (cpe[i] == '\\') {
      ++i;
      continue;
    }
    if (cpe[i] == ':') {
      fields.push_back(cpe.substr(start, i - start));
      start = i + 1;
    }
  }
  fields.push_back(cpe.substr(start));
  return fields;
}

template <typename T>
void AddUnique(std::vector<T>& list, const T& item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

}  // namespace

std::string CpeVendorProduct(std::string_view cpe) {
  if (!cpe.starts_with("cpe:2.3:")) return {};
  std::vector<std::string_view> f = CpeFields(cpe);
  if (f.size() < 5) return {};
  return fmt::format("{}:{}", f[3], f[4]);
}

void MergeComponents(Inventory& inv, std::vector<Component> from_dbs,
                     std::vector<std::pair<size_t, Component>> finds) {
  // 1. Finds of one name and version are one component, found in several files.
  std::map<std::pair<std::string, std::string>, Component> grouped;
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> grouped_files;
  for (auto& [file, c] : finds) {
    auto key = std::make_pair(c.name, c.version);
    auto [it, inserted] = grouped.try_emplace(key, c);
    Component& g = it->second;
    if (!inserted) {
      for (Evidence& e : c.evidence) {
        if (g.evidence.size() < kMaxEvidence) g.evidence.push_back(std::move(e));
      }
    }
    if (file == kNoFile) continue;
    AddUnique(g.files, inv.files[file].node.provenance);
    grouped_files[key].push_back(file);
  }

  // 2. A find confirmed by a package database joins the package; a contradicted one stays.
  std::vector<Component> components = std::move(from_dbs);
  std::vector<std::vector<size_t>> component_files(components.size());
  for (auto& [key, find] : grouped) {
    std::string product = CpeVendorProduct(find.cpe);
    Component* confirmed = nullptr;
    std::vector<Component*> contradicting;
    for (size_t i = 0; i < components.size() && !product.empty(); ++i) {
      Component& p = components[i];
      if (p.source != ComponentSource::kPackageDatabase || CpeVendorProduct(p.cpe) != product) {
        continue;
      }
      if (UpstreamVersion(p.scheme, p.version) == find.version) {
        confirmed = &p;
        for (size_t f : grouped_files[key]) component_files[i].push_back(f);
        break;
      }
      contradicting.push_back(&p);
    }
    if (confirmed != nullptr) {
      for (Evidence& e : find.evidence) {
        if (confirmed->evidence.size() < kMaxEvidence) confirmed->evidence.push_back(std::move(e));
      }
      for (const std::string& f : find.files) AddUnique(confirmed->files, f);
      continue;
    }
    for (Component* p : contradicting) {
      find.notes.push_back(fmt::format("the package database says {} {} ({})", p->name, p->version,
                                       p->evidence.empty() ? "" : p->evidence[0].provenance));
      p->notes.push_back(fmt::format("a binary reports {} {} ({})", find.name, find.version,
                                     find.files.empty() ? "" : find.files[0]));
    }
    components.push_back(std::move(find));
    component_files.push_back(grouped_files[key]);
  }

  // 3. Sorted, and each file told which components it holds.
  std::vector<size_t> order(components.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Component& x = components[a];
    const Component& y = components[b];
    return std::tie(x.name, x.version, x.purl) < std::tie(y.name, y.version, y.purl);
  });
  inv.components.clear();
  inv.components.reserve(components.size());
  for (size_t i = 0; i < order.size(); ++i) {
    inv.components.push_back(std::move(components[order[i]]));
    for (size_t f : component_files[order[i]]) AddUnique(inv.files[f].components, i);
    // Files a package database lists as its own: the regular files of the image among them
    // (a .list names directories too, and files the image builder removed).
    std::vector<std::string> present;
    for (const std::string& provenance : inv.components.back().files) {
      auto it = std::lower_bound(
          inv.files.begin(), inv.files.end(), provenance,
          [](const FileRecord& r, const std::string& p) { return r.node.provenance < p; });
      if (it == inv.files.end() || it->node.provenance != provenance ||
          it->node.type != unpack::NodeType::kFile) {
        continue;
      }
      AddUnique(it->components, i);
      present.push_back(provenance);
    }
    inv.components.back().files = std::move(present);
  }
}

}  // namespace clearbox::inventory::internal
