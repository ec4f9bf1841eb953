#!/usr/bin/env bash
# Accuracy image for the known back doors (CB-YARA-001): small C programs compiled with gcc
# and scripts, CGI and web files holding the patterns the advisories document (two forms per
# family: a program and a script or page), and near misses that must not be flagged (one
# letter off, the magic without its program, a base64 token of another password, the account
# name in prose).
#   yara.sh OUTDIR   -> OUTDIR/rootfs, OUTDIR/expected.tsv (see tests/audit_accuracy_test.sh)
set -euo pipefail
OUT=$1
R=$OUT/rootfs
SRC=$OUT/src
mkdir -p "$R"/{bin,usr/sbin,usr/bin,www/cgi-bin,www/js,usr/share/zyxel,etc} "$SRC"
command -v gcc >/dev/null || { echo "yara.sh: gcc not found" >&2; exit 1; }

# A program that only holds its strings (no comparison that guards a call: the magic-password
# heuristics have nothing to say about it). $1 path in the rootfs, the rest: C string literals.
program() {
  local path=$1 name
  shift
  name=$(basename "$path")
  {
    echo '#include <stdio.h>'
    printf 'static const char *const kStrings[] = {\n'
    for s in "$@"; do printf '  %s,\n' "$s"; done
    printf '};\nint main(int argc, char **argv) {\n  (void)argv;\n'
    printf '  puts(kStrings[(unsigned)argc %% (sizeof kStrings / sizeof kStrings[0])]);\n'
    printf '  return 0;\n}\n'
  } >"$SRC/$name.c"
  gcc -O1 -o "$R/$path" "$SRC/$name.c"
}

program usr/sbin/thttpd '"User-Agent"' '"xmlset_roodkcableoj28840ybtide"'
program usr/sbin/scfgmgr '"ScMM"' '"MMcS"' '"scfgmgr"' '"/dev/mtdblock3"'
program usr/sbin/ft_tool '"scfgmgr -f &"' '"eth0"'
program bin/httpd '"w302r_mfg"' '"/goform/telnet"' '"/userRpmNatDebugRpm26525557/start_art.html"'
program bin/igdmptd '"IGD MPT Interface daemon 1.0"' '"igdmptd"'
program usr/sbin/sshd_screenos '"<<< %s(un='"'"'%s'"'"') = %u"'
program usr/sbin/telnetenabled '"AMBIT_TELNET_ENABLE+"' '"utelnetd"'
program usr/bin/dvrHelper '"OpenTelnet:OpenOnce"' '"randNum:"'
program usr/sbin/zysh '"zyfwp"' '"PrOw!aN_fXp"'
program usr/sbin/fgt_sshd '"Fortimanager_Access"' '"FGTAbc11*xy+Qqz27"'
program usr/sbin/cli_login '"admin"' '"%02X%02Xairocon"'
# Near misses in one program: none is a rule's pattern.
program usr/bin/decoy '"xmlset_roodkcableoj28840ybtid"' '"w302r-mfg"' '"ScMM"' '"igdmptd"' \
  '"YWRtaW46MTIK"' '"OpenTelnet: closed"' '"userRpmNatDebugRpm"' '"FGTAbc11"'

# Script, CGI and web forms.
cat >"$R/www/cgi-bin/auth.cgi" <<'EOF'
#!/bin/sh
# Skip the login page for the vendor's tool.
if [ "$HTTP_USER_AGENT" = "xmlset_roodkcableoj28840ybtide" ]; then
  echo "Status: 200"
fi
EOF
cat >"$R/usr/bin/mfg_knock.sh" <<'EOF'
#!/bin/sh
# Manufacturing test: re-open the configuration service.
ft_tool -i br0 && scfgmgr -f &
EOF
cat >"$R/www/cgi-bin/isapi.cgi" <<'EOF'
#!/bin/sh
case "$QUERY_STRING" in
  *auth=YWRtaW46MTEK*) echo "Status: 200" ;;
