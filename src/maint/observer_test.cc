// The live-observer protocol: framing (hostile frames too), messages, the challenge and its
// check against the policy (approver, revoked, not an approver, another nonce or session).
#include "clearbox/maint/observer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "clearbox/release/dsse.h"
#include "maint/approval_test_util.h"

namespace clearbox::maint {
namespace {

using ::testing::HasSubstr;
using testing::ApprovalWorld;

SessionInfo Info() { return {std::string(32, 'a'), "CHG-1042", 77, "olt1"}; }

std::string FrameBytes(uint32_t len, uint8_t type, std::string_view payload) {
  std::string s = {char(len >> 24), char(len >> 16), char(len >> 8), char(len), char(type)};
  return s + std::string(payload);
}

Result<RelayMessage> ParseOne(const std::string& bytes) {
  FrameReader r;
  r.Append(AsBytes(bytes));
  CLEARBOX_ASSIGN_OR_RETURN(std::optional<Frame> f, r.Next());
  if (!f) return Error::InvalidInput("incomplete");
  return ParseMessage(*f);
}

TEST(ObserverFrames, EveryMessageRoundTripsEvenByteByByte) {
  std::vector<RelayMessage> all;
  RelayMessage m;
  m.type = FrameType::kRegister;
  m.session = Info();
  all.push_back(m);
  m.type = FrameType::kChallenge;
  m.nonce = std::string(32, '1');
  all.push_back(m);
  RelayMessage j;
  j.type = FrameType::kJoin;
  j.observer = 3;
  j.nonce = std::string(32, 'b');
  j.keyid = std::string(64, 'c');
  j.signature = std::string(128, 'd');
  all.push_back(j);
  RelayMessage out;
  out.type = FrameType::kOutput;
  out.data = {0, 0xff, '\x1b', 'x'};
  all.push_back(out);
  RelayMessage note;
  note.type = FrameType::kNote;
  note.text = "session paused";
  all.push_back(note);
  std::string stream;
  for (const auto& x : all) stream += EncodeMessage(x);
  FrameReader r;
  std::vector<RelayMessage> got;
  for (char c : stream) {
    r.Append(AsBytes(std::string_view(&c, 1)));
    auto f = r.Next();
    ASSERT_TRUE(f.ok()) << f.error().message();
    if (*f) got.push_back(ParseMessage(**f).value());
  }
  ASSERT_EQ(got.size(), all.size());
  EXPECT_EQ(got[0].session, Info());
  EXPECT_EQ(got[1].nonce, std::string(32, '1'));
  EXPECT_EQ(got[2].observer, 3u);
  EXPECT_EQ(got[2].signature, std::string(128, 'd'));
  EXPECT_EQ(got[3].data, out.data);
  EXPECT_EQ(got[4].text, "session paused");
  EXPECT_TRUE(r.AtEnd().ok());
}

TEST(ObserverFrames, TooLongZeroUnknownAndTruncatedAreRefused) {
  FrameReader r;
  r.Append(AsBytes(FrameBytes(RelayLimits::kMaxFrameBytes + 1, 'O', "x")));
  auto f = r.Next();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code(), ErrorCode::kLimitExceeded);

  FrameReader z;
  z.Append(AsBytes(std::string(4, '\0')));
  ASSERT_FALSE(z.Next().ok());

  FrameReader u;
  u.Append(AsBytes(FrameBytes(1, 'Z', "")));
  auto uf = u.Next();
  ASSERT_FALSE(uf.ok());
  EXPECT_THAT(uf.error().message(), HasSubstr("unknown type"));

  FrameReader t;
  t.Append(AsBytes(FrameBytes(10, 'O', "abc")));  // 9 payload bytes announced, 3 sent
  auto tf = t.Next();
  ASSERT_TRUE(tf.ok());
  EXPECT_FALSE(*tf);
  Status end = t.AtEnd();
  ASSERT_FALSE(end.ok());
  EXPECT_THAT(end.error().message(), HasSubstr("truncated"));
}

TEST(ObserverFrames, HostilePayloadsAreRefusedNamingTheField) {
  // Over the control cap.
  std::string big = "{\"text\": \"" + std::string(RelayLimits::kMaxControlBytes, 'a') + "\"}";
  auto r = ParseOne(FrameBytes(uint32_t(big.size() + 1), 'N', big));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kLimitExceeded);
  struct Case {
    char type;
    std::string payload, want;
  };
  std::string sig(128, 'a'), kid(64, 'b');
  for (const Case& c : std::vector<Case>{
           {'U', "{\"keyid\": \"" + kid + "\"}", "/signature"},
           {'U', "{\"keyid\": \"" + kid + "\", \"signature\": \"" + sig + "\", \"x\": 1}", "x"},
           {'U', "{\"keyid\": \"" + kid + "\", \"signature\": \"" + sig.substr(1) + "Z\"}",
            "hex"},
           {'N', "{\"text\": \"\\u001b[2J\"}", "printable"},
           {'H', "{\"ticket\": \"CHG 1; rm\"}", "/ticket"},
           {'L', "{\"observer\": 0}", "/observer"},
           {'L', "{\"observer\": -1}", "/observer"},
           {'P', "{\"a\": 1}", "a"},
           {'P', "[]", "object"},
           {'P', "{", "JSON"},
           {'O', "", "empty"},
       }) {
    auto m = ParseOne(FrameBytes(uint32_t(c.payload.size() + 1), uint8_t(c.type), c.payload));
    ASSERT_FALSE(m.ok()) << c.type << " " << c.payload;
    EXPECT_THAT(m.error().message(), HasSubstr(c.want)) << c.payload;
  }
}

