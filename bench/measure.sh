# Sourced by the end-to-end benchmarks on the large image of the unpack benchmark:
#   source bench/measure.sh; bench_setup NAME "$@" TOOL...   (after "--" in the call: see below)
# bench_setup parses --runs N, checks clearbox and TOOLs, builds or reuses the image (a Debian
# bookworm minbase root filesystem, squashfs-xz: bench/bench_images.sh) and sets ROOT, BUILD,
# CLEARBOX, B (bench-unpack dir), I (its images), IMAGE, RUNS and W (a scratch directory,
# removed at exit). Env: CLEARBOX_BUILD (default build/), CLEARBOX (default
# $CLEARBOX_BUILD/clearbox).
#
# measure NAME CMD...: RUNS timed runs of CMD (GNU time), each after removing $W/out;
# prints "NAME median_wall_s max_rss_kib". An exit status listed in OK_EXIT (default "0") is
# a success (`clearbox audit` exits 1 when it finds something).
measure() {
  local name=$1
  shift
  local walls=() rss=0
  for ((r = 0; r < RUNS; r++)); do
    rm -rf "$W/out"
    local rc=0
    /usr/bin/time -f "%e %M" -o "$W/time" "$@" >/dev/null 2>"$W/stderr" || rc=$?
    [[ " ${OK_EXIT:-0} " == *" $rc "* ]] || die "$name failed ($rc): $(tail -3 "$W/stderr")"
    # GNU time puts "Command exited with non-zero status N" first when it did.
    read -r wall kib < <(tail -n 1 "$W/time")
    walls+=("$wall")
    ((kib > rss)) && rss=$kib
  done
  local median
  median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$name $median $rss"
}

die() {
  echo "$BENCH_NAME: error: $*" >&2
  exit 1
}
log() { echo "$BENCH_NAME: $*" >&2; }

# bench_setup NAME [--runs N] -- TOOL...
bench_setup() {
  BENCH_NAME=$1
  shift
  ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  BUILD=${CLEARBOX_BUILD:-$ROOT/build}
  CLEARBOX=${CLEARBOX:-$BUILD/clearbox}
  B=$BUILD/bench-unpack
  RUNS=3
  while [[ $# -gt 0 && $1 != "--" ]]; do
    case $1 in
      --runs) RUNS=$2; shift 2 ;;
      *) echo "usage: $BENCH_NAME.sh [--runs N]" >&2; exit 2 ;;
    esac
  done
  [[ ${1:-} == "--" ]] && shift
  [[ -x "$CLEARBOX" ]] || die "$CLEARBOX not built (ninja -C $BUILD clearbox_cli)"
  local tool
  for tool in debootstrap mksquashfs /usr/bin/time python3 "$@"; do
    command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh --bench)"
  done
  mkdir -p "$B"
  source "$ROOT/bench/bench_images.sh"
  IMAGE=$I/rootfs-xz.squashfs
  W=$B/${BENCH_NAME%_bench}
  rm -rf "$W"
  mkdir -p "$W"
  trap 'rm -rf "$W"' EXIT
}
