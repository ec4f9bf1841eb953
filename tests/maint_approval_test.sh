#!/usr/bin/env bash
# `clearbox maint request / approve / deny / status / issue / check-policy` against a real
# `clearbox log serve` on loopback: a 2-of-3 approval and its certificate, then each refusal
# with its own reason.
set -euo pipefail
: "${CLEARBOX:?}"

# W (scratch dir), PIDS (stopped at exit), fail
source "$(dirname "$0")/lib.sh"
command -v ssh-keygen >/dev/null || { echo "SKIP: no ssh-keygen"; exit 0; }
run() {  # run CODE OUT command...: exit code must be CODE; stdout+stderr in OUT
  local want=$1 out=$2; shift 2
  set +e; "$@" >"$out" 2>&1; local rc=$?; set -e
  [[ $rc -eq $want ]] || fail "exit $rc, want $want: $* :: $(head -c 2000 "$out")"
}
expect() {  # expect FILE TEXT: the file contains TEXT
  grep -qF -- "$2" "$1" || fail "want '$2' in $1: $(head -c 2000 "$1")"
}

# Keys: the log's, people's (clearbox keys), the CA's and the engineer's (OpenSSH).
for who in log noc alice bob carol dave mallory issuer; do
  "$CLEARBOX" key generate "$who.example" -o "$W/$who.key" >"$W/$who.vkey" 2>/dev/null
done
ssh-keygen -q -t ed25519 -N '' -C ca -f "$W/ca"
ssh-keygen -q -t ed25519 -N '' -C engineer -f "$W/engineer"

start_log "$W/log.key" log.example

vk() { cat "$W/$1.vkey"; }
officer() { printf '{"name": "%s", "roles": ["officer"], "key": "%s"%s}' "$1" "$(vk "$1")" "${2:-}"; }
write_policy() {  # write_policy FILE APPROVE
  cat >"$1" <<EOF
{
  "version": 1,
  "ca-key": "$(cat "$W/ca.pub")",
  "requesters": [{"name": "noc", "key": "$(vk noc)"}, {"name": "carol", "key": "$(vk carol)"}],
  "approvers": [$(officer alice), $(officer bob), $(officer carol), $(officer dave ', "revoked": true')],
  "issuers": [{"name": "ca-host", "key": "$(vk issuer)"}],
  "thresholds": [{"name": "two officers", "roles": ["officer"], "approve": $2, "deny": 2}],
  "max-window": "4h",
  "principals": ["maint-olt1", "maint-olt2"],
  "source-address": "192.0.2.10/32",
  "force-command": "/usr/bin/clearbox maint record --out /var/log/sessions --ticket {ticket} --serial {serial} --device {device}",
  "observer-required": true,
  "log": {"url": "$URL", "key": "$(vk log)"}
}
EOF
}
P="$W/policy.json"
write_policy "$P" 2
M=("$CLEARBOX" maint)

# The schema and the parser agree on the documented example and on this test's policy.
SRC=$(cd "$(dirname "$0")/.." && pwd)
run 0 "$W/out" "${M[@]}" check-policy "$SRC/docs/examples/maint-policy.json"
if command -v node >/dev/null && [[ -d "${CLEARBOX_NPM_PREFIX:-$SRC/build/npm}/node_modules/ajv" ]]; then
  node "$SRC/tests/json_schema_validate.js" "$SRC/docs/maint.schema.json" \
    "$SRC/docs/examples/maint-policy.json" "$P" >"$W/ajv.out" 2>&1 || fail "schema: $(cat "$W/ajv.out")"
  echo "ok: schema"
fi

# The policy against the pledge: 2 of 3 officers is what the demo pledge declares.
run 0 "$W/out" "${M[@]}" check-policy "$P" --pledge "$(dirname "$0")/release/demo-pledge.json"
expect "$W/out" "ok: the policy keeps within"
write_policy "$W/lax.json" 1
run 1 "$W/out" "${M[@]}" check-policy "$W/lax.json" --pledge "$(dirname "$0")/release/demo-pledge.json"
expect "$W/out" 'finding: '
expect "$W/out" 'approves with 1 approval(s); the pledge declares 2 of 3'
echo "ok: check-policy"

