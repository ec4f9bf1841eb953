// Publicly documented back doors in network equipment firmware (clearbox audit, CB-YARA-001).
//
// Each rule is written from the facts of the advisory or write-up named in its meta; the
// strings are the ones those documents publish (magic packets and user agents, hidden web
// pages, telnet enablers, hard-coded support accounts). The rules use no modules and no
// external variables, so `yara -r rules/backdoors.yar DIR` runs them unchanged.
//
// Meta every rule carries (clearbox reads them; docs/checks/yara.md):
//   description  what the pattern is, for the finding's message
//   advisory     the CVE or advisory id ("none" when the write-up has no id)
//   reference    the public document the rule is written from
//   category     magic-string | hidden-endpoint | telnet-enabler | support-account
//   severity     info | low | medium | high | critical
//   ts33117      the 3GPP TS 33.117 clause the back door breaks

// ---------------------------------------------------------------------------------------
// Magic strings: a constant that unlocks a hidden function.

rule dlink_thttpd_user_agent_auth_bypass
{
  meta:
    description = "D-Link web server skips authentication for the user agent 'xmlset_roodkcableoj28840ybtide' (reversed: 'edit by 04882 joel backdoor')"
    advisory = "CVE-2013-6026"
    reference = "https://nvd.nist.gov/vuln/detail/CVE-2013-6026 (Craig Heffner, /dev/ttyS0, October 2013)"
    category = "magic-string"
    severity = "critical"
    ts33117 = "4.2.3.4.1.1"
  strings:
    $user_agent = "xmlset_roodkcableoj28840ybtide"
  condition:
    $user_agent
}

rule sercomm_scmm_tcp32764_backdoor
{
  meta:
    description = "Sercomm configuration manager (scfgmgr) back door on TCP port 32764: messages start with the magic 'ScMM' or 'MMcS' and read or write the configuration and run commands as root without authentication"
    advisory = "CVE-2014-0659"
    reference = "https://github.com/elvanderb/TCP-32764 (Eloi Vanderbeken, January 2014)"
    category = "magic-string"
    severity = "critical"
    ts33117 = "4.2.3.4.1.1"
  strings:
    $magic_big = "ScMM"
    $magic_little = "MMcS"
    $program = "scfgmgr"
  condition:
    ($magic_big or $magic_little) and $program
}

rule sercomm_ft_tool_backdoor_reactivation
{
  meta:
    description = "Sercomm 'ft_tool' re-opens the TCP 32764 back door (system(\"scfgmgr -f\")) on an Ethernet frame of type 0x8888 carrying md5('DGN1000')"
    advisory = "CVE-2014-0659"
    reference = "Eloi Vanderbeken (Synacktiv), 'How Sercomm saved my Easter!', April 2014"
    category = "magic-string"
    severity = "critical"
    ts33117 = "4.2.3.4.1.1"
  strings:
    $reopen = "scfgmgr -f"
    $md5_dgn1000_hex = "45d1bb339b07a6618b2114dbc0d7783e" nocase
    $md5_dgn1000_raw = { 45 D1 BB 33 9B 07 A6 61 8B 21 14 DB C0 D7 78 3E }
  condition:
    any of them
}

rule tenda_w302r_mfg_udp7329_backdoor
{
  meta:
    description = "Tenda GoAhead web server (MfgThread) runs commands sent to UDP port 7329 behind the magic 'w302r_mfg'"
    advisory = "none"
    reference = "Craig Heffner, 'From China, With Love', /dev/ttyS0, October 2013 (Tenda W302R, W330R, Medialink MWN-WAPR150N)"
    category = "magic-string"
    severity = "critical"
    ts33117 = "4.2.3.4.1.1"
  strings:
    $magic = "w302r_mfg"
  condition:
    $magic
}

rule netcore_igdmptd_udp53413_backdoor
{
  meta:
    description = "Netcore/Netis 'IGD MPT Interface daemon' (igdmptd) on UDP port 53413: a hard-coded password gives command execution and file upload and download from the WAN"
    advisory = "none"
    reference = "Tim Yeh (Trend Micro), 'Netis Routers Leave Wide Open Backdoor', August 2014"
    category = "magic-string"
    severity = "critical"
    ts33117 = "4.2.3.4.1.1"
  strings:
    $banner = "IGD MPT Interface daemon" nocase
    $program = "igdmptd"
    $port = "53413"
  condition:
    $banner or ($program and $port)
}

rule juniper_screenos_auth_backdoor_password
{
  meta:
    description = "Juniper ScreenOS accepts the password \"<<< %s(un='%s') = %u\" for any user on SSH and telnet"
    advisory = "CVE-2015-7755"
    reference = "https://kb.juniper.net/JSA10713 (HD Moore, Rapid7, December 2015)"
    category = "magic-string"
    severity = "critical"
    ts33117 = "4.2.3.4.1.1"
  strings:
    $password = "<<< %s(un='%s') = %u"
  condition:
    $password
}

rule hikvision_magic_auth_parameter
{
  meta:
    description = "Hikvision camera web server grants access for the URL parameter auth=YWRtaW46MTEK (base64 of 'admin:11')"
    advisory = "CVE-2017-7921"
    reference = "https://nvd.nist.gov/vuln/detail/CVE-2017-7921 (ICSA-17-124-01; Montecrypto, 2017)"
    category = "magic-string"
    severity = "critical"
    ts33117 = "4.2.3.4.1.1"
  strings:
    $token = "YWRtaW46MTEK"
  condition:
    $token
}

