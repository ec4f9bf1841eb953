#!/usr/bin/env bash
# Accuracy of `clearbox audit`: every image built by tests/images/audit/<area>.sh has planted
# issues that must be found (right check id, right path) and decoys that must not be flagged
# (tests/images/audit/score.py says how expected.tsv reads). Prints precision and recall per
# check (bench/README.md keeps the figures).
#   tests/audit_accuracy_test.sh [AREA...]     default: every tests/images/audit/*.sh
#
# An area script is called as `AREA.sh OUTDIR` and writes OUTDIR/rootfs/ (packed here into a
# squashfs) or OUTDIR/image (used as is), OUTDIR/expected.tsv, and optionally OUTDIR/args
# (extra `clearbox audit` arguments, one a line, e.g. `--allow` and a file it wrote).
# Built images are cached under $CLEARBOX_BUILD/test-images/audit/AREA (by the script's hash).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CLEARBOX=${CLEARBOX:?CLEARBOX: the clearbox binary}
BUILD=${CLEARBOX_BUILD:?CLEARBOX_BUILD: the build tree}
source "$HERE/lib.sh"
command -v mksquashfs >/dev/null || fail "mksquashfs not found (scripts/install-deps.sh)"

areas=("$@")
if [[ ${#areas[@]} -eq 0 ]]; then
  # AREA.sh is an area; AREA.part.sh is a helper of one (sourced or run by AREA.sh).
  for s in "$HERE"/images/audit/*.sh; do
    a=$(basename "$s" .sh)
    [[ $a == *.* ]] || areas+=("$a")
  done
fi

counts=$W/counts.tsv
: >"$counts"
failed=()
for area in "${areas[@]}"; do
  script=$HERE/images/audit/$area.sh
  [[ -f $script ]] || fail "no area script $script"
  out=$BUILD/test-images/audit/$area
  stamp=$(cat "$script" "$HERE"/images/audit/"$area".* 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [[ ! -f $out/stamp || $(cat "$out/stamp") != "$stamp" ]]; then
    rm -rf "$out"
    mkdir -p "$out"
    CLEARBOX_BUILD=$BUILD bash "$script" "$out" || fail "$area: building its image failed"
    if [[ ! -f $out/image ]]; then
      [[ -d $out/rootfs ]] || fail "$area: wrote neither image nor rootfs/"
      mksquashfs "$out/rootfs" "$out/image" -noappend -all-root -no-progress -quiet \
        -mkfs-time 1700000000 -all-time 1700000000 >/dev/null || fail "$area: mksquashfs failed"
    fi
    echo "$stamp" >"$out/stamp"
  fi
  args=()
  if [[ -f $out/args ]]; then mapfile -t args <"$out/args"; fi
  rc=0
  "$CLEARBOX" audit "$out/image" --format json -o "$W/$area.json" --fail-on critical \
    "${args[@]}" 2>"$W/$area.err" || rc=$?
  if [[ $rc -gt 1 ]]; then
    cat "$W/$area.err" >&2
    fail "$area: clearbox audit exited $rc"
  fi
  python3 "$HERE/images/audit/score.py" "$area" "$out/expected.tsv" "$W/$area.json" \
    >>"$counts" || failed+=("$area")
done

# Precision and recall per check over every area.
python3 - "$counts" <<'PY'
import collections, sys
rows = collections.defaultdict(lambda: [0, 0, 0])
for line in open(sys.argv[1]):
    area, check, e, found, fp = line.split("\t")
    for i, v in enumerate((e, found, fp)):
        rows[check][i] += int(v)
print(f"{'CHECK':<13} {'PLANTED':>7} {'FOUND':>5} {'FALSE+':>6} {'RECALL':>6} {'PRECISION':>9}")
for check in sorted(rows):
    e, found, fp = rows[check]
    recall = f"{found / e:.2f}" if e else "-"
    precision = f"{found / (found + fp):.2f}" if found + fp else "-"
    print(f"{check:<13} {e:>7} {found:>5} {fp:>6} {recall:>6} {precision:>9}")
PY
[[ ${#failed[@]} -eq 0 ]] || fail "accuracy: ${failed[*]}"
echo "PASS: audit accuracy (${#areas[@]} areas)"
