// Unit tests of the start-place parsers (startup.h) and each CB-SVC check.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "clearbox/audit/check.h"
#include "test_image.h"
#include "startup.h"

namespace clearbox::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::vector<std::vector<std::string>> Argvs(const ShellScript& s) {
  std::vector<std::vector<std::string>> out;
  for (const ShellCommand& c : s.commands) {
    if (c.resolved) out.push_back(c.argv);
  }
  return out;
}

using Argv = std::vector<std::string>;

// --- the shell reader ------------------------------------------------------------------------

TEST(ParseShellScript, CommentsHeredocsAndOffsets) {
  std::string text =
      "#!/bin/sh\n"
      "# telnetd -l /bin/sh\n"
      "   #telnetd\n"
      "cat <<EOF > /tmp/x\n"
      "telnetd -l /bin/sh\n"
      "EOF\n"
      "echo done # telnetd\n"
      "telnetd -p 23\n";
  ShellScript s = ParseShellScript(text);
  EXPECT_THAT(Argvs(s), ElementsAre(Argv{"cat"}, Argv{"echo", "done"}, Argv{"telnetd", "-p", "23"}));
  EXPECT_EQ(s.commands[2].line, 8u);
  EXPECT_EQ(s.commands[2].offset, text.find("telnetd -p"));
  EXPECT_EQ(s.commands[2].excerpt, "telnetd -p 23");
}

TEST(ParseShellScript, DeadCodeIsNotRun) {
  ShellScript s = ParseShellScript(
      "if false; then\n  telnetd -a\nfi\n"
      "if [ 1 = 0 ]; then telnetd -b; else telnetd -c; fi\n"
      "if [ -n \"\" ]; then telnetd -d; fi\n"
      "false && telnetd -e\n"
      "unused() {\n  telnetd -f\n}\n"
      "used() { telnetd -g; }\n"
      "used\n"
      "exit 0\n"
      "telnetd -h\n");
  EXPECT_THAT(Argvs(s), ElementsAre(Argv{"false"}, Argv{"[", "1", "=", "0", "]"},
                                    Argv{"telnetd", "-c"}, Argv{"[", "-n", "", "]"},
                                    Argv{"false"}, Argv{"telnetd", "-g"}));
}

TEST(ParseShellScript, RcCommonEntryFunctionsRunAndProcdParams) {
  ShellScript s = ParseShellScript(
      "#!/bin/sh /etc/rc.common\nPROG=/usr/sbin/dropbear\n"
      "start_service() {\n  procd_open_instance\n"
      "  procd_set_param command \"$PROG\" -F\n  procd_append_param command -p 22\n}\n");
  ASSERT_THAT(s.commands, SizeIs(2));
  EXPECT_THAT(s.commands[1].argv, ElementsAre("/usr/sbin/dropbear", "-F", "-p", "22"));
  EXPECT_TRUE(s.commands[1].procd);
  EXPECT_TRUE(s.commands[1].procd_appended);
}

TEST(ParseShellScript, VariablesSetAreExpandedUnsetAreNot) {
  ShellScript s = ParseShellScript(
      "TELNETD=/usr/sbin/telnetd\nOPTS=\"-l /bin/sh\"\n$TELNETD $OPTS\n"
      "$NEVER_SET -l /bin/sh\n${D:-/usr/sbin/utelnetd} -p 1\n$(which telnetd) -l /bin/sh\n");
  EXPECT_THAT(Argvs(s), ElementsAre(Argv{"/usr/sbin/telnetd", "-l", "/bin/sh"},
                                    Argv{"/usr/sbin/utelnetd", "-p", "1"}));
  ASSERT_FALSE(s.commands[0].vars.empty());
  EXPECT_EQ(s.commands[0].vars[0].name, "TELNETD");
  EXPECT_EQ(s.commands[0].vars[0].excerpt, "TELNETD=/usr/sbin/telnetd");
}

