// The YAFFS2 reader over the real samples in ../shared/corpus/real (FACT's big-endian dump
// with tags ECC, binwalk's little-endian mkyaffs2image dump), over dumps a small test-only
// writer builds in every layout (checked byte for byte against the samples' first chunk),
// and over damaged ones. Debian packages no mkyaffs2image, hence the writer.
#include "yaffs2.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "clearbox/core/digest.h"
#include "flash_test_util.h"
#include "internal/format.h"

namespace clearbox::unpack::yaffs2 {
namespace {

using ::testing::HasSubstr;
using testing::ReadBytes;

constexpr uint32_t kSeq = 0x1000;

// One object to write, as mkyaffs2image lays it out. Built with File(), Dir() and friends,
// then adjusted with the setters.
struct Obj {
  uint32_t id = 0;
  uint32_t type = kTypeFile;
  uint32_t parent = kRootId;
  std::string name;
  uint32_t mode = 0100644;
  std::string data;   // files
  std::string alias;  // symlinks
  uint32_t equiv = 0xffffffff;
  uint32_t rdev = 0;
  uint32_t shadows = 0xffffffff;
  uint32_t uid = 1000, gid = 1000;
  uint32_t atime = 0, mtime = 0, ctime = 0;
  std::optional<uint32_t> size;  // files: data.size() unless set
  bool terminate_name = true;

  Obj& In(uint32_t p) {
    parent = p;
    return *this;
  }
  Obj& Mode(uint32_t m) {
    mode = m;
    return *this;
  }
  Obj& Size(uint32_t s) {
    size = s;
    return *this;
  }
  Obj& Times(uint32_t a, uint32_t m, uint32_t c) {
    atime = a;
    mtime = m;
    ctime = c;
    return *this;
  }
  Obj& Unterminated() {
    terminate_name = false;
    return *this;
  }
};

Obj Make(uint32_t id, uint32_t type, std::string name, uint32_t mode) {
  Obj o;
  o.id = id;
  o.type = type;
  o.name = std::move(name);
  o.mode = mode;
  return o;
}
Obj File(uint32_t id, std::string name, std::string data = "") {
  Obj o = Make(id, kTypeFile, std::move(name), 0100644);
  o.data = std::move(data);
  return o;
}
Obj Dir(uint32_t id, std::string name) { return Make(id, kTypeDirectory, std::move(name), 040755); }
Obj Symlink(uint32_t id, std::string name, std::string alias) {
  Obj o = Make(id, kTypeSymlink, std::move(name), 0120777);
  o.alias = std::move(alias);
  return o;
}
Obj HardLink(uint32_t id, std::string name, uint32_t equiv) {
  Obj o = Make(id, kTypeHardLink, std::move(name), 0);
  o.equiv = equiv;
  return o;
}
Obj Special(uint32_t id, std::string name, uint32_t mode, uint32_t rdev = 0) {
  Obj o = Make(id, kTypeSpecial, std::move(name), mode);
  o.rdev = rdev;
  return o;
}

class Writer {
 public:
  explicit Writer(Layout l) : l_(l) {}

  void Store(uint8_t* p, uint32_t v) const {
    l_.endian == Endian::kBig ? StoreBE32(p, v) : StoreLE32(p, v);
  }

  // One page (padded with 0xff) and its spare with the tags (and their ECC).
  void Chunk(ByteView data, uint32_t seq, uint32_t obj, uint32_t chunk_id, uint32_t bytes) {
    Bytes chunk(l_.stride(), 0xff);
    std::copy(data.begin(), data.begin() + std::min<size_t>(data.size(), l_.page_size),
              chunk.begin());
    uint8_t* tags = chunk.data() + l_.page_size + l_.tag_offset;
    Store(tags, seq);
    Store(tags + 4, obj);
    Store(tags + 8, chunk_id);
    Store(tags + 12, bytes);
    if (l_.tags_ecc) {
      const LineParity parity = TagsLineParity(ByteView(tags, kTagsSize));
      Store(tags + 20, parity.line);
      Store(tags + 24, parity.prime);
    }
    out.insert(out.end(), chunk.begin(), chunk.end());
  }

