#!/usr/bin/env bash
# `clearbox pledge check` and docs/pledge.schema.json: the documented example is valid for
# both the parser and the schema (ajv, draft 2020-12, tests/json_schema_validate.js); each
# variant below is accepted by both or rejected by both, so the schema and the parser agree
# both ways; every error names the file and the JSON path; hostile documents fail cleanly.
set -euo pipefail
CLEARBOX=${CLEARBOX:?CLEARBOX: the clearbox binary}
SRC=${CLEARBOX_SOURCE:-$(cd "$(dirname "$0")/.." && pwd)}
source "$SRC/tests/lib.sh"
EXAMPLE=$SRC/docs/examples/pledge.json
SCHEMA=$SRC/docs/pledge.schema.json

npm_prefix=${CLEARBOX_NPM_PREFIX:-$SRC/build/npm}
schema_check=1
if [[ ! -d $npm_prefix/node_modules/ajv ]] || ! command -v node >/dev/null; then
  [[ -z ${CLEARBOX_REQUIRE_VALIDATORS:-} ]] ||
    fail "no ajv under $npm_prefix or no node (scripts/install-deps.sh)"
  echo "SKIP: schema checks (no ajv under $npm_prefix)"
  schema_check=0
fi
export CLEARBOX_NPM_PREFIX=$npm_prefix
schema_valid() { node "$SRC/tests/json_schema_validate.js" "$SCHEMA" "$1" >"$W/ajv.out" 2>&1; }

# The example.
out=$("$CLEARBOX" pledge check "$EXAMPLE") || fail "the example is rejected: $out"
[[ $out == "ok: Example Networks EX-1000 edge router (2.4.0, 2.4.1): 4 services, 3 accounts, 2 keys, 4 endpoints" ]] ||
  fail "unexpected summary: $out"
if [[ $schema_check == 1 ]]; then
  schema_valid "$EXAMPLE" || fail "the example against the schema: $(cat "$W/ajv.out")"
fi

