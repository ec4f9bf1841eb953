#!/usr/bin/env bash
# Sealed sessions against a real `clearbox log serve` on loopback: `maint record --policy
# --key` signs the session statement with the device's recorder key into the log, `maint
# replay --verify --policy` finds it there; an edited byte, an edited and re-chained copy, a
# statement signed by a key that is no recorder, a recorder key refused at the start, a log
# that cannot be reached (the session ends as it would, the statement is pending, `maint seal`
# publishes it later, once).
set -euo pipefail
: "${CLEARBOX:?}"

# W (scratch dir), PIDS (stopped at exit), fail
source "$(dirname "$0")/lib.sh"
unset SSH_ORIGINAL_COMMAND
run() {  # run CODE OUT command...: exit code must be CODE; stdout+stderr in OUT
  local want=$1 out=$2; shift 2
  set +e; "$@" >"$out" 2>&1; local rc=$?; set -e
  [[ $rc -eq $want ]] || fail "exit $rc, want $want: $* :: $(head -c 2000 "$out")"
}
expect() {  # expect FILE TEXT: the file contains TEXT
  grep -qF -- "$2" "$1" || fail "want '$2' in $1: $(head -c 2000 "$1")"
}

for who in log noc alice issuer rec old stranger; do
  "$CLEARBOX" key generate "$who.example" -o "$W/$who.key" >"$W/$who.vkey" 2>/dev/null
done
ssh-keygen -q -t ed25519 -N '' -C ca -f "$W/ca" 2>/dev/null ||
  { echo "SKIP: no ssh-keygen"; exit 0; }

start_log "$W/log.key" log.example
log_size() { python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1] + "/checkpoint").read().decode().split("\n")[1])' "$URL"; }

vk() { cat "$W/$1.vkey"; }
write_policy() {  # write_policy FILE RECORDERS-JSON
  cat >"$1" <<EOF
{
  "version": 1,
  "ca-key": "$(cat "$W/ca.pub")",
  "requesters": [{"name": "noc", "key": "$(vk noc)"}],
  "approvers": [{"name": "alice", "roles": ["officer"], "key": "$(vk alice)"}],
  "issuers": [{"name": "ca-host", "key": "$(vk issuer)"}],
  "recorders": $2,
  "thresholds": [{"name": "one officer", "roles": ["officer"], "approve": 1, "deny": 1}],
  "max-window": "4h",
  "principals": ["maint-olt1"],
  "source-address": "192.0.2.10/32",
  "force-command": "/usr/bin/clearbox maint record --out /var/log/sessions --ticket {ticket} --serial {serial} --device {device}",
  "observer-required": false,
  "log": {"url": "$URL", "key": "$(vk log)"}
}
EOF
}
P="$W/policy.json"
write_policy "$P" "[{\"name\": \"olt1-recorder\", \"key\": \"$(vk rec)\"}, {\"name\": \"old-recorder\", \"key\": \"$(vk old)\", \"revoked\": true}]"
# Another operator's policy in which the stranger's key is a recorder (same log).
write_policy "$W/other.json" "[{\"name\": \"stranger\", \"key\": \"$(vk stranger)\"}]"
M=("$CLEARBOX" maint)
record() {  # record DIR SERIAL COMMAND [record args...]: the exec path, as sshd runs it
  local dir=$1 serial=$2 cmd=$3; shift 3
  SSH_ORIGINAL_COMMAND=$cmd "${M[@]}" record --out "$dir" --ticket CHG-9 --serial "$serial" \
    --device olt1 "$@" </dev/null
}

