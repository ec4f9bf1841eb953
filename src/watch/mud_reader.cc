// MudReader (mud_reader.h).
#include "mud_reader.h"

#include <utility>

#include "clearbox/core/strict_json.h"
#include "clearbox/watch/mud.h"

namespace clearbox::watch::internal {
namespace {

using Json = nlohmann::json;

// Names the pre-RFC drafts of MUD (draft-ietf-opsawg-mud before -20) and of the ACL model
// (draft-ietf-netmod-acl-model) used, with what RFC 8520 / RFC 8519 call them.
struct DraftName {
  std::string_view draft;
  std::string_view rfc;
};
constexpr DraftName kDraftNames[] = {
    {"ietf-access-control-list:access-lists", "ietf-access-control-list:acls"},
    {"access-list-entries", "aces"},
    {"acl-type", "type"},
    {"rule-name", "name"},
    {"ipv4-acl", "ipv4"},
    {"ipv6-acl", "ipv6"},
    {"source-port-range-or-operator", "source-port (under tcp or udp)"},
    {"destination-port-range-or-operator", "destination-port (under tcp or udp)"},
    {"source-port-range", "source-port (under tcp or udp)"},
    {"destination-port-range", "destination-port (under tcp or udp)"},
    {"ietf-mud:meta-info", "the members of ietf-mud:mud"},
    {"packet-handling", "forwarding"},
};

// A streaming pass over the text that stops at the first string or member name longer than
// kMaxMudString, or the first level deeper than kMaxMudDepth, and knows its JSON Pointer.
// It keeps no values: a 10 MB string costs the lexer's buffer once, not a tree.
class LimitScan final : public nlohmann::json_sax<Json> {
 public:
  std::string failure;  // "PATH\nWHAT" when a limit was met

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool string(string_t& s) override {
    if (s.size() > kMaxMudString) {
      return Fail(Here(), "a string of " + std::to_string(s.size()) + " bytes (at most " +
                              std::to_string(kMaxMudString) + ")");
    }
    return Value();
  }
  bool key(string_t& k) override {
    if (k.size() > kMaxMudString) {
      return Fail(Here(/*with_last=*/false), "a member name of " + std::to_string(k.size()) + " bytes (at most " +
                              std::to_string(kMaxMudString) + ")");
    }
    frames_.back().key = std::move(k);
    return true;
  }
  bool start_object(std::size_t) override { return Push(false); }
  bool start_array(std::size_t) override { return Push(true); }
  bool end_object() override { return Pop(); }
  bool end_array() override { return Pop(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;  // ParseStrictJson reports syntax errors
  }

 private:
  struct Frame {
    bool array;
    size_t index = 0;
    std::string key;
  };

  // The path of the value being read; with_last false: of the innermost container (a
  // member name belongs to its object, not to the member before it).
  std::string Here(bool with_last = true) const {
    std::string p;
    size_t n = with_last ? frames_.size() : frames_.size() - 1;
    for (size_t i = 0; i < n; ++i) {
      const Frame& f = frames_[i];
      p = f.array ? MudReader::Pointer(p, f.index) : MudReader::Pointer(p, f.key);
    }
    return p;
  }
  bool Fail(const std::string& path, const std::string& what) {
    failure = path + "\n" + what;
    return false;
  }
  bool Value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    return true;
  }
  bool Push(bool array) {
    if (frames_.size() >= static_cast<size_t>(kMaxMudDepth)) {
      return Fail(Here(), "nested deeper than " + std::to_string(kMaxMudDepth) + " levels");
    }
    frames_.push_back(Frame{array, 0, {}});
    return true;
  }
  bool Pop() {
    if (!frames_.empty()) frames_.pop_back();
    return Value();
  }

  std::vector<Frame> frames_;
};

}  // namespace

Result<Json> MudReader::Parse(std::string_view text) const {
  if (text.size() > kMaxMudInputBytes) {
    return Error::LimitExceeded(what_ + ": " + std::to_string(text.size()) +
                                " bytes; a MUD profile is at most " +
                                std::to_string(kMaxMudBytes) + " bytes");
  }
  LimitScan scan;
  try {
    (void)Json::sax_parse(text, &scan, Json::input_format_t::json, /*strict=*/true,
                          /*ignore_comments=*/false);
  } catch (const Json::exception&) {
    // A syntax error: ParseStrictJson below reports it with its position.
  }
  if (!scan.failure.empty()) {
    size_t nl = scan.failure.find('\n');
    return Limit(scan.failure.substr(0, nl), scan.failure.substr(nl + 1));
  }
  if (text.size() > kMaxMudBytes) {
    return Error::LimitExceeded(what_ + ": " + std::to_string(text.size()) +
                                " bytes; a MUD profile is at most " +
                                std::to_string(kMaxMudBytes) + " bytes");
  }
  return ParseStrictJson(text, what_, kMaxMudDepth);
}

namespace {
std::string Where(std::string_view path) { return path.empty() ? "(top level)" : std::string(path); }
}  // namespace

Error MudReader::Invalid(std::string_view path, std::string_view what) const {
  return Error::InvalidInput(what_ + ": " + Where(path) + ": " + std::string(what));
}
Error MudReader::Limit(std::string_view path, std::string_view what) const {
  return Error::LimitExceeded(what_ + ": " + Where(path) + ": " + std::string(what));
}
Error MudReader::Unsupported(std::string_view path, std::string_view what) const {
  return Error::Unsupported(what_ + ": " + Where(path) + ": " + std::string(what));
}

Status MudReader::Members(const Json& v, const std::string& path,
                          const std::vector<std::string_view>& known,
                          std::initializer_list<std::string_view> required) const {
  if (!v.is_object()) {
    return Invalid(path, "expected an object, got " + std::string(TypeName(v)));
  }
  for (const auto& [key, value] : v.items()) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == key;
    if (ok) continue;
    for (const DraftName& d : kDraftNames) {
      if (d.draft == key) {
        return Invalid(Pointer(path, key),
                       "unknown member: \"" + std::string(d.draft) +
                           "\" is a pre-RFC draft name (RFC 8520/8519 call it " +
                           std::string(d.rfc) +
                           "); this profile is in the draft MUD format, which an RFC 8520 "
                           "MUD manager does not read");
      }
    }
    std::string expected;
    for (std::string_view k : known) expected += (expected.empty() ? "" : ", ") + std::string(k);
    return Invalid(Pointer(path, key), "unknown member (expected " + expected + ")");
  }
  for (std::string_view r : required) {
    if (!v.contains(r)) return Invalid(path, "missing required member \"" + std::string(r) + "\"");
  }
  return Status::Ok();
}