TEST(ParseShellScript, SourcedDefaultsFile) {
  std::string defaults = "NC=/usr/bin/nc\nPORT=4444\n";
  ShellOptions o;
  o.path = "/etc/init.d/x";
  o.read_file = [&](const std::string& p) { return p == "/etc/default/x" ? &defaults : nullptr; };
  ShellScript s = ParseShellScript("[ -r /etc/default/x ] && . /etc/default/x\n$NC -l -p $PORT\n", o);
  ASSERT_THAT(s.commands, SizeIs(2));
  EXPECT_THAT(s.commands[1].argv, ElementsAre("/usr/bin/nc", "-l", "-p", "4444"));
  EXPECT_EQ(s.commands[1].vars[0].path, "/etc/default/x");
}

TEST(ParseShellScript, CasePatternsAreNotCommands) {
  ShellScript s = ParseShellScript(
      "case \"$1\" in\n  start|restart)\n    telnetd\n    ;;\n  stop) killall telnetd ;;\n"
      "  *) echo usage ;;\nesac\n");
  EXPECT_THAT(Argvs(s), ElementsAre(Argv{"telnetd"}, Argv{"killall", "telnetd"},
                                    Argv{"echo", "usage"}));
}

TEST(ParseShellScript, PipelinesShareANumber) {
  ShellScript s = ParseShellScript("cat /tmp/f | /bin/sh -i 2>&1 | nc -l -p 1 > /tmp/f\necho x\n");
  ASSERT_THAT(s.commands, SizeIs(4));
  EXPECT_EQ(s.commands[0].pipeline, s.commands[2].pipeline);
  EXPECT_NE(s.commands[2].pipeline, s.commands[3].pipeline);
  EXPECT_THAT(s.commands[2].argv, ElementsAre("nc", "-l", "-p", "1"));
}

TEST(ParseShellScript, HostileInput) {
  // A 10 MB line: a problem, and the lines after it are still read.
  std::string huge = "echo " + std::string(10 << 20, 'a') + "\ntelnetd -p 1\n";
  ShellScript s = ParseShellScript(huge);
  EXPECT_THAT(Argvs(s), ElementsAre(Argv{"telnetd", "-p", "1"}));
  ASSERT_FALSE(s.problems.empty());
  EXPECT_THAT(s.problems[0], HasSubstr("line 1"));
  // NUL bytes, unterminated quotes, stray operators: no crash.
  std::string nul("telnetd\0 -l /bin/sh\n'unterminated\n)))(((\n;;;&&||\nfi done esac }\n", 60);
  (void)ParseShellScript(nul);
  (void)ParseShellScript("${\n$(\n`\n\"\\");
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "if true; then { ( ";
  (void)ParseShellScript(deep);
}

TEST(Unwrap, Wrappers) {
  EXPECT_THAT(Unwrap({"start-stop-daemon", "-S", "-q", "-x", "/usr/sbin/gdbserver", "--", ":1",
                      "/bin/app"}),
              ElementsAre("/usr/sbin/gdbserver", ":1", "/bin/app"));
  uint16_t port = 0;
  std::string proto;
  EXPECT_THAT(Unwrap({"udpsvd", "-vE", "0", "69", "tftpd", "-c", "/srv"}, &port, &proto),
              ElementsAre("tftpd", "-c", "/srv"));
  EXPECT_EQ(port, 69);
  EXPECT_EQ(proto, "udp");
  EXPECT_THAT(Unwrap({"nohup", "env", "A=1", "nice", "-n", "5", "busybox", "telnetd", "-F"}),
              ElementsAre("telnetd", "-F"));
  EXPECT_THAT(Unwrap({"exec", "/usr/sbin/sshd", "-D"}), ElementsAre("/usr/sbin/sshd", "-D"));
}

// --- the line formats ------------------------------------------------------------------------

