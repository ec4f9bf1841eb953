// Merging what the package databases say with what the binaries say.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "clearbox/inventory/component.h"
#include "clearbox/inventory/inventory.h"

namespace clearbox::inventory::internal {

// The file index of a find in bytes that no file holds (Sink::OnUnclaimed).
inline constexpr size_t kNoFile = static_cast<size_t>(-1);

// The vendor and product of a CPE 2.3 formatted string ("openssl:openssl"), empty if it is not one.
std::string CpeVendorProduct(std::string_view cpe);

// Fills inv.components and each file's component indices from the package-database
// components and the signature finds (file index in inv.files, component). Finds of one
// name and version become one component with every file as evidence. A find that a package
// of the same CPE product confirms (same upstream version) joins that package's evidence; one
// that contradicts it stays a component of its own, and both carry a note naming the other.
void MergeComponents(Inventory& inv, std::vector<Component> from_dbs,
                     std::vector<std::pair<size_t, Component>> finds);

}  // namespace clearbox::inventory::internal
