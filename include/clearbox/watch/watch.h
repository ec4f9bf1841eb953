// `clearbox watch`: one device's traffic judged against its declared behaviour (an RFC 8520
// MUD profile), with findings that carry flow evidence (docs/watch.md).
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto cap, watch::Capture::OpenFile("dump.pcap", {}));
//   watch::WatchOptions options;
//   CLEARBOX_ASSIGN_OR_RETURN(options.device, watch::DeviceSelector::Parse("192.0.2.10"));
//   CLEARBOX_ASSIGN_OR_RETURN(watch::WatchReport r, watch::WatchCapture(*cap, mud, options));
//   for (const watch::WatchFinding& f : r.findings) ...  // worst first
//
// The checks (ids CB-WATCH-0xx, WatchChecks()): flows no ACE allows (001), DNS over HTTPS/TLS
// to a resolver the profile does not declare (002), DNS tunnelling (010), beaconing (011),
// data in ICMP echo payloads (012), upload volume outliers against the device's own flows
// (013), and endpoints hard-coded in the image (from an audit's SARIF) that the profile does
// not declare (020). Memory is bounded: per-peer state is capped (WatchParams) and flows are
// folded into groups as they leave the flow table.
//
// Thread-safety: a Watcher is used by one thread; the functions are pure.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/watch/capture.h"
#include "clearbox/watch/flow.h"
#include "clearbox/watch/mud.h"

