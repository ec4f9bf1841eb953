#include "internal/path.h"

#include <vector>

namespace clearbox::unpack::internal {

namespace {

// Whether every "/"-separated component of `rest` is a plain name (not empty, ".", ".."
// and without NUL): then the normalised path is just "/" + rest. memchr does the scanning
// (a byte loop took twice the instructions on a root filesystem's paths).
bool AllPlainComponents(std::string_view rest) {
  if (rest.empty() || rest.find('\0') != std::string_view::npos) return false;
  size_t pos = 0;
  while (true) {
    size_t slash = rest.find('/', pos);
    size_t len = (slash == std::string_view::npos ? rest.size() : slash) - pos;
    if (len == 0) return false;
    if (rest[pos] == '.' && (len == 1 || (len == 2 && rest[pos + 1] == '.'))) return false;
    if (slash == std::string_view::npos) return true;
    pos = slash + 1;
  }
}

}  // namespace

NormalisedPath NormalisePath(std::string_view stored) {
  NormalisedPath out;
  std::string_view rest = stored;
  // The benign spellings of a relative name: "./a/b", "a/b/", "./".
  if (rest.starts_with("./")) rest.remove_prefix(2);
  if (rest.ends_with("/")) rest.remove_suffix(1);
  if (rest == ".") rest = {};
  if (AllPlainComponents(rest)) {  // the common case, without building a component list
    out.path.reserve(rest.size() + 1);
    out.path += '/';
    out.path += rest;
    return out;
  }

  std::vector<std::string_view> parts;
  size_t pos = 0;
  if (!rest.empty() && rest[0] == '/') out.unusual = true;  // an absolute stored name
  while (pos <= rest.size()) {
    size_t slash = rest.find('/', pos);
    if (slash == std::string_view::npos) slash = rest.size();
    std::string_view part = rest.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty()) {
      if (slash < rest.size() || !rest.empty()) {
        // "a//b" or a leading "/": only the absolute case is already flagged.
        if (slash != 0) out.unusual = true;
      }
      continue;
    }
    if (part == ".") {
      out.unusual = true;
      continue;
    }
    if (part == "..") {
      out.unusual = true;
      if (!parts.empty()) parts.pop_back();  // clamped at the root
      continue;
    }
    if (part.find('\0') != std::string_view::npos) out.unusual = true;
    parts.push_back(part);
  }
  out.path.reserve(rest.size() + 1);
  for (std::string_view p : parts) {
    out.path += '/';
    for (char c : p) out.path += c == '\0' ? '?' : c;
  }
  if (out.path.empty()) out.path.push_back('/');
  return out;
}

void NormalisePathInPlace(std::string& path, std::string& raw) {
  if (!path.starts_with("./") && !path.ends_with("/") && AllPlainComponents(path)) {
    path.insert(path.begin(), '/');
    return;
  }
  NormalisedPath normal = NormalisePath(path);
  if (normal.unusual) raw = std::move(path);
  path = std::move(normal.path);
}

}  // namespace clearbox::unpack::internal
