#!/usr/bin/env bash
# Accuracy image for the pledge's checks (CB-PLEDGE): a rootfs (and a recovery rootfs inside
# it, as a tar) whose login accounts are judged against OUTDIR/pledge.json (`--pledge`, in
# OUTDIR/args). Planted: accounts the pledge does not declare (shadow-utils and busybox
# formats), and declared accounts that break it (another uid, a password where the pledge
# declares none, an empty password). Decoys, any finding on them a false positive: declared
# accounts as declared (root in both rootfs, operator), a declared key-only account that is
# locked, locked system accounts, a commented-out account line.
# Services (busybox rcS and init.d): planted an undeclared telnetd and a netcat shell, a
# declared dropbear started on a second, undeclared port and with blank passwords; decoys: the declared dropbear as
# declared, a commented-out telnetd, a telnetd in a documentation script nothing starts.
# Keys: planted an undeclared private key; decoy a private key the pledge declares (still
# CB-KEY-001: a shipped private key is a finding whatever the pledge says). Endpoints: planted
# a cron job calling an undeclared host; decoy the declared update server.
#   pledge.sh OUTDIR   -> OUTDIR/rootfs, OUTDIR/pledge.json, OUTDIR/args, OUTDIR/expected.tsv
set -euo pipefail
OUT=$1
R=$OUT/rootfs
mkdir -p "$R/etc/init.d" "$R/recovery/etc" "$R/usr/sbin" "$R/usr/share/doc/telnet"
hash() {  # crypt(3) through Python: $1 password, $2 setting
  python3 -W ignore -c 'import crypt, sys; h = crypt.crypt(sys.argv[1], sys.argv[2]); assert h and h[0] != "*", sys.argv[2]; print(h)' "$@"
}
strong() { hash "$1-Zq7!not-on-any-list" "$2"; }

# Main rootfs, shadow-utils style.
cat >"$R/etc/passwd" <<PW
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
# hidden:x:1009:100:commented out, not an account:/home/hidden:/bin/sh
admin:x:1010:100:admin:/home/admin:/bin/sh
operator:x:1002:100:operator:/home/operator:/bin/sh
maint:x:1001:100:vendor maintenance:/home/maint:/bin/sh
keyonly:x:1003:100:declared, logs in with keys only:/home/keyonly:/bin/sh
support:x:1005:100:vendor support:/home/support:/bin/sh
guest:x:1006:100:guest:/home/guest:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PW
cat >"$R/etc/shadow" <<SH
root:$(strong root '$6$rootsaltrootsalt$'):19675:0:99999:7:::
daemon:*:19675:0:99999:7:::
admin:$(strong admin '$5$adminsalt$'):19675:0:99999:7:::
operator:$(strong operator '$6$opsaltopsalt$'):19675:0:99999:7:::
maint:$(strong maint '$6$maintsaltmaint$'):19675:0:99999:7:::
keyonly:!:19675:0:99999:7:::
support:$(strong support '$6$supportsalt$'):19675:0:99999:7:::
guest::19675:0:99999:7:::
nobody:*:19675:0:99999:7:::
SH
cat >"$R/etc/group" <<GR
root:x:0:root
users:x:100:
GR

# Recovery rootfs: busybox style (name:hash: lines).
cat >"$R/recovery/etc/passwd" <<PW
root:x:0:0:root:/root:/bin/ash
tech:x:1000:1000:tech:/home/tech:/bin/ash
PW
cat >"$R/recovery/etc/shadow" <<SH
root:$(strong recovery-root '$2b$05$abcdefghijklmnopqrstuu'):
tech:$(strong tech '$y$j9T$k2XAnEHBqQ1Ct2aMXFKNa/'):
SH
tar -C "$R/recovery" -cf "$R/recovery.tar" etc
rm -rf "$R/recovery"

# Services, started by busybox rcS from /etc/init.d/S??*.
for p in telnetd dropbear nc; do
  printf '#!/bin/sh\n# stand-in for %s\n' "$p" >"$R/usr/sbin/$p"
