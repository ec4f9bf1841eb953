#!/usr/bin/env bash
# `clearbox watch` on real traffic: two network namespaces joined by a veth pair, a 'device'
# (tests/data/watch/netns_device.py, 192.0.2.10) talking to peers in the other namespace
# (netns_servers.py: DNS with a CNAME chain, TCP sinks, NTP-like UDP), captured there with
# tcpdump; then tests/watch_captures_test.sh judges the capture (every planted finding found,
# no decoy flagged). Needs root (ip netns); without it, or where namespaces cannot be made,
# it skips: the committed capture (tests/data/watch/netns.pcap) is still checked by
# watch_captures_test.sh. CLEARBOX_UPDATE_CAPTURES=1 copies the new capture over the
# committed one.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CLEARBOX=${CLEARBOX:?CLEARBOX: the clearbox binary}
source "$HERE/lib.sh"
DATA=$HERE/data/watch

for tool in ip tcpdump python3; do
  command -v $tool >/dev/null || fail "$tool not found (scripts/install-deps.sh)"
done
DEV=cbwd$$ NET=cbwn$$
if ! ip netns add "$DEV" 2>"$W/netns.err"; then
  echo "SKIP: cannot create a network namespace ($(head -c 200 "$W/netns.err")); the checks run on the committed captures in watch_captures_test"
  exit 0
fi
trap 'ip netns del "$DEV" 2>/dev/null || true; ip netns del "$NET" 2>/dev/null || true; cleanup' EXIT
ip netns add "$NET"
if ! ip link add "vd$$" type veth peer name "vn$$" 2>"$W/veth.err"; then
  echo "SKIP: cannot create a veth pair ($(head -c 200 "$W/veth.err")); the checks run on the committed captures in watch_captures_test"
  exit 0
fi
ip link set "vd$$" netns "$DEV"
ip link set "vn$$" netns "$NET"
for ns in "$DEV" "$NET"; do
  # IPv6 would add router solicitations and MLD reports: not this test's traffic.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip -n "$DEV" link set "vd$$" address 02:00:00:00:00:10
ip -n "$NET" link set "vn$$" address 02:00:00:00:00:01
ip -n "$DEV" addr add 192.0.2.10/24 dev "vd$$"
for a in 1 20 21 22 30 40 50 53 60; do ip -n "$NET" addr add "192.0.2.$a/24" dev "vn$$"; done
ip -n "$DEV" link set "vd$$" up
ip -n "$NET" link set "vn$$" up

ip netns exec "$NET" python3 "$DATA/netns_servers.py" "$W/servers.ready" &
PIDS+=($!)
for _ in $(seq 50); do [[ -s $W/servers.ready ]] && break; sleep 0.1; done
[[ -s $W/servers.ready ]] || fail "the peers did not start"

# Snap length 256: whole DNS and ICMP payloads, headers of the bulk transfers (keeps it small).
ip netns exec "$NET" tcpdump -i "vn$$" -n -s 256 -U -w "$W/netns.pcap" 2>"$W/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
for _ in $(seq 50); do grep -q "listening on" "$W/tcpdump.err" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$W/tcpdump.err" || fail "tcpdump did not start: $(cat "$W/tcpdump.err")"

# Decoy: a peer knocking on a closed port of the device (refused): a scan, not its traffic.
ip netns exec "$NET" python3 -c '
import socket
try: socket.create_connection(("192.0.2.10", 2323), timeout=2)
except OSError: pass'
ip netns exec "$DEV" python3 "$DATA/netns_device.py" || fail "the device script failed"
sleep 1.5  # tcpdump writes what the kernel still holds before it is stopped
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
size=$(stat -c %s "$W/netns.pcap")
echo "captured $size bytes: $(tail -n 3 "$W/tcpdump.err" | tr '\n' ' ')"
(( size > 10000 )) || fail "the capture is too small ($size bytes)"
(( size < 65536 )) || fail "the capture is $size bytes, over the 64 KiB kept in tests/data"
if [[ ${CLEARBOX_UPDATE_CAPTURES:-} == 1 ]]; then
  cp "$W/netns.pcap" "$DATA/netns.pcap"
  echo "updated $DATA/netns.pcap"
fi
if ! bash "$HERE/watch_captures_test.sh" "$W/netns.pcap"; then
  keep=${TMPDIR:-/tmp}/watch_netns_failed.pcap
  cp "$W/netns.pcap" "$keep"
  "$CLEARBOX" watch "$keep" --device 192.0.2.10 --mud "$DATA/netns.mud.json" >&2 || true
  fail "the checks on the fresh capture failed (kept in $keep)"
fi
echo "PASS: watch_netns_test"
