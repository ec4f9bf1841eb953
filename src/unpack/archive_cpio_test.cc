// cpio headers that claim more than the archive holds: libarchive would reserve a read-ahead
// buffer of the claimed size (gigabytes) before it meets the end, so they are cut off first.
#include <gtest/gtest.h>

#include <string>

#include "engine_test_util.h"

namespace clearbox::unpack::enginetest {
namespace {

// One newc header + name (+ data), padded as cpio -H newc pads them.
std::string NewcEntry(std::string_view name, uint32_t mode, std::string_view data,
                      uint64_t claimed_name = 0) {
  char h[111];
  const uint64_t namesize = claimed_name ? claimed_name : name.size() + 1;
  const uint64_t filesize = data.size();
  std::snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08llX%08X%08X%08X%08X%08llX%08X", 1u,
                mode, 0u, 0u, 1u, 0u, static_cast<unsigned long long>(filesize), 0u, 0u, 0u, 0u,
                static_cast<unsigned long long>(namesize), 0u);
  std::string out(h, 110);
  out += name;
  out += '\0';
  while (out.size() % 4) out += '\0';
  out += data;
  while (out.size() % 4) out += '\0';
  return out;
}

std::string Trailer() { return NewcEntry("TRAILER!!!", 0, ""); }

TEST(CpioGuardTest, HugeNameSizeIsCutOffAndEarlierEntriesKept) {
  std::string archive = NewcEntry("etc/passwd", 0100644, "root:x:0:0\n") +
                        NewcEntry("bin/x", 0100755, "", /*claimed_name=*/0xe0000000) + Trailer();
  Unpacked u = UnpackBytes(AsBytes(archive));
  const TreeCollector::Entry* passwd = u.FindSuffix(":/etc/passwd");
  ASSERT_NE(passwd, nullptr) << u.NotesText();
  EXPECT_EQ(passwd->sha256, Sha("root:x:0:0\n"));
  EXPECT_TRUE(u.HasNote(Note::Kind::kCorrupt, "claims a name of 3758096384 bytes"))
      << u.NotesText();
  EXPECT_TRUE(u.summary.partial);
}

TEST(CpioGuardTest, HeaderFoundAfterJunkIsCheckedToo) {
  // libarchive resyncs on the next magic after junk: the guard must meet the same header.
  std::string archive = NewcEntry("a", 0100644, "a\n") + "junk!!" +
                        NewcEntry("bin/x", 0100755, "", /*claimed_name=*/0xe0000000) + Trailer();
  Unpacked u = UnpackBytes(AsBytes(archive));
  EXPECT_NE(u.FindSuffix(":/a"), nullptr) << u.NotesText();
  EXPECT_TRUE(u.HasNote(Note::Kind::kCorrupt, "claims a name of 3758096384 bytes"))
      << u.NotesText();
}

TEST(CpioGuardTest, HugeNameSizeInsideGzipIsCutOffToo) {
  Scratch dir;
  WriteText(dir / "x.cpio", NewcEntry("etc/passwd", 0100644, "root:x:0:0\n") +
                                NewcEntry("bin/x", 0100755, "", 0xe0000000) + Trailer());
  ASSERT_TRUE(Sh(dir.path().string(), "gzip -n x.cpio"));
  Unpacked u = UnpackPath(dir / "x.cpio.gz");
  EXPECT_NE(u.FindSuffix(":/etc/passwd"), nullptr) << u.NotesText();
  EXPECT_TRUE(u.HasNote(Note::Kind::kCorrupt, "claims a name of 3758096384 bytes"))
      << u.NotesText();
}

TEST(CpioGuardTest, WellFormedArchiveIsReadWhole) {
  std::string archive =
      NewcEntry("etc", 040755, "") + NewcEntry("etc/motd", 0100644, "hello\n") + Trailer();
  Unpacked u = UnpackBytes(AsBytes(archive));
  EXPECT_NE(u.FindSuffix(":/etc/motd"), nullptr) << u.NotesText();
  EXPECT_FALSE(u.HasNote(Note::Kind::kCorrupt, "claims")) << u.NotesText();
}

}  // namespace
}  // namespace clearbox::unpack::enginetest
