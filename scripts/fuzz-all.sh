#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 600), LANES at a time, on a copy of
# its seed corpus (fuzz/corpus/<name>, left untouched); crashers land in BUILD/fuzz-artifacts/
# and each run's log in BUILD/fuzz-logs/. Build first:
#   CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCLEARBOX_FUZZ=ON \
#     -DCLEARBOX_BUILD_TESTS=OFF && ninja -C build-fuzz
#   scripts/fuzz-all.sh [BUILD=build-fuzz] [SECONDS=600] [LANES=2] [TARGET...]
# A crasher worth keeping goes into fuzz/corpus/<name>/ so that CTest replays it.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build-fuzz}; SECONDS_EACH=${2:-600}; LANES=${3:-2}; shift $(( $# < 3 ? $# : 3 ))
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in "$SRC"/fuzz/*_fuzzer.cc; do n=$(basename "$f" _fuzzer.cc); targets+=("$n"); done
fi
mkdir -p "$BUILD/fuzz-artifacts" "$BUILD/fuzz-logs" "$BUILD/fuzz-work"
run_one() {
  local n=$1 bin="$BUILD/fuzz/${1}_fuzzer"
  [[ -x $bin ]] || { echo "$n: no binary $bin"; return 1; }
  rm -rf "$BUILD/fuzz-work/$n"; cp -r "$SRC/fuzz/corpus/$n" "$BUILD/fuzz-work/$n"
  # -malloc_limit_mb above -rss_limit_mb: libarchive's read-ahead reserves the size a hostile
  # header claims (a cpio namesize of 3.7 GB) before it meets the end of the data; that is
  # virtual memory never touched (clearbox ls on such an input peaks at 16 MB RSS). Real
  # growth is still caught by the RSS limit.
  "$bin" "$BUILD/fuzz-work/$n" -max_total_time="$SECONDS_EACH" -timeout=30 -rss_limit_mb=3072 \
    -malloc_limit_mb=8192 \
    -print_final_stats=1 -artifact_prefix="$BUILD/fuzz-artifacts/$n-" \
    >"$BUILD/fuzz-logs/$n.log" 2>&1
  local rc=$?
  echo "$(date -u +%H:%M) $n: exit $rc, $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$BUILD/fuzz-logs/$n.log" | grep -o '[0-9]*$') runs, $(grep -c '' "$BUILD/fuzz-logs/$n.log") log lines"
}
i=0
for n in "${targets[@]}"; do
  run_one "$n" &
  i=$((i + 1))
  if (( i % LANES == 0 )); then wait -n; i=$((i - 1)); fi
done
wait
