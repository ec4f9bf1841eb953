// A strict reader over a parsed JSON document for the pledge parser (pledge_parse.cc,
// pledge_mud.cc): typed field access that records every problem with its JSON Pointer
// ("pledge.json: /services/2/ports/0: 70000 is not a port (1-65535)") and keeps going, so
// that one run of `clearbox pledge check` lists all of a document's problems.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/audit/pledge.h"

namespace clearbox::audit::internal {

using Json = nlohmann::json;

// "/a/b" + "c/d" -> "/a/b/c~1d" (RFC 6901 escaping).
std::string JsonPointer(std::string_view parent, std::string_view key);
std::string JsonPointer(std::string_view parent, size_t index);
// A value from the document as a message shows it: quoted, control bytes escaped, at most
// 64 bytes ("'dropbear'", "'aaaa…'").
std::string Shown(std::string_view s);
// "string", "integer", "number", "boolean", "array", "object" or "null".
std::string_view JsonTypeName(const Json& v);

class PledgeReader {
 public:
  explicit PledgeReader(std::string_view name) : name_(name) {}

  // Records a problem at `path` (kept up to kMaxPledgeErrors, then only counted).
  void Fail(std::string_view path, std::string_view what);
  bool failed() const { return count_ > 0; }
  // One line per problem, and a last line with how many more there were.
  std::string Message() const;

  // `v` must be an object whose keys are among `required` and `optional`, with every
  // required one present. False (after recording) when `v` is not an object; unknown and
  // missing fields are recorded but the object is still read.
  bool Object(const Json& v, std::string_view path, std::initializer_list<std::string_view> required,
              std::initializer_list<std::string_view> optional);
  // `v` must be an array of at most `max_items`; false (after recording) when it is not.
  bool Array(const Json& v, std::string_view path, size_t min_items, size_t max_items);

  // Field readers: nullopt when the field is absent (a missing required field was recorded
  // by Object) or wrong (recorded here).
  std::optional<std::string> String(const Json& obj, std::string_view path, std::string_view key,
                                    size_t max_len = 4096);
  std::optional<bool> Bool(const Json& obj, std::string_view path, std::string_view key);
  // An integer in [lo, hi]; `what` names the range's meaning ("a port", "a uid").
  std::optional<uint64_t> Integer(const Json& v, std::string_view path, uint64_t lo, uint64_t hi,
                                  std::string_view what);
  std::optional<uint64_t> Integer(const Json& obj, std::string_view path, std::string_view key,
                                  uint64_t lo, uint64_t hi, std::string_view what);
  // A non-empty string value (not a field): for array items.
  std::optional<std::string> StringValue(const Json& v, std::string_view path,
                                         size_t max_len = 4096);

 private:
  std::string name_;
  std::vector<std::string> errors_;
  size_t count_ = 0;
};

// Reads the subset of an embedded RFC 8520 MUD profile that names outbound endpoints
// (pledge_mud.cc, docs/pledge.md) into out.endpoints and out.mud_url.
void ReadMudProfile(PledgeReader& r, const Json& mud, std::string_view path, Pledge& out);

}  // namespace clearbox::audit::internal