TEST(ParseInittab, BusyboxAndSysvinit) {
  std::string text = "::sysinit:/etc/init.d/rcS\n# ttyS1::respawn:/bin/sh\nttyS0::respawn:-/bin/sh\n"
                     "T0:23:respawn:/sbin/getty -L ttyS0 115200 vt100\ngarbage\n";
  auto e = ParseInittab(text, nullptr);
  ASSERT_THAT(e, SizeIs(3));
  EXPECT_EQ(e[1].id, "ttyS0");
  EXPECT_EQ(e[1].action, "respawn");
  EXPECT_EQ(e[1].process, "-/bin/sh");
  EXPECT_EQ(e[1].offset, text.find("ttyS0::"));
  EXPECT_EQ(e[2].runlevels, "23");
}

TEST(ParseUnit, SectionsAndContinuations) {
  auto k = ParseUnit("[Service]\n# x=y\nExecStart=/usr/sbin/sshd \\\n  -D\n[Install]\nWantedBy=multi-user.target\n",
                     nullptr);
  ASSERT_THAT(k, SizeIs(2));
  EXPECT_EQ(k[0].section, "Service");
  EXPECT_EQ(k[0].value, "/usr/sbin/sshd  -D");
  EXPECT_EQ(k[1].key, "WantedBy");
}

TEST(ParseInetdXinetdCron, Entries) {
  auto i = ParseInetd("#telnet stream tcp nowait root /usr/sbin/telnetd telnetd\n"
                      "ftp stream tcp nowait root /usr/sbin/ftpd ftpd -w\n", nullptr);
  ASSERT_THAT(i, SizeIs(1));
  EXPECT_THAT(i[0].args, ElementsAre("ftpd", "-w"));
  auto x = ParseXinetd("service telnet\n{\n  server = /usr/sbin/in.telnetd\n  disable = yes\n}\n", nullptr);
  ASSERT_THAT(x, SizeIs(1));
  EXPECT_EQ(x[0].keys.at("disable").value, "yes");
  auto c = ParseCrontab("SHELL=/bin/sh\n*/5 * * * * root /bin/x a%b\n@reboot root /bin/y\n", true, nullptr);
  ASSERT_THAT(c, SizeIs(2));
  EXPECT_EQ(c[0].command, "/bin/x a");
  EXPECT_EQ(c[1].command, "/bin/y");
  auto u = ParseUci("config dropbear 'main'\n\toption Port '22'\n\tlist x 'y'\n", nullptr);
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_EQ(u[0].name, "main");
  EXPECT_EQ(u[0].Find("Port")->value, "22");
  auto h = ParseHotplugRules("SUBSYSTEM ~~ (^usb$) {\n\texec /sbin/x %DEVPATH% ;\n}\n", false, nullptr);
  ASSERT_THAT(h, SizeIs(1));
  EXPECT_EQ(h[0].command, "/sbin/x %DEVPATH%");
}

// --- the checks over an inventory ------------------------------------------------------------

// Files are init scripts unless said otherwise.
class Image : public test::TestImage {
 public:
  Image() : TestImage(inventory::FileKind::kInitScript) {}
};

Image Busybox(const std::string& rcs) {
  Image img;
  img.File("/etc/inittab", "::sysinit:/etc/init.d/rcS\n", inventory::FileKind::kConfig);
  img.File("/etc/init.d/rcS", rcs);
  return img;
}

TEST(ServiceChecks, TelnetWithEvidenceAndObservation) {
  Image img = Busybox("#!/bin/sh\nfor i in /etc/init.d/S??*; do $i start; done\n");
  img.File("/etc/init.d/S50telnet", "#!/bin/sh\n#telnetd\nT=/usr/sbin/telnetd\n$T -p 2323\n");
  img.File("/etc/init.d/telnet.off", "#!/bin/sh\ntelnetd\n");  // never started
  AuditReport r = img.Run("CB-SVC-001");
  ASSERT_THAT(r.findings, SizeIs(1));
  const Finding& f = r.findings[0];
  EXPECT_THAT(f.message, HasSubstr("telnetd started by /etc/init.d/S50telnet line 4"));
  EXPECT_THAT(f.message, HasSubstr("2323/tcp"));
  ASSERT_THAT(f.evidence, SizeIs(2));
  EXPECT_EQ(f.evidence[0].provenance, "fw.bin!squashfs:/etc/init.d/S50telnet");
  EXPECT_EQ(f.evidence[0].offset, std::string("#!/bin/sh\n#telnetd\nT=/usr/sbin/telnetd\n").size());
  EXPECT_EQ(f.evidence[0].excerpt, "$T -p 2323");
  EXPECT_EQ(f.evidence[1].excerpt, "T=/usr/sbin/telnetd");
  ASSERT_THAT(r.observations, SizeIs(1));
  EXPECT_EQ(r.observations[0].name, "telnetd");
  EXPECT_THAT(r.observations[0].ports, ElementsAre(2323));
  EXPECT_TRUE(r.observations[0].insecure);
}

