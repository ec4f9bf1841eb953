#!/usr/bin/env bash
# `clearbox watch` on a real capture (default: tests/data/watch/netns.pcap, made by
# watch_netns_test.sh; that test passes its fresh capture as $1). Every planted behaviour is
# found with flow evidence, and nothing else: no decoy (a CNAME chain to a declared name, a
# declared periodic NTP poll, plain names under one parent, a patterned ping, a large
# download, a refused inbound knock, an endpoint the profile declares) is flagged.
# Also: SARIF validated by Microsoft's multitool, HTML, --flows, --device by MAC, --pledge,
# --from-audit with the SARIF of a real `clearbox audit`, mud-from-traffic, exit codes.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CLEARBOX=${CLEARBOX:?CLEARBOX: the clearbox binary}
CLEARBOX_SOURCE=${CLEARBOX_SOURCE:-$(cd "$HERE/.." && pwd)}
source "$HERE/lib.sh"
DATA=$HERE/data/watch
CAP=${1:-$DATA/netns.pcap}
MUD=$DATA/netns.mud.json
watch() { "$CLEARBOX" watch "$CAP" --device 192.0.2.10 --mud "$MUD" "$@"; }
expect_rc() {  # $1: expected exit code, rest: the command
  local want=$1 rc=0; shift
  "$@" >"$W/out" 2>"$W/err" || rc=$?
  [[ $rc == "$want" ]] || fail "exit $rc, not $want: $* ($(head -c 400 "$W/err"))"
}

# The audit's SARIF of an image whose init script hard-codes three endpoints: the beacon's
# name (contacted), an undeclared telemetry host (not contacted) and a declared update host.
command -v mksquashfs >/dev/null || fail "mksquashfs not found (scripts/install-deps.sh)"
mkdir -p "$W/root/etc/init.d"
cat >"$W/root/etc/init.d/agent" <<'SH'
#!/bin/sh
while true; do wget -q -O /dev/null http://c2.beacon.net:8443/ping; sleep 1; done &
curl -s https://updates.vendor-cloud.com/check
ntpclient -h telemetry.vendor-cloud.com -s
SH
chmod +x "$W/root/etc/init.d/agent"
mksquashfs "$W/root" "$W/fw.img" -noappend -all-root -no-progress -quiet >/dev/null
rc=0; "$CLEARBOX" audit "$W/fw.img" --format sarif -o "$W/audit.sarif" >/dev/null 2>&1 || rc=$?
[[ $rc -le 1 ]] || fail "clearbox audit exited $rc"

expect_rc 1 watch --from-audit "$W/audit.sarif" --format json -o "$W/r.json"
python3 - "$W/r.json" <<'PY' || fail "the findings are not the planted ones"
import json, sys
r = json.load(open(sys.argv[1]))
got = sorted((f["check_id"], f["peer"]) for f in r["findings"])
want = sorted([
    ("CB-WATCH-001", "192.0.2.21"),   # named only in an answer it did not ask for
    ("CB-WATCH-001", "192.0.2.22"),   # a declared name used after its TTL
    ("CB-WATCH-001", "192.0.2.30"),   # undeclared peer
    ("CB-WATCH-001", "192.0.2.40"),   # the beacon's peer (hard-coded in the image)
    ("CB-WATCH-002", "192.0.2.53"),   # DNS over TLS
    ("CB-WATCH-010", "tunnel.example"),
    ("CB-WATCH-011", "192.0.2.40"),
    ("CB-WATCH-012", "192.0.2.60"),
    ("CB-WATCH-013", "192.0.2.20"),   # the upload (not the download)
    ("CB-WATCH-020", "c2.beacon.net"),
    ("CB-WATCH-020", "telemetry.vendor-cloud.com"),
])
assert got == want, "\n got  %s\n want %s" % (got, want)
by = {(f["check_id"], f["peer"]): f for f in r["findings"]}
for f in r["findings"]:
    if f["check_id"] == "CB-WATCH-020" and f["peer"] == "telemetry.vendor-cloud.com":
        assert f["severity"] == "medium" and not f["flows"], f
        assert any(l["uri"].endswith(":/etc/init.d/agent") and l["byte_offset"] > 0
                   for l in f["image_locations"]), f
        continue
    assert f["flows"], f
    for e in f["flows"]:
        assert e["packets"] and all(p > 0 for p in e["packets"]), f
        assert e["first"].endswith("Z") and e["orig_h"] and e["resp_h"], f