  Bytes HeaderPage(const Obj& o) const {
    Bytes h(kHeaderSize, 0xff);
    Store(h.data(), o.type);
    Store(h.data() + 4, o.parent);
    std::fill(h.begin() + kNameOffset, h.begin() + kNameOffset + kNameField - 1, 0);
    h[kNameOffset + kNameField - 1] = name_last_byte;
    std::copy(o.name.begin(), o.name.end(), h.begin() + kNameOffset);
    if (!o.terminate_name)
      std::fill(h.begin() + kNameOffset, h.begin() + kNameOffset + kNameField, 'n');
    Store(h.data() + kModeOffset, o.mode);
    Store(h.data() + kUidOffset, o.uid);
    Store(h.data() + kGidOffset, o.gid);
    Store(h.data() + kAtimeOffset, o.atime);
    Store(h.data() + kMtimeOffset, o.mtime);
    Store(h.data() + kCtimeOffset, o.ctime);
    Store(h.data() + kSizeLowOffset,
          o.type == kTypeFile ? o.size.value_or(uint32_t(o.data.size())) : 0xffffffff);
    Store(h.data() + kEquivOffset, o.equiv);
    if (o.type == kTypeSymlink) {
      std::fill(h.begin() + kAliasOffset, h.begin() + kAliasOffset + kAliasField - 1, 0);
      std::copy(o.alias.begin(), o.alias.end(), h.begin() + kAliasOffset);
    }
    Store(h.data() + kRdevOffset, o.rdev);
    Store(h.data() + kShadowsOffset, o.shadows);
    return h;
  }

  void Header(const Obj& o, uint32_t seq = kSeq) { Chunk(HeaderPage(o), seq, o.id, 0, 0xffff); }

  void Data(const Obj& o, uint32_t seq = kSeq) {
    for (size_t off = 0, n = 1; off < o.data.size(); off += l_.page_size, ++n) {
      const size_t len = std::min<size_t>(l_.page_size, o.data.size() - off);
      Chunk(AsBytes(o.data).subspan(off, len), seq, o.id, uint32_t(n), uint32_t(len));
    }
  }

  Writer& Add(const Obj& o) {
    Header(o);
    if (o.type == kTypeFile) Data(o);
    return *this;
  }

  Bytes out;
  // The name field's last byte: FACT's mkyaffs2image leaves it erased, binwalk's zeroes it.
  uint8_t name_last_byte = 0xff;

