#!/usr/bin/env bash
# The release story's images (scripts/demo.sh, tests/release_gate_test.sh), built from the
# Debian-package rootfs of tests/images/build-images.sh (busybox, dropbear, OpenSSL):
#   fw-1.0.tar.gz   the product as the vendor pledges it (tests/release/demo-pledge.json):
#                   dropbear with public keys only, a serial console with a login, nothing else
#   fw-1.1.tar.gz   the next release, same pledge (a changed /etc/version)
#   fw-1.2.tar.gz   a release that also starts telnetd on port 23: a way in the pledge does
#                   not declare, so its audit fails
# The shared test rootfs carries planted back doors for the auditor's tests; they are removed
# here. Archives are reproducible (sorted, owner 0, mtime 0, gzip -n).
#   make_demo_images.sh ROOTFS OUTDIR
set -euo pipefail
ROOTFS=$1
OUT=$2
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

pack() {  # pack DIR ARCHIVE
  tar -C "$1" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - . | gzip -n -9 >"$2.tmp"
  mv "$2.tmp" "$2"
}

R=$WORK/rootfs
cp -a "$ROOTFS" "$R"
rm -f "$R/etc/init.d/S99 custom script"
sed -i '/askfirst/d' "$R/etc/inittab"
sed -i 's|^exec /usr/sbin/dropbear .*|exec /usr/sbin/dropbear -s -g -p 22|' "$R/etc/init.d/S50dropbear"
chmod u-s "$R/bin/busybox"
chmod g-s "$R/usr/sbin/fw_printenv"
echo "EX-1000 1.0" >"$R/etc/version"
pack "$R" "$OUT/fw-1.0.tar.gz"

echo "EX-1000 1.1" >"$R/etc/version"
pack "$R" "$OUT/fw-1.1.tar.gz"

echo "EX-1000 1.2" >"$R/etc/version"
cat >"$R/etc/init.d/S60telnet" <<'SH'
#!/bin/sh
# "field diagnostics"
/usr/sbin/telnetd -p 23
SH
chmod 755 "$R/etc/init.d/S60telnet"
pack "$R" "$OUT/fw-1.2.tar.gz"
