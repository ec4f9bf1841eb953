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
