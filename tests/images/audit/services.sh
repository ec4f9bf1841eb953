#!/usr/bin/env bash
# Accuracy image for the remote-access checks (CB-SVC): a busybox/OpenWrt-style rootfs whose
# services are started from every start place (inittab, rcS and init.d, rc.d links, procd and
# UCI, systemd units and sockets, inetd, xinetd, cron, hotplug), with planted issues (two or
# more per check, in different places and forms) and decoys that must not be flagged: a
# commented-out telnetd, a telnetd in a script nothing starts, an `if false` branch, code after
# `exit 0`, a function never called, a variable never set, a secure sshd_config, /bin/sh in an
# ordinary script, a disabled xinetd service, a disabled UCI dropbear instance.
#   services.sh OUTDIR   -> OUTDIR/rootfs, OUTDIR/expected.tsv
set -euo pipefail
OUT=$1
R=$OUT/rootfs
command -v gcc >/dev/null || { echo "services.sh: gcc not found" >&2; exit 1; }
mkdir -p "$R"/etc/{init.d,rc.d,default,config,ssh,xinetd.d,cron.d,crontabs,hotplug.d/net} \
  "$R"/lib/systemd/system/{multi-user.target.wants,sockets.target.wants} \
  "$R"/etc/systemd/system/serial-getty@ttyS1.service.d "$R"/usr/sbin "$R"/usr/bin "$R"/bin \
  "$R"/usr/share/doc/telnet "$R"/etc/dropbear2
for p in telnetd utelnetd dropbear sshd nc socat gdbserver vsftpd tftpd in.rlogind in.rshd uhttpd; do
  printf '#!/bin/sh\n# stand-in for %s\n' "$p" >"$R/usr/sbin/$p"
  chmod 755 "$R/usr/sbin/$p"
done
cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/ash
EOF
cat >"$R/etc/shadow" <<'EOF'
root:$6$abcdefgh$Qm1pZ8eJ1bkt2pIYbYQ0kZ6yTz2h0lK5v1n8cLrJ3v5FqHk0pP9e3m1h7pYc2yHkVq1aYx9H8q8w1lP3E7pS/:19675:0:99999:7:::
EOF

# inittab (busybox): a UART shell, an askfirst shell, a getty with a login (not a finding).
cat >"$R/etc/inittab" <<'EOF'
::sysinit:/etc/init.d/rcS
ttyS0::respawn:/bin/sh
::askfirst:-/bin/sh
tty2::respawn:/sbin/getty 38400 tty2
# ttyS1::respawn:/bin/sh
::shutdown:/bin/umount -a -r
EOF

# rcS runs /etc/init.d/S??* (busybox style).
cat >"$R/etc/init.d/rcS" <<'EOF'
#!/bin/sh
for i in /etc/init.d/S??* ; do
  [ -x "$i" ] || continue
  $i start
done
/bin/sh /etc/init.d/helper.sh
EOF
cat >"$R/etc/init.d/S50telnet" <<'EOF'
#!/bin/sh
# telnet for the field engineers
#telnetd -l /bin/sh
TELNETD=/usr/sbin/telnetd
$TELNETD -p 2323
EOF
cat >"$R/etc/default/debugsh" <<'EOF'
SHELL_PORT=4444
NC=/usr/sbin/nc
EOF
# A securely started SSH server (public keys only, no root password login): inventory.
cat >"$R/etc/init.d/S45sshd" <<'EOF'
#!/bin/sh
/usr/sbin/dropbear -s -g -p 2200
EOF
cat >"$R/etc/init.d/S60debug" <<'EOF'
#!/bin/sh
[ -r /etc/default/debugsh ] && . /etc/default/debugsh
case "$1" in
  start)
    $NC -ll -p $SHELL_PORT -e /bin/sh &
    busybox telnetd -l /bin/ash -p 9999
    ;;
  stop)
    killall telnetd
    ;;
esac
if false; then
  telnetd -l /bin/sh -p 1