 private:
  Layout l_;
};

Bytes Image(const Layout& l, const std::vector<Obj>& objects) {
  Writer w(l);
  for (const Obj& o : objects) w.Add(o);
  return w.out;
}

const Entry* Find(const Filesystem& fs, const std::string& path) {
  for (const Entry& e : fs.entries()) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

std::string Content(const Filesystem& fs, const std::string& path) {
  const Entry* e = Find(fs, path);
  if (e == nullptr) return "<missing>";
  Result<Bytes> b = fs.ReadFile(*e, 1 << 24);
  return b.ok() ? std::string(AsChars(*b)) : "<error>";
}

std::string AllNotes(const Filesystem& fs) {
  std::string all;
  for (const Note& n : fs.notes()) all += n.message + "\n";
  return all;
}

Filesystem MustParse(ByteView image) {
  std::optional<Layout> l = DetectLayout(image);
  EXPECT_TRUE(l.has_value());
  if (!l) return Filesystem();
  Result<Filesystem> fs = Filesystem::Parse(image, *l);
  EXPECT_TRUE(fs.ok()) << fs.error().message();
  return fs.ok() ? std::move(*fs) : Filesystem();
}

// Every object type, a file over several pages, a nested directory.
std::vector<Obj> SampleTree(uint32_t page) {
  std::string big = std::string(AsChars(testing::TestData(2 * page + 123)));
  return {
      File(257, "hello.txt", "hello\n").Times(0, 1700000000, 0),
      Dir(258, "etc"),
      File(259, "big.bin", big).In(258).Mode(0100755),
      Symlink(260, "link", "etc/big.bin"),
      HardLink(261, "again", 257).In(258),
      Special(262, "console", 020600, (5 << 8) | 1),
      Special(263, "pipe", 010644),
      File(264, "empty"),
  };
}

TEST(Yaffs2, EveryLayoutIsDetectedAndRead) {
  const Layout layouts[] = {
      {2048, 64, 0, Endian::kLittle, false}, {2048, 64, 2, Endian::kBig, true},
      {2048, 64, 2, Endian::kLittle, true},  {4096, 128, 0, Endian::kBig, false},
      {4096, 128, 2, Endian::kLittle, true}, {512, 16, 0, Endian::kLittle, false}};
  for (const Layout& want : layouts) {
    SCOPED_TRACE(want.Describe());
    Bytes img = Image(want, SampleTree(want.page_size));
    std::optional<Layout> got = DetectLayout(img);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->Describe(), want.Describe());
    EXPECT_EQ(Layout::Decode(got->Encode())->Describe(), want.Describe());
    Filesystem fs = MustParse(img);
    EXPECT_TRUE(fs.notes().empty()) << AllNotes(fs);
    EXPECT_EQ(fs.extent(), img.size());
    EXPECT_EQ(Content(fs, "/etc/again"), "hello\n");
    EXPECT_EQ(Find(fs, "/hello.txt")->mtime, 1700000000);
    EXPECT_EQ(Find(fs, "/hello.txt")->uid, 1000u);
    EXPECT_EQ(Content(fs, "/etc/big.bin"),
              std::string(AsChars(testing::TestData(2 * want.page_size + 123))));
    EXPECT_EQ(Find(fs, "/etc/big.bin")->mode, 0755u);
    EXPECT_EQ(Find(fs, "/etc")->type, NodeType::kDirectory);
    EXPECT_EQ(Find(fs, "/link")->type, NodeType::kSymlink);
    EXPECT_EQ(Find(fs, "/link")->link_target, "etc/big.bin");
    // The hard link is met first (etc/ sorts before hello.txt): the other name links to it.
    EXPECT_EQ(Find(fs, "/etc/again")->type, NodeType::kFile);
    EXPECT_EQ(Find(fs, "/hello.txt")->type, NodeType::kHardLink);
    EXPECT_EQ(Find(fs, "/hello.txt")->link_target, "/etc/again");
    EXPECT_EQ(Find(fs, "/console")->type, NodeType::kCharDevice);
    EXPECT_EQ(Find(fs, "/console")->dev_major, 5u);
    EXPECT_EQ(Find(fs, "/console")->dev_minor, 1u);
    EXPECT_EQ(Find(fs, "/pipe")->type, NodeType::kFifo);
    EXPECT_EQ(Content(fs, "/empty"), "");
    EXPECT_EQ(fs.entries().front().path, "/");
  }
}

TEST(Yaffs2, RealBigEndianSampleWithTagsEcc) {
  Bytes img = ReadBytes(testing::kRealCorpus + "yaffs2_be_fact.img");
  ASSERT_FALSE(img.empty()) << "the corpus sample yaffs2_be_fact.img";
  std::optional<Layout> l = DetectLayout(img);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->Describe(), "2048+64 pages, big-endian, tags at spare offset 2 with ECC");
  Filesystem fs = MustParse(img);
  EXPECT_TRUE(fs.notes().empty()) << AllNotes(fs);
  const std::map<std::string, std::string> want = {
      {"/testfile1", "d558c9339cb967341d701e3184f863d3928973fccdc1d96042583730b5c7b76a"},
      {"/testfile2", "faa11db49f32a90b51dfc3f0254f9fd7a7b46d0b570abd47e1943b86d554447a"},
      {"/generic folder/test file 3_.txt",
       "289b5a050a83837f192d7129e4c4e02570b94b4924e50159fad5ed1067cfbfeb"}};
  for (const auto& [path, sha] : want) {
    EXPECT_EQ(Sha256Hex(AsBytes(Content(fs, path))), sha) << path;
  }
  EXPECT_EQ(Find(fs, "/testfile1")->size, 62u);
  EXPECT_EQ(Find(fs, "/generic folder")->type, NodeType::kDirectory);
  EXPECT_EQ(fs.entries().size(), 5u);  // root, 3 files, 1 directory
}

TEST(Yaffs2, RealLittleEndianMkyaffs2imageSample) {
  Bytes img = ReadBytes(testing::kRealCorpus + "yaffs2_le_2k_binwalk.bin");
  ASSERT_FALSE(img.empty()) << "the corpus sample yaffs2_le_2k_binwalk.bin";
  std::optional<Layout> l = DetectLayout(img);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->Describe(), "2048+64 pages, little-endian, tags at spare offset 0");
  Filesystem fs = MustParse(img);
  EXPECT_TRUE(fs.notes().empty()) << AllNotes(fs);
  const std::map<std::string, uint64_t> want = {
      {"yutilsenv.h", 844},    {"yaffs_list.h", 3086},     {"yaffs_packedtags2.h", 1447},
      {"yaffs_trace.h", 1769}, {"mkyaffs2image.c", 15107}, {"yaffs_hweight.c", 1689},
      {"yaffs_guts.h", 27266}, {"yaffs_ecc.c", 7143},      {"yaffs_hweight.h", 656},
      {"yaffs_ecc.h", 1440},   {"mkyaffsimage.c", 13967},  {"yaffs_packedtags2.c", 5169},
      {"yportenv.h", 4903}};
  for (const auto& [name, size] : want) {
    const Entry* e = Find(fs, "/" + name);
    ASSERT_NE(e, nullptr) << name;
    EXPECT_EQ(e->size, size) << name;
    EXPECT_EQ(Content(fs, "/" + name).size(), size) << name;
  }
  EXPECT_EQ(fs.entries().size(), want.size() + 1);
  EXPECT_THAT(Content(fs, "/yaffs_guts.h"), HasSubstr("struct yaffs_obj_hdr"));
}

