#include "clearbox/maint/reconcile.h"

#include <gtest/gtest.h>

#include <set>

#include "approval_test_util.h"
#include "clearbox/maint/session.h"

namespace clearbox::maint {
namespace {

using testing::ApprovalWorld;
using testing::kT0;

constexpr int64_t kUs = 1000000;

// A clean story: CHG-1 approved by alice and bob, certificate serial 77 recorded by the
// issuer, one login inside the window, its session sealed by the device's recorder, the
// recording on hand. Each test changes one thing and expects exactly the findings it causes.
class ReconcileTest : public ::testing::Test {
 protected:
  ReconcileTest() {
    std::string extra = "\"recorders\": [{\"name\": \"olt1-recorder\", \"key\": \"" +
                        world_.VKey("mallory") + "\"}],";
    policy_ = ParsePolicy(world_.PolicyJson(2, 2, extra), "policy.json").value();
    ca_fp_ = SshFingerprint(ParseSshPublicKey(world_.SshLine("ca")).value().blob);
    request_ = world_.AppendRequest(world_.Request("CHG-1"));
    world_.AppendReview(request_, "alice", true);
    world_.AppendReview(request_, "bob", true);
    record_.certificate_sha256 = std::string(64, 'c');
    record_.request_sha256 = request_;
    record_.key_id = "CHG-1";
    record_.serial = 77;
    record_.principals = {"maint-olt1"};
    record_.valid_after = kT0 + 3600;
    record_.valid_before = kT0 + 3 * 3600;
    record_.issued_at = kT0 + 120;
    record_.ca_fingerprint = ca_fp_;
    world_.Append(MakeCertificateStatement(record_), "issuer");
    events_.push_back(Login(kT0 + 3700));
    events_.push_back(Closed(kT0 + 4000));
    session_ = Session(kT0 + 3700);
    recordings_.push_back(Recording(session_));
  }

  AuthEvent Login(uint64_t at, const std::string& key_id = "CHG-1", uint64_t serial = 77) {
    AuthEvent e;
    e.kind = AuthEventKind::kCertificateLogin;
    e.has_time = true;
    e.time_us = static_cast<int64_t>(at) * kUs;
    e.host = "olt1";
    e.file = "olt1/auth.log";
    e.line = ++line_;
    e.user = "maint-olt1";
    e.address = "192.0.2.10";
    e.port = 50000 + static_cast<uint32_t>(line_);
    e.method = "publickey";
    e.key_type = "ED25519-CERT";
    e.key_fingerprint = "SHA256:engineer";
    e.key_id = key_id;
    e.serial = serial;
    e.ca_type = "ED25519";
    e.ca_fingerprint = ca_fp_;
    e.text = "Accepted publickey for maint-olt1 ...";
    return e;
  }
  AuthEvent Closed(uint64_t at) {
    AuthEvent e = events_.back();
    e.kind = AuthEventKind::kSessionClosed;
    e.time_us = static_cast<int64_t>(at) * kUs;
    e.line = ++line_;
    return e;
  }
  SessionRecord Session(uint64_t start, uint64_t serial = 77) {
    SessionRecord s;
    s.summary.ticket = "CHG-1";
    s.summary.serial = serial;
    s.summary.device = "olt1";
    s.summary.start_unix_us = static_cast<int64_t>(start) * kUs + 250000;
    s.summary.end_unix_us = static_cast<int64_t>(start + 300) * kUs;
    s.summary.cast_sha256.fill(static_cast<uint8_t>(0x40 + serial % 64));
    s.summary.head.chunks = 3;
    s.summary.head.bytes = 1000;
    s.summary.events = 20;
    return s;
  }
  RecordingCheck Recording(const SessionRecord& s) {
    RecordingCheck r;
    r.path = "sessions/CHG-1-77.cast";
    r.sha256 = s.summary.cast_sha256;
    r.verified = true;
    r.complete = true;
    r.head = s.summary.head;
    r.ticket = s.summary.ticket;
    r.serial = s.summary.serial;
    r.device = s.summary.device;
    r.start_us = s.summary.start_unix_us;
    return r;
  }
  void Seal(const SessionRecord& s, const std::string& signer = "mallory") {
    world_.Append(MakeSessionStatement(s), signer);
  }

