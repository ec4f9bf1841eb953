#!/usr/bin/env bash
# Integration test of `clearbox diff` over squashfs and tar images made here from a small root
# tree (files of Debian packages already installed):
#  - OLD -> NEW adds a telnetd start line, a setuid binary, an authorized key, changes an
#    account's shell and bumps busybox: each appears in the JSON diff in its section; exit 1;
#    an image diffed with itself: no change, exit 0; an unreadable image: exit 2;
#  - --equivalence: two tar archives of the same tree with other timestamps and entry order
#    (and two squashfs images with other timestamps) are equivalent, exit 0; one byte changed
#    in one binary: not equivalent, naming that file, the offset and the ELF section, exit 1;
#  - Debian's diffoscope and clearbox agree on which files differ (tests/diffoscope_files.py).
# CTest sets CLEARBOX and CLEARBOX_SOURCE. By hand:
#   CLEARBOX=build/clearbox bash tests/diff_images_test.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CLEARBOX=${CLEARBOX:?CLEARBOX: the clearbox binary}
source "$HERE/lib.sh"
for tool in mksquashfs ssh-keygen python3; do
  command -v $tool >/dev/null || fail "$tool not found (scripts/install-deps.sh)"
done
squash() { mksquashfs "$1" "$2" -noappend -all-root -no-progress -quiet "${@:3}" >/dev/null; }
json_check() {  # $1: JSON file, $2: a Python expression over `d` that must be true
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
    "$1" "$2" || fail "$1: expected $2"
}

# --- OLD and NEW ----------------------------------------------------------------------------
O=$W/old
mkdir -p "$O/etc/init.d" "$O/bin" "$O/usr/sbin" "$O/usr/bin" "$O/root/.ssh"
printf 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1::/:/usr/sbin/nologin\n' >"$O/etc/passwd"
printf 'root:$6$salt$abcdefgh:19675:0:99999:7:::\ndaemon:*:19675:0:99999:7:::\n' >"$O/etc/shadow"
printf '::sysinit:/etc/init.d/rcS\n' >"$O/etc/inittab"
printf '#!/bin/sh\n/usr/sbin/dropbear -p 22\n' >"$O/etc/init.d/rcS"
chmod 755 "$O/etc/init.d/rcS"
printf '\x7fELF-not-really\0BusyBox v1.30.1 (2019-01-01 00:00:00 UTC) multi-call binary\0' \
  >"$O/bin/busybox"
printf 'banner\0SSH-2.0-dropbear_2022.83\0' >"$O/usr/sbin/dropbear"
cp /bin/true "$O/bin/true"
cp /bin/true "$O/bin/su" && chmod 4755 "$O/bin/su"
N=$W/new
cp -a "$O" "$N"
echo '::respawn:/usr/sbin/telnetd -F -l /bin/login' >>"$N/etc/inittab"
cp /bin/true "$N/usr/bin/helper" && chmod 4755 "$N/usr/bin/helper"
sed -i 's|^daemon:x:1:1::/:/usr/sbin/nologin|daemon:x:1:1::/:/bin/sh|' "$N/etc/passwd"
ssh-keygen -q -t ed25519 -N '' -C vendor@factory -f "$W/vendor_key"
cp "$W/vendor_key.pub" "$N/root/.ssh/authorized_keys"
fingerprint=$(ssh-keygen -l -f "$W/vendor_key.pub" | awk '{print $2}')
printf '\x7fELF-not-really\0BusyBox v1.36.1 (2023-01-01 00:00:00 UTC) multi-call binary\0' \
  >"$N/bin/busybox"
squash "$O" "$W/old.img"
squash "$N" "$W/new.img"

rc=0
"$CLEARBOX" diff "$W/old.img" "$W/new.img" --json -o "$W/diff.json" || rc=$?
[[ $rc == 1 ]] || fail "diff OLD NEW exited $rc, expected 1 (changes)"
json_check "$W/diff.json" 'any(c["name"] == "telnetd" and c["change"] == "added" for c in d["sections"]["services"])'
json_check "$W/diff.json" 'any(c["name"] == "squashfs:/usr/bin/helper" and c["change"] == "added" and "setuid" in c["new"] for c in d["sections"]["setuid"])'
json_check "$W/diff.json" 'any(c["name"] == "daemon" and c["change"] == "changed" and "shell: /usr/sbin/nologin -> /bin/sh" in c["details"] for c in d["sections"]["accounts"])'
json_check "$W/diff.json" "any(c['name'] == '$fingerprint' and c['change'] == 'added' for c in d['sections']['keys'])"
json_check "$W/diff.json" 'any(c["name"] == "busybox" and c["change"] == "upgraded" and c["old"] == "1.30.1" and c["new"] == "1.36.1" for c in d["sections"]["components"])'
json_check "$W/diff.json" 'any(c["change"] == "new" and "CB-SVC" in c["old" if c["old"] else "new"] for c in d["sections"]["findings"])'
json_check "$W/diff.json" 'd["changes"] == sum(len(v) for v in d["sections"].values())'
"$CLEARBOX" diff "$W/old.img" "$W/new.img" >"$W/diff.txt" || true
grep -q 'telnetd' "$W/diff.txt" || fail "the text diff does not name telnetd"
echo "PASS diff: services, setuid, accounts, keys, components and findings"

