#!/usr/bin/env bash
# Live observers (docs/maint-recording.md, "Live observers"): `clearbox maint relay` on
# loopback, `clearbox maint record --pty` of a scripted command (driven on a pty by python3,
# as sshd's pty would be) with a policy that requires an observer, and `clearbox maint
# observe` with real approver keys. The session waits; a non-approver and a revoked approver
# are refused; an approver joins and sees the output; when they leave the session is paused
# (no output, the command stopped) until another approver joins, or ended (on-leave end); the
# recording carries the join and leave markers and verifies; the statement names the observers.
set -euo pipefail
CLEARBOX=${CLEARBOX:?CLEARBOX: the clearbox binary}
SRC=${CLEARBOX_SOURCE:-$(cd "$(dirname "$0")/.." && pwd)}
source "$SRC/tests/lib.sh"
unset SSH_ORIGINAL_COMMAND

for who in log alice bob dave mallory olt1; do
  "$CLEARBOX" key generate "$who.example" -o "$W/$who.key" >"$W/$who.vkey" 2>/dev/null
done
ssh-keygen -q -t ed25519 -N '' -C ca -f "$W/ca"
vk() { cat "$W/$1.vkey"; }
officer() { printf '{"name": "%s", "roles": ["officer"], "key": "%s"%s}' "$1" "$(vk "$1")" "${2:-}"; }
P="$W/policy.json"
cat >"$P" <<EOF
{
  "version": 1,
  "ca-key": "$(cat "$W/ca.pub")",
  "requesters": [{"name": "noc", "key": "$(vk mallory)"}],
  "approvers": [$(officer alice), $(officer bob), $(officer dave ', "revoked": true')],
  "issuers": [{"name": "ca-host", "key": "$(vk log)"}],
  "recorders": [{"name": "olt1", "key": "$(vk olt1)"}],
  "thresholds": [{"name": "one officer", "roles": ["officer"], "approve": 1, "deny": 1}],
  "max-window": "4h",
  "principals": ["maint-olt1"],
  "source-address": "192.0.2.10/32",
  "force-command": "/usr/bin/clearbox maint record --out /var/log/sessions --ticket {ticket} --serial {serial}",
  "observer-required": true,
  "log": {"url": "http://127.0.0.1:1", "key": "$(vk log)"}
}
EOF

"$CLEARBOX" maint relay --policy "$P" --listen 127.0.0.1:0 >"$W/relay.out" 2>"$W/relay.err" &
PIDS+=($!)
RELAY=
for _ in $(seq 1 100); do
  RELAY=$(grep -o '127.0.0.1:[0-9]*' "$W/relay.out" 2>/dev/null || true)
  [[ -n $RELAY ]] && break
  sleep 0.1
done
[[ -n $RELAY ]] || fail "the relay did not start: $(cat "$W/relay.err")"

# Runs ARGS on a new pty (the engineer's terminal), copying what it shows to $OUT as it comes,
# and exits with the command's exit status.
cat >"$W/on_tty.py" <<'PY'
import os, pty, select, sys, time
out = open(os.environ["OUT"], "wb", buffering=0)
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
deadline = time.time() + 120
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if not r:
        continue
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out.write(data)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
PY

wait_for() {  # wait_for FILE TEXT [SECONDS]
  for _ in $(seq 1 $((${3:-20} * 10))); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "no '$2' in $1 within ${3:-20} s: $(tail -c 1500 "$1" 2>/dev/null)"
}
last_tick() { grep -ao 'tick [0-9]*' "$1" | tail -1 | cut -d' ' -f2; }
observe() {  # observe WHO OUTFILE [ARGS...]: in the background, its pid in OBS
  local who=$1 out=$2; shift 2
  "$CLEARBOX" maint observe --policy "$P" --relay "$RELAY" --key "$W/$who.key" "$@" \
    </dev/null >"$out" 2>"$out.err" &
  OBS=$!
  PIDS+=($OBS)
}
record() {  # record NAME ARGS...: the recorder on a pty, in the background, its pid in REC
  local name=$1; shift
  OUT="$W/$name.tty" python3 "$W/on_tty.py" "$CLEARBOX" maint record --pty --out "$W/$name" \
    --ticket CHG-9 --serial 9 --device olt1 --policy "$P" --key "$W/olt1.key" \
    --observe-via "$RELAY" --chunk-seconds 0.2 "$@" >"$W/$name.rc.out" 2>&1 &
  REC=$!
  PIDS+=($REC)
}

