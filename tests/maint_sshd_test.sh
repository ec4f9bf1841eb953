#!/usr/bin/env bash
# clearbox maint certificates and KRLs against the real OpenSSH: a throwaway sshd (Debian's
# openssh-server) on 127.0.0.1 with TrustedUserCAKeys, AuthorizedPrincipalsFile and
# RevokedKeys, and the real ssh client. A certificate is accepted inside its window and
# refused before and after it, when revoked (by serial and by key id), for a principal that
# is not approved, from a source address other than the jump host (127.0.0.2), and when
# signed by another CA; each refusal's sshd log line carries the certificate's key id.
# Needs root (sshd, a test account); skips with a message otherwise.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
: "${CLEARBOX:?the clearbox binary}"
CLEARBOX=$(realpath "$CLEARBOX")
SSHD=/usr/sbin/sshd

if [[ $(id -u) != 0 ]]; then echo "SKIP: needs root (starts sshd, adds a test account)"; exit 0; fi
if [[ ! -x $SSHD ]] || ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then
  echo "SKIP: needs openssh-server and openssh-client (scripts/install-deps.sh)"; exit 0
fi

sshd_account cbm  # the account sshd logs in as (USER_NAME), removed at exit

chmod 0755 "$W"  # sshd reads the principals file as the user
cd "$W"
ssh-keygen -q -t ed25519 -N '' -C hostkey -f host
ssh-keygen -q -t ed25519 -N '' -C ca -f ca
ssh-keygen -q -t ed25519 -N '' -C other-ca -f ca2
ssh-keygen -q -t ed25519 -N '' -C engineer -f eng
echo "$USER_NAME" > principals
chmod 0644 principals
"$CLEARBOX" maint revoke --ca ca.pub --serial 999999 -o revoked.krl 2>/dev/null

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > sshd_config <<EOF
ListenAddress 127.0.0.1
HostKey $W/host
PidFile none
UsePAM no
LogLevel VERBOSE
TrustedUserCAKeys $W/ca.pub
AuthorizedPrincipalsFile $W/principals
AuthorizedKeysFile none
RevokedKeys $W/revoked.krl
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
EOF
"$SSHD" -D -e -f sshd_config -p "$PORT" 2> sshd.log &
PIDS+=($!)
for _ in $(seq 50); do grep -q "Server listening" sshd.log && break; sleep 0.1; done
grep -q "Server listening" sshd.log || { cat sshd.log; fail "sshd did not start"; }

# issue ID SERIAL AFTER BEFORE [PRINCIPAL] [CA]: a certificate for the engineer's key.
issue() {
  "$CLEARBOX" maint cert issue --ca "${6:-ca}" --key eng.pub --key-id "$1" --serial "$2" \
    --principal "${5:-$USER_NAME}" --valid-after "$3" --valid-before "$4" \
    --force-command 'echo RECORDED:$SSH_ORIGINAL_COMMAND' --source-address 127.0.0.1/32 \
    --max-validity 86400 -o "$1-cert.pub" 2>/dev/null
}
# login CERT [FROM] [extra ssh options...]: ssh's output in $OUT, its status in $RC.
login() {
  local cert=$1 from=${2:-127.0.0.1}
  shift 2 || shift $#
  set +e
  OUT=$(timeout 30 ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o LogLevel=ERROR -o IdentitiesOnly=yes -o IdentityAgent=none -i eng \
    -o CertificateFile="$cert" -p "$PORT" -b "$from" "$@" "$USER_NAME@127.0.0.1" true 2>&1)
  RC=$?
  set -e
}
# expect_log SINCE PATTERN...: every PATTERN appears in sshd's log after byte SINCE.
expect_log() {
  local since=$1; shift
  for _ in $(seq 50); do
    local ok=1
    for p in "$@"; do tail -c +"$((since + 1))" sshd.log | grep -qF -- "$p" || ok=0; done
    [[ $ok == 1 ]] && return 0
    sleep 0.1
  done
  echo "--- sshd log since byte $since:"; tail -c +"$((since + 1))" sshd.log
  fail "sshd log lacks: $*"
}
mark() { stat -c %s sshd.log; }
accepted() {  # accepted ID CERT
  local m; m=$(mark)
  login "$2"
  [[ $RC == 0 && $OUT == *"RECORDED:true"* ]] || fail "$1: not accepted (rc $RC): $OUT"
  expect_log "$m" "Accepted publickey for $USER_NAME" "ID $1 ("
  echo "ok: $1 accepted, ran the forced command"
}
refused() {  # refused ID CERT FROM REASON
  local m; m=$(mark)
  login "$2" "$3"
  [[ $RC != 0 && $OUT == *"Permission denied"* ]] || fail "$1: not refused (rc $RC): $OUT"
  expect_log "$m" "$4" "Failed publickey for $USER_NAME from $3" "ID $1 ("
  echo "ok: $1 refused ($4), key id in sshd's log"
}

