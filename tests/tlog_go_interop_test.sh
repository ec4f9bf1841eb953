#!/usr/bin/env bash
# Interop of clearbox's transparency log with an independent implementation: Go's
# golang.org/x/mod/sumdb/{note,tlog} (Debian golang-go + golang-golang-x-mod-dev, built offline
# in GOPATH mode) driven by tests/go/tloginterop.
#   A. a 70,000-entry, 3-level log written by our library (src/tlog/interop_log_test.cc):
#      Go verifies the checkpoint signature, every tile, the root, every entry bundle, its own
#      inclusion/consistency proofs over our tiles, our consistency proofs and our tlog-proofs;
#      and the partial tiles kept for each earlier checkpoint.
#   B. a log served by `clearbox log serve` with a `clearbox log witness`: Go verifies the
#      served files, the witness cosignature (type 0x04, implemented in Go from the spec), the
#      proofs `clearbox log add` received and the ones `clearbox log get-proof` fetched (HTTP).
#   C. a log written by Go (tlog.StoredHashes, NewTiles, ReadTileData, note.Sign, a Go-made
#      cosignature): `clearbox log monitor` reads and verifies all of it, also from an earlier
#      checkpoint, over a directory and over HTTP; get-proof + verify-inclusion (with the
#      witness quorum) accept it; a tampered tile and a wrong entry are rejected.
set -euo pipefail
: "${CLEARBOX:?}" "${CLEARBOX_BUILD:?}" "${CLEARBOX_SOURCE:?}"

# W (scratch dir), PIDS (stopped at exit), fail
source "$(dirname "$0")/lib.sh"
step() { echo "== $(date +%T) $*"; }

# Waits for a line matching $2 in file $1 and prints the http://host:port in it.
wait_url() {
  for _ in $(seq 1 100); do
    if grep -q "$2" "$1" 2>/dev/null; then grep -o 'http://[0-9.]*:[0-9]*' "$1" | head -1; return; fi
    sleep 0.1
  done
  cat "$1" >&2
  fail "no '$2' in $1"
}

command -v go >/dev/null || fail "go is not installed (scripts/install-deps.sh installs golang-go)"
[[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ]] ||
  fail "golang-golang-x-mod-dev is not installed"

GO_BIN="$CLEARBOX_BUILD/go/tloginterop"
GO_SRC="$CLEARBOX_SOURCE/tests/go/tloginterop"
if [[ ! -x "$GO_BIN" || "$GO_SRC/main.go" -nt "$GO_BIN" ]]; then
  step "building the Go verifier (offline, GOPATH mode)"
  mkdir -p "$CLEARBOX_BUILD/go"
  (cd "$GO_SRC" && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOPROXY=off \
    GOCACHE="$CLEARBOX_BUILD/go/cache" go build -o "$GO_BIN" .)
fi

# ---- A: a log written by our library, checked by Go ----
step "A: library-written log -> Go x/mod"
TLOG_TEST="$CLEARBOX_BUILD/src/tlog_test"
[[ -x "$TLOG_TEST" ]] || fail "$TLOG_TEST is not built"
CLEARBOX_TLOG_INTEROP_DIR="$W/ours" "$TLOG_TEST" --gtest_filter='InteropLogWriter.*' >"$W/gen.log" ||
  { cat "$W/gen.log"; fail "writing the library log"; }
