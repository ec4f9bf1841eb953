// Packet decoding: link layer to transport, as a pure function over captured bytes.
//
// Decode() reads Ethernet (802.1Q/802.1ad tags), Linux cooked capture (SLL, SLL2), raw IP,
// IPv4 (options), IPv6 (extension-header chain), TCP, UDP, ICMP and ICMPv6. Every length is
// checked against the captured bytes; a header that lies (an IPv4 total length of 65535 in a
// 60-byte record) or a record cut by the snap length is not an error but an Anomaly on the
// result, which Note() turns into text naming the packet. Nothing here allocates: the result
// points into the caller's buffer, so the hot path (one call per packet) stays allocation-free.
//
//   DecodedPacket d;
//   Decode(bytes, kLinkEthernet, orig_len, &d);
//   if (d.anomaly != Anomaly::kNone) notes.push_back(Note(number, d));
//   if (d.fragment == FragmentState::kFragment) reassembler.Add(d, ts, &d);  // packet.h
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"

namespace clearbox::watch {

// Link types as libpcap's pcap_datalink() reports them (DLT_*), and the file LINKTYPE_RAW.
inline constexpr uint32_t kLinkNull = 0;        // BSD loopback: 4-byte host-order family
inline constexpr uint32_t kLinkEthernet = 1;    // DLT_EN10MB
inline constexpr uint32_t kLinkRaw = 12;        // DLT_RAW on Linux
inline constexpr uint32_t kLinkRawBsd = 14;     // DLT_RAW on OpenBSD
inline constexpr uint32_t kLinkRawFile = 101;   // LINKTYPE_RAW
inline constexpr uint32_t kLinkLoop = 108;      // DLT_LOOP: 4-byte network-order family
inline constexpr uint32_t kLinkLinuxSll = 113;  // DLT_LINUX_SLL
inline constexpr uint32_t kLinkIpv4 = 228;      // DLT_IPV4
inline constexpr uint32_t kLinkIpv6 = 229;      // DLT_IPV6
inline constexpr uint32_t kLinkLinuxSll2 = 276; // DLT_LINUX_SLL2

// An IPv4 or IPv6 address: IPv4 in the first 4 bytes, the rest zero.
struct IpAddress {
  uint8_t family = 0;  // 0 (none), 4 or 6
  std::array<uint8_t, 16> bytes{};

  static IpAddress V4(const uint8_t* p);
  static IpAddress V6(const uint8_t* p);
  // "192.0.2.1" or "2001:db8::1"; an InvalidInput error naming the text otherwise.
  static Result<IpAddress> Parse(std::string_view text);
  std::string ToString() const;  // inet_ntop form
  bool operator==(const IpAddress&) const = default;
  auto operator<=>(const IpAddress&) const = default;
};
struct IpAddressHash {
  size_t operator()(const IpAddress& a) const;
};

using MacAddress = std::array<uint8_t, 6>;
// "aa:bb:cc:dd:ee:ff" (also with '-'); an InvalidInput error otherwise.
Result<MacAddress> ParseMac(std::string_view text);
std::string MacToString(const MacAddress& mac);

// What was wrong with a packet. The first anomaly met is kept; decoding stops at it or, for
// a truncation, decodes what was captured.
enum class Anomaly : uint8_t {
  kNone,
  kTruncatedLink,       // the record ends inside the link-layer header
  kTruncatedIp,         // ... inside the IP header
  kBadIpVersion,        // IPv4 header with version != 4, or IHL < 5
  kIpLengthExceedsRecord,  // IP total/payload length larger than the captured record
  kIpLengthTooShort,    // IPv4 total length below its header length
  kTruncatedTransport,  // the record ends inside the TCP/UDP/ICMP header
  kBadTransportLength,  // TCP data offset < 5, UDP length < 8
  kExtensionChainTooLong,  // more IPv6 extension headers than kMaxIpv6ExtensionHeaders
  kTooManyVlanTags,     // more than kMaxVlanTags 802.1Q/802.1ad tags
  kSnapTruncated,       // caplen < len: the payload is cut (headers were complete)
  kUnsupportedLink,     // a link type the decoder does not read
  kFragmentOverlap,     // reassembly: a fragment overlapping another with different bytes
  kFragmentLimit,       // reassembly: too many fragments (one datagram), datagrams or bytes
  kFragmentTooLarge,    // reassembly: offset + length beyond 65535
};
std::string_view AnomalyName(Anomaly a);

enum class FragmentState : uint8_t {
  kNone,         // not fragmented
  kFragment,     // one fragment: transport fields not decoded, `payload` is the IP payload
  kReassembled,  // a datagram rebuilt from fragments (by Reassembler)
};

// TCP flag bits as in the header.
inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08,
                         kTcpAck = 0x10, kTcpUrg = 0x20;
inline constexpr uint8_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmpv6 = 58;

inline constexpr int kMaxVlanTags = 8;
inline constexpr int kMaxIpv6ExtensionHeaders = 16;

// The decoded view of one packet. Plain data; views point into the decoded buffer.
struct DecodedPacket {
  bool has_mac = false;
  MacAddress src_mac{}, dst_mac{};
  uint8_t vlan_count = 0;
  uint16_t vlan = 0;       // outermost VLAN id
  uint16_t ethertype = 0;  // after the tags (0x0800, 0x86dd, ...)

