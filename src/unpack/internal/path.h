// Lexical normalisation of the names containers store, hostile or not.
#pragma once

#include <string>
#include <string_view>

namespace clearbox::unpack::internal {

struct NormalisedPath {
  // "/"-rooted, no "." or ".." components, no empty components, no trailing "/".
  std::string path;
  // The stored name was more than a plain relative name that differs from `path` only by
  // a leading "./" or a trailing "/": it was absolute, climbed with "..", had empty or "."
  // components, or held a NUL. Such names are kept in Node::raw_path.
  bool unusual = false;
};

// Resolves "." and ".." lexically and clamps at the root: "../../etc/shadow" becomes
// "/etc/shadow", "/abs/x" becomes "/abs/x" (unusual), "./etc/" becomes "/etc". An empty
// name, "." or "./" is the root "/". Never fails.
NormalisedPath NormalisePath(std::string_view stored);

// NormalisePath over `path` in place, for the engine's one call per node: a plain relative
// name ("etc/passwd", the common case) only gains its leading "/" (no new string). When the
// stored name is unusual, it is moved to `raw` (else `raw` is left alone).
void NormalisePathInPlace(std::string& path, std::string& raw);

}  // namespace clearbox::unpack::internal
