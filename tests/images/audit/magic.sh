#!/usr/bin/env bash
# Accuracy image for the magic-password check (CB-MAGIC-001): router-style daemons built at
# -O2 (magic.samples.sh) with a back door in two forms, for x86-64, AArch64, ARM (Thumb-2) and
# MIPS of both byte orders:
#   shell   TCP daemon, strcmp(line, "vndr-maint-5d3a-r00t-access-88") == 0 -> dup2, execl("/bin/sh")
#   telnet  UDP daemon, strcmp(word, "HELODBG-...") == 0 -> system("telnetd -l /bin/sh -p 2323")
# and decoys that must not be flagged: strcmp(argv[1], "--help") -> printf, strcmp(cmd,
# "reboot") -> system("reboot"), a shell after comparing with a stored (not constant)
# password, system("/bin/sh /etc/mgmt.start") guarded by no comparison; the decoy daemon is
# built for every architecture too; and Debian's own sulogin and perl (see below).
#   magic.sh OUTDIR   -> OUTDIR/rootfs, OUTDIR/expected.tsv (see tests/audit_accuracy_test.sh)
set -euo pipefail
OUT=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SAMPLES=${CLEARBOX_BUILD:?}/test-images/magic-samples
bash "$HERE/magic.samples.sh" "$SAMPLES"
R=$OUT/rootfs
mkdir -p "$R/usr/sbin" "$R/opt/arm/sbin" "$R/opt/mips/sbin" "$R/opt/mipsel/sbin"
cp "$SAMPLES/x86-64/shell" "$R/usr/sbin/debugd"
cp "$SAMPLES/x86-64/telnet" "$R/usr/sbin/mgmtd"
cp "$SAMPLES/x86-64/decoy" "$R/usr/sbin/cmdd"
cp "$SAMPLES/aarch64/shell" "$R/usr/sbin/debugd-arm64"
cp "$SAMPLES/aarch64/telnet" "$R/usr/sbin/mgmtd-arm64"
cp "$SAMPLES/aarch64/decoy" "$R/usr/sbin/cmdd-arm64"
cp "$SAMPLES/armhf/shell" "$R/opt/arm/sbin/debugd"
cp "$SAMPLES/armhf/telnet" "$R/opt/arm/sbin/mgmtd"
cp "$SAMPLES/armhf/decoy" "$R/opt/arm/sbin/cmdd"
for arch in mips mipsel; do
  cp "$SAMPLES/$arch/shell" "$R/opt/$arch/sbin/debugd"
  cp "$SAMPLES/$arch/telnet" "$R/opt/$arch/sbin/mgmtd"
  cp "$SAMPLES/$arch/decoy" "$R/opt/$arch/sbin/cmdd"
done
# Real decoys from this machine's Debian: sulogin compares the stored hash's prefix with
# "$1$", "$5$", "$6$" before it runs a shell; perl's do_exec compares a command with "exec".
real_decoys=()
for b in /sbin/sulogin /usr/bin/perl; do
  if [[ -f $b ]]; then
    mkdir -p "$R$(dirname "$b")"
    cp "$b" "$R$b"
    real_decoys+=("$b")
  fi
done

P=$'\t'
for b in "${real_decoys[@]}"; do printf 'decoy\t%s\n' "$b"; done >"$OUT/expected.tsv"
cat >>"$OUT/expected.tsv" <<EX
planted${P}CB-MAGIC-001${P}/usr/sbin/debugd${P}vndr-maint-5d3a-r00t-access-88
planted${P}CB-MAGIC-001${P}/usr/sbin/mgmtd${P}HELODBG-7f3a9c21-e04b-support
planted${P}CB-MAGIC-001${P}/usr/sbin/debugd-arm64${P}vndr-maint-5d3a-r00t-access-88
planted${P}CB-MAGIC-001${P}/usr/sbin/mgmtd-arm64${P}HELODBG-7f3a9c21-e04b-support
planted${P}CB-MAGIC-001${P}/opt/arm/sbin/debugd${P}vndr-maint-5d3a-r00t-access-88
planted${P}CB-MAGIC-001${P}/opt/arm/sbin/mgmtd${P}HELODBG-7f3a9c21-e04b-support
planted${P}CB-MAGIC-001${P}/opt/mips/sbin/debugd${P}vndr-maint-5d3a-r00t-access-88
planted${P}CB-MAGIC-001${P}/opt/mips/sbin/mgmtd${P}HELODBG-7f3a9c21-e04b-support
planted${P}CB-MAGIC-001${P}/opt/mipsel/sbin/debugd${P}vndr-maint-5d3a-r00t-access-88
planted${P}CB-MAGIC-001${P}/opt/mipsel/sbin/mgmtd${P}HELODBG-7f3a9c21-e04b-support
decoy${P}/usr/sbin/cmdd
decoy${P}/usr/sbin/cmdd-arm64
decoy${P}/opt/arm/sbin/cmdd
decoy${P}/opt/mips/sbin/cmdd
decoy${P}/opt/mipsel/sbin/cmdd
EX
