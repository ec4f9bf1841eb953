#!/usr/bin/env bash
# Builds the magic-password samples (tests/images/audit/magic.*.c) for every architecture the
# project cross-compiles to, at -O2 as firmware daemons are built:
#   magic.samples.sh OUTDIR    -> OUTDIR/<arch>/<name>  (name: shell, telnet, decoy)
# Cached (OUTDIR/stamp holds the hash of this script and the sources) and serialised with
# flock, so the unit tests and the accuracy area can share one build.
set -euo pipefail
out=${1:?usage: magic.samples.sh OUTDIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$out"
exec 9>"$out.lock"
flock 9
hash=$(cat "${BASH_SOURCE[0]}" "$here"/magic.*.c | sha256sum | cut -d' ' -f1)
if [[ -f $out/stamp && $(cat "$out/stamp") == "$hash" ]]; then
  exit 0
fi
rm -rf "${out:?}"/*
for pair in x86-64:gcc aarch64:aarch64-linux-gnu-gcc armhf:arm-linux-gnueabihf-gcc \
            mips:mips-linux-gnu-gcc mipsel:mipsel-linux-gnu-gcc; do
  arch=${pair%%:*} cc=${pair#*:}
  command -v "$cc" >/dev/null || { echo "magic.samples.sh: $cc not found" >&2; exit 1; }
  mkdir -p "$out/$arch"
  for name in shell telnet decoy; do
    "$cc" -O2 -g0 -ffile-prefix-map="$here"=. -o "$out/$arch/$name" "$here/magic.$name.c"
  done
done
echo "$hash" >"$out/stamp"
