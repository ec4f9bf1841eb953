#!/usr/bin/env bash
# Transparency-log benchmarks (bench/README.md, "## tlog"). Runs, in order:
#   seq     sequencing N entries of 256 bytes at batch sizes 1, 256, 4096 with fsync per batch
#           (directory backend), beside the OpenSSL hashing bound, the disk's write bound and
#           Go's x/mod tlog.StoredHashes over the same leaves     (tlog_sequencer_benchmark)
#   http    POST /add from many concurrent clients (wrk, unique 256-byte entries) against
#           `clearbox log serve`: acknowledged appends/s and add->checkpoint latency
#   read    wrk GETs of /checkpoint and random full tiles from `clearbox log serve`, then from
#           nginx serving the same directory, same connections and duration
#   steady  POST /add at a steady rate (bench/go/tlog_load) while wrk reads tiles
# Usage: bench/tlog_bench.sh [seq] [http] [read] [steady]      (default: all)
# Environment: CLEARBOX_BUILD (build dir with CLEARBOX_BUILD_BENCHMARKS=ON, default build/),
#   ENTRIES (1000000), BATCH1_ENTRIES (20000: batch size 1 costs an fsync round per entry),
#   DURATION (seconds per wrk run, 10), ADD_CONNECTIONS (2048), READ_CONNECTIONS (64),
#   RATE (steady adds/s, 2000). Needs: wrk, nginx, golang-go, golang-golang-x-mod-dev
#   (scripts/install-deps.sh --bench). Heavy: runs everything under `nice`.
set -euo pipefail

