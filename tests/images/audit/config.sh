#!/usr/bin/env bash
# Accuracy image for the weak-configuration checks (CB-CONF): old TLS versions in openssl,
# lighttpd, nginx and stunnel configs; SNMP write communities (net-snmp and UCI); MD5/DES
# hashing in login.defs, PAM and /etc/default/passwd; debug tools (programs and a busybox
# applet link); network daemons built without hardening (compiled here with gcc). Decoys:
# TLS 1.2-only configs, a commented-out SSLv3 line, a read-only community, a view-only
# com2sec, SHA-512 hashing, a doc file named after gdb, a hardened daemon, an unhardened
# program that no start place runs as a service.
#   config.sh OUTDIR   -> OUTDIR/rootfs, OUTDIR/expected.tsv
set -euo pipefail
OUT=$1
R=$OUT/rootfs
mkdir -p "$R"/etc/{ssl,lighttpd,nginx,stunnel,snmp,config,pam.d,default,init.d} "$R"/usr/{bin,sbin} \
  "$R"/bin "$R"/sbin "$R"/usr/share/doc/gdb "$R"/lib/systemd/system/multi-user.target.wants
command -v gcc >/dev/null || { echo "config.sh: gcc not found" >&2; exit 1; }

# TLS.
cat >"$R/etc/ssl/openssl.cnf" <<'EOF'
[system_default_sect]
MinProtocol = TLSv1
CipherString = DEFAULT
EOF
cat >"$R/etc/ssl/openssl-good.cnf" <<'EOF'
[system_default_sect]
MinProtocol = TLSv1.2
EOF
cat >"$R/etc/lighttpd/lighttpd.conf" <<'EOF'
server.port = 443
ssl.engine = "enable"
ssl.use-sslv3 = "enable"
ssl.openssl.ssl-conf-cmd = ("MinProtocol" => "TLSv1.2")
EOF
cat >"$R/etc/nginx/nginx.conf" <<'EOF'
server {
  listen 443 ssl;
  ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
}
EOF
cat >"$R/etc/nginx/good.conf" <<'EOF'
server {
  # ssl_protocols SSLv3 TLSv1;
  ssl_protocols TLSv1.2 TLSv1.3;
}
EOF
cat >"$R/etc/stunnel/stunnel.conf" <<'EOF'
[https]
accept = 443
connect = 80
sslVersion = SSLv3
EOF

# SNMP.
cat >"$R/etc/snmp/snmpd.conf" <<'EOF'
rocommunity public
rwcommunity private 10.0.0.0/8
# rwcommunity secret
com2sec rwsec default vendorwrite
com2sec rosec default readonly
group rwgroup v2c rwsec
group rogroup v2c rosec
view all included .1
access rwgroup "" any noauth exact all all none
access rogroup "" any noauth exact all none none
EOF
cat >"$R/etc/config/snmpd" <<'EOF'
config agent
	option agentaddress 'UDP:161'

config com2sec 'private'
	option secname 'rw'
	option source 'default'
	option community 'private'

config com2sec 'public'
	option secname 'ro'
	option source 'default'
	option community 'public'

config group 'private_v2c'
	option group 'private'
	option version 'v2c'
	option secname 'rw'

config group 'public_v2c'
	option group 'public'
	option version 'v2c'
	option secname 'ro'

config access 'private_access'
	option group 'private'
	option context 'none'
	option version 'any'
	option level 'noauth'
	option read 'all'
	option write 'all'

config access 'public_access'
	option group 'public'
	option read 'all'
	option write 'none'
EOF

# Password hashing.
cat >"$R/etc/login.defs" <<'EOF'
# ENCRYPT_METHOD SHA512
ENCRYPT_METHOD MD5
EOF
cat >"$R/etc/pam.d/common-password" <<'EOF'
password	[success=1 default=ignore]	pam_unix.so obscure md5
password	requisite			pam_deny.so
EOF
cat >"$R/etc/pam.d/passwd-good" <<'EOF'
password	required	pam_unix.so obscure sha512
EOF
cat >"$R/etc/default/passwd" <<'EOF'
CRYPT=des
EOF

# Debug tools and daemons: small programs built with and without hardening.
cat >"$OUT/prog.c" <<'EOF'
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) { char b[64]; strcpy(b, argc > 1 ? argv[1] : "x"); puts(b); return 0; }
EOF
weak() { gcc -O0 -fno-stack-protector -no-pie -fno-pie -z execstack -Wl,-z,norelro -o "$1" "$OUT/prog.c"; }
strong() { gcc -O2 -fstack-protector-strong -fPIE -pie -Wl,-z,relro,-z,now -o "$1" "$OUT/prog.c"; }
weak "$R/usr/bin/strace"
weak "$R/usr/sbin/tcpdump"
weak "$R/bin/busybox"
ln -s busybox "$R/bin/devmem"
ln -s /bin/busybox "$R/sbin/memtool"
weak "$R/usr/sbin/uhttpd"
weak "$R/usr/sbin/snmpd"
strong "$R/usr/sbin/lighttpd"
weak "$R/usr/bin/vendor-tool"
echo "GDB manual" >"$R/usr/share/doc/gdb/README"

cat >"$R/etc/inittab" <<'EOF'
::sysinit:/etc/init.d/rcS
EOF
cat >"$R/etc/init.d/rcS" <<'EOF'
#!/bin/sh
/usr/sbin/uhttpd -f -p 0.0.0.0:80 &
/usr/sbin/lighttpd -f /etc/lighttpd/lighttpd.conf
/usr/bin/vendor-tool --init
EOF
chmod 755 "$R/etc/init.d/rcS"
cat >"$R/lib/systemd/system/snmpd.service" <<'EOF'
[Service]
ExecStart=/usr/sbin/snmpd -f -c /etc/snmp/snmpd.conf
[Install]
WantedBy=multi-user.target
EOF

P=$'\t'
cat >"$OUT/expected.tsv" <<EX
planted${P}CB-CONF-001${P}/etc/ssl/openssl.cnf${P}TLSv1
planted${P}CB-CONF-001${P}/etc/lighttpd/lighttpd.conf${P}SSLv3
planted${P}CB-CONF-001${P}/etc/nginx/nginx.conf${P}TLSv1
planted${P}CB-CONF-001${P}/etc/stunnel/stunnel.conf${P}SSLv3
planted${P}CB-CONF-002${P}/etc/snmp/snmpd.conf${P}'private'
planted${P}CB-CONF-002${P}/etc/snmp/snmpd.conf${P}'vendorwrite'
planted${P}CB-CONF-002${P}/etc/config/snmpd${P}'private'
planted${P}CB-CONF-003${P}/etc/login.defs${P}MD5
planted${P}CB-CONF-003${P}/etc/pam.d/common-password${P}md5
planted${P}CB-CONF-003${P}/etc/default/passwd${P}des
planted${P}CB-CONF-004${P}/usr/bin/strace
planted${P}CB-CONF-004${P}/usr/sbin/tcpdump
planted${P}CB-CONF-004${P}/bin/devmem${P}busybox
planted${P}CB-CONF-004${P}/sbin/memtool${P}busybox
planted${P}CB-CONF-005${P}/usr/sbin/uhttpd${P}PIE
planted${P}CB-CONF-005${P}/usr/sbin/snmpd${P}canary
decoy${P}/etc/ssl/openssl-good.cnf
decoy${P}/etc/nginx/good.conf
decoy${P}/etc/pam.d/passwd-good
decoy${P}/usr/share/doc/gdb/README
decoy${P}/usr/sbin/lighttpd
decoy${P}/usr/bin/vendor-tool
EX
