// ParseMud and ParseMudFromPledge (mud.h): a strict reader of RFC 8520 JSON. Every object
// of the YANG-modelled tree is checked against the members its YANG model allows, every
// value against its YANG type; the first problem is reported with its JSON Pointer.
// Member names from the pre-RFC drafts (osmud and early MUD managers wrote them) get a hint
// naming the RFC 8520 / RFC 8519 member, since such a file silently means nothing to an
// RFC 8520 MUD manager.
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "clearbox/core/strict_json.h"
#include "mud_internal.h"
#include "mud_reader.h"

namespace clearbox::watch {
namespace {

using internal::MudReader;
using Json = nlohmann::json;

constexpr std::string_view kMud = "ietf-mud:mud";
constexpr std::string_view kAcls = "ietf-access-control-list:acls";

Status ReadPolicy(MudReader& r, const Json& v, const std::string& path,
                  std::vector<std::string>* out) {
  CLEARBOX_RETURN_IF_ERROR(r.Members(v, path, {"access-lists"}, {}));
  if (!v.contains("access-lists")) return Status::Ok();
  std::string lpath = path + "/access-lists";
  CLEARBOX_RETURN_IF_ERROR(r.Members(v["access-lists"], lpath, {"access-list"}, {}));
  if (!v["access-lists"].contains("access-list")) return Status::Ok();
  const Json& list = v["access-lists"]["access-list"];
  lpath += "/access-list";
  CLEARBOX_RETURN_IF_ERROR(r.Array(list, lpath, kMaxMudAcls, "ACL names in one policy"));
  for (size_t i = 0; i < list.size(); ++i) {
    std::string ipath = MudReader::Pointer(lpath, i);
    CLEARBOX_RETURN_IF_ERROR(r.Members(list[i], ipath, {"name"}, {"name"}));
    std::string name;
    CLEARBOX_RETURN_IF_ERROR(r.Name(list[i], ipath, &name));
    for (const std::string& n : *out) {
      if (n == name) return r.Invalid(ipath + "/name", "ACL " + MudReader::Shown(name) + " appears twice");
    }
    out->push_back(std::move(name));
  }
  return Status::Ok();
}

Status ReadOptionalString(MudReader& r, const Json& v, const std::string& path,
                          std::string_view key, size_t max_chars, std::optional<std::string>* out) {
  if (!v.contains(key)) return Status::Ok();
  std::string s;
  CLEARBOX_RETURN_IF_ERROR(r.String(v, path, key, kMaxMudString, &s));
  if (internal::Utf8Length(s) > max_chars) {
    return r.Invalid(MudReader::Pointer(path, key),
                     "longer than the " + std::to_string(max_chars) + " characters RFC 8520 allows");
  }
  *out = std::move(s);
  return Status::Ok();
}

Status ReadMudContainer(MudReader& r, const Json& v, const std::string& path, MudProfile* out) {
  CLEARBOX_RETURN_IF_ERROR(r.Members(
      v, path,
      {"mud-version", "mud-url", "last-update", "mud-signature", "cache-validity", "is-supported",
       "systeminfo", "mfg-name", "model-name", "firmware-rev", "software-rev", "documentation",
       "extensions", "from-device-policy", "to-device-policy"},
      {"mud-version", "mud-url", "last-update", "is-supported"}));
  uint64_t n = 0;
  CLEARBOX_RETURN_IF_ERROR(r.Uint(v, path, "mud-version", 0, 255, &n));
  if (n != 1) {
    return r.Invalid(path + "/mud-version",
                     "version " + std::to_string(n) + " is not RFC 8520 (only 1 is defined)");
  }
  out->mud_version = 1;
  CLEARBOX_RETURN_IF_ERROR(r.String(v, path, "mud-url", kMaxMudString, &out->mud_url));
  if (internal::HttpsHost(out->mud_url).empty()) {
    return r.Invalid(path + "/mud-url", MudReader::Shown(out->mud_url) +
                                            " is not an https:// URL with a host (RFC 8520)");
  }
  CLEARBOX_RETURN_IF_ERROR(r.String(v, path, "last-update", 64, &out->last_update));
  if (!internal::IsDateAndTime(out->last_update)) {
    return r.Invalid(path + "/last-update",
                     MudReader::Shown(out->last_update) +
                         " is not a date-and-time (2018-06-29T19:50:19+02:00)");
  }
  for (std::string_view key : {"mud-signature", "documentation"}) {
    std::optional<std::string>* s = key == "mud-signature" ? &out->mud_signature : &out->documentation;
    CLEARBOX_RETURN_IF_ERROR(ReadOptionalString(r, v, path, key, kMaxMudString, s));
    if (*s && !internal::IsUri(**s)) {
      return r.Invalid(MudReader::Pointer(path, key), MudReader::Shown(**s) + " is not a URI");
    }
  }
  if (v.contains("cache-validity")) {
    CLEARBOX_RETURN_IF_ERROR(r.Uint(v, path, "cache-validity", 1, 168, &n));
    out->cache_validity = static_cast<int>(n);
  }
  CLEARBOX_RETURN_IF_ERROR(r.Bool(v, path, "is-supported", &out->is_supported));
  CLEARBOX_RETURN_IF_ERROR(ReadOptionalString(r, v, path, "systeminfo", 60, &out->systeminfo));
  CLEARBOX_RETURN_IF_ERROR(ReadOptionalString(r, v, path, "mfg-name", kMaxMudString, &out->mfg_name));
  CLEARBOX_RETURN_IF_ERROR(ReadOptionalString(r, v, path, "model-name", kMaxMudString, &out->model_name));
  CLEARBOX_RETURN_IF_ERROR(ReadOptionalString(r, v, path, "firmware-rev", kMaxMudString, &out->firmware_rev));
  CLEARBOX_RETURN_IF_ERROR(ReadOptionalString(r, v, path, "software-rev", kMaxMudString, &out->software_rev));
  if (v.contains("extensions")) {
    const Json& list = v["extensions"];
    std::string epath = path + "/extensions";
    CLEARBOX_RETURN_IF_ERROR(r.Array(list, epath, kMaxMudExtensions, "extensions"));
    for (size_t i = 0; i < list.size(); ++i) {
      std::string ipath = MudReader::Pointer(epath, i);
      if (!list[i].is_string() || list[i].get_ref<const std::string&>().empty() ||
          internal::Utf8Length(list[i].get_ref<const std::string&>()) > 40) {
        return r.Invalid(ipath, "an extension is a string of 1 to 40 characters");
      }
      const std::string& e = list[i].get_ref<const std::string&>();
      for (const std::string& seen : out->extensions) {
        if (seen == e) return r.Invalid(ipath, "extension " + MudReader::Shown(e) + " appears twice");
      }
      out->extensions.push_back(e);
    }
  }
  if (v.contains("from-device-policy")) {
    CLEARBOX_RETURN_IF_ERROR(ReadPolicy(r, v["from-device-policy"], path + "/from-device-policy",
                                        &out->from_device_policy));
  }
  if (v.contains("to-device-policy")) {
    CLEARBOX_RETURN_IF_ERROR(
        ReadPolicy(r, v["to-device-policy"], path + "/to-device-policy", &out->to_device_policy));
  }
  return Status::Ok();
}

Result<MudProfile> ReadProfile(MudReader& r, const Json& doc, const std::string& path) {
  CLEARBOX_RETURN_IF_ERROR(r.Members(doc, path, {kMud, kAcls}, {kMud}));
  MudProfile p;
  CLEARBOX_RETURN_IF_ERROR(ReadMudContainer(r, doc[kMud], MudReader::Pointer(path, kMud), &p));
  std::string acls_path = MudReader::Pointer(path, kAcls);
  if (doc.contains(kAcls)) CLEARBOX_RETURN_IF_ERROR(internal::ReadAcls(r, doc[kAcls], acls_path, &p.acls));
  // Every ACL a policy names must exist: a dangling name would silently declare nothing.
  for (bool from : {true, false}) {
    const std::vector<std::string>& names = from ? p.from_device_policy : p.to_device_policy;
    for (size_t i = 0; i < names.size(); ++i) {
      bool found = false;
      for (const MudAcl& acl : p.acls) found = found || acl.name == names[i];
      if (!found) {
        std::string where = MudReader::Pointer(path, kMud) +
                            (from ? "/from-device-policy" : "/to-device-policy") +
                            "/access-lists/access-list/" + std::to_string(i) + "/name";
        return r.Invalid(where, "ACL " + MudReader::Shown(names[i]) + " is not in " +
                                    std::string(kAcls));
      }
    }
  }
  return p;
}

}  // namespace

Result<MudProfile> ParseMud(std::string_view json, std::string_view what) {
  MudReader r(what);
  CLEARBOX_ASSIGN_OR_RETURN(Json doc, r.Parse(json));
  return ReadProfile(r, doc, "");
}

Result<MudProfile> ParseMudFromPledge(std::string_view pledge_json, std::string_view what) {
  MudReader r(what);
  CLEARBOX_ASSIGN_OR_RETURN(Json doc, r.Parse(pledge_json));
  if (!doc.is_object() || !doc.contains("outbound") || !doc["outbound"].is_object()) {
    return r.Invalid("/outbound", "the pledge has no outbound object (docs/pledge.md)");
  }
  const Json& outbound = doc["outbound"];
  if (!outbound.contains("mud")) {
    if (outbound.contains("mud_url")) {
      return r.Unsupported("/outbound/mud_url",
                           "the pledge references its MUD profile by URL; clearbox fetches "
                           "nothing: pass the profile with --mud FILE");
    }
    return r.Invalid("/outbound", "the pledge has no MUD profile (outbound.mud)");
  }
  return ReadProfile(r, outbound["mud"], "/outbound/mud");
}

}  // namespace clearbox::watch
