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

# validate_sarif FILE: Microsoft's SARIF validator (sarif-multitool, installed by
# scripts/install-deps.sh) must report no error and no warning on FILE. Without the validator
# the check is skipped with a message, unless CLEARBOX_REQUIRE_VALIDATORS=1 (CI): then it fails.
LIB_SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)  # now: tests may cd away
validate_sarif() {
  local validator=${CLEARBOX_NPM_PREFIX:-$LIB_SOURCE_DIR/build/npm}/node_modules/.bin/sarif-multitool
  if [[ ! -x $validator ]]; then
    [[ ${CLEARBOX_REQUIRE_VALIDATORS:-} == 1 ]] && fail "no SARIF validator at $validator"
    echo "SKIP (SARIF validation of $1): no $validator (scripts/install-deps.sh)"
    return 0
  fi
  "$validator" validate --log ForceOverwrite -o "$1.validation" "$1" >/dev/null 2>&1 ||
    fail "the SARIF validator did not run on $1"
  python3 - "$1.validation" "$1" <<'PY' || fail "SARIF validator: $1 has errors or warnings"
import json, sys
doc = json.load(open(sys.argv[1]))
bad = [r for run in doc.get("runs", []) for r in run.get("results", [])
       if r.get("level", "warning") in ("error", "warning")]
for r in bad:
    print(sys.argv[2], r.get("level"), r.get("ruleId"), json.dumps(r.get("message")), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

# sshd_account PREFIX: a throw-away account PREFIX<pid> for sshd to log in as (USER_NAME),
# with no password but not locked ('!': sshd refuses locked accounts), and sshd's /run/sshd;
# both removed at exit, before the usual cleanup. Needs root.
sshd_account() {
  USER_NAME="$1$$"
  LIB_MADE_RUN_SSHD=0
  trap 'cleanup; userdel "$USER_NAME" 2>/dev/null || true
        if [[ $LIB_MADE_RUN_SSHD == 1 ]]; then rmdir /run/sshd 2>/dev/null || true; fi' EXIT
  useradd -M -d /nonexistent -s /bin/sh "$USER_NAME"
  usermod -p '*' "$USER_NAME"
  if [[ ! -d /run/sshd ]]; then mkdir -m 0755 /run/sshd; LIB_MADE_RUN_SSHD=1; fi
}
