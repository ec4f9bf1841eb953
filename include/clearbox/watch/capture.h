// Packet input through libpcap: pcap and pcapng files, and live interfaces; and the pipeline
// that runs decoded packets through fragment reassembly, the DNS tracker and the flow table.
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto cap, Capture::OpenFile("dump.pcapng", {}));
//   PacketPipeline pipe(&flows, &dns, selector);
//   RawPacket p;
//   while (cap->Next(&p).value_or(false)) pipe.Process(p);
//   for (auto& n : cap->notes()) ...  // "packet 1234: truncated record: ..."
//
// A damaged file (a record cut short, a record length beyond the snap length) ends the read
// with a note naming the packet; the packets before it are kept and checked.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/watch/dns.h"
#include "clearbox/watch/flow.h"
#include "clearbox/watch/packet.h"

struct pcap;  // libpcap's pcap_t, kept out of this header

namespace clearbox::watch {

struct CaptureOptions {
  std::string filter;            // BPF (pcap-filter(7)); empty: every packet
  int snaplen = 262144;          // live
  bool promiscuous = true;       // live
  // live: the kernel ring. With immediate mode off libpcap uses TPACKET_V3 (blocks of
  // packets packed by their captured length); immediate mode forces TPACKET_V2, one
  // snaplen-sized slot a packet, which holds only ~60 packets in 16 MiB at the default
  // snaplen and dropped 28% at 135 k packets/s on lo (bench/README.md, watch live).
  int buffer_bytes = 64 << 20;
  bool immediate = false;        // live: deliver each packet at once (costs drops, above)
  int timeout_ms = 200;          // live: how often Next() checks Stop(); the most a packet
                                 // waits in a V3 block before it is read
};

struct RawPacket {
  uint64_t number = 0;  // 1-based, as tshark's frame.number
  int64_t ts_ns = 0;
  uint32_t caplen = 0, len = 0;
  uint32_t linktype = 0;
  ByteView data;        // valid until the next Next()
};

class Capture {
 public:
  static Result<std::unique_ptr<Capture>> OpenFile(const std::string& path,
                                                   const CaptureOptions& options);
  static Result<std::unique_ptr<Capture>> OpenLive(const std::string& interface,
                                                   const CaptureOptions& options);
  ~Capture();

  // The next packet: true, or false at the end of the file (or after Stop() on a live
  // capture). A damaged record ends the file with a note (notes()), not an error.
  Result<bool> Next(RawPacket* out);
  // Makes a live capture's Next() return false (callable from a signal handler or a thread).
  void Stop();
  uint32_t linktype() const;
  const std::vector<std::string>& notes() const { return notes_; }

  struct Stats {
    uint64_t received = 0, dropped = 0, interface_dropped = 0;
  };
  // Live: the kernel's counts (pcap_stats). Files: an Unsupported error.
  Result<Stats> LiveStats() const;

 private:
  Capture() = default;
  ::pcap* pcap_ = nullptr;  // closed (with its FILE) before file_buffer_ is freed
  std::unique_ptr<char[]> file_buffer_;
  bool live_ = false;
  std::atomic<bool> stop_{false};
  uint64_t number_ = 0;
  std::string source_;
  std::vector<std::string> notes_;
};

struct PipelineStats {
  uint64_t packets = 0, ip = 0, not_ip = 0, selected = 0, anomalies = 0, fragments = 0,
           reassembled = 0, snap_truncated = 0, notes_dropped = 0;
};

// Decode -> device selection -> reassembly -> DNS tracker -> flow table, per packet. Notes on
// bad packets are kept up to `max_notes` (then counted in stats().notes_dropped). A packet cut
// by the snap length after complete headers is counted, not noted.
class PacketPipeline {
 public:
  PacketPipeline(FlowTable* flows, DnsTracker* dns, DeviceSelector device = {},
                 size_t max_notes = 1000);
  void Process(const RawPacket& p);
  const std::vector<std::string>& notes() const { return notes_; }
  const PipelineStats& stats() const { return stats_; }
  const DecodedPacket& last() const { return d_; }

 private:
  void AddNote(std::string note);
  FlowTable* flows_;
  DnsTracker* dns_;
  DeviceSelector device_;
  size_t max_notes_;
  Reassembler reassembler_;
  DecodedPacket d_;
  FlowTable::NamesFn names_;
  int64_t last_expire_ns_ = 0;
  int64_t now_ns_ = 0;
  std::vector<std::string> notes_;
  std::vector<std::string> dns_notes_;
  PipelineStats stats_;
};

}  // namespace clearbox::watch