  MaintAuditReport Run(const Krl* krl = nullptr) {
    std::vector<LogEntry> entries = world_.Entries();
    ReconcileInput in{policy_, entries, events_, recordings_, true, krl, "revoked.krl", now_};
    return Reconcile(in);
  }
  static std::multiset<std::string> Rules(const MaintAuditReport& r) {
    std::multiset<std::string> out;
    for (const MaintFinding& f : r.findings) out.insert(f.rule_id);
    return out;
  }
  static std::string Dump(const MaintAuditReport& r) {
    std::string out;
    for (const MaintFinding& f : r.findings) out += f.rule_id + ": " + f.message + "\n";
    return out;
  }
  static const MaintFinding* Of(const MaintAuditReport& r, const std::string& rule) {
    for (const MaintFinding& f : r.findings) {
      if (f.rule_id == rule) return &f;
    }
    return nullptr;
  }

  ApprovalWorld world_;
  Policy policy_;
  std::string ca_fp_, request_;
  CertificateRecord record_;
  std::vector<AuthEvent> events_;
  SessionRecord session_;
  std::vector<RecordingCheck> recordings_;
  uint64_t now_ = kT0 + 5 * 3600;
  uint64_t line_ = 0;
};

TEST_F(ReconcileTest, ACleanStoryHasNoFinding) {
  Seal(session_);
  MaintAuditReport r = Run();
  EXPECT_TRUE(r.findings.empty()) << Dump(r);
  EXPECT_EQ(r.requests, 1u);
  EXPECT_EQ(r.approved, 1u);
  EXPECT_EQ(r.certificates, 1u);
  EXPECT_EQ(r.sessions, 1u);
  EXPECT_EQ(r.logins, 1u);
}

TEST_F(ReconcileTest, LoginWithACertificateNoRecordNames) {
  Seal(session_);
  events_.push_back(Login(kT0 + 3800, "CHG-1", 78));
  MaintAuditReport r = Run();
  EXPECT_EQ(Rules(r), (std::multiset<std::string>{"CB-MAINT-001"})) << Dump(r);
  EXPECT_EQ(Of(r, "CB-MAINT-001")->serial, 78u);
  EXPECT_EQ(Of(r, "CB-MAINT-001")->evidence[0].where, "olt1/auth.log:3");
}

TEST_F(ReconcileTest, LoginWithAnotherCa) {
  Seal(session_);
  AuthEvent e = Login(kT0 + 3800);
  e.ca_fingerprint = "SHA256:other";
  events_.push_back(e);
  MaintAuditReport r = Run();
  EXPECT_EQ(Rules(r), (std::multiset<std::string>{"CB-MAINT-001"})) << Dump(r);
  EXPECT_NE(Of(r, "CB-MAINT-001")->message.find("SHA256:other"), std::string::npos);
}

TEST_F(ReconcileTest, ACertificateOfAnUnapprovedRequest) {
  Seal(session_);
  std::string pending = world_.AppendRequest(world_.Request("CHG-2"));
  world_.AppendReview(pending, "alice", true, kT0 + 60, "CHG-2");  // one of two
  CertificateRecord rec = record_;
  rec.request_sha256 = pending;
  rec.key_id = "CHG-2";
  rec.serial = 90;
  world_.Append(MakeCertificateStatement(rec), "issuer");
  events_.push_back(Login(kT0 + 3800, "CHG-2", 90));
  events_.push_back(Closed(kT0 + 3900));
  MaintAuditReport r = Run();
  EXPECT_EQ(Rules(r), (std::multiset<std::string>{"CB-MAINT-001", "CB-MAINT-008"})) << Dump(r);
  EXPECT_NE(Of(r, "CB-MAINT-001")->message.find("not approved"), std::string::npos);
}

TEST_F(ReconcileTest, AnApprovalNeverUsed) {
  Seal(session_);
  std::string other = world_.AppendRequest(world_.Request("CHG-3"));
  world_.AppendReview(other, "alice", true, kT0 + 60, "CHG-3");
  world_.AppendReview(other, "carol", true, kT0 + 60, "CHG-3");
  MaintAuditReport r = Run();
  EXPECT_EQ(Rules(r), (std::multiset<std::string>{"CB-MAINT-002"})) << Dump(r);
  EXPECT_EQ(Of(r, "CB-MAINT-002")->ticket, "CHG-3");
  // While its window is open it is no finding.
  now_ = kT0 + 2 * 3600;
  EXPECT_TRUE(Run().findings.empty()) << Dump(Run());
}

TEST_F(ReconcileTest, LoginOutsideTheWindow) {
  events_.clear();
  events_.push_back(Login(kT0 + 4 * 3600));
  events_.push_back(Closed(kT0 + 4 * 3600 + 10));
  Seal(Session(kT0 + 4 * 3600));
  recordings_ = {Recording(Session(kT0 + 4 * 3600))};
  MaintAuditReport r = Run();
  // The login and the session start are both outside.
  EXPECT_EQ(Rules(r), (std::multiset<std::string>{"CB-MAINT-003", "CB-MAINT-003"})) << Dump(r);
}

TEST_F(ReconcileTest, WithinTheClockSkewIsNoFinding) {
  events_.clear();
  events_.push_back(Login(kT0 + 3600 - 200));  // 200 s early; max-clock-skew is 300 s
  events_.push_back(Closed(kT0 + 3600));
  session_ = Session(kT0 + 3600 - 200);
  recordings_ = {Recording(session_)};
  Seal(session_);
  MaintAuditReport r = Run();
  EXPECT_TRUE(r.findings.empty()) << Dump(r);
}

TEST_F(ReconcileTest, CertificateUsedAfterRevocation) {
  Seal(session_);
  Krl krl;
  krl.version = 1;
  krl.generated_date = kT0 + 3650;
  KrlCertificateSection& s = krl.certificates.emplace_back();
  s.ca_key = ParseSshPublicKey(world_.SshLine("ca")).value().blob;
  s.serials = {77};
  MaintAuditReport r = Run(&krl);
  // The login and the session both came after the KRL.
  EXPECT_EQ(Rules(r), (std::multiset<std::string>{"CB-MAINT-004", "CB-MAINT-004"})) << Dump(r);
  EXPECT_EQ(Of(r, "CB-MAINT-004")->severity, MaintSeverity::kCritical);
  // Revoked after the session: no finding.
  krl.generated_date = kT0 + 4200;
  EXPECT_TRUE(Run(&krl).findings.empty()) << Dump(Run(&krl));
  // A KRL of another CA revokes nothing of ours.
  krl.generated_date = kT0;
  s.ca_key = ParseSshPublicKey(world_.SshLine("alice")).value().blob;
  EXPECT_TRUE(Run(&krl).findings.empty());
}

TEST_F(ReconcileTest, RecordingDigestDiffers) {
  Seal(session_);
  recordings_[0].sha256.fill(0x99);
  MaintAuditReport r = Run();
  EXPECT_EQ(Rules(r), (std::multiset<std::string>{"CB-MAINT-005"})) << Dump(r);
  EXPECT_NE(Of(r, "CB-MAINT-005")->message.find("differs"), std::string::npos);
}

TEST_F(ReconcileTest, RecordingBrokenInTheMiddle) {
  Seal(session_);
  recordings_[0].sha256.fill(0x98);
  recordings_[0].verified = false;
  recordings_[0].error = "chunk 2 (bytes 100-200, up to line 9) is broken";
  MaintAuditReport r = Run();
  EXPECT_EQ(Rules(r), (std::multiset<std::string>{"CB-MAINT-005"})) << Dump(r);
  EXPECT_NE(Of(r, "CB-MAINT-005")->message.find("chunk 2"), std::string::npos);
}

TEST_F(ReconcileTest, RecordingMissingAndUnsealedRecording) {
  Seal(session_);
  RecordingCheck stray = Recording(Session(kT0 + 3900, 77));
  stray.sha256.fill(0x11);
  stray.start_us += 1;
  stray.path = "sessions/stray.cast";
  recordings_ = {stray};
  MaintAuditReport r = Run();
  EXPECT_EQ(Rules(r), (std::multiset<std::string>{"CB-MAINT-005", "CB-MAINT-008"})) << Dump(r);
}

TEST_F(ReconcileTest, LoginsWithoutCertificatesAndConsoleLogins) {
  Seal(session_);
  AuthEvent pw = Login(kT0 + 3800);
  pw.kind = AuthEventKind::kPasswordLogin;
  pw.method = "password";
  pw.key_id.clear();
  pw.ca_fingerprint.clear();
  AuthEvent key = pw;
  key.kind = AuthEventKind::kKeyLogin;
  key.user = "admin";
  key.method = "publickey";
  AuthEvent console = pw;
  console.kind = AuthEventKind::kConsoleLogin;
  console.user = "root";
  console.tty = "ttyS0";
  events_.insert(events_.end(), {pw, key, console});
  MaintAuditReport r = Run();
  EXPECT_EQ(Rules(r),
            (std::multiset<std::string>{"CB-MAINT-006", "CB-MAINT-006", "CB-MAINT-007"}))
      << Dump(r);
  // A maintenance account's password login is worse than another account's key login.
  std::multiset<MaintSeverity> sev;
  for (const MaintFinding& f : r.findings) {
    if (f.rule_id == "CB-MAINT-006") sev.insert(f.severity);
  }
  EXPECT_EQ(sev, (std::multiset<MaintSeverity>{MaintSeverity::kMedium, MaintSeverity::kHigh}));
}

TEST_F(ReconcileTest, LoginWithoutSessionStatement) {
  MaintAuditReport r = Run();
  // Not sealed: the login has no statement, and the recording on hand is sealed by none.
  EXPECT_EQ(Rules(r), (std::multiset<std::string>{"CB-MAINT-008", "CB-MAINT-008"})) << Dump(r);
  // Still open and inside its window: no finding yet.
  events_.pop_back();
  recordings_.clear();
  now_ = kT0 + 2 * 3600;
  r = Run();
  EXPECT_TRUE(r.findings.empty()) << Dump(r);
  EXPECT_FALSE(r.notes.empty());
}

TEST_F(ReconcileTest, SessionStatementByANonRecorder) {
  Seal(session_, "alice");
  MaintAuditReport r = Run();
  EXPECT_EQ(Rules(r), (std::multiset<std::string>{"CB-MAINT-008", "CB-MAINT-008",
                                                  "CB-MAINT-008"}))
      << Dump(r);
}

TEST_F(ReconcileTest, RefusalsAreExplained) {
  Seal(session_);
  AuthEvent e = Login(kT0 + 3 * 3600 + 600);
  e.kind = AuthEventKind::kCertificateRefused;
  e.reason = RefusalReason::kExpired;
  e.reason_text = "Certificate invalid: expired";
  e.reason_line = e.line - 1;
  events_.push_back(e);
  AuthEvent other = Login(kT0 + 3 * 3600 + 700, "CHG-X", 5);
  other.kind = AuthEventKind::kCertificateRefused;
  other.ca_fingerprint = "SHA256:elsewhere";
  events_.push_back(other);
  MaintAuditReport r = Run();
  ASSERT_EQ(Rules(r), (std::multiset<std::string>{"CB-MAINT-009", "CB-MAINT-009"})) << Dump(r);
  EXPECT_NE(r.findings[0].message.find("expired: its window ended at 2026-12-07T03:00:00Z"),
            std::string::npos)
      << r.findings[0].message;
  EXPECT_EQ(r.findings[0].evidence[0].text, "Certificate invalid: expired");
  EXPECT_NE(r.findings[1].message.find("signed by CA SHA256:elsewhere"), std::string::npos);
  EXPECT_EQ(r.findings[1].severity, MaintSeverity::kMedium);
}

TEST_F(ReconcileTest, ClockTenMinutesOff) {
  session_ = Session(kT0 + 3700 + 600);  // the recorder's clock is 10 minutes ahead
  recordings_ = {Recording(session_)};
  Seal(session_);
  MaintAuditReport r = Run();
  EXPECT_EQ(Rules(r), (std::multiset<std::string>{"CB-MAINT-010"})) << Dump(r);
  EXPECT_EQ(Of(r, "CB-MAINT-010")->facts.at("skew-seconds"), "600");
}

TEST_F(ReconcileTest, RulesAreDocumentedInOrder) {
  ASSERT_EQ(MaintRules().size(), 10u);
  for (size_t i = 0; i < MaintRules().size(); ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "CB-MAINT-%03zu", i + 1);
    EXPECT_EQ(MaintRules()[i].id, id);
  }
}

}  // namespace
}  // namespace clearbox::maint
