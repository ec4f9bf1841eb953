#!/usr/bin/env python3
"""Loopback traffic for tests/data/watch/capture_lo.sh: a DNS responder on 127.0.0.1:53
(UDP and TCP) and a client that asks it, then the TCP, UDP and fragmented exchanges the
watch tests read back. The responder answers www.example.com with a CNAME chain
(www.example.com -> edge.cdn.example.net -> A 127.0.0.1) using compression pointers, and
tcp.example.org over TCP with A 127.0.0.2."""
import socket, struct, threading, time

def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"

def query(qid, qname, qtype=1):
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + name(qname) + struct.pack(">HH", qtype, 1)

def answer(q):
    qid, = struct.unpack(">H", q[:2])
    qname_end = q.index(b"\0", 12) + 5
    qname = q[12:qname_end - 4]
    labels, i = [], 0
    while qname[i]:
        labels.append(qname[i + 1:i + 1 + qname[i]].decode()); i += 1 + qname[i]
    asked = ".".join(labels)
    body = q[12:qname_end]
    if asked == "www.example.com":
        # CNAME: target edge.cdn.example.net, written out; then A for it via a pointer.
        cname_rdata = name("edge.cdn.example.net")
        rr1 = b"\xc0\x0c" + struct.pack(">HHIH", 5, 1, 300, len(cname_rdata)) + cname_rdata
        target_off = 12 + len(body) + 12  # where the CNAME's RDATA starts
        rr2 = struct.pack(">H", 0xC000 | target_off) + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([127, 0, 0, 1])
        return struct.pack(">HHHHHH", qid, 0x8180, 1, 2, 0, 0) + body + rr1 + rr2
    rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 120, 4) + bytes([127, 0, 0, 2])
    return struct.pack(">HHHHHH", qid, 0x8180, 1, 1, 0, 0) + body + rr

def udp_server(sock):
    for _ in range(1):
        q, addr = sock.recvfrom(512)
        sock.sendto(answer(q), addr)

def tcp_server(sock):
    c, _ = sock.accept()
    n, = struct.unpack(">H", c.recv(2))
    q = c.recv(n)
    a = answer(q)
    c.sendall(struct.pack(">H", len(a)) + a)
    c.close()

def app_server(sock):
    c, _ = sock.accept()
    data = c.recv(100)
    c.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello " + data)
    c.close()

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 53))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(("127.0.0.1", 53)); t.listen()
a = socket.socket(); a.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); a.bind(("127.0.0.1", 8080)); a.listen()
ths = [threading.Thread(target=f, args=(s,)) for f, s in ((udp_server, u), (tcp_server, t), (app_server, a))]
for th in ths: th.start()

socket.setdefaulttimeout(3)
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.sendto(query(0x1234, "www.example.com"), ("127.0.0.1", 53)); c.recvfrom(512)
tc = socket.create_connection(("127.0.0.1", 53))
q = query(0x4321, "tcp.example.org"); tc.sendall(struct.pack(">H", len(q)) + q)
tc.recv(512); tc.close()
time.sleep(0.1)
s = socket.create_connection(("127.0.0.1", 8080)); s.sendall(b"GET / HTTP/1.0\r\n\r\n"); s.recv(200); s.close()
try:
    socket.create_connection(("127.0.0.1", 9), timeout=1)
except OSError:
    pass
f = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); f.sendto(bytes(range(256)) * 12, ("127.0.0.1", 9999))
try:
    f6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); f6.sendto(bytes(range(256)) * 12, ("::1", 9999))
except OSError:
    pass
# ICMP and ICMPv6 echo (no ping on a minimal Debian): the kernel answers both.
def echo(family, proto, typ, dest):
    r = socket.socket(family, socket.SOCK_RAW, proto)
    body = struct.pack(">BBHHH", typ, 0, 0, 0x77, 1) + b"clearbox"
    if family == socket.AF_INET:
        s = sum(struct.unpack(">%dH" % (len(body) // 2), body)); s = (s >> 16) + (s & 0xffff); s += s >> 16
        body = body[:2] + struct.pack(">H", ~s & 0xffff) + body[4:]
    r.sendto(body, (dest, 0)); r.recv(200)
echo(socket.AF_INET, socket.IPPROTO_ICMP, 8, "127.0.0.1")
echo(socket.AF_INET6, socket.IPPROTO_ICMPV6, 128, "::1")
for th in ths: th.join(timeout=2)
