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
#   clearbox unpack IMAGE -o DIR                       what a yara user does first: extract
# and prints three ratios: yara -r alone over the clearbox run (clearbox also decompresses the
# squashfs-xz image and builds the inventory; yara reads a tree already on disk), unpack +
# yara -r (the whole job done the yara way) over the clearbox run, and the rule scan alone in
# CPU seconds: `yara -r -p 1` against the time inside clearbox's YARA scanner (--timings). A clearbox run without a
# content scanner is not a usable baseline for "the scan alone": the inventory takes other
# paths when no scanner is attached. THREADS is nproc, the unpacker's default.
# Env: CLEARBOX_BUILD, CLEARBOX (bench/measure.sh).
set -euo pipefail
source "$(dirname "$0")/measure.sh"
bench_setup yara_bench "$@" -- yara
RULES=$ROOT/rules/backdoors.yar
THREADS=$(nproc)

log "rootfs $(du -sh "$B/rootfs" | cut -f1), image $(du -h "$IMAGE" | cut -f1), $RUNS runs each"
yara=$(measure yara-r yara -r -N -p "$THREADS" "$RULES" "$B/rootfs")
scan=$(OK_EXIT="0 1" measure "audit-CB-YARA-001" "$CLEARBOX" audit "$IMAGE" --check CB-YARA-001 \
  --format json -o "$W/yara.json")
unpack=$(measure unpack "$CLEARBOX" unpack "$IMAGE" -o "$W/out")
# The rule scan alone, as CPU seconds over the same bytes: yara on one thread (its wall time is
# its CPU time, file reading included) against the time clearbox spends inside its YARA
# scanner (`--timings`: summed over the unpacker's threads; the bytes come from memory).
scan_cpu=()
for ((r = 0; r < RUNS; r++)); do
  /usr/bin/time -f "%U %S" -o "$W/time" yara -r -N -p 1 "$RULES" "$B/rootfs" >/dev/null
  yara_cpu=$(awk '{print $1 + $2}' "$W/time")
  "$CLEARBOX" audit "$IMAGE" --check CB-YARA-001 --format json -o "$W/y.json" --timings \
    2>"$W/timings" || [[ $? -eq 1 ]]
  clearbox_cpu=$(awk '$1 == "CB-YARA-001" {print $2}' "$W/timings")
  scan_cpu+=("$yara_cpu $clearbox_cpu $(awk '$1 == "CB-YARA-001" {print $3}' "$W/timings")")
done

python3 - "$yara" "$scan" "$unpack" "${scan_cpu[@]}" <<'PY'
import statistics, sys
rows = [a.split() for a in sys.argv[1:4]]
cpu = [[float(x) for x in a.split()] for a in sys.argv[4:]]
print("| command | wall s | peak RSS MiB |")
print("| --- | --- | --- |")
for name, wall, kib in rows:
    print(f"| {name} | {float(wall):.2f} | {int(kib) / 1024:.0f} |")
yara, scan, unpack = (float(r[1]) for r in rows)
print(f"\nyara -r (tree on disk) / clearbox CB-YARA-001 (image, unpack included): {yara / scan:.2f}x")
print(f"clearbox unpack + yara -r / clearbox CB-YARA-001: {(unpack + yara) / scan:.2f}x")
yara_cpu = statistics.median(c[0] for c in cpu)
clearbox_cpu = statistics.median(c[1] for c in cpu)
print(f"rule scan alone, CPU s (median): yara -r -p 1 {yara_cpu:.2f}, clearbox YARA scanner "
      f"{clearbox_cpu:.2f} over {cpu[0][2]:.0f} MiB; yara / clearbox = {yara_cpu / clearbox_cpu:.2f}x "
      f"(target > 1)")
PY
