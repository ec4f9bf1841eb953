// VxWorks kernels and TP-Link IMG0 images: the version banner and symbol table over kernels
// this test lays out (the real TL-WR702N kernels were built without a symbol table, which the
// test checks too), the IMG0 handler over the real firmware, and damaged variants.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <lzma.h>

#include <algorithm>

#include "flash_test_util.h"
#include "vxworks_img0.h"
#include "vxworks_kernel.h"

namespace clearbox::unpack::vxworks {
namespace {

using ::testing::HasSubstr;
using unpack::testing::FakeWalker;
using unpack::testing::kRealCorpus;
using unpack::testing::ReadBytes;
using unpack::testing::TestData;

void Put32(Bytes& out, size_t at, uint32_t v, bool be) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<uint8_t>(v >> (be ? 24 - 8 * i : 8 * i));
}

struct SynthKernel {
  Bytes image;
  uint64_t table_offset = 0;
};

// A kernel loaded at `base`: code-like filler, the banner strings, the symbol names, then the
// SYMBOL array makeSymTbl writes ({0, name, value, group 0, type, 0}, or with symRef for 6.x).
SynthKernel MakeKernel(size_t symbols, uint32_t base, uint32_t entry_size, bool be) {
  SynthKernel k;
  k.image = TestData(4096, 7);
  for (std::string_view s : {std::string_view("VxWorks\0\0\0\0\0", 12),
                             std::string_view("6.9.4\0\0\0", 8),
                             std::string_view("VxWorks 6.9.4\0\0\0", 16),
                             std::string_view("Mar  5 2019, 10:24:44\0", 22)}) {
    k.image.insert(k.image.end(), s.begin(), s.end());
  }
  std::vector<uint32_t> names;
  for (size_t i = 0; i < symbols; ++i) {
    k.image.resize((k.image.size() + 3) & ~size_t{3}, 0);
    names.push_back(base + static_cast<uint32_t>(k.image.size()));
    std::string name = "func_" + std::to_string(i);
    k.image.insert(k.image.end(), name.begin(), name.end());
    k.image.push_back(0);
  }
  k.image.resize((k.image.size() + 15) & ~size_t{15}, 0);
  k.table_offset = k.image.size();
  for (size_t i = 0; i < symbols; ++i) {
    const size_t at = k.image.size();
    k.image.resize(at + entry_size, 0);
    Put32(k.image, at + 4, names[i], be);
    Put32(k.image, at + 8, base + 0x100 + static_cast<uint32_t>(i) * 8, be);
    k.image[at + entry_size - 2] = i % 3 == 0 ? 0x05 : (i % 3 == 1 ? 0x09 : 0x04);
  }
  Bytes tail = TestData(1024, 9);
  k.image.insert(k.image.end(), tail.begin(), tail.end());
  return k;
}

TEST(VxworksKernel, FindsASymbolTableAndItsLoadAddress) {
  for (auto [entry, be] : {std::pair{16u, true}, std::pair{20u, false}}) {
    SynthKernel k = MakeKernel(200, 0x80010000, entry, be);
    std::optional<SymbolTable> t = FindSymbolTable(k.image);
    ASSERT_TRUE(t.has_value()) << entry;
    EXPECT_EQ(t->offset, k.table_offset);
    EXPECT_EQ(t->entry_size, entry);
    EXPECT_EQ(t->big_endian, be);
    EXPECT_EQ(t->load_address, 0x80010000u);
    ASSERT_EQ(t->symbols.size(), 200u);
    EXPECT_EQ(t->unresolved, 0u);
    EXPECT_EQ(t->symbols[7].name, "func_7");
    EXPECT_EQ(t->symbols[7].value, 0x80010000u + 0x100 + 7 * 8);
    const std::string text = FormatSymbols(*t);
    EXPECT_THAT(text, HasSubstr("0x80010100 T func_0\n"));
    EXPECT_THAT(text, HasSubstr("0x80010108 D func_1\n"));
    EXPECT_THAT(text, HasSubstr("0x80010110 t func_2\n"));
  }
  std::optional<Banner> b = FindBanner(MakeKernel(40, 0x1000, 16, true).image);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->version, "6.9.4");
  EXPECT_EQ(b->built, "Mar  5 2019, 10:24:44");
}

