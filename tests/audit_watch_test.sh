#!/usr/bin/env bash
# `clearbox audit IMAGE --pledge P --capture CAPTURE --device IP`: the audit and the device's
# traffic in one set of reports, on the real capture tests/data/watch/netns.pcap (device
# 192.0.2.10; its profile tests/data/watch/netns.mud.json embedded in a pledge) and an image
# whose init script hard-codes the beacon's name (contacted, undeclared), a telemetry host
# (undeclared, never contacted) and the declared update host (a decoy).
#  - report.html has a <section id="watch"> listed in the page's contents, with the planted
#    undeclared flow (192.0.2.30:8080) and the hard-coded endpoints, and not the declared
#    decoy; a capture named like markup stays text; Chromium renders it (when installed);
#  - report.json has the watch report as "watch"; report.sarif has it as a second run
#    (CB-WATCH-*) and Microsoft's validator accepts the log;
#  - the audit's endpoint results carry properties.endpoint, and `watch --from-audit` reads
#    them from there (messages scrambled: the same findings);
#  - the exit status judges both parts; without --capture nothing changes; input errors exit 2.
# CTest sets CLEARBOX, CLEARBOX_BUILD, CLEARBOX_SOURCE. By hand:
#   CLEARBOX=build/clearbox CLEARBOX_SOURCE=$PWD bash tests/audit_watch_test.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CLEARBOX=${CLEARBOX:?CLEARBOX: the clearbox binary}
CLEARBOX_SOURCE=${CLEARBOX_SOURCE:-$(cd "$HERE/.." && pwd)}
source "$HERE/lib.sh"
command -v mksquashfs >/dev/null || fail "mksquashfs not found (scripts/install-deps.sh)"
DATA=$HERE/data/watch
# The capture under a name that is markup: every page that shows it must escape it.
CAP="$W/cap<img src=x onerror=document.title='pwned'>.pcap"
cp "$DATA/netns.pcap" "$CAP"
MUD=$DATA/netns.mud.json

# --- the image and the pledge ---------------------------------------------------------------
mkdir -p "$W/root/etc/init.d"
cat >"$W/root/etc/init.d/agent" <<'SH'
#!/bin/sh
while true; do wget -q -O /dev/null http://c2.beacon.net:8443/ping; sleep 1; done &
curl -s https://updates.vendor-cloud.com/check
ntpclient -h telemetry.vendor-cloud.com -s
SH
chmod +x "$W/root/etc/init.d/agent"
mksquashfs "$W/root" "$W/fw.img" -noappend -all-root -no-progress -quiet >/dev/null
python3 - "$CLEARBOX_SOURCE/docs/examples/pledge.json" "$MUD" "$W/pledge.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); p["outbound"]["mud"] = json.load(open(sys.argv[2]))
p["outbound"].pop("mud_url", None)
json.dump(p, open(sys.argv[3], "w"))
PY

expect_rc() {  # $1: expected exit code, rest: the command
  local want=$1 rc=0; shift
  "$@" >"$W/out" 2>"$W/err" || rc=$?
  [[ $rc == "$want" ]] || fail "exit $rc, not $want: $* ($(head -c 600 "$W/err"))"
}
audit() { "$CLEARBOX" audit "$W/fw.img" --pledge "$W/pledge.json" "$@"; }
traffic=(--capture "$CAP" --device 192.0.2.10)


# --- without --capture: the audit alone, below --fail-on high --------------------------------
expect_rc 0 audit --format all -o "$W/alone"
python3 - "$W/alone" <<'PY' || fail "without --capture the reports changed"
import json, sys
d = sys.argv[1]
r = json.load(open(d + "/report.json"))
assert "watch" not in r, "report.json has a watch member"
assert len(json.load(open(d + "/report.sarif"))["runs"]) == 1
html = open(d + "/report.html", encoding="utf-8").read()
assert 'id="watch"' not in html and 'href="#watch"' not in html and "data-watch-findings" not in html
PY

# --- with it: exit 1 (the traffic's findings are high and critical) ---------------------------
expect_rc 1 audit "${traffic[@]}" --format all -o "$W/both"
grep -q "^traffic .*192.0.2.10.*findings" "$W/out" || fail "the text summary lacks the traffic"
[[ ! -s $W/err ]] || { cat "$W/err" >&2; fail "stderr is not quiet"; }
validate_sarif "$W/both/report.sarif"
python3 - "$W/both" <<'PY' || fail "report.json / report.sarif"
import json, sys
d = sys.argv[1]
r = json.load(open(d + "/report.json"))
alone = json.load(open(d + "/../alone/report.json"))
assert r["findings"] == alone["findings"], "the audit's own findings changed"
w = r["watch"]
got = {(f["check_id"], f["peer"]) for f in w["findings"]}
# Planted: the undeclared flow, the beacon (its peer hard-coded in the image: critical), the
# hard-coded endpoints the profile does not declare (contacted: high; not: medium).
for want in [("CB-WATCH-001", "192.0.2.30"), ("CB-WATCH-001", "192.0.2.40"),
             ("CB-WATCH-011", "192.0.2.40"), ("CB-WATCH-020", "c2.beacon.net"),
             ("CB-WATCH-020", "telemetry.vendor-cloud.com")]:
    assert want in got, f"{want} not found: {sorted(got)}"
