// The package name -> CPE product map (rules/cpe-map.json, embedded at build time) and the
// upstream part of package versions that CPEs carry.
#include <algorithm>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "clearbox/inventory/packages.h"

namespace clearbox::embedded {
extern const char kCpeMapJson[];  // cmake/ClearboxEmbed.cmake, from rules/cpe-map.json
extern const std::size_t kCpeMapJson_size;
}  // namespace clearbox::embedded

namespace clearbox::inventory {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A CPE vendor or product as NVD spells them: lower-case letters, digits and "._-".
bool IsCpeWord(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || IsDigit(c) || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Where a Debian repack suffix starts ("+dfsg", ".dfsg2", "~ds", "+repack1"), or npos: one of
// "+.~" followed by a marker that is not the start of a longer word.
size_t RepackSuffix(std::string_view v) {
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] != '+' && v[i] != '.' && v[i] != '~') continue;
    for (std::string_view marker : {"dfsg", "ds", "repack"}) {
      std::string_view rest = v.substr(i + 1);
      if (rest.substr(0, marker.size()) != marker) continue;
      if (rest.size() > marker.size() && IsAlpha(rest[marker.size()])) continue;
      return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

std::string UpstreamVersion(VersionScheme scheme, std::string_view version) {
  std::string_view v = version;
  switch (scheme) {
    case VersionScheme::kDebian: {
      // dpkg: [epoch:]upstream[-revision]; the epoch is digits, the revision follows the last '-'.
      size_t colon = v.find(':');
      if (colon != std::string_view::npos && colon > 0 &&
          std::all_of(v.begin(), v.begin() + colon, IsDigit)) {
        v.remove_prefix(colon + 1);
      }
      size_t dash = v.rfind('-');
      if (dash != std::string_view::npos && dash > 0) v = v.substr(0, dash);
      // "4.2+really4.1": a version number raised to replace a newer upstream with an older one.
      size_t really = v.find("+really");
      if (really != std::string_view::npos && really + 7 < v.size()) v.remove_prefix(really + 7);
      size_t repack = RepackSuffix(v);
      if (repack != std::string_view::npos) v = v.substr(0, repack);
      break;
    }
    case VersionScheme::kApk: {
      size_t r = v.rfind("-r");
      if (r != std::string_view::npos && r > 0 && r + 2 < v.size() &&
          std::all_of(v.begin() + r + 2, v.end(), IsDigit)) {
        v = v.substr(0, r);
      }
      break;
    }
    default:
      break;
  }
  if (v.empty()) v = version;
  return std::string(v);
}

Result<CpeMap> CpeMap::Parse(std::string_view json) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    return Error::InvalidInput(std::string("cpe map: not JSON: ") + e.what());
  }
  if (!doc.is_object()) return Error::InvalidInput("cpe map: not a JSON object");
  CpeMap map;
  auto read_product = [](const nlohmann::json& entry, std::string_view where,
                         CpeProduct* out) -> Status {
    if (!entry.is_object()) return Error::InvalidInput(std::string(where) + ": not an object");
    auto vendor = entry.find("vendor");
    auto product = entry.find("product");
    if (vendor == entry.end() || !vendor->is_string() || product == entry.end() ||
        !product->is_string()) {
      return Error::InvalidInput(std::string(where) + ": vendor and product must be strings");
    }
    out->vendor = vendor->get<std::string>();
    out->product = product->get<std::string>();
    if (!IsCpeWord(out->vendor) || !IsCpeWord(out->product)) {
      return Error::InvalidInput(std::string(where) + ": vendor \"" + out->vendor +
                                 "\" or product \"" + out->product +
                                 "\" is not a lower-case CPE word");
    }
    out->part = 'a';
    auto part = entry.find("part");
    if (part != entry.end()) {
      std::string p = part->is_string() ? part->get<std::string>() : "";
      if (p != "a" && p != "o" && p != "h") {
        return Error::InvalidInput(std::string(where) + ": part must be \"a\", \"o\" or \"h\"");
      }
      out->part = p[0];
    }
    return Status();
  };
  auto read_names = [](const nlohmann::json& entry, const char* key, std::string_view where,
                       std::vector<std::string>* out) -> Status {
    auto names = entry.find(key);
    if (names == entry.end() || !names->is_array() || names->empty()) {
      return Error::InvalidInput(std::string(where) + ": \"" + key + "\" must be a list");
    }
    for (const auto& n : *names) {
      if (!n.is_string())
        return Error::InvalidInput(std::string(where) + ": a name is not a string");
      std::string name = Lower(n.get<std::string>());
      size_t star = name.find('*');
      if (name.empty() || name == "*" || (star != std::string::npos && star != name.size() - 1)) {
        return Error::InvalidInput(std::string(where) + ": bad name pattern \"" + name + "\"");
      }
      out->push_back(std::move(name));
    }
    return Status();
  };