// The writer lays out the first chunk of each sample byte for byte (but the tags ECC's
// column parity, which the reader does not use): the header layout the reader expects is
// the one real dumps have.
TEST(Yaffs2, TheWriterMatchesTheRealSamples) {
  {
    Bytes real = ReadBytes(testing::kRealCorpus + "yaffs2_be_fact.img");
    ASSERT_GE(real.size(), 2112u);
    Writer w({2048, 64, 2, Endian::kBig, true});
    w.Header(File(257, "testfile1").Times(0x5881e117, 0x58789b76, 0x5881e0d3).Size(62));
    ASSERT_EQ(w.out.size(), 2112u);
    w.out[2048 + 2 + 16] = real[2048 + 2 + 16];  // column parity
    for (size_t i = 0; i < w.out.size(); ++i) {
      if (w.out[i] != real[i]) ADD_FAILURE() << "byte " << i;
    }
  }
  {
    Bytes real = ReadBytes(testing::kRealCorpus + "yaffs2_le_2k_binwalk.bin");
    ASSERT_GE(real.size(), 2112u);
    Writer w({2048, 64, 0, Endian::kLittle, false});
    w.name_last_byte = 0;
    w.Header(
        File(257, "yutilsenv.h").Mode(0100664).Times(1727143000, 1727142978, 1727142978).Size(844));
    for (size_t i = 0; i < w.out.size(); ++i) {
      if (w.out[i] != real[i]) ADD_FAILURE() << "byte " << i;
    }
  }
}

