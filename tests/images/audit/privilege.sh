#!/usr/bin/env bash
# Accuracy image for the privilege checks (CB-PRIV): setuid programs beyond the normal list,
# a setuid busybox carrying the 'sh' applet, a setuid copy of bash under another name, a
# setuid perl, world-writable files and directories in system paths, kernel modules outside
# /lib/modules/<version>/ and one built for another kernel; decoys: setuid passwd and ping
# (the normal list), a sticky world-writable /tmp-style directory in /var, a world-writable
# symlink, a world-writable file under /tmp, a module in its tree, a setgid file without
# group execute.
#   privilege.sh OUTDIR   -> OUTDIR/rootfs, OUTDIR/expected.tsv
set -euo pipefail
OUT=$1
R=$OUT/rootfs
T=$OUT/tmp
mkdir -p "$R"/bin "$R"/sbin "$R"/usr/bin "$R"/usr/sbin "$R"/etc/init.d "$R"/www/cgi-bin "$R"/tmp \
  "$R"/var/spool "$R"/lib/modules/5.10.0/kernel "$R"/usr/lib/hidden "$T"

cat >"$T/prog.c" <<'C'
int main(void) { return 0; }
C
gcc -O0 -o "$T/prog" "$T/prog.c"
# A multi-call binary: its applet names as one NUL-separated run, as busybox keeps them.
cat >"$T/multi.c" <<'C'
#include <stdio.h>
static const char applets[] = "[\0[[\0acpid\0addgroup\0adduser\0arp\0ash\0awk\0basename\0cat\0"
    "chmod\0cp\0date\0dd\0echo\0ls\0mount\0ps\0rm\0sed\0sh\0sleep\0tar\0telnetd\0"
    "umount\0vi\0wget\0";
int main(int c, char** v) { (void)v; return applets[c] == 'x'; }
C
gcc -O0 -o "$T/multi" "$T/multi.c"
cat >"$T/bashlike.c" <<'C'
#include <stdio.h>
int main(void) { puts("GNU bash, version 5.2.15(1)-release"); return 0; }
C
gcc -O0 -o "$T/bashlike" "$T/bashlike.c"

install -m 4755 "$T/multi" "$R/bin/busybox"                # setuid busybox with sh
install -m 4755 "$T/multi" "$R/usr/lib/hidden/helper"      # the same, renamed
install -m 4755 "$T/bashlike" "$R/usr/sbin/.sysd"          # setuid bash copy
install -m 4755 "$T/prog" "$R/usr/bin/perl"                # setuid interpreter by name
install -m 4755 "$T/prog" "$R/usr/sbin/diagd"              # unusual setuid
install -m 2755 "$T/prog" "$R/usr/bin/vendor-report"       # unusual setgid
install -m 4755 "$T/prog" "$R/usr/bin/passwd"              # decoy: normal
install -m 4755 "$T/prog" "$R/bin/ping"                    # decoy: normal
install -m 2644 "$T/prog" "$R/usr/bin/locking"             # decoy: setgid, no group exec

install -m 0777 "$T/prog" "$R/usr/bin/update"              # world-writable program
printf '#!/bin/sh\n' >"$R/etc/init.d/S10net"; chmod 0666 "$R/etc/init.d/S10net"
chmod 0777 "$R/www/cgi-bin"                                # world-writable dir
mkdir -p "$R/var/tmp"; chmod 1777 "$R/var/tmp" "$R/tmp"     # decoys: sticky
chmod 1777 "$R/usr/lib/hidden" 2>/dev/null || true
chmod 0755 "$R/usr/lib/hidden"
ln -s /tmp/x "$R/usr/bin/link"                             # decoy: symlink
install -m 0666 "$T/prog" "$R/tmp/scratch"                 # decoy: not a system path

# Kernel modules: ELF relocatable objects with a .modinfo vermagic.
mod() {  # $1 vermagic, $2 output
  printf 'static const char m[] __attribute__((section(".modinfo"), used)) = "vermagic=%s SMP mod_unload ";\nint init_module(void){return 0;}\n' "$1" >"$T/m.c"
  gcc -c -O0 -o "$2" "$T/m.c"
}
mod 5.10.0 "$R/lib/modules/5.10.0/kernel/good.ko"          # decoy: in its tree
mod 5.10.0 "$R/usr/lib/hidden/rootkit.ko"                  # outside the tree
mod 5.10.0 "$R/lib/modules/extra.ko"                       # no version directory
mod 4.14.0 "$R/lib/modules/5.10.0/kernel/old.ko"           # built for another kernel

P=$'\t'
cat >"$OUT/expected.tsv" <<EX
planted${P}CB-PRIV-001${P}/usr/sbin/diagd
planted${P}CB-PRIV-001${P}/usr/bin/vendor-report${P}setgid
planted${P}CB-PRIV-002${P}/bin/busybox${P}'sh'
planted${P}CB-PRIV-002${P}/usr/lib/hidden/helper${P}applet
planted${P}CB-PRIV-002${P}/usr/sbin/.sysd${P}bash
planted${P}CB-PRIV-002${P}/usr/bin/perl${P}perl
planted${P}CB-PRIV-003${P}/usr/bin/update
planted${P}CB-PRIV-003${P}/etc/init.d/S10net
planted${P}CB-PRIV-003${P}/www/cgi-bin${P}directory
planted${P}CB-PRIV-004${P}/usr/lib/hidden/rootkit.ko
planted${P}CB-PRIV-004${P}/lib/modules/extra.ko
planted${P}CB-PRIV-004${P}/lib/modules/5.10.0/kernel/old.ko${P}4.14.0
decoy${P}/usr/bin/passwd
decoy${P}/bin/ping
decoy${P}/usr/bin/locking
decoy${P}/var/tmp
decoy${P}/tmp
decoy${P}/usr/bin/link
decoy${P}/tmp/scratch
decoy${P}/lib/modules/5.10.0/kernel/good.ko
EX
rm -rf "$T"