TEST(ServiceChecks, ShellListeners) {
  Image img = Busybox(
      "#!/bin/sh\ntelnetd -l /bin/sh\nnc -ll -p 4444 -e /bin/sh &\n"
      "socat TCP-LISTEN:5555,fork EXEC:/bin/bash\n"
      "mkfifo /tmp/f; cat /tmp/f | /bin/sh -i 2>&1 | nc -l 1234 > /tmp/f\n"
      "tcpsvd 0 7777 /bin/sh -i &\n"
      "/bin/sh /etc/ordinary.sh\nnc -l -p 80 > /tmp/upload\n");
  img.File("/etc/ordinary.sh", "#!/bin/sh\necho hi | /bin/sh\n", inventory::FileKind::kScript);
  EXPECT_THAT(img.Messages("CB-SVC-002"), SizeIs(5));
  img.File("/etc/inetd.conf", "4445 stream tcp nowait root /bin/sh sh -i\n#23 stream tcp nowait root /bin/sh sh\n",
           inventory::FileKind::kConfig);
  EXPECT_THAT(img.Messages("CB-SVC-002"), SizeIs(6));
}

TEST(ServiceChecks, RServicesFtpTftpDebuggers) {
  Image img = Busybox("#!/bin/sh\n/usr/sbin/in.rlogind &\nvsftpd\nudpsvd 0 69 tftpd /srv &\n"
                      "gdbserver --multi :1234\n");
  EXPECT_THAT(img.Messages("CB-SVC-003"), SizeIs(1));
  EXPECT_THAT(img.Messages("CB-SVC-004"), SizeIs(2));
  auto debug = img.Messages("CB-SVC-007");
  ASSERT_THAT(debug, SizeIs(1));
  EXPECT_THAT(debug[0], HasSubstr("1234/tcp"));
}

TEST(ServiceChecks, Dropbear) {
  Image img = Busybox("#!/bin/sh\ndropbear -B -p 22\ndropbear -p 2222\ndropbear -g -p 2223\n");
  img.File("/etc/passwd", "root:x:0:0::/root:/bin/sh\n", inventory::FileKind::kConfig);
  img.File("/etc/shadow", "root:$6$salt$hash:1::::::\n", inventory::FileKind::kConfig);
  EXPECT_THAT(img.Messages("CB-SVC-005"), ElementsAre(HasSubstr("dropbear -B")));
  EXPECT_THAT(img.Messages("CB-SVC-006"), ElementsAre(HasSubstr("2222/tcp")));
  AuditReport info = img.Run("CB-SVC-000");
  ASSERT_THAT(info.findings, SizeIs(1));
  EXPECT_EQ(info.findings[0].severity, Severity::kInfo);
  EXPECT_THAT(info.findings[0].message, HasSubstr("2223"));
}

