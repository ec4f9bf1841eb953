// libpcap input and the per-packet pipeline (include/clearbox/watch/capture.h).
#include "clearbox/watch/capture.h"

#include <fcntl.h>
#include <pcap/pcap.h>

#include <cerrno>
#include <cstdio>

namespace clearbox::watch {

namespace {

Status ApplyFilter(pcap_t* p, const std::string& filter, const std::string& source) {
  if (filter.empty()) return Status::Ok();
  bpf_program prog;
  if (pcap_compile(p, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    return Error::InvalidInput("filter '" + filter + "': " + pcap_geterr(p));
  }
  int rc = pcap_setfilter(p, &prog);
  pcap_freecode(&prog);
  if (rc != 0) return Error::InvalidInput(source + ": setting filter '" + filter + "': " + pcap_geterr(p));
  return Status::Ok();
}

}  // namespace

Capture::~Capture() {
  if (pcap_) pcap_close(pcap_);
}

Result<std::unique_ptr<Capture>> Capture::OpenFile(const std::string& path,
                                                   const CaptureOptions& options) {
  char err[PCAP_ERRBUF_SIZE] = {0};
  std::unique_ptr<Capture> c(new Capture);
  // libpcap reads records with fread: a 1 MiB stdio buffer instead of the default 4 KiB
  // makes reading a large file one read(2) per MiB (bench/README.md, watch).
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Error::FromErrno("open", path, errno);
  c->file_buffer_.reset(new char[1 << 20]);
  std::setvbuf(f, c->file_buffer_.get(), _IOFBF, 1 << 20);
  posix_fadvise(fileno(f), 0, 0, POSIX_FADV_SEQUENTIAL);
  // Both pcap and pcapng; nanosecond timestamps whatever the file's resolution.
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p) {
    std::fclose(f);
    return Error::InvalidInput(path + ": " + err);
  }
  c->pcap_ = p;
  c->source_ = path;
  CLEARBOX_RETURN_IF_ERROR(ApplyFilter(p, options.filter, path));
  return c;
}

Result<std::unique_ptr<Capture>> Capture::OpenLive(const std::string& interface,
                                                   const CaptureOptions& options) {
  char err[PCAP_ERRBUF_SIZE] = {0};
  pcap_t* p = pcap_create(interface.c_str(), err);
  if (!p) return Error::InvalidInput("interface " + interface + ": " + err);
  std::unique_ptr<Capture> c(new Capture);
  c->pcap_ = p;
  c->live_ = true;
  c->source_ = interface;
  pcap_set_snaplen(p, options.snaplen);
  pcap_set_promisc(p, options.promiscuous ? 1 : 0);
  pcap_set_buffer_size(p, options.buffer_bytes);
  pcap_set_immediate_mode(p, options.immediate ? 1 : 0);
  pcap_set_timeout(p, options.timeout_ms);
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);  // falls back to micro if refused
  int rc = pcap_activate(p);
  if (rc < 0) {
    std::string why = rc == PCAP_ERROR_PERM_DENIED ? "permission denied (capture needs root or CAP_NET_RAW)"
                      : rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface"
                                                        : pcap_geterr(p);
    return Error::InvalidInput("interface " + interface + ": " + why);
  }
  if (rc > 0) c->notes_.push_back("interface " + interface + ": " + pcap_statustostr(rc));
  CLEARBOX_RETURN_IF_ERROR(ApplyFilter(p, options.filter, interface));
  return c;
}

uint32_t Capture::linktype() const { return uint32_t(pcap_datalink(pcap_)); }

void Capture::Stop() {
  stop_ = true;
  if (pcap_) pcap_breakloop(pcap_);
}

