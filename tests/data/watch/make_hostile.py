#!/usr/bin/env python3
"""Writes the hostile captures the watch tests read (each a few KiB), into OUTDIR (default:
this folder). Each holds one or a few bad packets between good ones, so that a test can check
the bad one gets a note naming its number and the good ones after it are still decoded.
  lying.pcap          packet 2: IPv4 total length 65535 in a 60-byte record
  dns-loop.pcap       packet 2: DNS answer whose name is a compression pointer loop
  dns-past-end.pcap   packet 2: DNS answer with a pointer past the end of the message
  frag256.pcap        packets 1-256: 256 IPv4 fragments of one datagram
  ipv6-chain.pcap     packet 1: IPv6 with 1000 destination-options headers
"""
import os, struct, sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
MAC = bytes.fromhex("020000000001") + bytes.fromhex("020000000002")

def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff

def ipv4(src, dst, proto, payload, ident=1, frag=0, total=None):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total if total is not None else 20 + len(payload),
                    ident, frag, 64, proto, 0, bytes(src), bytes(dst))
    h = h[:10] + struct.pack(">H", csum(h)) + h[12:]
    return h + payload

def udp(sport, dport, data):
    return struct.pack(">HHHH", sport, dport, 8 + len(data), 0) + data

def eth(ip, ethertype=0x0800):
    return MAC + struct.pack(">H", ethertype) + ip

def write(name, frames, linktype=1):
    with open(os.path.join(out, name), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i * 1000, len(fr), len(fr)) + fr)

A, B = [192, 0, 2, 10], [198, 51, 100, 53]
good = eth(ipv4(A, B, 17, udp(40000, 9999, b"ok")))

lie = bytearray(eth(ipv4(A, B, 17, udp(40000, 9999, b"x" * 18))))
lie[16:18] = struct.pack(">H", 65535)
write("lying.pcap", [good, bytes(lie[:60]), good])

q = struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"\x03www\x07example\x03com\x00" + struct.pack(">HH", 1, 1)
loop = struct.pack(">HHHHHH", 7, 0x8180, 1, 1, 0, 0) + b"\x01a\xc0\x0c" + struct.pack(">HH", 1, 1)
loop += b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes(B)
write("dns-loop.pcap", [eth(ipv4(A, B, 17, udp(5555, 53, q))), eth(ipv4(B, A, 17, udp(53, 5555, loop))), good])
past = struct.pack(">HHHHHH", 7, 0x8180, 1, 1, 0, 0) + b"\x03www\x07example\x03com\x00" + struct.pack(">HH", 1, 1)
past += b"\xc3\xff" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes(B)
write("dns-past-end.pcap", [eth(ipv4(A, B, 17, udp(5555, 53, q))), eth(ipv4(B, A, 17, udp(53, 5555, past))), good])

data = udp(40000, 9999, bytes(range(256)) * 8)[: 256 * 8]
frags = [eth(ipv4(A, B, 17, data[i * 8:(i + 1) * 8], ident=99, frag=(0x2000 if i < 255 else 0) | i))
         for i in range(256)]
write("frag256.pcap", frags + [good])

chain = b"".join(struct.pack(">BB6s", 60, 0, b"\x01\x04\0\0\0\0") for _ in range(999))
chain += struct.pack(">BB6s", 17, 0, b"\x01\x04\0\0\0\0") + udp(40000, 9999, b"deep")
v6 = struct.pack(">IHBB16s16s", 0x60000000, len(chain), 60, 64, b"\x20\x01\x0d\xb8" + b"\0" * 11 + b"\1",
                 b"\x20\x01\x0d\xb8" + b"\0" * 11 + b"\2") + chain
write("ipv6-chain.pcap", [eth(v6, 0x86dd), good])
