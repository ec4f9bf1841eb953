#!/usr/bin/env bash
# End-to-end benchmark of `clearbox unpack` / `clearbox ls` against the native single-format
# tools and binwalk, side by side on the same files (see bench/README.md, "## unpack").
#
#   bench/unpack_bench.sh [--runs N] [--binwalk-timeout SECONDS] [--no-binwalk]
#
# Env: CLEARBOX_BUILD (default build/), CLEARBOX (default $CLEARBOX_BUILD/clearbox),
#      DEBIAN_MIRROR (default: the first URI of the machine's apt sources).
# Needs root (debootstrap, binwalk --run-as=root) and scripts/install-deps.sh --bench.
#
# Builds once, cached under $CLEARBOX_BUILD/bench-unpack/: a Debian bookworm minbase root
# filesystem (debootstrap, about 200 MB), packed as squashfs-xz, squashfs-gzip, tar.gz and
# nested (tar.gz -> uImage -> squashfs-xz). Then, for each image, times (GNU time: wall, user
# + system CPU, peak RSS) `clearbox unpack`, the native tool (unsquashfs -d; tar -xzf; for the
# nested image tar -xzf, then the uImage payload cut out and unsquashfs), binwalk -Me on the
# tar.gz and nested images, and `clearbox ls` and `clearbox ls --json` beside `unsquashfs -l`
# (the issue's pair is `clearbox ls` / `unsquashfs -l`: both print a text listing; --json
# prints the whole manifest, about 2.3 times the text). Each command runs
# --runs times (binwalk once), in turns with its peer, on a warm page cache; the median wall
# time is reported (listings: each timed command lists 20 times, the time of one is reported).
# Outputs are deleted only at the end (see discard()).
# Prints a Markdown table and the ratios against the targets: clearbox <= 1.0x native,
# binwalk/clearbox >= 5 on tar.gz and nested, ls <= 1.2x unsquashfs -l (ls --json against
# unsquashfs -l shown too), RSS < 256 MiB.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CLEARBOX_BUILD:-$ROOT/build}
CLEARBOX=${CLEARBOX:-$BUILD/clearbox}
B=$BUILD/bench-unpack
RUNS=3
LS_REPEAT=20 # listings per timed command (see below)
REPEAT=1     # what measure() divides the times by
BINWALK_TIMEOUT=1800
WITH_BINWALK=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --binwalk-timeout) BINWALK_TIMEOUT=$2; shift 2 ;;
    --no-binwalk) WITH_BINWALK=0; shift ;;
    *) echo "usage: $0 [--runs N] [--binwalk-timeout SECONDS] [--no-binwalk]" >&2; exit 2 ;;
  esac
done

die() {
  echo "unpack_bench: error: $*" >&2
  exit 1
}
log() { echo "unpack_bench: $*" >&2; }
[[ -x "$CLEARBOX" ]] || die "$CLEARBOX not built (ninja -C $BUILD clearbox_cli)"
for tool in debootstrap mksquashfs unsquashfs mkimage tar gzip binwalk /usr/bin/time; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh --bench)"
done
[[ $(id -u) -eq 0 ]] || die "run as root (debootstrap, binwalk --run-as=root)"
mkdir -p "$B"

# The root filesystem and its four images, built once under $B (shared with other benches).
source "$ROOT/bench/bench_images.sh"

# --- measuring ------------------------------------------------------------------------------
OUT=$B/out
TIMES=$B/times
mkdir -p "$TIMES"
ROWS=()

# Outputs are moved aside and deleted only at the end. On ext4 without a journal, creating a
# file scans the inodes of its block group deleted in the last minutes (find_inode_bit,
# recently_deleted), so a run right after deleting the previous run's 5000 files paid for
# them, by an amount that grew with each run and depended on the order of the commands.
TRASH=$B/trash
rm -rf "$TRASH"
mkdir -p "$TRASH"
trap 'rm -rf "$TRASH"' EXIT
discard() { # moves a run's output out of the way
  [[ -e "$1" ]] || return 0
  local dest
  mkdir -p "$TRASH"
  dest=$(mktemp -d "$TRASH/run.XXXXXX") || die "cannot create a directory in $TRASH"
  mv "$1" "$dest/"
}

