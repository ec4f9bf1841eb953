// Traffic for bench/watch_live_bench.sh: small UDP datagrams to 127.0.0.1 at a target rate,
// sent in batches with sendmmsg(2), paced by the monotonic clock. A socket bound to the
// destination port takes them without reading (the kernel drops them when its buffer is full:
// no ICMP port unreachable doubles the traffic).
//   watch_live_traffic PORT FRAME_BYTES PACKETS_PER_SECOND SECONDS [raw]
// With `raw`, whole Ethernet frames (lo's zero MACs, IPv4, UDP) go out through a packet socket
// on lo bypassing the qdisc (PACKET_QDISC_BYPASS): the same packets on the wire, received by
// the same UDP socket, without the sender's UDP stack, so a small machine offers more of them.
// FRAME_BYTES is the Ethernet frame a packet would be (14 + 20 + 8 + payload), as a
// "128-byte frame" in a line-rate figure; on lo the captured record is the same length.
// Prints: sent PACKETS in SECONDS s: RATE packets/s, BITS bit/s (frame bytes).
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && !(argc == 6 && std::strcmp(argv[5], "raw") == 0)) {
    std::fprintf(stderr, "usage: %s PORT FRAME_BYTES PACKETS_PER_SECOND SECONDS [raw]\n", argv[0]);
    return 2;
  }
  const bool raw = argc == 6;
  const int port = std::atoi(argv[1]);
  const int frame = std::atoi(argv[2]);
  const double rate = std::atof(argv[3]);
  const double seconds = std::atof(argv[4]);
  const int payload = frame - 14 - 20 - 8;
  if (port <= 0 || port > 65535 || payload < 1 || payload > 1400 || rate <= 0 || seconds <= 0) {
    std::fprintf(stderr, "bad arguments (frame 43..1442 bytes)\n");
    return 2;
  }
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(uint16_t(port));
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int sink = socket(AF_INET, SOCK_DGRAM, 0);
  int rcvbuf = 4096;
  setsockopt(sink, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (bind(sink, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
    std::fprintf(stderr, "bind 127.0.0.1:%d: %s\n", port, std::strerror(errno));
    return 1;
  }
  int s = -1;
  std::vector<char> buf(size_t(payload), 'x');
  sockaddr_ll ll{};
  if (raw) {
    s = socket(AF_PACKET, SOCK_RAW, 0);  // protocol 0: this socket receives nothing
    int one = 1;
    setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    ll.sll_family = AF_PACKET;
    ll.sll_ifindex = int(if_nametoindex("lo"));
    ll.sll_halen = ETH_ALEN;
    // Ethernet (zero MACs, as lo) + IPv4 (checksummed: the receiver checks it) + UDP (no sum).
    std::vector<uint8_t> f(size_t(frame), 'x');
    std::memset(f.data(), 0, 14 + 20 + 8);
    f[12] = 0x08;
    uint8_t* ip = f.data() + 14;
    const int ip_len = frame - 14;
    ip[0] = 0x45;
    ip[2] = uint8_t(ip_len >> 8);
    ip[3] = uint8_t(ip_len);
    ip[6] = 0x40;  // DF
    ip[8] = 64;
    ip[9] = 17;
    ip[12] = ip[16] = 127;
    ip[15] = ip[19] = 1;
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += uint32_t(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = uint8_t(~sum >> 8);
    ip[11] = uint8_t(~sum);
    uint8_t* udp = ip + 20;
    udp[0] = uint8_t(40000 >> 8);
    udp[1] = uint8_t(40000 & 0xff);
    udp[2] = uint8_t(port >> 8);
    udp[3] = uint8_t(port);
    udp[4] = uint8_t((ip_len - 20) >> 8);
    udp[5] = uint8_t(ip_len - 20);
    buf.assign(f.begin(), f.end());
  } else {
    s = socket(AF_INET, SOCK_DGRAM, 0);
    if (connect(s, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
      std::fprintf(stderr, "connect: %s\n", std::strerror(errno));
      return 1;
    }
  }
  if (s < 0) {
    std::fprintf(stderr, "socket: %s\n", std::strerror(errno));
    return 1;
  }
  constexpr int kBatch = 32;
  iovec iov[kBatch];
  mmsghdr msgs[kBatch];
  std::memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < kBatch; ++i) {
    iov[i].iov_base = buf.data();
    iov[i].iov_len = buf.size();
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    if (raw) {
      msgs[i].msg_hdr.msg_name = &ll;
      msgs[i].msg_hdr.msg_namelen = sizeof ll;
    }
  }
  const double start = Now();
  const double end = start + seconds;
  uint64_t sent = 0;
  for (;;) {
    const double t = Now();
    if (t >= end) break;
    // Ahead of the schedule: wait (a short sleep keeps one core for the captures).
    const double due = (t - start) * rate;
    if (double(sent) >= due) {
      const double wait = (double(sent) - due) / rate;
      if (wait > 50e-6) {
        timespec ts{0, long(wait * 1e9)};
        nanosleep(&ts, nullptr);
      }
      continue;
    }
    int n = sendmmsg(s, msgs, kBatch, 0);
    if (n < 0) {
      if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED) continue;
      std::fprintf(stderr, "sendmmsg: %s\n", std::strerror(errno));
      return 1;
    }
    sent += uint64_t(n);
  }
  const double took = Now() - start;
  std::printf("sent %llu in %.3f s: %.0f packets/s, %.0f bit/s (%d-byte frames)\n",
              (unsigned long long)sent, took, double(sent) / took,
              double(sent) / took * frame * 8, frame);
  close(s);
  close(sink);
  return 0;
}
