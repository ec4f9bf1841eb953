#!/usr/bin/env bash
# The release story end to end (scripts/release-story.sh: pledge, release, evaluate, publish
# to a witnessed log, bundle, and the device gate: 2 ACCEPT, then a tampered image, a rollback
# and a release whose audit finds an undeclared telnetd, each REJECT naming its check), then
# the attacks only a command line can mount, on the bundles the story made:
#  - endless data: a 10 GB (sparse) bundle is refused unread, at once;
#  - a truncated bundle and one that is not JSON: REJECT naming the bundle;
#  - freeze: the device's clock two days later, the checkpoint is too old: REJECT;
#  - a state file that is not one, a policy that does not parse: exit 2, state untouched;
#  - a REJECT leaves the state as it was; the first ACCEPT creates it;
#  - the verdict and its SARIF: `release show --trust` verifies the evaluator's signature and
#    the verdict names the SARIF's digest.
# CTest sets CLEARBOX, CLEARBOX_SOURCE, CLEARBOX_BUILD.
set -euo pipefail
: "${CLEARBOX:?}" "${CLEARBOX_SOURCE:?}" "${CLEARBOX_BUILD:?}"
source "$(dirname "$0")/lib.sh"
expect_rc() {  # expect_rc CODE OUTFILE command...
  local want=$1 out=$2; shift 2
  set +e; "$@" >"$out" 2>&1; local rc=$?; set -e
  [[ $rc -eq $want ]] || fail "exit $rc, want $want: $* -- $(tail -5 "$out")"
}

bash "$CLEARBOX_SOURCE/tests/images/build-images.sh" "$CLEARBOX_BUILD/test-images" >/dev/null
S=$W/story
"$CLEARBOX_SOURCE/scripts/release-story.sh" "$CLEARBOX" "$CLEARBOX_BUILD/test-images/rootfs" "$S" \
  >"$W/story.log" 2>&1 || fail "the release story: $(tail -20 "$W/story.log")"
grep -q 'the story ended as it should' "$W/story.log" || fail "story did not finish"
echo "ok: the release story (2 ACCEPT, 3 REJECT with their reasons)"

R=$S/release
POLICY=$S/device/policy.json
gate() {  # gate WANT OUT BUNDLE [IMAGE] [extra args]: verify with a copy of the device state
  local want=$1 out=$2 bundle=$3 image=${4:-$R/fw-1.1.tar.gz}
  expect_rc "$want" "$out" "$CLEARBOX" verify --policy "$POLICY" --bundle "$bundle" \
    --state "$W/state.json" "$image" "${@:5}"
}
fresh_state() { rm -f "$W/state.json"; }

# The first ACCEPT creates the state; it then holds the security version and the checkpoint.
fresh_state
gate 0 "$W/out" "$R/fw-1.1.bundle.json"
grep -q '^ACCEPT Example Networks EX-1000 edge router 1.1 (security version 2)' "$W/out" || fail "accept line"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["highestSecurityVersion"] == 2, d; assert d["checkpoint"].startswith("demo.example/log\n"), d' \
  "$W/state.json" || fail "state after ACCEPT: $(cat "$W/state.json")"
cp "$W/state.json" "$W/state.before"

# Endless data: a 10 GB bundle is refused before a byte is read.
truncate -s 10G "$W/huge.json"
start=$(date +%s%N)
gate 1 "$W/out" "$W/huge.json"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q '^FAIL bundle .*10737418240 bytes, more than the limit' "$W/out" || fail "10 GB bundle: $(cat "$W/out")"
(( elapsed_ms < 5000 )) || fail "10 GB bundle took $elapsed_ms ms"
rm -f "$W/huge.json"
echo "ok: a 10 GB bundle refused unread in $elapsed_ms ms"

# Truncated and malformed bundles.
head -c 2000 "$R/fw-1.1.bundle.json" >"$W/truncated.json"
gate 1 "$W/out" "$W/truncated.json"
grep -q '^FAIL bundle ' "$W/out" || fail "truncated bundle: $(cat "$W/out")"
printf 'not a bundle' >"$W/garbage.json"
gate 1 "$W/out" "$W/garbage.json"
grep -q '^FAIL bundle ' "$W/out" || fail "garbage bundle: $(cat "$W/out")"
cmp -s "$W/state.json" "$W/state.before" || fail "a REJECT changed the state"
echo "ok: truncated and malformed bundles REJECT, the state unchanged"