done
cat >"$R/etc/inittab" <<'EOF'
::sysinit:/etc/init.d/rcS
tty1::respawn:/sbin/getty 38400 tty1
EOF
cat >"$R/etc/init.d/rcS" <<'EOF'
#!/bin/sh
for i in /etc/init.d/S??* ; do
  [ -x "$i" ] || continue
  $i start
done
EOF
cat >"$R/etc/init.d/S40dropbear" <<'EOF'
#!/bin/sh
/usr/sbin/dropbear -s -g -p 22
EOF
cat >"$R/etc/init.d/S41dropbear-alt" <<'EOF'
#!/bin/sh
# a second instance the pledge does not mention
/usr/sbin/dropbear -s -g -p 2222
EOF
cat >"$R/etc/init.d/S42dropbear-debug" <<'EOF'
#!/bin/sh
# blank passwords allowed: insecure, whatever the pledge says
/usr/sbin/dropbear -B -p 22
EOF
cat >"$R/etc/init.d/S50telnet" <<'EOF'
#!/bin/sh
#telnetd -l /bin/sh
/usr/sbin/telnetd -p 23
EOF
cat >"$R/etc/init.d/S60shell" <<'EOF'
#!/bin/sh
nc -l -p 4444 -e /bin/sh &
EOF
cat >"$R/usr/share/doc/telnet/example.sh" <<'EOF'
#!/bin/sh
/usr/sbin/telnetd -p 23
EOF
cat >"$R/etc/init.d/S70update" <<'UPD'
#!/bin/sh
# the declared update server: not a finding
wget -q -O /tmp/fw.bin https://update.example-networks.com/ex200/latest.bin
UPD
chmod 755 "$R"/etc/init.d/* "$R"/usr/sbin/* "$R/usr/share/doc/telnet/example.sh"

# Endpoints: a cron job calling a host the pledge's MUD profile does not list.
mkdir -p "$R/etc/crontabs"
cat >"$R/etc/crontabs/root" <<'CRON'
*/30 * * * * wget -q -O /dev/null "http://stats.vendor-cloud.com/ping?id=ex200"
CRON

# Keys: one private key the pledge declares (by fingerprint), one it does not.
mkdir -p "$R/etc/ssl/private"
openssl genpkey -algorithm ed25519 -out "$R/etc/ssl/private/web.key" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$R/etc/ssl/private/telemetry.key" 2>/dev/null
mkdir -p "$R/etc/vendor"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -outform DER \
  -out "$R/etc/vendor/support.der" 2>/dev/null
