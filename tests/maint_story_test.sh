#!/usr/bin/env bash
# The maintenance story of README command one (scripts/maint-story.sh), run as a test: a
# request, 2-of-3 approvals, a certificate, a recorded session to a real sshd sealed into the
# log, `maint audit` clean; then another CA's certificate and the revoked one refused by sshd
# and reported by `maint audit`. The story asserts each step; this checks what it leaves.
set -euo pipefail
: "${CLEARBOX:?}"
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/.." && pwd)
if [[ $(id -u) != 0 || ! -x /usr/sbin/sshd ]]; then
  echo "SKIP: needs root and openssh-server (the story starts sshd and adds an account)"; exit 0
fi
chmod 0755 "$W"  # sshd reads the principals file, and the recorder the policy, as the account
"$SRC/scripts/maint-story.sh" "$CLEARBOX" "$W/story" >"$W/story.log" 2>&1 ||
  { tail -40 "$W/story.log"; fail "the maintenance story failed"; }
grep -q "maintenance story: done" "$W/story.log" || fail "the story did not finish"
# The log holds the request, two reviews, the certificate record and the session statement.
grep -q "(log entry 4, signed by olt1)" "$W/story.log" || fail "the session statement is not entry 4"
# The reports: SARIF names the two refusals; JSON parses; the HTML page says what it is.
python3 - "$W/story/audit" <<'PY'
import json, sys
d = sys.argv[1]
sarif = json.load(open(d + "/report.sarif"))
rules = [r["ruleId"] for run in sarif["runs"] for r in run["results"]]
assert rules.count("CB-MAINT-009") == 2 and len(rules) == 2, rules
json.load(open(d + "/report.json"))
assert "CB-MAINT-009" in open(d + "/report.html").read()
PY
# The recording is kept with its signed statement; its chain verifies offline too (the story
# checked it against the log while the log ran).
cast=$(ls "$W"/story/device/sessions/*.cast)
[[ -s ${cast%.cast}.session.dsse ]] || fail "no session statement beside the recording"
"$CLEARBOX" maint replay "$cast" --verify >/dev/null || fail "the recording does not verify"
echo "PASS: maint story"
