// Fuzzes the watch packet path: link-layer to transport decoding, fragment reassembly, the
// DNS tracker (over UDP and TCP) and the flow table. Input: one byte picking the link type,
// then records, each a 2-byte big-endian length and that many bytes (the last record takes
// what is left), so that state across packets (fragments, TCP DNS streams, flows) is reached.
// Seeds include DNS over TCP split, out of order and sent again (dns-tcp-reorder.bin), so the
// stream reassembly is reached; its byte accounting is checked after every packet.
#include <cstddef>
#include <cstdint>

#include "clearbox/watch/capture.h"

using namespace clearbox;
using namespace clearbox::watch;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const uint32_t kLinks[] = {kLinkEthernet, kLinkRaw,  kLinkLinuxSll, kLinkLinuxSll2,
                                    kLinkNull,     kLinkLoop, kLinkIpv4,     kLinkIpv6};
  if (size < 1) return 0;
  uint32_t link = kLinks[data[0] % (sizeof kLinks / sizeof kLinks[0])];
  bool lie = data[0] & 0x80;  // claim a longer wire length (a snap-length cut)
  ByteView rest(data + 1, size - 1);
  FlowLimits limits;
  limits.max_flows = 64;
  FlowTable* table = nullptr;
  FlowTable flows(limits, [&](const Flow& f) { (void)FlowToJson(f, *table); });
  table = &flows;
  DnsTracker dns;
  PacketPipeline pipe(&flows, &dns, {}, 16);
  uint64_t number = 0;
  while (!rest.empty()) {
    size_t n = rest.size();
    if (rest.size() >= 2) {
      size_t want = LoadBE16(rest.data());
      if (want <= rest.size() - 2) {
        rest = rest.subspan(2);
        n = want;
      }
    }
    RawPacket p;
    p.number = ++number;
    p.ts_ns = int64_t(number) * 1'000'000'000;
    p.linktype = link;
    p.data = rest.first(n);
    p.caplen = uint32_t(n);
    p.len = uint32_t(lie ? n + 1000 : n);
    pipe.Process(p);
    for (const auto& note : pipe.notes()) (void)note.size();
    for (const auto& m : dns.tcp_messages()) (void)m.questions.size();
    // DNS-over-TCP reassembly accounting: within its caps, and nothing held without a stream
    // (an unbalanced count would wrap and show here).
    if (dns.tcp_bytes() > DnsTracker::kMaxTcpBytes + 2 * DnsTracker::kMaxTcpMessage * DnsTracker::kMaxTcpStreams ||
        dns.tcp_streams() > DnsTracker::kMaxTcpStreams || (dns.tcp_streams() == 0 && dns.tcp_bytes() != 0)) {
      __builtin_trap();
    }
    rest = rest.subspan(n);
  }
  flows.Flush();
  return 0;
}