# 1. A sealed session: the command's output only on stdout, its exit status passed on, the
#    statement beside the recording and in the log, found there by replay --verify --policy.
"${M[@]}" check-policy "$P" >/dev/null || fail "the test policy is refused"
rc=0
record "$W/s1" 5 'echo hi; exit 3' --policy "$P" --key "$W/rec.key" >"$W/s1.out" 2>"$W/s1.err" || rc=$?
[[ $rc == 3 ]] || fail "exit status $rc, want the command's 3: $(cat "$W/s1.err")"
[[ $(cat "$W/s1.out") == hi ]] || fail "stdout must be the command's output only: $(cat "$W/s1.out")"
expect "$W/s1.err" "session sealed: log entry 0"
cast=$(ls "$W"/s1/*.cast)
[[ -f ${cast%.cast}.session.dsse ]] || fail "no .session.dsse beside $cast"
[[ $(log_size) == 1 ]] || fail "the log holds $(log_size) entries, want 1"
run 0 "$W/out" "${M[@]}" replay "$cast" --verify --policy "$P"
expect "$W/out" "ok: $cast: ticket CHG-9, serial 5, device olt1,"
expect "$W/out" "exit status 3, chain head"
expect "$W/out" "(log entry 0, signed by olt1-recorder)"
# The statement names the ticket, the serial, the device, the start and the end.
python3 - "${cast%.cast}.session.dsse" "$(sha256sum <"$cast" | cut -d' ' -f1)" <<'PY' || fail "statement"
import base64, json, sys
env = json.load(open(sys.argv[1]))
st = json.loads(base64.b64decode(env["payload"]))
assert st["predicateType"] == "https://clearbox.dev/maint-session/v1", st
assert st["subject"] == [{"name": "maint-recording:CHG-9/5", "digest": {"sha256": sys.argv[2]}}], st
p = st["predicate"]
assert (p["ticket"], p["serial"], p["device"], p["exitStatus"]) == ("CHG-9", 5, "olt1", 3), p
assert p["start"] < p["end"] and p["observers"] == [], p
PY
echo "ok: sealed at the end of the session"

# 2. One byte edited: the chain names the chunk. Edited and re-chained (anyone with write
#    access can re-chain): the chain holds, the log does not.
python3 - "$cast" "$W/edited.cast" "$W/rechained.cast" <<'PY'
import hashlib, json, re, sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.index(b'"hi\\n"') + 1
b[i] = ord("H")
open(sys.argv[2], "wb").write(b)
# Re-chain: recompute every marker's value over the edited bytes (lengths do not change).
pos, out = 0, bytearray(b)
for line in bytes(b).split(b"\n")[:-1]:
    m = re.search(rb'"clearbox:(chain|last) (\d+) (\d+) ([0-9a-f]{64})"', line)
    if m:
        assert int(m.group(3)) == pos
        h = hashlib.sha256(bytes(out[:pos])).hexdigest().encode()  # c_N: the prefix's digest
        at = pos + m.start(4)
        out[at:at + 64] = h
    pos += len(line) + 1
open(sys.argv[3], "wb").write(out)
PY
run 1 "$W/out" "${M[@]}" replay "$W/edited.cast" --verify --policy "$P"
grep -Eq 'chunk [0-9]+ \(bytes [0-9]+-[0-9]+, up to line [0-9]+\) is broken' "$W/out" ||
  fail "the error does not name the chunk: $(cat "$W/out")"
run 0 "$W/out" "${M[@]}" replay "$W/rechained.cast" --verify
run 1 "$W/out" "${M[@]}" replay "$W/rechained.cast" --verify --policy "$P"
expect "$W/out" "not sealed: no session statement in the log (1 entries) has this recording's sha256"
expect "$W/out" "log entry 0 (signed by olt1-recorder) seals another recording of this session's ticket, serial and device"
expect "$W/out" "the digest differs"
echo "ok: an edit is caught by the chain, a re-chained copy by the log"

# 3. A key that is no recorder, a revoked one, --policy without --key: refused before the
#    session runs. A statement signed by a key the policy does not list: not a seal.
for k in stranger old; do
  run 2 "$W/out" record "$W/s3" 6 "touch $W/ran" --policy "$P" --key "$W/$k.key"
  [[ ! -e $W/ran ]] || fail "a session ran with key $k that cannot seal it"
  expect "$W/out" "no session that cannot be sealed"
done
expect "$W/out" "old-recorder's key is revoked in the policy"
run 2 "$W/out" record "$W/s3" 6 "touch $W/ran" --policy "$P"
[[ ! -e $W/ran ]] || fail "a session ran with --policy but no --key"
expect "$W/out" "--policy and --key go together"
# Unsealed (no --policy/--key): said at the start; the other operator's recorder seals it.
run 0 "$W/out" record "$W/s3" 7 "echo unsealed"
expect "$W/out" "will not be sealed"
cast3=$(ls "$W"/s3/*.cast)
run 1 "$W/out" "${M[@]}" replay "$cast3" --verify --policy "$P"
expect "$W/out" "not sealed: no session statement in the log"
run 2 "$W/out" "${M[@]}" seal "$cast3" --policy "$P" --key "$W/stranger.key"
expect "$W/out" "this key is not a recorder in the policy"
run 0 "$W/out" "${M[@]}" seal "${cast3%.cast}.summary.json" --policy "$W/other.json" --key "$W/stranger.key"
expect "$W/out" "sealed: $cast3: log entry 1, signed by stranger"
run 0 "$W/out" "${M[@]}" replay "$cast3" --verify --policy "$W/other.json"
run 1 "$W/out" "${M[@]}" replay "$cast3" --verify --policy "$P"
expect "$W/out" "log entry 1: signed by a key that is not a recorder in the policy"
echo "ok: keys that are no recorder are refused"

# 4. The log cannot be reached at the end of the session: the session ends as it would, one
#    warning line, the envelope kept; `maint seal` publishes it later, and only once.
dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
before=$(log_size)
rc=0
record "$W/s4" 8 'echo offline; exit 4' --policy "$P" --key "$W/rec.key" \
  --log "http://127.0.0.1:$dead" >"$W/s4.out" 2>"$W/s4.err" || rc=$?
[[ $rc == 4 ]] || fail "exit status $rc with the log down, want the command's 4: $(cat "$W/s4.err")"
[[ $(cat "$W/s4.out") == offline ]] || fail "stdout with the log down: $(cat "$W/s4.out")"
[[ $(grep -c . "$W/s4.err") == 1 ]] || fail "want one warning line: $(cat "$W/s4.err")"
expect "$W/s4.err" "warning: the session statement is pending"
cast4=$(ls "$W"/s4/*.cast)
expect "$W/s4.err" "clearbox maint seal $cast4"
[[ -f ${cast4%.cast}.session.dsse ]] || fail "the pending envelope is not on disk"
[[ $(log_size) == "$before" ]] || fail "the log grew while it was down"
run 1 "$W/out" "${M[@]}" replay "$cast4" --verify --policy "$P"
run 0 "$W/out" "${M[@]}" seal "$cast4" --policy "$P" --key "$W/rec.key"
expect "$W/out" "sealed: $cast4: log entry $before, signed by olt1-recorder"
# What was published is the envelope signed at the session's end, byte for byte.
"$CLEARBOX" log get-proof "$URL" "$before" --key "$W/log.vkey" -o "$W/p4.proof" >/dev/null 2>&1 ||
  fail "no proof for log entry $before"
run 0 "$W/out" "$CLEARBOX" log verify-inclusion --entry "${cast4%.cast}.session.dsse" \
  --proof "$W/p4.proof" --key "$W/log.vkey" --index "$before"
run 0 "$W/out" "${M[@]}" replay "$cast4" --verify --policy "$P"
expect "$W/out" "(log entry $before, signed by olt1-recorder)"
size=$(log_size)
run 0 "$W/out" "${M[@]}" seal "$cast4" --policy "$P" --key "$W/rec.key"
expect "$W/out" "already sealed: $cast4: log entry $before"
run 0 "$W/out" "${M[@]}" seal "${cast4%.cast}.summary.json" --policy "$P" --key "$W/rec.key"
[[ $(log_size) == "$size" ]] || fail "sealing twice added an entry ($size -> $(log_size))"
# The session sealed at its end needs nothing more either.
run 0 "$W/out" "${M[@]}" seal "$cast" --policy "$P" --key "$W/rec.key"
expect "$W/out" "already sealed: $cast: log entry 0"
[[ $(log_size) == "$size" ]] || fail "sealing a sealed session added an entry"
echo "ok: log down at the end of a session, sealed later, once"

# 5. A pending envelope that no longer describes its recording (edited while pending) is not
#    published; nor is a seal of a damaged recording.
record "$W/s5" 9 'echo x' --policy "$P" --key "$W/rec.key" --log "http://127.0.0.1:$dead" \
  >/dev/null 2>&1 || fail "record with the log down"
cast5=$(ls "$W"/s5/*.cast)
cp "$cast" "$cast5"  # another recording under the pending statement's name
run 1 "$W/out" "${M[@]}" seal "$cast5" --policy "$P" --key "$W/rec.key"
expect "$W/out" "does not seal"
cp "$W/edited.cast" "$cast5"
run 1 "$W/out" "${M[@]}" seal "$cast5" --policy "$P" --key "$W/rec.key"
expect "$W/out" "is broken"
[[ $(log_size) == "$size" ]] || fail "a refused seal added an entry"
echo "ok: a pending statement is published only for its own recording"
echo "PASS"
