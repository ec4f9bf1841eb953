// eCos recognition over instruction sequences and strings as eCos images hold them (no eCos
// image is in the shared corpus), and over near misses.
#include "ecos.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iterator>

#include "flash_test_util.h"

namespace clearbox::unpack::ecos {
namespace {

using ::testing::HasSubstr;
using unpack::testing::FakeWalker;

// mfc0 k0,Cause; nop; andi k0,k0,0x7F; lui k1,0x8000; addiu k1,k1,0x0200; add; lw; jr; nop
const uint32_t kHandler[] = {0x401a6800, 0x00000000, 0x335a007f, 0x3c1b8000, 0x277b0200,
                             0x037ad820, 0x8f7b0000, 0x03600008, 0x00000000};

Bytes Encode(bool be, bool with_nop) {
  Bytes out;
  for (size_t n = 0; n < std::size(kHandler); ++n) {
    const uint32_t w = kHandler[n];
    if (!with_nop && n == 1) continue;
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(w >> (be ? 24 - 8 * i : 8 * i)));
  }
  return out;
}

TEST(Ecos, ExceptionHandlerInBothByteOrders) {
  for (bool be : {true, false}) {
    for (bool nop : {true, false}) {
      std::optional<ExceptionHandler> h = ReadExceptionHandler(Encode(be, nop));
      ASSERT_TRUE(h.has_value()) << be << nop;
      EXPECT_EQ(h->big_endian, be);
      EXPECT_EQ(h->vector_table, 0x80000200u);
      EXPECT_EQ(h->length, nop ? 20u : 16u);
    }
  }
  // A negative low half is sign-extended, as addiu does: 0x8000 + (int16)0x8200.
  Bytes neg = Encode(true, true);
  neg[18] = 0x82;
  EXPECT_EQ(ReadExceptionHandler(neg)->vector_table, 0x80000000u - 0x7e00);
  // Near misses: a different register, or the instructions cut short.
  Bytes other = Encode(true, true);
  other[12] = 0x3c;
  other[13] = 0x1a;
  EXPECT_FALSE(ReadExceptionHandler(other));
  EXPECT_FALSE(ReadExceptionHandler(ByteView(Encode(true, true)).first(18)));
}

TEST(Ecos, BannersAndTheirVersion) {
  std::optional<Banner> b = ReadBanner(AsBytes(std::string_view("eCos Release: %d.%d.%d\n\0", 24)));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->text, "eCos Release: %d.%d.%d");
  EXPECT_EQ(b->version, "");
  b = ReadBanner(AsBytes(std::string_view("eCos Release: 3.0.1\0", 20)));
  EXPECT_EQ(b->version, "3.0.1");
  b = ReadBanner(AsBytes("RedBoot(tm) bootstrap and debug environment [ROM]"));
  EXPECT_EQ(b->version, "");
  b = ReadBanner(AsBytes("RedBoot(tm) bootstrap and debug environment - version v2_0 - built"));
  EXPECT_EQ(b->version, "v2_0");
  EXPECT_EQ(ReadBanner(AsBytes("eCos Release" + std::string(500, 'x')))->text.size(), 120u);
  EXPECT_FALSE(ReadBanner(AsBytes("eCos")));
  EXPECT_FALSE(ReadBanner(AsBytes("ecos release")));
}

TEST(Ecos, HandlerNotesWhatItRecognised) {
  const internal::FormatHandler* h = internal::FindFormat("ecos");
  ASSERT_NE(h, nullptr);
  Bytes handler = Encode(true, true);
  std::optional<internal::Match> m = h->probe(handler);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->length, 20u);
  FakeWalker walker;
  Result<uint64_t> used = h->open(handler, *m, walker);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 20u);
  EXPECT_NE(walker.FindNote(Note::Kind::kInfo, "vector table at 0x80000200"), nullptr);
  Bytes banner = ToBytes(std::string("eCos Release: 3.0\0rest", 22));
  FakeWalker w2;
  ASSERT_TRUE(h->open(banner, *h->probe(banner), w2).ok());
  EXPECT_NE(w2.FindNote(Note::Kind::kInfo, "version 3.0"), nullptr) << w2.AllNotes();
  EXPECT_FALSE(h->probe(AsBytes("not ecos at all")));
}

}  // namespace
}  // namespace clearbox::unpack::ecos