# Freeze: two days later the same checkpoint is stale.
later=$(( $(date +%s) + 2 * 86400 ))
fresh_state
gate 1 "$W/out" "$R/fw-1.1.bundle.json" "$R/fw-1.1.tar.gz" --now "$later"
grep -q '^FAIL checkpoint-age ' "$W/out" || fail "freeze: $(cat "$W/out")"
[[ ! -e $W/state.json ]] || fail "a REJECT created the state"
echo "ok: freeze (a stale checkpoint) REJECT"

# Unusable input: exit 2, the state untouched.
cp "$W/state.before" "$W/state.json"
printf '{"type": "https://clearbox.dev/gate-state/v1", "highestSecurityVersion": "two"}' >"$W/bad-state.json"
expect_rc 2 "$W/out" "$CLEARBOX" verify --policy "$POLICY" --bundle "$R/fw-1.1.bundle.json" \
  --state "$W/bad-state.json" "$R/fw-1.1.tar.gz"
grep -q 'highestSecurityVersion' "$W/out" || fail "bad state message: $(cat "$W/out")"
printf '{"type": "https://clearbox.dev/gate-policy/v1"' >"$W/bad-policy.json"
expect_rc 2 "$W/out" "$CLEARBOX" verify --policy "$W/bad-policy.json" --bundle "$R/fw-1.1.bundle.json" \
  --state "$W/state.json" "$R/fw-1.1.tar.gz"
grep -q -- '--policy' "$W/out" || fail "bad policy message: $(cat "$W/out")"
cmp -s "$W/state.json" "$W/state.before" || fail "unusable input changed the state"
echo "ok: a bad state or policy is exit 2 and changes nothing"

# The verdict: signed by the evaluator, naming the SARIF it was drawn from.
"$CLEARBOX" key public "$S/keys/evaluator.key" >"$W/evaluator.pub"
expect_rc 0 "$W/out" "$CLEARBOX" release show "$R/fw-1.2.verdict.dsse.json" --trust "$W/evaluator.pub"
grep -q 'verified: signed by lab.example/evaluator' "$W/out" || fail "verdict signature: $(cat "$W/out")"
sarif_sha=$(sha256sum "$R/fw-1.2.verdict.sarif" | cut -d' ' -f1)
grep -q "\"$sarif_sha\"" "$W/out" || fail "the verdict does not name its SARIF's digest $sarif_sha"
grep -q '"result": "fail"' "$W/out" || fail "fw-1.2's verdict is not fail"
grep -q 'CB-PLEDGE-001/' "$W/out" || fail "fw-1.2's verdict does not block on the undeclared telnetd"
expect_rc 1 "$W/out" "$CLEARBOX" release show "$R/fw-1.2.verdict.dsse.json" --trust "$S/keys/vendor.pub"
echo "ok: the verdict is the evaluator's and names its SARIF"

# What the CLI wrote validates against the documented schemas (when ajv is installed).
npm_prefix=${CLEARBOX_NPM_PREFIX:-$CLEARBOX_SOURCE/build/npm}
if [[ -d $npm_prefix/node_modules/ajv ]] && command -v node >/dev/null; then
  export CLEARBOX_NPM_PREFIX=$npm_prefix
  schema() { node "$CLEARBOX_SOURCE/tests/json_schema_validate.js" "$CLEARBOX_SOURCE/docs/schemas/$1.schema.json" "${@:2}" >"$W/ajv.out" 2>&1 || fail "$1 schema: $(cat "$W/ajv.out")"; }
  schema bundle "$R/fw-1.0.bundle.json" "$R/fw-1.1.bundle.json" "$R/fw-1.2.bundle.json"
  schema gate-policy "$POLICY"
  schema gate-state "$S/device/state.json"
  for kind in pledge release verdict; do
    for env in "$R"/*.dsse.json; do
      python3 -c 'import base64, json, sys; e = json.load(open(sys.argv[1])); open(sys.argv[2], "wb").write(base64.b64decode(e["payload"]))' "$env" "$W/stmt.json"
      if grep -q "clearbox.dev/$kind/v1" "$W/stmt.json"; then schema "$kind.statement" "$W/stmt.json"; fi
    done
  done
  echo "ok: the bundles, policy, state and every statement validate against docs/schemas"
else
  [[ -z ${CLEARBOX_REQUIRE_VALIDATORS:-} ]] || fail "no ajv under $npm_prefix"
  echo "SKIP: schema validation (no ajv under $npm_prefix)"
fi
