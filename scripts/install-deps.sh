#!/usr/bin/env bash
# Installs every Debian package clearbox needs to build, test and benchmark.
# Idempotent and quiet when everything is already there.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --bench    also the peers the benchmarks run (binwalk, nginx, wrk, ...)
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libssl-dev libarchive-dev libsquashfs-dev libext2fs-dev
  zlib1g-dev liblzma-dev libbz2-dev liblzo2-dev liblz4-dev libzstd-dev libdeflate-dev libfdt-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libboost-dev libsqlite3-dev libhyperscan-dev
  libcrypt-dev libyara-dev libmagic-dev libjansson-dev libcapstone-dev libpcap-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libfuzzer-14-dev libclang-rt-14-dev
)
test_pkgs=(
  squashfs-tools squashfs-tools-ng u-boot-tools device-tree-compiler android-sdk-libsparse-utils e2fsprogs genext2fs mtd-utils
  cpio zip unzip xz-utils bzip2 zstd lz4 lzop p7zip-full xorriso
  # disk images: FAT volumes (mkfs.vfat, mtools), MBR and GPT tables (sfdisk, sgdisk)
  dosfstools mtools fdisk gdisk
  golang-go golang-golang-x-mod-dev curl openssl python3 time
  # inventory: the independent checker of ELF hardening, and ELF samples of five architectures
  checksec binutils bc gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-mips-linux-gnu
  gcc-mipsel-linux-gnu libc6-dev-arm64-cross libc6-dev-armhf-cross libc6-dev-mips-cross
  libc6-dev-mipsel-cross dpkg-dev sqlite3
  # audit: Debian's yara (the rule scan's peer), headless Chromium (the HTML report's test),
  # ssh-keygen (OpenSSH keys and fingerprints in the accuracy images)
  yara chromium fonts-dejavu-core openssh-client
  erofs-utils  # unpack: mkfs.erofs builds the EROFS test images
  lzip ncompress  # unpack: real .lz and .Z streams for the legacy codec tests
  python3-securesystemslib  # release: the independent DSSE peer (tests/release_dsse_interop_test.sh)
  python3-nacl  # securesystemslib signs Ed25519 with it (its Recommends, not pulled in by --no-install-recommends)
  tcpdump tshark  # watch: captures for the tests, and the decoder's independent peer
  iproute2  # watch: ip netns and veth pairs for tests/watch_netns_test.sh
  diffoscope  # diff: the reproducible-builds differ clearbox diff --equivalence must agree with
  openssh-server  # maint: a real sshd checks the certificates and KRLs (tests/maint_sshd_test.sh)
  systemd  # maint audit: journald and journalctl give sshd a syslog (tests/maint_audit_test.sh)
)
bench_pkgs=(binwalk nginx wrk debootstrap hyperfine)

want=("${build_pkgs[@]}" "${test_pkgs[@]}")
if [[ "${1:-}" == "--bench" ]]; then want+=("${bench_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js runs the CycloneDX project's SBOM validator; the machine's own node is fine.
command -v npm >/dev/null || missing+=(nodejs npm)

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, pinned, under build/npm (tests/sbom_validate.js looks there).
npm_prefix=$(cd "$(dirname "$0")/.." && pwd)/build/npm
# The CycloneDX project's validator (SBOMs) and Microsoft's SARIF multitool (audit reports).
if [[ ! -f $npm_prefix/node_modules/@cyclonedx/cyclonedx-library/package.json ||
      ! -x $npm_prefix/node_modules/.bin/sarif-multitool ]]; then
  echo "installing: npm @cyclonedx/cyclonedx-library (+ JSON-schema validators), @microsoft/sarif-multitool" >&2
  mkdir -p "$npm_prefix"
  npm install --prefix "$npm_prefix" --no-audit --no-fund --loglevel=error \
    @cyclonedx/cyclonedx-library@10.3.0 ajv@8.20.0 ajv-formats@3.0.1 ajv-formats-draft2019@1.6.1 \
    @microsoft/sarif-multitool@5.7.0 >/dev/null
fi
