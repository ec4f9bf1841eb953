#include "clearbox/maint/auth_log.h"
#include "clearbox/maint/recording.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace clearbox::maint {
namespace {

constexpr int64_t kNow = int64_t{1796623200} * 1000000;  // 2026-12-07T06:00:00Z

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(CLEARBOX_SOURCE_DIR) + "/tests/data/maint/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

AuthLog Parse(const std::string& text, const std::string& name = "auth.log", int64_t now = kNow) {
  AuthLog log;
  AuthLogOptions options;
  options.now_us = now;
  ParseAuthLog(AsBytes(text), name, options, &log);
  return log;
}

const AuthEvent* Find(const AuthLog& log, AuthEventKind kind, const std::string& key_id = "") {
  for (const AuthEvent& e : log.events) {
    if (e.kind == kind && (key_id.empty() || e.key_id == key_id)) return &e;
  }
  return nullptr;
}

size_t Count(const AuthLog& log, AuthEventKind kind) {
  size_t n = 0;
  for (const AuthEvent& e : log.events) n += e.kind == kind;
  return n;
}

// The same session of real sshd 9.2 (Debian 12) and login(1) lines, as journalctl wrote it
// (RFC 3339 stamps, RFC 3164 stamps, export format) and as sshd -E wrote it (no stamps).
void ExpectTheStory(const AuthLog& log, bool timed) {
  EXPECT_TRUE(log.notes.empty()) << log.notes[0];
  const AuthEvent* in = Find(log, AuthEventKind::kCertificateLogin, "CHG-INSIDE");
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->serial, 101u);
  EXPECT_EQ(in->method, "publickey");
  EXPECT_EQ(in->address, "127.0.0.1");
  EXPECT_EQ(in->key_type, "ED25519-CERT");
  EXPECT_EQ(in->ca_type, "ED25519");
  EXPECT_EQ(in->ca_fingerprint.rfind("SHA256:", 0), 0u);
  EXPECT_EQ(in->has_time, timed);
  struct Want {
    const char* key_id;
    RefusalReason reason;
  };
  for (Want w : {Want{"CHG-BEFORE", RefusalReason::kNotYetValid},
                 Want{"CHG-AFTER", RefusalReason::kExpired},
                 Want{"CHG-PRINCIPAL", RefusalReason::kPrincipal},
                 Want{"CHG-SOURCE", RefusalReason::kSourceAddress},
                 Want{"CHG-OTHERCA", RefusalReason::kUnknown},
                 Want{"CHG-REV", RefusalReason::kRevoked}}) {
    const AuthEvent* e = Find(log, AuthEventKind::kCertificateRefused, w.key_id);
    if (!timed && std::string(w.key_id) == "CHG-AFTER") continue;  // not in the -E excerpt
    ASSERT_NE(e, nullptr) << w.key_id;
    EXPECT_EQ(e->reason, w.reason) << w.key_id << ": " << e->reason_text;
    if (w.reason != RefusalReason::kUnknown) {
      EXPECT_GT(e->reason_line, 0u) << w.key_id;
    }
  }
  EXPECT_NE(Find(log, AuthEventKind::kCertificateRefused, "CHG-OTHERCA")->ca_fingerprint,
            in->ca_fingerprint);
  EXPECT_EQ(Find(log, AuthEventKind::kCertificateRefused, "CHG-SOURCE")->address, "127.0.0.2");
  EXPECT_EQ(Count(log, AuthEventKind::kCertificateLogin), 1u);
  EXPECT_EQ(Count(log, AuthEventKind::kKeyLogin), 1u);
  EXPECT_EQ(Count(log, AuthEventKind::kPasswordLogin), 1u);
  EXPECT_NE(Find(log, AuthEventKind::kKeyLogin)->key_fingerprint, "");
}