fi
if [ 1 = 0 ]; then
  /usr/sbin/in.rlogind
fi
unused() {
  /usr/sbin/tftpd -l
}
$UNSET_TELNETD -l /bin/sh
exit 0
telnetd -l /bin/sh -p 2
EOF
cat >"$R/etc/init.d/helper.sh" <<'EOF'
#!/bin/sh
# An ordinary script that runs /bin/sh (not a finding).
/bin/sh -c 'echo ready > /tmp/ready'
mkfifo /tmp/f; cat /tmp/f | /bin/sh -i 2>&1 | nc -l -p 31337 > /tmp/f
socat TCP-LISTEN:5555,reuseaddr,fork EXEC:/bin/sh,pty,stderr
start-stop-daemon -S -q -x /usr/sbin/gdbserver -- :2345 /usr/bin/app
/usr/sbin/vsftpd /etc/vsftpd.conf &
EOF
# A telnetd in a script nothing starts (not linked, not named S??*).
cat >"$R/etc/init.d/telnet-disabled" <<'EOF'
#!/bin/sh
telnetd -l /bin/sh
EOF
cat >"$R/usr/share/doc/telnet/example.sh" <<'EOF'
#!/bin/sh
/usr/sbin/telnetd -l /bin/sh -p 23
EOF
chmod 755 "$R"/etc/init.d/* "$R/usr/share/doc/telnet/example.sh"

# OpenWrt procd + UCI dropbear, enabled through /etc/rc.d.
cat >"$R/etc/init.d/dropbear" <<'EOF'
#!/bin/sh /etc/rc.common
START=19
USE_PROCD=1
PROG=/usr/sbin/dropbear
dropbear_instance() {
  procd_open_instance
  procd_set_param command "$PROG" -F -P /var/run/dropbear.pid
  [ "$PasswordAuth" = 0 ] && procd_append_param command -s
  procd_append_param command -p 22
  procd_close_instance
}
start_service() {
  dropbear_instance
}
EOF
ln -s ../init.d/dropbear "$R/etc/rc.d/S19dropbear"
cat >"$R/etc/config/dropbear" <<'EOF'
config dropbear
	option PasswordAuth 'on'
	option RootPasswordAuth 'on'
	option Port '22'

config dropbear 'disabled_one'
	option enable '0'
	option RootPasswordAuth 'on'
	option Port '2222'
EOF
cat >"$R/etc/init.d/tftp" <<'EOF'
#!/bin/sh /etc/rc.common
START=60
USE_PROCD=1
start_service() {
  procd_open_instance
  procd_set_param command /usr/sbin/dropbear -F -B -p 2022
  procd_close_instance
  procd_open_instance
  procd_set_param command udpsvd -vE 0 69 tftpd -c /srv/tftp
  procd_close_instance
}
EOF
ln -s ../init.d/tftp "$R/etc/rc.d/S60tftp"
chmod 755 "$R/etc/init.d/dropbear" "$R/etc/init.d/tftp"

# systemd: sshd with a secure config (a note), a telnet socket with Accept=yes, a shell socket,
# a gdbserver unit, a serial getty with autologin root.
cat >"$R/lib/systemd/system/ssh.service" <<'EOF'
[Service]
EnvironmentFile=-/etc/default/ssh
ExecStart=/usr/sbin/sshd -D $SSHD_OPTS
[Install]
WantedBy=multi-user.target
EOF
cat >"$R/etc/ssh/sshd_config" <<'EOF'
# PermitRootLogin yes
PermitRootLogin prohibit-password
PermitEmptyPasswords no
PasswordAuthentication yes
EOF
cat >"$R/lib/systemd/system/sshd-debug.service" <<'EOF'
[Service]
ExecStart=/usr/sbin/sshd -D -f /etc/ssh/sshd_debug_config
[Install]
WantedBy=multi-user.target
EOF
cat >"$R/etc/ssh/sshd_debug_config" <<'EOF'
Port 2200
PermitRootLogin yes
PermitEmptyPasswords yes
EOF
cat >"$R/etc/ssh/sshd_root_config" <<'EOF'
Port 2201
PermitRootLogin yes
EOF
cat >"$R/lib/systemd/system/sshd-root.service" <<'EOF'
[Service]
ExecStart=/usr/sbin/sshd -D -f /etc/ssh/sshd_root_config
[Install]
WantedBy=multi-user.target
EOF
cat >"$R/lib/systemd/system/telnet.socket" <<'EOF'
[Socket]
ListenStream=23
Accept=yes
[Install]
WantedBy=sockets.target
EOF
cat >"$R/lib/systemd/system/telnet@.service" <<'EOF'
[Service]
ExecStart=-/usr/sbin/in.telnetd
StandardInput=socket
EOF
cat >"$R/lib/systemd/system/backdoor.socket" <<'EOF'
[Socket]
ListenStream=0.0.0.0:6666
Accept=yes
[Install]
WantedBy=sockets.target
EOF
cat >"$R/lib/systemd/system/backdoor@.service" <<'EOF'
[Service]
ExecStart=/bin/sh -i
StandardInput=socket
EOF
cat >"$R/lib/systemd/system/debugger.service" <<'EOF'
[Service]
Environment=GDB_PORT=1234
ExecStart=/usr/sbin/gdbserver --multi 0.0.0.0:${GDB_PORT}
EOF
ln -s ../debugger.service "$R/lib/systemd/system/multi-user.target.wants/debugger.service"
cat >"$R/lib/systemd/system/serial-getty@.service" <<'EOF'
[Service]
ExecStart=-/sbin/agetty -o '-p -- \\u' --keep-baud 115200 %I $TERM
EOF
cat >"$R/etc/systemd/system/serial-getty@ttyS1.service.d/autologin.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200 ttyS1 $TERM
EOF
# A unit nothing enables (no [Install], no link): not started.
cat >"$R/lib/systemd/system/telnet-unused.service" <<'EOF'
[Service]
ExecStart=/usr/sbin/telnetd -F -l /bin/sh
EOF

# inetd and xinetd.
cat >"$R/etc/inetd.conf" <<'EOF'
# telnet stream tcp nowait root /usr/sbin/telnetd telnetd
ftp	stream	tcp	nowait	root	/usr/sbin/vsftpd	vsftpd
login	stream	tcp	nowait	root	/usr/sbin/in.rlogind	in.rlogind
4445	stream	tcp	nowait	root	/bin/sh	sh -i
EOF
cat >"$R/etc/xinetd.d/rsh" <<'EOF'
service shell
{
	socket_type = stream
	wait = no
	user = root
	server = /usr/sbin/in.rshd
	disable = no
}
EOF
cat >"$R/etc/xinetd.d/telnet" <<'EOF'
service telnet
{
	socket_type = stream
	server = /usr/sbin/in.telnetd
	disable = yes
}
EOF

# cron and hotplug.
cat >"$R/etc/crontabs/root" <<'EOF'
# */5 * * * * telnetd -l /bin/sh
@reboot /usr/sbin/utelnetd -l /bin/sh -p 2424
*/10 * * * * /usr/bin/logger tick
EOF
cat >"$R/etc/cron.d/debug" <<'EOF'
@reboot root /usr/sbin/gdbserver :3333 /usr/bin/app
EOF
cat >"$R/etc/hotplug.d/net/10-telnet" <<'EOF'
#!/bin/sh
[ "$ACTION" = ifup ] && telnetd -p 2525
EOF
cat >"$R/etc/hotplug2.rules" <<'EOF'
SUBSYSTEM ~~ (^usb$) {
	exec /usr/sbin/tftpd -l -s /srv ;
}
EOF

