// The inventory as JSON for tools (`clearbox inventory --json`); the schema is
// docs/inventory.schema.json. Deterministic: the same image gives the same bytes.
#pragma once

#include <string>

#include "clearbox/inventory/inventory.h"

namespace clearbox::inventory {

struct JsonOptions {
  bool include_text = false;  // the kept text of scripts and configs (large)
  int indent = 2;             // -1: one line
};

std::string InventoryToJson(const Inventory& inv, const JsonOptions& options = {});

}  // namespace clearbox::inventory