SOURCE=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${CLEARBOX_BUILD:-$SOURCE/build}" && pwd)
CLEARBOX=$BUILD/clearbox
ENTRIES=${ENTRIES:-1000000}
BATCH1_ENTRIES=${BATCH1_ENTRIES:-20000}
DURATION=${DURATION:-10}
ADD_CONNECTIONS=${ADD_CONNECTIONS:-2048}
READ_CONNECTIONS=${READ_CONNECTIONS:-64}
RATE=${RATE:-2000}
# Where the logs are written: the disk being measured. On a shared ext4 without a journal,
# pick a directory whose neighbours see no mass deletions (see bench/README.md).
SCRATCH=${TLOG_BENCH_DIR:-$BUILD/tlog-bench}
NICE=${NICE-nice -n 10}  # NICE= runs at normal priority
sections=("$@")
[[ ${#sections[@]} -eq 0 ]] && sections=(seq http read steady)
want() { [[ " ${sections[*]} " == *" $1 "* ]]; }

for tool in wrk nginx go; do
  command -v $tool >/dev/null || { echo "missing $tool: scripts/install-deps.sh --bench" >&2; exit 2; }
done
[[ -x $CLEARBOX && -x $BUILD/bench/tlog_sequencer_benchmark ]] ||
  { echo "build first: cmake -DCLEARBOX_BUILD_BENCHMARKS=ON; ninja clearbox_cli tlog_sequencer_benchmark" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
# Each invocation writes into a directory of its own, deleted only at exit: on ext4 without a
# journal, creating files right after thousands were deleted is slow (see bench/README.md), so
# nothing is deleted while something is measured.
RUN=$SCRATCH/run-$$
mkdir -p "$RUN"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$RUN"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts `clearbox log serve` on DIR in the background; sets SERVE_URL and SERVE_PID.
start_log() {
  local dir=$1
  $NICE "$CLEARBOX" log serve --data "$dir" --key "$RUN/log.key" --listen 127.0.0.1:0 \
    >"$SCRATCH/serve.out" 2>"$SCRATCH/serve.err" &
  SERVE_PID=$!
  pids+=("$SERVE_PID")
  for _ in $(seq 100); do
    SERVE_URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$SCRATCH/serve.out" || true)
    [[ -n $SERVE_URL ]] && return 0
    sleep 0.1
  done
  echo "clearbox log serve did not start:" >&2; cat "$SCRATCH/serve.err" >&2; exit 1
}
stop_log() { kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; }

# wrk summary: "<requests/s> <p50> <p99> <non-2xx>" from a wrk --latency output file.
wrk_summary() {
  awk 'BEGIN {p50="-"; p99="-"} /Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
       /Non-2xx/ {bad=$5} END {printf "%s %s %s %s\n", rps, p50, p99, bad+0}' "$1"
}

echo "# tlog benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, commit $(git -C "$SOURCE" rev-parse --short HEAD)"

if want seq; then
  echo "## (a) sequencing $ENTRIES entries of 256 bytes"
  GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE=$SCRATCH/gocache \
    go build -o "$SCRATCH/tlog_hashes" "$SOURCE/bench/go/tlog_hashes/main.go"
  $NICE "$BUILD/bench/tlog_sequencer_benchmark" --dir "$RUN/seq" --entries "$ENTRIES" \
    --batch "1:$BATCH1_ENTRIES" --batch 256 --batch 4096 --go "$SCRATCH/tlog_hashes"
fi

if want http || want read || want steady; then
  "$CLEARBOX" key generate bench.example/log -o "$RUN/log.key" >/dev/null
  "$CLEARBOX" log init --data "$RUN/log" --key "$RUN/log.key" --origin bench.example/log \
    --batch-max-entries 4096 --batch-max-delay-ms 20 >/dev/null
fi

if want http; then
  echo "## (b) POST /add, $ADD_CONNECTIONS connections, ${DURATION}s (wrk, 256-byte entries)"
  start_log "$RUN/log"
  before=$(curl -s "$SERVE_URL/checkpoint" | sed -n 2p)
  $NICE wrk -t2 -c"$ADD_CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency \
    -s "$SOURCE/bench/tlog_add.lua" "$SERVE_URL" -- "$(date +%s%N)" >"$SCRATCH/wrk-add.txt"
  after=$(curl -s "$SERVE_URL/checkpoint" | sed -n 2p)
  read -r rps p50 p99 bad < <(wrk_summary "$SCRATCH/wrk-add.txt")
  echo "acknowledged appends/s: $rps (non-2xx: $bad); add->checkpoint latency p50 $p50, p99 $p99;" \
       "tree grew $before -> $after"
  stop_log
fi

if want read || want steady; then
  # Full tiles of every level, as clients fetch them (needs a log with entries: run http first).
  (cd "$RUN/log" && find tile -type f ! -path '*.p/*' ! -path 'tile/entries/*' ! -name '*.tmp' |
     sed 's|^|/|') >"$SCRATCH/tile-paths.txt"
  [[ -s $SCRATCH/tile-paths.txt ]] || { echo "no full tiles yet: run the http section first" >&2; exit 1; }
fi

if want read; then
  echo "## (c) reads: $READ_CONNECTIONS connections, ${DURATION}s each; $(wc -l <"$SCRATCH/tile-paths.txt") full tiles"
  nginx_port=$(free_port)
  cat >"$SCRATCH/nginx.conf" <<EOF
worker_processes 2;
pid $SCRATCH/nginx.pid;
error_log $SCRATCH/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$nginx_port;
    root $RUN/log;
    location = /checkpoint { default_type "text/plain; charset=utf-8"; add_header Cache-Control no-cache; }
    location /tile/ { add_header Cache-Control "public, max-age=31536000, immutable"; }
  }
}
EOF
  start_log "$RUN/log"
  $NICE nginx -c "$SCRATCH/nginx.conf" -p "$SCRATCH"
  sleep 0.5
  nginx_url=http://127.0.0.1:$nginx_port
  for target in checkpoint tiles; do
    for server in clearbox nginx; do
      url=$SERVE_URL; [[ $server == nginx ]] && url=$nginx_url
      if [[ $target == checkpoint ]]; then
        wrk -t2 -c"$READ_CONNECTIONS" -d"${DURATION}s" --latency "$url/checkpoint" >"$SCRATCH/wrk-$server-$target.txt"
      else
        wrk -t2 -c"$READ_CONNECTIONS" -d"${DURATION}s" --latency -s "$SOURCE/bench/tlog_read.lua" \
          "$url" -- "$SCRATCH/tile-paths.txt" >"$SCRATCH/wrk-$server-$target.txt"
      fi
    done
    read -r ours p50 p99 bad < <(wrk_summary "$SCRATCH/wrk-clearbox-$target.txt")
    read -r theirs np50 np99 nbad < <(wrk_summary "$SCRATCH/wrk-nginx-$target.txt")
    ratio=$(python3 -c "print(f'{100*$ours/$theirs:.0f}%')")
    echo "/$target: clearbox $ours req/s (p99 $p99, non-2xx $bad), nginx $theirs req/s (p99 $np99, non-2xx $nbad): $ratio of nginx"
  done
  kill "$(cat "$SCRATCH/nginx.pid")"
  stop_log
fi

if want steady; then
  echo "## (d) POST /add at $RATE/s for ${DURATION}s while wrk reads tiles ($READ_CONNECTIONS connections)"
  GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE=$SCRATCH/gocache \
    go build -o "$SCRATCH/tlog_load" "$SOURCE/bench/go/tlog_load/main.go"
  start_log "$RUN/log"
  wrk -t1 -c"$READ_CONNECTIONS" -d"$((DURATION + 2))s" -s "$SOURCE/bench/tlog_read.lua" \
    "$SERVE_URL" -- "$SCRATCH/tile-paths.txt" >"$SCRATCH/wrk-steady-read.txt" &
  wrk_pid=$!
  sleep 1
  $NICE "$SCRATCH/tlog_load" -url "$SERVE_URL" -rate "$RATE" -duration "${DURATION}s" || true
  wait "$wrk_pid"
  read -r rps _ _ bad < <(wrk_summary "$SCRATCH/wrk-steady-read.txt")
  echo "concurrent reads: $rps req/s (non-2xx $bad)"
  stop_log
fi
