#!/usr/bin/env bash
# The time of `clearbox maint issue` against a local log: the whole command as an operator
# runs it (process start, policy, reading every log entry back verified against the signed
# checkpoint over HTTP on loopback, judging the request and its reviews, choosing a serial,
# signing the certificate, publishing its record and waiting for the log's proof).
#
#   bench/maint_issue_bench.sh [--runs N] [--filler N]
#     --runs N     approved requests to issue, one timed `maint issue` each (default 20)
#     --filler N   other entries in the log before them (default 1000)
#     --batch-ms N the log's --batch-max-delay-ms (default 20, `log init`'s): how long the log
#                  waits to batch entries before sequencing; `issue` waits for its record's proof
# Prints each run's wall time and the median, and "target: < 50 ms".
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
CLEARBOX=${CLEARBOX:-$SRC/build/clearbox}
RUNS=20 FILLER=1000 BATCH_MS=20
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --filler) FILLER=$2; shift 2 ;;
    --batch-ms) BATCH_MS=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--filler N] [--batch-ms N]" >&2; exit 2 ;;
  esac
done
W=$(mktemp -d /tmp/clearbox-maint-issue-bench.XXXXXX)
PID=
trap '[[ -n $PID ]] && kill $PID 2>/dev/null; rm -rf "$W"' EXIT

for who in log noc alice bob issuer; do
  "$CLEARBOX" key generate "$who.example" -o "$W/$who.key" >"$W/$who.vkey" 2>/dev/null
done
ssh-keygen -q -t ed25519 -N '' -C ca -f "$W/ca"
ssh-keygen -q -t ed25519 -N '' -C engineer -f "$W/engineer"
"$CLEARBOX" log init --data "$W/log" --key "$W/log.key" --origin log.example \
  --batch-max-delay-ms "$BATCH_MS" >/dev/null 2>&1
"$CLEARBOX" log serve --data "$W/log" --key "$W/log.key" --listen 127.0.0.1:0 >"$W/serve.out" 2>&1 &
PID=$!
URL=
for _ in $(seq 1 100); do
  URL=$(grep -o 'http://[0-9.]*:[0-9]*' "$W/serve.out" 2>/dev/null || true)
  [[ -n $URL ]] && break
  sleep 0.1
done
[[ -n $URL ]] || { echo "log serve did not start" >&2; exit 1; }
vk() { cat "$W/$1.vkey"; }
cat >"$W/policy.json" <<EOF
{"version": 1, "ca-key": "$(cat "$W/ca.pub")",
 "requesters": [{"name": "noc", "key": "$(vk noc)"}],
 "approvers": [{"name": "alice", "roles": ["officer"], "key": "$(vk alice)"},
               {"name": "bob", "roles": ["officer"], "key": "$(vk bob)"}],
 "issuers": [{"name": "ca-host", "key": "$(vk issuer)"}],
 "thresholds": [{"name": "two officers", "roles": ["officer"], "approve": 2, "deny": 2}],
 "max-window": "4h", "principals": ["maint-olt1"], "source-address": "192.0.2.10/32",
 "force-command": "/usr/bin/clearbox maint record --out /var/log/sessions --ticket {ticket} --serial {serial} --device {device}",
 "observer-required": true, "log": {"url": "$URL", "key": "$(vk log)"}}
EOF

# Filler: other statements (DSSE envelopes of release statements, about 1 KiB each, their
# signatures random: a maint check parses them and skips them by type), 100 per `log add`.
mkdir -p "$W/filler"
for i in $(seq 1 "$FILLER"); do
  digest=$(head -c 32 /dev/urandom | sha256sum | cut -d' ' -f1)
  payload=$(printf '{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://clearbox.dev/release/v1","subject":[{"name":"fw-%d.bin","digest":{"sha256":"%s"}}],"predicate":{"vendor":"Example Networks","product":"EX-1000","version":"1.%d","security_version":%d,"pledge_sha256":"%s","notes":"%s"}}\n' \
    "$i" "$digest" "$i" "$i" "$digest" "$(head -c 300 /dev/urandom | base64 -w0)" | base64 -w0)
  printf '{"payload":"%s","payloadType":"application/vnd.in-toto+json","signatures":[{"keyid":"","sig":"%s"}]}' \
    "$payload" "$(head -c 64 /dev/urandom | base64 -w0)" >"$W/filler/$i"
done
ls "$W/filler" | sed "s|^|$W/filler/|" | xargs -n 100 "$CLEARBOX" log add "$URL" >/dev/null
M=("$CLEARBOX" maint)
for i in $(seq 1 "$RUNS"); do
  "${M[@]}" request --policy "$W/policy.json" --ticket "CHG-$i" --engineer-key "$W/engineer.pub" \
    --devices olt1 --principals maint-olt1 --window now+1m/now+2h --reason bench \
    --key "$W/noc.key" -o "$W/r$i.dsse" >/dev/null 2>&1
  "${M[@]}" approve "$W/r$i.dsse" --policy "$W/policy.json" --key "$W/alice.key" >/dev/null 2>&1
  "${M[@]}" approve "$W/r$i.dsse" --policy "$W/policy.json" --key "$W/bob.key" >/dev/null 2>&1
done
size=$(curl -s "$URL/checkpoint" | sed -n 2p)
echo "log: $size entries ($FILLER filler, $((3 * RUNS)) maint statements), batch delay $BATCH_MS ms, $URL"

# Per request: `maint status` (the log checks alone: read, verify, judge) then `maint issue`.
# Wall time, and CPU time (user + system) of the command: the machine's load shows in the
# first, hardly in the second.
: >"$W/status.times"; : >"$W/issue.times"; : >"$W/status.cpu"; : >"$W/issue.cpu"
TIME=(/usr/bin/time -f "%U %S" -o "$W/cpu")
cpu_ms() { awk '{printf "%d\n", ($1 + $2) * 1000}' "$W/cpu"; }
for i in $(seq 1 "$RUNS"); do
  t0=$(date +%s%N)
  "${TIME[@]}" "${M[@]}" status "$W/r$i.dsse" --policy "$W/policy.json" >/dev/null
  t1=$(date +%s%N)
  cpu_ms >>"$W/status.cpu"
  "${TIME[@]}" "${M[@]}" issue "$W/r$i.dsse" --policy "$W/policy.json" --ca "$W/ca" \
    --key "$W/issuer.key" -o "$W/c$i-cert.pub" >/dev/null 2>"$W/issue.err" || { cat "$W/issue.err"; exit 1; }
  t2=$(date +%s%N)
  cpu_ms >>"$W/issue.cpu"
  echo $(( (t1 - t0) / 1000 )) >>"$W/status.times"
  echo $(( (t2 - t1) / 1000 )) >>"$W/issue.times"
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { awk -v v="$1" 'BEGIN {printf "%.1f", v / 1000}'; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "maint status (log checks only), median of $RUNS: $(ms "$(median "$W/status.times")") ms wall, $(median "$W/status.cpu") ms CPU"
echo "maint issue (checks + certificate + record published), median of $RUNS: $(ms "$(median "$W/issue.times")") ms wall, $(median "$W/issue.cpu") ms CPU (target: < 50 ms)"