TEST(AuthLog, JournalctlIsoLines) {
  AuthLog log = Parse(Fixture("auth-journalctl-iso.log"), "olt1/auth.log");
  ExpectTheStory(log, true);
  const AuthEvent* in = Find(log, AuthEventKind::kCertificateLogin);
  EXPECT_EQ(FormatUnixMicros(in->time_us), "2026-12-07T05:05:55.053693Z");
  EXPECT_EQ(in->host, "vm");
  EXPECT_EQ(in->pid, 16432u);
  EXPECT_EQ(AuthEventWhere(*in).rfind("olt1/auth.log:", 0), 0u);
  // Console logins: the non-root one from PAM, root's with its terminal (one event each).
  ASSERT_EQ(Count(log, AuthEventKind::kConsoleLogin), 2u);
  const AuthEvent* root = nullptr;
  for (const AuthEvent& e : log.events) {
    if (e.kind == AuthEventKind::kConsoleLogin && e.user == "root") root = &e;
  }
  ASSERT_NE(root, nullptr);
  EXPECT_NE(root->tty.find("pts/0"), std::string::npos) << root->tty;
  EXPECT_EQ(Count(log, AuthEventKind::kKeyboardInteractiveLogin), 1u);
  EXPECT_GE(Count(log, AuthEventKind::kSessionClosed), 4u);
}

TEST(AuthLog, Rfc3339WithColonOffsetAsRsyslogWritesIt) {
  AuthLog log = Parse(
      "2026-12-07T06:05:55.053693+01:00 olt1 sshd[16432]: Accepted publickey for maint from "
      "192.0.2.10 port 50101 ssh2: ED25519-CERT SHA256:abc ID CHG-1 (serial 7) CA ED25519 "
      "SHA256:def\n");
  ASSERT_EQ(log.events.size(), 1u);
  EXPECT_EQ(FormatUnixMicros(log.events[0].time_us), "2026-12-07T05:05:55.053693Z");
  EXPECT_EQ(log.events[0].host, "olt1");
}

TEST(AuthLog, Rfc3164LinesInferTheYear) {
  AuthLog log = Parse(Fixture("auth-journalctl-short.log"));
  ExpectTheStory(log, true);
  EXPECT_EQ(FormatUnixMicros(Find(log, AuthEventKind::kCertificateLogin)->time_us),
            "2026-12-07T05:05:55.000000Z");
  // Read on 2 January, a December stamp is from the year before.
  AuthLog later = Parse(Fixture("auth-journalctl-short.log"), "auth.log",
                        int64_t{1798848000} * 1000000);  // 2027-01-02
  EXPECT_EQ(FormatUnixMicros(Find(later, AuthEventKind::kCertificateLogin)->time_us),
            "2026-12-07T05:05:55.000000Z");
}

TEST(AuthLog, SshdDashELinesHaveNoTime) {
  AuthLog log = Parse(Fixture("sshd-E.log"), "sshd.log");
  ExpectTheStory(log, false);
  EXPECT_EQ(Find(log, AuthEventKind::kCertificateLogin)->pid, 0u);
}

TEST(AuthLog, JournalExport) {
  AuthLog log = Parse(Fixture("journal-sshd.export"), "olt1.export");
  ExpectTheStory(log, true);
  const AuthEvent* in = Find(log, AuthEventKind::kCertificateLogin);
  EXPECT_EQ(in->host, "vm");
  EXPECT_NE(AuthEventWhere(*in).find("olt1.export:"), std::string::npos);
}

TEST(AuthLog, JournalExportBinaryFieldAndTruncation) {
  std::string msg = "Accepted password for root from 10.0.0.1 port 22 ssh2\nsecond line";
  std::string entry = "__REALTIME_TIMESTAMP=1796619955000000\nSYSLOG_IDENTIFIER=sshd\nMESSAGE\n";
  uint64_t n = msg.size();
  for (int i = 0; i < 8; ++i) entry.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  entry += msg + "\n_PID=9\n\n";
  AuthLog log = Parse(entry + entry, "j.export");
  ASSERT_EQ(log.events.size(), 2u);
  EXPECT_EQ(log.events[0].kind, AuthEventKind::kPasswordLogin);
  EXPECT_EQ(log.events[0].user, "root");
  EXPECT_EQ(log.events[1].line, 2u);
  // A size that runs past the end: a note naming the entry, the earlier entry kept.
  std::string cut = entry + entry.substr(0, entry.find("MESSAGE\n") + 8) + std::string(8, '\x7f');
  log = Parse(cut, "j.export");
  EXPECT_EQ(log.events.size(), 1u);
  ASSERT_EQ(log.notes.size(), 1u);
  EXPECT_NE(log.notes[0].find("j.export: journal entry 2: field MESSAGE"), std::string::npos)
      << log.notes[0];
}