TEST(ServiceChecks, DropbearFromUci) {
  Image img;
  img.File("/etc/init.d/dropbear",
           "#!/bin/sh /etc/rc.common\nPROG=/usr/sbin/dropbear\nstart_service() {\n"
           "  procd_set_param command $PROG -F\n  procd_append_param command -p 22\n}\n");
  img.Link("/etc/rc.d/S19dropbear", "../init.d/dropbear");
  img.File("/etc/config/dropbear",
           "config dropbear\n\toption RootPasswordAuth 'on'\n\nconfig dropbear\n\toption enable '0'\n"
           "\nconfig dropbear\n\toption RootPasswordAuth 'off'\n\toption Port '2200'\n",
           inventory::FileKind::kConfig);
  img.File("/etc/passwd", "root:$1$x$y:0:0::/root:/bin/sh\n", inventory::FileKind::kConfig);
  auto root = img.Run("CB-SVC-006");
  ASSERT_THAT(root.findings, SizeIs(1));
  const Evidence& uci = root.findings[0].evidence.back();
  EXPECT_EQ(uci.path, "/etc/config/dropbear");
  EXPECT_EQ(uci.excerpt, "option RootPasswordAuth 'on'");
  EXPECT_THAT(img.Messages("CB-SVC-000"), ElementsAre(HasSubstr("2200")));

  // Old-style init script: the options are in a variable built from UCI at run time.
  Image old = Busybox("#!/bin/sh\n/usr/sbin/dropbear $DROPBEAR_ARGS\n");
  old.File("/etc/config/dropbear", "config dropbear\n\toption RootPasswordAuth 'off'\n",
           inventory::FileKind::kConfig);
  old.File("/etc/passwd", "root:$1$x$y:0:0::/root:/bin/sh\n", inventory::FileKind::kConfig);
  EXPECT_THAT(old.Messages("CB-SVC-006"), IsEmpty());
}

TEST(ServiceChecks, SshdConfig) {
  Image img;
  img.File("/lib/systemd/system/ssh.service",
           "[Service]\nExecStart=/usr/sbin/sshd -D $SSHD_OPTS\n[Install]\nWantedBy=multi-user.target\n",
           inventory::FileKind::kConfig);
  img.File("/etc/ssh/sshd_config",
           "#PermitRootLogin yes\nPermitRootLogin prohibit-password\nPermitRootLogin yes\n"
           "Match User x\nPermitEmptyPasswords yes\n",
           inventory::FileKind::kConfig);
  EXPECT_THAT(img.Messages("CB-SVC-005"), IsEmpty());
  EXPECT_THAT(img.Messages("CB-SVC-006"), IsEmpty());  // first value wins; Match is not global
  AuditReport r = img.Run("CB-SVC-000");
  ASSERT_THAT(r.findings, SizeIs(1));
  EXPECT_EQ(r.findings[0].severity, Severity::kInfo);
  ASSERT_THAT(r.observations, SizeIs(1));
  EXPECT_FALSE(r.observations[0].insecure);

  Image bad;
  bad.File("/lib/systemd/system/ssh.service",
           "[Service]\nExecStart=/usr/sbin/sshd -D -o PermitEmptyPasswords=yes\n[Install]\nWantedBy=x\n",
           inventory::FileKind::kConfig);
  bad.File("/etc/ssh/sshd_config", "PermitRootLogin yes\n", inventory::FileKind::kConfig);
  EXPECT_THAT(bad.Messages("CB-SVC-005"), SizeIs(1));

  // Debian's layout: drop-ins included first win over the main file.
  Image debian;
  debian.File("/lib/systemd/system/ssh.service",
              "[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nWantedBy=x\n",
              inventory::FileKind::kConfig);
  debian.File("/etc/ssh/sshd_config",
              "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin prohibit-password\n",
              inventory::FileKind::kConfig);
  debian.File("/etc/ssh/sshd_config.d/vendor.conf", "PermitRootLogin yes\n",
              inventory::FileKind::kConfig);
  auto f = debian.Run("CB-SVC-006").findings;
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].evidence.back().path, "/etc/ssh/sshd_config.d/vendor.conf");
}

