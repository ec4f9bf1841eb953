#!/usr/bin/env bash
# The release story, end to end on loopback (scripts/demo.sh runs it; so does
# tests/release_gate_test.sh, which adds the attacks a shell can mount):
#   a vendor signs its pledge and releases firmware 1.0; an evaluator audits it against the
#   pledge and signs a verdict; all three go into a transparency log that a witness cosigns;
#   a device holding a trust policy verifies the bundle offline and installs: ACCEPT. Then
#   1.1 (ACCEPT, the log proven append-only since 1.0), and three refusals, each with its
#   reason: 1.1 with one byte changed, 1.0 again (a rollback), and 1.2, whose audit finds an
#   undeclared telnetd.
#   release-story.sh CLEARBOX ROOTFS WORKDIR
# ROOTFS: the Debian-package rootfs of tests/images/build-images.sh. Exits non-zero if any
# step does not end as the story says.
set -euo pipefail
CB=$1
ROOTFS=$2
W=$3
SRC=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$W"
W=$(cd "$W" && pwd)
rm -rf "$W/keys" "$W/log" "$W/witness" "$W/release" "$W/device"
mkdir -p "$W/keys" "$W/release" "$W/device"

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
die() { echo "release story: FAILED: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }
url_of() {  # url_of OUTFILE: the http://HOST:PORT a server printed
  for _ in $(seq 1 100); do
    if grep -q 'on http://' "$1" 2>/dev/null; then grep -o 'http://[0-9.]*:[0-9]*' "$1"; return; fi
    sleep 0.1
  done
  die "server did not start: $(cat "$1" "$1.err" 2>/dev/null)"
}
# verify WANT_RC WANT_CHECK IMAGE BUNDLE: the device gate; WANT_CHECK is the failing check a
# REJECT must name.
verify() {
  local want=$1 check=$2 image=$3 bundle=$4 rc=0
  "$CB" verify --policy "$W/device/policy.json" --bundle "$bundle" --state "$W/device/state.json" \
    "$image" >"$W/verify.out" || rc=$?
  sed 's/^/   /' "$W/verify.out"
  [[ $rc -eq $want ]] || die "clearbox verify $(basename "$image"): exit $rc, want $want"
  if [[ -n $check ]]; then
    grep -qE "^FAIL $check " "$W/verify.out" || die "the REJECT does not name the check '$check'"
  fi
}

step "the images (tests/release/make_demo_images.sh): fw-1.0, fw-1.1, and fw-1.2 with a telnetd"
"$SRC/tests/release/make_demo_images.sh" "$ROOTFS" "$W/release"
R=$W/release
PLEDGE=$SRC/tests/release/demo-pledge.json

step "keys: vendor, evaluator, log, witness"
VENDOR=$("$CB" key generate example-networks.example/vendor -o "$W/keys/vendor.key")
EVAL=$("$CB" key generate lab.example/evaluator -o "$W/keys/evaluator.key")
LOG=$("$CB" key generate demo.example/log -o "$W/keys/log.key")
WITNESS=$("$CB" key generate --cosigner witness.example/w1 -o "$W/keys/witness.key")
echo "$VENDOR" >"$W/keys/vendor.pub"
printf 'vendor    %s\nevaluator %s\nlog       %s\nwitness   %s\n' "$VENDOR" "$EVAL" "$LOG" "$WITNESS"

step "a transparency log on loopback, cosigned by a witness"
echo "log $LOG" >"$W/witness-logs.conf"
"$CB" log witness --key "$W/keys/witness.key" --logs "$W/witness-logs.conf" --data "$W/witness" \
  --listen 127.0.0.1:0 >"$W/witness.out" 2>"$W/witness.out.err" &
pids+=($!)
WITNESS_URL=$(url_of "$W/witness.out")
"$CB" log init --data "$W/log" --key "$W/keys/log.key" --origin demo.example/log \
  --submitter "$VENDOR" --submitter "$EVAL" --witness "$WITNESS=$WITNESS_URL" >/dev/null
"$CB" log serve --data "$W/log" --key "$W/keys/log.key" --listen 127.0.0.1:0 \
  >"$W/log.out" 2>"$W/log.out.err" &
pids+=($!)
LOG_URL=$(url_of "$W/log.out")
echo "log $LOG_URL, witness $WITNESS_URL"

step "the device's trust policy (docs/gate.md)"
python3 - "$VENDOR" "$EVAL" "$LOG" "$WITNESS" >"$W/device/policy.json" <<'PY'
import json, sys
vendor, evaluator, log, witness = sys.argv[1:5]
print(json.dumps({
    "type": "https://clearbox.dev/gate-policy/v1",
    "vendor": "Example Networks", "product": "EX-1000 edge router",
    "vendorKeys": {"threshold": 1, "keys": [vendor]},
    "evaluatorKeys": {"threshold": 1, "keys": [evaluator]},
    "log": {"origin": "demo.example/log", "key": log},
    "witnesses": {"quorum": 1, "keys": [witness]},
    "minSecurityVersion": 1,
    "maxCheckpointAgeSeconds": 86400,
    "requiredVerdict": "pass",
    "revokedKeys": []}, indent=2))
PY
cat "$W/device/policy.json"

# release VERSION SECURITY_VERSION: create, evaluate (its exit code in EVAL_RC), publish, bundle.
release() {
  local v=$1 sv=$2 image=$R/fw-$1.tar.gz
  step "vendor: release $v (security version $sv)"
  "$CB" release create "$image" --key "$W/keys/vendor.key" --pledge "$R/pledge.dsse.json" \
    --version "$v" --security-version "$sv" --source-revision "git:demo-$v" -o "$R/fw-$v.release.dsse.json"
  step "evaluator: audit fw-$v against the signed pledge, sign the verdict"
  EVAL_RC=0
  "$CB" release evaluate "$image" --pledge "$R/pledge.dsse.json" --vendor-key "$W/keys/vendor.pub" \
    --key "$W/keys/evaluator.key" -o "$R/fw-$v.verdict.dsse.json" || EVAL_RC=$?
  [[ $EVAL_RC -le 1 ]] || die "release evaluate fw-$v: exit $EVAL_RC"
  step "publish the release and the verdict in the log; bundle them for devices"
  "$CB" release publish "$LOG_URL" "$R/fw-$v.release.dsse.json" --submitter-key "$W/keys/vendor.key" --log-key "$LOG"
  "$CB" release publish "$LOG_URL" "$R/fw-$v.verdict.dsse.json" --submitter-key "$W/keys/evaluator.key" --log-key "$LOG"
  local consistency=()
  [[ -f $W/device/state.json ]] && consistency=(--consistency-from "$W/device/state.json")
  "$CB" release bundle "$LOG_URL" "$R/pledge.dsse.json" "$R/fw-$v.release.dsse.json" \
    "$R/fw-$v.verdict.dsse.json" --log-key "$LOG" "${consistency[@]}" -o "$R/fw-$v.bundle.json"
}

step "vendor: sign the pledge (tests/release/demo-pledge.json) and log it"
"$CB" pledge sign "$PLEDGE" --key "$W/keys/vendor.key" -o "$R/pledge.dsse.json"
"$CB" release publish "$LOG_URL" "$R/pledge.dsse.json" --submitter-key "$W/keys/vendor.key" --log-key "$LOG"

release 1.0 1
[[ $EVAL_RC -eq 0 ]] || die "fw-1.0's audit should pass"
step "device: install fw-1.0 -> ACCEPT"
verify 0 "" "$R/fw-1.0.tar.gz" "$R/fw-1.0.bundle.json"

release 1.1 2
[[ $EVAL_RC -eq 0 ]] || die "fw-1.1's audit should pass"
step "device: install fw-1.1 -> ACCEPT (the bundle proves the log grew from the state's checkpoint)"
verify 0 "" "$R/fw-1.1.tar.gz" "$R/fw-1.1.bundle.json"
echo "   state: $(tr -d '\n' <"$W/device/state.json" | cut -c1-120)..."

step "attack: fw-1.1 with one byte changed -> REJECT"
cp "$R/fw-1.1.tar.gz" "$R/fw-1.1-tampered.tar.gz"
printf '\x00' | dd of="$R/fw-1.1-tampered.tar.gz" bs=1 seek=4096 conv=notrunc status=none
verify 1 "release" "$R/fw-1.1-tampered.tar.gz" "$R/fw-1.1.bundle.json"

step "attack: fw-1.0 again, validly signed, logged and audited: a rollback -> REJECT"
verify 1 "security-version" "$R/fw-1.0.tar.gz" "$R/fw-1.0.bundle.json"

release 1.2 3
[[ $EVAL_RC -eq 1 ]] || die "fw-1.2's audit should fail (undeclared telnetd)"
step "device: install fw-1.2, whose verdict is fail (undeclared telnetd) -> REJECT"
verify 1 "verdict" "$R/fw-1.2.tar.gz" "$R/fw-1.2.bundle.json"

step "the story ended as it should: 2 ACCEPT, 3 REJECT, each with its reason"