TEST(AuthLog, JsonLines) {
  AuthLog log = Parse(
      "{\"__REALTIME_TIMESTAMP\":\"1796619955053693\",\"_HOSTNAME\":\"olt1\","
      "\"SYSLOG_IDENTIFIER\":\"sshd\",\"_PID\":\"5\",\"MESSAGE\":\"Accepted password for root "
      "from 127.0.0.1 port 50101 ssh2\"}\n"
      "{\"SYSLOG_IDENTIFIER\":\"login\",\"MESSAGE\":[82,79,79,84,32,76,79,71,73,78,32,79,78,32,"
      "116,116,121,49]}\n[[[[[[[[[[]]]]]]]]]]\n");
  ASSERT_EQ(log.events.size(), 2u);
  EXPECT_EQ(log.events[0].kind, AuthEventKind::kPasswordLogin);
  EXPECT_EQ(log.events[1].kind, AuthEventKind::kConsoleLogin);
  EXPECT_EQ(log.events[1].tty, "tty1");
  ASSERT_EQ(log.notes.size(), 1u);
  EXPECT_EQ(log.notes[0].rfind("auth.log:3: ", 0), 0u) << log.notes[0];
}

TEST(AuthLog, AMegabyteLineIsANoteAndTheRestIsRead) {
  std::string text = "Dec  7 05:00:00 olt1 sshd[1]: " + std::string(1 << 20, 'x') + "\n" +
                     "Dec  7 05:00:01 olt1 sshd[2]: Accepted password for root from 10.0.0.1 "
                     "port 22 ssh2\n";
  AuthLog log = Parse(text, "big.log");
  ASSERT_EQ(log.notes.size(), 1u);
  EXPECT_EQ(log.notes[0].rfind("big.log:1: line of 1048606 bytes", 0), 0u) << log.notes[0];
  ASSERT_EQ(log.events.size(), 1u);
  EXPECT_EQ(log.events[0].line, 2u);
}

TEST(AuthLog, AKeyIdIsReadFromTheRight) {
  // The key id is the CA's to choose: spaces, parentheses, even a fake "(serial ..) CA ..".
  AuthLog log = Parse(
      "sshd[1]: ignored\n"
      "Accepted publickey for maint from 192.0.2.10 port 50101 ssh2: ED25519-CERT SHA256:abc ID "
      "CHG 1 (serial 5) CA X Y (serial 42) CA ED25519 SHA256:def\n");
  ASSERT_EQ(log.events.size(), 1u);
  EXPECT_EQ(log.events[0].key_id, "CHG 1 (serial 5) CA X Y");
  EXPECT_EQ(log.events[0].serial, 42u);
  EXPECT_EQ(log.events[0].ca_fingerprint, "SHA256:def");
}

TEST(AuthLog, RefusalReasonsStayWithTheirProcess) {
  // Two connections interleaved: each Failed line takes the reason its own process gave.
  AuthLog log = Parse(
      "2026-12-07T05:00:00Z h sshd[10]: error: Certificate invalid: expired\n"
      "2026-12-07T05:00:00Z h sshd[11]: error: Certificate invalid: not yet valid\n"
      "2026-12-07T05:00:01Z h sshd[11]: Failed publickey for a from 1.2.3.4 port 1 ssh2: "
      "ED25519-CERT SHA256:a ID B (serial 2) CA ED25519 SHA256:c\n"
      "2026-12-07T05:00:01Z h sshd[10]: Failed publickey for a from 1.2.3.4 port 2 ssh2: "
      "ED25519-CERT SHA256:a ID A (serial 1) CA ED25519 SHA256:c\n");
  ASSERT_EQ(log.events.size(), 2u);
  EXPECT_EQ(log.events[0].key_id, "B");
  EXPECT_EQ(log.events[0].reason, RefusalReason::kNotYetValid);
  EXPECT_EQ(log.events[1].reason, RefusalReason::kExpired);
  EXPECT_EQ(log.events[1].reason_line, 1u);
}

TEST(AuthLog, GarbageIsSkipped) {
  AuthLog log = Parse(std::string("\0\xff\n\n  \nDec 99 99:99:99 x y: z\n__X\n", 30));
  EXPECT_TRUE(log.events.empty());
}

}  // namespace
}  // namespace clearbox::maint
