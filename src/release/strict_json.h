// JSON input for signed statements: nlohmann's parser with the limits it cannot express
// itself (nesting depth, a key repeated in one object), and field readers whose errors name
// the JSON path. A repeated key is refused because two parsers may keep different copies:
// the verifier must see the same document the signer meant.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "clearbox/core/result.h"

namespace clearbox::release::internal {

using Json = nlohmann::json;

// Errors: kInvalidInput "<what>: not JSON: ..." or "<what>: key "x" appears twice ...",
// kLimitExceeded when nested deeper than kMaxJsonDepth.
Result<Json> ParseStrictJson(std::string_view text, std::string_view what);

// "/a/b" + "c" -> "/a/b/c" (RFC 6901 escaping of '~' and '/').
std::string Pointer(std::string_view parent, std::string_view key);
std::string Pointer(std::string_view parent, size_t index);

// Readers of a member of `object` at `path` (the object's own pointer). `what` prefixes
// errors: "<what>: <path>/<key>: ...".
class FieldReader {
 public:
  FieldReader(const Json& object, std::string what, std::string path)
      : object_(object), what_(std::move(what)), path_(std::move(path)) {}

  bool Has(std::string_view key) const { return object_.contains(key); }
  // A non-empty string of at most max_bytes.
  Result<std::string> String(std::string_view key, size_t max_bytes = 4096) const;
  // 64 lowercase hex characters.
  Result<std::string> Sha256Hex(std::string_view key) const;
  // A DigestSet object {"sha256": hex, ...}: its sha256 (other algorithms may be present).
  Result<std::string> DigestSetSha256(std::string_view key) const;
  Result<uint64_t> Unsigned(std::string_view key) const;
  Result<const Json*> Member(std::string_view key, Json::value_t type) const;

  Error Invalid(std::string_view key, std::string_view problem) const;
  const std::string& path() const { return path_; }
  const std::string& what() const { return what_; }

 private:
  const Json& object_;
  std::string what_;
  std::string path_;
};

bool IsLowerHexSha256(std::string_view s);

// `s` as a JSON string for messages; invalid UTF-8 is replaced, never thrown on.
inline std::string Quoted(std::string_view s) {
  return Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace clearbox::release::internal
