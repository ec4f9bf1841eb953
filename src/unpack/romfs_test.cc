// The romfs reader over images a small test-only writer builds (checked against the real
// genromfs sample in ../shared/corpus/real), and over damaged ones.
#include "romfs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>

#include "clearbox/core/bytes.h"

namespace clearbox::unpack::romfs {
namespace {

using ::testing::HasSubstr;

// One entry to write: romfs type (0 hard link .. 7 fifo), name, data (files, symlinks),
// spec (devices: major << 16 | minor; hard links: resolved by `link_to`), children.
struct Item {
  // Written positionally in the tests ({type, name, data, ...}); the rest default.
  Item(uint32_t type, std::string name, std::string data = "", uint32_t spec = 0,
       bool executable = false, std::string link_to = "", std::vector<Item> children = {})
      : type(type), name(std::move(name)), data(std::move(data)), spec(spec),
        executable(executable), link_to(std::move(link_to)), children(std::move(children)) {}
  uint32_t type;
  std::string name;
  std::string data;
  uint32_t spec;
  bool executable;
  std::string link_to;  // hard links: the name of an earlier item of the same directory
  std::vector<Item> children;
};

void PutBE32(Bytes& out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

void PadTo16(Bytes& out) { out.resize((out.size() + 15) & ~size_t{15}, 0); }

void AppendName(Bytes& out, const std::string& name) {
  out.insert(out.end(), name.begin(), name.end());
  out.push_back(0);
  PadTo16(out);
}

// Writes a chain of headers (with "." and ".." first, as genromfs does); returns the offset
// of its first header.
uint32_t WriteChain(Bytes& out, const std::vector<Item>& items, uint32_t parent_first) {
  std::vector<Item> all;
  all.push_back({1, ".", "", 0});
  all.push_back({0, "..", "", parent_first});
  all.insert(all.end(), items.begin(), items.end());
  const uint32_t first = static_cast<uint32_t>(out.size());
  std::map<std::string, uint32_t> header_of;
  size_t prev = SIZE_MAX;
  for (const Item& item : all) {
    PadTo16(out);
    const size_t at = out.size();
    if (prev != SIZE_MAX) {
      uint32_t word = (static_cast<uint32_t>(at)) | (out[prev + 3] & 15);
      PutBE32(out, prev, word);
    }
    out.resize(at + 16, 0);
    AppendName(out, item.name);
    uint32_t spec = item.spec;
    if (item.name == ".") spec = first;
    if (item.type == 0 && !item.link_to.empty()) spec = header_of.at(item.link_to);
    if (item.type == 2 || item.type == 3) {
      out.insert(out.end(), item.data.begin(), item.data.end());
      PutBE32(out, at + 8, static_cast<uint32_t>(item.data.size()));
    }
    if (item.type == 1 && item.name != ".") {
      PadTo16(out);
      spec = WriteChain(out, item.children, first);
    }
    PutBE32(out, at, item.type | (item.executable ? 8u : 0u));
    PutBE32(out, at + 4, spec);
    header_of[item.name] = static_cast<uint32_t>(at);
    prev = at;
  }
  return first;
}

Bytes Image(const std::vector<Item>& root, const std::string& volume = "test volume") {
  Bytes out = ToBytes("-rom1fs-");
  out.resize(16, 0);
  AppendName(out, volume);
  WriteChain(out, root, static_cast<uint32_t>(out.size()));
  PadTo16(out);
  if (out.size() < 1024) out.resize(1024, 0);
  PutBE32(out, 8, static_cast<uint32_t>(out.size()));
  uint32_t sum = 0;
  for (size_t i = 0; i < 512; i += 4) sum += LoadBE32(out.data() + i);
  PutBE32(out, 12, 0u - sum);
  return out;
}

const Entry* Find(const Filesystem& fs, const std::string& path) {
  for (const Entry& e : fs.entries()) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

std::string Content(const Filesystem& fs, const Entry& e) {
  Result<Bytes> b = fs.ReadFile(e, 1 << 20);
  return b.ok() ? std::string(AsChars(*b)) : "<error>";
}

TEST(Romfs, TreeOfEveryType) {
  Bytes img = Image({{2, "hello.txt", "hello\n"},
                     {2, "run.sh", "#!/bin/sh\n", 0, true},
                     {3, "link", "hello.txt"},
                     {0, "again", "", 0, false, "hello.txt"},
                     {5, "console", "", (5u << 16) | 1},
                     {1, "etc", "", 0, false, "", {{2, "passwd", "root:x:0:0::/:/bin/sh\n"},
                                                   {1, "init.d", "", 0, false, "",
                                                    {{2, "rcS", "#!/bin/sh\n", 0, true}}}}}});
  Result<Filesystem> fs = Filesystem::Parse(img);
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  EXPECT_EQ(fs->superblock().volume, "test volume");
  EXPECT_TRUE(fs->superblock().checksum_ok);
  EXPECT_TRUE(fs->notes().empty()) << fs->notes()[0].message;
  const Entry* hello = Find(*fs, "/hello.txt");
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(Content(*fs, *hello), "hello\n");
  EXPECT_EQ(hello->mode, 0644u);
  EXPECT_EQ(Find(*fs, "/run.sh")->mode, 0755u);
  EXPECT_EQ(Find(*fs, "/link")->type, NodeType::kSymlink);
  EXPECT_EQ(Find(*fs, "/link")->link_target, "hello.txt");
  EXPECT_EQ(Find(*fs, "/again")->type, NodeType::kHardLink);
  EXPECT_EQ(Find(*fs, "/again")->link_target, "/hello.txt");
  EXPECT_EQ(Find(*fs, "/console")->type, NodeType::kCharDevice);
  EXPECT_EQ(Find(*fs, "/console")->dev_major, 5u);
  EXPECT_EQ(Find(*fs, "/console")->dev_minor, 1u);
  EXPECT_EQ(Find(*fs, "/etc")->type, NodeType::kDirectory);
  EXPECT_EQ(Content(*fs, *Find(*fs, "/etc/passwd")), "root:x:0:0::/:/bin/sh\n");
  ASSERT_NE(Find(*fs, "/etc/init.d/rcS"), nullptr);
  EXPECT_EQ(Find(*fs, "/."), nullptr);  // "." and ".." are not entries
  EXPECT_EQ(fs->extent(), img.size());
}

TEST(Romfs, TheWriterMatchesGenromfsOnTheRealSample) {
  std::ifstream in(std::string(CLEARBOX_SHARED_DIR) + "/corpus/real/romfs_binwalk.bin",
                   std::ios::binary);
  ASSERT_TRUE(in) << "the corpus sample romfs_binwalk.bin";
  Bytes real((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Result<Filesystem> fs = Filesystem::Parse(real);
  ASSERT_TRUE(fs.ok());
  EXPECT_EQ(fs->superblock().volume, "rom 67269c23");
  EXPECT_TRUE(fs->superblock().checksum_ok);
  const Entry* lsb = Find(*fs, "/lsb-release");
  ASSERT_NE(lsb, nullptr);
  EXPECT_EQ(lsb->size, 104u);
  EXPECT_THAT(Content(*fs, *lsb), HasSubstr("DISTRIB_RELEASE=22.04"));
  // The writer lays out the same file the same way: the header after the volume name, the
  // data after the padded name.
  Bytes mine = Image({{2, "lsb-release", Content(*fs, *lsb)}}, "rom 67269c23");
  Result<Filesystem> again = Filesystem::Parse(mine);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Find(*again, "/lsb-release")->data_offset, lsb->data_offset);
}

TEST(Romfs, DamagedImagesAreNotes) {
  Bytes img = Image({{2, "a", std::string(300, 'a')}, {2, "b", "bbb"}});
  // Cut inside a's data: a is not read, a note names it, the checksum still holds.
  Bytes cut(img.begin(), img.begin() + 200);
  Result<Filesystem> fs = Filesystem::Parse(cut);
  ASSERT_TRUE(fs.ok());
  EXPECT_EQ(Find(*fs, "/a"), nullptr);
  ASSERT_FALSE(fs->notes().empty());
  EXPECT_THAT(fs->notes()[0].message, HasSubstr("is missing"));
  // A chain that points back to itself: a loop note, no hang.
  Bytes loop = img;
  Result<Filesystem> whole = Filesystem::Parse(img);
  ASSERT_TRUE(whole.ok());
  const Entry* b = Find(*whole, "/b");
  ASSERT_NE(b, nullptr);
  const size_t b_header = (b->data_offset - 16 - 16) & ~size_t{15};
  PutBE32(loop, b_header, static_cast<uint32_t>(b_header) | 2);
  Result<Filesystem> looped = Filesystem::Parse(loop);
  ASSERT_TRUE(looped.ok());
  bool loop_noted = false;
  for (const Note& n : looped->notes()) loop_noted |= n.message.find("loop") != std::string::npos;
  EXPECT_TRUE(loop_noted);
  // Not romfs at all.
  EXPECT_FALSE(Filesystem::Parse(AsBytes(std::string(64, 'x'))).ok());
}

}  // namespace
}  // namespace clearbox::unpack::romfs
