// Flows: a bidirectional table keyed by the 5-tuple, with Zeek conn.log-like records.
//
//   FlowTable flows(FlowLimits{}, [&](const Flow& f) { out << FlowToJson(f, flows) << '\n'; });
//   flows.Add(number, ts_ns, decoded, responder_names);   // per decoded packet
//   flows.Flush();                                         // at the end: every flow left
//
// The originator is the side that sent the first packet, or for TCP the SYN sender (a flow
// first seen by its SYN-ACK is turned round). A flow leaves the table (to the sink) when idle
// past its timeout: 5 s after a TCP close or reset, 60 s for UDP/ICMP and unanswered TCP,
// 300 s for established TCP. Memory is bounded by FlowLimits::max_flows: past it the flow
// idle longest is evicted early. A flow costs about 190 bytes; no per-packet allocation.
//
// TCP bytes are counted as Zeek counts them (TCP_Endpoint::Size): from sequence numbers, the
// highest sequence number a side sent or had acknowledged minus its initial one (64-bit, so
// wrap-around is followed), less one for the SYN and one for a FIN. A retransmitted byte is
// thus counted once, and bytes the capture missed but the peer acknowledged are counted.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/watch/packet.h"

namespace clearbox::watch {

// TCP events seen on a flow (Flow::tcp).
inline constexpr uint16_t kSeenOrigSyn = 1, kSeenRespSynAck = 2, kSeenOrigFin = 4,
                          kSeenRespFin = 8, kSeenOrigRst = 16, kSeenRespRst = 32,
                          kSeenRespSyn = 64, kSeenOrigSynAck = 128;
// internal: the side's initial sequence number is known (Flow::orig_isn / resp_isn).
inline constexpr uint16_t kOrigSeqKnown = 256, kRespSeqKnown = 512;

struct Flow {
  IpAddress orig_h, resp_h;
  uint16_t orig_p = 0, resp_p = 0;  // ICMP: type and the counterpart type (or code), as Zeek
  uint8_t proto = 0;
  uint8_t list = 0;        // internal: the timeout class
  uint16_t tcp = 0;        // kSeen* bits
  uint32_t orig_pkts = 0, resp_pkts = 0;
  // internal, TCP: each side's initial sequence number (for a side whose SYN was not seen,
  // one before its first byte, as Zeek). Here with `names` to fill what would be padding.
  uint32_t orig_isn = 0, resp_isn = 0;
  uint32_t names = 0;  // internal: index of the responder's DNS names (0 = none known)
  // Transport payload bytes; TCP: the sequence space each side covered (as Zeek, above).
  uint64_t orig_bytes = 0, resp_bytes = 0;
  uint64_t orig_ip_bytes = 0, resp_ip_bytes = 0;  // IP datagram bytes
  int64_t first_ns = 0, last_ns = 0;
  uint64_t uid = 0;
  uint64_t first_packets[3] = {0, 0, 0};  // packet numbers of the first packets (0 = none)
  // internal: the timeout list
  uint32_t prev = 0, next = 0;
  int64_t queued_ns = 0;
  // TCP: payload bytes sent again at or below the highest sequence number already sent or
  // acknowledged (retransmissions, and out-of-order segments that fill a hole, as Zeek's
  // history 'T'). Not in Zeek's conn.log; FlowToJson writes them as retrans_bytes.
  uint64_t orig_retrans_bytes = 0, resp_retrans_bytes = 0;
  // internal, TCP: the highest sequence number each side sent or had acknowledged, relative
  // to its *_isn (64-bit: wrap-around is followed).
  uint64_t orig_seq_high = 0, resp_seq_high = 0;

  // Zeek conn_state: S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH.
  std::string_view ConnState() const;
  std::string Uid() const;  // "C" + 11 base62 characters (Zeek: "C" + base62)
};

struct FlowLimits {
  size_t max_flows = 1'200'000;
  int64_t closed_timeout_ns = 5'000'000'000;
  int64_t idle_timeout_ns = 60'000'000'000;          // UDP, ICMP, other, unanswered TCP
  int64_t established_timeout_ns = 300'000'000'000;  // TCP after the handshake
};

class FlowTable {
 public:
  using Sink = std::function<void(const Flow&)>;
  explicit FlowTable(FlowLimits limits = {}, Sink sink = nullptr);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Accounts one decoded packet (IP with transport, or reassembled; fragments are skipped).
  // `responder_names`, called only when the packet starts a new flow, gives the DNS names
  // the device resolved to the responder (may be null).
  using NamesFn = std::function<std::vector<std::string>(const IpAddress& orig,
                                                         const IpAddress& resp)>;
  void Add(uint64_t number, int64_t ts_ns, const DecodedPacket& d, const NamesFn* names = nullptr);
  // Hands flows idle past their timeout at `now_ns` to the sink.
  void Expire(int64_t now_ns);
  // Hands every flow to the sink (end of capture), oldest first.
  void Flush();

  size_t size() const { return count_; }
  size_t evicted_early() const { return evicted_early_; }  // pushed out by max_flows
  uint64_t total_flows() const { return next_uid_; }
  const std::vector<std::string>& ResponderNames(const Flow& f) const;

 private:
  Flow& At(uint32_t i) { return chunks_[i >> kChunkBits][i & kChunkMask]; }
  uint32_t Find(const DecodedPacket& d, uint16_t sport, uint16_t dport, uint64_t hash) const;
  uint32_t NewFlow();
  void Emit(uint32_t i);
  void Unlink(uint32_t i);
  void PushBack(uint32_t i, uint8_t list, int64_t now);
  void Grow();
  void EraseSlot(size_t slot);
  uint64_t HashOf(const Flow& f) const;

  // 4096 flows (768 KiB) a chunk: small tables stay small, big ones grow without copying.
  static constexpr uint32_t kChunkBits = 12, kChunkMask = (1u << kChunkBits) - 1;
  FlowLimits limits_;
  Sink sink_;
  std::vector<std::unique_ptr<Flow[]>> chunks_;
  std::vector<uint32_t> free_;   // free flow indices (index 0 is never used)
  uint32_t allocated_ = 1;
  std::vector<uint32_t> slots_;  // open addressing, linear probing: flow index or 0
  size_t count_ = 0;
  uint32_t head_[3] = {0, 0, 0}, tail_[3] = {0, 0, 0};
  size_t evicted_early_ = 0;
  uint64_t next_uid_ = 0;
  std::vector<std::vector<std::string>> name_sets_{{}};
  std::unordered_map<std::string, uint32_t> name_set_index_;
};

// One Zeek conn.log-like JSON object (no newline): ts, uid, id.orig_h, id.orig_p, id.resp_h,
// id.resp_p, proto, duration, orig_bytes, resp_bytes, conn_state, orig_pkts, orig_ip_bytes,
// resp_pkts, resp_ip_bytes, and clearbox's first_packets, resp_names and, for TCP with
// retransmissions, retrans_bytes ([orig, resp]).
std::string FlowToJson(const Flow& f, const FlowTable& table);

// Which device's traffic to keep: by MAC (either Ethernet address) or IP (either end).
struct DeviceSelector {
  std::optional<MacAddress> mac;
  std::optional<IpAddress> ip;
  // "aa:bb:cc:dd:ee:ff", "192.0.2.7" or "2001:db8::7".
  static Result<DeviceSelector> Parse(std::string_view text);
  bool empty() const { return !mac && !ip; }
  bool Matches(const DecodedPacket& d) const;
};

}  // namespace clearbox::watch
