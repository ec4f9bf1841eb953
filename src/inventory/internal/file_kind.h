// What a file is, from its first bytes and its path (FileKind in inventory.h).
#pragma once

#include <string>
#include <string_view>

#include "clearbox/core/bytes.h"
#include "clearbox/inventory/inventory.h"

namespace clearbox::inventory::internal {

struct Classified {
  FileKind kind = FileKind::kData;
  std::string interpreter;  // scripts
  std::string detail;       // "PEM certificate", "gzip", "bzImage"
};

// `path` is the node's path inside its filesystem ("/etc/init.d/S50dropbear"); `head` the
// first bytes of the content (at least 4 KiB when the file has them). Pure, thread-safe.
Classified ClassifyFile(std::string_view path, ByteView head);

// Whether the bytes look like text: no NUL and mostly printable (UTF-8 allowed).
bool LooksLikeText(ByteView head);

}  // namespace clearbox::inventory::internal
