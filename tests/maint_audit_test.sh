#!/usr/bin/env bash
# `clearbox maint audit` on a real story: a real log (`clearbox log serve`), a policy, a
# request, two approvals, `maint issue`, a real sshd on loopback (TrustedUserCAKeys,
# AuthorizedPrincipalsFile, RevokedKeys) logging through syslog to a real systemd-journald,
# the real ssh client, and `maint record` as the certificate's force-command sealing the
# session into the log. The clean story must give no finding (from the journal export and from
# the journalctl syslog-format text); then a certificate of another CA, the engineer's
# certificate after `maint revoke`, and a plain authorized_keys login must give exactly one
# finding each. Bad input: a 1 MB log line, a recording with a broken chunk in the middle,
# a device clock 10 minutes off. SARIF validated as tests/audit_report_test.sh does.
#
# sshd logs to /dev/log; the machine may have no syslog daemon, so the test runs in its own
# mount namespace with a private /dev/log and /run/systemd, served by its own journald.
# Needs root, openssh-server, systemd (journald, journalctl), unshare; skips otherwise.
set -euo pipefail
: "${CLEARBOX:?the clearbox binary}"
CLEARBOX=$(realpath "$CLEARBOX")
SSHD=/usr/sbin/sshd
JOURNALD=/lib/systemd/systemd-journald

if [[ $(id -u) != 0 ]]; then echo "SKIP: needs root (sshd, a test account, a mount namespace)"; exit 0; fi
for t in "$SSHD" "$JOURNALD"; do
  [[ -x $t ]] || { echo "SKIP: no $t (scripts/install-deps.sh: openssh-server, systemd)"; exit 0; }
done
for t in ssh ssh-keygen journalctl unshare python3; do
  command -v "$t" >/dev/null || { echo "SKIP: no $t"; exit 0; }
done
if [[ -z ${CLEARBOX_MAINT_AUDIT_NS:-} ]]; then
  CLEARBOX_MAINT_AUDIT_NS=1 exec unshare -m bash "$0" "$@"
fi

source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/.." && pwd)

# --- a private /dev/log and journald (this mount namespace only) ------------------------------
# A fresh tmpfs /dev with its own nodes: nothing here is a bind mount of the machine's /dev,
# so no cleanup can ever delete the machine's device nodes through it.
mount --make-rprivate /
mount -t tmpfs -o mode=0755 tmpfs /dev
for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
  set -- $n
  mknod -m 0666 "/dev/$1" c "$2" "$3"
done
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mkdir /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts && ln -s pts/ptmx /dev/ptmx
mount -t tmpfs tmpfs /dev/shm
mkdir -p /run/systemd /run/log /var/log/journal
for d in /run/systemd /run/log /var/log/journal; do mount -t tmpfs tmpfs "$d"; done
mkdir -p /run/systemd/journal
ln -sf /run/systemd/journal/dev-log /dev/log
"$JOURNALD" >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [[ -S /run/systemd/journal/dev-log ]] && break; sleep 0.1; done
[[ -S /run/systemd/journal/dev-log ]] || fail "journald did not start"

sshd_account cba  # the account sshd logs in as (USER_NAME), removed at exit
chmod 0755 "$W"
cd "$W"

run() {  # run CODE OUT command...: exit code must be CODE; stdout+stderr in OUT
  local want=$1 out=$2; shift 2
  set +e; "$@" >"$out" 2>&1; local rc=$?; set -e
  [[ $rc -eq $want ]] || fail "exit $rc, want $want: $* :: $(head -c 3000 "$out")"
}

# --- the log, the people, the policy ---------------------------------------------------------
for who in log noc alice bob issuer recorder; do
  "$CLEARBOX" key generate "$who.example" -o "$W/$who.key" >"$W/$who.vkey" 2>/dev/null
done
ssh-keygen -q -t ed25519 -N '' -C hostkey -f host
ssh-keygen -q -t ed25519 -N '' -C ca -f ca
ssh-keygen -q -t ed25519 -N '' -C other-ca -f ca2
ssh-keygen -q -t ed25519 -N '' -C engineer -f eng
ssh-keygen -q -t ed25519 -N '' -C plain -f plain
start_log "$W/log.key" log.example
vk() { cat "$W/$1.vkey"; }
mkdir -m 0755 sessions
chown "$USER_NAME" sessions recorder.key
cat >policy.json <<EOF
{
  "version": 1,
  "ca-key": "$(cat ca.pub)",
  "requesters": [{"name": "noc", "key": "$(vk noc)"}],
  "approvers": [{"name": "alice", "roles": ["officer"], "key": "$(vk alice)"},
                {"name": "bob", "roles": ["officer"], "key": "$(vk bob)"}],
  "issuers": [{"name": "ca-host", "key": "$(vk issuer)"}],
  "recorders": [{"name": "olt1", "key": "$(vk recorder)"}],
  "thresholds": [{"name": "two officers", "roles": ["officer"], "approve": 2, "deny": 2}],
  "max-window": "4h",
  "principals": ["$USER_NAME"],
  "source-address": "127.0.0.1/32",
  "force-command": "$CLEARBOX maint record --out $W/sessions --ticket {ticket} --serial {serial} --device {device} --policy $W/policy.json --key $W/recorder.key",
  "observer-required": false,
  "log": {"url": "$URL", "key": "$(vk log)"}
}
EOF
P=(--policy "$W/policy.json")
M=("$CLEARBOX" maint)
run 0 out "${M[@]}" request "${P[@]}" --ticket CHG-1 --engineer-key eng.pub --devices olt1 \
  --principals "$USER_NAME" --window now-1m/now+2h --reason "line card" --key noc.key -o r1.dsse
