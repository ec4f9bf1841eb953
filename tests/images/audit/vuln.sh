#!/usr/bin/env bash
# Accuracy image for the known-vulnerability check (CB-VULN-001): version strings as the
# binaries carry them (busybox banner, dropbear and OpenSSH identification strings, dnsmasq
# version), matched against the test advisory set (tests/data/advisories/nvd), imported here
# into OUTDIR/vulns.db and passed with --vulndb (OUTDIR/args). Planted: versions inside an
# advisory's affected range. Decoys: the fixed version itself and later versions.
#   vuln.sh OUTDIR   -> OUTDIR/rootfs, OUTDIR/expected.tsv, OUTDIR/args, OUTDIR/vulns.db
set -euo pipefail
OUT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
SOURCE=$(cd "$HERE/../../.." && pwd)
CLEARBOX=${CLEARBOX:-${CLEARBOX_BUILD:?}/clearbox}
R=$OUT/rootfs
mkdir -p "$R/bin" "$R/usr/sbin" "$R/opt/new/bin" "$R/opt/new/sbin"
blob() { printf '\x7fELF\x01\x01\x01\0padding\0%b\0trailer\n' "$2" >"$R/$1"; }

# Planted: each inside an affected range.
blob bin/busybox 'BusyBox v1.30.1 (2019-06-01 10:00:00 UTC) multi-call binary.'  # < 1.36.0
blob usr/sbin/dropbear 'SSH-2.0-dropbear_2016.72\r\n'                           # < 2016.74
blob usr/sbin/sshd 'OpenSSH_8.9p1 Debian'                                        # 8.5p1 <= v < 9.8p1
blob usr/sbin/dnsmasq '\0dnsmasq-2.76\0'                                        # <= 2.77
# Decoys: the fixed version and later ones.
blob opt/new/bin/busybox 'BusyBox v1.36.1 (2024-01-01 10:00:00 UTC) multi-call binary.'
blob opt/new/sbin/dropbear 'SSH-2.0-dropbear_2016.74\r\n'
blob opt/new/sbin/sshd 'OpenSSH_9.8p1 Debian'
blob opt/new/sbin/dnsmasq '\0dnsmasq-2.78\0'

"$CLEARBOX" vulndb import "$SOURCE/tests/data/advisories/nvd" --db "$OUT/vulns.db" >/dev/null
printf -- '--vulndb\n%s\n' "$OUT/vulns.db" >"$OUT/args"

P=$'\t'
cat >"$OUT/expected.tsv" <<EX
planted${P}CB-VULN-001${P}/bin/busybox${P}CVE-2022-48174
planted${P}CB-VULN-001${P}/usr/sbin/dropbear${P}CVE-2016-7406
planted${P}CB-VULN-001${P}/usr/sbin/sshd${P}CVE-2024-6387
planted${P}CB-VULN-001${P}/usr/sbin/dnsmasq${P}CVE-2017-14491
decoy${P}/opt/new/bin/busybox
decoy${P}/opt/new/sbin/dropbear
decoy${P}/opt/new/sbin/sshd
decoy${P}/opt/new/sbin/dnsmasq
EX
