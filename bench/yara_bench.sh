#!/usr/bin/env bash
# The YARA rule scan of `clearbox audit` against Debian's `yara -r` with the same rules, on the
# large image of the unpack benchmark (a Debian bookworm minbase root filesystem, built once by
# bench/bench_images.sh):
#
#   bench/yara_bench.sh [--runs N]
#
# In one run, warm page cache, median of --runs:
#   yara -r -N -p THREADS rules/backdoors.yar ROOTFS   the extracted tree the image was packed from
#   clearbox audit IMAGE --check CB-YARA-001           unpack in memory + inventory + the rule scan
#   clearbox audit IMAGE --check CB-ACCT-000           the same without a content scanner (baseline)
# and prints the ratios: yara over the whole clearbox run (clearbox also decompresses the
# squashfs-xz image, yara reads a tree already on disk), and yara over the scan alone
# (CB-YARA-001 minus the baseline). THREADS is nproc, the unpacker's default.
# Env: CLEARBOX_BUILD (default build/), CLEARBOX (default $CLEARBOX_BUILD/clearbox).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CLEARBOX_BUILD:-$ROOT/build}
CLEARBOX=${CLEARBOX:-$BUILD/clearbox}
B=$BUILD/bench-unpack
RUNS=3
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
  esac
done
die() {
  echo "yara_bench: error: $*" >&2
  exit 1
}
log() { echo "yara_bench: $*" >&2; }
[[ -x "$CLEARBOX" ]] || die "$CLEARBOX not built (ninja -C $BUILD clearbox_cli)"
for tool in yara debootstrap mksquashfs /usr/bin/time python3; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install yara; scripts/install-deps.sh --bench)"
done
mkdir -p "$B"
source "$ROOT/bench/bench_images.sh"
IMAGE=$I/rootfs-xz.squashfs
RULES=$ROOT/rules/backdoors.yar
W=$B/yara
rm -rf "$W"
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
source "$ROOT/bench/measure.sh"
THREADS=$(nproc)

log "rootfs $(du -sh "$B/rootfs" | cut -f1), image $(du -h "$IMAGE" | cut -f1), $RUNS runs each"
yara=$(measure yara-r yara -r -N -p "$THREADS" "$RULES" "$B/rootfs")
scan=$(OK_EXIT="0 1" measure "audit-CB-YARA-001" "$CLEARBOX" audit "$IMAGE" --check CB-YARA-001 \
  --format json -o "$W/yara.json")
base=$(OK_EXIT="0 1" measure "audit-baseline" "$CLEARBOX" audit "$IMAGE" --check CB-ACCT-000 \
  --format json -o "$W/base.json")

python3 - "$yara" "$scan" "$base" <<'PY'
import sys
rows = [a.split() for a in sys.argv[1:]]
print("| command | wall s | peak RSS MiB |")
print("| --- | --- | --- |")
for name, wall, kib in rows:
    print(f"| {name} | {float(wall):.2f} | {int(kib) / 1024:.0f} |")
yara, scan, base = (float(r[1]) for r in rows)
print(f"\nyara -r / clearbox CB-YARA-001 (whole run, unpack included): {yara / scan:.2f}x")
alone = max(scan - base, 0.01)
print(f"yara -r / clearbox rule scan alone (CB-YARA-001 minus baseline, {alone:.2f} s): "
      f"{yara / alone:.1f}x")
PY
