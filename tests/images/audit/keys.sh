#!/usr/bin/env bash
# Accuracy image for the key and credential checks (CB-KEY): private keys in PEM PKCS#1 and
# PKCS#8, OpenSSH, DER, a dropbear host key and one compiled into a program, authorized_keys
# of root and of a service account, .rhosts and hosts.equiv, passwords set by scripts, an
# expired certificate; decoys: a public key named key.pem, a valid certificate, a private
# key in a path the user allowed, a user's authorized_keys, a commented chpasswd line, a
# placeholder password in a doc sample.
#   keys.sh OUTDIR   -> OUTDIR/rootfs, OUTDIR/expected.tsv, OUTDIR/args, OUTDIR/allow.txt
set -euo pipefail
OUT=$1
R=$OUT/rootfs
mkdir -p "$R"/etc/ssh "$R"/etc/lighttpd "$R"/etc/ssl/private "$R"/etc/dropbear "$R"/root/.ssh "$R"/var/ftp/.ssh \
  "$R"/home/alice/.ssh "$R"/usr/sbin "$R"/usr/share/doc/setup "$R"/etc/init.d "$R"/opt/test
T=$OUT/tmp; mkdir -p "$T"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa8.pem" 2>/dev/null
cp "$T/rsa8.pem" "$R/etc/ssl/private/server.key"                         # PKCS#8
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$T/rsa1.pem" 2>/dev/null
openssl pkey -in "$T/rsa1.pem" -traditional -out "$R/etc/ssl/private/legacy.pem" 2>/dev/null   # PKCS#1
cp "$R/etc/ssl/private/legacy.pem" "$R/opt/test/copy.pem"              # same key, 2nd place
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -outform DER -out "$R/etc/ssl/private/device.der" 2>/dev/null
ssh-keygen -q -t ed25519 -N '' -C root@build -f "$R/etc/ssh/ssh_host_ed25519_key"
ssh-keygen -q -t ecdsa -N '' -f "$T/allowed"; cp "$T/allowed" "$R/opt/test/allowed_key"   # allowed
# dropbear RSA host key: string type, mpint e, n, d, p, q.
python3 - "$T/rsa8.pem" "$R/etc/dropbear/dropbear_rsa_host_key" <<'PY'
import sys, struct
from cryptography.hazmat.primitives.asymmetric import rsa
k = rsa.generate_private_key(65537, 1024).private_numbers()
def s(b): return struct.pack(">I", len(b)) + b
def mp(n):
    b = n.to_bytes((n.bit_length() + 8) // 8, "big") if n else b""
    return s(b)
open(sys.argv[2], "wb").write(s(b"ssh-rsa") + mp(k.public_numbers.e) + mp(k.public_numbers.n) + mp(k.d) + mp(k.p) + mp(k.q))
PY
# A key compiled into a program (PEM string) and one as DER bytes in a data blob.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/emb.pem" 2>/dev/null
python3 - "$T/emb.pem" "$T/prog.c" <<'PY'
import sys
pem = open(sys.argv[1]).read()
c = 'static const char key[] = ' + ''.join('"%s\\n"\n' % l for l in pem.splitlines()) + ';\n'
c += '#include <stdio.h>\nint main(void){puts(key);return 0;}\n'
open(sys.argv[2], "w").write(c)
PY
gcc -O0 -o "$R/usr/sbin/vendord" "$T/prog.c"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -outform DER -out "$T/emb.der" 2>/dev/null
{ head -c 3000 /dev/urandom; cat "$T/emb.der"; head -c 1000 /dev/urandom; } >"$R/usr/sbin/fw_blob.bin"

# Decoys: a public key named key.pem, a valid certificate.
openssl pkey -in "$T/rsa8.pem" -pubout -out "$R/etc/ssl/key.pem" 2>/dev/null
openssl req -x509 -new -key "$T/emb.pem" -subj /CN=device -days 3650 -out "$R/etc/ssl/cert.pem" 2>/dev/null
# An expired certificate (at the image's date, 2023-11-14): issued 2019, expired 2020.
mkdir -p "$T/ca/newcerts"; : >"$T/ca/index.txt"; echo 01 >"$T/ca/serial"
cat >"$T/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
dir = $T/ca
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
default_md = sha256
policy = p
[p]
commonName = supplied
CNF
openssl req -new -key "$T/emb.pem" -subj /CN=old -out "$T/old.csr" 2>/dev/null
openssl ca -batch -config "$T/ca.cnf" -selfsign -keyfile "$T/emb.pem" -in "$T/old.csr" \
  -startdate 20190101000000Z -enddate 20200101000000Z -out "$T/old.crt" 2>/dev/null
openssl x509 -in "$T/old.crt" -out "$R/etc/ssl/old.crt"
# A weak certificate (RSA 1024, SHA-1), valid until 2045, DER, that lighttpd serves.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$T/weak.pem" 2>/dev/null
openssl req -x509 -new -sha1 -key "$T/weak.pem" -subj /CN=router.local -days 8000 \
  -outform DER -out "$R/etc/lighttpd/server.der" 2>/dev/null

# authorized_keys: root, a service account (ftp, UID 21), a user (decoy).
ssh-keygen -q -t ed25519 -N '' -C vendor@support -f "$T/vendor"
cat >"$R/etc/passwd" <<PW
root:x:0:0:root:/root:/bin/sh
ftp:x:21:21:ftp:/var/ftp:/bin/false
alice:x:1000:1000:alice:/home/alice:/bin/sh
PW
{ echo "# vendor support"; cat "$T/vendor.pub"; } >"$R/root/.ssh/authorized_keys"
cat "$T/vendor.pub" >"$R/etc/dropbear/authorized_keys"
cat "$T/allowed.pub" >"$R/var/ftp/.ssh/authorized_keys"
cat "$T/allowed.pub" >"$R/home/alice/.ssh/authorized_keys"
echo "+ +" >"$R/etc/hosts.equiv"
echo "trusted.example.com root" >"$R/root/.rhosts"

# Passwords set by scripts, and decoys.
cat >"$R/etc/init.d/S99setup" <<'S'
#!/bin/sh
echo "root:Vendor2023!" | chpasswd
# echo "root:commented" | chpasswd
echo -e "support99\nsupport99" | passwd admin
echo "root:$ROOTPW" | chpasswd
S
chmod 755 "$R/etc/init.d/S99setup"
cat >"$R/usr/share/doc/setup/example.sh" <<'S'
#!/bin/sh
echo "root:changeme-please" | chpasswd
S

# Wi-Fi keys: wpa_supplicant, OpenWrt UCI; decoys: an empty psk, a variable, a WEP key index.
mkdir -p "$R/etc/config" "$R/etc/wpa"
cat >"$R/etc/wpa/wpa_supplicant.conf" <<'W'
network={
    ssid="factory"
    psk="Factory-WiFi-2023"
    # psk="old-commented-out"
}
network={
    ssid="other"
    psk=""
}
W
cat >"$R/etc/config/wireless" <<'W'
config wifi-iface 'default_radio0'
	option ssid 'Vendor-AP'
	option encryption 'psk2'
	option key 'vendor-shared-key'
config wifi-iface 'wep'
	option key '1'
W
cat >"$R/etc/hostapd.conf" <<'W'
wpa_passphrase=$WIFI_PASS
W
printf 'path /opt/test/allowed_key\n' >"$OUT/allow.txt"
printf -- '--allow\n%s\n' "$OUT/allow.txt" >"$OUT/args"

# A real decoy: GnuTLS carries private keys for its self-tests (an info finding, not high).
gnutls=$(ls /usr/lib/*-linux-gnu/libgnutls.so.30.* 2>/dev/null | head -n 1 || true)
if [[ -n $gnutls ]]; then
  mkdir -p "$R/usr/lib"
  cp "$gnutls" "$R/usr/lib/libgnutls.so.30"
fi

P=$'\t'
if [[ -n $gnutls ]]; then printf 'decoy\t/usr/lib/libgnutls.so.30\n'; fi >"$OUT/expected.tsv"
cat >>"$OUT/expected.tsv" <<EX
planted${P}CB-KEY-001${P}/etc/ssl/private/server.key${P}RSA 2048
planted${P}CB-KEY-001${P}/etc/ssl/private/legacy.pem${P}2 places
planted${P}CB-KEY-001${P}/etc/ssl/private/device.der${P}EC P-256
planted${P}CB-KEY-001${P}/etc/ssh/ssh_host_ed25519_key${P}SSH host key
planted${P}CB-KEY-001${P}/etc/dropbear/dropbear_rsa_host_key${P}RSA 1024
planted${P}CB-KEY-002${P}/usr/sbin/vendord${P}RSA 2048
planted${P}CB-KEY-002${P}/usr/sbin/fw_blob.bin${P}RSA 2048
planted${P}CB-KEY-003${P}/root/.ssh/authorized_keys${P}root
planted${P}CB-KEY-003${P}/etc/dropbear/authorized_keys${P}root
planted${P}CB-KEY-003${P}/var/ftp/.ssh/authorized_keys${P}ftp
planted${P}CB-KEY-004${P}/etc/hosts.equiv${P}'+'
planted${P}CB-KEY-004${P}/root/.rhosts
planted${P}CB-KEY-005${P}/etc/ssl/old.crt${P}expired
planted${P}CB-KEY-005${P}/etc/lighttpd/server.der
planted${P}CB-KEY-006${P}/etc/init.d/S99setup${P}'root'
planted${P}CB-KEY-006${P}/etc/init.d/S99setup${P}'admin'
planted${P}CB-KEY-007${P}/etc/wpa/wpa_supplicant.conf${P}17 characters
planted${P}CB-KEY-007${P}/etc/config/wireless
decoy${P}/etc/hostapd.conf
decoy${P}/etc/ssl/key.pem
decoy${P}/etc/ssl/cert.pem
decoy${P}/opt/test/allowed_key
decoy${P}/home/alice/.ssh/authorized_keys
decoy${P}/usr/share/doc/setup/example.sh
observed${P}key${P}$(ssh-keygen -lf "$R/etc/ssh/ssh_host_ed25519_key" | cut -d' ' -f2)
observed${P}key${P}$(ssh-keygen -lf "$T/vendor.pub" | cut -d' ' -f2)
EX
rm -rf "$T"
