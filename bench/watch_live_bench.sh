#!/usr/bin/env bash
# Live capture: `clearbox watch --interface lo` and `tcpdump -i lo -w /dev/null` side by side
# on the same generated traffic (bench/watch_live_traffic.cc: small UDP datagrams to
# 127.0.0.1 at a target rate, sendmmsg), both with the same BPF filter (only the generator's
# packets count, whatever else runs on lo). Prints packets offered, packets each saw, and
# libpcap's drop counts. Needs root (live capture).
#   bench/watch_live_bench.sh [BUILD_DIR] [--rate PPS] [--seconds S] [--frame BYTES]
#                             [--port PORT] [--socket]
# By default the generator writes whole frames to lo through a packet socket (qdisc bypassed:
# the capture sockets see each packet once, as on a real interface); --socket sends through
# a UDP socket instead (slower to generate; libpcap then sees each loopback packet twice, out
# and in, and drops the outgoing copy itself, so its "received" is twice the packets).
# Defaults: 1,000,000 packets/s of 128-byte frames (~1 Gbit/s) for 10 s. The generator
# reports the rate it reached: on a small machine it is below the target, and that rate is
# what the captures were offered.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build
rate=1000000 seconds=10 frame=128 port=47999 mode=raw
while [[ $# -gt 0 ]]; do
  case $1 in
    --socket) mode=socket; shift ;;
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --frame) frame=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    *) build=$1; shift ;;
  esac
done
[[ $(id -u) == 0 ]] || { echo "watch_live_bench: needs root (live capture on lo)" >&2; exit 1; }
clearbox=$build/clearbox
[[ -x $clearbox ]] || { echo "watch_live_bench: $clearbox not built" >&2; exit 1; }
command -v tcpdump > /dev/null || { echo "watch_live_bench: tcpdump not found" >&2; exit 1; }

gen=$build/bench/watch_live_traffic  # built by CMake with -DCLEARBOX_BUILD_BENCHMARKS=ON
if [[ ! -x $gen || $gen -ot $root/bench/watch_live_traffic.cc ]]; then
  mkdir -p "$build/bench-watch"
  gen=$build/bench-watch/watch_live_traffic
  if [[ ! -x $gen || $gen -ot $root/bench/watch_live_traffic.cc ]]; then
    g++ -std=c++20 -O2 "$root/bench/watch_live_traffic.cc" -o "$gen"
  fi
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
filter="udp and src host 127.0.0.1 and dst port $port"

# clearbox judges the packets (device 127.0.0.1 against a one-ACE profile): decode, flow
# table, checks; the drop counts come from its stderr line at the end.
cat > "$work/lo.mud.json" <<EOF
{"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://bench.invalid/lo.json",
  "last-update": "2026-01-01T00:00:00Z", "is-supported": true, "systeminfo": "bench",
  "from-device-policy": {"access-lists": {"access-list": [{"name": "out"}]}},
  "to-device-policy": {"access-lists": {"access-list": [{"name": "in"}]}}},
 "ietf-access-control-list:acls": {"acl": [
  {"name": "out", "type": "ipv4-acl-type", "aces": {"ace": [{"name": "udp",
   "matches": {"ipv4": {"protocol": 17}, "udp": {"destination-port": {"operator": "eq", "port": $port}}},
   "actions": {"forwarding": "accept"}}]}},
  {"name": "in", "type": "ipv4-acl-type", "aces": {"ace": [{"name": "udp",
   "matches": {"ipv4": {"protocol": 17}, "udp": {"source-port": {"operator": "eq", "port": $port}}},
   "actions": {"forwarding": "accept"}}]}}]}}
EOF
"$clearbox" watch --interface lo --device 127.0.0.1 --mud "$work/lo.mud.json" \
  --filter "$filter" --format json -o "$work/report.json" 2> "$work/clearbox.err" &
cb=$!
pids+=("$cb")
tcpdump -i lo -n -w /dev/null "$filter" 2> "$work/tcpdump.err" &
td=$!
pids+=("$td")
for _ in $(seq 50); do grep -q "listening on" "$work/tcpdump.err" 2>/dev/null && break; sleep 0.1; done
sleep 1  # clearbox has no "listening" line: its pcap_activate is done well within this
kill -0 "$cb" 2>/dev/null || { cat "$work/clearbox.err" >&2; exit 1; }

offered_line=$("$gen" "$port" "$frame" "$rate" "$seconds" $([[ $mode == raw ]] && echo raw))
offered=$(sed -E 's/^sent ([0-9]+).*/\1/' <<< "$offered_line")
sleep 1  # let both drain their rings
# CPU time each used (utime + stime, clock ticks): packets per CPU second is the headroom.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
cb_cpu=$(cpu "$cb") td_cpu=$(cpu "$td")
kill -INT "$td" "$cb"
wait "$td" 2>/dev/null || true
wait "$cb" 2>/dev/null || true
pids=()

# tcpdump: "N packets captured", "N packets received by filter", "N packets dropped by kernel"
td_seen=$(sed -nE 's/^([0-9]+) packets captured/\1/p' "$work/tcpdump.err")
td_recv=$(sed -nE 's/^([0-9]+) packets received by filter/\1/p' "$work/tcpdump.err")
td_drop=$(sed -nE 's/^([0-9]+) packets dropped by kernel/\1/p' "$work/tcpdump.err")
cb_seen=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["packets"])' "$work/report.json")
cb_line=$(grep "live capture on lo" "$work/clearbox.err" || true)
[[ -n $cb_line ]] || { echo "clearbox printed no drop count:" >&2; cat "$work/clearbox.err" >&2; exit 1; }
cb_recv=$(sed -nE 's/.*: ([0-9]+) packets received.*/\1/p' <<< "$cb_line")
cb_drop=$(sed -nE 's/.* ([0-9]+) dropped by the kernel.*/\1/p' <<< "$cb_line")
cb_ifdrop=$(sed -nE 's/.* ([0-9]+) dropped by the interface.*/\1/p' <<< "$cb_line")

echo "generator ($mode): $offered_line"
printf '%-10s %10s %12s %10s %13s %9s %14s\n' "" "seen" "recv(pcap)" "dropped" "seen/offered" \
  "CPU s" "packets/CPU s"
printf '%-10s %10s %12s %10s %13.4f %9.2f %14.0f\n' clearbox "$cb_seen" "$cb_recv" "$cb_drop" \
  "$(echo "$cb_seen / $offered" | bc -l)" "$cb_cpu" "$(echo "$cb_seen / $cb_cpu" | bc -l)"
printf '%-10s %10s %12s %10s %13.4f %9.2f %14.0f\n' tcpdump "$td_seen" "$td_recv" "$td_drop" \
  "$(echo "$td_seen / $offered" | bc -l)" "$td_cpu" "$(echo "$td_seen / $td_cpu" | bc -l)"
echo "$cb_line"
