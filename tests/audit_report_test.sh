#!/usr/bin/env bash
# Integration test of `clearbox audit`'s reports and CLI over a small squashfs made here (an
# empty root password, busybox and dropbear versions with known CVEs, a file name that is an
# HTML injection):
#  - --format all writes report.sarif, report.json, report.html, sbom.cdx.json; every SARIF is
#    accepted by Microsoft's validator (no error, no warning);
#  - the HTML opened in headless Chromium shows the finding count of the JSON (as text and in
#    data-findings), the injected name stays text, and its screenshot is not blank;
#  - --fail-on exit codes; --baseline with the first run's SARIF suppresses exactly its
#    findings (0 reported, N suppressed); a bad --pledge/--baseline/--vulndb exits 2 naming
#    the file.
# CTest sets CLEARBOX, CLEARBOX_BUILD, CLEARBOX_SOURCE. By hand:
#   CLEARBOX=build/clearbox CLEARBOX_BUILD=build bash tests/audit_report_test.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CLEARBOX=${CLEARBOX:?CLEARBOX: the clearbox binary}
CLEARBOX_SOURCE=${CLEARBOX_SOURCE:-$(cd "$HERE/.." && pwd)}
source "$HERE/lib.sh"
command -v mksquashfs >/dev/null || fail "mksquashfs not found (scripts/install-deps.sh)"

# --- the image -------------------------------------------------------------------------
R=$W/rootfs
mkdir -p "$R/etc" "$R/bin" "$R/usr/sbin" "$R/www"
printf 'root::0:0:root:/root:/bin/sh\ndaemon:x:1:1::/:/usr/sbin/nologin\n' >"$R/etc/passwd"
printf 'root::19675:0:99999:7:::\ndaemon:*:19675:0:99999:7:::\n' >"$R/etc/shadow"
printf '\x7fELF-not-really\0BusyBox v1.30.1 (2019-01-01 00:00:00 UTC) multi-call binary\0' \
  >"$R/bin/busybox"
printf 'banner\0SSH-2.0-dropbear_2016.72\0' >"$R/usr/sbin/dropbear"
cp /bin/true "$R/bin/true"  # one real ELF for the hardening table
hostile="<img src=x onerror=document.title='pwned'>.cgi"
echo 'echo hi' >"$R/www/$hostile"
mksquashfs "$R" "$W/fw.img" -noappend -all-root -no-progress -quiet >/dev/null
"$CLEARBOX" vulndb import "$CLEARBOX_SOURCE/tests/data/advisories/nvd" --db "$W/vulns.db" \
  >/dev/null

json_get() {  # $1: JSON file, $2: a Python expression over `d`
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# --- --format all --------------------------------------------------------------------------
rc=0
"$CLEARBOX" audit "$W/fw.img" --vulndb "$W/vulns.db" --format all -o "$W/out" \
  >"$W/out.txt" 2>"$W/out.err" || rc=$?
[[ $rc -eq 1 ]] || { cat "$W/out.err" >&2; fail "audit with critical findings exited $rc, not 1"; }
for f in report.sarif report.json report.html sbom.cdx.json; do
  [[ -s $W/out/$f ]] || fail "--format all did not write $f"
done
[[ ! -s $W/out.err ]] || { cat "$W/out.err" >&2; fail "stderr is not quiet when not a terminal"; }
validate_sarif "$W/out/report.sarif"
n=$(json_get "$W/out/report.json" 'len(d["findings"])')
[[ $n -ge 3 ]] || fail "expected at least 3 findings, got $n"
vulns=$(json_get "$W/out/report.json" \
  '" ".join(sorted(f["evidence"][0]["excerpt"].split(":")[0] for f in d["findings"] if f["check_id"] == "CB-VULN-001"))')
[[ $vulns == "CVE-2016-7406 CVE-2022-48174" ]] || fail "CB-VULN-001 findings: '$vulns'"
[[ $(json_get "$W/out/report.sarif" 'len(d["runs"][0]["results"])') == "$n" ]] ||
  fail "SARIF and JSON disagree on the number of findings"
grep -q "CVE-2022-48174" "$W/out/sbom.cdx.json" || fail "the SBOM lacks the vulnerabilities"
grep -q "$n findings" "$W/out.txt" || fail "the text summary on stdout lacks the count"

# --- the HTML in a browser -------------------------------------------------------------------
html=$W/out/report.html
grep -q "data-findings=\"$n\"" "$html" || fail "report.html: data-findings is not $n"
grep -q 'ELF hardening (1 files)' "$html" || fail "report.html: no ELF hardening row for /bin/true"
grep -q '<span class="mono">true</span>' "$html" || fail "report.html: /bin/true not in the tree"
grep -q '&lt;img src=x onerror=document.title=&#39;pwned&#39;&gt;.cgi' "$html" ||
  fail "report.html: the hostile file name is not shown escaped"
if grep -q '<img' "$html"; then fail "report.html: an <img> element from the image"; fi
chromium=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $chromium ]]; then
  echo "SKIP (browser checks): Debian's chromium is not installed (apt-get install chromium)"