// ---------------------------------------------------------------------------------------
// Hidden web endpoints: a page no menu links to that gives a shell or runs code.

rule tplink_nat_debug_tftp_backdoor
{
  meta:
    description = "TP-Link hidden page /userRpmNatDebugRpm26525557/start_art.html fetches nart.out over TFTP from the visitor and runs it as root"
    advisory = "none"
    reference = "Michal Sajdak (Sekurak), 'Backdoor in TP-Link routers', March 2013 (TL-WR740N, TL-WR743ND)"
    category = "hidden-endpoint"
    severity = "critical"
    ts33117 = "4.2.3.4.1.1"
  strings:
    $page = "userRpmNatDebugRpm26525557"
  condition:
    $page
}

rule zte_web_shell_cmd_gch
{
  meta:
    description = "ZTE home gateway page web_shell_cmd.gch runs shell commands from the web interface (kept for after-sales maintenance)"
    advisory = "CVE-2014-2321"
    reference = "https://www.kb.cert.org/vuls/id/600724 (ZTE F460, F660)"
    category = "hidden-endpoint"
    severity = "critical"
    ts33117 = "4.2.3.4.1.1"
  strings:
    $page = "web_shell_cmd.gch"
  condition:
    $page
}

// ---------------------------------------------------------------------------------------
// Telnet enablers: a knock that starts a root telnet daemon the product does not declare.

rule netgear_telnetenable_magic_packet
{
  meta:
    description = "Netgear telnetenabled starts a telnet daemon on a Blowfish-encrypted packet keyed with 'AMBIT_TELNET_ENABLE+' and a password"
    advisory = "CVE-2026-24714"
    reference = "https://openwrt.org/toh/netgear/telnet.console; https://nvd.nist.gov/vuln/detail/CVE-2026-24714"
    category = "telnet-enabler"
    severity = "high"
    ts33117 = "4.3.2.1"
  strings:
    $key_prefix = "AMBIT_TELNET_ENABLE+"
  condition:
    $key_prefix
}

rule xiongmai_port9530_telnet_enabler
{
  meta:
    description = "Xiongmai DVR/NVR firmware (macGuarder, dvrHelper) starts telnetd on TCP port 9530 after the command 'OpenTelnet:OpenOnce' and a challenge ('randNum:'), then accepts static root passwords"
    advisory = "none"
    reference = "Vladislav Yarmak, 'Backdoor in HiSilicon-based DVR/NVR/IP cameras' (Habr, February 2020)"
    category = "telnet-enabler"
    severity = "critical"
    ts33117 = "4.3.2.1"
  strings:
    $command = "OpenTelnet:OpenOnce"
    $open = "OpenTelnet:"
    $challenge = "randNum:"
  condition:
    $command or ($open and $challenge)
}

rule tenda_goform_telnet_enabler
{
  meta:
    description = "Tenda web server handler TendaTelnet (/goform/telnet) starts a telnet daemon from a web request; the telnet root password is hard-coded"
    advisory = "CVE-2020-10988"
    reference = "Independent Security Evaluators, Tenda AC15 AC1900 (2020); https://nvd.nist.gov/vuln/detail/CVE-2026-6989"
    category = "telnet-enabler"
    severity = "high"
    ts33117 = "4.3.2.1"
  strings:
    $handler = "TendaTelnet"
    $page = "/goform/telnet"
  condition:
    $handler or $page
}

// ---------------------------------------------------------------------------------------
// Hard-coded support accounts: a login the owner cannot see, change or remove.

rule zyxel_zyfwp_hardcoded_account
{
  meta:
    description = "Zyxel firewalls and AP controllers have the undocumented admin account 'zyfwp' with a clear-text password in the firmware"
    advisory = "CVE-2020-29583"
    reference = "https://www.zyxel.com/support/CVE-2020-29583.shtml (Niels Teusink, EYE, December 2020)"
    category = "support-account"
    severity = "critical"
    ts33117 = "4.2.3.4.2.3"
  strings:
    $password = "PrOw!aN_fXp"
    $account_entry = /zyfwp:[^:\n]{0,200}:/
  condition:
    // A passwd-style line: at the start of the file or of a line.
    $password or $account_entry at 0 or
    for any i in (1..#account_entry) : (uint8(@account_entry[i] - 1) == 0x0a)
}

rule fortios_fortimanager_access_account
{
  meta:
    description = "FortiOS SSH account 'Fortimanager_Access' answers its challenge with the hard-coded secret 'FGTAbc11*xy+Qqz27'"
    advisory = "CVE-2016-1909"
    reference = "https://fortiguard.com/psirt/FG-IR-16-001 (Full Disclosure, January 2016)"
    category = "support-account"
    severity = "critical"
    ts33117 = "4.2.3.4.2.3"
  strings:
    $secret = "FGTAbc11*xy+Qqz27"
  condition:
    $secret
}

rule zte_airocon_admin_password
{
  meta:
    description = "Home gateways of ZTE, Asus, Digicom, Observa and PLDT give 'admin' the telnet password <last four MAC digits>airocon"
    advisory = "CVE-2014-0329"
    reference = "https://nvd.nist.gov/vuln/detail/CVE-2014-0329 (CERT/CC VU#228886; the other vendors: CERT/CC, August 2015)"
    category = "support-account"
    severity = "critical"
    ts33117 = "4.2.3.4.2.3"
  strings:
    $suffix = "airocon"
  condition:
    $suffix
}
