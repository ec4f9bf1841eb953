#!/usr/bin/env bash
# Builds the test images for `clearbox unpack`: one embedded-Linux root filesystem made from
# Debian packages, packed in every format the unpacker must open, plus hostile inputs.
#
#   tests/images/build-images.sh OUTDIR
#
# Deterministic: fixed SOURCE_DATE_EPOCH, mtimes, owners, sorted inputs, seeded randomness;
# the same script and the same .deb files give byte-identical images (OUTDIR/SHA256SUMS).
# Cached: does nothing when OUTDIR/stamp holds the hash of this directory's scripts.
#
# OUTDIR afterwards:
#   debs/                   the downloaded packages (kept across rebuilds)
#   rootfs/                 the reference tree; rootfs-manifest.json describes it
#   device_table.txt        device nodes, in genext2fs/mkfs.jffs2/mkfs.ubifs table format
#   images/                 the rootfs packed: squashfs x compressors in uImages, cpio, tar,
#                           ext2/ext4, jffs2, UBI, zip, 7z, ISO, a raw flash dump, nested
#   hostile/                path traversal, link tricks, devices, truncated and corrupted
#                           copies, random and garbage inputs, bombs
# Needs: apt-get, dpkg-deb, python3, squashfs-tools, u-boot-tools, genext2fs, e2fsprogs,
# mtd-utils, cpio, gzip, xz-utils, bzip2, zstd, lz4, zip, p7zip-full, xorriso
# (scripts/install-deps.sh installs them).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mkdir -p "$1" && cd "$1" && pwd)

# The inputs of the build (the checkers beside them are not: editing those rebuilds nothing).
STAMP=$(cd "$HERE" && cat build-images.sh rootfs_manifest.py mkarchive.py make_flash.py \
  make_hostile.py stattime.c | sha256sum | cut -d' ' -f1)
if [[ -f "$OUT/stamp" && "$(cat "$OUT/stamp")" == "$STAMP" ]]; then
  exit 0
fi

export SOURCE_DATE_EPOCH=1700000000 # 2023-11-14 22:13:20 UTC
export TZ=UTC LC_ALL=C.UTF-8 LC_COLLATE=C
umask 022
E=$SOURCE_DATE_EPOCH
PACKAGES=(busybox-static dropbear-bin libssl3 libc6 libcrypt1 zlib1g)

log() { echo "build-images: [${SECONDS}s] $*" >&2; }
die() {
  echo "build-images: error: $*" >&2
  exit 1
}
for tool in cc dpkg-deb python3 mksquashfs mkimage mkenvimage dtc img2simg genext2fs mke2fs mkfs.jffs2 \
  mkfs.ubifs ubinize cpio gzip xz bzip2 zstd lz4 zip 7z xorriso; do
  command -v "$tool" >/dev/null || die "$tool not found (run scripts/install-deps.sh)"
done

rm -f "$OUT/stamp"
# Only what this script makes: other test-image scripts keep their outputs beside these.
rm -rf "$OUT"/{rootfs,images,hostile,work} "$OUT"/{device_table.txt,packages.txt,rootfs-manifest.json,SHA256SUMS}
mkdir -p "$OUT/debs" "$OUT/images" "$OUT/hostile" "$OUT/work"
W=$OUT/work
R=$OUT/rootfs
I=$OUT/images
H=$OUT/hostile
# Packers that store atime/ctime run under this shim, which reports both equal to mtime.
cc -shared -fPIC -O2 -o "$W/stattime.so" "$HERE/stattime.c" -ldl
pinned() { LD_PRELOAD=$W/stattime.so "$@"; }

# --- packages ------------------------------------------------------------------------------
fetch_deb() {
  local pkg=$1
  compgen -G "$OUT/debs/${pkg}_*.deb" >/dev/null && return 0
  if ! (cd "$OUT/debs" && apt-get download -q=2 -o APT::Sandbox::User=root "$pkg"); then
    # Offline: a copy from apt's cache will do.
    local cached
    cached=$(ls /var/cache/apt/archives/"${pkg}"_*.deb 2>/dev/null | LC_ALL=C sort | tail -1)
    [[ -n "$cached" ]] || die "cannot download $pkg and no cached copy"
    cp "$cached" "$OUT/debs/"
  fi
}
for p in "${PACKAGES[@]}"; do fetch_deb "$p"; done
(cd "$OUT/debs" && ls *.deb | LC_ALL=C sort) >"$OUT/packages.txt"

