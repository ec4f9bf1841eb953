// SARIF 2.1.0 of `clearbox watch` (report/watch.h).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "clearbox/core/digest.h"
#include "clearbox/core/utc_time.h"
#include "clearbox/report/watch.h"
#include "sarif_common.h"

namespace clearbox::report {
namespace {

using json = nlohmann::ordered_json;
using internal::PascalName;
using internal::SecuritySeverity;

std::string Time(int64_t ns) { return FormatUtcMicros(ns >= 0 ? ns / 1000 : (ns - 999) / 1000); }

std::string Proto(uint8_t p) {
  switch (p) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return "icmpv6";
    default: return fmt::format("proto {}", p);
  }
}

json FlowJson(const watch::FlowEvidence& e) {
  json j = {{"first", Time(e.first_ns)}, {"last", Time(e.last_ns)}, {"orig_h", e.orig_h},
            {"orig_p", e.orig_p},        {"resp_h", e.resp_h},     {"resp_p", e.resp_p},
            {"proto", Proto(e.proto)},   {"orig_bytes", e.orig_bytes},
            {"resp_bytes", e.resp_bytes}, {"packets", e.packets}};
  if (!e.uid.empty()) j["uid"] = e.uid;
  if (!e.names.empty()) j["names"] = e.names;
  if (!e.note.empty()) j["note"] = e.note;
  return j;
}

std::string Packets(const watch::WatchFinding& f) {
  std::vector<uint64_t> all;
  for (const watch::FlowEvidence& e : f.flows) all.insert(all.end(), e.packets.begin(), e.packets.end());
  if (all.empty()) return "";
  return fmt::format("packet{} {}", all.size() == 1 ? "" : "s", fmt::join(all, ", "));
}

// What stays the same when the same behaviour is captured again.
std::string Fingerprint(const watch::WatchFinding& f) {
  std::string key = f.check_id + "\n" + f.peer;
  for (const char* k : {"direction", "protocol", "port", "icmp_type", "ace"}) {
    if (auto it = f.facts.find(k); it != f.facts.end()) key += "\n" + it->second;
  }
  return Sha256Hex(ByteView(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
}

std::string Uri(std::string_view s) { return ProvenanceUri(s); }

// The capture's file name without its directories ("netns.pcap"), or the interface.
std::string CaptureName(const std::string& capture) {
  size_t slash = capture.rfind('/');
  return slash == std::string::npos ? capture : capture.substr(slash + 1);
}

}  // namespace

audit::Severity ToAuditSeverity(watch::WatchSeverity s) {
  return static_cast<audit::Severity>(static_cast<int>(s));
}

namespace internal {

json WatchSarifRun(const watch::WatchReport& r, const SarifOptions& options) {
  json rules = json::array();
  std::map<std::string, size_t> rule_index;
  for (const watch::WatchCheckInfo& c : watch::WatchChecks()) {
    rule_index.emplace(c.id, rules.size());
    rules.push_back(internal::SarifRule({c.id, c.title, c.rationale, c.remediation,
                                         ToAuditSeverity(c.severity), "watch.md", "traffic"},
                                        options));
  }
  json results = json::array();
  for (const watch::WatchFinding& f : r.findings) {
    audit::Severity sev = ToAuditSeverity(f.severity);
    json locations = json::array();
    std::string packets = Packets(f);
    // A packet has no byte offset SARIF could point at (pcapng blocks, a live capture): the
    // capture and peer are a logical location, the packet numbers its message.
    std::string peer = f.peer.empty() ? "device" : f.peer;
    locations.push_back(
        {{"logicalLocations",
          json::array({{{"name", peer},
                        {"fullyQualifiedName", CaptureName(r.capture) + "/" + peer},
                        {"kind", "resource"}}})},
         {"message", {{"text", packets.empty() ? CaptureName(r.capture)
                                               : CaptureName(r.capture) + ": " + packets}}}});
    for (const watch::ImageLocation& where : f.image_locations) {
      if (!where.byte_offset) continue;
      locations.push_back(
          {{"physicalLocation",
            {{"artifactLocation", {{"uri", Uri(where.uri)}}},
             {"region", {{"byteOffset", *where.byte_offset}}}}},
           {"message", {{"text", where.uri}}}});
    }
    json flows = json::array();
    for (const watch::FlowEvidence& e : f.flows) flows.push_back(FlowJson(e));
    json props = {{"severity", audit::SeverityName(sev)},
                  {"peer", f.peer},
                  {"flowCount", f.flow_count},
                  {"flows", std::move(flows)}};
    for (const auto& [k, v] : f.facts) props["facts"][k] = v;
    json result = {{"ruleId", f.check_id}};
    if (auto it = rule_index.find(f.check_id); it != rule_index.end()) {
      result["ruleIndex"] = it->second;
    }
    result["level"] = SarifLevel(sev);
    result["message"] = {{"text", f.message + (packets.empty() ? "" : " [" + packets + "]")}};
    result["locations"] = std::move(locations);
    result["partialFingerprints"] = {{"clearbox-watch/v1", Fingerprint(f)}};
    result["properties"] = std::move(props);
    results.push_back(std::move(result));
  }
  json run = {
      {"tool",
       {{"driver",
         {{"name", "clearbox"},
          {"fullName", "clearbox watch " + options.tool_version},
          {"version", options.tool_version},
          {"semanticVersion", options.tool_version},
          {"informationUri", options.docs_base_uri + "watch.md"},
          {"rules", std::move(rules)}}}}},
      // One category per device, so that two devices' alerts do not close each other's.
      {"automationDetails", {{"id", "clearbox-watch/" + r.device + "/"}}},
      {"results", std::move(results)},
      {"properties",
       {{"capture", CaptureName(r.capture)},
        {"device", r.device},
        {"deviceAddresses", r.device_ips},
        {"mudUrl", r.mud_url},
        {"packets", r.stats.packets},
        {"flows", r.flows},
        {"declaredFlows", r.declared_flows},
        {"notes", r.notes}}}};
  return run;
}

}  // namespace internal

std::string WatchSarifJson(const watch::WatchReport& r, const SarifOptions& options) {
  json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({internal::WatchSarifRun(r, options)})}};
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace clearbox::report
