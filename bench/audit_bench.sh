#!/usr/bin/env bash
# End-to-end benchmark of the audit on the large image of the unpack benchmark (a Debian
# bookworm minbase root filesystem, squashfs-xz, built once by bench/bench_images.sh):
#
#   bench/audit_bench.sh [--runs N]
#
# Side by side, in one run, on the same image and a warm page cache:
#   clearbox unpack IMAGE -o DIR                  the floor: every file decompressed and written
#   clearbox audit IMAGE --format sarif -o FILE   one unpack in memory, the inventory, every check
#   clearbox audit IMAGE --format all -o DIR      the same and every report (SARIF, JSON, HTML)
# and prints wall time and peak RSS of each (median of --runs), the ratio against the target
# (audit <= 2x unpack) and the RSS target (< 512 MiB). The YARA rule scan is compared with
# Debian's `yara -r` by bench/yara_bench.sh.
# Env: CLEARBOX_BUILD, CLEARBOX (bench/measure.sh).
set -euo pipefail
source "$(dirname "$0")/measure.sh"
bench_setup audit_bench "$@"


log "timing on $(du -h "$IMAGE" | cut -f1) $(basename "$IMAGE"), $RUNS runs each"
unpack=$(measure unpack "$CLEARBOX" unpack "$IMAGE" -o "$W/out")
sarif=$(OK_EXIT="0 1" measure "audit-sarif" "$CLEARBOX" audit "$IMAGE" --format sarif -o "$W/audit.sarif")
all=$(OK_EXIT="0 1" measure "audit-all" "$CLEARBOX" audit "$IMAGE" --format all -o "$W/out")

python3 - "$W/audit.sarif" "$unpack" "$sarif" "$all" <<'PY'
import json, sys
rows = [a.split() for a in sys.argv[2:]]
results = json.load(open(sys.argv[1]))["runs"][0]["results"]
print("| command | wall s | peak RSS MiB |")
print("| --- | --- | --- |")
for name, wall, kib in rows:
    print(f"| {name} | {float(wall):.2f} | {int(kib) / 1024:.0f} |")
unpack, sarif, every = (float(r[1]) for r in rows)
print(f"audit (SARIF) / unpack: {sarif / unpack:.2f}x (target <= 2x); "
      f"with every report: {every / unpack:.2f}x")
print(f"peak RSS of the audit: {max(int(rows[1][2]), int(rows[2][2])) / 1024:.0f} MiB "
      f"(target < 512 MiB); {len(results)} findings")
PY