TEST(ObserverFrames, EncodedTextIsMadePrintable) {
  RelayMessage n;
  n.type = FrameType::kError;
  n.text = "bad\x1b[31m\n";
  auto m = ParseOne(EncodeMessage(n));
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->text, "bad?[31m?");
}

class ObserverAuth : public ::testing::Test {
 protected:
  ApprovalWorld world_;
  Policy policy_ = world_.MakePolicy();
  std::string nonce_ = NewRandomId().value();
};

TEST_F(ObserverAuth, AnApproverIsNamedAndEveryOtherCaseHasItsReason) {
  auto a = SignChallenge(Info(), nonce_, world_.Key("alice")).value();
  EXPECT_EQ(a.keyid, release::Ed25519KeyId(world_.Key("alice").public_key()));
  auto who = VerifyObserver(policy_.approvers, Info(), nonce_, a.keyid, a.signature);
  ASSERT_TRUE(who.ok()) << who.error().message();
  EXPECT_EQ((*who)->name, "alice");

  // Not an approver.
  auto m = SignChallenge(Info(), nonce_, world_.Key("mallory")).value();
  auto r = VerifyObserver(policy_.approvers, Info(), nonce_, m.keyid, m.signature);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(r.error().message(), "this key is not an approver in the policy");

  // Revoked.
  auto d = SignChallenge(Info(), nonce_, world_.Key("dave")).value();
  r = VerifyObserver(policy_.approvers, Info(), nonce_, d.keyid, d.signature);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(r.error().message(), "dave's key is revoked in the policy");

  // Replayed: the answer to one challenge does not pass for another nonce...
  std::string other = NewRandomId().value();
  r = VerifyObserver(policy_.approvers, Info(), other, a.keyid, a.signature);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kVerificationFailed);
  EXPECT_THAT(r.error().message(), HasSubstr("alice's signature does not verify"));
  // ... nor for another session, ticket, serial or device.
  std::vector<SessionInfo> others(4, Info());
  others[0].session = std::string(32, 'b');
  others[1].ticket = "CHG-1043";
  others[2].serial = 78;
  others[3].device = "olt2";
  for (const SessionInfo& s : others) {
    EXPECT_FALSE(VerifyObserver(policy_.approvers, s, nonce_, a.keyid, a.signature).ok());
  }
  // Bob's signature under alice's key id; a flipped bit.
  auto b = SignChallenge(Info(), nonce_, world_.Key("bob")).value();
  EXPECT_FALSE(VerifyObserver(policy_.approvers, Info(), nonce_, a.keyid, b.signature).ok());
  std::string flipped = a.signature;
  flipped[5] = flipped[5] == '0' ? '1' : '0';
  EXPECT_FALSE(VerifyObserver(policy_.approvers, Info(), nonce_, a.keyid, flipped).ok());
}

TEST_F(ObserverAuth, TheSignedTextIsDomainSeparated) {
  std::string t = ChallengeText(Info(), nonce_);
  EXPECT_EQ(t.rfind("clearbox-maint-observe/v1\nsession " + std::string(32, 'a') + "\nnonce ", 0),
            0u);
  EXPECT_THAT(t, HasSubstr("\nticket CHG-1042\nserial 77\ndevice olt1\n"));
}

TEST_F(ObserverAuth, PolicyObserverField) {
  auto p = ParsePolicy(
      world_.PolicyJson(2, 2, "\"observer\": {\"relay\": \"127.0.0.1:7022\", \"on-leave\": \"end\"},"),
      "policy.json");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->observer.relay, "127.0.0.1:7022");
  EXPECT_TRUE(p->observer.end_on_leave);
  EXPECT_EQ(policy_.observer.relay, "");
  EXPECT_FALSE(policy_.observer.end_on_leave);
  auto bad = ParsePolicy(
      world_.PolicyJson(2, 2, "\"observer\": {\"relay\": \"127.0.0.1:7022\", \"on-leave\": \"stop\"},"),
      "policy.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(), HasSubstr("/observer/on-leave"));
  bad = ParsePolicy(world_.PolicyJson(2, 2, "\"observer\": {\"relay\": \"nohost\"},"),
                    "policy.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(), HasSubstr("/observer/relay"));
}

TEST(ObserverAddress, HostPort) {
  EXPECT_EQ(SplitHostPort("[::1]:80").value().first, "::1");
  EXPECT_EQ(SplitHostPort("relay.example:7022").value().second, 7022);
  for (const char* bad : {"", "host", "host:", ":80", "host:0", "host:65536", "host:8x"}) {
    EXPECT_FALSE(SplitHostPort(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace clearbox::maint
