#!/usr/bin/env bash
# Regenerates the loopback captures in this folder with tcpdump (needs root): real kernel
# packets of a TCP exchange, a refused TCP connection, DNS over UDP and TCP against a small
# local responder (tests/data/watch/dns_peer.py), ICMP and ICMPv6 echo, and IPv4/IPv6
# fragments (large UDP datagrams on a 1500-byte MTU interface would not fragment on lo, so
# `ip link` lowers lo's MTU for the run and restores it).
#   tests/data/watch/capture_lo.sh [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
mtu=$(cat /sys/class/net/lo/mtu)
restore() { ip link set lo mtu "$mtu"; }
trap restore EXIT
ip link set lo mtu 1400
capture() {  # capture NAME TCPDUMP-ARGS... -- COMMAND...
  local name=$1; shift
  local args=()
  while [[ $1 != -- ]]; do args+=("$1"); shift; done; shift
  tcpdump -U -q "${args[@]}" -w "$out/$name" 2>/dev/null &
  local pid=$!
  sleep 1
  "$@" || true
  sleep 1
  kill -INT "$pid"; wait "$pid" || true
}
traffic() {
  python3 "$here/dns_peer.py"
}
capture lo.pcap -i lo -- traffic
capture lo-snap40.pcap -i lo -s 40 -- traffic
capture any-sll2.pcap -i any -y LINUX_SLL2 'host 127.0.0.1' -- traffic
editcap -F pcapng "$out/lo.pcap" "$out/lo.pcapng"
# A file cut in the middle of a record, as a crashed capture leaves it.
head -c $(( $(stat -c %s "$out/lo.pcap") * 2 / 3 )) "$out/lo.pcap" > "$out/lo-truncated.pcap"
ls -l "$out"/*.pcap*
