#!/usr/bin/env bash
# Builds the ELF samples that tests/inventory_checksec_test.cc compares with checksec:
#   build-elf-samples.sh OUTDIR
#
# OUTDIR/gen/<arch>/...   small C programs (tests/images/elf/*.c) cross-compiled for x86-64,
#                         aarch64, armhf, mips (big-endian) and mipsel, each with and without
#                         hardening (canary, FORTIFY, PIE / no PIE, full / partial / no RELRO,
#                         exec stack), static and dynamic, stripped, "sstripped" (no section
#                         headers, as firmware often ships), a relocatable object, and a shared
#                         library with a SONAME and an RPATH or a RUNPATH.
# OUTDIR/debian/amd64/... real Debian ELFs: `apt-get download` of a few packages, dpkg-deb -x.
# OUTDIR/debian/<arch>/.. real Debian ELFs of the other architectures, copied from the
#                         installed cross libc packages (libc6-*-cross and the gcc runtimes):
#                         `apt-get download pkg:arm64` needs arm64 package lists, which need
#                         `dpkg --add-architecture`, which this script must not do.
# OUTDIR/list             every ELF above, one path a line, relative to OUTDIR.
#
# Cached: does nothing when OUTDIR/stamp holds the hash of this script and its C sources.
# Deterministic: same compilers, same packages, same bytes (no timestamps, fixed paths).
set -euo pipefail

