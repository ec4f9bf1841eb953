#!/usr/bin/env bash
# Builds the real binaries the version-signature test scans (tests/inventory_signatures_test.cc):
#   OUTDIR/debs/*.deb         Debian bookworm amd64 packages, by `apt-get download`
#   OUTDIR/pkg/<package>/     each package extracted with dpkg-deb -x
#   OUTDIR/corpus/<name>      kernels and U-Boot decompressed from /work/shared/corpus/real
#   OUTDIR/manifest.tsv       kind<TAB>name<TAB>version<TAB>dir (one line per package/sample)
# Cached: nothing is redone while OUTDIR/stamp holds the hash of this script and the rules.
# Any download or extraction that fails stops the script with an error (no silent skips).
#
# Usage: build-signature-samples.sh OUTDIR [CORPUS_DIR]
set -euo pipefail

out=${1:?usage: $0 OUTDIR [CORPUS_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
corpus=${2:-$here/../../../shared/corpus/real}
rules=$here/../../rules/versions.json

# The packages that carry each component (one per component at least; a few more where the
# version string lives in a sibling package, e.g. OpenSSH's client tools).
packages=(
  busybox-static dropbear-bin openssh-server openssh-client openssl libssl3 libgnutls30 libc6
  musl lighttpd nginx mini-httpd dnsmasq-base curl libcurl4 hostapd wpasupplicant
  libsmbclient libwbclient0 openvpn iptables ebtables zlib1g libsqlite3-0 libpcap0.8 ppp
  miniupnpd-iptables avahi-daemon ntpsec chrony strongswan-charon libstrongswan frr snmpd
  libsnmp40 vsftpd proftpd-core e2fsprogs libexpat1 libxml2 libpcre3 libpcre2-8-0
  libmbedcrypto7 libwolfssl35 u-boot-qemu
)

stamp=$(cat "$0" "$rules" | sha256sum | cut -d' ' -f1)
if [[ -f $out/stamp && $(cat "$out/stamp") == "$stamp" && -f $out/manifest.tsv ]]; then
  exit 0
fi

rm -rf "$out"
mkdir -p "$out/debs" "$out/pkg" "$out/corpus"
manifest=$out/manifest.tsv.tmp
: >"$manifest"

# apt-get download exits non-zero when any package cannot be fetched: stop and show why.
if ! (cd "$out/debs" && apt-get download -q "${packages[@]/%/:amd64}") >"$out/apt.log" 2>&1; then
  cat "$out/apt.log" >&2
  echo "build-signature-samples: apt-get download failed" >&2
  exit 1
fi
for p in "${packages[@]}"; do
  shopt -s nullglob
  debs=("$out/debs/${p}_"*_amd64.deb "$out/debs/${p}_"*_all.deb)
  shopt -u nullglob
  if [[ ${#debs[@]} -ne 1 ]]; then
    echo "build-signature-samples: $p: expected one downloaded .deb, found ${#debs[@]}" >&2
    exit 1
  fi
  version=$(dpkg-deb -f "${debs[0]}" Version)
  dpkg-deb -x "${debs[0]}" "$out/pkg/$p"
  printf 'deb\t%s\t%s\tpkg/%s\n' "$p" "$version" "$p" >>"$manifest"
done

# Real kernels and boot loaders from the shared corpus, decompressed (the signatures read
# plain bytes; decompression is the unpacker's job in production).
python3 - "$corpus" "$out/corpus" "$manifest" <<'EOF'
import lzma, os, sys, zlib
corpus, outdir, manifest = sys.argv[1:4]

def read(name):
    with open(os.path.join(corpus, name), 'rb') as f:
        return f.read()

def gunzip_at_magic(data):
    start = data.index(b'\x1f\x8b\x08')
    return zlib.decompressobj(31).decompress(data[start:])

def unxz_at_magic(data):
    start = data.index(b'\xfd7zXZ\x00')
    return lzma.LZMADecompressor().decompress(data[start:])

def unlzma_alone(data, offset):
    d = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
    return d.decompress(data[offset:], max_length=64 << 20)

# name, source file, how, expected component@version (from the corpus README / the bytes)
samples = [
    ('linux_5.4.72_x86_gzip.kernel', 'linux_bzImage_x86_gzip_5.4.72.bin', gunzip_at_magic,
     'linux-kernel@5.4.72'),
    ('linux_5.4.72_x86_xz.kernel', 'linux_bzImage_x86_xz_5.4.72.bin', unxz_at_magic,
     'linux-kernel@5.4.72'),
    ('tplink_mr3020_mips.kernel', 'tplink_tl-mr3020_v1_fw.tpl',
     lambda d: unlzma_alone(d, 0x20400), 'linux-kernel@2.6.31'),
    ('tplink_mr3020_uboot.bin', 'tplink_tl-mr3020_v1_fw.tpl',
     lambda d: unlzma_alone(d, 0x3c80 + 64), 'u-boot@1.1.4'),
    ('tplink_uimage_uboot.bin', 'tplink_uboot_uimage_mips_truncated.bin',
     lambda d: unlzma_alone(d, 0x40), 'u-boot@1.1.4'),
    ('tplink_tl-mr3020_v1_fw.tpl', 'tplink_tl-mr3020_v1_fw.tpl', lambda d: d, 'u-boot@1.1.4'),
]
with open(manifest, 'a') as m:
    for name, source, how, expected in samples:
        data = how(read(source))
        if len(data) < 4096:
            sys.exit(f'build-signature-samples: {name}: only {len(data)} bytes from {source}')
        with open(os.path.join(outdir, name), 'wb') as f:
            f.write(data)
        m.write(f'corpus\t{name}\t{expected}\tcorpus/{name}\n')
EOF

mv "$manifest" "$out/manifest.tsv"
echo "$stamp" >"$out/stamp"
