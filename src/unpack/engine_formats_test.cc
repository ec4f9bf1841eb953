// Every library-backed format, built here with the real tools from one small rootfs and
// unpacked: paths, types, modes, link targets and contents must come through.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "clearbox/unpack/manifest.h"
#include "engine_test_util.h"

namespace clearbox::unpack::enginetest {
namespace {

struct Expect {
  bool setuid = true;     // the format keeps setuid bits
  bool symlink = true;    // the format stores symlinks
  bool hardlink = false;  // the format reports hard links as links (else: two files)
  bool owner = true;      // uid/gid 0 recorded
};

// Checks the rootfs of MakeRootfs under the container `fs` ("x.tar!tar@0x0").
void ExpectRootfs(const Unpacked& u, const std::string& fs, Expect expect = {}) {
  SCOPED_TRACE(fs);
  // /etc/passwd and /etc/passwd.hard share an inode: whichever the format stores first (or
  // last, for cpio) carries the data, the other may be a hard link to it.
  const auto* first = u.Find(fs + ":/etc/passwd");
  const auto* second = u.Find(fs + ":/etc/passwd.hard");
  ASSERT_NE(first, nullptr) << u.NotesText();
  ASSERT_NE(second, nullptr) << u.NotesText();
  const auto* passwd = first->node.type == NodeType::kFile ? first : second;
  const auto* other = passwd == first ? second : first;
  EXPECT_EQ(passwd->node.type, NodeType::kFile);
  EXPECT_EQ(passwd->sha256, Sha("root:x:0:0:root:/root:/bin/sh\n"));
  EXPECT_EQ(passwd->node.size, 30u);
  EXPECT_EQ(passwd->node.raw_path, "");
  if (expect.hardlink) {
    EXPECT_EQ(other->node.type, NodeType::kHardLink);
    EXPECT_EQ(other->node.link_target, passwd->node.path);
  } else if (other->node.type == NodeType::kFile) {
    EXPECT_EQ(other->sha256, passwd->sha256);
  }

  const auto* busybox = u.Find(fs + ":/bin/busybox");
  ASSERT_NE(busybox, nullptr);
  EXPECT_GE(busybox->node.size, 300000u);
  std::string big;
  for (int i = 0; big.size() < 300000; ++i)
    big += "line " + std::to_string(i * 7919 % 10007) + "\n";
  EXPECT_EQ(busybox->sha256, Sha(big));
  if (expect.setuid) {
    EXPECT_EQ(busybox->node.mode, 04755u);
  }

  const auto* rcs = u.Find(fs + ":/etc/init.d/rcS");
  ASSERT_NE(rcs, nullptr);
  EXPECT_EQ(rcs->sha256, Sha("#!/bin/sh\nmount -a\n"));

  const auto* empty = u.Find(fs + ":/empty");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->node.size, 0u);

  if (expect.symlink) {
    const auto* sh = u.Find(fs + ":/bin/sh");
    ASSERT_NE(sh, nullptr);
    EXPECT_EQ(sh->node.type, NodeType::kSymlink);
    EXPECT_EQ(sh->node.link_target, "busybox");
  }
  if (expect.owner) {
    EXPECT_EQ(passwd->node.uid, 0u);
    EXPECT_EQ(passwd->node.gid, 0u);
  }
  EXPECT_FALSE(u.summary.partial) << u.NotesText();
}

class EngineFormatsTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeRootfs(scratch_ / "root"); }
  Scratch scratch_;
  std::string root() const { return scratch_ / "root"; }
};

TEST_F(EngineFormatsTest, TarUstarGnuPax) {
  for (std::string format : {"ustar", "gnu", "posix"}) {
    ASSERT_TRUE(Sh(root(), "tar --format=" + format + " -cf ../r.tar ."));
    Unpacked u = UnpackPath(scratch_ / "r.tar");
    ExpectRootfs(u, "r.tar!tar@0x0", {.hardlink = true});
    ASSERT_EQ(u.filesystems.size(), 1u);
    EXPECT_EQ(u.filesystems[0].format, "tar");
  }
}

