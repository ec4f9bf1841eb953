#!/usr/bin/env bash
# clearbox's packet path (decode, reassembly, DNS tracking, flow table) against tshark and
# tcpdump over the same large pcap, and peak RSS with 1 million live flows.
#   bench/watch_bench.sh [BUILD_DIR] [--runs N]   (BUILD_DIR: build, needs libclearbox_watch.a
#                                                 and libclearbox_core.a; root not needed)
# Inputs, generated once by bench/make_pcap.py under BUILD_DIR/bench-watch/:
#   traffic.pcap  1.1 GB, 1.38 M packets, ~79 k flows (DNS + TCP sessions + UDP)
#   flows-1m.pcap 2 M packets: 1 M TCP flows opened and left open within 10 s
# tshark dissects about 40 k packets/s: it runs on the first 100 k packets (slice.pcap) and
# its rate is compared with clearbox's rate on the same slice and on the whole file.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build
runs=3
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    *) build=$1; shift ;;
  esac
done
data=$build/bench-watch
mkdir -p "$data"
bin=$data/watch_decode_benchmark
src=$root/bench/watch_decode_benchmark.cc
if [[ ! -x $bin || $bin -ot $src || $bin -ot $build/src/libclearbox_watch.a ]]; then
  g++ -std=c++20 -O2 -DNDEBUG -I"$root/include" "$src" "$build/src/libclearbox_watch.a" \
    "$build/src/libclearbox_core.a" $(pkg-config --libs libpcap) -lcrypto -ldeflate -o "$bin"
fi
[[ -f $data/traffic.pcap ]] || python3 "$root/bench/make_pcap.py" traffic "$data/traffic.pcap" 1100
[[ -f $data/flows-1m.pcap ]] || python3 "$root/bench/make_pcap.py" flows "$data/flows-1m.pcap" 1000000
[[ -f $data/slice.pcap ]] || editcap -r "$data/traffic.pcap" "$data/slice.pcap" 1-100000
cat "$data/traffic.pcap" "$data/slice.pcap" > /dev/null  # warm the page cache

packets=$(tcpdump -r "$data/traffic.pcap" -w /dev/null -c 0 2>/dev/null; "$bin" "$data/traffic.pcap" | sed -E 's/^packets ([0-9]+).*/\1/')
median() { sort -g | sed -n "$(( (runs + 1) / 2 ))p"; }
secs() { local s e; s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

ours=$(for _ in $(seq "$runs"); do secs "$bin" "$data/traffic.pcap" --flows /dev/null; done | median)
dump=$(for _ in $(seq "$runs"); do secs tcpdump -r "$data/traffic.pcap" -w /dev/null; done | median)
ours_slice=$(for _ in $(seq "$runs"); do secs "$bin" "$data/slice.pcap" --flows /dev/null; done | median)
shark=$(secs tshark -n -r "$data/slice.pcap" -Y 'ip or ipv6')
rss=$( { /usr/bin/time -v "$bin" "$data/flows-1m.pcap" --flows /dev/null > "$data/flows-1m.out"; } 2>&1 |
       sed -nE 's/.*Maximum resident set size \(kbytes\): ([0-9]+)/\1/p')
flows=$(sed -E 's/.*peak_flows ([0-9]+).*/\1/' "$data/flows-1m.out")

pps() { echo "$1 / $2" | bc -l; }
p_ours=$(pps "$packets" "$ours"); p_dump=$(pps "$packets" "$dump")
p_slice=$(pps 100000 "$ours_slice"); p_shark=$(pps 100000 "$shark")
printf 'traffic.pcap: %d packets, %s bytes\n' "$packets" "$(stat -c %s "$data/traffic.pcap")"
printf '%-58s %8.3f s %12.0f packets/s\n' "clearbox (decode+flows+DNS, --flows /dev/null)" "$ours" "$p_ours"
printf '%-58s %8.3f s %12.0f packets/s\n' "tcpdump -r FILE -w /dev/null" "$dump" "$p_dump"
printf '%-58s %8.3f s %12.0f packets/s\n' "clearbox, first 100k packets" "$ours_slice" "$p_slice"
printf '%-58s %8.3f s %12.0f packets/s\n' "tshark -n -r SLICE -Y 'ip or ipv6' (first 100k packets)" "$shark" "$p_shark"
printf 'clearbox / tcpdump: %.2f (target >= 0.5)\n' "$(echo "$p_ours / $p_dump" | bc -l)"
printf 'clearbox / tshark: %.0fx on the slice, %.0fx whole file vs slice rate (target >= 10x)\n' \
  "$(echo "$p_slice / $p_shark" | bc -l)" "$(echo "$p_ours / $p_shark" | bc -l)"
printf 'peak RSS with %s live flows: %.0f MiB (target < 256)\n' "$flows" "$(echo "$rss / 1024" | bc -l)"
