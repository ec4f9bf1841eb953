// JSON readers shared by the gate's parsers (policy, bundle, state). They reuse the release
// module's field readers so that every error has the same "<what>: /json/path: problem" form,
// and add what the gate's closed documents need: a field not in the schema is refused (a
// misspelt "minSecurityVersoin" must not silently fall back to no floor).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "release/strict_json.h"

namespace clearbox::gate::internal {

using release::internal::FieldReader;
using release::internal::Json;
using release::internal::Pointer;
using release::internal::Quoted;

// kInvalidInput "<what>: <path>/<key>: unknown field" for the first member of `object` not in
// `known`.
inline Status RefuseUnknownFields(const Json& object, std::string_view what, std::string_view path,
                                  std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object.items()) {
    bool found = false;
    for (std::string_view k : known) found = found || k == key;
    if (!found) {
      return Error::InvalidInput(std::string(what) + ": " + Pointer(path, key) + ": unknown field");
    }
  }
  return Status::Ok();
}

// "<what>: <path>: expected an object" unless `value` is one.
inline Status ExpectObject(const Json& value, std::string_view what, std::string_view path) {
  if (value.is_object()) return Status::Ok();
  return Error::InvalidInput(std::string(what) + ": " + (path.empty() ? "/" : std::string(path)) +
                             ": expected an object");
}

}  // namespace clearbox::gate::internal