TEST_F(EngineFormatsTest, TarInsideEveryCompressor) {
  const std::vector<std::pair<std::string, std::string>> codecs = {
      {"gzip", "gzip -9"}, {"xz", "xz"},      {"bzip2", "bzip2"},
      {"zstd", "zstd -q"}, {"lz4", "lz4 -q"}, {"lzma", "lzma"}};
  ASSERT_TRUE(Sh(root(), "tar -cf ../r.tar ."));
  for (const auto& [name, tool] : codecs) {
    ASSERT_TRUE(Sh(scratch_.path().string(), tool + " -c r.tar > r.tar.c"));
    Unpacked u = UnpackPath(scratch_ / "r.tar.c");
    // The compressed stream holds one payload, identified at its offset 0 as a tar.
    ExpectRootfs(u, "r.tar.c!" + name + "@0x0!tar", {.hardlink = true});
    ASSERT_EQ(u.filesystems.size(), 2u) << name;
    EXPECT_EQ(u.filesystems[0].format, name);
  }
}

TEST_F(EngineFormatsTest, CpioNewcCrcOdc) {
  for (std::string format : {"newc", "crc", "odc"}) {
    ASSERT_TRUE(Sh(root(), "find . | cpio --quiet -o -H " + format + " > ../r.cpio"));
    Unpacked u = UnpackPath(scratch_ / "r.cpio");
    ExpectRootfs(u, "r.cpio!cpio@0x0", {.hardlink = format != "odc"});
  }
}

TEST_F(EngineFormatsTest, InitramfsCpioGz) {
  ASSERT_TRUE(Sh(root(), "find . | cpio --quiet -o -H newc | gzip -9 > ../initrd.img"));
  Unpacked u = UnpackPath(scratch_ / "initrd.img");
  ExpectRootfs(u, "initrd.img!gzip@0x0!cpio", {.hardlink = true});
}

TEST_F(EngineFormatsTest, Zip) {
  ASSERT_TRUE(Sh(root(), "zip -qry ../r.zip ."));
  Unpacked u = UnpackPath(scratch_ / "r.zip");
  ExpectRootfs(u, "r.zip!zip@0x0", {.owner = false});
}

TEST_F(EngineFormatsTest, SevenZip) {
  ASSERT_TRUE(Sh(root(), "7z a -snl -bd ../r.7z . >/dev/null"));
  Unpacked u = UnpackPath(scratch_ / "r.7z");
  ExpectRootfs(u, "r.7z!7z@0x0", {.setuid = false, .owner = false});
}

TEST_F(EngineFormatsTest, Iso9660RockRidge) {
  ASSERT_TRUE(Sh(scratch_.path().string(), "xorriso -as mkisofs -quiet -R -o r.iso root"));
  Unpacked u = UnpackPath(scratch_ / "r.iso");
  ExpectRootfs(u, "r.iso!iso9660@0x0", {.setuid = true, .hardlink = false});
}