TEST(Yaffs2, LaterWritesWinAndDeletedObjectsAreLeftOut) {
  const Layout l{2048, 64, 0, Endian::kLittle, false};
  Writer w(l);
  Obj a = File(257, "old-name", "first version");
  w.Add(a);
  w.Add(File(258, "gone", "deleted file"));
  // A later block: a rename with new data, and the deletion of "gone".
  Obj renamed = a;
  renamed.name = "new-name";
  renamed.data = "second!";
  w.Header(renamed, kSeq + 1);
  w.Data(renamed, kSeq + 1);
  w.Header(File(258, "deleted").In(kDeletedId), kSeq + 1);
  // A file renamed over "config": the replaced object's header is still there.
  w.Add(File(259, "config", "old config"));
  Obj replacing = File(260, "config", "new config");
  replacing.shadows = 259;
  w.Header(replacing, kSeq + 1);
  w.Data(replacing, kSeq + 1);
  // An older copy of the chunk placed after: the sequence number decides, not the position.
  w.Chunk(AsBytes("stale data"), kSeq, 257, 1, 10);
  Filesystem fs = MustParse(w.out);
  EXPECT_EQ(Find(fs, "/old-name"), nullptr);
  EXPECT_EQ(Content(fs, "/new-name"), "second!");
  EXPECT_EQ(Find(fs, "/gone"), nullptr);
  EXPECT_EQ(Content(fs, "/config"), "new config");
  EXPECT_EQ(fs.entries().size(), 3u);  // root, new-name, config
  EXPECT_EQ(fs.deleted(), 2u);
  EXPECT_THAT(AllNotes(fs), HasSubstr("2 deleted objects left out"));
}

TEST(Yaffs2, DamagedImagesAreNotes) {
  const Layout l{2048, 64, 2, Endian::kBig, true};
  const std::vector<Obj> tree = SampleTree(l.page_size);
  Bytes img = Image(l, tree);
  // Truncated in the middle of etc/big.bin: the rest is a note, what is whole still reads.
  {
    Bytes cut(img.begin(), img.begin() + 4 * l.stride() + 1000);
    Filesystem fs = MustParse(cut);
    EXPECT_THAT(AllNotes(fs), HasSubstr("truncated"));
    EXPECT_THAT(AllNotes(fs), HasSubstr("/etc/big.bin says 4219 bytes"));
    EXPECT_EQ(Content(fs, "/hello.txt"), "hello\n");
  }
  // Data chunks of an object with no header; a byte count past the page; a size past the
  // data; a name without an end.
  {
    Writer w(l);
    w.Add(File(257, "a", "aaaa"));
    w.Chunk(AsBytes("orphan"), kSeq, 300, 1, 6);
    w.Add(File(258, "liar", "xyz").Size(1u << 30));
    w.Header(File(259, "count").Size(5000));
    w.Chunk(AsBytes("12345"), kSeq, 259, 1, 60000);
    w.Add(File(260, "", "z").Unterminated());
    w.Header(File(261, "sparse").Size(2 * 2048 + 3));
    w.Chunk(AsBytes("abc"), kSeq, 261, 3, 3);
    Filesystem fs = MustParse(w.out);
    const std::string notes = AllNotes(fs);
    EXPECT_THAT(notes, HasSubstr("data chunks of object 300"));
    EXPECT_THAT(notes, HasSubstr("/liar says 1073741824 bytes, its data chunks hold 3"));
    EXPECT_EQ(Content(fs, "/liar"), "xyz");
    EXPECT_THAT(notes, HasSubstr("says 60000 bytes, a page holds 2048"));
    EXPECT_EQ(Find(fs, "/count")->size, 2048u);
    EXPECT_THAT(notes, HasSubstr("name of object 260"));
    EXPECT_EQ(Content(fs, "/" + std::string(255, 'n')), "z");
    EXPECT_EQ(Content(fs, "/a"), "aaaa");
    EXPECT_THAT(notes, HasSubstr("2 of the 3 pages of /sparse have no data chunk"));
    EXPECT_EQ(Content(fs, "/sparse"), std::string(2 * 2048, '\0') + "abc");
  }
  // Directories that are each other's parent, a hard link to a directory above it, a hard
  // link to nothing: notes, no hang.
  {
    Writer w(l);
    w.Add(Dir(257, "top"));
    w.Add(Dir(258, "x").In(259));
    w.Add(Dir(259, "y").In(258));
    w.Add(HardLink(260, "up", 257).In(257));
    w.Add(HardLink(261, "dangling", 999).In(257));
    Filesystem fs = MustParse(w.out);
    const std::string notes = AllNotes(fs);
    EXPECT_THAT(notes, HasSubstr("2 objects are in no directory"));
    EXPECT_THAT(notes, HasSubstr("a loop"));
    EXPECT_THAT(notes, HasSubstr("inode 999"));
    EXPECT_NE(Find(fs, "/top"), nullptr);
  }
  // Garbage tags in the middle of etc/big.bin are skipped with a note: that page reads as
  // zeros, the rest still reads.
  {
    Bytes bad = img;
    std::fill_n(bad.begin() + 5 * l.stride() + l.page_size + 2, 16, 0x5a);
    Filesystem fs = MustParse(bad);
    EXPECT_THAT(AllNotes(fs), HasSubstr("invalid tags"));
    EXPECT_EQ(Content(fs, "/etc/again"), "hello\n");
    const std::string big = Content(fs, "/etc/big.bin");
    ASSERT_EQ(big.size(), 2 * l.page_size + 123);
    EXPECT_EQ(big.substr(l.page_size, l.page_size), std::string(l.page_size, '\0'));
  }
}

