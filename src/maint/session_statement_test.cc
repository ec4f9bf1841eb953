#include <gtest/gtest.h>

#include "clearbox/core/encoding.h"
#include "clearbox/maint/session.h"

namespace clearbox::maint {
namespace {

SessionRecord Sample() {
  SessionRecord r;
  r.summary.ticket = "CHG-1042";
  r.summary.serial = 77;
  r.summary.device = "olt1";
  r.summary.pty = true;
  r.summary.start_unix_us = 1796609244123456;
  r.summary.end_unix_us = 1796609943551208;
  r.summary.cast_sha256.fill(0xab);
  r.summary.head.value.fill(0x5e);
  r.summary.head.chunks = 42;
  r.summary.head.bytes = 1203317;
  r.summary.events = 2210;
  r.observers = {"alice"};
  return r;
}

TEST(SessionStatement, RoundTripsThroughJson) {
  release::Statement s = MakeSessionStatement(Sample());
  EXPECT_EQ(s.subjects[0].name, "maint-recording:CHG-1042/77");
  EXPECT_EQ(s.subjects[0].sha256, HexEncode(Sample().summary.cast_sha256));
  auto back = SessionRecordOf(s);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->summary.ticket, "CHG-1042");
  EXPECT_EQ(back->summary.serial, 77u);
  EXPECT_EQ(back->summary.start_unix_us, 1796609244123456);
  EXPECT_EQ(back->summary.head, Sample().summary.head);
  EXPECT_EQ(back->observers, std::vector<std::string>{"alice"});
}

TEST(SessionStatement, RefusesASubjectThatIsNotTheRecording) {
  release::Statement s = MakeSessionStatement(Sample());
  s.subjects[0].sha256 = std::string(64, '0');
  auto r = SessionRecordOf(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("/subject/0/digest/sha256"), std::string::npos);
}

TEST(SessionStatement, NamesTheBadField) {
  release::Statement s = MakeSessionStatement(Sample());
  s.predicate["chainHead"] = "xyz";
  auto r = SessionRecordOf(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("/predicate/chainHead"), std::string::npos)
      << r.error().message();
  s = MakeSessionStatement(Sample());
  s.predicate["extra"] = 1;
  r = SessionRecordOf(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("extra"), std::string::npos) << r.error().message();
  s = MakeSessionStatement(Sample());
  s.predicate["end"] = "2020-01-01T00:00:00.000000Z";
  r = SessionRecordOf(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("/predicate/end"), std::string::npos) << r.error().message();
}

TEST(SessionStatement, CapsTheObservers) {
  SessionRecord big = Sample();
  for (size_t i = 0; i <= kMaxObservers; ++i) big.observers.push_back("o" + std::to_string(i));
  auto r = SessionRecordOf(MakeSessionStatement(big));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kLimitExceeded) << r.error().message();
}

}  // namespace
}  // namespace clearbox::maint
