// Fuzzes the RFC 8520 MUD parser (watch/mud.h): ParseMud and ParseMudFromPledge on every
// input; a profile that parses must serialize to JSON that parses back to the same profile,
// and the matcher runs over it with flows that exercise each match kind.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "clearbox/watch/mud.h"

using namespace clearbox;

namespace {

void Exercise(const watch::MudProfile& p) {
  std::string text = watch::SerializeMud(p);
  // Indentation can take a compact profile near the size limit over it; below, the writer
  // and the parser must agree exactly.
  if (text.size() <= watch::kMaxMudBytes) {
    Result<watch::MudProfile> again = watch::ParseMud(text, "serialized");
    if (!again.ok() || !(*again == p)) abort();
  }

  watch::MudEnv env;
  env.local_networks = {"100.64.0.0/10"};
  env.controllers.push_back({"", {"192.0.2.1", "ctl.example"}});
  env.controllers.push_back({"urn:ietf:params:mud:dns", {"2001:db8::53"}});
  env.peer_mud_urls.push_back({"192.0.2.9", "https://vendor.example/x"});
  watch::MudFlow f;
  f.peer_names = {"fw-update.luminaire.example.com", "a.pool.ntp.org", "ctl.example"};
  f.device_mac = "00:11:22:33:44:55";
  f.peer_mac = "01:00:5e:00:00:fb";
  for (const char* ip : {"192.0.2.1", "192.0.2.9", "10.0.0.7", "2001:db8::53", "fe80::1", "x"}) {
    for (uint8_t proto : {1, 6, 17, 58}) {
      for (auto dir : {watch::MudFlow::Direction::kFromDevice, watch::MudFlow::Direction::kToDevice}) {
        f.peer_ip = ip;
        f.protocol = proto;
        f.direction = dir;
        f.device_port = 40000;
        f.peer_port = 443;
        f.icmp_type = 128;
        f.initiator = watch::MudFlow::Initiator::kDevice;
        (void)p.Match(f, env);
        f.peer_port = 5683;
        f.initiator = watch::MudFlow::Initiator::kPeer;
        (void)p.Match(f, env);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Result<watch::MudProfile> p = watch::ParseMud(text, "fuzz.json");
  if (p.ok()) {
    Exercise(*p);
  } else {
    (void)p.error().message();
  }
  Result<watch::MudProfile> q = watch::ParseMudFromPledge(text, "pledge.json");
  if (q.ok()) Exercise(*q);
  return 0;
}
