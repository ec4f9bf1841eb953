# Shared by the shell tests that start servers: source it after `set -euo pipefail`.
#   W      a scratch directory of this test's own, removed at exit
#   PIDS   background processes to stop at exit (append with PIDS+=($!), not in a subshell)
#   fail MESSAGE   ends the test with FAIL: MESSAGE
W=$(mktemp -d "/tmp/clearbox-$(basename "$0" .sh).XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# start_log KEYFILE ORIGIN: `clearbox log init` in $W/log and `clearbox log serve` on a free
# loopback port (stopped at exit); sets URL to its http://HOST:PORT.
start_log() {
  "$CLEARBOX" log init --data "$W/log" --key "$1" --origin "$2" >/dev/null 2>&1
  "$CLEARBOX" log serve --data "$W/log" --key "$1" --listen 127.0.0.1:0 \
    >"$W/serve.out" 2>"$W/serve.err" &
  PIDS+=($!)
  URL=
  for _ in $(seq 1 100); do
    URL=$(grep -o 'http://[0-9.]*:[0-9]*' "$W/serve.out" 2>/dev/null || true)
    [[ -n "$URL" ]] && return 0
    sleep 0.1
  done
  fail "log serve did not start: $(cat "$W/serve.err")"
}
