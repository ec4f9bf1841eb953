// Hostile archives: climbing and absolute names, writes through symlinks, hard-link loops,
// duplicates, device nodes, corrupt headers. The tree records them faithfully; the
// DirectoryWriter never writes outside its directory.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "clearbox/unpack/directory_writer.h"
#include "clearbox/unpack/manifest.h"
#include "engine_test_util.h"

namespace clearbox::unpack::enginetest {
namespace {

namespace fs = std::filesystem;

// Builds hostile.tar with python's tarfile (which writes any name it is given).
constexpr const char* kHostileTar = R"PY(
import io, tarfile, sys
outside = sys.argv[1]
def add(t, name, data=b"", **kw):
    info = tarfile.TarInfo(name)
    for k, v in kw.items(): setattr(info, k, v)
    info.size = len(data) if info.type == tarfile.REGTYPE else 0
    t.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
with tarfile.open("hostile.tar", "w", format=tarfile.GNU_FORMAT) as t:
    add(t, "ok.txt", b"fine\n")
    add(t, "../../escape.txt", b"climb\n")
    add(t, "/abs/path.txt", b"absolute\n")
    add(t, "a/../../b.txt", b"dotdot\n")
    add(t, "evil", type=tarfile.SYMTYPE, linkname=outside)
    add(t, "evil/through.txt", b"written through a symlink\n")
    add(t, "rel", type=tarfile.SYMTYPE, linkname="../../../../../../../../tmp")
    add(t, "rel/through2.txt", b"through a relative symlink\n")
    add(t, "loop1", type=tarfile.LNKTYPE, linkname="loop2")
    add(t, "loop2", type=tarfile.LNKTYPE, linkname="loop1")
    add(t, "self", type=tarfile.LNKTYPE, linkname="self")
    add(t, "dup.txt", b"first\n")
    add(t, "dup.txt", b"second\n")
    add(t, "dev/null", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
    add(t, "dev/sda", type=tarfile.BLKTYPE, devmajor=8, devminor=0)
    add(t, "fifo", type=tarfile.FIFOTYPE)
    add(t, "suid", b"#!/bin/sh\n", mode=0o4755)
    add(t, "link-to-ok", type=tarfile.LNKTYPE, linkname="ok.txt")
)PY";

class EngineHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(scratch_ / "outside");
    WriteText(scratch_ / "make.py", kHostileTar);
    ASSERT_TRUE(Sh(dir(), "python3 make.py " + (scratch_ / "outside")));
  }
  std::string dir() const { return scratch_.path().string(); }
  Scratch scratch_;
};

TEST_F(EngineHostileTest, TreeRecordsHostileNamesFaithfully) {
  Unpacked u = UnpackPath(scratch_ / "hostile.tar");
  const std::string fs = "hostile.tar!tar@0x0";
  const auto* escape = u.Find(fs + ":/escape.txt");
  ASSERT_NE(escape, nullptr) << u.NotesText();
  EXPECT_EQ(escape->node.raw_path, "../../escape.txt");
  EXPECT_EQ(escape->sha256, Sha("climb\n"));
  const auto* abs = u.Find(fs + ":/abs/path.txt");
  ASSERT_NE(abs, nullptr);
  EXPECT_EQ(abs->node.raw_path, "/abs/path.txt");
  const auto* b = u.Find(fs + ":/b.txt");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->node.raw_path, "a/../../b.txt");
  const auto* ok = u.Find(fs + ":/ok.txt");
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->node.raw_path, "");  // a plain relative name is not unusual

  const auto* evil = u.Find(fs + ":/evil");
  ASSERT_NE(evil, nullptr);
  EXPECT_EQ(evil->node.type, NodeType::kSymlink);
  EXPECT_EQ(evil->node.link_target, scratch_ / "outside");
  EXPECT_NE(u.Find(fs + ":/evil/through.txt"), nullptr);

  const auto* loop1 = u.Find(fs + ":/loop1");
  ASSERT_NE(loop1, nullptr);
  EXPECT_EQ(loop1->node.type, NodeType::kHardLink);
  EXPECT_EQ(loop1->node.link_target, "/loop2");

  int dups = 0;
  for (const auto& e : u.entries) dups += e.node.provenance == fs + ":/dup.txt";
  EXPECT_EQ(dups, 2);

  const auto* null = u.Find(fs + ":/dev/null");
  ASSERT_NE(null, nullptr);
  EXPECT_EQ(null->node.type, NodeType::kCharDevice);
  EXPECT_EQ(null->node.dev_major, 1u);
  EXPECT_EQ(null->node.dev_minor, 3u);
  const auto* suid = u.Find(fs + ":/suid");
  ASSERT_NE(suid, nullptr);
  EXPECT_EQ(suid->node.mode, 04755u);
}