# time_once OUTDIR TIMEFILE CMD...: one timed run into a fresh OUTDIR; 0 if it succeeded.
time_once() {
  local outdir=$1 tf=$2
  shift 2
  discard "$outdir"
  mkdir -p "$outdir"
  sync
  /usr/bin/time -f "%e %U %S %M" -o "$tf" "$@" >/dev/null 2>"$tf.stderr"
}

# measure IMAGE RUNS LABEL CMD [LABEL CMD]...: runs the shell commands in turns (A B A B ...,
# so that both see the machine and the disk in the same state), each into a fresh $OUT;
# keeps each command's run of median wall time and appends a row
# "image|tool|wall|cpu|rss_mib|files|load|status" (files: regular files written).
measure() {
  local image=$1 runs=$2
  shift 2
  local -a labels=() cmds=() results=() files=() status=()
  while [[ $# -gt 0 ]]; do
    labels+=("$1")
    cmds+=("$2")
    results+=("")
    files+=(0)
    status+=(ok)
    shift 2
  done
  local i k load
  load=$(cut -d' ' -f1 /proc/loadavg) # the machine may be shared: say how busy it was
  for ((i = 0; i < runs; i++)); do
    for k in "${!labels[@]}"; do
      local tf="$TIMES/$image.${labels[k]}.$i"
      if ! time_once "$OUT" "$tf" bash -c "${cmds[k]}"; then
        if grep -q "Command terminated by signal 9\|Command exited with non-zero status 124" \
          "$tf" 2>/dev/null; then
          status[k]="timeout"
        else
          status[k]="failed ($(tail -1 "$tf.stderr" 2>/dev/null | cut -c1-80))"
        fi
      fi
      results[k]+="$(grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$' "$tf" | tail -1)"$'\n'
      files[k]=$(find "$OUT" -type f ! -name manifest.json 2>/dev/null | wc -l)
    done
  done
  discard "$OUT"
  for k in "${!labels[@]}"; do
    local label=${labels[k]} median wall user sys rss cpu nfiles=${files[k]}
    median=$(printf '%s' "${results[k]}" | grep . | sort -n | sed -n "$(((runs + 1) / 2))p")
    read -r wall user sys rss <<<"$median"
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')
    if [[ $REPEAT -gt 1 ]]; then # a command repeated REPEAT times: per repetition, in 0.1 ms
      wall=$(awk -v w="$wall" -v n="$REPEAT" 'BEGIN {printf "%.4f", w / n}')
      cpu=$(awk -v u="$user" -v s="$sys" -v n="$REPEAT" 'BEGIN {printf "%.4f", (u + s) / n}')
    fi
    [[ "$label" == ls* || "$label" == "unsquashfs -l" ]] && nfiles="-"
    ROWS+=("$image|$label|$wall|$cpu|$((rss / 1024))|$nfiles|$load|${status[k]}")
    log "$image: $label: ${wall}s wall, ${cpu}s cpu, $((rss / 1024)) MiB, ${status[k]}"
  done
}

native_cmd() { # image outdir -> the native tools' shell command for that image
  case $1 in
    *.squashfs) echo "unsquashfs -q -no-progress -f -d '$2/root' '$I/$1'" ;;
    rootfs.tar.gz) echo "tar -xzf '$I/$1' -C '$2'" ;;
    # No native tool opens the whole chain: tar, then the uImage's 64-byte header cut off.
    nested.tar.gz)
      echo "tar -xzf '$I/$1' -C '$2' && tail -c +65 '$2/firmware/rootfs.uimg' >'$2/rootfs.sqfs'" \
        "&& unsquashfs -q -no-progress -d '$2/root' '$2/rootfs.sqfs'"
      ;;
  esac
}