assert by[("CB-WATCH-001", "192.0.2.40")]["severity"] == "critical"
assert by[("CB-WATCH-001", "192.0.2.40")]["flow_count"] >= 10  # 12 sent
assert by[("CB-WATCH-001", "192.0.2.40")]["facts"]["resolved_names"] == "c2.beacon.net"
assert by[("CB-WATCH-020", "c2.beacon.net")]["severity"] == "high"
assert "unproven_names" in by[("CB-WATCH-001", "192.0.2.21")]["facts"]
assert by[("CB-WATCH-001", "192.0.2.30")]["facts"]["port"] == "8080"
assert by[("CB-WATCH-001", "192.0.2.30")]["facts"]["initiated_by"] == "device"
b = by[("CB-WATCH-011", "192.0.2.40")]["facts"]
assert float(b["score"]) >= 0.8 and int(b["connections"]) >= 10, b
assert abs(float(b["median_interval_s"]) - 1.0) < 0.05, b
t = by[("CB-WATCH-010", "tunnel.example")]
assert t["facts"]["unique_subdomains"] == "15" and "TXT" in t["flows"][0]["note"], t
i = by[("CB-WATCH-012", "192.0.2.60")]
assert i["flow_count"] == 1 and "hunter2".encode().hex()[:8] in i["flows"][0]["note"], i
v = by[("CB-WATCH-013", "192.0.2.20")]
# At least the 80 KiB sent (a retransmission on a loaded machine counts again).
assert v["flow_count"] == 1 and v["flows"][0]["orig_bytes"] >= 80 * 1024, v
assert r["stats"]["declared_flows"] > 20, r["stats"]
PY

# The same without the audit: no CB-WATCH-020, the beacon's flows back to high.
expect_rc 1 watch --format json -o "$W/plain.json"
python3 -c "
import json,sys; r=json.load(open('$W/plain.json'))
assert not [f for f in r['findings'] if f['check_id']=='CB-WATCH-020']
assert max(f['severity'] for f in r['findings'] if f['peer']=='192.0.2.40') == 'high'
assert len(r['findings']) == 9" || fail "without --from-audit"
expect_rc 0 watch --fail-on critical
expect_rc 1 watch --fail-on high
grep -q "CB-WATCH-011" "$W/out" || fail "the text report lacks the beacon"

# By MAC: the same findings.
expect_rc 1 "$CLEARBOX" watch "$CAP" --device 02:00:00:00:00:10 --mud "$MUD" --format json -o "$W/mac.json"
python3 -c "
import json; a=json.load(open('$W/plain.json')); b=json.load(open('$W/mac.json'))
k=lambda r: sorted((f['check_id'], f['peer'], f['message']) for f in r['findings'])
assert k(a)==k(b); assert b['device_ips']==['192.0.2.10']" || fail "--device by MAC differs"

# From a pledge: the profile embedded at /outbound/mud.
python3 - "$CLEARBOX_SOURCE/docs/examples/pledge.json" "$MUD" "$W/pledge.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); p["outbound"]["mud"] = json.load(open(sys.argv[2]))
p["outbound"].pop("mud_url", None)
json.dump(p, open(sys.argv[3], "w"))
PY
expect_rc 1 "$CLEARBOX" watch "$CAP" --device 192.0.2.10 --pledge "$W/pledge.json" --format json -o "$W/pledge.out.json"
python3 -c "
import json; a=json.load(open('$W/plain.json')); b=json.load(open('$W/pledge.out.json'))
assert [f['message'] for f in a['findings']]==[f['message'] for f in b['findings']]" ||
  fail "--pledge differs from --mud"

