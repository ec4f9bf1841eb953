// The `watch` packet path end to end, as a driver with its own main (like leveldb's db_bench):
// reads a pcap/pcapng with libpcap, decodes every packet, reassembles, tracks DNS and keeps the
// flow table, and writes each flow's JSON line to --flows FILE (default: nowhere). Prints
// packets, flows, wall seconds and packets/s. bench/watch_bench.sh runs it beside tshark and
// tcpdump; peak RSS comes from GNU time around it.
//   watch_decode_benchmark FILE [--filter BPF] [--flows OUT] [--max-flows N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "clearbox/watch/capture.h"

using namespace clearbox;
using namespace clearbox::watch;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [--filter BPF] [--flows OUT] [--max-flows N]\n", argv[0]);
    return 2;
  }
  CaptureOptions opt;
  const char* flows_out = nullptr;
  FlowLimits limits;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--filter")) opt.filter = argv[i + 1];
    else if (!std::strcmp(argv[i], "--flows")) flows_out = argv[i + 1];
    else if (!std::strcmp(argv[i], "--max-flows")) limits.max_flows = std::stoul(argv[i + 1]);
  }
  auto t0 = std::chrono::steady_clock::now();
  auto cap = Capture::OpenFile(argv[1], opt);
  if (!cap.ok()) {
    std::fprintf(stderr, "%s\n", cap.error().message().c_str());
    return 1;
  }
  FILE* out = flows_out ? std::fopen(flows_out, "w") : nullptr;
  uint64_t flow_count = 0;
  size_t peak_flows = 0;
  FlowTable* table = nullptr;
  FlowTable flows(limits, [&](const Flow& f) {
    ++flow_count;
    if (out) {
      std::string line = FlowToJson(f, *table);
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), out);
    }
  });
  table = &flows;
  DnsTracker dns;
  PacketPipeline pipe(&flows, &dns);
  RawPacket p;
  while ((*cap)->Next(&p).value_or(false)) {
    pipe.Process(p);
    if ((p.number & 0xffff) == 0 && flows.size() > peak_flows) peak_flows = flows.size();
  }
  if (flows.size() > peak_flows) peak_flows = flows.size();
  flows.Flush();
  if (out) std::fclose(out);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const PipelineStats& st = pipe.stats();
  std::printf("packets %llu ip %llu flows %llu peak_flows %zu evicted_early %zu notes %zu seconds %.3f pps %.0f\n",
              (unsigned long long)st.packets, (unsigned long long)st.ip,
              (unsigned long long)flow_count, peak_flows, flows.evicted_early(),
              pipe.notes().size() + (*cap)->notes().size(), s, double(st.packets) / s);
  return 0;
}