else
  browse() {
    timeout 120 "$chromium" --headless --disable-gpu --no-sandbox --no-first-run \
      --user-data-dir="$W/chromium" "$@" "file://$html" 2>>"$W/chromium.log"
  }
  browse --dump-dom >"$W/dom.html" || fail "chromium --dump-dom failed (see $W/chromium.log)"
  python3 - "$W/dom.html" "$n" <<'PY' || fail "the page in Chromium"
import re, sys
dom, n = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
m = re.search(r'id="verdict"[^>]*data-findings="(\d+)"', dom)
assert m and m.group(1) == n, f"data-findings {m and m.group(1)} != JSON's {n}"
m = re.search(r'<b id="finding-count">(\d+)</b> findings', dom)
assert m and m.group(1) == n, f"shown count {m and m.group(1)} != JSON's {n}"
assert len(re.findall(r'<article class="finding ', dom)) == int(n), "findings listed"
assert "<img" not in dom, "an element was injected by a file name"
assert "onerror=document.title=" in dom, "the file name is not shown as text"
assert "<title>pwned" not in dom, "a script from a file name ran"
assert "No pledge given" in dom
PY
  browse --screenshot="$W/shot.png" --window-size=1280,2000 >/dev/null ||
    fail "chromium --screenshot failed (see $W/chromium.log)"
  python3 - "$W/shot.png" <<'PY' || fail "the screenshot of report.html is blank"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR": ihdr = struct.unpack(">IIBBBBB", body)
    if kind == b"IDAT": idat += body
    pos += 12 + length
width, height, depth, ctype = ihdr[:4]
assert depth == 8 and ctype in (2, 6), f"PNG colour type {ctype}/{depth}"
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), width * bpp
prev, colours, out = bytearray(stride), set(), 0
for y in range(height):
    f, line = raw[out], bytearray(raw[out + 1:out + 1 + stride]); out += 1 + stride
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0:
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp * 2))
    prev = line
print(f"screenshot {width}x{height}: {len(colours)} distinct colours")
assert len(colours) >= 16, "blank or nearly blank"
PY
fi

# --- --fail-on ---------------------------------------------------------------------------------
for case in "critical 1" "info 1"; do
  set -- $case
  rc=0; "$CLEARBOX" audit "$W/fw.img" --fail-on "$1" >/dev/null 2>&1 || rc=$?
  [[ $rc -eq $2 ]] || fail "--fail-on $1 exited $rc, not $2"
done
rc=0; "$CLEARBOX" audit "$W/fw.img" --check CB-ACCT-001 --fail-on info >/dev/null 2>&1 || rc=$?
[[ $rc -eq 0 ]] || fail "a clean audit exited $rc, not 0"

# --- --baseline: the first run's findings accepted ------------------------------------------------
rc=0
"$CLEARBOX" audit "$W/fw.img" --vulndb "$W/vulns.db" --baseline "$W/out/report.sarif" \
  --format all -o "$W/again" >/dev/null 2>&1 || rc=$?