cat >"$R/etc/vendor/cloud.conf" <<'CONF'
# vendor cloud agent
broker=mqtts://iot.vendor-cloud.net:8883
CONF
# The fingerprint as `ssh-keygen -l` prints it: SHA-256 of the SSH wire form of the public key.
web_fp=$(openssl pkey -in "$R/etc/ssl/private/web.key" -pubout -outform DER | tail -c 32 |
  python3 -c 'import base64, hashlib, struct, sys
s = lambda b: struct.pack(">I", len(b)) + b
blob = s(b"ssh-ed25519") + s(sys.stdin.buffer.read())
print("SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("="))')

cat >"$OUT/pledge.json" <<'JS'
{
  "pledge_version": 1,
  "product": {"vendor": "Example Networks", "name": "EX-200 accuracy image", "versions": ["1.0"]},
  "services": [
    {"name": "dropbear", "start": "/usr/sbin/dropbear -s -p 22", "protocols": ["tcp"],
     "ports": [22], "logins": ["admin", "operator", "keyonly"]},
    {"name": "getty", "start": "/sbin/getty 38400 tty1", "logins": ["root"]}
  ],
  "accounts": [
    {"name": "root", "uid": 0, "password_set": true, "provisioning": "random per device"},
    {"name": "admin", "uid": 1000, "password_set": true, "provisioning": "set at first boot"},
    {"name": "operator", "uid": 1002, "password_set": true, "provisioning": "set at first boot"},
    {"name": "maint", "uid": 1001, "password_set": false,
     "provisioning": "no password: short-lived OpenSSH certificates after operator approval"},
    {"name": "keyonly", "uid": 1003, "password_set": false, "provisioning": "operator's SSH key"},
    {"name": "guest", "uid": 1006, "password_set": true, "provisioning": "set by the operator"}
  ],
  "keys": [{"fingerprint": "WEB_FP", "purpose": "factory TLS key of the web interface"}],
  "outbound": {"mud": {
    "ietf-mud:mud": {"mud-version": 1, "mud-url": "https://mud.example-networks.com/ex200.json",
      "last-update": "2026-12-01T00:00:00+00:00", "is-supported": true,
      "from-device-policy": {"access-lists": {"access-list": [{"name": "out"}]}}},
    "ietf-access-control-list:acls": {"acl": [{"name": "out", "aces": {"ace": [
      {"name": "updates", "matches": {"ipv4": {"ietf-acldns:dst-dnsname": "update.example-networks.com"},
       "tcp": {"destination-port": {"operator": "eq", "port": 443}}}, "actions": {"forwarding": "accept"}}]}}]}}},
  "maintenance": {"procedure": "operator-approved", "approvals": {"required": 2, "of": 3}},
  "no_other_ways_in": true
}
JS
sed -i "s|WEB_FP|$web_fp|" "$OUT/pledge.json"
printf '%s\n' --pledge "$OUT/pledge.json" >"$OUT/args"

P=$'\t'
cat >"$OUT/expected.tsv" <<EX
planted${P}CB-PLEDGE-002${P}/etc/shadow${P}'support'
planted${P}CB-PLEDGE-002${P}/etc/shadow${P}'tech'
planted${P}CB-PLEDGE-006${P}/etc/shadow${P}account 'admin' has uid 1010
planted${P}CB-PLEDGE-006${P}/etc/shadow${P}account 'maint' logs in with a password
planted${P}CB-PLEDGE-006${P}/etc/passwd${P}account 'guest' logs in with no password
planted${P}CB-ACCT-003${P}/etc/shadow${P}guest
planted${P}CB-PLEDGE-001${P}/etc/init.d/S50telnet${P}undeclared telnetd on port 23 started by /etc/init.d/S50telnet
planted${P}CB-PLEDGE-001${P}/etc/init.d/S60shell${P}undeclared nc on port 4444
planted${P}CB-PLEDGE-005${P}/etc/init.d/S41dropbear-alt${P}dropbear listens on port 2222
planted${P}CB-PLEDGE-005${P}/etc/init.d/S42dropbear-debug${P}declared dropbear is insecure as started
planted${P}CB-SVC-005${P}/etc/init.d/S42dropbear-debug
planted${P}CB-SVC-001${P}/etc/init.d/S50telnet
planted${P}CB-SVC-002${P}/etc/init.d/S60shell
planted${P}CB-PLEDGE-004${P}/etc/crontabs/root${P}stats.vendor-cloud.com
note${P}CB-NET-001${P}/etc/crontabs/root${P}stats.vendor-cloud.com
note${P}CB-NET-001${P}/etc/init.d/S70update${P}update.example-networks.com
planted${P}CB-PLEDGE-003${P}/etc/ssl/private/telemetry.key
planted${P}CB-PLEDGE-003${P}/etc/vendor/support.der
planted${P}CB-KEY-001${P}/etc/vendor/support.der
planted${P}CB-PLEDGE-004${P}/etc/vendor/cloud.conf${P}iot.vendor-cloud.net
note${P}CB-NET-001${P}/etc/vendor/cloud.conf${P}iot.vendor-cloud.net
planted${P}CB-KEY-001${P}/etc/ssl/private/telemetry.key
planted${P}CB-KEY-001${P}/etc/ssl/private/web.key
decoy${P}/etc/ssl/private/web.key${P}CB-PLEDGE-003
decoy${P}/etc/init.d/S70update
decoy${P}/etc/init.d/S40dropbear
decoy${P}/etc/inittab
decoy${P}/usr/share/doc/telnet/example.sh
observed${P}service${P}dropbear
observed${P}service${P}getty
observed${P}account${P}root
observed${P}account${P}operator
EX