# A vendor daemon with a shell listener inside (a command line passed to system()), started by
# rcS; the same program under another name that nothing starts is a decoy.
cat >"$OUT/vendord.c" <<'EOF'
#include <stdlib.h>
int main(int argc, char **argv) { if (argc > 5) system("telnetd -l /bin/sh -p 4444 &"); return 0; }
EOF
gcc -O0 -o "$R/usr/bin/vendord" "$OUT/vendord.c"
cp "$R/usr/bin/vendord" "$R/usr/bin/vendord-unused"
echo "/usr/bin/vendord &" >>"$R/etc/init.d/rcS"

P=$'\t'
cat >"$OUT/expected.tsv" <<EX
planted${P}CB-SVC-002${P}/usr/bin/vendord${P}telnetd -l /bin/sh
decoy${P}/usr/bin/vendord-unused
planted${P}CB-SVC-001${P}/etc/init.d/S50telnet${P}telnetd
planted${P}CB-SVC-001${P}/lib/systemd/system/telnet@.service${P}in.telnetd
planted${P}CB-SVC-001${P}/etc/hotplug.d/net/10-telnet${P}telnetd
planted${P}CB-SVC-002${P}/etc/init.d/S60debug${P}nc
planted${P}CB-SVC-002${P}/etc/init.d/S60debug${P}telnetd
planted${P}CB-SVC-002${P}/etc/init.d/helper.sh${P}nc
planted${P}CB-SVC-002${P}/etc/init.d/helper.sh${P}socat
planted${P}CB-SVC-002${P}/lib/systemd/system/backdoor@.service${P}sh
planted${P}CB-SVC-002${P}/etc/inetd.conf${P}sh
planted${P}CB-SVC-002${P}/etc/crontabs/root${P}utelnetd
planted${P}CB-SVC-003${P}/etc/inetd.conf${P}in.rlogind
planted${P}CB-SVC-003${P}/etc/xinetd.d/rsh${P}in.rshd
planted${P}CB-SVC-004${P}/etc/init.d/helper.sh${P}vsftpd
planted${P}CB-SVC-004${P}/etc/inetd.conf${P}vsftpd
planted${P}CB-SVC-004${P}/etc/init.d/tftp${P}tftpd
planted${P}CB-SVC-004${P}/etc/hotplug2.rules${P}tftpd
planted${P}CB-SVC-005${P}/etc/init.d/tftp${P}dropbear -B
planted${P}CB-SVC-005${P}/etc/ssh/sshd_debug_config${P}PermitEmptyPasswords
planted${P}CB-SVC-006${P}/etc/config/dropbear${P}RootPasswordAuth
planted${P}CB-SVC-006${P}/etc/ssh/sshd_root_config${P}PermitRootLogin
planted${P}CB-SVC-007${P}/etc/init.d/helper.sh${P}gdbserver
planted${P}CB-SVC-007${P}/lib/systemd/system/debugger.service${P}gdbserver
planted${P}CB-SVC-007${P}/etc/cron.d/debug${P}gdbserver
planted${P}CB-SVC-008${P}/etc/inittab${P}ttyS0
planted${P}CB-SVC-008${P}/etc/inittab${P}askfirst
planted${P}CB-SVC-008${P}/etc/systemd/system/serial-getty@ttyS1.service.d/autologin.conf${P}root
# the gdbserver stand-in is itself a shipped debug tool (the config family)
planted${P}CB-CONF-004${P}/usr/sbin/gdbserver
note${P}CB-SVC-000${P}/lib/systemd/system/ssh.service${P}sshd
note${P}CB-SVC-000${P}/etc/init.d/S45sshd${P}dropbear
decoy${P}/etc/init.d/S45sshd
observed${P}service${P}sshd
observed${P}service${P}telnetd
observed${P}service${P}dropbear
decoy${P}/etc/init.d/telnet-disabled
decoy${P}/usr/share/doc/telnet/example.sh
decoy${P}/lib/systemd/system/telnet-unused.service
decoy${P}/etc/xinetd.d/telnet
decoy${P}/etc/ssh/sshd_config
EX
