// The endpoints of an audit SARIF log (`clearbox watch --from-audit`): the hosts that
// `clearbox audit` reported as hard-coded (CB-NET-001) or undeclared by the pledge
// (CB-PLEDGE-004), with where in the image it saw them. The host is the result's
// properties.endpoint; only a report without it (written before audits named it) has the
// host read from the message text.
#include <algorithm>
#include <cctype>
#include <map>

#include "clearbox/core/strict_json.h"
#include "watch_internal.h"

namespace clearbox::watch {

using nlohmann::json;

namespace {

constexpr int kMaxSarifDepth = 64;
constexpr size_t kMaxLocations = 16;

// RFC 3986 percent-decoding; a bad escape is kept as written.
std::string PercentDecode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The host after `marker` in a message, up to the next space.
std::string HostAfter(std::string_view text, std::string_view marker) {
  size_t at = text.find(marker);
  if (at == std::string_view::npos) return "";
  std::string_view rest = text.substr(at + marker.size());
  size_t end = rest.find(' ');
  return NormalizeDnsName(rest.substr(0, end));
}

bool PlausibleHost(std::string_view h) {
  if (h.empty() || h.size() > 255) return false;
  for (char c : h) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '_' || c == '*' || c == '/')) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::vector<AuditEndpoint>> ParseAuditEndpoints(std::string_view sarif,
                                                       std::string_view name) {
  if (sarif.size() > kMaxAuditSarifBytes) {
    return Error::LimitExceeded(std::string(name) + ": larger than " +
                                std::to_string(kMaxAuditSarifBytes) + " bytes");
  }
  CLEARBOX_ASSIGN_OR_RETURN(json doc, ParseStrictJson(sarif, name, kMaxSarifDepth));
  auto bad = [&](const std::string& path, const std::string& what) {
    return Error::InvalidInput(std::string(name) + ": " + path + ": " + what);
  };
  if (!doc.is_object()) return bad("", "not a SARIF log (expected an object)");
  if (!doc.contains("version") || doc["version"] != "2.1.0") {
    return bad("/version", "not SARIF 2.1.0");
  }
  if (!doc.contains("runs") || !doc["runs"].is_array()) return bad("/runs", "expected an array");
  std::map<std::string, AuditEndpoint> by_host;
  const json& runs = doc["runs"];
  for (size_t ri = 0; ri < runs.size(); ++ri) {
    const std::string rpath = "/runs/" + std::to_string(ri);
    if (!runs[ri].is_object()) return bad(rpath, "expected an object");
    if (!runs[ri].contains("results")) continue;
    const json& results = runs[ri]["results"];
    if (!results.is_array()) return bad(rpath + "/results", "expected an array");
    for (size_t i = 0; i < results.size(); ++i) {
      const std::string path = rpath + "/results/" + std::to_string(i);
      const json& res = results[i];
      if (!res.is_object()) return bad(path, "expected an object");
      if (!res.contains("ruleId") || !res["ruleId"].is_string()) continue;
      const std::string rule = res["ruleId"].get<std::string>();
      if (rule != "CB-NET-001" && rule != "CB-PLEDGE-004") continue;
      const json* props = res.contains("properties") && res["properties"].is_object()
                              ? &res["properties"]
                              : nullptr;
      std::string host;
      bool strings_only = false;
      if (props && props->contains("endpoint")) {
        // What clearbox audit writes since it names the endpoint (audit::Finding::endpoint):
        // the host, and how the image has it.
        const json& ep = (*props)["endpoint"];
        if (!ep.is_string()) return bad(path + "/properties/endpoint", "expected a string");
        host = NormalizeDnsName(ep.get<std::string>());
        std::string seen = "file";
        if (props->contains("endpointSeen")) {
          const json& s = (*props)["endpointSeen"];
          if (!s.is_string()) return bad(path + "/properties/endpointSeen", "expected a string");
          seen = s.get<std::string>();
        }
        if (seen == "message-text") continue;  // prose, not an endpoint the box calls
        if (seen != "file" && seen != "program-strings") {
          return bad(path + "/properties/endpointSeen",
                     "expected \"file\", \"program-strings\" or \"message-text\"");
        }
        if (!PlausibleHost(host)) {
          return bad(path + "/properties/endpoint", "not a host name or address");
        }
        strings_only = seen == "program-strings";
      } else {
        // Older reports name the endpoint only in the message.
        if (!res.contains("message") || !res["message"].is_object() ||
            !res["message"].contains("text") || !res["message"]["text"].is_string()) {
          return bad(path + "/message/text", "expected a string");
        }
        const std::string text = res["message"]["text"].get<std::string>();
        if (rule == "CB-NET-001") {
          // "program /bin/x has the hard-coded endpoint h (3 times) (in a message text)"
          if (text.find("(in a message text)") != std::string::npos) continue;
          host = HostAfter(text, "has the hard-coded endpoint ");
          strings_only = text.starts_with("program ");
        } else {
          // "pledge broken: undeclared endpoint h in /etc/x"; low: only in programs' strings
          host = HostAfter(text, "undeclared endpoint ");
          strings_only = props && props->contains("severity") && (*props)["severity"] == "low";
        }
        if (!PlausibleHost(host)) {
          return bad(path + "/message/text",
                     "no endpoint host in \"" + text.substr(0, 200) + "\"");
        }
      }
      if (!by_host.contains(host) && by_host.size() >= kMaxAuditEndpoints) {
        return Error::LimitExceeded(std::string(name) + ": more than " +
                                    std::to_string(kMaxAuditEndpoints) + " endpoints");
      }
      auto [it, fresh] = by_host.try_emplace(host);
      AuditEndpoint& e = it->second;
      if (fresh) {
        e.host = host;
        e.rule = rule;
        e.in_program_strings = strings_only;
      } else {
        e.in_program_strings = e.in_program_strings && strings_only;
      }
      if (res.contains("locations") && res["locations"].is_array()) {
        for (const json& loc : res["locations"]) {
          if (e.locations.size() >= kMaxLocations) break;
          const json* uri = nullptr;
          if (loc.is_object() && loc.contains("physicalLocation") &&
              loc["physicalLocation"].is_object() &&
              loc["physicalLocation"].contains("artifactLocation") &&
              loc["physicalLocation"]["artifactLocation"].is_object() &&
              loc["physicalLocation"]["artifactLocation"].contains("uri")) {
            uri = &loc["physicalLocation"]["artifactLocation"]["uri"];
          }
          if (!uri || !uri->is_string()) continue;
          ImageLocation where{PercentDecode(uri->get<std::string>()), std::nullopt};
          const json& pl = loc["physicalLocation"];
          if (pl.contains("region") && pl["region"].is_object() &&
              pl["region"].contains("byteOffset") && pl["region"]["byteOffset"].is_number_unsigned()) {
            where.byte_offset = pl["region"]["byteOffset"].get<uint64_t>();
          }
          if (std::find(e.locations.begin(), e.locations.end(), where) == e.locations.end()) {
            e.locations.push_back(std::move(where));
          }
        }
      }
    }
  }
  std::vector<AuditEndpoint> out;
  for (auto& [host, e] : by_host) out.push_back(std::move(e));
  return out;
}

}  // namespace clearbox::watch