# --- root filesystem -----------------------------------------------------------------------
log "rootfs from ${PACKAGES[*]}"
mkdir -p "$R"
for deb in $(ls "$OUT"/debs/*.deb | LC_ALL=C sort); do dpkg-deb -x "$deb" "$R"; done
# What an embedded image strips: docs, locales, charset converters.
rm -rf "$R"/usr/share/{doc,man,info,lintian,locale,bug,initramfs-tools} \
  "$R"/usr/lib/x86_64-linux-gnu/gconv
mkdir -p "$R"/{dev,proc,sys,tmp,root,mnt,etc/init.d,etc/dropbear,var/log,var/run,sbin} \
  "$R"/usr/{bin,sbin} "$R/www/cgi-bin/luci/admin/network/wireless"

applets() { # dir, relative path to busybox, applet...
  local dir=$1 target=$2
  shift 2
  for a in "$@"; do ln -sfn "$target" "$R/$dir/$a"; done
}
applets bin busybox sh ash cat cp dmesg echo grep ln ls mkdir mount ping ps rm sed umount vi
applets sbin ../bin/busybox init halt ifconfig klogd mdev reboot route syslogd udhcpc
applets usr/bin ../../bin/busybox awk telnet tftp wget
applets usr/sbin ../../bin/busybox crond httpd telnetd
ln -sfn bin/busybox "$R/linuxrc"
ln -sfn /proc/mounts "$R/etc/mtab"             # absolute, dangling on the host
ln -sfn ../tmp/resolv.conf "$R/etc/resolv.conf" # relative, dangling until boot
ln "$R/usr/bin/dbclient" "$R/usr/bin/ssh"       # a hard link

cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
admin:x:1000:1000:admin:/tmp:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$R/etc/shadow" <<'EOF'
root:$1$clearbox$3fJjcMsU0H6qPk1mV1F8H.:19675:0:99999:7:::
daemon:*:19675:0:99999:7:::
admin:$1$clearbox$Xq0f4mQ8d8h2kQnEJ0nQ2/:19675:0:99999:7:::
nobody:*:19675:0:99999:7:::
EOF
chmod 0600 "$R/etc/shadow"
cat >"$R/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
tty:x:5:
admin:x:1000:
nogroup:x:65534:
EOF
echo "clearbox-router" >"$R/etc/hostname"
cat >"$R/etc/inittab" <<'EOF'
::sysinit:/etc/init.d/rcS
::respawn:/sbin/getty -L ttyS0 115200 vt100
ttyS0::askfirst:/bin/sh
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/umount -a -r
EOF
cat >"$R/etc/init.d/rcS" <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
hostname -F /etc/hostname
syslogd && klogd
for s in /etc/init.d/S*; do [ -x "$s" ] && "$s" start; done
EOF
cat >"$R/etc/init.d/S50dropbear" <<'EOF'
#!/bin/sh
[ -f /etc/dropbear/dropbear_ed25519_host_key ] ||
  dropbearkey -t ed25519 -f /etc/dropbear/dropbear_ed25519_host_key
exec /usr/sbin/dropbear -R -p 22
EOF
cat >"$R/etc/init.d/S99 custom script" <<'EOF'
#!/bin/sh
# vendor hook (a name with spaces, as vendors write them)
telnetd -l /bin/sh -p 2323 &
EOF
cat >"$R/etc/fstab" <<'EOF'
proc  /proc proc  defaults 0 0
sysfs /sys  sysfs defaults 0 0
EOF
printf 'ttyS0\nconsole\n' >"$R/etc/securetty"
: >"$R/etc/motd" # an empty file
cat >"$R/usr/sbin/fw_printenv" <<'EOF'
#!/bin/sh
cat /proc/mtd
EOF
echo '<html><body>clearbox router</body></html>' >"$R/www/index-ü.html"
# A path longer than 100 bytes (ustar prefix, GNU longname, PAX path).
echo 'return {}' >"$R/www/cgi-bin/luci/admin/network/wireless/status_$(printf 'x%.0s' {1..80}).lua"
chown -hR 0:0 "$R" # before chmod: chown clears setuid/setgid bits
chmod 0755 "$R"/etc/init.d/*
chmod 4755 "$R/bin/busybox"       # setuid root, as many vendor images ship it
chmod 2755 "$R/usr/sbin/fw_printenv" # setgid
chmod 1777 "$R/tmp"
chmod 0700 "$R/root"
find "$R" -exec touch -h -d "@$E" {} +

cat >"$OUT/device_table.txt" <<'EOF'
# <name>        <type> <mode> <uid> <gid> <major> <minor> <start> <inc> <count>
/dev/console    c      600    0     0     5       1       -       -     -
/dev/null       c      666    0     0     1       3       -       -     -
/dev/ttyS0      c      660    0     0     4       64      -       -     -
/dev/mtdblock2  b      640    0     0     31      2       -       -     -
EOF
touch -d "@$E" "$OUT/device_table.txt" # genext2fs stamps the nodes with the table's mtime
# The same devices as mksquashfs pseudo definitions.
awk '!/^#/ && NF {sub("^/", "", $1); print $1, $2, $3, $4, $5, $6, $7}' \
  "$OUT/device_table.txt" >"$W/pseudo.txt"
python3 "$HERE/rootfs_manifest.py" "$R" "$OUT/device_table.txt" "$OUT/rootfs-manifest.json"

# --- bombs that take a few seconds: start them now, in the background ------------------------
# gzip of 1 GiB of zeros (~1 MB), by one process so that the trap can end it.
python3 -c 'import gzip, sys
with gzip.GzipFile(sys.argv[1], "wb", compresslevel=9, mtime=0) as f:
    zeros = bytes(1 << 20)
    for _ in range(1024): f.write(zeros)' "$H/bomb-zeros.gz" &
bomb_gzip_pid=$!
trap 'kill "$bomb_gzip_pid" 2>/dev/null || true' EXIT

# --- squashfs, each inside a uImage --------------------------------------------------------
squashfs() { # comp out [compressor options]
  # Fast compressor settings: the images test the formats, not the compressors' best ratio.
  env -u SOURCE_DATE_EPOCH mksquashfs "$R" "$2" -comp "$1" "${@:3}" -all-root -all-time "$E" -mkfs-time "$E" -no-xattrs \
    -noappend -quiet -no-progress -processors 2 -pf "$W/pseudo.txt" >/dev/null
}
declare -A SQUASHFS_OPTS=([gzip]="-Xcompression-level 6" [xz]="" [lzo]="-Xalgorithm lzo1x_1"
  [lz4]="" [zstd]="-Xcompression-level 3")
for comp in gzip xz lzo lz4 zstd; do
  log "squashfs $comp"
  # shellcheck disable=SC2086 # word splitting of the options is meant
  squashfs "$comp" "$W/rootfs-$comp.sqfs" ${SQUASHFS_OPTS[$comp]}
  mkimage -A arm -O linux -T filesystem -C none -a 0 -e 0 -n "rootfs squashfs-$comp" \
    -d "$W/rootfs-$comp.sqfs" "$I/rootfs-squashfs-$comp.uimg" >/dev/null
done
squashfs lzma "$I/rootfs.squashfs-lzma" # plain, no uImage

# A kernel: a made-up vmlinux (banner + symbol table text), lzma-compressed, type kernel.
python3 - "$W/vmlinux" <<'EOF'
import sys
lines = [b"Linux version 5.10.176 (builder@clearbox) (mips-openwrt-linux-musl-gcc 12.3.0) #0\n"]
lines += [b"%016x T clearbox_symbol_%05d\n" % (0xffffffff80060000 + 0x40 * i, i)
          for i in range(40000)]
open(sys.argv[1], "wb").write(b"".join(lines))
EOF
xz --format=lzma -9 -c "$W/vmlinux" >"$W/vmlinux.lzma"
sha256sum <"$W/vmlinux" | cut -d' ' -f1 >"$I/kernel-lzma.uimg.payload-sha256"
mkimage -A mips -O linux -T kernel -C lzma -a 0x80060000 -e 0x80060000 -n "Linux-5.10.176" \
  -d "$W/vmlinux.lzma" "$I/kernel-lzma.uimg" >/dev/null

# A FIT image as current U-Boot boards boot: the lzma kernel, the squashfs-xz root filesystem
# and a device tree, with external data (mkimage -E) and crc32/sha256/sha1 hashes.
printf '/dts-v1/;\n/ { model = "clearbox test board"; compatible = "clearbox,test"; };\n' \
  >"$W/board.dts"
dtc -I dts -O dtb -o "$W/board.dtb" "$W/board.dts"
cat >"$W/rootfs.its" <<ITS
/dts-v1/;
/ {
  description = "clearbox test FIT";
  #address-cells = <1>;
  images {
    kernel-1 {
      description = "Linux-5.10.176";
      data = /incbin/("$W/vmlinux.lzma");
      type = "kernel"; arch = "mips"; os = "linux"; compression = "lzma";
      load = <0x80060000>; entry = <0x80060000>;
      hash-1 { algo = "crc32"; };
    };
    rootfs-1 {
      data = /incbin/("$W/rootfs-xz.sqfs");
      type = "filesystem"; arch = "mips"; compression = "none";
      hash-1 { algo = "sha256"; };
    };
    fdt-1 {
      data = /incbin/("$W/board.dtb");
      type = "flat_dt"; arch = "mips"; compression = "none";
      hash-1 { algo = "sha1"; };
    };
  };
  configurations {
    default = "conf-1";
    conf-1 { kernel = "kernel-1"; fdt = "fdt-1"; loadables = "rootfs-1"; };
  };
};
ITS
mkimage -E -f "$W/rootfs.its" "$I/rootfs.itb" >/dev/null

# --- cpio and tar --------------------------------------------------------------------------
log "cpio, tar"
python3 "$HERE/mkarchive.py" cpio-newc "$R" "$OUT/device_table.txt" "$W/rootfs.cpio"
gzip -n -6 -c "$W/rootfs.cpio" >"$I/rootfs.cpio.gz"
mkimage -A arm -O linux -T ramdisk -C gzip -a 0 -e 0 -n "initramfs" \
  -d "$I/rootfs.cpio.gz" "$I/initramfs-gzip.uimg" >/dev/null
mkimage -A mips -O linux -T multi -C none -a 0 -e 0 -n "kernel+rootfs" \
  -d "$W/vmlinux.lzma:$W/rootfs-gzip.sqfs" "$I/multi.uimg" >/dev/null
gnu_cpio() { # format; GNU cpio has no device table: no device nodes in these
  (cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H "$1" --reproducible -R 0:0 --quiet)
}
gnu_cpio odc | bzip2 -1 >"$I/rootfs-odc.cpio.bz2"
gnu_cpio crc | lz4 -q -1 >"$I/rootfs-crc.cpio.lz4"

python3 "$HERE/mkarchive.py" tar-ustar "$R" "$OUT/device_table.txt" "$I/rootfs.tar"
python3 "$HERE/mkarchive.py" tar-gnu "$R" "$OUT/device_table.txt" "$W/rootfs-gnu.tar"
gzip -n -6 -c "$W/rootfs-gnu.tar" >"$I/rootfs.tar.gz"
python3 "$HERE/mkarchive.py" tar-pax "$R" "$OUT/device_table.txt" "$W/rootfs-pax.tar"
xz -2 -T1 -c "$W/rootfs-pax.tar" >"$I/rootfs.tar.xz"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$E" --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$R" -cf - . |
  zstd -q -3 -T1 >"$I/rootfs.tar.zst"

# --- ext2 / ext4 ---------------------------------------------------------------------------
log "ext2, ext4"
kib=$(du -sk --apparent-size "$R" | cut -f1)
# genext2fs adds files in readdir order, which differs between two copies of a tree: feed it
# the sorted tar instead (without devices; those come from its device table).
echo "# none" >"$W/no-devices.txt"
python3 "$HERE/mkarchive.py" tar-gnu "$R" "$W/no-devices.txt" "$W/rootfs-nodev.tar"
pinned genext2fs -B 1024 -b $((kib * 13 / 10 + 2048)) -N 1024 -a "$W/rootfs-nodev.tar" \
  -D "$OUT/device_table.txt" -U "$I/rootfs.ext2" 2>/dev/null
truncate -s $((kib * 14 / 10 + 8192))K "$I/rootfs.ext4"
E2FSPROGS_FAKE_TIME=$E pinned mke2fs -q -F -t ext4 -b 4096 -L rootfs \
  -U 6c6f6361-6c62-6f78-2d74-657374696d67 -E root_owner=0:0,hash_seed=6c6f6361-6c62-6f78-2d74-657374000000 \
  -d "$R" "$I/rootfs.ext4"
img2simg "$I/rootfs.ext4" "$I/rootfs.ext4.simg" # Android's sparse format, as fastboot flashes it

# --- flash filesystems -----------------------------------------------------------------------
log "jffs2, ubi"
pinned mkfs.jffs2 -l -e 128KiB -p -U -D "$OUT/device_table.txt" -d "$R" -o "$I/rootfs-le.jffs2"
pinned mkfs.jffs2 -b -e 64KiB -X lzo -x zlib -U -D "$OUT/device_table.txt" -d "$R" \
  -o "$I/rootfs-be-lzo.jffs2"
for comp in lzo zlib zstd; do
  pinned mkfs.ubifs -r "$R" -D "$OUT/device_table.txt" -U -m 2048 -e 126976 -c 400 -x "$comp" \
    -o "$W/ubifs-$comp.img"
  # mkfs.ubifs draws a random UUID; fix it (and the superblock node's CRC) for determinism.
  python3 - "$W/ubifs-$comp.img" <<'EOF'
import struct, sys, zlib
path = sys.argv[1]
img = bytearray(open(path, "rb").read())
magic, crc, sqnum, length, node_type = struct.unpack_from("<IIQIB", img, 0)
assert magic == 0x06101831 and node_type == 6, "no UBIFS superblock node at 0"
# UBIFS CRCs are crc32 seeded with ~0 and not inverted at the end.
ubifs_crc = lambda data: zlib.crc32(data) ^ 0xFFFFFFFF
assert ubifs_crc(bytes(img[8:length])) == crc, "unexpected UBIFS superblock CRC"
img[108:124] = b"clearbox-ubifs!!"
struct.pack_into("<I", img, 4, ubifs_crc(bytes(img[8:length])))
open(path, "wb").write(img)
EOF
  cat >"$W/ubinize-$comp.cfg" <<EOF
[rootfs]
mode=ubi
image=$W/ubifs-$comp.img
vol_id=0
vol_type=dynamic
vol_name=rootfs
vol_flags=autoresize
EOF
  ubinize -o "$I/rootfs-ubifs-$comp.ubi" -p 128KiB -m 2048 -s 2048 -Q 20231114 \
    "$W/ubinize-$comp.cfg"
done

# --- zip, 7z, ISO ----------------------------------------------------------------------------
log "zip, 7z, iso"
(cd "$R" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | zip -q -X -y -@ "$I/rootfs.zip")
mapfile -t top_level < <(cd "$R" && ls -A | LC_ALL=C sort)
(cd "$R" && 7z a -t7z -mmt=1 -mx=3 -mtc=off -mta=off -bd -bso0 -bsp0 "$I/rootfs.7z" \
  "${top_level[@]}" >/dev/null)
# Without --hardlinks: with it, Rock Ridge inode numbers come from the host's.
pinned xorriso -as mkisofs -quiet -R -V ROOTFS -o "$I/rootfs.iso" "$R" 2>/dev/null

# --- a raw flash dump: bootloader, env, kernel uImage, squashfs, erased padding --------------
log "flash dump, nested"
cat >"$W/env.txt" <<'EOF'
baudrate=115200
bootargs=console=ttyS0,115200 root=31:2 rootfstype=squashfs init=/sbin/init
bootcmd=bootm 0x9f060000
bootdelay=1
ethaddr=00:13:37:0c:1e:a7
ipaddr=192.168.1.1
serverip=192.168.1.10
EOF
mkenvimage -s 0x10000 -o "$W/env.bin" "$W/env.txt"
python3 "$HERE/make_flash.py" "$I/flash.bin" "$W/env.bin" "$I/kernel-lzma.uimg" \
  "$W/rootfs-xz.sqfs"

# --- nested: tar.gz -> uImage -> squashfs-xz -------------------------------------------------
mkdir -p "$W/nested/firmware"
cp "$I/rootfs-squashfs-xz.uimg" "$W/nested/firmware/rootfs.uimg"
printf 'product=clearbox-router\nversion=1.0.0\n' >"$W/nested/firmware/VERSION"
find "$W/nested" -exec touch -h -d "@$E" {} +
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$E" --format=gnu \
  -C "$W/nested" -cf - firmware | gzip -n -9 >"$I/nested.tar.gz"

# --- hostile inputs ------------------------------------------------------------------------
log "hostile inputs"
python3 "$HERE/make_hostile.py" "$H"
truncate_to() { # src percent dst; off any block or erase-block boundary, so the cut is visible
  local size
  size=$(stat -c %s "$1")
  head -c $((size * $2 / 100 - 777)) "$1" >"$3"
}
flip_byte() { # src offset dst: XOR 0xff the first byte at or after offset that is data
  python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); o = int(sys.argv[2], 0)
while d[o] in (0x00, 0xff): o += 1  # not erased flash or padding: a flip there is no damage
d[o] ^= 0xff; open(sys.argv[3], "wb").write(d)' "$@"
}
truncate_to "$I/rootfs-squashfs-xz.uimg" 60 "$H/trunc-rootfs-squashfs-xz.uimg"
truncate_to "$I/rootfs.tar.gz" 50 "$H/trunc-rootfs.tar.gz"
truncate_to "$I/rootfs.cpio.gz" 50 "$H/trunc-rootfs.cpio.gz"
truncate_to "$I/rootfs.ext2" 50 "$H/trunc-rootfs.ext2"
truncate_to "$I/rootfs-le.jffs2" 50 "$H/trunc-rootfs-le.jffs2"
truncate_to "$I/rootfs-ubifs-lzo.ubi" 50 "$H/trunc-rootfs-ubifs-lzo.ubi"
truncate_to "$I/rootfs.zip" 50 "$H/trunc-rootfs.zip"
truncate_to "$I/rootfs.7z" 50 "$H/trunc-rootfs.7z"
sq_len=$(stat -c %s "$W/rootfs-xz.sqfs")
head -c $((0x200000 + sq_len * 4 / 10)) "$I/flash.bin" >"$H/trunc-flash.bin"
uimg=$I/rootfs-squashfs-gzip.uimg
flip_byte "$uimg" $((64 + ($(stat -c %s "$uimg") - 64) / 2)) "$H/flip-payload-squashfs-gzip.uimg"
flip_byte "$uimg" 40 "$H/flip-header-squashfs-gzip.uimg" # inside the image name
for f in rootfs.tar.gz rootfs-le.jffs2 rootfs.squashfs-lzma rootfs.ext2 rootfs-ubifs-lzo.ubi; do
  # Past the middle, off any erase-block start: inside some node's or block's data.
  flip_byte "$I/$f" $(($(stat -c %s "$I/$f") / 2 + 1000)) "$H/flip-$f"
done

# A squashfs holding a 4 GiB sparse file: a few KiB that claim gigabytes.
mkdir -p "$W/sparse"
truncate -s 4G "$W/sparse/huge.bin"
echo "small" >"$W/sparse/small.txt"
find "$W/sparse" -exec touch -h -d "@$E" {} +
env -u SOURCE_DATE_EPOCH mksquashfs "$W/sparse" "$H/bomb-sparse.squashfs" -b 1M -comp xz -all-root -all-time "$E" \
  -mkfs-time "$E" -noappend -quiet -no-progress -processors 2 >/dev/null
wait "$bomb_gzip_pid" || die "gzip bomb failed"

# --- done ----------------------------------------------------------------------------------
rm -rf "$W"
(cd "$OUT" && find images hostile -type f | LC_ALL=C sort | xargs sha256sum) >"$OUT/SHA256SUMS"
echo "$STAMP" >"$OUT/stamp"
log "done: $(ls "$I" | wc -l) images, $(ls "$H" | wc -l) hostile inputs in $OUT"