// The test runs in the "C" locale, as the CLI does: libarchive converts 7z (UTF-16) and
// flagged zip names through the locale, and must still hand out UTF-8.
TEST_F(EngineFormatsTest, NonAsciiNamesComeOutAsUtf8InEveryArchiveFormat) {
  const std::string name = "index-\xc3\xbc.html";  // index-ü.html
  const std::string dir = scratch_ / "names";
  WriteText(dir + "/www/" + name, "hello\n");
  const std::vector<std::pair<std::string, std::string>> archives = {
      {"ustar.tar", "tar --format=ustar -cf ../ustar.tar www"},
      {"gnu.tar", "tar --format=gnu -cf ../gnu.tar www"},
      {"pax.tar", "tar --format=posix -cf ../pax.tar www"},
      {"n.cpio", "find www | cpio --quiet -o -H newc > ../n.cpio"},
      {"n.zip", "zip -qr ../n.zip www"},
      {"u.zip", "LC_ALL=C.UTF-8 zip -qr ../u.zip www"},
      {"n.7z", "LC_ALL=C.UTF-8 7z a -bd ../n.7z www"},
      {"n.iso", "LC_ALL=C.UTF-8 xorriso -as mkisofs -quiet -J -R -o ../n.iso ."}};
  for (const auto& [file, command] : archives) {
    SCOPED_TRACE(file);
    ASSERT_TRUE(Sh(dir, command));
    Unpacked u = UnpackPath(scratch_ / file);
    std::string format = file.substr(file.find('.') + 1);
    if (format == "iso") format = "iso9660";
    const auto* entry = u.Find(file + "!" + format + "@0x0:/www/" + name);
    ASSERT_NE(entry, nullptr) << u.NotesText();
    EXPECT_EQ(entry->sha256, Sha("hello\n"));
    EXPECT_FALSE(u.summary.partial) << u.NotesText();
  }
}

// A 7z name that is not valid UTF-16 cannot be converted: the entry is kept under a made-up
// name and the loss of its name is noted, never dropped in silence.
TEST_F(EngineFormatsTest, SevenZipNameThatIsNotUnicodeIsKeptAndNoted) {
  const std::string dir = scratch_ / "names";
  WriteText(dir + "/index-\xc3\xbc.html", "hello\n");
  // -mhc=off: the names lie uncompressed in the header, where the test can spoil one.
  ASSERT_TRUE(Sh(dir, "LC_ALL=C.UTF-8 7z a -bd -mhc=off ../n.7z ."));
  Bytes image = ReadAll(scratch_ / "n.7z");
  ASSERT_GE(image.size(), 32u);
  // "-\xfc" in UTF-16LE becomes "-" and a lone high surrogate.
  const uint8_t utf16[] = {'-', 0, 0xfc, 0};
  auto at = std::search(image.begin(), image.end(), std::begin(utf16), std::end(utf16));
  ASSERT_NE(at, image.end());
  at[2] = 0x00;
  at[3] = 0xd8;
  // Fix the next header's CRC (at 28) and then the start header's (at 8, over 12..32).
  auto store_le32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) image[at + i] = uint8_t(v >> (8 * i));
  };
  uint64_t next_offset = LoadLE64(image.data() + 12), next_size = LoadLE64(image.data() + 20);
  ASSERT_LE(32 + next_offset + next_size, image.size());
  store_le32(28, Crc32(ByteView(image).subspan(32 + next_offset, next_size)));
  store_le32(8, Crc32(ByteView(image).subspan(12, 20)));

  Unpacked u = UnpackBytes(image);
  const auto* entry = u.Find("buf!7z@0x0:/unnamed-entry-1");
  ASSERT_NE(entry, nullptr) << u.NotesText();
  EXPECT_EQ(entry->sha256, Sha("hello\n"));
  EXPECT_TRUE(u.HasNote(Note::Kind::kCorrupt, "kept as /unnamed-entry-1")) << u.NotesText();
  EXPECT_TRUE(u.summary.partial);
}

TEST_F(EngineFormatsTest, SquashfsEveryCompressor) {
  for (std::string comp : {"gzip", "xz", "lzo", "lz4", "zstd", "lzma"}) {
    std::string image = "r-" + comp + ".sqfs";
    ASSERT_TRUE(Sh(scratch_.path().string(),
                   "mksquashfs root " + image + " -comp " + comp + " -no-progress -quiet"));
    Unpacked u = UnpackPath(scratch_ / image);
    ExpectRootfs(u, image + "!squashfs@0x0", {.hardlink = true});
  }
}