  uint8_t ip_version = 0;  // 0: no IP decoded
  IpAddress src, dst;
  uint8_t protocol = 0;    // transport protocol (after IPv6 extension headers)
  uint8_t ttl = 0;         // TTL / hop limit
  uint32_t ip_length = 0;  // IP datagram length as the header claims it

  FragmentState fragment = FragmentState::kNone;
  uint32_t frag_id = 0;      // IPv4 identification or IPv6 fragment id
  uint32_t frag_offset = 0;  // bytes
  bool more_fragments = false;

  bool has_transport = false;
  uint16_t src_port = 0, dst_port = 0;  // TCP/UDP
  uint8_t tcp_flags = 0;
  uint32_t seq = 0, ack = 0;
  uint16_t window = 0;
  uint8_t icmp_type = 0, icmp_code = 0;

  ByteView payload;             // transport payload as captured (may be cut by snaplen)
  uint32_t payload_length = 0;  // the payload length the headers claim

  Anomaly anomaly = Anomaly::kNone;
  uint32_t anomaly_offset = 0;  // byte offset in the record where the problem is
  uint64_t anomaly_claimed = 0; // what a header claimed (a length), when that is the problem
  uint64_t anomaly_available = 0;  // what the record holds

  // TCP/UDP/ICMP reached?
  bool ok() const { return has_transport; }
};

// Decodes `data` (the captured bytes, caplen = data.size()) of link type `linktype`; `wire_len`
// is the original length (pcap `len`; 0 = same as caplen). Resets *out first. Returns true
// when an IP header was decoded (with or without transport).
bool Decode(ByteView data, uint32_t linktype, uint32_t wire_len, DecodedPacket* out);

// Decodes the transport header of `protocol` from an IP payload into *out (used for
// reassembled datagrams; Decode calls it too). `base` is the payload's offset in the record.
void DecodeTransport(uint8_t protocol, ByteView ip_payload, uint32_t claimed_length,
                     uint32_t base, DecodedPacket* out);

// "packet 12: IP length exceeds record: header claims 65535 bytes, record holds 40 (offset 14)"
std::string Note(uint64_t packet_number, const DecodedPacket& d);

// IPv4/IPv6 fragment reassembly with bounded memory: at most `max_datagrams` in progress,
// `max_fragments` per datagram, `max_bytes` held in all; a datagram not completed within
// `timeout_ns` is dropped. Overlaps: a fragment that overlaps bytes already held with the same
// content is accepted; with different content the datagram is dropped (kFragmentOverlap)
// rather than guessing which copy the receiver kept (the Teardrop / evasion case).
struct ReassemblyLimits {
  size_t max_datagrams = 1024;
  size_t max_fragments = 128;
  size_t max_bytes = 16u << 20;
  int64_t timeout_ns = 30'000'000'000;
};

class Reassembler {
 public:
  explicit Reassembler(ReassemblyLimits limits = {});
  ~Reassembler();
  Reassembler(const Reassembler&) = delete;
  Reassembler& operator=(const Reassembler&) = delete;

  // Feeds a fragment (d->fragment == kFragment). When it completes a datagram, rewrites *d as
  // the reassembled packet (fragment = kReassembled, transport decoded, payload pointing into
  // a buffer owned by the Reassembler, valid until the next Add) and returns true. Sets
  // d->anomaly on overlap or a limit (and drops that datagram).
  bool Add(DecodedPacket* d, int64_t ts_ns);
  // Drops datagrams older than the timeout.
  void Expire(int64_t now_ns);
  size_t pending() const;
  size_t bytes_held() const;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace clearbox::watch
