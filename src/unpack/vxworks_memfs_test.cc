// The Wind River MemFS reader over the real TP-Link TL-WR702N image (shared corpus), over
// images a test-only writer lays out the same way, and over damaged ones.
#include "vxworks_memfs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <lzma.h>

#include <algorithm>

#include "flash_test_util.h"

namespace clearbox::unpack::memfs {
namespace {

using ::testing::HasSubstr;
using unpack::testing::FakeWalker;
using unpack::testing::kRealCorpus;
using unpack::testing::ReadBytes;

void Put32(Bytes& out, size_t at, uint32_t v, bool be) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<uint8_t>(v >> (be ? 24 - 8 * i : 8 * i));
}

struct File {
  std::string name;
  std::string content;
};

// Lays out a MemFS as the TP-Link tools do: header, table, then each file's data 4-aligned.
Bytes Image(const std::vector<File>& files, Storage storage = Storage::kLzma, bool be = true) {
  Bytes out;
  for (size_t i = 0; i < kMagicSize / 2; ++i) {
    out.push_back(be ? 'o' : 'O');
    out.push_back(be ? 'w' : 'W');
  }
  out.resize(kHeaderSize + files.size() * kRecordSize, 0);
  Put32(out, 32, static_cast<uint32_t>(storage), be);
  Put32(out, 36, static_cast<uint32_t>(files.size()), be);
  Put32(out, 40, 0x14034, be);
  for (size_t i = 0; i < files.size(); ++i) {
    const size_t rec = kHeaderSize + i * kRecordSize;
    std::copy(files[i].name.begin(), files[i].name.end(), out.begin() + rec);
    Bytes data = storage == Storage::kLzma ? unpack::testing::LzmaAloneEncode(AsBytes(files[i].content)) : ToBytes(files[i].content);
    out.resize((out.size() + 3) & ~size_t{3}, 0);
    Put32(out, rec + kNameSize, static_cast<uint32_t>(data.size()), be);
    Put32(out, rec + kNameSize + 4, static_cast<uint32_t>(out.size()), be);
    out.insert(out.end(), data.begin(), data.end());
  }
  return out;
}

std::string Content(const Filesystem& fs, const Entry& e) {
  Result<Filesystem::Content> c = fs.ReadFile(e, 1 << 20);
  if (!c.ok() || c->failure) return "<error>";
  return std::string(AsChars(c->data));
}

TEST(VxworksMemfs, WriterImagesRoundTrip) {
  const std::vector<File> files = {{"index.htm", "<html><title>TP-LINK</title></html>\n"},
                                   {"common.js", std::string(5000, 'x') + "function f(){}"},
                                   {"empty.gif", "GIF89a"}};
  for (auto [storage, be] : {std::pair{Storage::kLzma, true}, std::pair{Storage::kPlain, false}}) {
    Bytes img = Image(files, storage, be);
    Result<Filesystem> fs = Filesystem::Parse(img);
    ASSERT_TRUE(fs.ok()) << fs.error().message();
    EXPECT_EQ(fs->header().big_endian, be);
    EXPECT_EQ(fs->header().storage, storage);
    EXPECT_TRUE(fs->notes().empty()) << fs->notes()[0].message;
    ASSERT_EQ(fs->entries().size(), 3u);
    for (size_t i = 0; i < files.size(); ++i) {
      const Entry& e = fs->entries()[i];
      EXPECT_EQ(e.path, "/" + files[i].name);
      // liblzma writes no size into the stream's header (it ends with a marker).
      EXPECT_EQ(e.size.value_or(files[i].content.size()), files[i].content.size());
      EXPECT_EQ(Content(*fs, e), files[i].content);
    }
    EXPECT_EQ(fs->extent(), img.size());
  }
}

// Where the MemFS sits in the TL-WR702N firmware (binwalk: 0x12DC74).
ByteView RealMemfs(const Bytes& fw) {
  static constexpr std::string_view kMagic = "owowowowowowowowowowowowowowowow";
  auto it = std::search(fw.begin(), fw.end(), kMagic.begin(), kMagic.end());
  return it == fw.end() ? ByteView() : ByteView(fw).subspan(it - fw.begin());
}

TEST(VxworksMemfs, RealTplinkStoreHas185Files) {
  Bytes fw = ReadBytes(kRealCorpus + "tplink_vxworks_wr.fw");
  ASSERT_EQ(fw.size(), 1539124u) << "the corpus sample tplink_vxworks_wr.fw";
  ByteView store = RealMemfs(fw);
  ASSERT_EQ(fw.size() - store.size(), 0x12DC74u);
  Result<Filesystem> fs = Filesystem::Parse(store);
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(fs->notes().empty()) << fs->notes()[0].message;
  ASSERT_EQ(fs->entries().size(), 185u);
  const Entry& first = fs->entries()[0];
  EXPECT_EQ(first.path, "/common.js");
  // The table ends where the first file's data starts, as the writer lays it out (binwalk
  // finds that stream at 0x12FF50 with 15228 bytes uncompressed).
  EXPECT_EQ(first.data_offset, kHeaderSize + 185 * kRecordSize);
  EXPECT_EQ(0x12DC74 + first.data_offset, 0x12FF50u);
  EXPECT_EQ(first.size, 15228u);
  EXPECT_THAT(Content(*fs, first), HasSubstr("function"));
  // The IMG0 header gives the store 0x48A00 bytes.
  EXPECT_EQ(fs->extent(), 0x48A00u);
  size_t decoded = 0;
  for (const Entry& e : fs->entries()) {
    Result<Filesystem::Content> c = fs->ReadFile(e, 1 << 20);
    ASSERT_TRUE(c.ok());
    decoded += !c->failure && e.size == c->data.size();
  }
  EXPECT_EQ(decoded, 185u);
  // The same layout from the writer: the first data offset agrees.
  Bytes mine = Image(std::vector<File>(185, File{"a", "b"}));
  EXPECT_EQ(Filesystem::Parse(mine)->entries()[0].data_offset, first.data_offset);
}

TEST(VxworksMemfs, HandlerListsTheRealFilesWithContent) {
  Bytes fw = ReadBytes(kRealCorpus + "tplink_vxworks_wr.fw");
  ByteView store = RealMemfs(fw);
  ASSERT_FALSE(store.empty());
  const internal::FormatHandler* h = internal::FindFormat("memfs");
  ASSERT_NE(h, nullptr);
  std::optional<internal::Match> m = h->probe(store);
  ASSERT_TRUE(m.has_value());
  EXPECT_THAT(m->detail, HasSubstr("185 records"));
  FakeWalker walker;
  Result<uint64_t> used = h->open(store, *m, walker);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 0x48A00u);
  EXPECT_EQ(walker.nodes.size(), 185u);
  const auto* page = walker.FindNode("top.htm");
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(page->content.size(), page->node.size);
  EXPECT_THAT(std::string(AsChars(page->content)), HasSubstr("<"));
  EXPECT_EQ(walker.FindNote(Note::Kind::kCorrupt, ""), nullptr) << walker.AllNotes();
  EXPECT_NE(walker.FindNote(Note::Kind::kInfo, "Wind River MemFS: 185 records"), nullptr);
}

