#include "strict_json.h"

#include <algorithm>

#include "clearbox/core/strict_json.h"
#include "clearbox/release/dsse.h"

namespace clearbox::release::internal {
namespace {

std::string TypeName(Json::value_t type) {
  switch (type) {
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::null: return "null";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "an integer";
    case Json::value_t::number_float: return "a number";
    default: return "a value";
  }
}

}  // namespace

Result<Json> ParseStrictJson(std::string_view text, std::string_view what) {
  return clearbox::ParseStrictJson(text, what, kMaxJsonDepth);
}

std::string Pointer(std::string_view parent, std::string_view key) {
  std::string out(parent);
  out += '/';
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string Pointer(std::string_view parent, size_t index) {
  return std::string(parent) + "/" + std::to_string(index);
}

bool IsLowerHexSha256(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Error FieldReader::Invalid(std::string_view key, std::string_view problem) const {
  return Error::InvalidInput(what_ + ": " + Pointer(path_, key) + ": " + std::string(problem));
}

Result<const Json*> FieldReader::Member(std::string_view key, Json::value_t type) const {
  auto it = object_.find(key);
  if (it == object_.end()) return Invalid(key, "missing (required)");
  bool matches = it->type() == type ||
                 (type == Json::value_t::number_unsigned && it->is_number_unsigned());
  if (!matches) {
    return Invalid(key, "expected " + TypeName(type) + ", got " + TypeName(it->type()));
  }
  return &*it;
}

Result<std::string> FieldReader::String(std::string_view key, size_t max_bytes) const {
  CLEARBOX_ASSIGN_OR_RETURN(const Json* v, Member(key, Json::value_t::string));
  const auto& s = v->get_ref<const std::string&>();
  if (s.empty()) return Invalid(key, "empty");
  if (s.size() > max_bytes) {
    return Invalid(key, std::to_string(s.size()) + " bytes, more than " +
                            std::to_string(max_bytes));
  }
  return s;
}

Result<std::string> FieldReader::Sha256Hex(std::string_view key) const {
  CLEARBOX_ASSIGN_OR_RETURN(const Json* v, Member(key, Json::value_t::string));
  const auto& s = v->get_ref<const std::string&>();
  if (!IsLowerHexSha256(s)) return Invalid(key, "not a SHA-256 digest (64 lowercase hex)");
  return s;
}

Result<std::string> FieldReader::DigestSetSha256(std::string_view key) const {
  CLEARBOX_ASSIGN_OR_RETURN(const Json* v, Member(key, Json::value_t::object));
  FieldReader digests(*v, what_, Pointer(path_, key));
  for (const auto& [algorithm, value] : v->items()) {
    if (!value.is_string()) return digests.Invalid(algorithm, "expected a string digest");
  }
  return digests.Sha256Hex("sha256");
}

Result<uint64_t> FieldReader::Unsigned(std::string_view key) const {
  auto it = object_.find(key);
  if (it == object_.end()) return Invalid(key, "missing (required)");
  if (!it->is_number_unsigned()) {
    return Invalid(key, "expected an unsigned integer, got " +
                            (it->is_number_integer() ? std::string("a negative integer")
                                                     : TypeName(it->type())));
  }
  return it->get<uint64_t>();
}

}  // namespace clearbox::release::internal