[[ $rc -eq 0 ]] || fail "the audit against its own baseline exited $rc, not 0"
validate_sarif "$W/again/report.sarif"
[[ $(json_get "$W/again/report.json" 'len(d["findings"])') == 0 ]] ||
  fail "the baseline did not suppress every accepted finding"
[[ $(json_get "$W/again/report.json" 'd["suppressed"]') == "$n" ]] ||
  fail "the baseline run does not count $n suppressed findings"
grep -q "data-findings=\"0\" data-suppressed=\"$n\"" "$W/again/report.html" ||
  fail "report.html of the baseline run: counts"
# A new finding (the vulnerability database was not given before) is not in the baseline.
rc=0; "$CLEARBOX" audit "$W/fw.img" --format sarif -o "$W/novuln.sarif" >/dev/null 2>&1 || rc=$?
[[ $rc -le 1 ]] || fail "audit --format sarif exited $rc"
validate_sarif "$W/novuln.sarif"
rc=0
"$CLEARBOX" audit "$W/fw.img" --vulndb "$W/vulns.db" --baseline "$W/novuln.sarif" --format json \
  -o "$W/new.json" >/dev/null 2>&1 || rc=$?
[[ $rc -eq 1 ]] || fail "new findings beyond the baseline exited $rc, not 1"
[[ $(json_get "$W/new.json" '",".join(f["check_id"] for f in d["findings"])') == \
  "CB-VULN-001,CB-VULN-001" ]] || fail "only the two new CVE findings should be reported"

# --- --pledge: the example pledge, item by item -----------------------------------------------------
rc=0
"$CLEARBOX" audit "$W/fw.img" --pledge "$CLEARBOX_SOURCE/docs/examples/pledge.json" --format all \
  -o "$W/pledged" >/dev/null 2>"$W/pledged.err" || rc=$?
[[ $rc -le 1 ]] || { cat "$W/pledged.err" >&2; fail "audit --pledge exited $rc"; }
validate_sarif "$W/pledged/report.sarif"
items=$(json_get "$W/pledged/report.json" 'len(d["pledge"])')
[[ $items -gt 0 ]] || fail "--pledge: no pledge items in report.json"
grep -q "$items declared items" "$W/pledged/report.html" || fail "report.html: pledge items"
grep -q 'Pledge <span class="mono">' "$W/pledged/report.html" || fail "report.html: pledge verdict"
if grep -q 'No pledge given' "$W/pledged/report.html"; then fail "report.html: pledge ignored"; fi

# --- bad inputs: exit 2, the file named -----------------------------------------------------------
echo '{"not": "a pledge"' >"$W/bad-pledge.json"
echo 'not json' >"$W/bad.sarif"
echo 'not sqlite' >"$W/bad.db"
expect_input_error() {  # $1: what must be in the message; the rest: arguments
  local want=$1 rc=0; shift
  "$CLEARBOX" audit "$W/fw.img" "$@" >/dev/null 2>"$W/err" || rc=$?
  [[ $rc -eq 2 ]] || fail "audit $* exited $rc, not 2"
  grep -qF -- "$want" "$W/err" || fail "audit $*: message does not name $want: $(cat "$W/err")"
}
expect_input_error "$W/no-such-pledge.json" --pledge "$W/no-such-pledge.json"
expect_input_error "$W/bad-pledge.json" --pledge "$W/bad-pledge.json"
expect_input_error "$W/bad.sarif" --baseline "$W/bad.sarif"
expect_input_error "$W/no-such.sarif" --baseline "$W/no-such.sarif"
expect_input_error "$W/bad.db" --vulndb "$W/bad.db"
expect_input_error "$W/no-such.db" --vulndb "$W/no-such.db"
expect_input_error "-o DIR" --format all
echo "PASS: audit reports ($n findings; SARIF validated; HTML checked in ${chromium:-no browser})"