out=${1:?usage: build-elf-samples.sh OUTDIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$here/elf
hash=$(cat "${BASH_SOURCE[0]}" "$src"/*.c | sha256sum | cut -d' ' -f1)
if [[ -f $out/stamp && $(cat "$out/stamp") == "$hash" ]]; then
  exit 0
fi
rm -rf "$out"
mkdir -p "$out/gen" "$out/debian"
out=$(cd "$out" && pwd)

# Strips the section header table the way sstrip does (e_shoff, e_shnum, e_shstrndx = 0),
# leaving the segments alone. Zero bytes read the same in either byte order.
sstrip_headers() {
  local file=$1 class
  class=$(od -An -tu1 -j4 -N1 "$file" | tr -d ' ')
  if [[ $class == 2 ]]; then
    dd if=/dev/zero of="$file" bs=1 seek=$((0x28)) count=8 conv=notrunc status=none
    dd if=/dev/zero of="$file" bs=1 seek=$((0x3c)) count=4 conv=notrunc status=none
  else
    dd if=/dev/zero of="$file" bs=1 seek=$((0x20)) count=4 conv=notrunc status=none
    dd if=/dev/zero of="$file" bs=1 seek=$((0x30)) count=4 conv=notrunc status=none
  fi
}

# Compiles with the sources' directory mapped away so the output does not name this checkout.
cc_for() {
  local cc=$1
  shift
  "$cc" -ffile-prefix-map="$src"=. -g0 "$@"
}

build_arch() {
  local arch=$1 cc=$2
  local d=$out/gen/$arch
  mkdir -p "$d"
  local hard=(-O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE -pie -Wl,-z,relro,-z,now)
  local soft=(-O0 -U_FORTIFY_SOURCE -fno-stack-protector -fno-pie -no-pie -Wl,-z,norelro)
  cc_for "$cc" "${hard[@]}" -o "$d/fortify-hard" "$src/fortify.c"
  cc_for "$cc" "${hard[@]}" -s -o "$d/fortify-hard-stripped" "$src/fortify.c"
  cp "$d/fortify-hard-stripped" "$d/fortify-hard-sstripped"
  sstrip_headers "$d/fortify-hard-sstripped"
  cc_for "$cc" "${soft[@]}" -o "$d/fortify-soft" "$src/fortify.c"
  cc_for "$cc" "${soft[@]}" -z execstack -o "$d/fortify-soft-execstack" "$src/fortify.c"
  cc_for "$cc" -O2 -D_FORTIFY_SOURCE=2 -fPIE -pie -Wl,-z,relro,-z,lazy \
    -o "$d/fortify-partial-relro" "$src/fortify.c"
  cc_for "$cc" -O1 -D_FORTIFY_SOURCE=1 -fstack-protector-all -fno-pie -no-pie \
    -Wl,-z,relro,-z,now -o "$d/fortify-nopie-fullrelro" "$src/fortify.c"
  cc_for "$cc" -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -static \
    -o "$d/fortify-static" "$src/fortify.c"
  cc_for "$cc" -O2 -static -s -o "$d/tiny-static-stripped" "$src/tiny.c"
  # static-pie is not supported by every target's toolchain; a refusal is not an error.
  cc_for "$cc" -O2 -static-pie -fPIE -o "$d/tiny-static-pie" "$src/tiny.c" 2> /dev/null ||
    rm -f "$d/tiny-static-pie"
  cc_for "$cc" -O2 -D_FORTIFY_SOURCE=2 -c -o "$d/fortify.o" "$src/fortify.c"
  cc_for "$cc" -O2 -fPIC -c -o "$d/libcbx.o" "$src/libcbx.c"
  cc_for "$cc" -shared -Wl,-soname,libcbx.so.1 -Wl,--disable-new-dtags,-rpath,/opt/cbx/lib \
    -o "$d/libcbx.so.1" "$d/libcbx.o"
  cc_for "$cc" -shared -Wl,-soname,libcbx-runpath.so.1 -Wl,-z,norelro \
    -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib:/usr/local/lib' \
    -o "$d/libcbx-runpath.so.1" "$d/libcbx.o"
  cc_for "$cc" -O2 -fPIE -pie -fstack-protector-strong -Wl,-z,relro,-z,now \
    -Wl,--enable-new-dtags,-rpath,'$ORIGIN' -o "$d/daemon-runpath" "$src/daemon.c" \
    "$d/libcbx.so.1"
  cc_for "$cc" -O2 -fno-pie -no-pie -Wl,--disable-new-dtags,-rpath,/tmp/cbx \
    -o "$d/daemon-rpath" "$src/daemon.c" "$d/libcbx.so.1"
  cc_for "$cc" -O2 -o "$d/tiny" "$src/tiny.c"
  rm -f "$d/libcbx.o"
}

build_arch x86-64 gcc
build_arch aarch64 aarch64-linux-gnu-gcc
build_arch armhf arm-linux-gnueabihf-gcc
build_arch mips mips-linux-gnu-gcc
build_arch mipsel mipsel-linux-gnu-gcc

# Real Debian amd64 binaries, as the mirror serves them.
mkdir -p "$out/debs"
(cd "$out/debs" && apt-get download -q busybox-static dropbear-bin openssh-client libssl3 \
  coreutils > /dev/null 2>&1)
for deb in "$out"/debs/*.deb; do
  dpkg-deb -x "$deb" "$out/debian/amd64"
done
rm -rf "$out/debs"

# Real Debian binaries of the other architectures: the cross packages' libraries.
for triple in aarch64-linux-gnu arm-linux-gnueabihf mips-linux-gnu mipsel-linux-gnu; do
  d=$out/debian/$triple
  mkdir -p "$d"
  for f in /usr/$triple/lib/*.so* /usr/$triple/lib/crt1.o; do
    [[ -f $f && ! -L $f ]] || continue
    head -c4 "$f" | grep -q $'\x7fELF' || continue  # libc.so is a linker script
    cp "$f" "$d/"
  done
done

# Every regular file that starts with the ELF magic (symbolic links and scripts left out).
(cd "$out" && find gen debian -type f -print0 | sort -z |
  while IFS= read -r -d '' f; do
    if [[ $(head -c4 "$f" | od -An -tx1 | tr -d ' \n') == 7f454c46 ]]; then echo "$f"; fi
  done) > "$out/list"
echo "$hash" > "$out/stamp"