Result<bool> Capture::Next(RawPacket* out) {
  for (;;) {
    if (stop_) return false;
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    int rc = pcap_next_ex(pcap_, &h, &data);
    if (rc == 1) {
      out->number = ++number_;
      bool nano = pcap_get_tstamp_precision(pcap_) == PCAP_TSTAMP_PRECISION_NANO;
      out->ts_ns = int64_t(h->ts.tv_sec) * 1'000'000'000 + int64_t(h->ts.tv_usec) * (nano ? 1 : 1000);
      out->caplen = h->caplen;
      out->len = h->len;
      out->linktype = uint32_t(pcap_datalink(pcap_));
      out->data = ByteView(data, h->caplen);
      return true;
    }
    if (rc == 0) continue;  // live: the timeout passed with no packet
    if (rc == PCAP_ERROR_BREAK) return false;  // end of file, or Stop()
    // A damaged file: libpcap cannot resynchronise after a bad record; keep what was read.
    std::string why = pcap_geterr(pcap_);
    if (live_) return Error::Io("interface " + source_ + ": " + why);
    notes_.push_back("packet " + std::to_string(number_ + 1) + ": truncated record: " + why +
                     "; the " + std::to_string(number_) + " packets before it were read");
    return false;
  }
}

Result<Capture::Stats> Capture::LiveStats() const {
  if (!live_) return Error::Unsupported(source_ + ": drop counts exist only for live captures");
  pcap_stat s{};
  if (pcap_stats(pcap_, &s) != 0) return Error::Io(source_ + ": pcap_stats: " + pcap_geterr(pcap_));
  Stats out;
  out.received = s.ps_recv;
  out.dropped = s.ps_drop;
  out.interface_dropped = s.ps_ifdrop;
  return out;
}

// ---- PacketPipeline -------------------------------------------------------------------------

PacketPipeline::PacketPipeline(FlowTable* flows, DnsTracker* dns, DeviceSelector device,
                               size_t max_notes)
    : flows_(flows), dns_(dns), device_(device), max_notes_(max_notes) {
  if (dns_) {
    // The device is the originator when it asked; names are those it resolved to the peer.
    names_ = [this](const IpAddress& orig, const IpAddress& resp) {
      return dns_->NamesFor(orig, resp, now_ns_);
    };
  }
}

void PacketPipeline::AddNote(std::string note) {
  if (notes_.size() < max_notes_) {
    notes_.push_back(std::move(note));
  } else {
    ++stats_.notes_dropped;
  }
}

void PacketPipeline::Process(const RawPacket& p) {
  ++stats_.packets;
  now_ns_ = p.ts_ns;
  bool ip = Decode(p.data, p.linktype, p.len, &d_);
  if (d_.anomaly == Anomaly::kSnapTruncated) {
    ++stats_.snap_truncated;
  } else if (d_.anomaly != Anomaly::kNone) {
    ++stats_.anomalies;
    AddNote(Note(p.number, d_));
  }
  if (!ip) {
    ++stats_.not_ip;
    return;
  }
  ++stats_.ip;
  if (!device_.empty() && !device_.Matches(d_)) return;
  ++stats_.selected;
  if (p.ts_ns - last_expire_ns_ > 1'000'000'000) {
    reassembler_.Expire(p.ts_ns);
    last_expire_ns_ = p.ts_ns;
  }
  if (d_.fragment == FragmentState::kFragment) {
    ++stats_.fragments;
    Anomaly before = d_.anomaly;
    bool done = reassembler_.Add(&d_, p.ts_ns);
    if (d_.anomaly != before && d_.anomaly != Anomaly::kNone) {
      ++stats_.anomalies;
      AddNote(Note(p.number, d_));
    }
    if (!done) return;
    ++stats_.reassembled;
  }
  if (dns_ && d_.has_transport && (d_.src_port == 53 || d_.dst_port == 53 ||
                                   d_.src_port == 5353 || d_.dst_port == 5353)) {
    dns_notes_.clear();
    dns_->OnPacket(p.number, p.ts_ns, d_, &dns_notes_);
    for (auto& n : dns_notes_) AddNote(std::move(n));
  }
  if (flows_) flows_->Add(p.number, p.ts_ns, d_, dns_ ? &names_ : nullptr);
}

}  // namespace clearbox::watch
