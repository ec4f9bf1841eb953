#!/usr/bin/env bash
# End-to-end benchmark of `clearbox diff --equivalence` against Debian's diffoscope on the large
# image of the unpack benchmark (a Debian bookworm minbase root filesystem, bench/bench_images.sh):
#
#   bench/diff_bench.sh [--runs N]
#
# OLD is rootfs-gzip.squashfs; NEW is the same tree with a few changed files (one byte of three
# ELF binaries, one line of a config file), packed again with other timestamps. Side by side,
# in one run, on a warm page cache:
#   clearbox diff --equivalence OLD NEW --json   every file's SHA-256, the differing ones located
#   diffoscope --json OUT OLD NEW                  Debian's reproducible-builds differ
# and prints wall time and peak RSS of each (median of --runs; diffoscope runs once, it is
# slow), the ratio (target: clearbox at least 20x faster) and whether both name the same files.
# Env: CLEARBOX_BUILD, CLEARBOX (bench/measure.sh).
set -euo pipefail
source "$(dirname "$0")/measure.sh"
bench_setup diff_bench "$@" -- diffoscope

OLD=$I/rootfs-gzip.squashfs
NEW=$W/new-gzip.squashfs
log "making NEW: $B/rootfs with 4 files changed"
cp -a "$B/rootfs" "$W/tree"
changed=(usr/bin/ls usr/bin/cat usr/lib/x86_64-linux-gnu/libz.so.1.2.13 etc/debian_version)
for f in "${changed[@]:0:3}"; do
  python3 - "$W/tree/$f" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[0x2000] ^= 0xff; open(sys.argv[1], "wb").write(b)
PY
done
echo "12.99" >"$W/tree/etc/debian_version"
find "$W/tree" -exec touch -h -d '2030-01-01 00:00:00' {} +
mksquashfs "$W/tree" "$NEW" -comp gzip -noappend -quiet -no-progress >/dev/null
rm -rf "$W/tree"

log "timing on $(du -h "$OLD" | cut -f1) $(basename "$OLD") vs NEW, $RUNS runs of clearbox"
clearbox=$(OK_EXIT="0 1" measure clearbox "$CLEARBOX" diff --equivalence "$OLD" "$NEW" --json \
  -o "$W/clearbox.json")
diffoscope=$(RUNS=1 OK_EXIT="0 1" measure diffoscope diffoscope --json "$W/diffoscope.json" \
  "$OLD" "$NEW")

python3 "$ROOT/tests/diffoscope_files.py" "$W/diffoscope.json" >"$W/diffoscope.files"
python3 - "$W/clearbox.json" "$W/diffoscope.files" "$clearbox" "$diffoscope" <<'PY'
import json, sys
cb = json.load(open(sys.argv[1]))
cb_files = sorted(x["path"].split(":", 1)[1] for x in cb["differences"] if x["difference"] == "content")
dfs_files = sorted(l.strip() for l in open(sys.argv[2]) if l.strip())
rows = [a.split() for a in sys.argv[3:]]
print("| command | wall s | peak RSS MiB |")
print("| --- | --- | --- |")
for name, wall, kib in rows:
    print(f"| {name} | {float(wall):.2f} | {int(kib) / 1024:.0f} |")
ratio = float(rows[1][1]) / float(rows[0][1])
print(f"diffoscope / clearbox: {ratio:.1f}x (target >= 20x)")
print(f"clearbox: {len(cb_files)} files differ {cb_files}; diffoscope: {len(dfs_files)} {dfs_files}; "
      f"{'agree' if cb_files == dfs_files else 'DISAGREE'}")
PY
