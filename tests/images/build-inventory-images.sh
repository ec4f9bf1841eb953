#!/usr/bin/env bash
# Builds the images the inventory is tested on, from Debian packages of known versions:
#
#   tests/images/build-inventory-images.sh OUTDIR
#
# OUTDIR afterwards:
#   debs/                 the downloaded packages (kept across rebuilds)
#   images/debian.uimg    squashfs-xz root filesystem in a uImage: binaries of the packages
#                         below, a dpkg status (and info/*.list) that declares some of them,
#                         Debian's os-release, a bzImage kernel (from ../shared/corpus/real when
#                         present), keys and a certificate, cross-compiled ELFs (several
#                         architectures, hardened and not, from build-elf-samples.sh)
#   images/openwrt.trx    an OpenWrt-style root filesystem (opkg status and .control files,
#                         openwrt_release, openwrt_version) in a squashfs in a TRX, whose opkg
#                         status contradicts one binary (busybox) and confirms another (dropbear)
#   images/flash.bin      a raw flash dump: a real U-Boot, padding, a gzip-compressed kernel,
#                         padding, the OpenWrt squashfs
#   expected.json         what a correct inventory of each image reports: every component with
#                         its version and source, computed from the .deb control fields
#
# Cached: does nothing when OUTDIR/stamp holds the hash of this script and of the ELF script.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
SHARED=${CLEARBOX_SHARED:-$HERE/../../../shared}
STAMP=$(cat "$HERE/build-inventory-images.sh" "$HERE/build-elf-samples.sh" | sha256sum | cut -d' ' -f1)
if [[ -f "$OUT/stamp" && "$(cat "$OUT/stamp")" == "$STAMP" ]]; then
  exit 0
fi
export SOURCE_DATE_EPOCH=1700000000 TZ=UTC LC_ALL=C.UTF-8
E=$SOURCE_DATE_EPOCH
umask 022
log() { echo "build-inventory-images: [${SECONDS}s] $*" >&2; }
die() {
  echo "build-inventory-images: error: $*" >&2
  exit 1
}
for tool in dpkg-deb mksquashfs mkimage python3 openssl gzip flock; do
  command -v "$tool" >/dev/null || die "$tool not found (run scripts/install-deps.sh)"
done

rm -rf "$OUT"/{images,work,expected.json,stamp}
mkdir -p "$OUT/debs" "$OUT/images" "$OUT/work"
W=$OUT/work

# Packages: those with a dpkg stanza in the Debian image, then those present as binaries only.
DECLARED=(libc6 libssl3 openssl zlib1g openssh-server dropbear-bin libexpat1)
UNDECLARED=(busybox-static dnsmasq-base lighttpd libsqlite3-0 curl libcurl4 libpcap0.8 u-boot-qemu)
fetch_deb() {
  local pkg=$1
  compgen -G "$OUT/debs/${pkg}_*.deb" >/dev/null && return 0
  (cd "$OUT/debs" && apt-get download -q=2 -o APT::Sandbox::User=root "$pkg") ||
    die "cannot download $pkg (apt-get download)"
}
for p in "${DECLARED[@]}" "${UNDECLARED[@]}"; do fetch_deb "$p"; done
deb_of() { ls "$OUT"/debs/"$1"_*.deb | LC_ALL=C sort | tail -1; }

# The ELF samples (shared with tests/inventory_checksec_test.cc; one builder at a time).
ELF=$(dirname "$OUT")/elf
flock "$ELF.lock" bash "$HERE/build-elf-samples.sh" "$ELF"

# --- the Debian image --------------------------------------------------------------------------
log "debian rootfs"
R=$W/debian
mkdir -p "$R"/{etc,boot,var/lib/dpkg/info,etc/ssl/private,etc/ssl/certs,root/.ssh,opt/cross}
for p in "${DECLARED[@]}" busybox-static dnsmasq-base lighttpd libsqlite3-0 curl libcurl4 libpcap0.8; do
  dpkg-deb -x "$(deb_of "$p")" "$R"
done
rm -rf "$R"/usr/share/{doc,man,locale,info,lintian}
# dpkg status: one stanza per declared package, from its own control file, as dpkg writes it.
for p in "${DECLARED[@]}"; do
  deb=$(deb_of "$p")
  dpkg-deb -f "$deb" Package | sed 's/^/Package: /'
  echo "Status: install ok installed"
  dpkg-deb -f "$deb" Priority Section Installed-Size Maintainer Architecture Multi-Arch Source \
    Version Depends Pre-Depends Description Homepage
  echo
  arch=$(dpkg-deb -f "$deb" Architecture)
  list=$p
  [[ $(dpkg-deb -f "$deb" Multi-Arch) == same ]] && list=$p:$arch
  dpkg-deb -c "$deb" | awk '{print $6}' | sed -e 's|^\./|/|' -e 's|/$||' -e 's|^$|/.|' |
    sed 's|^\.$|/.|' >"$R/var/lib/dpkg/info/$list.list"
