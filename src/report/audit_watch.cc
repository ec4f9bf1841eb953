// The audit's endpoints for the watch checks, and the audit's JSON with the watch report
// (report/audit_watch.h).
#include "clearbox/report/audit_watch.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace clearbox::report {

namespace {
constexpr size_t kMaxLocations = 16;  // as watch::ParseAuditEndpoints keeps
}  // namespace

std::vector<watch::AuditEndpoint> AuditEndpoints(const audit::AuditReport& report) {
  std::map<std::string, watch::AuditEndpoint> by_host;
  for (const audit::Finding& f : report.findings) {
    if (f.endpoint.empty() || f.endpoint_seen == audit::EndpointSeen::kMessageText) continue;
    const std::string host = watch::NormalizeDnsName(f.endpoint);
    if (host.empty()) continue;
    const bool strings_only = f.endpoint_seen == audit::EndpointSeen::kProgramStrings;
    auto [it, fresh] = by_host.try_emplace(host);
    watch::AuditEndpoint& e = it->second;
    if (fresh) {
      e.host = host;
      e.rule = f.check_id;
      e.in_program_strings = strings_only;
    } else {
      e.in_program_strings = e.in_program_strings && strings_only;
    }
    for (const audit::Evidence& ev : f.evidence) {
      if (e.locations.size() >= kMaxLocations) break;
      watch::ImageLocation where{ev.provenance, ev.offset};
      if (std::find(e.locations.begin(), e.locations.end(), where) == e.locations.end()) {
        e.locations.push_back(std::move(where));
      }
    }
  }
  std::vector<watch::AuditEndpoint> out;
  out.reserve(by_host.size());
  for (auto& [host, e] : by_host) out.push_back(std::move(e));
  return out;
}

std::string AuditJson(const audit::AuditReport& report, const watch::WatchReport* traffic) {
  std::string audit_json = audit::AuditReportJson(report);
  if (traffic == nullptr) return audit_json;
  // Both texts are this program's own, valid UTF-8 JSON (their writers replace bad bytes).
  using json = nlohmann::ordered_json;
  json doc = json::parse(audit_json, nullptr, /*allow_exceptions=*/false);
  json watch_doc = json::parse(watch::WatchReportJson(*traffic), nullptr, false);
  if (doc.is_discarded() || watch_doc.is_discarded()) return audit_json;  // cannot happen
  doc["watch"] = std::move(watch_doc);
  return doc.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace clearbox::report
