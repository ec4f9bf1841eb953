#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "approval_test_util.h"
#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"
#include "clearbox/maint/session.h"
#include "test_util.h"

namespace clearbox::maint {
namespace {

using testing::ApprovalWorld;
using testing::ScratchDir;

// A policy with two recorders (olt1's, and a revoked one) and a real recording made by the
// writer, verified as `replay --verify` verifies it.
class SessionCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto vkey = [](const std::string& name, const crypto::Ed25519PrivateKey& k) {
      return crypto::FormatVerifierKey(name + ".example", crypto::kNoteTypeEd25519, k.public_key());
    };
    std::string recorders = "\"recorders\": [{\"name\": \"rec-olt1\", \"key\": \"" +
                            vkey("rec-olt1", recorder_) +
                            "\"}, {\"name\": \"rec-old\", \"key\": \"" + vkey("rec-old", revoked_) +
                            "\", \"revoked\": true}],";
    policy_ = ParsePolicy(world_.PolicyJson(2, 2, recorders), "policy.json").value();
    ASSERT_EQ(policy_.recorders.size(), 2u);

    summary_ = Record("rec1.cast", "echo hi\r\n");
    other_summary_ = Record("rec2.cast", "something else\r\n");
    auto cast = ReadFile(dir_.File("rec1.cast"), 1 << 20);
    ASSERT_TRUE(cast.ok());
    cast_ = *cast;
    auto v = VerifyRecording(cast_, {});
    ASSERT_TRUE(v.ok()) << v.error().message();
    report_ = *v;
  }

  SessionSummary Record(const std::string& name, std::string_view output) {
    RecordingMetadata meta;
    meta.ticket = "CHG-1";
    meta.serial = 77;
    meta.device = "olt1";
    meta.start_unix_us = 1796609244123456;
    RecorderOptions ro;
    ro.chunk_bytes = 256;
    auto w = RecordingWriter::Create(dir_.File(name), meta, ro);
    EXPECT_TRUE(w.ok());
    for (int i = 0; i < 20; ++i) EXPECT_TRUE((*w)->Output(0.1 * i, AsBytes(output)).ok());
    SessionEnd end;
    end.exit_status = 3;
    end.end_unix_us = meta.start_unix_us + 5000000;
    auto s = (*w)->Finish(3.0, end);
    EXPECT_TRUE(s.ok());
    return *s;
  }

  std::string Signed(const SessionSummary& s, const crypto::Ed25519PrivateKey& key) {
    SessionRecord r;
    r.summary = s;
    r.observers = {"alice"};
    return release::SignStatement(MakeSessionStatement(r), key).value();
  }

  SessionLogCheck Check(const std::vector<std::string>& log) {
    std::vector<LogEntry> entries;
    for (size_t i = 0; i < log.size(); ++i) entries.push_back({i, AsBytes(log[i])});
    return CheckSessionInLog(policy_, report_, entries);
  }

  static std::string Joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& l : lines) out += l + "\n";
    return out;
  }

  ApprovalWorld world_;
  crypto::Ed25519PrivateKey recorder_ = crypto::Ed25519PrivateKey::Generate().value();
  crypto::Ed25519PrivateKey revoked_ = crypto::Ed25519PrivateKey::Generate().value();
  crypto::Ed25519PrivateKey stranger_ = crypto::Ed25519PrivateKey::Generate().value();
  ScratchDir dir_;
  Policy policy_;
  SessionSummary summary_, other_summary_;
  Bytes cast_;
  VerifyReport report_;
};

TEST_F(SessionCheckTest, FindsTheRecordersStatementAmongOtherEntries) {
  std::vector<std::string> log = {
      "not json", release::SignStatement(MakeReviewStatement({}), world_.Key("alice")).value(),
      Signed(summary_, recorder_)};
  SessionLogCheck c = Check(log);
  ASSERT_NE(c.sealed(), nullptr) << Joined(c.Problems());
  EXPECT_EQ(c.sealed()->index, 2u);
  EXPECT_EQ(c.sealed()->recorder, "rec-olt1");
  EXPECT_EQ(c.sealed()->record.observers, std::vector<std::string>{"alice"});
  EXPECT_TRUE(c.Problems().empty());
  EXPECT_EQ(c.cast_sha256, Sha256Hex(cast_));
}

TEST_F(SessionCheckTest, NoStatementIsNotSealed) {
  SessionLogCheck c = Check({"x"});
  EXPECT_EQ(c.sealed(), nullptr);
  std::string p = Joined(c.Problems());
  EXPECT_NE(p.find("not sealed: no session statement in the log (1 entries) has this "
                   "recording's sha256 " +
                   Sha256Hex(cast_)),
            std::string::npos)
      << p;
}

TEST_F(SessionCheckTest, RefusesAStatementSignedByAKeyThatIsNoRecorder) {
  SessionLogCheck c = Check({Signed(summary_, stranger_)});
  EXPECT_EQ(c.sealed(), nullptr);
  EXPECT_NE(Joined(c.Problems()).find("log entry 0: signed by a key that is not a recorder"),
            std::string::npos)
      << Joined(c.Problems());
  // An approver's key is not a recorder's either.
  c = Check({Signed(summary_, world_.Key("alice"))});
  EXPECT_EQ(c.sealed(), nullptr);
}