namespace clearbox::watch {

// Ordered like audit::Severity (a larger value is worse); the report module maps one to the
// other (watch sits below audit and does not use it).
enum class WatchSeverity { kInfo, kLow, kMedium, kHigh, kCritical };
std::string_view WatchSeverityName(WatchSeverity s);  // "info" ... "critical"

// One flow as evidence: what an operator needs to find it in Wireshark.
struct FlowEvidence {
  std::string uid;  // the flow's Zeek-like uid, as in --flows
  int64_t first_ns = 0, last_ns = 0;
  std::string orig_h, resp_h;  // originator (who sent the first packet / SYN) and responder
  uint16_t orig_p = 0, resp_p = 0;
  uint8_t proto = 0;
  uint64_t orig_bytes = 0, resp_bytes = 0;  // transport payload bytes
  uint32_t orig_pkts = 0, resp_pkts = 0;
  std::vector<uint64_t> packets;  // packet numbers (tshark's frame.number), the first few
  std::vector<std::string> names;  // DNS names the device had resolved to the peer
  std::string conn_state;          // Zeek's
  std::string note;                // check-specific: "query a3f9...tunnel.example TXT"
};

// Where an audit saw an endpoint in the image: its artifact URI, decoded
// ("fw.bin!squashfs:/etc/init.d/agent"), and the byte offset of the line when it gave one.
struct ImageLocation {
  std::string uri;
  std::optional<uint64_t> byte_offset;
  bool operator==(const ImageLocation&) const = default;
};

struct WatchFinding {
  std::string check_id;  // "CB-WATCH-001"
  WatchSeverity severity = WatchSeverity::kInfo;
  std::string message;   // one sentence for a person
  std::string peer;      // the peer address or name the finding is about ("" none)
  std::vector<FlowEvidence> flows;  // at most WatchParams::max_evidence
  uint64_t flow_count = 0;          // all flows (or events) behind the finding
  // Check-specific figures, for JSON/SARIF properties ("score": "0.93", ...): sorted keys.
  std::map<std::string, std::string> facts;
  std::vector<ImageLocation> image_locations;  // where an audit saw the endpoint (020)
};

// What WatchReport::findings is sorted by: worst first, check id, peer, first time.
bool WatchFindingBefore(const WatchFinding& a, const WatchFinding& b);

// The checks, for reports (rules) and documentation.
struct WatchCheckInfo {
  std::string id, title;
  WatchSeverity severity = WatchSeverity::kInfo;  // the default; some findings differ
  std::string rationale, remediation;
};
const std::vector<WatchCheckInfo>& WatchChecks();

// The knobs of the checks; the defaults are the documented ones (docs/watch.md).
struct WatchParams {
  size_t max_evidence = 5;  // flows listed per finding
  // Beaconing (011): a pair (peer address, protocol, peer port) with at least
  // beacon_min_events connection starts whose score reaches beacon_threshold.
  size_t beacon_min_events = 6;
  double beacon_threshold = 0.8;
  int64_t beacon_burst_gap_ns = 500'000'000;  // UDP/ICMP: packets closer than this are one event
  size_t beacon_max_pairs = 100'000, beacon_max_events = 20'000;
  // DNS tunnelling (010), per parent domain (the name's last two labels, three under a
  // two-letter country code with a short second label: co.uk, com.au).
  size_t tunnel_min_unique = 10;        // unique subdomains under the parent
  size_t tunnel_min_suspicious = 5;     // queries with a long or high-entropy subdomain
  size_t tunnel_long_label = 40;        // a label at least this long is "long"
  size_t tunnel_entropy_min_length = 20;  // entropy is judged on subdomains this long
  double tunnel_entropy_bits = 3.5;     // Shannon bits per character of the subdomain
  size_t tunnel_min_txt_null = 20;      // TXT/NULL queries (with tunnel_min_unique)
  size_t tunnel_max_parents = 100'000;
  // ICMP (012): echo payload bytes past the first icmp_free_prefix (a timestamp) that
  // follow no ping pattern.
  size_t icmp_free_prefix = 16;
  // Volume (013): a flow whose upload is at least volume_min_bytes and volume_factor times
  // the device's median upload per flow, and over the median by volume_mad_k scaled MADs
  // (log2); needs volume_min_flows flows for a baseline.
  uint64_t volume_min_bytes = 64 * 1024;
  double volume_factor = 16.0;
  double volume_mad_k = 6.0;
  size_t volume_min_flows = 10;
};

// An endpoint an audit found hard-coded in the image (CB-NET-001 or CB-PLEDGE-004 results of
// `clearbox audit --format sarif`).
struct AuditEndpoint {
  std::string host;              // lower case: a name or an address
  std::string rule;              // the audit rule that reported it
  std::vector<ImageLocation> locations;
  bool in_program_strings = false;     // only seen in a program's strings
};
inline constexpr size_t kMaxAuditSarifBytes = size_t{256} << 20;
inline constexpr size_t kMaxAuditEndpoints = 100'000;
// Reads the endpoints of an audit SARIF log. Errors: kInvalidInput naming `name` and the JSON
// path (not JSON, not SARIF 2.1.0, a result of wrong shape); results of other rules are
// skipped; an endpoint only in a message text is not one the box calls and is skipped.
Result<std::vector<AuditEndpoint>> ParseAuditEndpoints(std::string_view sarif,
                                                       std::string_view name);

struct WatchOptions {
  DeviceSelector device;  // required: whose traffic is judged
  MudEnv env;
  WatchParams params;
  FlowLimits flow_limits;
  std::vector<AuditEndpoint> audit_endpoints;  // --from-audit
  // Every flow as it leaves the table (--flows): FlowToJson(f, table).
  std::function<void(const Flow&, const FlowTable&)> flow_sink;
};

// A flow folded for the MUD draft: one per (direction, peer, protocol, peer port).
struct ObservedPeer {
  bool from_device = true;       // the device initiated
  std::string peer_ip;
  std::vector<std::string> names;  // names the device resolved to it (any flow)
  uint8_t proto = 0;
  // The responder's port: the peer's when the device initiated, the device's own otherwise;
  // ICMP: the initiator's type.
  uint16_t port = 0;
  uint64_t flows = 0;
};

struct WatchReport {
  std::string capture;     // the file or interface
  std::string device;      // as given
  std::string mud_url;
  std::vector<std::string> device_ips;  // addresses seen for the device
  std::vector<WatchFinding> findings;   // sorted by WatchFindingBefore
  std::vector<std::string> notes;       // capture and decode notes ("packet 7: ...")
  PipelineStats stats;
  uint64_t flows = 0, declared_flows = 0;
  int64_t first_ns = 0, last_ns = 0;
  std::vector<ObservedPeer> observed;   // sorted; for DraftMud
};

class Watcher {
 public:
  Watcher(const MudProfile& mud, WatchOptions options);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;
  void OnPacket(const RawPacket& p);
  // Flushes the flows and runs the checks over what was seen. Call once.
  WatchReport Finish(std::string capture_name);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads every packet of `capture` through a Watcher (until Next() returns false).
Result<WatchReport> WatchCapture(Capture& capture, std::string_view capture_name,
                                 const MudProfile& mud, const WatchOptions& options);

// The plain JSON report (docs/watch.md): device, capture, stats, findings with evidence.
std::string WatchReportJson(const WatchReport& r);

// A MUD profile drafted from what the device did (`watch mud-from-traffic`): one accept ACE
// per peer (by the name it resolved, else its address), protocol and port; TCP with its
// direction-initiated. A draft for a vendor to start from, not a policy to trust as is.
MudProfile DraftMud(const WatchReport& r, std::string_view mud_url);

}  // namespace clearbox::watch