run 0 out "${M[@]}" approve r1.dsse "${P[@]}" --key alice.key
run 0 out "${M[@]}" approve r1.dsse "${P[@]}" --key bob.key
run 0 out "${M[@]}" issue r1.dsse "${P[@]}" --ca ca --key issuer.key -o eng-cert.pub
serial=$(ssh-keygen -L -f eng-cert.pub | awk '/Serial:/ {print $2}')
echo "ok: CHG-1 requested, approved by two, issued (serial $serial)"

# --- sshd, logging to syslog (journald) ------------------------------------------------------
echo "$USER_NAME" > principals
mkdir -m 0755 ak && cp plain.pub "ak/$USER_NAME" && chmod 0644 "ak/$USER_NAME" principals
"$CLEARBOX" maint revoke --ca ca.pub --serial 999999 -o revoked.krl 2>/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > sshd_config <<EOF
ListenAddress 127.0.0.1
HostKey $W/host
PidFile none
UsePAM no
LogLevel VERBOSE
SyslogFacility AUTH
TrustedUserCAKeys $W/ca.pub
AuthorizedPrincipalsFile $W/principals
AuthorizedKeysFile $W/ak/%u
RevokedKeys $W/revoked.krl
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
EOF
"$SSHD" -D -f sshd_config -p "$PORT" &
PIDS+=($!)
for _ in $(seq 50); do journalctl -q --no-pager | grep -q "Server listening" && break; sleep 0.1; done
journalctl -q --no-pager | grep -q "Server listening" || fail "sshd did not start"

login() {  # login KEY [CERT]: ssh's output in $OUT, its status in $RC
  local opts=(-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
    -o LogLevel=ERROR -o IdentitiesOnly=yes -o IdentityAgent=none -i "$1" -p "$PORT")
  [[ -n ${2:-} ]] && opts+=(-o CertificateFile="$2")
  set +e
  OUT=$(timeout 30 ssh "${opts[@]}" "$USER_NAME@127.0.0.1" uptime 2>&1)
  RC=$?
  set -e
}
export_logs() {  # the journal as export and as syslog-format text
  sleep 0.5
  journalctl --no-pager -o export >"$1.export"
  journalctl --no-pager -q -o short-iso-precise >"$1.log"
}
audit() {  # audit CODE OUT [args...]
  local want=$1 out=$2; shift 2
  run "$want" "$out" "${M[@]}" audit "${P[@]}" --krl revoked.krl "$@"
}
rules() {  # the findings' rule ids, sorted, on one line
  python3 -c 'import json,sys; print(" ".join(sorted(f["rule"] for f in json.load(open(sys.argv[1]))["findings"])))' "$1"
}

