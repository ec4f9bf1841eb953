#!/usr/bin/env bash
# The gate's JSON Schemas (docs/schemas/{gate-policy,bundle,gate-state}.schema.json) against
# real documents: the documented example policy, and a bundle, policy and state that
# gate_test builds for real (GateBundle.RoundTrips writes them to $CLEARBOX_BUILD/gate-samples).
# Then variants each schema must refuse, so that a schema that accepts anything fails here.
set -euo pipefail
SRC=${CLEARBOX_SOURCE:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${CLEARBOX_BUILD:-$SRC/build}
source "$SRC/tests/lib.sh"
npm_prefix=${CLEARBOX_NPM_PREFIX:-$SRC/build/npm}
if [[ ! -d $npm_prefix/node_modules/ajv ]] || ! command -v node >/dev/null; then
  [[ -z ${CLEARBOX_REQUIRE_VALIDATORS:-} ]] || fail "no ajv under $npm_prefix or no node"
  echo "SKIP: no ajv under $npm_prefix (scripts/install-deps.sh)"
  exit 0
fi
export CLEARBOX_NPM_PREFIX=$npm_prefix
[[ -x $BUILD/src/gate_test ]] || fail "no $BUILD/src/gate_test (build it)"
"$BUILD/src/gate_test" --gtest_filter=GateBundle.RoundTrips >"$W/gtest.out" 2>&1 ||
  fail "gate_test: $(tail -5 "$W/gtest.out")"
S=$BUILD/gate-samples
valid() { node "$SRC/tests/json_schema_validate.js" "$SRC/docs/schemas/$1.schema.json" "${@:2}" >"$W/ajv.out" 2>&1; }

valid gate-policy "$SRC/docs/examples/gate-policy.json" "$S/policy.json" ||
  fail "policy schema: $(cat "$W/ajv.out")"
valid bundle "$S/bundle.json" || fail "bundle schema: $(cat "$W/ajv.out")"
valid gate-state "$S/state.json" || fail "state schema: $(cat "$W/ajv.out")"

# SCHEMA DOC NAME PYTHON-EDIT-OF-d: the edited document must be refused.
refused() {
  python3 - "$2" "$W/$3.json" "$4" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
PY
  if valid "$1" "$W/$3.json"; then fail "$1 schema accepts $3"; fi
}
P=$SRC/docs/examples/gate-policy.json
refused gate-policy "$P" unknown-field 'd["minSecurityVersoin"] = 3'
refused gate-policy "$P" type 'd["type"] = "https://clearbox.dev/gate-policy/v2"'
refused gate-policy "$P" threshold-0 'd["vendorKeys"]["threshold"] = 0'
refused gate-policy "$P" verdict 'd["requiredVerdict"] = "fail"'
refused gate-policy "$P" no-log 'del d["log"]'
refused gate-policy "$P" log-key 'd["log"]["key"] = "not a key"'
refused bundle "$S/bundle.json" media-type 'd["mediaType"] = "application/json"'
refused bundle "$S/bundle.json" hash 'd["statements"][0]["inclusionProof"] = ["AAAA"]'
refused bundle "$S/bundle.json" index 'd["statements"][0]["logIndex"] = -1'
refused bundle "$S/bundle.json" extra 'd["statements"][0]["kind"] = "release"'
refused bundle "$S/bundle.json" empty 'd["statements"] = []'
refused bundle "$S/bundle.json" from-0 'd["consistencyProofs"] = [{"fromSize": 0, "hashes": []}]'
refused gate-state "$S/state.json" state-type 'd["type"] = "x"'
refused gate-state "$S/state.json" state-version 'd["highestSecurityVersion"] = "5"'
echo PASS