TEST(Yaffs2, NotClaimedWithoutAHeaderAndTags) {
  EXPECT_FALSE(DetectLayout(testing::TestData(1 << 16)).has_value());
  EXPECT_FALSE(DetectLayout(Bytes(1 << 16, 0xff)).has_value());
  // A header page with the magic but erased tags.
  const Layout l{2048, 64, 0, Endian::kLittle, false};
  Bytes img = Image(l, {File(257, "a", "a")});
  std::fill_n(img.begin() + 2048, 64, 0xff);
  EXPECT_FALSE(DetectLayout(img).has_value());
  EXPECT_FALSE(Filesystem::Parse(img, l).ok());
  // Too short for one chunk.
  EXPECT_FALSE(DetectLayout(ByteView(img).first(1000)).has_value());
}

TEST(Yaffs2Format, OpensTheRealSampleThroughTheHandler) {
  const internal::FormatHandler* h = internal::FindFormat("yaffs2");
  ASSERT_NE(h, nullptr);
  Bytes img = ReadBytes(testing::kRealCorpus + "yaffs2_be_fact.img");
  std::optional<internal::Match> m = h->probe(img);
  ASSERT_TRUE(m.has_value());
  EXPECT_THAT(m->detail, HasSubstr("big-endian"));
  testing::FakeWalker walker;
  Result<uint64_t> span = h->open(img, *m, walker);
  ASSERT_TRUE(span.ok()) << span.error().message();
  EXPECT_EQ(*span, img.size());
  const auto* node = walker.FindNode("generic folder/test file 3_.txt");
  ASSERT_NE(node, nullptr) << walker.AllNotes();
  EXPECT_EQ(Sha256Hex(node->content),
            "289b5a050a83837f192d7129e4c4e02570b94b4924e50159fad5ed1067cfbfeb");
  // An empty Match (a format hint) detects the layout itself.
  testing::FakeWalker again;
  ASSERT_TRUE(h->open(img, internal::Match{}, again).ok());
  EXPECT_EQ(again.nodes.size(), walker.nodes.size());
}

}  // namespace
}  // namespace clearbox::unpack::yaffs2
