#!/usr/bin/env python3
"""Writes a synthetic Ethernet pcap for bench/watch_bench.sh, fast (about 10 s per GB).

  make_pcap.py traffic OUT SIZE_MB   a mix like an office uplink: per session a DNS query and
                                     answer (UDP), then a TCP connection (handshake, 1-40 data
                                     segments of 1448 bytes with ACKs, FIN/ACK close); every
                                     8th session is a UDP exchange instead; 64k clients,
                                     about 35 packets and 830 bytes a packet per flow
  make_pcap.py flows OUT COUNT       COUNT TCP flows opened (SYN, SYN-ACK) and left open within
                                     20 s of capture time: all live at once in the flow table
No checksums are computed (nothing here checks them)."""
import random, struct, sys

ETH = bytes.fromhex("020000000002020000000001")
PAYLOAD = bytes(random.Random(1).getrandbits(8) for _ in range(1448))

def ip4(i):
    return struct.pack(">I", i)

class Writer:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 22)
        self.f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        self.ts = 1_700_000_000_000_000  # microseconds
        self.bytes = 24
        self.packets = 0

    def tcp(self, src, dst, sp, dp, seq, ack, flags, plen, step=20):
        ip = struct.pack(">BBHHHBBH", 0x45, 0, 40 + plen, 0, 0x4000, 64, 6, 0) + src + dst
        tcp = struct.pack(">HHIIBBHHH", sp, dp, seq & 0xffffffff, ack & 0xffffffff, 0x50, flags, 65535, 0, 0)
        self.frame(ETH + b"\x08\x00" + ip + tcp + PAYLOAD[:plen], step)

    def udp(self, src, dst, sp, dp, data, step=20):
        ip = struct.pack(">BBHHHBBH", 0x45, 0, 28 + len(data), 0, 0x4000, 64, 17, 0) + src + dst
        self.frame(ETH + b"\x08\x00" + ip + struct.pack(">HHHH", sp, dp, 8 + len(data), 0) + data, step)

    def frame(self, fr, step):
        self.ts += step
        n = len(fr)
        self.f.write(struct.pack("<IIII", self.ts // 1_000_000, self.ts % 1_000_000, n, n) + fr)
        self.bytes += 16 + n
        self.packets += 1

def dns_pair(w, client, resolver, sport, qid, name, addr):
    qn = b"".join(bytes([len(l)]) + l for l in name.split(b".")) + b"\0"
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qn + b"\0\1\0\1"
    a = struct.pack(">HHHHHH", qid, 0x8180, 1, 1, 0, 0) + qn + b"\0\1\0\1"
    a += b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + addr
    w.udp(client, resolver, sport, 53, q)
    w.udp(resolver, client, 53, sport, a)

def traffic(path, size_mb):
    w = Writer(path)
    rng = random.Random(7)
    resolver = ip4(0x0A000001)
    limit = size_mb << 20
    s = 0
    while w.bytes < limit:
        s += 1
        client = ip4(0x0A010000 + (s & 0xffff))
        server_i = 0xC6336400 + rng.randrange(4096)
        server = ip4(server_i)
        sport = 1024 + (s * 7) % 60000
        dns_pair(w, client, resolver, sport ^ 0x8000, s & 0xffff, b"host%d.example.com" % (server_i & 0xfff), server)
        if s % 8 == 0:
            for _ in range(4):
                w.udp(client, server, sport, 443, PAYLOAD[:1200])
                w.udp(server, client, 443, sport, PAYLOAD[:1200])
            continue
        cs, ss = rng.getrandbits(32), rng.getrandbits(32)
        w.tcp(client, server, sport, 443, cs, 0, 0x02, 0)
        w.tcp(server, client, 443, sport, ss, cs + 1, 0x12, 0)
        w.tcp(client, server, sport, 443, cs + 1, ss + 1, 0x10, 0)
        w.tcp(client, server, sport, 443, cs + 1, ss + 1, 0x18, 300)
        off = 0
        for k in range(rng.randrange(1, 40)):
            w.tcp(server, client, 443, sport, ss + 1 + off, cs + 301, 0x10, 1448, 5)
            off += 1448
            if k % 2:
                w.tcp(client, server, sport, 443, cs + 301, ss + 1 + off, 0x10, 0, 5)
        w.tcp(client, server, sport, 443, cs + 301, ss + 1 + off, 0x11, 0)
        w.tcp(server, client, 443, sport, ss + 1 + off, cs + 302, 0x11, 0)
        w.tcp(client, server, sport, 443, cs + 302, ss + 2 + off, 0x10, 0)
    w.f.close()
    print(f"{path}: {w.packets} packets, {w.bytes} bytes, {s} sessions")

def flows(path, count):
    w = Writer(path)
    server = ip4(0xC6336401)
    for i in range(count):
        client = ip4(0x0A000000 + i // 50000 * 65536 + i % 50000 + 1)
        sport = 10000 + i % 50000
        w.tcp(client, server, sport, 443, i, 0, 0x02, 0, 5)
        w.tcp(server, client, 443, sport, i * 3, i + 1, 0x12, 0, 5)
    w.f.close()
    print(f"{path}: {w.packets} packets, {w.bytes} bytes, {count} flows")

if __name__ == "__main__":
    mode, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    traffic(out, n) if mode == "traffic" else flows(out, n)