Status MudReader::UnsupportedMembers(const Json& v, const std::string& path,
                                     const std::vector<std::string_view>& names) const {
  for (std::string_view n : names) {
    if (v.contains(n)) {
      return Unsupported(Pointer(path, n),
                         "a valid RFC 8519 match that clearbox cannot judge flows by; a "
                         "profile with it is refused rather than read wider than written");
    }
  }
  return Status::Ok();
}

Status MudReader::String(const Json& obj, const std::string& path, std::string_view key,
                         size_t max_bytes, std::string* out) const {
  const Json& v = obj[std::string(key)];
  if (!v.is_string()) {
    return Invalid(Pointer(path, key), "expected a string, got " + std::string(TypeName(v)));
  }
  const std::string& s = v.get_ref<const std::string&>();
  if (s.empty()) return Invalid(Pointer(path, key), "an empty string");
  if (s.size() > max_bytes) {
    return Invalid(Pointer(path, key), "longer than " + std::to_string(max_bytes) + " bytes");
  }
  *out = s;
  return Status::Ok();
}

Status MudReader::Uint(const Json& obj, const std::string& path, std::string_view key,
                       uint64_t lo, uint64_t hi, uint64_t* out) const {
  const Json& v = obj[std::string(key)];
  std::string p = Pointer(path, key);
  if (v.is_number_unsigned()) {
    uint64_t n = v.get<uint64_t>();
    if (n < lo || n > hi) {
      return Invalid(p, std::to_string(n) + " is out of range (" + std::to_string(lo) + "-" +
                            std::to_string(hi) + ")");
    }
    *out = n;
    return Status::Ok();
  }
  if (v.is_number_integer()) return Invalid(p, "a negative number");
  if (v.is_number()) return Invalid(p, "expected an integer, got a fraction");
  return Invalid(p, "expected a number, got " + std::string(TypeName(v)) +
                        " (RFC 7951 writes 8- to 32-bit integers as JSON numbers)");
}

Status MudReader::Bool(const Json& obj, const std::string& path, std::string_view key,
                       bool* out) const {
  const Json& v = obj[std::string(key)];
  if (!v.is_boolean()) {
    return Invalid(Pointer(path, key), "expected true or false, got " + std::string(TypeName(v)));
  }
  *out = v.get<bool>();
  return Status::Ok();
}

Status MudReader::Empty(const Json& obj, const std::string& path, std::string_view key) const {
  const Json& v = obj[std::string(key)];
  if (v.is_array() && v.size() == 1 && v[0].is_null()) return Status::Ok();
  return Invalid(Pointer(path, key), "an empty leaf is written [null] (RFC 7951), got " +
                                         v.dump(-1, ' ', false, Json::error_handler_t::replace)
                                             .substr(0, 64));
}

Status MudReader::Name(const Json& obj, const std::string& path, std::string* out) const {
  return String(obj, path, "name", 64, out);
}

Status MudReader::Array(const Json& v, const std::string& path, size_t max_items,
                        std::string_view what) const {
  if (!v.is_array()) return Invalid(path, "expected an array, got " + std::string(TypeName(v)));
  if (v.size() > max_items) {
    return Limit(path, std::to_string(v.size()) + " " + std::string(what) + " (at most " +
                           std::to_string(max_items) + ")");
  }
  return Status::Ok();
}

std::string MudReader::Pointer(std::string_view parent, std::string_view key) {
  std::string p(parent);
  p += '/';
  for (char c : key) {
    if (c == '~') {
      p += "~0";
    } else if (c == '/') {
      p += "~1";
    } else {
      p += c;
    }
  }
  return p;
}

std::string MudReader::Pointer(std::string_view parent, size_t index) {
  return std::string(parent) + "/" + std::to_string(index);
}

std::string MudReader::Shown(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < 64; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 64) out += "...";
  return out + "\"";
}

std::string MudReader::List(std::initializer_list<std::string_view> names) {
  std::string out;
  size_t i = 0;
  for (std::string_view n : names) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += n;
    ++i;
  }
  return out;
}

std::string_view MudReader::TypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "number";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    case Json::value_t::null:
      return "null";
    default:
      return "binary";
  }
}

}  // namespace clearbox::watch::internal
