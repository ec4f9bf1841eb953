#!/usr/bin/env bash
# The main job on the embedded default, end to end on one machine:
#   1. builds clearbox and a sample firmware image from Debian packages
#      (tar.gz -> U-Boot uImage -> squashfs root filesystem: busybox, dropbear, OpenSSL),
#   2. unpacks it (manifest with provenance of every file),
#   3. inventories it: components and versions, ELF hardening, keys, known vulnerabilities
#      (against the test advisory set in tests/data/advisories), and writes its CycloneDX SBOM,
#   4. audits it against the example vendor pledge (docs/examples/pledge.json): every way in
#      the pledge does not declare, as text and as HTML, SARIF, JSON and CycloneDX in out/audit,
#   5. records the release (image, manifest, SBOM and audit report digests) in a transparency
#      log served on loopback, with a witness cosigning every checkpoint,
#   6. verifies the release's inclusion proof against the log's key, as a device would.
# Everything it writes goes under ./clearbox-data (the log, keys) and ./out (the unpacked tree).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLEARBOX_BUILD_TESTS=OFF >/dev/null
cmake --build build
CB=$PWD/build/clearbox

echo "== building the sample image (cached under build/test-images)"
tests/images/build-images.sh build/test-images
IMAGE=build/test-images/images/nested.tar.gz

echo "== clearbox ls $IMAGE (first lines; all of them in out/ls.txt)"
mkdir -p out
"$CB" ls "$IMAGE" >out/ls.txt
head -n 15 out/ls.txt

echo "== clearbox unpack $IMAGE -o out/unpacked"
"$CB" unpack "$IMAGE" -o out/unpacked --force
echo "manifest: out/unpacked/manifest.json"

echo "== clearbox inventory $IMAGE --vulndb out/advisories.db (first lines; all in out/inventory.txt)"
rm -f out/advisories.db
"$CB" vulndb import tests/data/advisories/osv tests/data/advisories/nvd --db out/advisories.db
"$CB" inventory "$IMAGE" --vulndb out/advisories.db >out/inventory.txt
grep -v '^x86-64 ' out/inventory.txt | head -n 30
echo "== clearbox sbom $IMAGE -o out/sbom.cdx.json (CycloneDX 1.6, with the vulnerabilities)"
"$CB" sbom "$IMAGE" --vulndb out/advisories.db -o out/sbom.cdx.json

echo "== clearbox audit $IMAGE --pledge docs/examples/pledge.json --format all -o out/audit"
# Exit 1 means findings at or above --fail-on: expected here (the sample has planted back doors).
rc=0
"$CB" audit "$IMAGE" --pledge docs/examples/pledge.json --vulndb out/advisories.db \
  --format all -o out/audit --fail-on critical || rc=$?
[[ $rc -le 1 ]] || exit "$rc"
echo "reports: out/audit/report.html (open in a browser), report.sarif, report.json, sbom.cdx.json"

echo "== a transparency log with a witness in clearbox-data/"
DATA=clearbox-data
rm -rf "$DATA" && mkdir -p "$DATA/keys"
LOG_VKEY=$("$CB" key generate demo.example/log -o "$DATA/keys/log.key")
WIT_VKEY=$("$CB" key generate --cosigner demo.example/witness -o "$DATA/keys/witness.key")
SUB_VKEY=$("$CB" key generate demo.example/vendor -o "$DATA/keys/vendor.key")
echo "log $LOG_VKEY" >"$DATA/witness-logs.conf"

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT
"$CB" log witness --key "$DATA/keys/witness.key" --logs "$DATA/witness-logs.conf" \
  --data "$DATA/witness" --listen 127.0.0.1:7381 &
pids+=($!)
"$CB" log init --data "$DATA/log" --key "$DATA/keys/log.key" --origin demo.example/log \
  --submitter "$SUB_VKEY" --witness "$WIT_VKEY=http://127.0.0.1:7381"
"$CB" log serve --data "$DATA/log" --key "$DATA/keys/log.key" --listen 127.0.0.1:7380 &
pids+=($!)
for _ in $(seq 50); do curl -sf http://127.0.0.1:7380/checkpoint >/dev/null && break; sleep 0.1; done

echo "== logging the release statement"
python3 - "$IMAGE" out/unpacked/manifest.json out/sbom.cdx.json out/audit/report.sarif \
  >"$DATA/release.json" <<'PY'
import hashlib, json, sys
image, manifest, sbom, audit = sys.argv[1:5]
digest = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
print(json.dumps({"image": image.rsplit("/", 1)[-1], "image_sha256": digest(image),
                  "manifest_sha256": digest(manifest), "sbom_sha256": digest(sbom),
                  "audit_sarif_sha256": digest(audit), "version": "demo-1"}, sort_keys=True))
PY
mkdir -p "$DATA/proofs"
"$CB" log add http://127.0.0.1:7380 "$DATA/release.json" --submitter-key "$DATA/keys/vendor.key" \
  --log-key "$LOG_VKEY" --proofs "$DATA/proofs"

echo "== verifying the release as a device would (offline: entry + proof + log key)"
"$CB" log verify-inclusion --entry "$DATA/release.json" --proof "$DATA/proofs/release.json.tlog-proof" \
  --key "$LOG_VKEY" --witness "$WIT_VKEY" --quorum 1
echo "== the log's checkpoint, cosigned by the witness"
curl -s http://127.0.0.1:7380/checkpoint
