#!/usr/bin/env bash
# Integration test of `clearbox diff` over squashfs and tar images made here from a small root
# tree (files of Debian packages already installed):
#  - OLD -> NEW adds a telnetd start line, a setuid binary, an authorized key, changes an
#    account's shell and bumps busybox: each appears in the JSON diff in its section; exit 1;
#    an image diffed with itself: no change, exit 0; an unreadable image: exit 2;
#  - --format html: every section of the JSON with the same number of changes, in the
#    evaluator's order, the new setuid binary among the changed binaries and the new finding;
#    a file name that is an HTML injection stays text; in headless Chromium (when installed)
#    the page loads with no console message (no blocked script or fetch) and shows the count;
#    `clearbox audit NEW --format html --diff-from OLD` carries the same sections;
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

# --- --format html ---------------------------------------------------------------------------
# NEW plus a setuid binary whose name is an HTML injection (setuid and binaries sections).
hostile="<img src=x onerror=document.title='pwned'>\"q"
cp -a "$N" "$W/hostile"
cp /bin/true "$W/hostile/usr/bin/$hostile" && chmod 4755 "$W/hostile/usr/bin/$hostile"
squash "$W/hostile" "$W/hostile.img"
html_check() {  # $1: HTML page, $2: the JSON diff of the same images
  python3 - "$1" "$2" <<'PY' || fail "$1 does not show what $2 says"
import html.parser, json, re, sys
page, d = open(sys.argv[1], encoding="utf-8").read(), json.load(open(sys.argv[2]))
class Sections(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.order, self.counts, self.summary = [], {}, {}
        self.tags = set()
    def handle_starttag(self, tag, attrs):
        a = dict(attrs); self.tags.add(tag)
        if tag == "section" and "data-section" in a:
            self.order.append(a["data-section"]); self.counts[a["data-section"]] = int(a["data-changes"])
        if a.get("id") == "diff-summary": self.summary = a
p = Sections(); p.feed(page)
expected = ["accounts", "services", "keys", "endpoints", "setuid", "components", "findings", "binaries"]
assert p.order == expected, f"sections {p.order}"
for name, changes in d["sections"].items():
    assert p.counts[name] == len(changes), f"{name}: page {p.counts[name]}, JSON {len(changes)}"
    for c in changes:
        assert c["name"] in html.unescape(page) or name == "findings", f"{name}: {c['name']} not shown"
    if not changes: assert f'data-section="{name}" data-changes="0">' in page
assert int(p.summary["data-changes"]) == d["changes"]
new = [c for c in d["sections"]["findings"] if c["change"] == "new"]
assert int(p.summary["data-new-findings"]) == len(new)
for c in new:  # the finding's check and message are shown
    check, message = c["new"].split(" ", 1)[1].split(": ", 1)
    assert check in page and html.escape(message, quote=True).replace("&#x27;", "&#39;") in page, c["new"]
assert "img" not in p.tags and "script" not in p.tags, f"an element from the image: {p.tags}"
print(f"{sys.argv[1]}: {d['changes']} changes in {sum(1 for v in p.counts.values() if v)} sections, "
      f"{len(new)} new findings")
PY
}
rc=0
"$CLEARBOX" diff "$W/old.img" "$W/new.img" --format html -o "$W/diff.html" || rc=$?
[[ $rc == 1 ]] || fail "diff --format html exited $rc, expected 1 (changes)"
html_check "$W/diff.html" "$W/diff.json"
grep -q 'data-change="added"><td><span class="chg added">added</span></td><td class="mono path">squashfs:/usr/bin/helper</td>' \
  <(sed -n '/data-section="binaries"/,/<\/section>/p' "$W/diff.html") ||
  fail "diff.html: /usr/bin/helper is not among the changed binaries"
grep -q '<td class="mono check">CB-SVC-[0-9]*</td>' "$W/diff.html" || fail "diff.html: no new CB-SVC finding"
"$CLEARBOX" diff "$W/old.img" "$W/hostile.img" --json -o "$W/hostile.json" || true
"$CLEARBOX" diff "$W/old.img" "$W/hostile.img" --format html -o "$W/hostile.html" || true
html_check "$W/hostile.html" "$W/hostile.json"
grep -q 'squashfs:/usr/bin/&lt;img src=x onerror=document.title=&#39;pwned&#39;&gt;&quot;q' \
  "$W/hostile.html" || fail "hostile.html: the hostile file name is not shown escaped"
"$CLEARBOX" diff "$W/old.img" "$W/old.img" --format html -o "$W/same.html" ||
  fail "an image diffed with itself, --format html: not exit 0"
[[ $(grep -c 'No change.' "$W/same.html") == 8 ]] || fail "same.html: not 8 sections with 'No change.'"
grep -q 'data-verdict="pass"' "$W/same.html" || fail "same.html: the summary is not 'pass'"
for bad in "--json --format html" "--equivalence --format html"; do
  rc=0
  "$CLEARBOX" diff "$W/old.img" "$W/new.img" $bad >/dev/null 2>"$W/err" || rc=$?
  [[ $rc == 2 ]] || fail "diff $bad: exit $rc, expected 2 (usage)"
done
rc=0
"$CLEARBOX" audit "$W/hostile.img" --format html --diff-from "$W/old.img" -o "$W/audit.html" \
  2>"$W/audit.err" || rc=$?
[[ $rc == 0 || $rc == 1 ]] || fail "audit --diff-from exited $rc: $(cat "$W/audit.err")"
grep -q '<h2 id="changes">Changes since' "$W/audit.html" || fail "audit.html: no Changes section"
html_check "$W/audit.html" "$W/hostile.json"
rc=0
"$CLEARBOX" audit "$W/new.img" --format json --diff-from "$W/old.img" >/dev/null 2>"$W/err" || rc=$?
[[ $rc == 2 ]] || fail "audit --format json --diff-from: exit $rc, expected 2"

chromium=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $chromium ]]; then
  [[ ${CLEARBOX_REQUIRE_VALIDATORS:-} == 1 ]] && fail "chromium not found (scripts/install-deps.sh)"
  echo "SKIP (browser checks): Debian's chromium is not installed (apt-get install chromium)"
else
  for page in hostile.html audit.html; do
    # Console messages (a script or a fetch the page's policy blocked, an error) go to the log.
    timeout 120 "$chromium" --headless --disable-gpu --no-sandbox --no-first-run \
      --user-data-dir="$W/chromium" --enable-logging=stderr --v=0 --dump-dom \
      "file://$W/$page" >"$W/dom.html" 2>"$W/chromium.log" ||
      fail "chromium --dump-dom $page failed: $(tail -3 "$W/chromium.log")"
    if grep ':CONSOLE' "$W/chromium.log" >&2; then fail "$page: console messages in Chromium"; fi
    python3 - "$W/dom.html" "$W/hostile.json" <<'PY' || fail "$page in Chromium"
import json, re, sys
dom, d = open(sys.argv[1], encoding="utf-8").read(), json.load(open(sys.argv[2]))
m = re.search(r'<b id="change-count">(\d+)</b>', dom)
assert m and int(m.group(1)) == d["changes"], f"shown count {m and m.group(1)} != {d['changes']}"
assert "<img" not in dom and "<title>pwned" not in dom, "markup or a script from a file name"
assert "onerror=document.title=" in dom, "the hostile name is not shown as text"
PY
  done
fi
echo "PASS diff --format html: sections as in the JSON, hostile name escaped${chromium:+, no console message in Chromium}"

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