issue CHG-INSIDE 101 now-1m now+1h
accepted CHG-INSIDE CHG-INSIDE-cert.pub

issue CHG-BEFORE 102 now+1h now+2h
refused CHG-BEFORE CHG-BEFORE-cert.pub 127.0.0.1 "Certificate invalid: not yet valid"

issue CHG-AFTER 103 now-2h now-1h
refused CHG-AFTER CHG-AFTER-cert.pub 127.0.0.1 "Certificate invalid: expired"

issue CHG-PRINCIPAL 104 now-1m now+1h not-approved-account
refused CHG-PRINCIPAL CHG-PRINCIPAL-cert.pub 127.0.0.1 \
  "Certificate does not contain an authorized principal"

issue CHG-SOURCE 105 now-1m now+1h
refused CHG-SOURCE CHG-SOURCE-cert.pub 127.0.0.2 "not from a permitted source address (127.0.0.2)"

issue CHG-OTHERCA 106 now-1m now+1h "$USER_NAME" ca2
# sshd names the unknown CA by fingerprint in the same line as the key id.
refused CHG-OTHERCA CHG-OTHERCA-cert.pub 127.0.0.1 \
  "CA ED25519 $(ssh-keygen -l -f ca2.pub | awk '{print $2}')"

# Revocation: accepted first, then refused once the KRL lists it (sshd reads RevokedKeys at
# every authentication, so no restart), by serial and by key id.
issue CHG-REVSERIAL 107 now-1m now+1h
issue CHG-REVID 108 now-1m now+1h
accepted CHG-REVSERIAL CHG-REVSERIAL-cert.pub
accepted CHG-REVID CHG-REVID-cert.pub
"$CLEARBOX" maint revoke --ca ca.pub --serial 107 --key-id CHG-REVID -o revoked.krl.new 2>/dev/null
mv revoked.krl.new revoked.krl
set +e
q=$(ssh-keygen -Q -f revoked.krl CHG-REVSERIAL-cert.pub CHG-REVID-cert.pub CHG-INSIDE-cert.pub)
set -e
[[ $q == *"CHG-REVSERIAL-cert.pub (CHG-REVSERIAL): REVOKED"* &&
   $q == *"CHG-REVID-cert.pub (CHG-REVID): REVOKED"* &&
   $q == *"CHG-INSIDE-cert.pub (CHG-INSIDE): ok"* ]] || fail "ssh-keygen -Q: $q"
refused CHG-REVSERIAL CHG-REVSERIAL-cert.pub 127.0.0.1 "revoked by file $W/revoked.krl"
refused CHG-REVID CHG-REVID-cert.pub 127.0.0.1 "revoked by file $W/revoked.krl"
accepted CHG-INSIDE CHG-INSIDE-cert.pub

# No port forwarding: the certificate has no permit-port-forwarding extension.
login CHG-INSIDE-cert.pub 127.0.0.1 -o ExitOnForwardFailure=yes -R 0:127.0.0.1:9
[[ $RC != 0 && $OUT == *"forwarding failed"* ]] || fail "remote forwarding allowed (rc $RC): $OUT"
echo "ok: remote port forwarding refused"

# Bad input: one clear line, exit 2, no certificate written.
seq -f 'acct%g' 1 100000 > many-principals
set +e
err=$("$CLEARBOX" maint cert issue --ca ca --key eng.pub --key-id CHG-MANY --serial 200 \
  --principals-file many-principals --valid-after now --valid-before now+1h \
  --force-command rec --source-address 127.0.0.1 -o many-cert.pub 2>&1)
rc=$?
set -e
[[ $rc == 2 && $err == *"100000 principals; a certificate may name at most 256"* && ! -e many-cert.pub ]] ||
  fail "100,000 principals: rc $rc: $err"
echo "ok: 100,000 principals refused: $err"
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBroken engineer" > broken.pub
set +e
err=$("$CLEARBOX" maint cert issue --ca ca --key broken.pub --key-id CHG-BAD --serial 201 \
  --principal x --valid-after now --valid-before now+1h --force-command rec \
  --source-address 127.0.0.1 -o bad-cert.pub 2>&1)
rc=$?
set -e
[[ $rc == 2 && $err == *"broken.pub"* && ! -e bad-cert.pub ]] || fail "malformed key: rc $rc: $err"
echo "ok: malformed key refused: $err"
ssh-keygen -q -t ed25519 -N 'secret passphrase' -f encrypted-ca
set +e
err=$("$CLEARBOX" maint cert issue --ca encrypted-ca --key eng.pub --key-id CHG-ENC --serial 202 \
  --principal x --valid-after now --valid-before now+1h --force-command rec \
  --source-address 127.0.0.1 -o enc-cert.pub 2>&1)
rc=$?
set -e
[[ $rc == 2 && $err == *"encrypted"* ]] || fail "encrypted CA key: rc $rc: $err"
echo "ok: encrypted CA key refused: $err"

echo "PASS: maint certificates and KRLs against $(ssh -V 2>&1)"