# Decoys: the declared update host (hard-coded too), the declared NTP server and resolver.
for f in w["findings"]:
    assert "updates.vendor-cloud.com" not in f["peer"] + f["message"], f
    assert f["peer"] not in ("192.0.2.50", "192.0.2.1"), f
by = {(f["check_id"], f["peer"]): f for f in w["findings"]}
assert by[("CB-WATCH-020", "c2.beacon.net")]["severity"] == "high"
assert by[("CB-WATCH-020", "c2.beacon.net")]["flows"], "no flow evidence for the beacon's name"
assert by[("CB-WATCH-001", "192.0.2.40")]["severity"] == "critical"
tele = by[("CB-WATCH-020", "telemetry.vendor-cloud.com")]
assert tele["severity"] == "medium" and not tele["flows"], tele
assert any(l["uri"].endswith(":/etc/init.d/agent") and l["byte_offset"] > 0
           for l in tele["image_locations"]), tele
flow = by[("CB-WATCH-001", "192.0.2.30")]["flows"][0]
assert flow["resp_p"] == 8080 and flow["packets"], flow

# The audit found the same undeclared endpoints (and not the declared one).
pledge = sorted(f["message"].split()[4] for f in r["findings"] if f["check_id"] == "CB-PLEDGE-004")
assert pledge == ["c2.beacon.net", "telemetry.vendor-cloud.com"], pledge

s = json.load(open(d + "/report.sarif"))
assert len(s["runs"]) == 2, len(s["runs"])
audit_run, watch_run = s["runs"]
assert len(audit_run["results"]) == len(r["findings"])
assert all(x["ruleId"].startswith("CB-WATCH-") for x in watch_run["results"])
assert sorted(x["ruleId"] for x in watch_run["results"]) == sorted(f["check_id"] for f in w["findings"])
assert watch_run["automationDetails"]["id"] == "clearbox-watch/192.0.2.10/"
assert not any(x["ruleId"].startswith("CB-WATCH-") for x in audit_run["results"])
# Every endpoint result names its endpoint.
endpoints = {}
for x in audit_run["results"]:
    if x["ruleId"] in ("CB-NET-001", "CB-PLEDGE-004"):
        p = x["properties"]
        assert p["endpoint"] and p["endpointSeen"] in ("file", "program-strings", "message-text"), x
        assert p["endpoint"] in x["message"]["text"], x
        endpoints.setdefault(x["ruleId"], set()).add(p["endpoint"])
assert endpoints["CB-NET-001"] >= {"c2.beacon.net", "telemetry.vendor-cloud.com",
                                   "updates.vendor-cloud.com"}, endpoints
assert endpoints["CB-PLEDGE-004"] == {"c2.beacon.net", "telemetry.vendor-cloud.com"}, endpoints
print(f"audit {len(r['findings'])} findings, watch {len(w['findings'])} findings")
PY

# --- the HTML: the section, in the contents, escaped -----------------------------------------------
html=$W/both/report.html
n_watch=$(python3 -c "import json; print(len(json.load(open('$W/both/report.json'))['watch']['findings']))")
n_audit=$(python3 -c "import json; print(len(json.load(open('$W/both/report.json'))['findings']))")
grep -q '<section id="watch">' "$html" || fail "report.html: no watch section"
grep -q '<a href="#findings">Findings</a><a href="#watch">Traffic</a>' "$html" ||
  fail "report.html: the watch section is not in the contents"
grep -q "id=\"verdict\" class=\"verdict fail\" data-verdict=\"fail\" data-findings=\"$n_audit\" data-suppressed=\"0\" data-watch-findings=\"$n_watch\"" "$html" ||
  fail "report.html: the page's verdict does not count the traffic"
grep -q "id=\"watch-verdict\" class=\"verdict fail\" data-verdict=\"fail\" data-findings=\"$n_watch\"" "$html" ||
  fail "report.html: the watch verdict"
grep -qF "cap&lt;img src=x onerror=document.title=&#39;pwned&#39;&gt;.pcap" "$html" ||
  fail "report.html: the capture's name is not shown escaped"