O="$W/ours"
args=()
for c in "$O"/checkpoints/*; do args+=(-checkpoint "$c"); done
for c in "$O"/consistency/*; do args+=(-consistency "$c"); done
for p in "$O"/proofs/*.tlog-proof; do args+=(-proof "$p" -entry "${p%.tlog-proof}.entry"); done
"$GO_BIN" check-log -dir "$O/log" -vkey "$(cat "$O/vkey")" "${args[@]}" | tee "$W/a.out"
[[ $(grep -c '^ok: clearbox consistency proof' "$W/a.out") -eq 6 ]] || fail "A: consistency proofs"
grep -q '^ok: 8 clearbox tlog-proof files verify' "$W/a.out" || fail "A: tlog-proofs"
for c in "$O"/checkpoints/*; do
  "$GO_BIN" check-log -dir "$O/log" -vkey "$(cat "$O/vkey")" -tree "$c" >"$W/a-old.out" ||
    fail "A: Go rejects the tiles of $(basename "$c")"
done
echo "ok: Go verifies the tiles and entries of all $(ls "$O/checkpoints" | wc -l) published sizes"

# ---- B: a log served by clearbox, with a clearbox witness ----
step "B: clearbox log serve + witness -> Go x/mod"
"$CLEARBOX" key generate interop.example/log -o "$W/log.key" >"$W/log.vkey" 2>/dev/null
"$CLEARBOX" key generate witness.interop.example -o "$W/w.key" --cosigner >"$W/w.vkey" 2>/dev/null
echo "log $(cat "$W/log.vkey")" >"$W/witness-logs"
"$CLEARBOX" log witness --key "$W/w.key" --logs "$W/witness-logs" --data "$W/wdata" \
  --listen 127.0.0.1:0 >"$W/witness.out" 2>"$W/witness.err" &
PIDS+=($!)
WURL=$(wait_url "$W/witness.out" "on http://")
"$CLEARBOX" log init --data "$W/data" --key "$W/log.key" --origin interop.example/log \
  --witness "$(cat "$W/w.vkey")=$WURL" >/dev/null 2>&1
"$CLEARBOX" log serve --data "$W/data" --key "$W/log.key" --listen 127.0.0.1:0 \
  >"$W/serve.out" 2>"$W/serve.err" &
PIDS+=($!)
URL=$(wait_url "$W/serve.out" "on http://")
mkdir -p "$W/entries" "$W/proofs"
for i in $(seq 0 299); do printf 'release statement %d\n' "$i" >"$W/entries/e$i"; done
for k in 0 1 2 3 4 5; do
  files=()
  for i in $(seq "$k" 6 299); do files+=("$W/entries/e$i"); done
  "$CLEARBOX" log add "$URL" --log-key "$(cat "$W/log.vkey")" --proofs "$W/proofs" "${files[@]}" \
    >"$W/add$k.out" 2>"$W/add$k.err" &
done
wait_adds=0
for job in $(jobs -p); do
  case " ${PIDS[*]} " in *" $job "*) ;; *) wait "$job" || wait_adds=1 ;; esac
done
[[ $wait_adds -eq 0 ]] || { cat "$W"/add*.err >&2; fail "B: log add failed"; }
nproofs=$(ls "$W/proofs" | wc -l)
[[ $nproofs -eq 300 ]] || fail "B: $nproofs proofs from log add, want 300"
# Our client fetches a few more proofs over HTTP (clearbox's own Beast client) from the latest checkpoint.
for i in 0 255 256 299; do
  "$CLEARBOX" log get-proof "$URL" "$i" --key "$(cat "$W/log.vkey")" -o "$W/get$i.tlog-proof"
done
args=(-cosigner "$(cat "$W/w.vkey")")
for p in "$W"/proofs/*; do
  e="$W/entries/$(basename "${p%.tlog-proof}")"
  args+=(-proof "$p" -entry "$e")
done
for i in 0 255 256 299; do
  # get-proof INDEX is for whichever entry got that index; find its file.
  f=$(awk -v n="$i" '$1 == n {print $2}' "$W"/add*.out | head -1)
  [[ -n "$f" ]] || fail "B: no entry got index $i"
  args+=(-proof "$W/get$i.tlog-proof" -entry "$f")
done
# Every checkpoint the adds were answered with must be consistent with the final one.
mkdir -p "$W/seen"
for p in "$W"/proofs/*; do
  awk 'f{print} /^$/{f=1}' "$p" >"$W/seen/$(sha256sum "$p" | cut -c1-16)"
done
for c in $(sha256sum "$W"/seen/* | sort -u -k1,1 | awk '{print $2}'); do args+=(-checkpoint "$c"); done
"$GO_BIN" check-log -dir "$W/data" -vkey "$(cat "$W/log.vkey")" "${args[@]}" | tee "$W/b.out"
grep -q '^ok: checkpoint cosigned by witness.interop.example' "$W/b.out" || fail "B: cosignature"
grep -q '^ok: 304 clearbox tlog-proof files verify' "$W/b.out" || fail "B: proofs"
"$CLEARBOX" log monitor "$URL" --key "$W/log.vkey" --state "$W/b.state" --once >"$W/b.entries" 2>/dev/null
[[ $(wc -l <"$W/b.entries") -eq 300 ]] || fail "B: monitor over HTTP reported $(wc -l <"$W/b.entries") entries"
echo "ok: clearbox log monitor read and verified all 300 entries over HTTP"

# ---- C: a log written by Go, read by clearbox ----
step "C: Go-written log -> clearbox client"
"$GO_BIN" make-log -dir "$W/golog" -origin go.example/log -n 70000 -steps 5 >/dev/null
GOVKEY="$W/golog.vkey"
"$CLEARBOX" log monitor "$W/golog" --key "$GOVKEY" --origin go.example/log --state "$W/c.state" \
  --once >"$W/c.entries" 2>"$W/c.err" || { cat "$W/c.err"; fail "C: monitor"; }
[[ $(wc -l <"$W/c.entries") -eq 70000 ]] || fail "C: monitor reported $(wc -l <"$W/c.entries")"
grep -q $'^entry 69999\t14 bytes\t.*\tgo entry 69999$' "$W/c.entries" || fail "C: last entry"
echo "ok: clearbox verified the Go checkpoint signature, tiles and all 70000 entries"
# From each earlier Go checkpoint: consistency proven from the tiles, then the rest reported.
for c in "$W"/golog-checkpoints/checkpoint.[0-9]*; do
  n=${c##*.}
  [[ $n -eq 70000 ]] && continue
  { printf 'clearbox-log-monitor-state v1\nnext-index %s\n\n' "$n"; cat "$c"; } >"$W/c-old.state"
  "$CLEARBOX" log monitor "$W/golog" --key "$GOVKEY" --state "$W/c-old.state" --once \
    >"$W/c-old.entries" 2>"$W/c-old.err" || { cat "$W/c-old.err"; fail "C: consistency from $n"; }
  [[ $(wc -l <"$W/c-old.entries") -eq $((70000 - n)) ]] || fail "C: entries after $n"
  grep -q "consistent with the last one" "$W/c-old.err" || fail "C: no consistency check from $n"
done
echo "ok: every earlier Go checkpoint is consistent with the latest (clearbox client)"
# Inclusion, over HTTP from a plain static server, with the Go-made witness cosignature.
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$W/golog" >"$W/http.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q 'port' "$W/http.out" && break; sleep 0.1; done
HPORT=$(grep -o 'port [0-9]*' "$W/http.out" | head -1 | cut -d' ' -f2)
for i in 0 256 65535 69999; do
  "$CLEARBOX" log get-proof "http://127.0.0.1:$HPORT" "$i" --key "$GOVKEY" -o "$W/c$i.tlog-proof"
  printf 'go entry %d' "$i" >"$W/c$i.entry"
  # Put the cosigned copy of the same checkpoint into the proof.
  { awk '{print} /^$/{exit}' "$W/c$i.tlog-proof"; cat "$W/golog-checkpoints/checkpoint.cosigned"; } \
    >"$W/c$i.cosigned.tlog-proof"
  "$CLEARBOX" log verify-inclusion --entry "$W/c$i.entry" --proof "$W/c$i.cosigned.tlog-proof" \
    --key "$GOVKEY" --witness "$(cat "$W/golog.witness-vkey")" --quorum 1 --index "$i" >"$W/v.out" ||
    { cat "$W/v.out"; fail "C: verify-inclusion $i"; }
  grep -q "cosigned by witness.go.example at 1767139200" "$W/v.out" || fail "C: witness $i"
done
echo "ok: clearbox get-proof (HTTP) + verify-inclusion accept Go's log, checkpoint and cosignature"
# Rejections: a wrong entry, and a tampered tile.
printf 'go entry 1' >"$W/wrong.entry"
if "$CLEARBOX" log verify-inclusion --entry "$W/wrong.entry" --proof "$W/c0.tlog-proof" \
  --key "$GOVKEY" >"$W/v.out"; then fail "C: a wrong entry verified"; fi
grep -q '^FAILED: inclusion proof for leaf 0' "$W/v.out" || fail "C: wrong-entry message"
cp -r "$W/golog" "$W/golog-bad"
printf '\x01' | dd of="$W/golog-bad/tile/0/100" bs=1 seek=40 conv=notrunc status=none
if "$CLEARBOX" log monitor "$W/golog-bad" --key "$GOVKEY" --state "$W/bad.state" --once \
  >/dev/null 2>"$W/bad.err"; then fail "C: a tampered tile was accepted"; fi
grep -q 'tile/0/100 does not match hash' "$W/bad.err" || { cat "$W/bad.err"; fail "C: tile message"; }
echo "ok: a wrong entry and a tampered Go tile are rejected with the reason"
echo "PASS"
