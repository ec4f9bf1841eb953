#!/usr/bin/env bash
# `clearbox watch --interface lo`: a live capture sees the packets sent while it runs and
# prints libpcap's counts at the end (received, dropped by the kernel, by the interface).
# Needs root (live capture); skips without it.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CLEARBOX=${CLEARBOX:?CLEARBOX: the clearbox binary}
source "$HERE/lib.sh"
if [[ $(id -u) != 0 ]]; then
  echo "SKIP: live capture needs root"
  exit 0
fi
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$W/lo.mud.json" <<JSON
{"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://test.invalid/lo.json",
  "last-update": "2026-01-01T00:00:00Z", "is-supported": true, "systeminfo": "test",
  "from-device-policy": {"access-lists": {"access-list": [{"name": "out"}]}},
  "to-device-policy": {"access-lists": {"access-list": [{"name": "in"}]}}},
 "ietf-access-control-list:acls": {"acl": [
  {"name": "out", "type": "ipv4-acl-type", "aces": {"ace": [{"name": "udp",
   "matches": {"ipv4": {"protocol": 17}, "udp": {"destination-port": {"operator": "eq", "port": $PORT}}},
   "actions": {"forwarding": "accept"}}]}},
  {"name": "in", "type": "ipv4-acl-type", "aces": {"ace": [{"name": "udp",
   "matches": {"ipv4": {"protocol": 17}, "udp": {"source-port": {"operator": "eq", "port": $PORT}}},
   "actions": {"forwarding": "accept"}}]}}]}}
JSON
"$CLEARBOX" watch --interface lo --device 127.0.0.1 --mud "$W/lo.mud.json" \
  --filter "udp and dst port $PORT" --duration 3 --format json -o "$W/report.json" \
  --fail-on critical 2> "$W/err" &
CB=$!
PIDS+=($CB)
sleep 1
python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(50): s.sendto(b'x' * 20, ('127.0.0.1', int(sys.argv[1])))" "$PORT"
wait "$CB" || fail "clearbox watch exited $?: $(cat "$W/err")"
line=$(grep "clearbox: live capture on lo: " "$W/err") || fail "no drop count printed: $(cat "$W/err")"
[[ $line =~ :\ ([0-9]+)\ packets\ received,\ ([0-9]+)\ dropped\ by\ the\ kernel,\ ([0-9]+)\ dropped\ by\ the\ interface ]] \
  || fail "unexpected count line: $line"
# Loopback packets reach libpcap twice (out and in; it discards the outgoing copy).
(( BASH_REMATCH[1] >= 50 )) || fail "libpcap received ${BASH_REMATCH[1]} packets, 50 were sent: $line"
(( BASH_REMATCH[2] == 0 )) || fail "drops at 50 packets: $line"
seen=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["packets"])' "$W/report.json")
[[ $seen == 50 ]] || fail "clearbox read $seen packets, 50 were sent"
echo "PASS: watch_live_test ($line)"
