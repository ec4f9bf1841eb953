// Fuzzes `clearbox watch`'s own input handling: the --from-audit SARIF reader (first byte
// even), and the checks over hostile packets (first byte odd: the rest is a stream of records
// [2-byte length][that many bytes of an Ethernet frame], 0.25 s apart) through a Watcher
// with a small profile and the audit endpoints of the first mode's seed, then the JSON report
// and a MUD draft that must read back.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "clearbox/watch/watch.h"

using namespace clearbox;

namespace {

constexpr std::string_view kMud = R"json({
 "ietf-mud:mud": {"mud-version": 1, "mud-url": "https://vendor.example/f.json",
  "last-update": "2026-12-07T00:00:00+00:00", "is-supported": true,
  "from-device-policy": {"access-lists": {"access-list": [{"name": "f"}]}}},
 "ietf-access-control-list:acls": {"acl": [{"name": "f", "type": "ipv4-acl-type",
  "aces": {"ace": [{"name": "dns", "matches": {"ipv4": {"protocol": 17,
   "destination-ipv4-network": "192.0.2.1/32"}, "udp": {"destination-port":
   {"operator": "eq", "port": 53}}}, "actions": {"forwarding": "accept"}},
   {"name": "api", "matches": {"ipv4": {"protocol": 6, "ietf-acldns:dst-dnsname":
   "api.vendor.example"}, "tcp": {"ietf-mud:direction-initiated": "from-device"}},
   "actions": {"forwarding": "accept"}}]}}]}})json";

const watch::MudProfile& Mud() {
  static const auto* mud = [] {
    auto m = watch::ParseMud(kMud, "fuzz.mud.json");
    if (!m.ok()) std::abort();
    return new watch::MudProfile(*m);
  }();
  return *mud;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool packets = data[0] & 1;
  ++data, --size;
  if (!packets) {
    auto e = watch::ParseAuditEndpoints(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.sarif");
    if (e.ok()) {
      for (const auto& ep : *e) {
        if (ep.host.empty()) std::abort();  // a parsed endpoint always names a host
      }
    }
    return 0;
  }
  watch::WatchOptions o;
  o.device = *watch::DeviceSelector::Parse("192.0.2.10");
  o.audit_endpoints = {{"c2.beacon.net", "CB-NET-001", {{"fw!x", 1}}, false},
                       {"192.0.2.40", "CB-NET-001", {}, true}};
  o.params.volume_min_flows = 2;
  o.params.beacon_min_events = 3;
  o.params.tunnel_min_unique = 2;
  o.params.tunnel_min_suspicious = 1;
  o.flow_limits.max_flows = 64;
  watch::Watcher w(Mud(), o);
  watch::RawPacket p;
  p.linktype = watch::kLinkEthernet;
  size_t at = 0;
  for (uint64_t n = 1; at + 2 <= size && n <= 512; ++n) {
    size_t len = (size_t{data[at]} << 8) | data[at + 1];
    at += 2;
    len = std::min(len, size - at);
    p.number = n;
    p.ts_ns = 1'800'000'000'000'000'000LL + static_cast<int64_t>(n) * 250'000'000;
    p.caplen = p.len = static_cast<uint32_t>(len);
    p.data = ByteView(data + at, len);
    w.OnPacket(p);
    at += len;
  }
  watch::WatchReport r = w.Finish("fuzz.pcap");
  (void)watch::WatchReportJson(r);
  std::string draft = watch::SerializeMud(watch::DraftMud(r, "https://vendor.example/d.json"));
  if (auto back = watch::ParseMud(draft, "draft"); !back.ok()) {
    std::fprintf(stderr, "%s\n%s\n", back.error().message().c_str(), draft.c_str());
    std::abort();  // a draft must read back
  }
  return 0;
}