TEST_F(SessionCheckTest, RefusesARevokedRecorder) {
  SessionLogCheck c = Check({Signed(summary_, revoked_)});
  EXPECT_EQ(c.sealed(), nullptr);
  EXPECT_NE(Joined(c.Problems()).find("rec-old, whose recorder key is revoked"), std::string::npos)
      << Joined(c.Problems());
}

TEST_F(SessionCheckTest, AStatementThatMisdescribesTheRecordingDoesNotSealIt) {
  for (int field = 0; field < 5; ++field) {
    SessionSummary s = summary_;
    switch (field) {
      case 0:
        s.ticket = "CHG-2";
        break;
      case 1:
        s.serial = 78;
        break;
      case 2:
        s.device = "olt2";
        break;
      case 3:
        s.head.chunks += 1;
        break;
      case 4:
        s.exit_status = 0;
        break;
    }
    SessionLogCheck c = Check({Signed(s, recorder_)});
    EXPECT_EQ(c.sealed(), nullptr) << field;
    std::string p = Joined(c.Problems());
    EXPECT_NE(p.find("does not describe this recording"), std::string::npos) << p;
    const char* names[] = {"ticket \"CHG-2\"", "serial 78", "device \"olt2\"", "chunks",
                           "exit status 0 (the recording: 3)"};
    EXPECT_NE(p.find(names[field]), std::string::npos) << p;
  }
}

TEST_F(SessionCheckTest, AGoodStatementAfterABadOneSeals) {
  SessionSummary wrong = summary_;
  wrong.exit_status = 9;
  SessionLogCheck c =
      Check({Signed(summary_, stranger_), Signed(wrong, recorder_), Signed(summary_, recorder_)});
  ASSERT_NE(c.sealed(), nullptr);
  EXPECT_EQ(c.sealed()->index, 2u);
  EXPECT_EQ(c.seals.size(), 3u);
}

TEST_F(SessionCheckTest, NamesTheStatementOfAnotherRecordingOfTheSameSession) {
  // What an edited and re-chained copy meets: the log seals the original, not this one.
  SessionLogCheck c = Check({Signed(other_summary_, recorder_)});
  EXPECT_EQ(c.sealed(), nullptr);
  ASSERT_EQ(c.others.size(), 1u);
  EXPECT_EQ(c.others[0].recorder, "rec-olt1");
  std::string p = Joined(c.Problems());
  EXPECT_NE(p.find("log entry 0 (signed by rec-olt1) seals another recording"), std::string::npos)
      << p;
  EXPECT_NE(p.find("sha256 " + HexEncode(other_summary_.cast_sha256)), std::string::npos) << p;
  EXPECT_NE(p.find("the digest differs"), std::string::npos) << p;
}

TEST_F(SessionCheckTest, RefusesTwoSignatures) {
  SessionRecord r;
  r.summary = summary_;
  auto env = release::SignEnvelope(release::kInTotoPayloadType,
                                   AsBytes(release::SerializeStatement(MakeSessionStatement(r))),
                                   recorder_)
                 .value();
  ASSERT_TRUE(release::AddSignature(env, stranger_).ok());
  SessionLogCheck c = Check({release::SerializeEnvelope(env)});
  EXPECT_EQ(c.sealed(), nullptr);
  EXPECT_NE(Joined(c.Problems()).find("signed 2 times"), std::string::npos);
}

TEST_F(SessionCheckTest, AMalformedStatementIsAProblemNotACrash) {
  release::Statement s = MakeSessionStatement({summary_, {}});
  s.predicate["chunks"] = "many";
  SessionLogCheck c = Check({release::SignStatement(s, recorder_).value()});
  EXPECT_EQ(c.sealed(), nullptr);
  EXPECT_NE(Joined(c.Problems()).find("a malformed session statement"), std::string::npos)
      << Joined(c.Problems());
}

TEST_F(SessionCheckTest, CapsWhatItReports) {
  std::vector<std::string> log;
  for (size_t i = 0; i < kMaxReportedSeals + 5; ++i)
    log.push_back(Signed(other_summary_, stranger_));
  SessionLogCheck c = Check(log);
  EXPECT_EQ(c.others.size(), kMaxReportedSeals);
  EXPECT_EQ(c.others_left_off, 5u);
  log.clear();
  for (size_t i = 0; i < kMaxReportedSeals + 5; ++i) log.push_back(Signed(summary_, stranger_));
  log.push_back(Signed(summary_, recorder_));
  c = Check(log);
  // Entries anyone can add do not hide the recorder's statement behind the cap.
  ASSERT_NE(c.sealed(), nullptr);
  EXPECT_EQ(c.sealed()->index, kMaxReportedSeals + 5);
  EXPECT_EQ(c.seals.size(), kMaxReportedSeals + 1);
  EXPECT_EQ(c.seals_left_off, 5u);
}

}  // namespace
}  // namespace clearbox::maint