TEST(ServiceChecks, ConsoleShells) {
  Image img;
  img.File("/etc/inittab",
           "::sysinit:/etc/init.d/rcS\nttyS0::respawn:/bin/sh\n::askfirst:-/bin/ash\n"
           "# ttyS1::respawn:/bin/sh\nttyS2::respawn:/sbin/getty -n -l /bin/sh 115200 ttyS2\n"
           "tty1::respawn:/sbin/getty 38400 tty1\n::sysinit:/bin/sh /etc/init.d/other\n",
           inventory::FileKind::kConfig);
  EXPECT_THAT(img.Messages("CB-SVC-008"), SizeIs(3));
  AuditReport r = img.Run("CB-SVC-008");
  EXPECT_THAT(r.observations, SizeIs(4));  // the getty with a login is observed, not flagged
}

TEST(ServiceChecks, SystemdSocketsAndDisabledUnits) {
  Image img;
  auto unit = [&](const std::string& p, const std::string& t) {
    img.File(p, t, inventory::FileKind::kConfig);
  };
  unit("/lib/systemd/system/telnet.socket", "[Socket]\nListenStream=23\nAccept=yes\n[Install]\nWantedBy=sockets.target\n");
  unit("/lib/systemd/system/telnet@.service", "[Service]\nExecStart=-/usr/sbin/in.telnetd\n");
  unit("/lib/systemd/system/unused.service", "[Service]\nExecStart=/usr/sbin/telnetd -l /bin/sh\n");
  EXPECT_THAT(img.Messages("CB-SVC-001"), ElementsAre(HasSubstr("23/tcp")));
  EXPECT_THAT(img.Messages("CB-SVC-002"), IsEmpty());
}

TEST(ServiceChecks, CommandLinesInsideStartedPrograms) {
  std::string binary("\x7f" "ELF\0\0\0usage: x\0/usr/sbin/telnetd -l /bin/sh -p 4444 &\0more", 58);
  for (bool started : {true, false}) {
    inventory::Inventory inv;
    auto add = [&](const std::string& path, const std::string& text, inventory::FileKind kind) {
      inv.files.push_back(test::TextFile(path, text, kind));
    };
    add("/etc/inittab", "::sysinit:/etc/init.d/rcS\n", inventory::FileKind::kConfig);
    add("/etc/init.d/rcS", started ? "#!/bin/sh\n/usr/bin/vendord &\n" : "#!/bin/sh\n",
        inventory::FileKind::kInitScript);
    add("/usr/bin/vendord", "", inventory::FileKind::kElf);
    const Check* check = FindCheck("CB-SVC-002");
    ASSERT_NE(check, nullptr);
    ASSERT_TRUE(check->make_scanner);
    AuditOptions options;
    std::unique_ptr<ContentScanner> scanner = check->make_scanner(options);
    scanner->OnContent(inv.files.back(), 0x1000, AsBytes(binary));
    AuditReport report;
    AuditContext ctx(inv, options, report);
    std::vector<Finding> out;
    scanner->Finish(ctx, out);
    if (!started) {
      EXPECT_THAT(out, IsEmpty());
      continue;
    }
    ASSERT_THAT(out, SizeIs(1));
    EXPECT_THAT(out[0].message, HasSubstr("started by the program /usr/bin/vendord"));
    EXPECT_EQ(out[0].evidence[0].offset, 0x1000 + binary.find("/usr/sbin/telnetd"));
    EXPECT_EQ(out[0].evidence[0].excerpt, "/usr/sbin/telnetd -l /bin/sh -p 4444 &");
    EXPECT_EQ(out[0].evidence[1].path, "/etc/init.d/rcS");
  }
}

TEST(ServiceChecks, HugeAndBinaryStartFilesAreNotes) {
  Image img = Busybox("#!/bin/sh\necho " + std::string(1 << 20, 'x') + "\ntelnetd\n");
  AuditReport r = img.Run("CB-SVC-000");
  ASSERT_FALSE(r.notes.empty());
  EXPECT_EQ(r.notes[0].where, "fw.bin!squashfs:/etc/init.d/rcS");
  EXPECT_THAT(img.Messages("CB-SVC-001"), SizeIs(1));
}

}  // namespace
}  // namespace clearbox::audit
