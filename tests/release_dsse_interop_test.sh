#!/usr/bin/env bash
# DSSE envelopes against an independent implementation, both ways (issue 13): Debian's
# python3-securesystemslib verifies what `clearbox pledge sign` and `clearbox release create`
# sign (and agrees on the keyid), and `clearbox release show --trust` verifies what
# securesystemslib signs with an Ed25519 key and with an ECDSA P-256 key. Tampering with
# either side's envelope is refused by clearbox.
set -euo pipefail
CLEARBOX=${CLEARBOX:?CLEARBOX: the clearbox binary}
SRC=${CLEARBOX_SOURCE:-$(cd "$(dirname "$0")/.." && pwd)}
source "$SRC/tests/lib.sh"
PY=/usr/bin/python3  # Debian's python: the one that sees python3-securesystemslib
HELPER=$SRC/tests/release/sslib_dsse.py
if ! $PY -c 'import securesystemslib.signer' 2>/dev/null; then
  [[ -z ${CLEARBOX_REQUIRE_VALIDATORS:-} ]] || fail "python3-securesystemslib is not installed"
  echo "SKIP: no python3-securesystemslib (scripts/install-deps.sh)"
  exit 0
fi
cd "$W"

# (a) clearbox signs, securesystemslib verifies.
"$CLEARBOX" key generate vendor.example -o vendor.key >vendor.pub 2>/dev/null
"$CLEARBOX" pledge sign "$SRC/docs/examples/pledge.json" --key vendor.key -o pledge.dsse.json 2>/dev/null ||
  fail "pledge sign"
head -c 65536 /dev/urandom >fw.bin
"$CLEARBOX" release create fw.bin --key vendor.key --pledge pledge.dsse.json --version 2.4.1 \
  --security-version 7 --source-revision git:0123abc -o release.dsse.json 2>/dev/null || fail "release create"
for env in pledge.dsse.json release.dsse.json; do
  out=$($PY "$HELPER" verify $env vendor.pub) || fail "securesystemslib refuses $env: $out"
  echo "$out"
done

# (b) securesystemslib signs, clearbox verifies: Ed25519 (note verifier key) and P-256 (PEM).
for kind in ed25519 ecdsa; do
  $PY "$HELPER" sign $kind sslib-$kind.json sslib-$kind.pub >/dev/null || fail "securesystemslib sign $kind"
  out=$("$CLEARBOX" release show sslib-$kind.json --trust sslib-$kind.pub) ||
    fail "clearbox refuses the securesystemslib $kind envelope: $out"
  grep -q '^verified: signed by ' <<<"$out" || fail "$kind: no 'verified' line: $out"
  echo "clearbox: securesystemslib $kind envelope verified"

  # A changed payload (one character of the statement) is refused with exit 1.
  $PY - sslib-$kind.json tampered-$kind.json <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))
payload = base64.b64decode(env["payload"]).replace(b'"securityVersion":3', b'"securityVersion":4')
env["payload"] = base64.b64encode(payload).decode()
json.dump(env, open(sys.argv[2], "w"))
PY
  rc=0
  "$CLEARBOX" release show tampered-$kind.json --trust sslib-$kind.pub >/dev/null 2>err.txt || rc=$?
  [[ $rc == 1 ]] || fail "$kind: tampered envelope: exit $rc, want 1"
  grep -q "none of its 1 signature(s) verifies" err.txt || fail "$kind: unexpected error: $(cat err.txt)"
done

# The wrong key: clearbox's vendor key does not verify securesystemslib's envelope.
rc=0
"$CLEARBOX" release show sslib-ed25519.json --trust vendor.pub >/dev/null 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "an untrusted signer was accepted (exit $rc)"
echo "PASS"
