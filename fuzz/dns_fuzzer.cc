// Fuzzes the DNS message parser (names, compression pointers, RDATA of every type, EDNS) and
// the tracker: the input is parsed as a message; when it parses, it is fed to the tracker as
// a query and then, with the QR bit set, as the matching response, so that CNAME chains and
// TTLs in hostile answers are followed.
#include <cstddef>
#include <cstdint>

#include "clearbox/watch/dns.h"

using namespace clearbox;
using namespace clearbox::watch;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView msg(data, size);
  auto m = ParseDnsMessage(msg);
  for (size_t off = 12; off < size && off < 64; off += 7) {
    size_t o = off;
    (void)ReadDnsName(msg, &o);
  }
  if (!m.ok()) {
    (void)m.error().message();
    return 0;
  }
  DnsTracker dns;
  IpAddress client = *IpAddress::Parse("192.0.2.1");
  DnsMessage q = *m;
  q.response = false;
  dns.OnQuery(client, 5353, q, 1);
  DnsMessage r = *m;
  r.response = true;
  dns.OnResponse(client, 5353, r, 2);
  for (const auto& rr : r.answers) (void)dns.NamesFor(client, rr.address, 3);
  return 0;
}
