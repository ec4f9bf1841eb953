// The strict reader under the MUD parser (mud_parse.cc): the document's limits, and typed
// member access whose errors name the JSON Pointer ("mud.json: /ietf-mud:mud/mud-version:
// expected a number, got string").
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/watch/mud.h"

namespace clearbox::watch::internal {

class MudReader {
 public:
  using Json = nlohmann::json;

  explicit MudReader(std::string_view what) : what_(what) {}

  // The document, after the limits of mud.h: kMaxMudInputBytes, then a streaming scan that
  // names the first string or member name over kMaxMudString (or the first level deeper than
  // kMaxMudDepth) by its path, then kMaxMudBytes, then ParseStrictJson.
  Result<Json> Parse(std::string_view text) const;

  Error Invalid(std::string_view path, std::string_view what) const;
  Error Limit(std::string_view path, std::string_view what) const;
  Error Unsupported(std::string_view path, std::string_view what) const;

  // `v` is an object whose members are among `known` (an unknown one is an error, with a
  // hint when it is a pre-RFC draft name) and has every member of `required`.
  Status Members(const Json& v, const std::string& path, const std::vector<std::string_view>& known,
                 std::initializer_list<std::string_view> required) const;
  Status Members(const Json& v, const std::string& path, std::initializer_list<std::string_view> known,
                 std::initializer_list<std::string_view> required) const {
    return Members(v, path, std::vector<std::string_view>(known), required);
  }
  // Members of `v` that RFC 8519 defines but clearbox cannot judge a flow by: kUnsupported.
  Status UnsupportedMembers(const Json& v, const std::string& path,
                            const std::vector<std::string_view>& names) const;

  // Typed members (the member must be present): a non-empty string of at most `max_bytes`,
  // an integer in [lo, hi], a boolean, a YANG empty leaf ([null]), an ACL or ACE name (a
  // string of 1-64 bytes, RFC 8519), an array of at most `max_items`.
  Status String(const Json& obj, const std::string& path, std::string_view key, size_t max_bytes,
                std::string* out) const;
  Status Uint(const Json& obj, const std::string& path, std::string_view key, uint64_t lo,
              uint64_t hi, uint64_t* out) const;
  Status Bool(const Json& obj, const std::string& path, std::string_view key, bool* out) const;
  Status Empty(const Json& obj, const std::string& path, std::string_view key) const;
  Status Name(const Json& obj, const std::string& path, std::string* out) const;
  Status Array(const Json& v, const std::string& path, size_t max_items,
               std::string_view what) const;

  // "/a" + "b/c" -> "/a/b~1c" (RFC 6901).
  static std::string Pointer(std::string_view parent, std::string_view key);
  static std::string Pointer(std::string_view parent, size_t index);
  // A value as a message quotes it: at most 64 bytes, control bytes escaped.
  static std::string Shown(std::string_view s);
  // "a, b or c".
  static std::string List(std::initializer_list<std::string_view> names);
  // "string", "number", "array", ...
  static std::string_view TypeName(const Json& v);

 private:
  std::string what_;
};

// ietf-access-control-list:acls at `path` into `out` (mud_parse_acl.cc).
Status ReadAcls(MudReader& r, const nlohmann::json& v, const std::string& path,
                std::vector<MudAcl>* out);

}  // namespace clearbox::watch::internal