login eng eng-cert.pub
[[ $RC == 0 ]] || fail "the approved certificate was not accepted (rc $RC): $OUT"
for _ in $(seq 100); do ls sessions/*.session.dsse >/dev/null 2>&1 && break; sleep 0.1; done
ls sessions/*.cast >/dev/null 2>&1 || fail "no recording in sessions/"
echo "ok: login with the approved certificate, recorded: $(ls sessions)"

# --- the clean story: no finding, from either form of the device's log -----------------------
export_logs clean
audit 0 clean-export.out -o clean-export.json --journal clean.export --recordings sessions --format json
[[ $(rules clean-export.json) == "" ]] || fail "clean story (export): $(cat clean-export.json)"
audit 0 clean-text.out -o clean-text.json --auth-log clean.log --recordings sessions --format json
[[ $(rules clean-text.json) == "" ]] || fail "clean story (text): $(cat clean-text.json)"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; assert s["sessions"]==1 and s["logins"]==1 and s["approved"]==1, s' clean-text.json
echo "ok: the clean story has no finding (journal export and syslog text)"

# --- refusals and a way around the certificates ---------------------------------------------
mv eng-cert.pub eng-approved-cert.pub  # ssh-keygen -s writes eng-cert.pub
ssh-keygen -q -s ca2 -I CHG-OTHER -z 4242 -n "$USER_NAME" -V -1m:+1h -O source-address=127.0.0.1/32 eng.pub
mv eng-cert.pub other-cert.pub
login eng other-cert.pub
[[ $RC != 0 ]] || fail "a certificate of another CA was accepted"
cp revoked.krl before-revoke.krl
"${M[@]}" revoke --ca ca.pub --serial "$serial" -o revoked.krl.new 2>/dev/null
mv revoked.krl.new revoked.krl
login eng eng-approved-cert.pub
[[ $RC != 0 ]] || fail "a revoked certificate was accepted"
login plain
[[ $RC == 0 ]] || fail "the authorized_keys login failed (rc $RC): $OUT"
export_logs story
audit 1 story.out -o story.json --journal story.export --recordings sessions --format json
[[ $(rules story.json) == "CB-MAINT-006 CB-MAINT-009 CB-MAINT-009" ]] ||
  fail "story: $(rules story.json): $(cat story.json)"
python3 - story.json "$serial" <<'PY' || fail "story findings: $(cat story.json)"
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
msgs = " | ".join(x["message"] for x in f)
assert any(x["rule"] == "CB-MAINT-009" and x["facts"]["reason"] == "revoked" and
           x["serial"] == int(sys.argv[2]) for x in f), msgs
assert any(x["rule"] == "CB-MAINT-009" and "not the policy's CA" in x["message"] and
           x["ticket"] == "CHG-OTHER" for x in f), msgs
assert any(x["rule"] == "CB-MAINT-006" and x["severity"] == "high" and
           "plain public key" in x["message"] for x in f), msgs
assert all(":" in e["where"] for x in f for e in x["evidence"] if "export" in e["where"]), msgs
PY
echo "ok: other CA, revoked certificate, authorized_keys login: exactly one finding each"

# Text, SARIF (validated), HTML; --fail-on.
audit 1 story.txt --auth-log story.log --recordings sessions
grep -q "CB-MAINT-006" story.txt && grep -q "revoked" story.txt || fail "text: $(cat story.txt)"
audit 0 story-lenient.txt --auth-log story.log --recordings sessions --fail-on critical
audit 1 story-sarif.out --auth-log story.log --recordings sessions --format sarif -o story.sarif
audit 1 story-html.out --auth-log story.log --recordings sessions --format html -o story.html
grep -q 'id="maint-verdict" class="verdict fail"' story.html || fail "html verdict"
validate_sarif story.sarif
echo "ok: SARIF validated by sarif-multitool"

# --- bad input -------------------------------------------------------------------------------
# A 1 MB line: a note naming the file and line, the rest still read.
{ head -3 story.log; python3 -c 'print("Dec  7 05:00:00 olt1 sshd[1]: " + "x" * 1048576)'; tail -n +4 story.log; } > big.log
audit 1 big.txt --auth-log big.log --recordings sessions
grep -q "big.log:4: line of 1048606 bytes" big.txt || fail "1 MB line: $(head -c 2000 big.txt)"
grep -q "CB-MAINT-006" big.txt || fail "1 MB line: the rest was not read"
# A recording with a broken chunk in the middle.
mkdir broken && cp sessions/*.cast broken/
cast=$(ls broken/*.cast)
python3 - "$cast" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read())
i = b.index(b'"o", "', len(b) // 4)  # an output event past the header
b[i + 6] ^= 0x01
open(p, 'wb').write(bytes(b))
PY
audit 1 broken.out -o broken.json --auth-log clean.log --recordings broken --format json
[[ $(rules broken.json) == "CB-MAINT-005" ]] || fail "broken recording: $(cat broken.json)"
grep -q "broken\|not JSON\|chunk" broken.json || fail "broken recording: $(cat broken.json)"
# The device's clock 10 minutes fast: its lines are 600 s later than the recorder's.
python3 - clean.log > skewed.log <<'PY'
import sys, datetime
for line in open(sys.argv[1]):
    try:
        stamp, rest = line.split(" ", 1)
        t = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        print(line, end="")
        continue
    t += datetime.timedelta(minutes=10)
    print(t.strftime("%Y-%m-%dT%H:%M:%S.%f%z"), rest, end="")
PY
# (judged an hour later, so that the fast clock's lines are not also "after the audit's time")
set +e
# (with the KRL of the time: a fast clock would also put the login after today's revocation)
"${M[@]}" audit "${P[@]}" --krl before-revoke.krl -o skewed.json --auth-log skewed.log \
  --recordings sessions --format json --fail-on high --now now+1h >skewed.out 2>&1
rc=$?
set -e
[[ $rc == 0 ]] || fail "clock 10 minutes off: exit $rc: $(cat skewed.out skewed.json)"
[[ $(rules skewed.json) == "CB-MAINT-010" ]] || fail "clock 10 minutes off: $(cat skewed.json)"
grep -Eq '"skew-seconds": "(599|60[0-9])"' skewed.json || fail "skew: $(cat skewed.json)"
echo "ok: bad input: 1 MB line (note), broken recording (CB-MAINT-005), clock 10 min off (CB-MAINT-010)"
run 2 out "${M[@]}" audit "${P[@]}" --auth-log /nonexistent/auth.log
grep -q "/nonexistent/auth.log" out || fail "missing input: $(cat out)"

echo "PASS: maint audit on a real sshd story against $(ssh -V 2>&1)"
