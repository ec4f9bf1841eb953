// Reading fields of untrusted JSON objects (policy, predicates) with errors that name the JSON
// pointer. Private to the maint module.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"

namespace clearbox::maint::internal {

using Json = nlohmann::json;

std::string Quoted(std::string_view s);  // "\"s\"" with control bytes escaped, cut at 80
std::string JsonTypeName(const Json& j);

// Printable ASCII without spaces at either end; what names, roles, tickets and principals are.
bool IsPrintableName(std::string_view s);

class Fields {
 public:
  // `what`: the document's name for messages; `path`: the object's JSON pointer ("" = root).
  Fields(const Json& object, std::string what, std::string path)
      : object_(object), what_(std::move(what)), path_(std::move(path)) {}

  std::string PathOf(std::string_view key) const { return path_ + "/" + std::string(key); }
  Error Invalid(std::string_view key, std::string_view message) const;
  Error Limit(std::string_view key, std::string_view message) const;

  bool Has(std::string_view key) const { return object_.contains(key); }
  // Every key of the object must be in `known`.
  Status OnlyKnown(std::initializer_list<std::string_view> known) const;

  // A string of 1..max_bytes bytes (0..max_bytes when allow_empty).
  Result<std::string> String(std::string_view key, size_t max_bytes, bool allow_empty = false) const;
  // A string that IsPrintableName, 1..max_bytes.
  Result<std::string> Name(std::string_view key, size_t max_bytes) const;
  // An array of 1..max_items (0.. when allow_empty) distinct printable names.
  Result<std::vector<std::string>> NameList(std::string_view key, size_t max_items,
                                            size_t max_bytes, bool allow_empty = false) const;
  Result<uint64_t> Unsigned(std::string_view key, uint64_t min, uint64_t max) const;
  Result<bool> Bool(std::string_view key) const;
  Result<const Json*> Object(std::string_view key) const;
  Result<const Json*> Array(std::string_view key, size_t max_items) const;
  Result<uint64_t> Time(std::string_view key) const;       // "YYYY-MM-DDTHH:MM:SSZ"
  Result<std::string> Sha256(std::string_view key) const;  // 64 lowercase hex

 private:
  Result<const Json*> Get(std::string_view key, Json::value_t type, const char* type_name) const;
  const Json& object_;
  std::string what_;
  std::string path_;
};

}  // namespace clearbox::maint::internal
