#!/usr/bin/env bash
# Regenerates retrans.pcap (needs root): a real kernel TCP connection with retransmissions.
# Three network namespaces, sender 10.77.1.1 -> router -> receiver 10.77.2.2. The router's
# link to the receiver is a token bucket with a short queue (tbf), which drops the sender's
# bursts; tcpdump runs on the router's link to the sender, so the capture holds both the
# segments dropped further on and their retransmissions. The sender sends 200000 bytes and
# the receiver answers 10000: what Zeek reports as orig_bytes and resp_bytes.
#   tests/data/watch/capture_retrans.sh [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
A=cbra$$ R=cbrr$$ B=cbrb$$
cleanup() { for ns in $A $R $B; do ip netns del "$ns" 2>/dev/null || true; done; }
trap cleanup EXIT
for ns in $A $R $B; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add "ra$$" netns "$R" type veth peer name "ar$$" netns "$A"
ip link add "rb$$" netns "$R" type veth peer name "br$$" netns "$B"
ip -n "$A" addr add 10.77.1.1/24 dev "ar$$"
ip -n "$R" addr add 10.77.1.254/24 dev "ra$$"
ip -n "$R" addr add 10.77.2.254/24 dev "rb$$"
ip -n "$B" addr add 10.77.2.2/24 dev "br$$"
for l in "$A ar$$" "$R ra$$" "$R rb$$" "$B br$$"; do
  set -- $l
  # One MSS per packet on the wire (no TSO super-packets), as on a real link.
  ip -n "$1" link set "$2" gso_max_segs 1 2>/dev/null || true
  ip -n "$1" link set "$2" up
done
ip -n "$A" route add default via 10.77.1.254
ip -n "$B" route add default via 10.77.2.254
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
for ns in $A $R $B; do ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
ip netns exec "$R" tc qdisc add dev "rb$$" root tbf rate 8mbit burst 3000 limit 6000

ip netns exec "$B" python3 - <<'EOF' &
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.2.2", 5001)); s.listen(1); s.settimeout(20)
c, _ = s.accept(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
assert n == 200000, n
c.sendall(b"r" * 10000); c.close()
EOF
server=$!
sleep 0.5
ip netns exec "$R" tcpdump -i "ra$$" -n -s 80 -U -w "$out/retrans.pcap" 2>"$out/.tcpdump.err" &
dump=$!
for _ in $(seq 50); do grep -q "listening on" "$out/.tcpdump.err" 2>/dev/null && break; sleep 0.1; done
ip netns exec "$A" python3 - <<'EOF'
import socket
c = socket.create_connection(("10.77.2.2", 5001), timeout=20)
c.sendall(bytes(range(256)) * 781 + bytes(64)); c.shutdown(socket.SHUT_WR)
n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
assert n == 10000, n
c.close()
EOF
wait "$server"
sleep 1
kill -INT "$dump"; wait "$dump" || true
rm -f "$out/.tcpdump.err"
echo "retransmissions: $(tshark -r "$out/retrans.pcap" -Y tcp.analysis.retransmission 2>/dev/null | wc -l)"
ls -l "$out/retrans.pcap"