  auto packages = doc.find("packages");
  if (packages == doc.end() || !packages->is_array()) {
    return Error::InvalidInput("cpe map: \"packages\" must be a list");
  }
  for (size_t i = 0; i < packages->size(); ++i) {
    std::string where = "cpe map: packages[" + std::to_string(i) + "]";
    CpeProduct product;
    std::vector<std::string> names;
    CLEARBOX_RETURN_IF_ERROR(read_product((*packages)[i], where, &product));
    CLEARBOX_RETURN_IF_ERROR(read_names((*packages)[i], "names", where, &names));
    for (std::string& n : names) {
      if (n.back() == '*') {
        n.pop_back();
        map.prefixes_.push_back({std::move(n), product});
      } else {
        map.exact_.push_back({std::move(n), product});
      }
    }
  }
  auto os = doc.find("os");
  if (os != doc.end()) {
    if (!os->is_array()) return Error::InvalidInput("cpe map: \"os\" must be a list");
    for (size_t i = 0; i < os->size(); ++i) {
      std::string where = "cpe map: os[" + std::to_string(i) + "]";
      CpeProduct product;
      std::vector<std::string> ids;
      CLEARBOX_RETURN_IF_ERROR(read_product((*os)[i], where, &product));
      CLEARBOX_RETURN_IF_ERROR(read_names((*os)[i], "ids", where, &ids));
      for (std::string& id : ids) map.os_.push_back({std::move(id), product});
    }
  }
  std::stable_sort(map.exact_.begin(), map.exact_.end(),
                   [](const Entry& a, const Entry& b) { return a.pattern < b.pattern; });
  for (size_t i = 1; i < map.exact_.size(); ++i) {
    if (map.exact_[i].pattern == map.exact_[i - 1].pattern) {
      return Error::InvalidInput("cpe map: \"" + map.exact_[i].pattern + "\" is listed twice");
    }
  }
  std::stable_sort(map.prefixes_.begin(), map.prefixes_.end(), [](const Entry& a, const Entry& b) {
    return a.pattern.size() > b.pattern.size();
  });
  return map;
}

const CpeMap& CpeMap::BuiltIn() {
  static const CpeMap* map = [] {
    Result<CpeMap> parsed =
        Parse(std::string_view(embedded::kCpeMapJson, embedded::kCpeMapJson_size));
    return new CpeMap(parsed.ok() ? std::move(*parsed) : CpeMap());
  }();
  return *map;
}

std::optional<CpeProduct> CpeMap::ForPackage(std::string_view name) const {
  if (name.empty()) return std::nullopt;
  std::string lower = Lower(name);
  auto it = std::lower_bound(exact_.begin(), exact_.end(), lower,
                             [](const Entry& e, const std::string& n) { return e.pattern < n; });
  if (it != exact_.end() && it->pattern == lower) return it->product;
  for (const Entry& e : prefixes_) {  // longest first
    if (lower.compare(0, e.pattern.size(), e.pattern) == 0) return e.product;
  }
  return std::nullopt;
}

std::optional<CpeProduct> CpeMap::ForOs(std::string_view id) const {
  std::string lower = Lower(id);
  for (const Entry& e : os_) {
    if (e.pattern == lower) return e.product;
  }
  return std::nullopt;
}

}  // namespace clearbox::inventory