done >"$R/var/lib/dpkg/status"
cat >"$R/etc/os-release" <<'EOF'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
EOF
KERNEL=$SHARED/corpus/real/linux_bzImage_x86_xz_5.4.72.bin
KERNEL_PRESENT=0
if [[ -f $KERNEL ]]; then
  cp "$KERNEL" "$R/boot/vmlinuz-5.4.72"
  KERNEL_PRESENT=1
fi
export KERNEL_PRESENT
# Keys: made fresh (their bytes do not matter, their kind does).
openssl genpkey -algorithm ed25519 -out "$R/etc/ssl/private/server.key" 2>/dev/null
openssl req -new -x509 -key "$R/etc/ssl/private/server.key" -subj /CN=router.example \
  -days 3650 -out "$R/etc/ssl/certs/server.pem" 2>/dev/null
openssl pkey -in "$R/etc/ssl/private/server.key" -pubout -out "$R/etc/ssl/certs/server.pub"
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHb0ZXN0a2V5Y2xlYXJib3hjbGVhcmJveGNsZWFyYm94 vendor@support" \
  >"$R/root/.ssh/authorized_keys"
# Cross-compiled samples of every architecture, hardened and not.
while read -r rel; do
  case $rel in gen/*) ;; *) continue ;; esac
  dest=$R/opt/cross/${rel#gen/}
  mkdir -p "$(dirname "$dest")"
  cp "$ELF/$rel" "$dest"
done <"$ELF/list"
find "$R" -exec touch -h -d "@$E" {} +
env -u SOURCE_DATE_EPOCH mksquashfs "$R" "$W/debian.sqfs" -comp xz -all-root -all-time "$E" \
  -mkfs-time "$E" -no-xattrs -noappend -quiet -no-progress -processors 2 >/dev/null
mkimage -A x86_64 -O linux -T filesystem -C none -a 0 -e 0 -n "debian rootfs" \
  -d "$W/debian.sqfs" "$OUT/images/debian.uimg" >/dev/null

# --- the OpenWrt-style image -------------------------------------------------------------------
log "openwrt rootfs"
O=$W/openwrt
mkdir -p "$O"/{bin,usr/sbin,etc,usr/lib/opkg/info}
dpkg-deb -x "$(deb_of busybox-static)" "$W/bb"
dpkg-deb -x "$(deb_of dropbear-bin)" "$W/db"
cp "$W/bb/bin/busybox" "$O/bin/busybox"
cp "$W/db/usr/sbin/dropbear" "$O/usr/sbin/dropbear"
BB_DEB_VERSION=$(dpkg-deb -f "$(deb_of busybox-static)" Version)
DB_DEB_VERSION=$(dpkg-deb -f "$(deb_of dropbear-bin)" Version)
# OpenWrt versions: upstream + "-<release>". busybox is declared one release ahead of the
# binary (a vendor that updated the package list and not the binary); dropbear matches.
DB_UPSTREAM=$(echo "$DB_DEB_VERSION" | sed -e 's/^[0-9]*://' -e 's/-[^-]*$//')
cat >"$O/usr/lib/opkg/status" <<EOF
Package: busybox
Version: 1.36.1-1
Depends: libc
Status: install user installed
Architecture: mips_24kc
Installed-Time: 1700000000

Package: dropbear
Version: $DB_UPSTREAM-1
Depends: libc
Status: install user installed
Architecture: mips_24kc
Conffiles:
 /etc/config/dropbear 9bcfc9a0b2b0e8e6c0e8d3c1d2b6f4a8c0b2d3e4f5a6b7c8d9e0f1a2b3c4d5e6
Installed-Time: 1700000000

EOF
cat >"$O/usr/lib/opkg/info/dropbear.control" <<EOF
Package: dropbear
Version: $DB_UPSTREAM-1
Depends: libc
License: MIT
Section: net
SourceName: dropbear
Maintainer: Felix Fietkau <nbd@nbd.name>
Architecture: mips_24kc
Installed-Size: 114688
Description:  A small SSH2 server/client designed for small memory environments.
EOF
cat >"$O/etc/openwrt_release" <<'EOF'
DISTRIB_ID='OpenWrt'
DISTRIB_RELEASE='23.05.2'
DISTRIB_REVISION='r23630-842932a63d'
DISTRIB_TARGET='ath79/generic'
DISTRIB_ARCH='mips_24kc'
DISTRIB_DESCRIPTION='OpenWrt 23.05.2 r23630-842932a63d'
DISTRIB_TAINTS=''
EOF
echo "r23630-842932a63d" >"$O/etc/openwrt_version"
find "$O" -exec touch -h -d "@$E" {} +
env -u SOURCE_DATE_EPOCH mksquashfs "$O" "$W/openwrt.sqfs" -comp xz -all-root -all-time "$E" \
  -mkfs-time "$E" -no-xattrs -noappend -quiet -no-progress -processors 2 >/dev/null
python3 - "$W/openwrt.sqfs" "$OUT/images/openwrt.trx" <<'EOF'
# Broadcom TRX v1: "HDR0", total length, CRC-32 of everything after the CRC field (initial
# value ~0, no final inversion), flags, version 1, three partition offsets.
import struct, sys, zlib
payload = open(sys.argv[1], "rb").read()
header_len = 28
body = struct.pack("<HH3I", 0, 1, header_len, 0, 0) + payload
crc = zlib.crc32(body) ^ 0xFFFFFFFF
open(sys.argv[2], "wb").write(b"HDR0" + struct.pack("<II", header_len + len(payload), crc) + body)
EOF

# --- the flash dump ----------------------------------------------------------------------------
log "flash dump"
dpkg-deb -x "$(deb_of u-boot-qemu)" "$W/uboot"
UBOOT=$W/uboot/usr/lib/u-boot/qemu_arm/u-boot.bin
[[ -f $UBOOT ]] || die "no $UBOOT in u-boot-qemu"
# The kernel: a made-up vmlinux with a real banner line, gzip-compressed, as a flash holds it.
printf 'Linux version 4.14.221 (builder@vendor) (gcc version 8.4.0 (OpenWrt GCC 8.4.0)) #0 SMP Mon Feb 8 2021\n' >"$W/vmlinux"
head -c 200000 /dev/zero >>"$W/vmlinux"
gzip -n -9 -c "$W/vmlinux" >"$W/vmlinux.gz"
python3 - "$UBOOT" "$W/vmlinux.gz" "$W/openwrt.sqfs" "$OUT/images/flash.bin" <<'EOF'
import sys
uboot, kernel, rootfs = (open(p, "rb").read() for p in sys.argv[1:4])
def pad(b, size):  # erased flash reads 0xff
    assert len(b) <= size, (len(b), size)
    return b + b"\xff" * (size - len(b))
open(sys.argv[4], "wb").write(pad(uboot, 0x100000) + pad(kernel, 0x100000) + rootfs)
EOF

# --- what a correct inventory reports ------------------------------------------------------------
python3 - "$OUT" "$(deb_of u-boot-qemu)" "${DECLARED[@]}" -- "${UNDECLARED[@]}" <<'EOF'
import json, os, re, subprocess, sys
out, uboot_deb = sys.argv[1], sys.argv[2]
rest = sys.argv[3:]
split = rest.index("--")
declared, undeclared = rest[:split], rest[split + 1:]
def field(deb, name):
    return subprocess.run(["dpkg-deb", "-f", deb, name], check=True, capture_output=True,
                          text=True).stdout.strip()
def deb_of(pkg):
    import glob
    return sorted(glob.glob(f"{out}/debs/{pkg}_*.deb"))[-1]
def upstream(version):
    v = re.sub(r"^\d+:", "", version)
    v = re.sub(r"-[^-]*$", "", v)
    v = re.sub(r"[+~.](dfsg|ds|repack)\d*$", "", v)
    return v
versions = {p: field(deb_of(p), "Version") for p in declared + undeclared}
# The component each package's own binaries name, by the signature ids of rules/versions.json.
signature_of = {"libc6": "glibc", "libssl3": "openssl", "openssl": "openssl", "zlib1g": "zlib",
                "openssh-server": "openssh", "dropbear-bin": "dropbear", "libexpat1": "expat",
                "busybox-static": "busybox", "dnsmasq-base": "dnsmasq", "lighttpd": "lighttpd",
                "libsqlite3-0": "sqlite", "curl": "curl", "libcurl4": "libcurl",
                "libpcap0.8": "libpcap", "u-boot-qemu": "u-boot"}
def binary_version(pkg):  # U-Boot prints "2023.01+dfsg-2+deb12u3": its upstream part counts
    return upstream(versions[pkg])
debian = {"package_db": [{"name": p, "version": versions[p]} for p in declared],
          "os": {"name": "debian", "version": "12"},
          "binary_only": sorted({(signature_of[p], binary_version(p)) for p in undeclared
                                 if p != "u-boot-qemu"}),
          "confirmed": sorted({(signature_of[p], binary_version(p)) for p in declared})}
if os.environ["KERNEL_PRESENT"] == "1":
    debian["binary_only"] = sorted(debian["binary_only"] + [("linux-kernel", "5.4.72")])
dropbear_up = upstream(versions["dropbear-bin"])
openwrt = {"package_db": [{"name": "busybox", "version": "1.36.1-1"},
                          {"name": "dropbear", "version": dropbear_up + "-1"}],
           "os": {"name": "openwrt", "version": "23.05.2"},
           "binary_only": [("busybox", upstream(versions["busybox-static"]))],
           "confirmed": [("dropbear", dropbear_up)],
           "contradicted": [("busybox", "1.36.1-1", upstream(versions["busybox-static"]))]}
flash = dict(openwrt)
flash["binary_only"] = openwrt["binary_only"] + [("u-boot", binary_version("u-boot-qemu")),
                                                 ("linux-kernel", "4.14.221")]
json.dump({"debian.uimg": debian, "openwrt.trx": openwrt, "flash.bin": flash,
           "deb_versions": versions}, open(f"{out}/expected.json", "w"), indent=1, sort_keys=True)
EOF
rm -rf "$W"
echo "$STAMP" >"$OUT/stamp"
log "done"