// gzip data blocks are decoded by libdeflate: a damaged block (its Adler-32 no longer
// matches, or its codes are broken) is a corrupt note naming the file offset, and the
// other files of the image are still unpacked.
TEST_F(EngineFormatsTest, SquashfsGzipDamagedBlockIsANote) {
  std::string big;
  for (int i = 0; big.size() < 300000; ++i) big += "line " + std::to_string(i) + "\n";
  WriteText(scratch_ / "solo/a.txt", big);
  WriteText(scratch_ / "solo/b.txt", "small\n");
  ASSERT_TRUE(
      Sh(scratch_.path().string(), "mksquashfs solo s.sqfs -comp gzip -no-progress -quiet"));
  // a.txt's first data block starts right after the 96-byte superblock (no compressor
  // options are stored for gzip's defaults).
  Bytes image = ReadAll(scratch_ / "s.sqfs");
  ASSERT_GT(image.size(), 200u);
  image[96 + 64] ^= 0x5a;
  WriteText(scratch_ / "s.sqfs",
            std::string_view(reinterpret_cast<const char*>(image.data()), image.size()));
  Unpacked u = UnpackPath(scratch_ / "s.sqfs");
  const auto* a = u.Find("s.sqfs!squashfs@0x0:/a.txt");
  const auto* b = u.Find("s.sqfs!squashfs@0x0:/b.txt");
  ASSERT_NE(a, nullptr) << u.NotesText();
  ASSERT_NE(b, nullptr) << u.NotesText();
  EXPECT_EQ(a->node.size, big.size());
  EXPECT_NE(a->sha256, Sha(big));
  EXPECT_EQ(b->sha256, Sha("small\n"));
  EXPECT_TRUE(
      u.HasNote(Note::Kind::kCorrupt, "squashfs data at file offset 0: decompression failed"))
      << u.NotesText();
  EXPECT_TRUE(u.summary.partial);
}

TEST_F(EngineFormatsTest, SquashfsInParallelMatchesOneThread) {
  // Enough files for the parallel path, each with distinct content.
  for (int i = 0; i < 300; ++i) {
    WriteText(root() + "/many/f" + std::to_string(i),
              std::string(size_t(i) * 37, char('a' + i % 26)));
  }
  ASSERT_TRUE(Sh(scratch_.path().string(), "mksquashfs root r.sqfs -b 4096 -no-progress -quiet"));
  Options one;
  one.threads = 1;
  Options two;
  two.threads = 2;
  Unpacked a = UnpackPath(scratch_ / "r.sqfs", one);
  Unpacked b = UnpackPath(scratch_ / "r.sqfs", two);
  ASSERT_EQ(a.entries.size(), b.entries.size());
  for (size_t i = 0; i < a.entries.size(); ++i) {
    EXPECT_EQ(a.entries[i].node.provenance, b.entries[i].node.provenance);
    EXPECT_EQ(a.entries[i].sha256, b.entries[i].sha256);
  }
  const auto* f299 = b.Find("r.sqfs!squashfs@0x0:/many/f299");
  ASSERT_NE(f299, nullptr);
  EXPECT_EQ(f299->sha256, Sha(std::string(299 * 37, char('a' + 299 % 26))));
}

// Extraction runs on the threads asked for, xz included: its metadata helpers ask the walker
// for threads too, and the walker hands them out once (a second ask gets one thread).
TEST_F(EngineFormatsTest, SquashfsXzExtractsOnSeveralThreads) {
  for (int i = 0; i < 100; ++i) {
    WriteText(root() + "/many/f" + std::to_string(i), std::string(size_t(i) * 37 + 1, 'x'));
  }
  ASSERT_TRUE(
      Sh(scratch_.path().string(), "mksquashfs root r.sqfs -comp xz -b 4096 -no-progress -quiet"));
  struct ThreadSink : Sink {
    std::mutex mu;
    std::set<std::thread::id> threads;
    size_t files = 0;
    Status OnNode(const Node& node, ContentReader* content) override {
      if (node.type != NodeType::kFile || content == nullptr) return Status::Ok();
      HashContent(*content);
      // Slow enough that every worker gets work, however late it is scheduled.
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::lock_guard<std::mutex> lock(mu);
      threads.insert(std::this_thread::get_id());
      ++files;
      return Status::Ok();
    }
  } sink;
  Options two;
  two.threads = 2;
  Result<Summary> s = UnpackFile(scratch_ / "r.sqfs", two, sink);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_GE(sink.files, 100u);
  EXPECT_EQ(sink.threads.size(), 2u);
}

