#include "maint/ssh_wire.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace clearbox::maint::wire {
namespace {

using ::testing::HasSubstr;

TEST(SshWire, WritesRfc4251Encodings) {
  WireWriter w;
  w.U8(1);
  w.U32(0x01020304);
  w.U64(0x0102030405060708);
  w.String("ab");
  EXPECT_EQ(w.bytes(), (Bytes{1, 1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 2, 'a', 'b'}));
}

TEST(SshWire, ReadsBackAndRefusesTrailingBytes) {
  WireWriter w;
  w.U32(7);
  w.String("key id");
  w.U8(9);
  WireReader r(w.bytes(), "certificate");
  EXPECT_EQ(*r.U32("serial"), 7u);
  EXPECT_EQ(*r.Text("key id", 64), "key id");
  Status end = r.ExpectEnd("after the key id");
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.error().message(),
            "certificate: after the key id at offset 0xe: 1 unexpected trailing bytes");
}

TEST(SshWire, ErrorsNameFieldOffsetAndProblem) {
  WireWriter w;
  w.U32(0);  // padding so the interesting field is not at offset 0
  w.String("a long principal");
  {
    WireReader r(w.bytes(), "certificate");
    ASSERT_TRUE(r.U32("x").ok());
    auto s = r.String("principal", 4);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message(),
              "certificate: principal at offset 0x4: length 16 exceeds the limit of 4 bytes");
    EXPECT_EQ(r.offset(), 4u);  // a failed read does not move the cursor
  }
  {
    Bytes cut = w.bytes();
    cut.resize(10);
    WireReader r(cut, "certificate");
    ASSERT_TRUE(r.U32("x").ok());
    auto s = r.String("principal", 64);
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.error().message(), HasSubstr("length 16 runs past the end (2 bytes left)"));
  }
  WireWriter ctl;
  ctl.String(std::string_view("evil\nline"));
  WireReader r(ctl.bytes(), "certificate");
  auto t = r.Text("key id", 64);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.error().message(), HasSubstr("NUL or control character"));
  WireReader empty(Bytes{0, 0}, "KRL");
  EXPECT_THAT(empty.U64("magic").error().message(), HasSubstr("8 bytes expected, 2 left"));
}

}  // namespace
}  // namespace clearbox::maint::wire
