#!/usr/bin/env bash
# The reading half of `clearbox log` from the command line: key files, get-proof,
# verify-inclusion (exit 0 / 1 with the reason), and monitor (state across runs, a hostile
# log's errors, and the evidence file for a forked log), against logs served by
# `clearbox log serve`.
set -euo pipefail
: "${CLEARBOX:?}"

# W (scratch dir), PIDS (stopped at exit), fail
source "$(dirname "$0")/lib.sh"
expect_rc() {  # expect_rc CODE command...
  local want=$1; shift
  set +e; "$@"; local rc=$?; set -e
  [[ $rc -eq $want ]] || fail "exit $rc, want $want: $*"
}
serve() {  # serve DIR KEY: starts `log serve` (killed on exit) and sets URL
  "$CLEARBOX" log serve --data "$1" --key "$2" --listen 127.0.0.1:0 >"$1.out" 2>"$1.err" &
  PIDS+=($!)  # not in a subshell, so that cleanup can stop it
  for _ in $(seq 1 100); do
    if grep -q 'on http://' "$1.out" 2>/dev/null; then
      URL=$(grep -o 'http://[0-9.]*:[0-9]*' "$1.out")
      return
    fi
    sleep 0.1
  done
  fail "log serve did not start: $(cat "$1.err")"
}
add_all() {  # add_all URL OUT files...: four concurrent `log add` runs, their output in OUT
  local url=$1 out=$2; shift 2
  local files=("$@") k i group pids=()
  for k in 0 1 2 3; do
    group=()
    for ((i = k; i < ${#files[@]}; i += 4)); do group+=("${files[i]}"); done
    "$CLEARBOX" log add "$url" "${group[@]}" >"$out.$k" 2>/dev/null &
    pids+=($!)
  done
  for k in "${pids[@]}"; do wait "$k" || fail "log add"; done
  cat "$out".[0-3] >"$out"
}

# Keys: mode 0600, never overwritten, vkey on stdout; `key public` re-derives it.
"$CLEARBOX" key generate cli.example/log -o "$W/log.key" >"$W/log.vkey" 2>/dev/null
[[ $(stat -c %a "$W/log.key") == 600 ]] || fail "key file mode $(stat -c %a "$W/log.key")"
grep -q '^PRIVATE+KEY+cli.example/log+' "$W/log.key" || fail "key file content"
grep -qE '^cli.example/log\+[0-9a-f]{8}\+A' "$W/log.vkey" || fail "vkey: $(cat "$W/log.vkey")"
cp "$W/log.key" "$W/log.key.orig"
expect_rc 2 "$CLEARBOX" key generate cli.example/log -o "$W/log.key" 2>"$W/err"
grep -q 'refusing to overwrite' "$W/err" || fail "overwrite message"
cmp -s "$W/log.key" "$W/log.key.orig" || fail "key file was overwritten"
[[ $("$CLEARBOX" key public "$W/log.key") == "$(cat "$W/log.vkey")" ]] || fail "key public"
"$CLEARBOX" key public "$W/log.key" --cosigner | grep -qE '^cli.example/log\+[0-9a-f]{8}\+B' ||
  fail "cosigner vkey is not type 0x04"
expect_rc 2 "$CLEARBOX" key generate 'bad name' -o "$W/bad.key" 2>/dev/null
echo "ok: key generate / public"

# A served log with 260 entries (a full tile and a partial one).
"$CLEARBOX" log init --data "$W/a" --key "$W/log.key" --origin cli.example/log >/dev/null 2>&1
serve "$W/a" "$W/log.key"
for i in $(seq 0 259); do printf 'statement %d' "$i" >"$W/e$i"; done
files=(); for i in $(seq 0 259); do files+=("$W/e$i"); done
add_all "$URL" "$W/add.out" "${files[@]}"
idx=$(awk -v f="$W/e42" '$2 == f {print $1}' "$W/add.out")
[[ -n "$idx" ]] || fail "no index for e42"

# get-proof + verify-inclusion.
"$CLEARBOX" log get-proof "$URL" "$idx" --key "$W/log.vkey" >"$W/p42"
head -1 "$W/p42" | grep -qx 'c2sp.org/tlog-proof@v1' || fail "get-proof output"
"$CLEARBOX" log verify-inclusion --entry "$W/e42" --proof "$W/p42" --key "$W/log.vkey" \
  --origin cli.example/log --index "$idx" >"$W/v.out"
grep -q "^OK: entry $W/e42 .* is at index $idx of cli.example/log, tree size 260" "$W/v.out" ||
  fail "verify output: $(cat "$W/v.out")"
expect_rc 1 "$CLEARBOX" log verify-inclusion --entry "$W/e43" --proof "$W/p42" --key "$W/log.vkey" >"$W/v.out"
grep -q '^FAILED: inclusion proof' "$W/v.out" || fail "wrong entry message"
expect_rc 1 "$CLEARBOX" log verify-inclusion --entry "$W/e42" --proof "$W/p42" --key "$W/log.vkey" \
  --index $((idx + 1)) >"$W/v.out"
grep -q "^FAILED: the proof is for index $idx" "$W/v.out" || fail "index message"
"$CLEARBOX" key generate cli.example/log -o "$W/other.key" >"$W/other.vkey" 2>/dev/null
expect_rc 1 "$CLEARBOX" log verify-inclusion --entry "$W/e42" --proof "$W/p42" --key "$W/other.vkey" >"$W/v.out"
grep -q 'no verifiable signatures' "$W/v.out" || fail "other key message: $(cat "$W/v.out")"
expect_rc 1 "$CLEARBOX" log verify-inclusion --entry "$W/e42" --proof "$W/p42" --key "$W/log.vkey" \
  --origin other.example/log >"$W/v.out"
grep -q 'checkpoint origin' "$W/v.out" || fail "origin message"
sed 's/^index .*/index x/' "$W/p42" >"$W/p42.bad"
expect_rc 1 "$CLEARBOX" log verify-inclusion --entry "$W/e42" --proof "$W/p42.bad" --key "$W/log.vkey" >"$W/v.out"
grep -q 'line 2: index' "$W/v.out" || fail "malformed proof message"
expect_rc 2 "$CLEARBOX" log verify-inclusion --entry "$W/e42" --proof "$W/p42" --key 'not a key' 2>/dev/null
expect_rc 2 "$CLEARBOX" log get-proof "$URL" 260 --key "$W/log.vkey" 2>/dev/null
echo "ok: get-proof / verify-inclusion"

# monitor: two runs share a state file; the second reports only the new entries.
"$CLEARBOX" log monitor "$URL" --key "$W/log.vkey" --state "$W/st" --once >"$W/m1" 2>/dev/null
[[ $(wc -l <"$W/m1") -eq 260 ]] || fail "monitor reported $(wc -l <"$W/m1")"
grep -q $'^entry 0\t' "$W/m1" || fail "monitor line format"
for i in 260 261 262; do printf 'statement %d' "$i" >"$W/e$i"; done
"$CLEARBOX" log add "$URL" "$W/e260" "$W/e261" "$W/e262" >/dev/null 2>&1
"$CLEARBOX" log monitor "$URL" --key "$W/log.vkey" --state "$W/st" --once >"$W/m2" 2>"$W/m2.err"
[[ $(wc -l <"$W/m2") -eq 3 ]] || fail "second monitor run reported $(wc -l <"$W/m2")"
grep -q 'consistent with the last one' "$W/m2.err" || fail "no consistency line"
echo "ok: monitor follows across runs"

# A hostile copy of the log: a corrupt tile is named; a bad signature fails with exit 1.
cp -r "$W/a" "$W/hostile"
truncate -s 8000 "$W/hostile/tile/0/000"
expect_rc 2 "$CLEARBOX" log monitor "$W/hostile" --key "$W/log.vkey" --state "$W/hs" --once \
  >/dev/null 2>"$W/h.err"
grep -q 'tile/0/000: 8000 bytes, want 8192' "$W/h.err" || fail "truncated tile message: $(cat "$W/h.err")"
cp -r "$W/a" "$W/hostile2"
sed -i '2s/.*/264/' "$W/hostile2/checkpoint"
expect_rc 1 "$CLEARBOX" log monitor "$W/hostile2" --key "$W/log.vkey" --state "$W/hs2" --once \
  >/dev/null 2>"$W/h2.err"
grep -q 'invalid signature for key cli.example/log' "$W/h2.err" || fail "bad signature message"
echo "ok: hostile logs are reported with the reason"

# A fork: a second log under the same key with another history. The monitor that saw the
# first one writes evidence and exits 1.
"$CLEARBOX" log init --data "$W/b" --key "$W/log.key" --origin cli.example/log >/dev/null 2>&1
serve "$W/b" "$W/log.key"
URL_B=$URL
for i in $(seq 0 269); do printf 'forked statement %d' "$i" >"$W/f$i"; done
files=(); for i in $(seq 0 269); do files+=("$W/f$i"); done
add_all "$URL_B" "$W/addb.out" "${files[@]}"
expect_rc 1 "$CLEARBOX" log monitor "$URL_B" --key "$W/log.vkey" --state "$W/st" --once \
  >/dev/null 2>"$W/fork.err"
grep -q 'LOG INCONSISTENT' "$W/fork.err" || fail "fork message: $(cat "$W/fork.err")"
[[ -s "$W/st.evidence" ]] || fail "no evidence file"
grep -q 'EVIDENCE OF AN INCONSISTENT LOG' "$W/st.evidence" || fail "evidence header"
awk 'f{print} /^$/{f=1}' "$W/st" >"$W/seen.cp"
grep -qF "$(sed -n 3p "$W/seen.cp")" "$W/st.evidence" || fail "evidence lacks the first checkpoint"
grep -qF "$(curl -s "$URL_B/checkpoint" | sed -n 3p)" "$W/st.evidence" ||
  fail "evidence lacks the second checkpoint"
grep -q 'consistency proof served by the log ([1-9][0-9]* hashes)' "$W/st.evidence" ||
  fail "evidence lacks the proof"
grep -q '^next-index 263$' "$W/st" || fail "state moved to the forked log"
echo "ok: a forked log gives evidence"
echo "PASS"
