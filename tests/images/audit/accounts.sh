#!/usr/bin/env bash
# Accuracy image for the account checks (CB-ACCT): two root filesystems (the main one and a
# recovery one inside it, as a tar) with planted issues in busybox and shadow-utils formats,
# across hash schemes (DES, MD5, SHA-256, SHA-512, bcrypt, yescrypt), and decoys (a
# commented-out UID-0 line, a locked hash of a default password, nologin system accounts,
# nobody, a user account with a shell): any finding on them is a false positive.
#   accounts.sh OUTDIR   -> OUTDIR/rootfs, OUTDIR/expected.tsv (see tests/audit_accuracy_test.sh)
set -euo pipefail
OUT=$1
R=$OUT/rootfs
mkdir -p "$R/etc" "$R/recovery/etc"
hash() {  # crypt(3) through Python: $1 password, $2 setting
  python3 -W ignore -c 'import crypt, sys; h = crypt.crypt(sys.argv[1], sys.argv[2]); assert h and h[0] != "*", sys.argv[2]; print(h)' "$@"
}

# Main rootfs: shadow-utils style.
cat >"$R/etc/passwd" <<PW
root:x:0:0:root:/root:/bin/sh
# toor:x:0:0:commented out, not an account:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
backdoor:x:0:0:support:/root:/bin/sh
ftp:x:21:21:ftp:/srv/ftp:/bin/sh
guest:x:1001:100:guest:/home/guest:/bin/sh
admin:$(hash admin '$1$abcdefgh$'):1000:100:admin:/home/admin:/bin/sh
operator:x:1002:0:operator:/home/operator:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
locked:x:1003:100:locked, hash of a default password:/home/locked:/bin/sh
PW
cat >"$R/etc/shadow" <<SH
root:$(hash 'Zq7!long-and-unlisted' '$6$rootsaltrootsalt$'):19675:0:99999:7:::
daemon:*:19675:0:99999:7:::
backdoor:$(hash support '$5$supportsalt$'):19675:0:99999:7:::
ftp:!:19675:0:99999:7:::
guest::19675:0:99999:7:::
nobody:*:19675:0:99999:7:::
locked:!$(hash admin '$6$lockedsalt$'):19675:0:99999:7:::
SH
cat >"$R/etc/group" <<GR
root:x:0:root
wheel:x:0:
users:x:100:
GR

# Recovery rootfs: busybox style (name:hash: lines), DES and bcrypt and yescrypt hashes, a DES
# hash left in passwd (uClibc without shadow), an account with no shadow line.
cat >"$R/recovery/etc/passwd" <<PW
root:x:0:0:root:/root:/bin/ash
support:x:0:0:support:/root:/bin/ash
tech:x:1000:1000:tech:/home/tech:/bin/ash
svc:x:500:500:svc:/var/svc:/bin/ash
diag:$(hash 'Unlisted-Diag-42' 'cd'):1010:100:DES hash left in passwd:/home/diag:/bin/ash
monitor:x:1011:100:no shadow line:/home/monitor:/bin/ash
PW
cat >"$R/recovery/etc/shadow" <<SH
root:$(hash '1234' '$2b$05$abcdefghijklmnopqrstuu'):
support:$(hash 'vizxv' 'ab'):
tech:$(hash 'Unlisted-And-Long-9' '$y$j9T$k2XAnEHBqQ1Ct2aMXFKNa/'):
svc:
SH
tar -C "$R/recovery" -cf "$R/recovery.tar" etc
rm -rf "$R/recovery"

P=$'\t'
cat >"$OUT/expected.tsv" <<EX
planted${P}CB-ACCT-001${P}/etc/passwd${P}backdoor
planted${P}CB-ACCT-001${P}/etc/passwd${P}support
planted${P}CB-ACCT-002${P}/etc/group${P}wheel
planted${P}CB-ACCT-002${P}/etc/passwd${P}operator
planted${P}CB-ACCT-003${P}/etc/shadow${P}guest
planted${P}CB-ACCT-003${P}/etc/shadow${P}svc
planted${P}CB-ACCT-004${P}/etc/shadow${P}backdoor
planted${P}CB-ACCT-004${P}/etc/passwd${P}admin
planted${P}CB-ACCT-004${P}/etc/shadow${P}'root'
planted${P}CB-ACCT-004${P}/etc/shadow${P}'support'
planted${P}CB-ACCT-005${P}/etc/passwd${P}admin
planted${P}CB-ACCT-005${P}/etc/passwd${P}diag
planted${P}CB-ACCT-006${P}/etc/passwd${P}ftp
planted${P}CB-ACCT-006${P}/etc/passwd${P}svc
planted${P}CB-ACCT-007${P}/etc/passwd${P}operator
planted${P}CB-ACCT-007${P}/etc/passwd${P}monitor
observed${P}account${P}backdoor
observed${P}account${P}tech
EX
