#!/usr/bin/env bash
# The main job on the embedded default, end to end on one machine:
#   1. builds clearbox and a sample firmware image from Debian packages
#      (tar.gz -> U-Boot uImage -> squashfs root filesystem: busybox, dropbear, OpenSSL),
#   2. unpacks it (manifest with provenance of every file),
#   3. inventories it: components and versions, ELF hardening, keys, known vulnerabilities
#      (against the test advisory set in tests/data/advisories), and writes its CycloneDX SBOM,
#   4. audits it against the example vendor pledge (docs/examples/pledge.json): every way in
#      the pledge does not declare, as text and as HTML, SARIF, JSON and CycloneDX in out/audit,
#   5. runs the release story (scripts/release-story.sh): the vendor signs its pledge and
#      releases, an evaluator audits each release against the pledge and signs a verdict, all
#      of it goes into a transparency log a witness cosigns, and a device verifies bundles
#      offline against its trust policy: two ACCEPT, then a tampered image, a rollback and a
#      release with an undeclared telnetd, each REJECT with its reason,
#   6. runs the maintenance story (scripts/maint-story.sh; needs root for a real sshd on
#      loopback): a request, 2-of-3 approvals, a short-lived OpenSSH certificate, a recorded
#      session sealed into the log, `maint audit` clean; then another CA's certificate and the
#      revoked one refused by sshd and reported by `maint audit`.
# Everything it writes goes under ./clearbox-data (keys, log, releases, device state) and ./out.
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

echo "== the release story: pledge, release, evaluation, a witnessed log, the device gate"
# scripts/release-story.sh: a vendor's signed pledge and releases, an evaluator's verdicts, a
# transparency log on loopback cosigned by a witness, and a device that installs only what
# its trust policy accepts: fw-1.0 and fw-1.1 ACCEPT; a tampered image, a rollback and a
# release with an undeclared telnetd each REJECT with its reason. Its files: clearbox-data/.
scripts/release-story.sh "$CB" build/test-images/rootfs clearbox-data

echo "== the maintenance story: approvals, a certificate, a recorded session, maint audit"
# scripts/maint-story.sh: a vendor engineer's visit under k-of-n approval, on a certificate
# that expires by itself, recorded and sealed into the log; its files: clearbox-data/maint.
scripts/maint-story.sh "$CB" clearbox-data/maint