TEST(VxworksKernel, HostileTablesAreRejectedOrCapped) {
  // Too few entries to be a table.
  EXPECT_FALSE(FindSymbolTable(MakeKernel(kMinSymbols - 1, 0x80010000, 16, true).image));
  // Name pointers that point nowhere in the image: no load address makes them names.
  SynthKernel k = MakeKernel(100, 0x80010000, 16, true);
  for (size_t i = 0; i < 100; ++i) Put32(k.image, k.table_offset + i * 16 + 4, 0xfff00000 + i, true);
  EXPECT_FALSE(FindSymbolTable(k.image));
  // A table cut by the end of the image: the entries present are read.
  k = MakeKernel(100, 0x80010000, 16, true);
  std::optional<SymbolTable> t = FindSymbolTable(ByteView(k.image).first(k.table_offset + 50 * 16 + 5));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->symbols.size(), 50u);
  // Names without an end, and nothing at all.
  EXPECT_FALSE(FindBanner(AsBytes("VxWorks")));
  EXPECT_FALSE(FindBanner(AsBytes("VxWorks 5.")));
  EXPECT_FALSE(FindSymbolTable(Bytes(1 << 16, 0)));
  EXPECT_FALSE(FindSymbolTable(ByteView()));
}

// The real firmware: 20 bytes (a word and an MD5), the boot IMG0 at 0x14, and the firmware
// IMG0 at 0x40094 with an LZMA kernel, a MemFS and a last part.
TEST(VxworksImg0, RealTplinkFirmware) {
  Bytes fw = ReadBytes(kRealCorpus + "tplink_vxworks_wr.fw");
  ASSERT_EQ(fw.size(), 1539124u) << "the corpus sample tplink_vxworks_wr.fw";
  const internal::FormatHandler* h = internal::FindFormat("img0");
  ASSERT_NE(h, nullptr);

  ByteView inner = ByteView(fw).subspan(0x40094);
  Result<img0::Image> image = img0::Parse(inner);
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(image->notes.empty());
  EXPECT_EQ(image->header.length, 1276832u);
  EXPECT_EQ(image->header.product, 0x0702);
  EXPECT_EQ(img0::LanguageName(image->header.language), "English");
  ASSERT_EQ(image->regions.size(), 3u);
  EXPECT_EQ(image->regions[0].offset, 0x80u);  // the LZMA stream binwalk finds at 0x40114
  EXPECT_EQ(0x40094 + image->regions[1].offset, 0x12DC74u);  // the MemFS
  EXPECT_EQ(0x40094 + image->regions[2].offset + image->regions[2].size, fw.size());

  // Cut before its last part: that region is missing, a note says so (a fuzzer find).
  Result<img0::Image> cut = img0::Parse(inner.first(0x100000));
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->regions.size(), 2u);
  ASSERT_FALSE(cut->notes.empty());
  EXPECT_THAT(cut->notes.back().message, HasSubstr("tail region at 0x1365e0 is missing"));

  FakeWalker walker;
  ASSERT_TRUE(h->open(inner, *h->probe(inner), walker).ok());
  EXPECT_NE(walker.FindNote(Note::Kind::kInfo, "kernel: VxWorks 5.5.1, built Dec 11 2013"),
            nullptr)
      << walker.AllNotes();
  // Verified from the bytes: no SYMBOL array, and the kernel says "symbol table not included".
  EXPECT_NE(walker.FindNote(Note::Kind::kInfo, "no VxWorks symbol table"), nullptr);
  const auto* kernel = walker.FindNode("kernel");
  ASSERT_NE(kernel, nullptr);
  EXPECT_EQ(kernel->content.size(), 3571184u);  // binwalk's uncompressed size
  std::vector<std::string> labels;
  for (const auto& p : walker.payloads) labels.push_back(p.label);
  EXPECT_THAT(labels, ::testing::IsSupersetOf({"kernel", "fs", "tail"}));
  for (const auto& p : walker.payloads) {
    if (p.label == "fs") {
      EXPECT_EQ(std::string(AsChars(p.bytes).substr(0, 4)), "owow");
    }
  }

  // The boot image: its boot ROM decoded, the firmware IMG0 handed on as "image".
  ByteView outer = ByteView(fw).subspan(0x14);
  FakeWalker boot;
  Result<uint64_t> used = h->open(outer, *h->probe(outer), boot);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, fw.size() - 0x14);
  EXPECT_NE(boot.FindNote(Note::Kind::kInfo, "bootrom: VxWorks 5.5.1, built Aug 24 2011"),
            nullptr)
      << boot.AllNotes();
  ASSERT_NE(boot.FindNode("bootrom"), nullptr);
  EXPECT_EQ(boot.FindNode("bootrom")->content.size(), 698624u);
  bool image_handed_on = false;
  for (const auto& p : boot.payloads) {
    image_handed_on |= p.label == "image" && p.offset == 0x40080 &&
                       std::string(AsChars(p.bytes).substr(0, 4)) == "IMG0";
  }
  EXPECT_TRUE(image_handed_on);
}