TEST(VxworksMemfs, DamagedImagesAreNotes) {
  const std::vector<File> files = {{"a.htm", std::string(3000, 'a') + "end"}, {"b.htm", "bbb"}};
  Bytes img = Image(files);
  // A count that lies: the records that fit are read, a note says so.
  Bytes lying = img;
  Put32(lying, 36, 0x7fffffff, true);
  Result<Filesystem> fs = Filesystem::Parse(lying);
  ASSERT_TRUE(fs.ok());
  ASSERT_FALSE(fs->notes().empty());
  EXPECT_EQ(fs->notes()[0].kind, Note::Kind::kLimit);
  EXPECT_GE(fs->entries().size(), 2u);
  // Data outside the image: listed without data, a note names the record.
  Bytes outside = img;
  Put32(outside, kHeaderSize + kNameSize + 4, 0xfffffff0, true);
  fs = Filesystem::Parse(outside);
  ASSERT_TRUE(fs.ok());
  EXPECT_FALSE(fs->entries()[0].data_present);
  EXPECT_TRUE(fs->StoredData(fs->entries()[0]).empty());
  EXPECT_THAT(fs->notes().at(0).message, HasSubstr("outside"));
  EXPECT_EQ(Content(*fs, fs->entries()[1]), "bbb");
  // A stream cut short: what decoded is kept and the failure is reported.
  Bytes cut = img;
  Put32(cut, kHeaderSize + kNameSize, 20, true);
  fs = Filesystem::Parse(cut);
  ASSERT_TRUE(fs.ok());
  Result<Filesystem::Content> c = fs->ReadFile(fs->entries()[0], 1 << 20);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->failure.has_value());
  // A name that fills its field, a truncated table, and not a MemFS at all.
  Bytes noname = img;
  std::fill(noname.begin() + kHeaderSize, noname.begin() + kHeaderSize + kNameSize, 'n');
  fs = Filesystem::Parse(noname);
  ASSERT_TRUE(fs.ok());
  EXPECT_EQ(fs->entries()[0].path, "/" + std::string(kNameSize, 'n'));
  EXPECT_FALSE(fs->notes().empty());
  fs = Filesystem::Parse(ByteView(img).first(kHeaderSize + 60));
  ASSERT_TRUE(fs.ok());
  EXPECT_EQ(fs->entries().size(), 1u);
  EXPECT_FALSE(fs->entries()[0].data_present);
  EXPECT_FALSE(Filesystem::Parse(ByteView(img).first(40)).ok());
  EXPECT_FALSE(Filesystem::Parse(AsBytes(std::string(64, 'o'))).ok());
  // The handler reports the damage and goes on.
  FakeWalker walker;
  const internal::FormatHandler* h = internal::FindFormat("memfs");
  ASSERT_TRUE(h->open(outside, *h->probe(outside), walker).ok());
  EXPECT_EQ(walker.nodes.size(), 2u);
  EXPECT_NE(walker.FindNote(Note::Kind::kCorrupt, "outside"), nullptr);
}

}  // namespace
}  // namespace clearbox::unpack::memfs