TEST_F(EngineFormatsTest, Ext2AndExt4) {
  for (std::string type : {"ext2", "ext4"}) {
    std::string image = "r." + type;
    ASSERT_TRUE(
        Sh(scratch_.path().string(), "mke2fs -q -F -t " + type + " -d root " + image + " 4M"));
    Unpacked u = UnpackPath(scratch_ / image);
    ExpectRootfs(u, image + "!ext@0x0", {.hardlink = true});
    // lost+found is part of the filesystem, recorded like any directory.
    EXPECT_NE(u.Find(image + "!ext@0x0:/lost+found"), nullptr);
  }
}

TEST_F(EngineFormatsTest, ExtDeviceNodesAndFifo) {
  ASSERT_TRUE(Sh(root(), "mknod dev-null c 1 3 && mknod dev-sda b 8 0 && mkfifo pipe"));
  ASSERT_TRUE(Sh(scratch_.path().string(), "mke2fs -q -F -t ext2 -d root r.ext2 4M"));
  Unpacked u = UnpackPath(scratch_ / "r.ext2");
  const auto* null = u.Find("r.ext2!ext@0x0:/dev-null");
  ASSERT_NE(null, nullptr);
  EXPECT_EQ(null->node.type, NodeType::kCharDevice);
  EXPECT_EQ(null->node.dev_major, 1u);
  EXPECT_EQ(null->node.dev_minor, 3u);
  const auto* sda = u.Find("r.ext2!ext@0x0:/dev-sda");
  ASSERT_NE(sda, nullptr);
  EXPECT_EQ(sda->node.type, NodeType::kBlockDevice);
  EXPECT_EQ(sda->node.dev_major, 8u);
  const auto* pipe = u.Find("r.ext2!ext@0x0:/pipe");
  ASSERT_NE(pipe, nullptr);
  EXPECT_EQ(pipe->node.type, NodeType::kFifo);
}

TEST_F(EngineFormatsTest, SquashfsDeviceNodes) {
  ASSERT_TRUE(Sh(root(), "mknod console c 5 1"));
  ASSERT_TRUE(Sh(scratch_.path().string(), "mksquashfs root r.sqfs -no-progress -quiet"));
  Unpacked u = UnpackPath(scratch_ / "r.sqfs");
  const auto* console = u.Find("r.sqfs!squashfs@0x0:/console");
  ASSERT_NE(console, nullptr);
  EXPECT_EQ(console->node.type, NodeType::kCharDevice);
  EXPECT_EQ(console->node.dev_major, 5u);
  EXPECT_EQ(console->node.dev_minor, 1u);
}

TEST_F(EngineFormatsTest, ListingSkipsContentButFindsNestedStreams) {
  // A sink that does not want content still sees a tar.gz inside a tar (streamed).
  ASSERT_TRUE(Sh(root(),
                 "tar -czf ../inner.tgz . && mkdir -p ../outer && mv ../inner.tgz ../outer/"
                 " && tar -cf ../outer.tar -C ../outer ."));
  Unpacked u = UnpackPath(scratch_ / "outer.tar", {}, /*hash=*/false);
  EXPECT_NE(u.Find("outer.tar!tar@0x0:/inner.tgz!gzip!tar:/etc/passwd"), nullptr) << u.NotesText();
  EXPECT_EQ(u.Find("outer.tar!tar@0x0:/inner.tgz!gzip!tar:/etc/passwd")->sha256, "");
}

}  // namespace
}  // namespace clearbox::unpack::enginetest
