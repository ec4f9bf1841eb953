// DNS messages (RFC 1035, EDNS per RFC 6891) and the per-device record of what names
// resolved to which addresses, for matching a peer against a MUD profile's DNS names.
//
//   Result<DnsMessage> m = ParseDnsMessage(udp_payload);
//   if (!m.ok()) note("packet 7: " + m.error().message());  // names the offset
//
//   DnsTracker dns;
//   dns.OnPacket(number, ts_ns, decoded, &notes);          // queries and matching answers
//   std::vector<std::string> names = dns.NamesFor(device_ip, peer_ip, ts_ns);
//
// The parser reads hostile bytes: compression pointers are followed at most kMaxDnsPointers
// times and only backwards (a loop, or a pointer at or past the end, is an error naming the
// offset), labels are at most 63 bytes, names at most 255, record counts are capped.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <string>
#include <unordered_map>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/watch/packet.h"

namespace clearbox::watch {

inline constexpr int kMaxDnsPointers = 32;      // compression jumps in one name
inline constexpr size_t kMaxDnsRecords = 512;   // per section
inline constexpr uint16_t kDnsA = 1, kDnsNs = 2, kDnsCname = 5, kDnsPtr = 12, kDnsNull = 10,
                          kDnsTxt = 16, kDnsAaaa = 28, kDnsOpt = 41;

struct DnsQuestion {
  std::string name;  // lower case, no trailing dot; "" for the root
  uint16_t type = 0;
  uint16_t klass = 0;
  bool operator==(const DnsQuestion&) const = default;
};

struct DnsRecord {
  std::string name;
  uint16_t type = 0;
  uint16_t klass = 0;
  uint32_t ttl = 0;
  IpAddress address;              // A, AAAA
  std::string target;             // CNAME, NS, PTR: the name, decompressed
  std::vector<std::string> txt;   // TXT: the character-strings
  Bytes rdata;                    // other types (NULL, ...): the raw RDATA
};

struct DnsMessage {
  uint16_t id = 0;
  bool response = false;
  uint8_t opcode = 0;
  uint8_t rcode = 0;  // with the EDNS extended bits when an OPT record is present
  bool truncated = false;  // TC
  std::vector<DnsQuestion> questions;
  std::vector<DnsRecord> answers, authority, additional;  // OPT is not listed here
  std::optional<uint16_t> edns_udp_size;
  uint8_t edns_version = 0;
  bool edns_do = false;
};

// Parses one DNS message (a UDP payload, or a TCP message without its 2-byte length).
Result<DnsMessage> ParseDnsMessage(ByteView msg);

// Reads a (possibly compressed) domain name at `*offset` of `msg`; advances *offset past it.
Result<std::string> ReadDnsName(ByteView msg, size_t* offset);

// Remembers, per device (the querier's address), which names resolved to which addresses,
// from responses that answer a query the device itself sent (same transaction id, question
// and port pair): an unsolicited or spoofed answer teaches nothing. A CNAME chain counts for
// the name first asked: asking a.example that is a CNAME of b.cdn.net with A 192.0.2.7 gives
// 192.0.2.7 -> {"a.example"}. Entries expire with their TTL (the smallest along the chain).
// Memory is bounded: kMaxPending queries, kMaxEntries (address, name) pairs in all.
//
// DNS over TCP: each direction of a connection that began with a SYN is reassembled by
// sequence number into (2-byte length, message) units: segments may come out of order, be
// sent again (whole or overlapping), or split a message or its length anywhere. Where copies
// of a byte differ, the one that joins the stream in order first is read (a copy held past a
// hole is trimmed to what is still missing when the hole is filled). Bytes ahead of a hole are held up to kMaxTcpStreamBytes a direction
// and kMaxTcpBytes in all; past either, or on a segment cut by the snap length, the stream is
// dropped with a note naming the packet, as is a stream that ends (FIN, RST) with a hole.
class DnsTracker {
 public:
  static constexpr size_t kMaxPending = 4096;
  static constexpr size_t kMaxEntries = 200000;
  static constexpr int64_t kQueryTimeoutNs = 30'000'000'000;
  static constexpr int kMaxCnameChain = 16;
  static constexpr size_t kMaxTcpMessage = 65535 + 2;
  static constexpr size_t kMaxTcpStreams = 256;  // DNS-over-TCP streams held at once
  static constexpr size_t kMaxTcpStreamBytes = 2 * kMaxTcpMessage;  // held by one direction
  static constexpr size_t kMaxTcpBytes = 8u << 20;                  // held by all streams
  static constexpr int64_t kTcpIdleNs = 120'000'000'000;  // a stream idle this long may go

