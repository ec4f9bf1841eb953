#!/usr/bin/env bash
# The maintenance story, end to end on loopback (scripts/demo.sh runs it; so does
# tests/maint_story_test.sh):
#   the operator's NOC files a maintenance request for a vendor engineer; two of three
#   security officers approve it; the CA host checks the approvals in the transparency log and
#   issues a short-lived OpenSSH certificate; the engineer logs in to the "device" (a real
#   sshd on 127.0.0.1) and every byte of the session is recorded and sealed into the log;
#   `maint audit` finds nothing to report. Then a certificate signed by another CA, and the
#   approved one after `maint revoke`, are refused by sshd, and `maint audit` explains both.
#   maint-story.sh CLEARBOX WORKDIR
# Needs root (sshd, a throw-away device account) and openssh-server; prints why and exits 0
# without them. Exits non-zero if any step does not end as the story says.
set -euo pipefail
CB=$(realpath "$1")
W=$2
mkdir -p "$W"
W=$(cd "$W" && pwd)
step() { printf '\n== %s\n' "$*"; }
die() { echo "maintenance story: FAILED: $*" >&2; exit 1; }

if [[ $(id -u) != 0 || ! -x /usr/sbin/sshd ]]; then
  echo "maintenance story: skipped: it needs root and openssh-server (a real sshd on loopback" \
    "and a throw-away device account; scripts/install-deps.sh installs openssh-server)"
  exit 0
fi

rm -rf "$W/keys" "$W/log" "$W/device" "$W/requests" "$W/audit"
mkdir -p "$W/keys" "$W/device/sessions" "$W/requests" "$W/audit"
ACCOUNT="maint$$"  # the device account the engineer is approved for
pids=()
made_run_sshd=0
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  userdel "$ACCOUNT" 2>/dev/null || true
  if [[ $made_run_sshd == 1 ]]; then rmdir /run/sshd 2>/dev/null || true; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

step "keys: the log, the NOC, three officers, the CA host, the device's recorder; the SSH CA, another CA, the engineer"
K=$W/keys
for who in log noc alice bob carol issuer recorder; do
  "$CB" key generate "$who.operator.example" -o "$K/$who.key" >"$K/$who.vkey"
done
ssh-keygen -q -t ed25519 -N '' -C operator-ca -f "$K/ca"
ssh-keygen -q -t ed25519 -N '' -C someone-elses-ca -f "$K/other-ca"
ssh-keygen -q -t ed25519 -N '' -C engineer@vendor.example -f "$K/engineer"

step "the transparency log on loopback"
"$CB" log init --data "$W/log" --key "$K/log.key" --origin log.operator.example >/dev/null
"$CB" log serve --data "$W/log" --key "$K/log.key" --listen 127.0.0.1:0 >"$W/log.out" 2>"$W/log.err" &
pids+=($!)
URL=
for _ in $(seq 100); do
  URL=$(grep -o 'http://[0-9.]*:[0-9]*' "$W/log.out" 2>/dev/null || true)
  [[ -n $URL ]] && break
  sleep 0.1
done
[[ -n $URL ]] || die "log serve did not start: $(cat "$W/log.err")"
echo "log: $URL"

step "the operator's maintenance policy: 2 of 3 officers, at most 4 h, one account, from the jump host only"
useradd -M -d /nonexistent -s /bin/sh "$ACCOUNT"
usermod -p '*' "$ACCOUNT"  # no password, not locked: sshd refuses locked accounts
# The recorder runs as the engineer's account: it must read the policy and its key and write
# the recordings. On a real device a setgid recorder would hold the key (docs/maint-recording.md).
chmod 0755 "$W" "$K" "$W/device"
chmod 0644 "$K/recorder.key"
chown "$ACCOUNT" "$W/device/sessions"
vk() { cat "$K/$1.vkey"; }
officer() { printf '{"name": "%s", "roles": ["security-officer"], "key": "%s"}' "$1" "$(vk "$1")"; }
P=$W/policy.json
cat >"$P" <<EOF
{
  "version": 1,
  "ca-key": "$(cat "$K/ca.pub")",
  "requesters": [{"name": "noc", "key": "$(vk noc)"}],
  "approvers": [$(officer alice), $(officer bob), $(officer carol)],
  "issuers": [{"name": "ca-host", "key": "$(vk issuer)"}],
  "recorders": [{"name": "olt1", "key": "$(vk recorder)"}],
  "thresholds": [{"name": "two security officers", "roles": ["security-officer"], "approve": 2, "deny": 2}],
  "max-window": "4h",
  "principals": ["$ACCOUNT"],
  "source-address": "127.0.0.1/32",
  "force-command": "$CB maint record --out $W/device/sessions --ticket {ticket} --serial {serial} --device {device} --policy $P --key $K/recorder.key",
  "observer-required": false,
  "log": {"url": "$URL", "key": "$(vk log)"}
}
EOF
chmod 0644 "$P"
"$CB" maint check-policy "$P" --pledge "$(dirname "$0")/../tests/release/demo-pledge.json"

step "the NOC files CHG-1042; alice and bob approve it; the CA host issues the certificate"
M=("$CB" maint)
"${M[@]}" request --policy "$P" --ticket CHG-1042 --engineer-key "$K/engineer.pub" --devices olt1 \
  --principals "$ACCOUNT" --window now/now+2h --reason "replace line card 3" --key "$K/noc.key" \
  -o "$W/requests/CHG-1042.dsse"