rc=0
"$CLEARBOX" diff "$W/old.img" "$W/old.img" >"$W/same.txt" || rc=$?
[[ $rc == 0 ]] || fail "an image diffed with itself exited $rc: $(cat "$W/same.txt")"
grep -q 'no security-relevant change' "$W/same.txt" || fail "no 'no security-relevant change'"
rc=0
"$CLEARBOX" diff "$W/old.img" "$W/missing.img" 2>"$W/err" || rc=$?
[[ $rc == 2 ]] && grep -q missing.img "$W/err" || fail "a missing image: exit $rc, $(cat "$W/err")"
echo "PASS diff: exit 0 when nothing changed, 2 for an unreadable image"

# --- --equivalence ----------------------------------------------------------------------------
# The same tree, other timestamps and another entry order.
tar -C "$O" --sort=name --mtime=@1000000000 -cf "$W/a.tar" .
(cd "$O" && find . -mindepth 1 | sort -r) >"$W/reverse.list"
tar -C "$O" --no-recursion --mtime=@1700000000 -T "$W/reverse.list" -cf "$W/b.tar"
cmp -s "$W/a.tar" "$W/b.tar" && fail "the two tar archives are the same bytes"
"$CLEARBOX" diff --equivalence "$W/a.tar" "$W/b.tar" >"$W/eq.txt" ||
  fail "two tars of one tree are not equivalent: $(cat "$W/eq.txt")"
grep -q '^EQUIVALENT' "$W/eq.txt" || fail "no EQUIVALENT line"
cp -a "$O" "$W/touched" && find "$W/touched" -exec touch -h -d '2001-02-03 04:05:06' {} +
squash "$W/touched" "$W/touched.img"
"$CLEARBOX" diff --equivalence "$W/old.img" "$W/touched.img" --json -o "$W/eq.json" ||
  fail "squashfs images with other timestamps are not equivalent: $(cat "$W/eq.json")"
json_check "$W/eq.json" 'd["equivalent"] and any("timestamps" in n for n in d["normalised"])'

# One byte of one binary.
cp -a "$O" "$W/patched"
offset=$((0x1010))
python3 - "$W/patched/bin/true" $offset <<'PY'
import sys
path, at = sys.argv[1], int(sys.argv[2])
b = bytearray(open(path, "rb").read()); b[at] ^= 0xff; open(path, "wb").write(b)
PY
squash "$W/patched" "$W/patched.img"
rc=0
"$CLEARBOX" diff --equivalence "$W/old.img" "$W/patched.img" --json -o "$W/neq.json" || rc=$?
[[ $rc == 1 ]] || fail "one byte changed: exit $rc, expected 1"
json_check "$W/neq.json" "not d['equivalent'] and [x['path'] for x in d['differences']] == ['squashfs:/bin/true'] and d['differences'][0]['offset'] == $offset and d['differences'][0]['section'].startswith('.')"
"$CLEARBOX" diff --equivalence "$W/old.img" "$W/patched.img" >"$W/neq.txt" || true
grep -q "squashfs:/bin/true at offset $offset" "$W/neq.txt" || fail "text: $(cat "$W/neq.txt")"
echo "PASS equivalence: timestamps and order normalised; one byte found: $(grep bin/true "$W/neq.txt")"

# --- diffoscope agrees on which files differ --------------------------------------------------
if ! command -v diffoscope >/dev/null; then
  [[ ${CLEARBOX_REQUIRE_VALIDATORS:-} == 1 ]] && fail "diffoscope not found (scripts/install-deps.sh)"
  echo "SKIP (diffoscope agreement): diffoscope not found (scripts/install-deps.sh)"
  exit 0
fi
for pair in "old.img new.img" "old.img patched.img"; do
  set -- $pair
  diffoscope --json "$W/dfs.json" "$W/$1" "$W/$2" >/dev/null 2>"$W/dfs.err" || true
  [[ -s $W/dfs.json ]] || fail "diffoscope wrote nothing: $(tail -3 "$W/dfs.err")"
  python3 "$HERE/diffoscope_files.py" "$W/dfs.json" >"$W/dfs.files"
  "$CLEARBOX" diff --equivalence "$W/$1" "$W/$2" --json -o "$W/cb.json" || true
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for x in d["differences"]:
    if x["difference"] == "content": print(x["path"].split(":", 1)[1])' "$W/cb.json" | sort >"$W/cb.files"
  diff -u "$W/dfs.files" "$W/cb.files" >&2 || fail "diffoscope and clearbox disagree on $1 vs $2"
  echo "PASS diffoscope agrees on $1 vs $2: $(tr '\n' ' ' <"$W/cb.files")"
done