  // Looks at one decoded packet: UDP or TCP port 53 (and 5353). Appends notes on bad DNS
  // (naming the packet) to *notes when notes != nullptr.
  void OnPacket(uint64_t number, int64_t ts_ns, const DecodedPacket& d,
                std::vector<std::string>* notes);
  // The same for a parsed message, from `client` (the device) to `server` or back.
  void OnQuery(const IpAddress& client, uint16_t client_port, const DnsMessage& m, int64_t ts_ns);
  void OnResponse(const IpAddress& client, uint16_t client_port, const DnsMessage& m,
                  int64_t ts_ns);

  // The names `device` resolved to `peer` that are still within their TTL at `now_ns`,
  // sorted; empty when none.
  std::vector<std::string> NamesFor(const IpAddress& device, const IpAddress& peer,
                                    int64_t now_ns) const;
  size_t entries() const { return entries_; }
  size_t pending() const { return pending_.size(); }
  // DNS over TCP: streams held, and bytes held by them (partial messages, bytes past holes).
  size_t tcp_streams() const { return tcp_.size(); }
  size_t tcp_bytes() const { return tcp_bytes_; }
  // The messages (parsed) that the last OnPacket call, for packet `tcp_messages_packet()`,
  // completed from a TCP stream, in stream order; empty when it completed none.
  const std::vector<DnsMessage>& tcp_messages() const { return tcp_messages_; }
  uint64_t tcp_messages_packet() const { return tcp_messages_packet_; }

 private:
  struct PendingKey {
    IpAddress client;
    uint16_t port;
    uint16_t id;
    bool operator<(const PendingKey& o) const {
      return std::tie(client, port, id) < std::tie(o.client, o.port, o.id);
    }
  };
  struct Pending {
    DnsQuestion question;
    int64_t ts_ns;
  };
  struct TcpStream {
    uint32_t isn = 0;       // the SYN's sequence number
    uint32_t next_seq = 0;  // the sequence number of the next byte in order
    uint64_t next_off = 0;  // ... and its offset in the stream
    Bytes buf;              // bytes in order not yet a whole message
    std::map<uint64_t, Bytes> ahead;  // segments past a hole, by stream offset
    size_t ahead_bytes = 0;
    std::optional<uint64_t> fin_off;  // where the FIN is, once seen
    int64_t last_ns = 0;
  };
  using TcpKey = std::tuple<IpAddress, uint16_t, IpAddress, uint16_t>;
  using TcpMap = std::map<TcpKey, TcpStream>;
  void OnTcpSegment(uint64_t number, int64_t ts_ns, const DecodedPacket& d,
                    std::vector<std::string>* notes);
  void DropTcp(TcpMap::iterator it);
  void DeliverTcp(uint64_t number, int64_t ts_ns, const DecodedPacket& d, TcpStream& s,
                  std::vector<std::string>* notes);
  void ExpirePending(int64_t now_ns);
  void Purge(int64_t now_ns);
  void AddEntry(const IpAddress& device, const IpAddress& peer, const std::string& name,
                int64_t expiry_ns);
  void OnMessage(uint64_t number, int64_t ts_ns, const DecodedPacket& d, ByteView payload,
                 std::vector<std::string>* notes, std::vector<DnsMessage>* keep = nullptr);

  std::map<PendingKey, Pending> pending_;
  // device -> peer -> name -> expiry
  std::unordered_map<IpAddress, std::unordered_map<IpAddress, std::map<std::string, int64_t>,
                                                   IpAddressHash>, IpAddressHash> names_;
  size_t entries_ = 0;
  int64_t last_purge_ns_ = 0;
  TcpMap tcp_;
  size_t tcp_bytes_ = 0;  // buf and ahead of every stream
  std::vector<DnsMessage> tcp_messages_;
  uint64_t tcp_messages_packet_ = 0;
};

}  // namespace clearbox::watch