for image in "${IMAGES[@]}"; do
  measure "$image" "$RUNS" "clearbox unpack" "'$CLEARBOX' unpack '$I/$image' -o '$OUT/x' --force" \
    native "$(native_cmd "$image" "$OUT")"
  if [[ $WITH_BINWALK -eq 1 && "$image" == *.tar.gz ]]; then
    measure "$image" 1 "binwalk -Me" \
      "timeout -s KILL '$BINWALK_TIMEOUT' binwalk -Me --run-as=root -q -C '$OUT' '$I/$image'"
  fi
  if [[ "$image" == *.squashfs ]]; then
    # A listing takes 5 to 30 ms, under GNU time's 10 ms resolution: each timed command
    # lists LS_REPEAT times in a row, and the rows give the time of one listing.
    REPEAT=$LS_REPEAT
    measure "$image" "$RUNS" "ls" \
      "for i in \$(seq $LS_REPEAT); do '$CLEARBOX' ls '$I/$image' >/dev/null; done" \
      "ls --json" \
      "for i in \$(seq $LS_REPEAT); do '$CLEARBOX' ls '$I/$image' --json >/dev/null; done" \
      "unsquashfs -l" "for i in \$(seq $LS_REPEAT); do unsquashfs -l '$I/$image' >/dev/null; done"
    REPEAT=1
  fi
done

# --- report ---------------------------------------------------------------------------------
row_field() { # image label field(3=wall 4=cpu 5=rss)
  local r
  for r in "${ROWS[@]}"; do
    IFS='|' read -r -a f <<<"$r"
    if [[ "${f[0]}" == "$1" && "${f[1]}" == "$2" ]]; then
      echo "${f[$3 - 1]}"
      return
    fi
  done
}
ratio() { # a b -> a/b with two decimals, "-" when either is missing
  awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b}'
}

echo
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "clearbox $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'); $(unsquashfs -version 2>&1 | head -1); $(tar --version | head -1); binwalk $(binwalk 2>&1 | grep -m1 -o 'v[0-9.]*')"
echo "rootfs: debootstrap --variant=minbase bookworm, $(du -s --apparent-size -m "$B/rootfs/" | cut -f1) MB, $(find "$B/rootfs/" -type f | wc -l) files"
printf 'images: %s\n' "$(cd "$I" && for f in "${IMAGES[@]}"; do printf '%s %s MB; ' "$f" "$(($(stat -c %s "$f") >> 20))"; done)"
echo "command: bench/unpack_bench.sh --runs $RUNS (median of $RUNS runs; binwalk once; ls and unsquashfs -l: one listing of $LS_REPEAT in a row)"
echo
echo "| image | tool | wall s | CPU s | peak RSS MiB | files | load | status |"
echo "|---|---|---:|---:|---:|---:|---:|---|"
for r in "${ROWS[@]}"; do
  IFS='|' read -r -a f <<<"$r"
  echo "| ${f[0]} | ${f[1]} | ${f[2]} | ${f[3]} | ${f[4]} | ${f[5]} | ${f[6]} | ${f[7]} |"
done
echo
echo "| image | clearbox / native wall (target <= 1.0) | same, CPU | binwalk / clearbox wall (target >= 5) | ls / unsquashfs -l wall (target <= 1.2) | ls --json / unsquashfs -l wall | clearbox RSS MiB (target < 256) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for image in "${IMAGES[@]}"; do
  cb=$(row_field "$image" "clearbox unpack" 3)
  echo "| $image | $(ratio "$cb" "$(row_field "$image" native 3)") |" \
    "$(ratio "$(row_field "$image" "clearbox unpack" 4)" "$(row_field "$image" native 4)") |" \
    "$(ratio "$(row_field "$image" "binwalk -Me" 3)" "$cb") |" \
    "$(ratio "$(row_field "$image" "ls" 3)" "$(row_field "$image" "unsquashfs -l" 3)") |" \
    "$(ratio "$(row_field "$image" "ls --json" 3)" "$(row_field "$image" "unsquashfs -l" 3)") |" \
    "$(row_field "$image" "clearbox unpack" 5) |"
done
