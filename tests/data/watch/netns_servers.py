#!/usr/bin/env python3
"""The peers of tests/watch_netns_test.sh, run in the 'network' namespace.

DNS on 192.0.2.1:53 (UDP): api.vendor.example is a CNAME chain to 192.0.2.20;
short.vendor.example has a 1-second TTL; node-N.pool.vendor.example are plain A records;
names under tunnel.example get a TXT answer; c2.beacon.net is 192.0.2.40; after answering ready.vendor.example it sends the
client an answer it did not ask for (another transaction id) naming 192.0.2.21
api.vendor.example. TCP sinks on 443, 8080, 8443, 853 (a request starting with GET gets
80 KiB back, others get 32 bytes); NTP-like UDP on 123 (48 bytes back).
Writes 'ready' to the file given as argv[1] once every socket listens.
"""
import socket
import struct
import sys
import threading


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_question(msg):
    i, labels = 12, []
    while msg[i]:
        n = msg[i]
        labels.append(msg[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    qtype, qclass = struct.unpack("!HH", msg[i + 1:i + 5])
    return ".".join(labels).lower(), qtype, msg[12:i + 5]


def rr(name, rtype, ttl, rdata):
    return encode_name(name) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def answer(txid, question_raw, records, rcode=0):
    head = struct.pack("!HHHHHH", txid, 0x8180 | rcode, 1, len(records), 0, 0)
    return head + question_raw + b"".join(records)


def a(ip):
    return socket.inet_aton(ip)


def dns_server():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("192.0.2.1", 53))
    while True:
        msg, peer = s.recvfrom(4096)
        if len(msg) < 17:
            continue
        txid = struct.unpack("!H", msg[:2])[0]
        name, qtype, qraw = parse_question(msg)
        if name == "api.vendor.example":
            recs = [rr(name, 5, 300, encode_name("edge.cdn.example.net")),
                    rr("edge.cdn.example.net", 1, 60, a("192.0.2.20"))]
        elif name == "short.vendor.example":
            recs = [rr(name, 1, 1, a("192.0.2.22"))]
        elif name.endswith(".pool.vendor.example"):
            recs = [rr(name, 1, 60, a("192.0.2.99"))]
        elif name.endswith(".tunnel.example"):
            recs = [rr(name, 16, 0, b"\x02ok")]
        elif name == "ready.vendor.example":
            recs = [rr(name, 1, 60, a("192.0.2.98"))]
        elif name == "c2.beacon.net":
            recs = [rr(name, 1, 300, a("192.0.2.40"))]
        else:
            s.sendto(answer(txid, qraw, [], rcode=3), peer)
            continue
        s.sendto(answer(txid, qraw, recs), peer)
        if name == "ready.vendor.example":
            # Unsolicited: a transaction id the client never used, for a name it never asked.
            q = encode_name("api.vendor.example") + struct.pack("!HH", 1, 1)
            s.sendto(answer(txid ^ 0x5a5a, q, [rr("api.vendor.example", 1, 300,
                                                  a("192.0.2.21"))]), peer)


def tcp_handler(conn):
    with conn:
        conn.settimeout(5)
        try:
            data = conn.recv(65536)
            if data.startswith(b"GET"):
                conn.sendall(b"F" * (80 * 1024))
                return
            conn.sendall(b"R" * 32)
            while conn.recv(65536):
                pass
        except OSError:
            pass


def tcp_server(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=tcp_handler, args=(conn,), daemon=True).start()


def ntp_server():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("192.0.2.50", 123))
    while True:
        msg, peer = s.recvfrom(512)
        s.sendto(b"\x24" + b"\0" * 47, peer)


def main():
    threads = [threading.Thread(target=dns_server, daemon=True),
               threading.Thread(target=ntp_server, daemon=True)]
    threads += [threading.Thread(target=tcp_server, args=(p,), daemon=True)
                for p in (443, 8080, 8443, 853)]
    for t in threads:
        t.start()
    import time
    time.sleep(0.5)
    with open(sys.argv[1], "w") as f:
        f.write("ready\n")
    threading.Event().wait()


if __name__ == "__main__":
    main()
