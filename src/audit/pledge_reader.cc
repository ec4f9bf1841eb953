// The strict JSON reader of the pledge parser.
#include "pledge_reader.h"

#include <fmt/format.h>

#include <algorithm>

#include "clearbox/audit/pledge.h"

namespace clearbox::audit::internal {

std::string JsonPointer(std::string_view parent, std::string_view key) {
  std::string out(parent);
  out += '/';
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string JsonPointer(std::string_view parent, size_t index) {
  return std::string(parent) + "/" + std::to_string(index);
}

std::string Shown(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > kMax) out += "…";
  return out + "'";
}

std::string_view JsonTypeName(const Json& v) {
  if (v.is_string()) return "string";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_boolean()) return "boolean";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "null";
}

void PledgeReader::Fail(std::string_view path, std::string_view what) {
  ++count_;
  if (errors_.size() >= kMaxPledgeErrors) return;
  errors_.push_back(fmt::format("{}: {}: {}", name_, path.empty() ? "/" : path, what));
}

std::string PledgeReader::Message() const {
  std::string out;
  for (const std::string& e : errors_) {
    if (!out.empty()) out += '\n';
    out += e;
  }
  if (count_ > errors_.size()) {
    out += fmt::format("\n{}: and {} more problems", name_, count_ - errors_.size());
  }
  return out;
}

bool PledgeReader::Object(const Json& v, std::string_view path,
                          std::initializer_list<std::string_view> required,
                          std::initializer_list<std::string_view> optional) {
  if (!v.is_object()) {
    Fail(path, fmt::format("expected an object, got {}", JsonTypeName(v)));
    return false;
  }
  auto listed = [](std::initializer_list<std::string_view> names, std::string_view key) {
    return std::find(names.begin(), names.end(), key) != names.end();
  };
  for (const auto& [key, value] : v.items()) {
    if (listed(required, key) || listed(optional, key)) continue;
    std::string expected;
    for (auto names : {required, optional}) {
      for (std::string_view n : names) expected += (expected.empty() ? "" : ", ") + std::string(n);
    }
    Fail(JsonPointer(path, key), fmt::format("unknown field (expected {})", expected));
  }
  for (std::string_view key : required) {
    if (!v.contains(key)) Fail(path, fmt::format("missing required field '{}'", key));
  }
  return true;
}

bool PledgeReader::Array(const Json& v, std::string_view path, size_t min_items,
                         size_t max_items) {
  if (!v.is_array()) {
    Fail(path, fmt::format("expected an array, got {}", JsonTypeName(v)));
    return false;
  }
  if (v.size() < min_items) {
    Fail(path, fmt::format("needs at least {} item{}", min_items, min_items == 1 ? "" : "s"));
  }
  if (v.size() > max_items) {
    Fail(path, fmt::format("{} items, at most {} are allowed", v.size(), max_items));
    return false;
  }
  return true;
}

std::optional<std::string> PledgeReader::StringValue(const Json& v, std::string_view path,
                                                     size_t max_len) {
  if (!v.is_string()) {
    Fail(path, fmt::format("expected a string, got {}", JsonTypeName(v)));
    return std::nullopt;
  }
  const std::string& s = v.get_ref<const std::string&>();
  if (s.empty()) {
    Fail(path, "must not be empty");
    return std::nullopt;
  }
  if (s.size() > max_len) {
    Fail(path, fmt::format("{} bytes, at most {}", s.size(), max_len));
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> PledgeReader::String(const Json& obj, std::string_view path,
                                                std::string_view key, size_t max_len) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  return StringValue(*it, JsonPointer(path, key), max_len);
}

std::optional<bool> PledgeReader::Bool(const Json& obj, std::string_view path,
                                       std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (!it->is_boolean()) {
    Fail(JsonPointer(path, key), fmt::format("expected true or false, got {}", JsonTypeName(*it)));
    return std::nullopt;
  }
  return it->get<bool>();
}

std::optional<uint64_t> PledgeReader::Integer(const Json& v, std::string_view path, uint64_t lo,
                                              uint64_t hi, std::string_view what) {
  std::string range = fmt::format("({}-{})", lo, hi);
  if (v.is_number_unsigned()) {
    uint64_t n = v.get<uint64_t>();
    if (n >= lo && n <= hi) return n;
    Fail(path, fmt::format("{} is not {} {}", n, what, range));
  } else if (v.is_number_integer()) {  // negative
    Fail(path, fmt::format("{} is not {} {}", v.get<int64_t>(), what, range));
  } else {
    Fail(path, fmt::format("expected an integer, got {}", JsonTypeName(v)));
  }
  return std::nullopt;
}

std::optional<uint64_t> PledgeReader::Integer(const Json& obj, std::string_view path,
                                              std::string_view key, uint64_t lo, uint64_t hi,
                                              std::string_view what) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  return Integer(*it, JsonPointer(path, key), lo, hi, what);
}

}  // namespace clearbox::audit::internal