TEST_F(EngineHostileTest, DirectoryWriterNeverWritesOutside) {
  auto manifest = ManifestWriter::Create();
  ASSERT_TRUE(manifest.ok());
  std::string out = scratch_ / "out";
  auto writer = DirectoryWriter::Create(out, false, **manifest);
  ASSERT_TRUE(writer.ok()) << writer.error().ToString();
  Result<Summary> summary = UnpackFile(scratch_ / "hostile.tar", {}, **writer);
  ASSERT_TRUE(summary.ok());
  ASSERT_TRUE((*manifest)->WriteFile(out + "/manifest.json", "hostile.tar", "", true).ok());

  // Nothing appeared outside the output directory.
  EXPECT_TRUE(fs::is_empty(scratch_ / "outside"));
  EXPECT_FALSE(fs::exists(scratch_ / "escape.txt"));
  EXPECT_FALSE(fs::exists("/tmp/through2.txt"));
  EXPECT_FALSE(fs::exists("/abs/path.txt"));

  const std::string root = out + "/tar@0x0";
  EXPECT_EQ(AsChars(ReadAll(root + "/escape.txt")), "climb\n");
  EXPECT_EQ(AsChars(ReadAll(root + "/abs/path.txt")), "absolute\n");
  // Symlinks are symlinks, never followed.
  EXPECT_TRUE(fs::is_symlink(root + "/evil"));
  EXPECT_EQ(fs::read_symlink(root + "/evil"), scratch_ / "outside");
  // Duplicates are both kept.
  EXPECT_EQ(AsChars(ReadAll(root + "/dup.txt")), "first\n");
  EXPECT_EQ(AsChars(ReadAll(root + "/dup.txt.clearbox-dup-1")), "second\n");
  // Devices and fifos are not created; setuid is not applied.
  EXPECT_FALSE(fs::exists(root + "/dev/null"));
  EXPECT_FALSE(fs::exists(root + "/fifo"));
  struct stat st;
  ASSERT_EQ(stat((root + "/suid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  // A hard link to a file written before it is a link.
  struct stat a, b;
  ASSERT_EQ(stat((root + "/ok.txt").c_str(), &a), 0);
  ASSERT_EQ(stat((root + "/link-to-ok").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  // Entries that could not be written make the result partial.
  EXPECT_GE((*writer)->not_written(), 4u);  // 2 through symlinks, 2 loop links (+ self)

  nlohmann::json m = nlohmann::json::parse(AsChars(ReadAll(out + "/manifest.json")));
  bool through_recorded = false, device_recorded = false, suid_recorded = false;
  for (const auto& n : m["nodes"]) {
    if (n["path"] == "/evil/through.txt") {
      through_recorded = true;
      EXPECT_FALSE(n.contains("output"));
      EXPECT_EQ(n["sha256"], Sha("written through a symlink\n"));
    }
    if (n["path"] == "/dev/sda") {
      device_recorded = true;
      EXPECT_EQ(n["device"]["major"], 8);
      EXPECT_FALSE(n.contains("output"));
    }
    if (n["path"] == "/suid") {
      suid_recorded = true;
      EXPECT_EQ(n["mode"], "4755");
      EXPECT_EQ(n["output"], "tar@0x0/suid");
    }
    if (n["path"] == "/escape.txt") {
      EXPECT_EQ(n["raw_path"], "../../escape.txt");
    }
  }
  EXPECT_TRUE(through_recorded);
  EXPECT_TRUE(device_recorded);
  EXPECT_TRUE(suid_recorded);
  bool note_found = false;
  for (const auto& n : m["notes"]) {
    note_found |= n["message"].get<std::string>().find("not written through") != std::string::npos;
  }
  EXPECT_TRUE(note_found) << m["notes"].dump(1);
}

TEST_F(EngineHostileTest, CorruptHeaderKeepsEarlierEntriesAndNamesTheOffset) {
  Bytes tar = ReadAll(scratch_ / "hostile.tar");
  // Find the header of "dup.txt" and break its checksum.
  std::string_view text = AsChars(tar);
  size_t at = text.find("dup.txt");
  ASSERT_NE(at, std::string_view::npos);
  tar[at + 148] ^= 0x07;
  Unpacked u = UnpackBytes(tar);
  EXPECT_NE(u.Find("buf!tar@0x0:/ok.txt"), nullptr);
  EXPECT_NE(u.Find("buf!tar@0x0:/self"), nullptr);
  EXPECT_TRUE(u.summary.partial);
  bool offset_named = false;
  for (const Note& n : u.notes) {
    offset_named |= n.kind == Note::Kind::kCorrupt && n.where == "buf!tar@0x0" && n.offset == at;
  }
  EXPECT_TRUE(offset_named) << u.NotesText() << " expected offset " << at;
}

TEST(DirectoryWriterTest, RefusesANonEmptyDirectoryWithoutForce) {
  Scratch scratch;
  WriteText(scratch / "out/already", "x");
  auto manifest = ManifestWriter::Create();
  ASSERT_TRUE(manifest.ok());
  auto refused = DirectoryWriter::Create(scratch / "out", false, **manifest);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kAlreadyExists);
  auto forced = DirectoryWriter::Create(scratch / "out", true, **manifest);
  EXPECT_TRUE(forced.ok());
}

TEST(DirectoryWriterTest, WritesARootfsWithLinksAndManifest) {
  Scratch scratch;
  MakeRootfs(scratch / "root");
  ASSERT_TRUE(Sh(scratch.path().string(), "mksquashfs root r.sqfs -no-progress -quiet"));
  auto manifest = ManifestWriter::Create();
  ASSERT_TRUE(manifest.ok());
  auto writer = DirectoryWriter::Create(scratch / "out", false, **manifest);
  ASSERT_TRUE(writer.ok());
  Options options;
  options.threads = 2;
  Result<Summary> summary = UnpackFile(scratch / "r.sqfs", options, **writer);
  ASSERT_TRUE(summary.ok());
  EXPECT_FALSE(summary->partial);
  ASSERT_TRUE((*manifest)->WriteFile(scratch / "out/manifest.json", "r.sqfs", "00", false).ok());

  const std::string root = scratch / "out/squashfs@0x0";
  EXPECT_EQ(ReadAll(root + "/bin/busybox"), ReadAll(scratch / "root/bin/busybox"));
  EXPECT_EQ(fs::read_symlink(root + "/bin/sh"), "busybox");
  struct stat a, b;
  ASSERT_EQ(stat((root + "/etc/passwd").c_str(), &a), 0);
  ASSERT_EQ(stat((root + "/etc/passwd.hard").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_mode & 07777, 0644u);

  nlohmann::json m = nlohmann::json::parse(AsChars(ReadAll(scratch / "out/manifest.json")));
  EXPECT_EQ(m["image"], "r.sqfs");
  EXPECT_EQ(m["partial"], false);
  ASSERT_EQ(m["filesystems"].size(), 1u);
  EXPECT_EQ(m["filesystems"][0]["format"], "squashfs");
  size_t files = 0;
  for (const auto& n : m["nodes"]) {
    EXPECT_EQ(n["filesystem"], "r.sqfs!squashfs@0x0");
    if (n["type"] == "file") {
      ++files;
      std::string output = n["output"];
      EXPECT_EQ(n["sha256"], Sha256Hex(ReadAll(scratch / ("out/" + output)))) << output;
    }
    if (n["path"] == "/bin/busybox") {
      EXPECT_EQ(n["mode"], "4755");
    }
  }
  EXPECT_EQ(files, 4u);  // passwd, rcS, busybox, empty; passwd.hard is a hard link
}

TEST(DirectoryWriterTest, FileModesAreExactWhateverTheUmask) {
  Scratch scratch;
  MakeRootfs(scratch / "root");
  ASSERT_TRUE(Sh(scratch.path().string(), "mksquashfs root r.sqfs -no-progress -quiet"));
  for (mode_t mask : {mode_t(022), mode_t(077), mode_t(0)}) {
    const std::string out = scratch / fmt::format("out{:o}", mask);
    struct UmaskGuard {  // restored even when an assertion returns early
      mode_t old;
      ~UmaskGuard() { umask(old); }
    } guard{umask(mask)};
    auto manifest = ManifestWriter::Create();
    ASSERT_TRUE(manifest.ok());
    auto writer = DirectoryWriter::Create(out, false, **manifest);
    ASSERT_TRUE(writer.ok());
    Options options;
    options.threads = 2;
    Result<Summary> summary = UnpackFile(scratch / "r.sqfs", options, **writer);
    ASSERT_TRUE(summary.ok());
    struct stat st;
    ASSERT_EQ(stat((out + "/squashfs@0x0/etc/passwd").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u) << "umask " << mask;
    ASSERT_EQ(stat((out + "/squashfs@0x0/bin/busybox").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u) << "umask " << mask;  // setuid recorded, not applied
  }
}

}  // namespace
}  // namespace clearbox::unpack::enginetest

namespace clearbox::unpack::enginetest {
namespace {

// What WriteTo writes.
std::string ManifestOutput(ManifestWriter& manifest, const std::string& image,
                           const std::string& sha256, bool partial) {
  std::FILE* out = std::tmpfile();
  EXPECT_TRUE(manifest.WriteTo(out, image, sha256, partial).ok());
  std::rewind(out);
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), out)) > 0) text.append(buf, n);
  std::fclose(out);
  return text;
}

TEST(ManifestTest, HostileNamesStayValidJson) {
  auto manifest = ManifestWriter::Create();
  ASSERT_TRUE(manifest.ok());
  Node node;
  node.path = std::string("/bad\xff\xfe name \"quoted\"\\ \x01\n", 24);
  node.raw_path = std::string("../\xc3\x28", 5);  // an invalid two-byte sequence
  node.provenance = "img!tar@0x0:" + node.path;
  node.type = NodeType::kSymlink;
  node.link_target = "caf\xc3\xa9";  // valid UTF-8 passes through
  node.mode = 04755;
  (*manifest)->AddNode(node, "", "");
  (*manifest)->AddFilesystem({"img!tar@0x0", "tar", 0, 512});
  (*manifest)->AddNote({Note::Kind::kCorrupt, "img!tar@0x0", 7, "bad \xff byte"});
  nlohmann::json m = nlohmann::json::parse(  // throws on invalid JSON or UTF-8
      ManifestOutput(**manifest, "img", "ab", true));
  ASSERT_EQ(m["nodes"].size(), 1u);
  const auto& n0 = m["nodes"][0];
  EXPECT_EQ(n0["path"], "/bad\xef\xbf\xbd\xef\xbf\xbd name \"quoted\"\\ \x01\n");
  EXPECT_EQ(n0["raw_path"], "../\xef\xbf\xbd(");
  EXPECT_EQ(n0["link_target"], "caf\xc3\xa9");
  EXPECT_EQ(n0["mode"], "4755");
  EXPECT_EQ(n0["type"], "symlink");
  EXPECT_EQ(n0["filesystem"], "img!tar@0x0");
  EXPECT_EQ(m["partial"], true);
  EXPECT_EQ(m["notes"][0]["kind"], "corrupt");
  EXPECT_EQ(m["notes"][0]["offset"], 7);
}

// The manifest text of `count` varied nodes, kept by a writer with `memory_bytes` of memory.
std::string ManifestText(size_t memory_bytes, int count) {
  auto manifest = ManifestWriter::Create(memory_bytes);
  EXPECT_TRUE(manifest.ok());
  (*manifest)->AddFilesystem({"img!squashfs@0x0", "squashfs", 0, 4096});
  for (int i = 0; i < count; ++i) {
    Node node;
    node.path = fmt::format("/d{}/n\xe9\"{}", i % 7, i);  // a bad byte and a quote
    node.provenance = "img!squashfs@0x0:" + node.path;
    if (i % 5 == 4) node.provenance = "img!tar:" + node.path + "x";  // not fs + ":" + path
    node.type = static_cast<NodeType>(i % 8);
    node.mode = uint32_t(i) & 07777;
    node.uid = uint32_t(i) * 1000;
    node.mtime = i % 3 == 0 ? -i : i;
    node.size = uint64_t(i) << 33;
    node.link_target = "../t\x01";
    node.dev_major = uint32_t(i);
    node.dev_minor = 3;
    (*manifest)->AddNode(node, i % 2 ? "ab" : "", i % 3 ? "out/x" : "");
  }
  return ManifestOutput(**manifest, "img", "", false);
}

TEST(ManifestTest, NodesPastTheMemoryBoundGoThroughATempFileUnchanged) {
  const std::string in_memory = ManifestText(ManifestWriter::kDefaultMemoryBytes, 3000);
  EXPECT_EQ(ManifestText(64, 3000), in_memory);         // every node spilled
  EXPECT_EQ(ManifestText(100 << 10, 3000), in_memory);  // some in the file, the rest in memory
  nlohmann::json m = nlohmann::json::parse(in_memory);
  ASSERT_EQ(m["nodes"].size(), 3000u);
  for (int i : {0, 4, 7, 2999}) {
    const auto& n = m["nodes"][size_t(i)];
    const std::string path = fmt::format("/d{}/n\xef\xbf\xbd\"{}", i % 7, i);
    EXPECT_EQ(n["path"], path);
    EXPECT_EQ(n["provenance"], (i % 5 == 4 ? "img!tar:" + path + "x" : "img!squashfs@0x0:" + path));
    EXPECT_EQ(n["filesystem"], (i % 5 == 4 ? "img!tar:" + path + "x" : "img!squashfs@0x0"));
    EXPECT_EQ(n["mode"], fmt::format("{:04o}", i & 07777));
    EXPECT_EQ(n["mtime"], i % 3 == 0 ? -i : i);
    EXPECT_EQ(n["size"], uint64_t(i) << 33);
  }
  EXPECT_EQ(ManifestText(64, 0), ManifestText(ManifestWriter::kDefaultMemoryBytes, 0));
  EXPECT_EQ(nlohmann::json::parse(ManifestText(64, 0))["nodes"].size(), 0u);
}

TEST(ManifestTest, ListingLineShowsTypeModeAndTarget) {
  Node node;
  node.path = "/bin/su";
  node.provenance = "fw!squashfs@0x40:/bin/su";
  node.mode = 04755;
  node.size = 1234;
  node.mtime = 86400 * 365;  // 1971-01-01 00:00 UTC
  EXPECT_EQ(FormatNodeLine(node),
            "-rwsr-xr-x 0/0       1234 1971-01-01 00:00 fw!squashfs@0x40:/bin/su");
  node.type = NodeType::kSymlink;
  node.mode = 0777;
  node.link_target = "busybox";
  node.size = 7;
  EXPECT_EQ(FormatNodeLine(node),
            "lrwxrwxrwx 0/0          7 1971-01-01 00:00 fw!squashfs@0x40:/bin/su -> busybox");
  node.type = NodeType::kCharDevice;
  node.mode = 0600;
  node.dev_major = 5;
  node.dev_minor = 1;
  node.mtime = -1;  // before the epoch
  EXPECT_EQ(FormatNodeLine(node),
            "crw------- 0/0        5,1 1969-12-31 23:59 fw!squashfs@0x40:/bin/su");
}

}  // namespace
}  // namespace clearbox::unpack::enginetest