"${M[@]}" approve "$W/requests/CHG-1042.dsse" --policy "$P" --key "$K/alice.key" --reason "change board ok"
"${M[@]}" approve "$W/requests/CHG-1042.dsse" --policy "$P" --key "$K/bob.key"
"${M[@]}" status "$W/requests/CHG-1042.dsse" --policy "$P"
"${M[@]}" issue "$W/requests/CHG-1042.dsse" --policy "$P" --ca "$K/ca" --key "$K/issuer.key" \
  -o "$K/engineer-cert.pub"
ssh-keygen -L -f "$K/engineer-cert.pub" | sed -n '1,/Extensions/p'
SERIAL=$(ssh-keygen -L -f "$K/engineer-cert.pub" | awk '/Serial:/ {print $2}')

step "the device: sshd on 127.0.0.1 trusting the operator's CA, with a revocation list"
D=$W/device
ssh-keygen -q -t ed25519 -N '' -C olt1 -f "$D/host"
echo "$ACCOUNT" >"$D/principals"
"$CB" maint revoke --ca "$K/ca.pub" --serial 1 -o "$D/revoked.krl" 2>/dev/null  # none of ours yet
chmod 0644 "$D/principals" "$D/revoked.krl"
PORT=$(free_port)
cat >"$D/sshd_config" <<EOF
ListenAddress 127.0.0.1
HostKey $D/host
PidFile none
UsePAM no
LogLevel VERBOSE
TrustedUserCAKeys $K/ca.pub
AuthorizedPrincipalsFile $D/principals
AuthorizedKeysFile none
RevokedKeys $D/revoked.krl
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
EOF
if [[ ! -d /run/sshd ]]; then mkdir -m 0755 /run/sshd; made_run_sshd=1; fi
/usr/sbin/sshd -D -e -f "$D/sshd_config" -p "$PORT" 2>"$D/auth.log" &
pids+=($!)
for _ in $(seq 50); do grep -q "Server listening" "$D/auth.log" && break; sleep 0.1; done
grep -q "Server listening" "$D/auth.log" || die "sshd did not start: $(cat "$D/auth.log")"
echo "olt1: sshd on 127.0.0.1:$PORT, its log in $D/auth.log"

# login CERT COMMAND: ssh as the engineer with CERT; output in $OUT, exit status in $RC.
login() {
  set +e
  OUT=$(timeout 60 ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o LogLevel=ERROR -o IdentitiesOnly=yes -o IdentityAgent=none -i "$K/engineer" \
    -o CertificateFile="$1" -p "$PORT" -b 127.0.0.1 "$ACCOUNT@127.0.0.1" "$2" 2>&1)
  RC=$?
  set -e
}

step "the engineer's session, recorded and sealed into the log"
login "$K/engineer-cert.pub" 'echo "card 3: $(uname -s) ok"; id -un'
echo "$OUT" | sed 's/^/   /'
[[ $RC == 0 && $OUT == *"card 3: Linux ok"* ]] || die "the approved session did not run (exit $RC)"
CAST=$(ls "$D"/sessions/*.cast)
"${M[@]}" replay "$CAST" --verify --policy "$P"
"${M[@]}" replay "$CAST" --speed 100

audit() {  # audit WANT_RC: maint audit of the log, sshd's log and the recordings (text, SARIF, HTML)
  local rc=0 f
  local args=(--policy "$P" --auth-log "$D/auth.log" --recordings "$D/sessions" --krl "$D/revoked.krl")
  "${M[@]}" audit "${args[@]}" >"$W/audit.out" 2>&1 || rc=$?
  sed 's/^/   /' "$W/audit.out"
  [[ $rc == "$1" ]] || die "maint audit: exit $rc, want $1"
  for f in sarif json html; do
    rc=0
    "${M[@]}" audit "${args[@]}" --format "$f" -o "$W/audit/report.$f" 2>/dev/null || rc=$?
    [[ $rc == "$1" ]] || die "maint audit --format $f: exit $rc, want $1"
  done
}
step "maint audit: the log, sshd's log and the recordings agree"
audit 0
grep -q ": 0 findings" "$W/audit.out" || die "maint audit found something in the clean story"

step "refused: a certificate for the same engineer signed by another CA"
"$CB" maint cert issue --ca "$K/other-ca" --key "$K/engineer.pub" --key-id CHG-1042 --serial 4242 \
  --principal "$ACCOUNT" --valid-after now-1m --valid-before now+1h --force-command /bin/sh \
  --source-address 127.0.0.1/32 -o "$K/rogue-cert.pub" 2>/dev/null
login "$K/rogue-cert.pub" id
[[ $RC != 0 && $OUT == *"Permission denied"* ]] || die "the other CA's certificate got in (exit $RC)"
echo "   $OUT"

step "refused: the approved certificate after maint revoke"
"$CB" maint revoke --ca "$K/ca.pub" --serial "$SERIAL" -o "$D/revoked.krl.new"
mv "$D/revoked.krl.new" "$D/revoked.krl"
chmod 0644 "$D/revoked.krl"
login "$K/engineer-cert.pub" id
[[ $RC != 0 && $OUT == *"Permission denied"* ]] || die "the revoked certificate got in (exit $RC)"
echo "   $OUT"

step "maint audit: both refusals reported, with sshd's reason"
audit 0
[[ $(grep -c "CB-MAINT-009  sshd refused certificate CHG-1042" "$W/audit.out") == 2 ]] ||
  die "maint audit does not report the two refused certificates"
grep -q "not the policy's CA" "$W/audit.out" || die "the other CA's refusal is not explained"
grep -q "it is revoked" "$W/audit.out" || die "the revoked certificate's refusal is not explained"
echo
echo "maintenance story: done. Reports: $W/audit (report.html, report.sarif, report.json)"