TEST(VxworksImg0, SymbolTableOfAKernelIsListed) {
  // A firmware IMG0 around a synthetic kernel with a symbol table: symbols.txt is a file.
  SynthKernel k = MakeKernel(64, 0x80001000, 16, true);
  Bytes fw = ReadBytes(kRealCorpus + "tplink_vxworks_wr.fw");
  ASSERT_FALSE(fw.empty());
  Bytes img(fw.begin() + 0x40094, fw.begin() + 0x40094 + img0::kHeaderSize);
  Bytes packed = unpack::testing::LzmaAloneEncode(k.image, 1);
  img.insert(img.end(), packed.begin(), packed.end());
  Put32(img, 0x04, static_cast<uint32_t>(img.size()), true);
  Put32(img, 0x44, static_cast<uint32_t>(packed.size()), true);
  for (size_t at : {0x48, 0x4C, 0x50, 0x54}) Put32(img, at, 0, true);
  const internal::FormatHandler* h = internal::FindFormat("img0");
  FakeWalker walker;
  ASSERT_TRUE(h->open(img, *h->probe(img), walker).ok());
  const auto* symbols = walker.FindNode("symbols.txt");
  ASSERT_NE(symbols, nullptr) << walker.AllNotes();
  EXPECT_THAT(std::string(AsChars(symbols->content)), HasSubstr("0x80001100 T func_0\n"));
  EXPECT_NE(walker.FindNote(Note::Kind::kInfo, "symbol table of 64 symbols"), nullptr);
  EXPECT_NE(walker.FindNote(Note::Kind::kInfo, "VxWorks 6.9.4"), nullptr);

  // Lying regions and a cut image: notes, what exists is still handed on, no crash.
  Bytes lying = img;
  Put32(lying, 0x48, 0x100, true);
  Put32(lying, 0x4C, 0xfffffff0, true);
  FakeWalker w2;
  ASSERT_TRUE(h->open(lying, *h->probe(lying), w2).ok());
  EXPECT_NE(w2.FindNote(Note::Kind::kCorrupt, "fs region"), nullptr) << w2.AllNotes();
  ByteView cut = ByteView(img).first(img.size() / 2);
  FakeWalker w3;
  ASSERT_TRUE(h->open(cut, *h->probe(cut), w3).ok());
  EXPECT_NE(w3.FindNote(Note::Kind::kCorrupt, "truncated"), nullptr) << w3.AllNotes();
  EXPECT_FALSE(h->probe(ByteView(img).first(0x40)));
  Bytes bad = img;
  Put32(bad, 0x40, 0x10, true);  // a kernel inside the header
  EXPECT_FALSE(h->probe(bad));
}

}  // namespace
}  // namespace clearbox::unpack::vxworks