# 1. No observer within --observer-wait: no session, no recording.
rc=0
OUT="$W/lonely.tty" python3 "$W/on_tty.py" "$CLEARBOX" maint record --pty --out "$W/lonely" \
  --ticket CHG-9 --serial 9 --device olt1 --policy "$P" --key "$W/olt1.key" \
  --observe-via "$RELAY" --observer-wait 1 -- sh -c 'echo SHOULD-NOT-RUN' || rc=$?
[[ $rc == 2 ]] || fail "no observer: exit $rc, want 2: $(cat "$W/lonely.tty")"
grep -q 'no observer (approver) joined within 1 s' "$W/lonely.tty" ||
  fail "no observer: message: $(cat "$W/lonely.tty")"
! grep -q SHOULD-NOT-RUN "$W/lonely.tty" || fail "the command ran without an observer"
[[ -z $(ls "$W/lonely" 2>/dev/null) ]] || fail "a recording was made without a session"

# The policy requires an observer: without a relay there is no session at all.
rc=0
"$CLEARBOX" maint record --no-pty --out "$W/norelay" --ticket CHG-9 --serial 9 --device olt1 \
  --policy "$P" --key "$W/olt1.key" -- true >"$W/norelay.out" 2>&1 || rc=$?
[[ $rc == 2 ]] && grep -q 'observer-required, but no relay' "$W/norelay.out" ||
  fail "observer-required without a relay: exit $rc: $(cat "$W/norelay.out")"

# 2. Pause: the session waits, refuses, runs under alice, pauses when she leaves, goes on
#    under bob.
record pause -- sh -c 'echo SESSION-START; for i in $(seq 1 50); do echo tick $i; sleep 0.1; done; echo SESSION-DONE'
wait_for "$W/pause.tty" "waiting for an observer (approver) to join"
sleep 0.5
! grep -q SESSION-START "$W/pause.tty" || fail "the session started before an observer joined"
rc=0
"$CLEARBOX" maint observe --policy "$P" --relay "$RELAY" --key "$W/mallory.key" </dev/null \
  >"$W/mallory.out" 2>&1 || rc=$?
[[ $rc == 2 ]] && grep -q 'refused: this key is not an approver in the policy' "$W/mallory.out" ||
  fail "a non-approver: exit $rc: $(cat "$W/mallory.out")"
rc=0
"$CLEARBOX" maint observe --policy "$P" --relay "$RELAY" --key "$W/dave.key" </dev/null \
  >"$W/dave.out" 2>&1 || rc=$?
[[ $rc == 2 ]] && grep -q "refused: dave's key is revoked in the policy" "$W/dave.out" ||
  fail "a revoked approver: exit $rc: $(cat "$W/dave.out")"
! grep -q SESSION-START "$W/pause.tty" || fail "a refused observer started the session"

observe alice "$W/alice.out" --ticket CHG-9
ALICE=$OBS
wait_for "$W/alice.out" "tick 5"
grep -q 'watching as alice' "$W/alice.out.err" || fail "alice: $(cat "$W/alice.out.err")"
grep -q 'SESSION-START' "$W/pause.tty" || fail "the engineer did not see the session start"
kill -TERM "$ALICE"
wait "$ALICE" || fail "alice's observe did not leave cleanly: $(cat "$W/alice.out.err")"
wait_for "$W/pause.tty" "the session is paused until an approver rejoins"
sleep 0.5
t1=$(last_tick "$W/pause.tty")
sleep 1.5
t2=$(last_tick "$W/pause.tty")
[[ $t1 == "$t2" ]] || fail "the command went on while paused (tick $t1 -> $t2)"
[[ $t2 -lt 50 ]] || fail "the command finished before the pause"

