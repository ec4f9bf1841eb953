#!/usr/bin/env bash
# The device gate links alone: examples/device_gate links only libclearbox_gate.a and its
# dependencies (core, crypto, release, tlog_verify), never the auditor, the unpacker, the
# inventory, the reports, the network client or the log's server half, and pulls in no
# libarchive, YARA, Boost, Hyperscan, SQLite, Capstone or libssl. Prints the sizes that
# docs/gate.md reports.
set -euo pipefail
SRC=${CLEARBOX_SOURCE:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${CLEARBOX_BUILD:-$SRC/build}
source "$SRC/tests/lib.sh"
PROGRAM=$BUILD/examples/device_gate/device_gate
[[ -x $PROGRAM ]] || fail "no $PROGRAM (build the device_gate target)"

# 1. The static libraries on its link line.
command -v ninja >/dev/null && [[ -f $BUILD/build.ninja ]] && {
  link=$(ninja -C "$BUILD" -t commands device_gate | tail -1)
  libs=$(tr ' ' '\n' <<<"$link" | grep -oE 'libclearbox_[a-z_]+\.a' | sort -u | tr '\n' ' ')
  [[ $libs == "libclearbox_core.a libclearbox_crypto.a libclearbox_gate.a libclearbox_release.a libclearbox_tlog_verify.a " ]] ||
    fail "device_gate links $libs"
  if grep -qiE 'archive|yara|boost|hs\b|hyperscan|sqlite|capstone|libssl' <<<"$link"; then
    fail "the link line names a library the gate must not need: $link"
  fi
}

# 2. No symbol of a module the gate must not contain.
nm -C "$PROGRAM" >"$W/nm"
forbidden='clearbox::(unpack|audit|inventory|report|diff|net)::'
forbidden+='|clearbox::tlog::(Sequencer|LogServer|LogClient|LogMonitor|LogStorage|Witness(Cosigner|Transport)?|TileHashCache)\b'
if grep -E "$forbidden" "$W/nm" >"$W/bad"; then
  fail "device_gate contains $(wc -l <"$W/bad") symbols it must not, e.g. $(head -3 "$W/bad")"
fi
grep -q 'clearbox::gate::Decide' "$W/nm" || fail "no clearbox::gate::Decide in device_gate"

# 3. No shared library beyond libc, libstdc++, libcrypto and libdeflate.
ldd "$PROGRAM" >"$W/ldd"
if grep -iE 'archive|yara|boost|hs\.so|sqlite|capstone|libssl|squashfs|ext2fs|lzma|zstd' "$W/ldd"; then
  fail "device_gate loads a library the gate must not need"
fi

# 4. The sizes (docs/gate.md).
size_of() { stat -c %s "$1"; }
gate_a=$(size_of "$BUILD/src/libclearbox_gate.a")
deps=0
for m in gate release tlog_verify crypto core; do deps=$((deps + $(size_of "$BUILD/src/libclearbox_$m.a"))); done
strip -o "$W/device_gate.stripped" "$PROGRAM"
echo "libclearbox_gate.a: $gate_a bytes; with release, tlog_verify, crypto, core: $deps bytes"
echo "device_gate: $(size_of "$PROGRAM") bytes, stripped $(size_of "$W/device_gate.stripped") bytes"
echo "PASS"
