#!/usr/bin/env bash
# `clearbox maint record` around a real shell session on a pty (driven by python3's pty
# module, as sshd's pty would be), `clearbox maint replay --verify`, and asciinema (Debian's
# 2.2) reading the recording: the file is asciicast v2 that the real player plays. Then one
# edited byte, a cut-off file, and the exec path (SSH_ORIGINAL_COMMAND, no pty).
set -euo pipefail
CLEARBOX=${CLEARBOX:?CLEARBOX: the clearbox binary}
SRC=${CLEARBOX_SOURCE:-$(cd "$(dirname "$0")/.." && pwd)}
source "$SRC/tests/lib.sh"
unset SSH_ORIGINAL_COMMAND
have_asciinema=1
command -v asciinema >/dev/null || { echo "SKIP: asciinema checks (not installed)"; have_asciinema=0; }

# Runs ARGS on a new pty, typing INPUT after the first output; prints the output and exits
# with the command's exit status.
on_pty() {
  python3 - "$@" <<'PY'
import fcntl, os, pty, struct, sys, termios, time, select
inp = os.environ.get("PTY_INPUT", "").encode()
resize = os.environ.get("PTY_RESIZE")  # "ROWS COLS": the terminal window changes size
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out, sent, deadline = b"", not inp, time.time() + 60
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.3)
    if not r:
        if not sent:
            if resize:
                rows, cols = map(int, resize.split())
                fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                time.sleep(0.2)
            os.write(fd, inp); sent = True
        continue
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
sys.stdout.buffer.write(out)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
PY
}

# 1. An interactive session: the engineer's shell on a pty, several chunks.
rc=0
PS1='$ ' PTY_INPUT=$'echo hello; for i in 1 2 3 4 5 6; do seq 1 400; sleep 0.05; done; exit 7\n' \
  on_pty "$CLEARBOX" maint record --out "$W/rec" --ticket CHG-7 --serial 42 --device edge-1 \
  --chunk-bytes 512 -- /bin/sh -i >"$W/session.out" 2>&1 || rc=$?