# docs/pledge.md shows the example in full, as it is.
python3 - "$SRC/docs/pledge.md" "$EXAMPLE" <<'PY' || fail "docs/pledge.md's full example differs from $EXAMPLE"
import sys
md, example = open(sys.argv[1]).read(), open(sys.argv[2]).read()
block = md.split("## Full example", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
sys.exit(0 if block == example else 1)
PY

# Variants of the example: NAME, EXPECTED (ok|error), the error's "/path: text" (for errors),
# and a Python statement editing the document `d`.
variant() {
  local name=$1 expect=$2 message=$3 edit=$4 doc=$W/$1.json rc=0
  python3 - "$EXAMPLE" "$doc" "$edit" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
  "$CLEARBOX" pledge check "$doc" >"$W/out" 2>"$W/err" || rc=$?
  if [[ $expect == ok ]]; then
    [[ $rc -eq 0 ]] || fail "$name: clearbox rejects it: $(cat "$W/err")"
  else
    [[ $rc -eq 2 ]] || fail "$name: clearbox exit $rc, want 2"
    grep -qF "clearbox: $doc: $message" "$W/err" ||
      fail "$name: want 'clearbox: $doc: $message', got: $(cat "$W/err")"
  fi
  if [[ $schema_check == 1 ]]; then
    if schema_valid "$doc"; then
      [[ $expect == ok ]] || fail "$name: the schema accepts what the parser rejects"
    else
      [[ $expect == error ]] || fail "$name: the schema rejects it: $(cat "$W/ajv.out")"
    fi
  fi
}

variant mud-url ok "" 'd["outbound"] = {"mud_url": "https://mud.example/ex-1000.json"}'
variant no-maintenance ok "" 'd["maintenance"] = {"procedure": "none"}'
variant console-only ok "" 'd["services"] = [d["services"][3]]'
variant no-services ok "" 'd["services"] = []; d["keys"] = []'
variant port error "/services/2/ports/0: 70000 is not a port (1-65535)" \
  'd["services"][2]["ports"][0] = 70000'
variant unknown-field error "/services/0/colour: unknown field" 'd["services"][0]["colour"] = "red"'
variant top-unknown error "/signature: unknown field" 'd["signature"] = "x"'
variant uid-type error "/accounts/1/uid: expected an integer, got string" \
  'd["accounts"][1]["uid"] = "1000"'
variant uid-range error "/accounts/1/uid: 4294967295 is not a uid (0-4294967294)" \
  'd["accounts"][1]["uid"] = 4294967295'
variant missing error "/keys/0: missing required field 'purpose'" 'del d["keys"][0]["purpose"]'
variant statement error "/no_other_ways_in: must be true" 'd["no_other_ways_in"] = False'
variant http-mud error "/outbound/mud_url: 'http://mud.example/x' is not an https:// URL" \
  'd["outbound"] = {"mud_url": "http://mud.example/x"}'
variant both-mud error "/outbound: needs exactly one of 'mud'" \
  'd["outbound"]["mud_url"] = "https://mud.example/x"'
variant fingerprint error "/keys/0/fingerprint: 'MD5:00:11' is not a SHA-256 fingerprint" \
  'd["keys"][0]["fingerprint"] = "MD5:00:11"'
variant ports-alone error "/services/0: ports need 'protocols'" 'del d["services"][0]["protocols"]'
variant approvals error "/maintenance: operator-approved needs 'approvals'" \
  'del d["maintenance"]["approvals"]'
variant program error "/services/0/name: '/usr/sbin/dropbear' is not a program name" \
  'd["services"][0]["name"] = "/usr/sbin/dropbear"'
variant mud-last-update error \
  '/outbound/mud/ietf-mud:mud: missing required member "last-update"' \
  'del d["outbound"]["mud"]["ietf-mud:mud"]["last-update"]'
variant dst-port error \
  "/outbound/mud/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/tcp/destination-port/port: 0 is not a port (1-65535)" \
  'd["outbound"]["mud"]["ietf-access-control-list:acls"]["acl"][0]["aces"]["ace"][0]["matches"]["tcp"]["destination-port"]["port"] = 0'

# Checks a schema cannot express: the parser alone rejects them (the schema's description
# lists them).
"$CLEARBOX" pledge check <(python3 -c '
import json, sys; d = json.load(open(sys.argv[1])); d["accounts"][2]["name"] = "root"; print(json.dumps(d))' "$EXAMPLE") \
  2>"$W/err" && fail "a duplicate account is accepted"
grep -qF "/accounts/2/name: account 'root' is declared twice (first at /accounts/0/name)" "$W/err" ||
  fail "duplicate account: $(cat "$W/err")"

# Several problems at once: one line each.
python3 - "$EXAMPLE" "$W/many.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["services"][2]["ports"][0] = 70000
d["accounts"][0]["uid"] = -1
d["services"][1]["logins"] = ["bob"]
json.dump(d, open(sys.argv[2], "w"))
PY
rc=0; "$CLEARBOX" pledge check "$W/many.json" 2>"$W/err" || rc=$?
[[ $rc -eq 2 && $(grep -c "^clearbox: $W/many.json: /" "$W/err") -eq 3 ]] ||
  fail "three problems, one a line: $(cat "$W/err")"

# Hostile documents: a clear error, exit 2, no crash.
hostile() {
  local name=$1 want=$2 rc=0
  "$CLEARBOX" pledge check "$W/$name" >/dev/null 2>"$W/err" || rc=$?
  [[ $rc -eq 2 ]] || fail "$name: exit $rc, want 2 ($(cat "$W/err"))"
  grep -qF "$want" "$W/err" || fail "$name: want '$want', got: $(cat "$W/err")"
}
printf 'pledge: yes\n' >"$W/yaml"
hostile yaml "$W/yaml: not JSON: "
python3 -c 'print("[" * 200000 + "]" * 200000)' >"$W/deep"
hostile deep "$W/deep: nested deeper than 64 levels"
head -c $((5 << 20)) /dev/zero | tr '\0' ' ' >"$W/huge"
hostile huge "more than the limit"
printf '{"pledge_version": 1, "pledge_version": 1}' >"$W/dupkey"
hostile dupkey 'key "pledge_version" appears twice in one object'
printf '{"product": "\xff"}' >"$W/binary"
hostile binary "not JSON"
rc=0; "$CLEARBOX" pledge check "$W/absent.json" 2>/dev/null || rc=$?
[[ $rc -eq 2 ]] || fail "a missing file: exit $rc, want 2"
rc=0; "$CLEARBOX" pledge 2>/dev/null || rc=$?
[[ $rc -eq 2 ]] || fail "'clearbox pledge' alone: exit $rc, want 2"

echo "PASS: pledge check and schema"