observe bob "$W/bob.out"
BOB=$OBS
wait_for "$W/pause.tty" "SESSION-DONE" 30
rc=0
wait "$REC" || rc=$?
[[ $rc == 0 ]] || fail "pause session: exit $rc: $(tail -c 1500 "$W/pause.tty")"
wait_for "$W/bob.out" "SESSION-DONE"
wait "$BOB" || fail "bob's observe: $(cat "$W/bob.out.err")"
grep -q 'the session ended' "$W/bob.out.err" || fail "bob was not told: $(cat "$W/bob.out.err")"
grep -q 'an observer rejoined' "$W/pause.tty" || fail "no resume message"
# Bob saw what ran after he joined, from the tick after the pause.
grep -q "tick $((t2 + 1))" "$W/bob.out" || fail "bob did not see tick $((t2 + 1))"

cast=$(ls "$W"/pause/*.cast)
"$CLEARBOX" maint replay "$cast" --verify >"$W/verify.out" || fail "verify: $(cat "$W/verify.out")"
python3 - "$cast" <<'PY' || fail "markers: $(grep '"m"' "$cast" | grep -v chain)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")][1:]
marks = [e[2] for e in lines if e[1] == "m" and not e[2].startswith(("clearbox:chain", "clearbox:last", "clearbox:end"))]
want = ["clearbox:observer-joined alice", "clearbox:observer-left alice",
        "clearbox:session-paused no observer", "clearbox:observer-joined bob",
        "clearbox:session-resumed", "clearbox:observer-left bob"]
got = [m for m in marks if m in want]
# bob may leave only after the session's end (then his leave is not recorded)
assert got[:5] == want[:5], marks
out = "".join(e[2] for e in lines if e[1] == "o")
assert "SESSION-DONE" in out and "tick 50" in out, out[-200:]
PY
# The session statement (pending: the policy's log is not reachable) names both observers.
stmt=$(ls "$W"/pause/*.session.dsse 2>/dev/null | head -1)
if [[ -n $stmt ]]; then
  python3 - "$stmt" <<'PY' || fail "statement observers: $(cat "$stmt")"
import base64, json, sys
env = json.load(open(sys.argv[1]))
st = json.loads(base64.b64decode(env["payload"]))
assert st["predicate"]["observers"] == ["alice", "bob"], st["predicate"]
PY
else
  echo "note: no session statement written (sealing not present?)"
fi

# 3. End: when the last observer leaves, the session is hung up.
record end --on-observer-leave end -- sh -c 'for i in $(seq 1 600); do echo tick $i; sleep 0.1; done'
wait_for "$W/end.tty" "waiting for an observer"
observe bob "$W/bob2.out"
BOB=$OBS
wait_for "$W/bob2.out" "tick 3"
kill -TERM "$BOB"
wait "$BOB" || true
rc=0
wait "$REC" || rc=$?
[[ $rc == 129 ]] || fail "end session: exit $rc, want 129 (SIGHUP): $(tail -c 1500 "$W/end.tty")"
grep -q 'the last observer left' "$W/end.tty" || fail "no end message: $(tail -c 800 "$W/end.tty")"
[[ $(last_tick "$W/end.tty") -lt 300 ]] || fail "the session was not ended"
cast=$(ls "$W"/end/*.cast)
"$CLEARBOX" maint replay "$cast" --verify >/dev/null || fail "end: verify"
grep -q 'clearbox:observer-left bob' "$cast" || fail "end: no leave marker"
grep -q 'the last observer left (on-leave: end)' "$cast" || fail "end: no note in the end marker"

grep -q 'observer alice joined session' "$W/relay.err" &&
  grep -q 'refused an observer of session .*: this key is not an approver' "$W/relay.err" ||
  fail "relay log: $(cat "$W/relay.err")"
echo PASS