if grep -q '<img' "$html"; then fail "report.html: an <img> element from the capture's name"; fi
python3 - "$html" "$n_watch" <<'PY' || fail "report.html: the watch section's content"
import re, sys
page, n = open(sys.argv[1], encoding="utf-8").read(), int(sys.argv[2])
sec = re.search(r'<section id="watch">(.*?)</section>', page, re.S).group(1)
assert len(re.findall(r'<div class="finding ', sec)) == n, "findings listed in the section"
assert "192.0.2.30" in sec and "8080" in sec, "the planted undeclared flow"
assert "c2.beacon.net" in sec and "telemetry.vendor-cloud.com" in sec
assert "updates.vendor-cloud.com" not in sec, "the declared decoy is in the section"
# After the findings, before the ways in, as the contents list it.
assert page.index('<h2 id="findings">') < page.index('<section id="watch">') < page.index('<h2 id="ways-in">')
PY

chromium=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $chromium ]]; then
  echo "SKIP (browser checks): Debian's chromium is not installed (apt-get install chromium)"
else
  timeout 120 "$chromium" --headless --disable-gpu --no-sandbox --no-first-run \
    --user-data-dir="$W/chromium" --dump-dom "file://$html" >"$W/dom.html" 2>>"$W/chromium.log" ||
    fail "chromium --dump-dom failed (see $W/chromium.log)"
  python3 - "$W/dom.html" "$n_watch" <<'PY' || fail "the page in Chromium"
import re, sys
dom, n = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
m = re.search(r'<section id="watch">.*?id="watch-verdict"[^>]*data-findings="(\d+)"', dom, re.S)
assert m and m.group(1) == n, f"watch data-findings {m and m.group(1)} != JSON's {n}"
assert '<a href="#watch">Traffic</a>' in dom
assert "<img" not in dom, "an element was injected by the capture's name"
assert "<title>pwned" not in dom, "a script from the capture's name ran"
assert "Traffic against the declared behaviour" in dom
PY
fi

# --- --from-audit reads properties.endpoint, not the message ------------------------------------
expect_rc 1 "$CLEARBOX" watch "$CAP" --device 192.0.2.10 --mud "$MUD" --from-audit "$W/both/report.sarif" \
  --format json -o "$W/from-audit.json"
python3 - "$W/both/report.sarif" "$W/scrambled.sarif" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for x in s["runs"][0]["results"]:
    x["message"]["text"] = "reworded"  # no host left in any message
json.dump(s, open(sys.argv[2], "w"))
PY
expect_rc 1 "$CLEARBOX" watch "$CAP" --device 192.0.2.10 --mud "$MUD" \
  --from-audit "$W/scrambled.sarif" --format json -o "$W/scrambled.json"
python3 - "$W/both/report.json" "$W/from-audit.json" "$W/scrambled.json" <<'PY' ||
import json, sys
key = lambda w: sorted((f["check_id"], f["peer"], f["severity"]) for f in w["findings"])
inside = json.load(open(sys.argv[1]))["watch"]
for other in sys.argv[2:]:
    assert key(inside) == key(json.load(open(other))), other
PY
  fail "watch --from-audit (messages scrambled) differs from audit --capture"

# --- --fail-on judges both parts; --mud instead of the pledge's profile -----------------------------
expect_rc 1 audit "${traffic[@]}" --fail-on critical  # CB-WATCH-001 of the beacon's peer
expect_rc 1 "$CLEARBOX" audit "$W/fw.img" --capture "$CAP" --device 192.0.2.10 --mud "$MUD" \
  --format json -o "$W/mud.json"
python3 -c "
import json; a=json.load(open('$W/both/report.json'))['watch']; b=json.load(open('$W/mud.json'))['watch']
assert [f['message'] for f in a['findings']]==[f['message'] for f in b['findings']]" ||
  fail "--mud differs from the pledge's profile"

# --- input errors: exit 2, before the image is unpacked -----------------------------------------------
expect_input_error() {  # $1: what must be in the message; the rest: arguments
  local want=$1; shift
  expect_rc 2 "$CLEARBOX" audit "$W/fw.img" "$@"
  grep -qF -- "$want" "$W/err" || fail "audit $*: the message does not name $want: $(cat "$W/err")"
}
expect_input_error "--device" --pledge "$W/pledge.json" --capture "$CAP"
expect_input_error "--capture" --pledge "$W/pledge.json" --device 192.0.2.10
expect_input_error "--mud FILE" --capture "$CAP" --device 192.0.2.10
expect_input_error "$W/none.pcap" --pledge "$W/pledge.json" --capture "$W/none.pcap" --device 192.0.2.10
expect_input_error "--device" --pledge "$W/pledge.json" "${traffic[@]:0:2}" --device not-a-device
echo 'not json' >"$W/bad.mud.json"
expect_input_error "$W/bad.mud.json" "${traffic[@]}" --mud "$W/bad.mud.json"
echo "PASS: audit_watch_test (HTML checked in ${chromium:-no browser})"