# SARIF, HTML, JSON and --flows.
expect_rc 1 watch --from-audit "$W/audit.sarif" --format all -o "$W/all" --flows "$W/flows.jsonl"
n=$(python3 -c "import json; print(len(json.load(open('$W/all/watch.json'))['findings']))")
[[ $n == 11 ]] || fail "watch.json has $n findings"
[[ $(python3 -c "import json; print(len(json.load(open('$W/all/watch.sarif'))['runs'][0]['results']))") == 11 ]] ||
  fail "SARIF result count"
grep -q 'id="watch-verdict" class="verdict fail" data-verdict="fail" data-findings="11"' "$W/all/watch.html" ||
  fail "HTML verdict"
flows=$(python3 -c "import json; print(json.load(open('$W/all/watch.json'))['stats']['flows'])")
[[ $(wc -l <"$W/flows.jsonl") == "$flows" ]] || fail "--flows has not $flows lines"
python3 -c "
import json
for l in open('$W/flows.jsonl'): d=json.loads(l); assert d['uid'].startswith('C') and 'id.orig_h' in d" ||
  fail "--flows lines"
validate_sarif "$W/all/watch.sarif"

# mud-from-traffic: a draft that reads back, and under which nothing is undeclared.
expect_rc 0 "$CLEARBOX" watch mud-from-traffic "$CAP" --device 192.0.2.10 \
  --mud-url https://vendor.example/draft.json -o "$W/draft.json"
grep -q '"ietf-acldns:dst-dnsname": "api.vendor.example"' "$W/draft.json" ||
  fail "the draft does not name the CNAME'd peer by the name the device asked for"
grep -q '"destination-ipv4-network": "192.0.2.30/32"' "$W/draft.json" || fail "draft: 192.0.2.30"
expect_rc 1 "$CLEARBOX" watch "$CAP" --device 192.0.2.10 --mud "$W/draft.json" --format json -o "$W/d.json"
python3 -c "
import json; r=json.load(open('$W/d.json'))
left=sorted(f['check_id'] for f in r['findings'])
assert not [c for c in left if c in ('CB-WATCH-001','CB-WATCH-002','CB-WATCH-011')], left
assert 'CB-WATCH-010' in left and 'CB-WATCH-012' in left" || fail "the draft leaves undeclared flows"

# Input errors: exit 2 with a message.
expect_rc 2 "$CLEARBOX" watch "$W/none.pcap" --device 192.0.2.10 --mud "$MUD"
expect_rc 2 watch --from-audit "$W/none.sarif"
echo 'not json' >"$W/bad.sarif"
expect_rc 2 watch --from-audit "$W/bad.sarif"
grep -q "bad.sarif" "$W/err" || fail "the SARIF error does not name the file"
expect_rc 2 "$CLEARBOX" watch "$CAP" --device not-a-device --mud "$MUD"
expect_rc 2 "$CLEARBOX" watch "$CAP" --device 192.0.2.10 --mud "$W/bad.sarif"
expect_rc 2 "$CLEARBOX" watch "$CAP" --device 192.0.2.10
head -c 5000 "$CAP" >"$W/cut.pcap"
rc=0; "$CLEARBOX" watch "$W/cut.pcap" --device 192.0.2.10 --mud "$MUD" >"$W/out" 2>"$W/err" || rc=$?
[[ $rc -le 1 ]] || fail "a cut capture is an input error (exit $rc): the packets before the cut count"
grep -q "note: packet [0-9]*: truncated record" "$W/err" || fail "a cut capture gives no note"
echo "PASS: watch_captures_test ($CAP)"
