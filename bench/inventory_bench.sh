#!/usr/bin/env bash
# End-to-end benchmark of the inventory on the large image of the unpack benchmark (a Debian
# bookworm minbase root filesystem, squashfs-xz, built once by bench/bench_images.sh):
#
#   bench/inventory_bench.sh [--runs N]
#
# Side by side, in one run, on the same image and a warm page cache:
#   clearbox unpack IMAGE -o DIR          the floor: every file decompressed and written
#   clearbox sbom IMAGE -o FILE           the whole inventory (hash, type, ELF facts, package
#                                         databases, every signature over every byte) + CycloneDX
#   clearbox inventory --json IMAGE       the same without the SBOM writer
#   checksec --output=json --dir=DIR      Debian's checksec over the unpacked tree
# and prints wall time and peak RSS of each (median of --runs; checksec once), the ratios
# against the targets (sbom <= 1.5x unpack; ELF facts >= 20x faster than checksec --dir, for
# which the whole `clearbox inventory` is timed, a bound on its ELF part; RSS < 512 MiB), and
# whether clearbox and checksec agree on every field of every ELF checksec reports.
# Env: CLEARBOX_BUILD, CLEARBOX (bench/measure.sh).
set -euo pipefail
source "$(dirname "$0")/measure.sh"
bench_setup inventory_bench "$@" -- checksec
SBOM=(sbom "$IMAGE" -o "$W/sbom.json")
"$CLEARBOX" --help | grep -q "^  sbom " || SBOM=(inventory --json "$IMAGE" -o "$W/sbom.json")

log "timing on $(du -h "$IMAGE" | cut -f1) $(basename "$IMAGE"), $RUNS runs each"
unpack=$(measure unpack "$CLEARBOX" unpack "$IMAGE" -o "$W/out")
sbom=$(measure "${SBOM[0]}" "$CLEARBOX" "${SBOM[@]}")
inv=$(measure inventory "$CLEARBOX" inventory --json "$IMAGE" -o "$W/inventory.json")
rm -rf "$W/out"
"$CLEARBOX" unpack "$IMAGE" -o "$W/out" >/dev/null
log "checksec --dir over the unpacked tree (once; minutes)"
/usr/bin/time -f "%e %M" -o "$W/time" checksec --output=json --dir="$W/out" >"$W/checksec.json" 2>/dev/null
read -r cs_wall cs_kib <"$W/time"

python3 - "$W" "$unpack" "$sbom" "$inv" "$cs_wall" "$cs_kib" <<'EOF'
import json, os, sys
w = sys.argv[1]
rows = [a.split() for a in sys.argv[2:5]] + [["checksec --dir", sys.argv[5], sys.argv[6]]]
inv = json.load(open(os.path.join(w, "inventory.json")))
manifest = json.load(open(os.path.join(w, "out", "manifest.json")))
out_of = {n["provenance"]: os.path.realpath(os.path.join(w, "out", n["output"]))
          for n in manifest["nodes"] if n.get("output")}
ours = {out_of[f["provenance"]]: f["elf"]["hardening"] for f in inv["files"]
        if "elf" in f and f["provenance"] in out_of}
raw = open(os.path.join(w, "checksec.json")).read()
theirs = {os.path.realpath(k): v for k, v in json.loads(raw).items() if k != "dir"}
fields = ["relro", "canary", "nx", "pie", "rpath", "runpath", "symbols", "fortify_source",
          "fortified", "fortify-able"]
compared = mismatched = 0
for path, cs in theirs.items():
    if path not in ours:
        continue
    compared += 1
    bad = [k for k in fields if str(ours[path].get(k)) != str(cs.get(k))]
    if bad:
        mismatched += 1
        if mismatched <= 5:
            print(f"  disagree: {path}: " + ", ".join(f"{k} {ours[path].get(k)}/{cs.get(k)}" for k in bad))
print("| command | wall s | peak RSS MiB |")
print("| --- | --- | --- |")
for name, wall, kib in rows:
    print(f"| {name} | {float(wall):.2f} | {int(kib) / 1024:.0f} |")
unpack, sbom, invt, cs = (float(r[1]) for r in rows)
print(f"{rows[1][0]} / unpack: {sbom / unpack:.2f}x (target <= 1.5x)")
print(f"checksec --dir / clearbox inventory (whole, ELF facts of {len(ours)} ELF files included): "
      f"{cs / invt:.0f}x (target >= 20x)")
print(f"ELF agreement: {compared} files checksec --dir reports, {mismatched} disagree")
print(f"peak RSS of {rows[1][0]}: {int(rows[1][2]) / 1024:.0f} MiB (target < 512 MiB)")
EOF