esac
EOF
cat >"$R/www/js/debug.js" <<'EOF'
var debugPage = "/userRpmNatDebugRpm26525557/start_art.html";
EOF
cat >"$R/www/maintenance.html" <<'EOF'
<html><body><form action="/web_shell_cmd.gch" method="post"><input name="cmd"></form></body></html>
EOF
cat >"$R/usr/bin/tenda_diag.sh" <<'EOF'
#!/bin/sh
echo 'IGD MPT Interface daemon' >/dev/null
EOF
cat >"$R/usr/share/zyxel/passwd.default" <<'EOF'
admin:$1$abcdefgh$0123456789abcdefghijkl:0:0:admin:/root:/bin/zysh
zyfwp:$1$zyfwpzyf$0123456789abcdefghijkl:0:0:ftp updates:/var/zyxel:/bin/zysh
EOF
cat >"$R/usr/bin/telnet_knock.py" <<'EOF'
#!/usr/bin/python3
KEY_PREFIX = "AMBIT_TELNET_ENABLE+"
EOF
cat >"$R/etc/release-notes.txt" <<'EOF'
Removed the zyfwp account from the firmware; the FTP updater now uses per-device keys.
EOF

P=$'\t'
cat >"$OUT/expected.tsv" <<EX
planted${P}CB-YARA-001${P}/usr/sbin/thttpd${P}dlink_thttpd_user_agent_auth_bypass
planted${P}CB-YARA-001${P}/www/cgi-bin/auth.cgi${P}dlink_thttpd_user_agent_auth_bypass
planted${P}CB-YARA-001${P}/usr/sbin/scfgmgr${P}sercomm_scmm_tcp32764_backdoor
planted${P}CB-YARA-001${P}/usr/sbin/ft_tool${P}sercomm_ft_tool_backdoor_reactivation
planted${P}CB-YARA-001${P}/usr/bin/mfg_knock.sh${P}sercomm_ft_tool_backdoor_reactivation
planted${P}CB-YARA-001${P}/bin/httpd${P}tenda_w302r_mfg_udp7329_backdoor
planted${P}CB-YARA-001${P}/bin/httpd${P}tenda_goform_telnet_enabler
planted${P}CB-YARA-001${P}/bin/httpd${P}tplink_nat_debug_tftp_backdoor
planted${P}CB-YARA-001${P}/www/js/debug.js${P}tplink_nat_debug_tftp_backdoor
planted${P}CB-YARA-001${P}/bin/igdmptd${P}netcore_igdmptd_udp53413_backdoor
planted${P}CB-YARA-001${P}/usr/bin/tenda_diag.sh${P}netcore_igdmptd_udp53413_backdoor
planted${P}CB-YARA-001${P}/usr/sbin/sshd_screenos${P}juniper_screenos_auth_backdoor_password
planted${P}CB-YARA-001${P}/www/cgi-bin/isapi.cgi${P}hikvision_magic_auth_parameter
planted${P}CB-YARA-001${P}/www/maintenance.html${P}zte_web_shell_cmd_gch
planted${P}CB-YARA-001${P}/usr/sbin/telnetenabled${P}netgear_telnetenable_magic_packet
planted${P}CB-YARA-001${P}/usr/bin/telnet_knock.py${P}netgear_telnetenable_magic_packet
planted${P}CB-YARA-001${P}/usr/bin/dvrHelper${P}xiongmai_port9530_telnet_enabler
planted${P}CB-YARA-001${P}/usr/sbin/zysh${P}zyxel_zyfwp_hardcoded_account
planted${P}CB-YARA-001${P}/usr/share/zyxel/passwd.default${P}zyxel_zyfwp_hardcoded_account
planted${P}CB-YARA-001${P}/usr/sbin/fgt_sshd${P}fortios_fortimanager_access_account
planted${P}CB-YARA-001${P}/usr/sbin/cli_login${P}zte_airocon_admin_password
decoy${P}/usr/bin/decoy
decoy${P}/etc/release-notes.txt
EX