[[ $rc == 7 ]] || fail "the shell's exit status 7 was not passed on (got $rc): $(cat "$W/session.out")"
grep -q hello "$W/session.out" || fail "the user did not see the session: $(cat "$W/session.out")"
cast=$(ls "$W"/rec/*.cast)
summary=${cast%.cast}.summary.json
[[ -f $summary ]] || fail "no summary next to $cast"
[[ $(stat -c %a "$cast") == 600 ]] || fail "the recording is not mode 0600"
python3 - "$summary" <<'PY' || fail "summary: $(cat "$summary")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["ticket"] == "CHG-7" and s["serial"] == 42 and s["device"] == "edge-1", s
assert s["exitStatus"] == 7 and s["pty"] is True and s["chunks"] > 5, s
assert len(s["chainHead"]) == 64 and len(s["castSha256"]) == 64, s
PY
[[ $(sha256sum <"$cast" | cut -d' ' -f1) == $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["castSha256"])' "$summary") ]] ||
  fail "castSha256 is not the file's SHA-256"

out=$("$CLEARBOX" maint replay "$cast" --verify --summary "$summary") || fail "--verify: $out"
[[ $out == "ok: $cast: ticket CHG-7, serial 42, device edge-1, "*"exit status 7, chain head "* ]] ||
  fail "unexpected --verify output: $out"
"$CLEARBOX" maint replay "$cast" --speed 1000 >"$W/replay.out" || fail "replay failed"
grep -q '^hello' "$W/replay.out" && grep -q '^400' "$W/replay.out" || fail "replay lacks the output"
# The typed keys are recorded too ("i" events).
grep -q '"i", "echo hello' "$cast" || fail "the keystrokes are not recorded"

# A window resized during the session: the command sees the new size, the recording an "r".
PS1='$ ' PTY_RESIZE="50 132" PTY_INPUT=$'stty size; exit\n' \
  on_pty "$CLEARBOX" maint record --out "$W/resize" --ticket CHG-7 --serial 44 --device edge-1 \
  -- /bin/sh -i >"$W/resize.out" 2>&1 || fail "resize session: $(cat "$W/resize.out")"
grep -q '^50 132' "$W/resize.out" || fail "the command did not see the new size: $(cat "$W/resize.out")"
grep -q '"r", "132x50"' "$W"/resize/*.cast || fail "no resize event in the recording"

# 2. asciinema reads it: `cat` prints the session, `play` plays it (both need a terminal).
if [[ $have_asciinema == 1 ]]; then
  on_pty asciinema cat "$cast" >"$W/acat.out" 2>&1 || fail "asciinema cat: $(cat "$W/acat.out")"
  grep -q hello "$W/acat.out" && grep -q 400 "$W/acat.out" || fail "asciinema cat: $(head -c 400 "$W/acat.out")"
  on_pty asciinema play -s 50 "$cast" >"$W/aplay.out" 2>&1 || fail "asciinema play: $(cat "$W/aplay.out")"
  grep -q 400 "$W/aplay.out" || fail "asciinema play did not play to the end"
fi

# 3. One byte edited in the middle (a digit of seq's output): --verify names the chunk.
python3 - "$cast" "$W/edited.cast" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.index(b"\\r\\n200\\r\\n") + 4
b[i] = ord("9")
open(sys.argv[2], "wb").write(b)
PY
rc=0
"$CLEARBOX" maint replay "$W/edited.cast" --verify >"$W/v.out" 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "an edited recording: exit $rc, want 1: $(cat "$W/v.out")"
grep -Eq 'chunk [0-9]+ \(bytes [0-9]+-[0-9]+, up to line [0-9]+\) is broken' "$W/v.out" ||
  fail "the error does not name the chunk: $(cat "$W/v.out")"
rc=0
"$CLEARBOX" maint replay "$W/edited.cast" --speed 1000 >/dev/null 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "an edited recording was played without --force"

# 4. Cut off (a crash or a truncation): where it ends, against the signed head.
head -c 3000 "$cast" >"$W/cut.cast"
rc=0
"$CLEARBOX" maint replay "$W/cut.cast" --verify --summary "$summary" >"$W/c.out" 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "a cut-off recording: exit $rc"
chunks=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["chunks"])' "$summary")
grep -Eq "cut off: the recording ends after chunk [0-9]+ of $chunks, at byte [0-9]+" "$W/c.out" ||
  fail "cut-off message: $(cat "$W/c.out")"
"$CLEARBOX" maint replay "$W/cut.cast" --speed 1000 >/dev/null 2>"$W/c2.out" ||
  fail "the verified prefix of a cut-off recording should play"
grep -q "was cut off" "$W/c2.out" || fail "no warning for a cut-off replay"

# 5. The exec path (ssh host CMD, scp, sftp): SSH_ORIGINAL_COMMAND, pipes, no pty.
out=$(SSH_ORIGINAL_COMMAND="echo hi; echo warn >&2" "$CLEARBOX" maint record --out "$W/exec" \
  --ticket CHG-7 --serial 43 --device edge-1 </dev/null 2>"$W/exec.err") || fail "exec path failed"
[[ $out == hi ]] || fail "exec path stdout: '$out' (must be the command's output only)"
# Unsealed (no --policy/--key, tests/maint_seal_test.sh seals): one note says so, at the start.
grep -q '^clearbox: note: .*will not be sealed' "$W/exec.err" || fail "no note that the session is not sealed"
[[ $(grep -v 'will not be sealed' "$W/exec.err") == warn ]] || fail "exec path stderr: $(cat "$W/exec.err")"
ecast=$(ls "$W"/exec/*.cast)
python3 - "$ecast" <<'PY' || fail "exec recording: $(cat "$ecast")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
h = lines[0]
assert h["version"] == 2 and h["command"] == "echo hi; echo warn >&2", h
assert h["clearbox"]["pty"] is False and h["clearbox"]["serial"] == 43, h
assert [0, "o", "hi\n"][1:] in [e[1:] for e in lines[1:]], lines
end = [e for e in lines[1:] if e[1] == "m" and e[2].startswith("clearbox:end ")]
d = json.loads(end[0][2][len("clearbox:end "):])
assert d["outputBytes"] == 3 and d["errorBytes"] == 5 and d["exitStatus"] == 0, d
PY
"$CLEARBOX" maint replay "$ecast" --verify >/dev/null || fail "exec recording does not verify"
if [[ $have_asciinema == 1 ]]; then
  on_pty asciinema cat "$ecast" 2>&1 | grep -q hi || fail "asciinema cat of the exec recording"
fi
rc=0
SSH_ORIGINAL_COMMAND="exit 4" "$CLEARBOX" maint record --out "$W/exec" --ticket T --serial 1 \
  --device d </dev/null || rc=$?
[[ $rc == 4 ]] || fail "exec path exit status: $rc, want 4"

# 6. No recording, no session: the command must not run.
rc=0
SSH_ORIGINAL_COMMAND="touch $W/ran" "$CLEARBOX" maint record --out /proc/no/such --ticket T \
  --serial 1 --device d </dev/null 2>"$W/refused.err" || rc=$?
[[ $rc == 2 && ! -e $W/ran ]] || fail "a session ran without a recording (exit $rc)"
grep -q "no session without a recording" "$W/refused.err" || fail "$(cat "$W/refused.err")"
echo "PASS"