request() {  # request OUT TICKET [WINDOW [PRINCIPAL...]]: as noc; now+1m/now+2h, maint-olt1
  local out=$1 ticket=$2 window=${3:-now+1m/now+2h}; shift 2; shift || true
  [[ $# -gt 0 ]] || set -- maint-olt1
  "${M[@]}" request --policy "$P" --ticket "$ticket" --engineer-key "$W/engineer.pub" \
    --devices olt1 --window "$window" --reason "line card" --key "$W/noc.key" -o "$out" \
    --principals "$@"
}
review() {  # review approve|deny REQUEST WHO [extra args...]
  local verb=$1 req=$2 who=$3; shift 3
  "${M[@]}" "$verb" "$req" --policy "$P" --key "$W/$who.key" "$@"
}

# 2 of 3: a request, two approvals, the certificate.
run 0 "$W/out" request "$W/r1.dsse" CHG-1
R1=$(sha256sum "$W/r1.dsse" | cut -d' ' -f1)
run 1 "$W/out" "${M[@]}" status "$W/r1.dsse" --policy "$P"
expect "$W/out" "decision: pending"
run 0 "$W/out" review approve "$W/r1.dsse" alice --reason "ticket checked"
run 0 "$W/out" review approve "sha256:$R1" bob -o "$W/r1.bob.dsse"
run 0 "$W/out" "${M[@]}" status "$R1" --policy "$P"
expect "$W/out" 'decision: APPROVED by "two officers"'
expect "$W/out" "alice approves"
run 0 "$W/out" "${M[@]}" issue "$W/r1.dsse" --policy "$P" --ca "$W/ca" --key "$W/issuer.key" \
  -o "$W/engineer-cert.pub"
expect "$W/out" "recorded in the log"
ssh-keygen -L -f "$W/engineer-cert.pub" >"$W/cert.txt"
expect "$W/cert.txt" 'Key ID: "CHG-1"'
expect "$W/cert.txt" "maint-olt1"
expect "$W/cert.txt" "source-address 192.0.2.10/32"
expect "$W/cert.txt" "--ticket CHG-1 --serial"
expect "$W/cert.txt" "--device olt1"
serial=$(awk '/Serial:/ {print $2}' "$W/cert.txt")
grep -q "\"serial\":\"$serial\"" <(base64 -d <<<"$(sed 's/.*"payload":"\([^"]*\)".*/\1/' "$W/engineer-cert.pub.record.dsse")") ||
  fail "the record does not name serial $serial"
run 1 "$W/out" "${M[@]}" status "$R1" --policy "$P"   # issued: no second certificate
expect "$W/out" "certificate issued: serial $serial"
run 2 "$W/out" "${M[@]}" issue "$R1" --policy "$P" --ca "$W/ca" --key "$W/issuer.key" -o "$W/again-cert.pub"
expect "$W/out" "already has a certificate: serial $serial"
[[ ! -e "$W/again-cert.pub" ]] || fail "a second certificate was written"
echo "ok: 2-of-3 approved, certificate issued and recorded (serial $serial)"

# Self-approval: carol files, carol approves.
"${M[@]}" request --policy "$P" --ticket CHG-2 --engineer-key "$W/engineer.pub" --devices olt1 \
  --principals maint-olt1 --window now+1m/now+2h --reason x --key "$W/carol.key" -o "$W/r2.dsse" >/dev/null 2>&1
run 2 "$W/out" review approve "$W/r2.dsse" carol
expect "$W/out" "refused: self-approval: carol filed this request"

# One approver counts once.
run 0 "$W/out" request "$W/r3.dsse" CHG-3
run 0 "$W/out" review approve "$W/r3.dsse" alice
run 0 "$W/out" review approve "$W/r3.dsse" alice --reason "signed again" -o "$W/r3.alice2.dsse"
expect "$W/out" "counted once"
run 1 "$W/out" "${M[@]}" status "$W/r3.dsse" --policy "$P"
expect "$W/out" "counted once: alice already reviewed at log entry"
expect "$W/out" "1 of 2 approvals"
run 2 "$W/out" "${M[@]}" issue "$W/r3.dsse" --policy "$P" --ca "$W/ca" --key "$W/issuer.key" -o "$W/c3"
expect "$W/out" "is not approved: no threshold reached"

# A review of another request's digest: CHG-3 filed again, wider; the old approvals don't carry.
run 0 "$W/out" request "$W/r4.dsse" CHG-3 now+1m/now+2h maint-olt2
run 0 "$W/out" review approve "$W/r3.dsse" bob   # approves the first CHG-3, not this one
run 1 "$W/out" "${M[@]}" status "$W/r4.dsse" --policy "$P"
expect "$W/out" "bound to another request"
expect "$W/out" "0 of 2 approvals"
run 0 "$W/out" "${M[@]}" status "$W/r3.dsse" --policy "$P"   # the first one is approved
echo "ok: self-approval, counted once, another request's digest"

# Expired: a request whose window ended (filed with a clock set back in 2020).
run 0 "$W/out" "${M[@]}" request --policy "$P" --ticket CHG-5 --engineer-key "$W/engineer.pub" \
  --devices olt1 --principals maint-olt1 --window 2020-01-01T01:00:00Z/2020-01-01T03:00:00Z \
  --reason old --key "$W/noc.key" -o "$W/r5.dsse" --now 2020-01-01T00:00:00Z
run 2 "$W/out" review approve "$W/r5.dsse" alice
expect "$W/out" "refused: the request expired: its window ended at 2020-01-01T03:00:00Z"

# Unknown and revoked approvers.
run 0 "$W/out" request "$W/r6.dsse" CHG-6
run 2 "$W/out" review approve "$W/r6.dsse" mallory
expect "$W/out" "refused: $W/mallory.key: this key is not an approver in the policy"
run 2 "$W/out" review approve "$W/r6.dsse" dave
expect "$W/out" "dave's key is revoked in the policy"

# Deny reached first: two denials decide; a later approval changes nothing.
run 0 "$W/out" review deny "$W/r6.dsse" alice --reason "no change window"
run 0 "$W/out" review deny "$W/r6.dsse" bob
run 0 "$W/out" review approve "$W/r6.dsse" carol
expect "$W/out" 'already denied by "two officers"'
run 1 "$W/out" "${M[@]}" status "$W/r6.dsse" --policy "$P"
expect "$W/out" 'decision: DENIED by "two officers"'
run 2 "$W/out" "${M[@]}" issue "$W/r6.dsse" --policy "$P" --ca "$W/ca" --key "$W/issuer.key" -o "$W/c6"
expect "$W/out" "was denied by"
echo "ok: expired, unknown, revoked, deny first"

# A clock 10 minutes ahead: the review is logged but does not count.
run 0 "$W/out" request "$W/r7.dsse" CHG-7
run 0 "$W/out" review approve "$W/r7.dsse" alice --now now+10m
run 1 "$W/out" "${M[@]}" status "$W/r7.dsse" --policy "$P"
expect "$W/out" "s ahead of this clock"

# Requests the policy does not allow.
run 2 "$W/out" request "$W/bad.dsse" CHG-8 now/now+3650d
expect "$W/out" "longer than the policy's max-window 4h"
run 2 "$W/out" request "$W/bad.dsse" CHG-8 now+1m/now+2h root
expect "$W/out" "principals/0: \"root\" is not an account the policy allows"
mapfile -t many < <(seq -f 'p%g' 1 100000)
run 2 "$W/out" request "$W/bad.dsse" CHG-8 now+1m/now+2h "${many[@]}"
expect "$W/out" "principals: 100000 names, at most 256"
run 2 "$W/out" request "$W/bad.dsse" 'CHG-8;reboot'
expect "$W/out" "ticket:"

# Malformed and truncated statements are named, with the field.
head -c 200 "$W/r1.dsse" >"$W/trunc.dsse"
run 2 "$W/out" "${M[@]}" status "$W/trunc.dsse" --policy "$P"
expect "$W/out" "$W/trunc.dsse: envelope:"
run 2 "$W/out" "${M[@]}" status "$W/engineer-cert.pub.record.dsse" --policy "$P"
expect "$W/out" "/predicateType"
echo '{"version": 1, "max-window": 4}' >"$W/badpolicy.json"
run 2 "$W/out" "${M[@]}" check-policy "$W/badpolicy.json"
expect "$W/out" "badpolicy.json: /ca-key: missing"
echo "ok: clock skew, policy limits, malformed input"
echo "PASS"
